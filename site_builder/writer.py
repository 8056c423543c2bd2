"""Write stage: www/ as a web server sees it, always whole.

Every file goes through temp + rename (vigie.atomic), so a reader gets the old
version or the new one; the one exception is a machine's recent.jsonl, which
grows by whole lines (site_builder/graphs.py) and whose reader ignores a last
line caught half written. The build writes assets before the pages that use
them, and removes a page only after the pages linking to it are rewritten.
A manifest (.vigie-build.json) records, per page, a signature of its inputs
(and, for a machine, where its graph files stand): when the signature is
unchanged and the file is still there, the page is not even rendered; when a
rendered file equals the one on disk it is not written. Nothing in www/ is
flushed to the disk on each write: the builder can write all of it again.
"""

import hashlib
import json
import os
from pathlib import Path

from vigie.atomic import atomic_rewrite, atomic_write_bytes
from vigie.samples import journal

MANIFEST = ".vigie-build.json"


def signature(*parts) -> str:
    """A stable hash of JSON-able inputs."""
    return hashlib.sha256(journal.canonical(parts)).hexdigest()


class Files:
    """Writes under out_dir, keeping count of what was written, left as it was, removed."""

    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.written, self.unchanged, self.removed = [], [], []
        self.bytes = 0

    def write(self, relpath: str, data: bytes, often: bool = False) -> None:
        """Write the file when its content changed (atomic). `often`: a file written
        again at most builds (a machine's live.json), through its spare
        (vigie.atomic.atomic_rewrite)."""
        path = self.out_dir / relpath
        try:
            same = path.stat().st_size == len(data) and path.read_bytes() == data
        except OSError:
            same = False
        if same:
            self.unchanged.append(relpath)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if often:
            atomic_rewrite(path, data)
        else:
            atomic_write_bytes(path, data, sync=False)
        self.written.append(relpath)
        self.bytes += len(data)

    def append(self, relpath: str, data: bytes) -> None:
        """Add whole lines at the end of a file (one write(2))."""
        path = self.out_dir / relpath
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        self.written.append(relpath)
        self.bytes += len(data)

    def remove_others(self, folder: str, keep: set) -> None:
        """Delete the files of folder/ whose names are not in keep (graphs no longer shown)."""
        base = self.out_dir / folder
        for path in sorted(base.iterdir()) if base.is_dir() else ():
            if path.is_file() and path.name not in keep and not path.name.startswith("."):
                os.unlink(path)
                self.removed.append(f"{folder.rstrip('/')}/{path.name}")

    def counts(self) -> dict:
        return {"written": len(self.written), "unchanged": len(self.unchanged), "removed": len(self.removed),
                "bytes": self.bytes}


class SiteWriter(Files):
    def __init__(self, out_dir):
        super().__init__(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.old = self._load_manifest()
        self.new = {}
        self.skipped = []

    def _load_manifest(self) -> dict:
        try:
            data = json.loads((self.out_dir / MANIFEST).read_text(encoding="utf-8"))
            return data.get("pages", {}) if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_if_changed(self, relpath: str, data: bytes) -> None:
        self.write(relpath, data)

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

    def keep(self, relpath: str, entry: dict, files: dict = None, skipped: bool = False) -> None:
        """Record a page another process built (its manifest entry and what it wrote)."""
        self.new[relpath] = entry
        for name in ("written", "unchanged", "removed"):
            getattr(self, name).extend((files or {}).get(name, ()))
        self.bytes += (files or {}).get("bytes", 0)
        if skipped:
            self.skipped.append(relpath)

    def remove_stale(self, folder: str, keep: set) -> None:
        """Delete folder/*.html pages not in `keep` (machines that were removed), and their
        folder of graph files."""
        base = self.out_dir / folder
        for path in sorted(base.glob("*.html")) if base.is_dir() else ():
            relpath = f"{folder}/{path.name}"
            if relpath not in keep:
                os.unlink(path)
                self.removed.append(relpath)
        for path in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else ():
            if f"{folder}/{path.name}.html" not in keep:
                for child in path.iterdir():
                    os.unlink(child)
                path.rmdir()
                self.removed.append(f"{folder}/{path.name}/")

    def finish(self) -> None:
        data = json.dumps({"format": 2, "pages": self.new}, ensure_ascii=False, separators=(",", ":"))
        atomic_write_bytes(self.out_dir / MANIFEST, data.encode("utf-8") + b"\n", sync=False)
        self.bytes += len(data)

    def report(self) -> dict:
        return {"written": len(self.written), "unchanged": len(self.unchanged),
                "skipped": len(self.skipped), "removed": len(self.removed), "bytes": self.bytes}
