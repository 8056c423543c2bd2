"""Write stage: www/ as a web server sees it, always whole.

Every file goes through temp + rename (vigie.atomic), so a reader gets the old
version or the new one. The build writes assets before the pages that use
them, and removes a page only after the pages linking to it are rewritten.
A manifest (.vigie-build.json) records, per page, a signature of its inputs:
when the signature is unchanged and the file is still there, the page is not
even rendered; when a rendered page equals the file on disk it is not written.
"""

import hashlib
import json
import os
from pathlib import Path

from vigie.atomic import atomic_write_bytes, atomic_write_json

MANIFEST = ".vigie-build.json"


def signature(*parts) -> str:
    """A stable hash of JSON-able inputs."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SiteWriter:
    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.old = self._load_manifest()
        self.new = {}
        self.written, self.unchanged, self.skipped, self.removed = [], [], [], []

    def _load_manifest(self) -> dict:
        try:
            data = json.loads((self.out_dir / MANIFEST).read_text(encoding="utf-8"))
            return data.get("pages", {}) if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_if_changed(self, relpath: str, data: bytes) -> None:
        path = self.out_dir / relpath
        try:
            same = path.stat().st_size == len(data) and path.read_bytes() == data
        except OSError:
            same = False
        if same:
            self.unchanged.append(relpath)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        self.written.append(relpath)

    def asset(self, relpath: str, data: bytes) -> str:
        """Write a static file when it changed; return its content hash (for ?v= links)."""
        self._write_if_changed(relpath, data)
        digest = hashlib.sha256(data).hexdigest()[:12]
        self.new[relpath] = {"sha256": digest}
        return digest

    def is_current(self, relpath: str, sig: str) -> bool:
        entry = self.old.get(relpath)
        return bool(entry) and entry.get("inputs") == sig and (self.out_dir / relpath).is_file()

    def previous(self, relpath: str) -> dict:
        return self.old.get(relpath) or {}

    def page(self, relpath: str, sig: str, render, extra: dict = None) -> bool:
        """Write the page `render()` returns, unless its input signature is unchanged.
        `extra` is kept in the manifest beside the signature. True when rendered."""
        rendered = not self.is_current(relpath, sig)
        if rendered:
            self._write_if_changed(relpath, render())
        else:
            self.skipped.append(relpath)
        self.new[relpath] = dict(extra or {}, inputs=sig)
        return rendered

    def remove_stale(self, folder: str, keep: set) -> None:
        """Delete folder/*.html pages not in `keep` (machines that were removed)."""
        base = self.out_dir / folder
        for path in sorted(base.glob("*.html")) if base.is_dir() else ():
            relpath = f"{folder}/{path.name}"
            if relpath not in keep:
                os.unlink(path)
                self.removed.append(relpath)

    def finish(self) -> None:
        atomic_write_json(self.out_dir / MANIFEST, {"format": 1, "pages": self.new})

    def report(self) -> dict:
        return {"written": len(self.written), "unchanged": len(self.unchanged),
                "skipped": len(self.skipped), "removed": len(self.removed)}
