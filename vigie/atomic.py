"""Atomic file writes: a temp file in the same folder, then os.replace.

A reader (the watcher, a web server serving www/, the site builder) never sees
half a file: it sees the old content or the new one.
"""

import json
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path, data: bytes, mode: int = 0o644, sync: bool = True, replace: bool = True) -> None:
    """Write `data` to `path` through a temp file and a rename. `sync` flushes the data
    to the disk before the rename, so even a power cut leaves the old file or the new
    one; without it a kill -9 still does, and the write costs no disk flush. With
    replace=False an existing file is never written over: FileExistsError instead (the
    temp file is linked into place, which fails when the name is taken)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text: str, mode: int = 0o644, replace: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode, replace=replace)


def atomic_write_json(path, obj, mode: int = 0o644, indent=None, replace: bool = True) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=indent, sort_keys=indent is not None)
    atomic_write_text(path, text + "\n", mode, replace=replace)
