"""Atomic file writes: a temp file in the same folder, then os.replace.

A reader (the watcher, a web server serving www/, the site builder) never sees
half a file: it sees the old content or the new one.
"""

import ctypes
import errno
import json
import os
import tempfile
from pathlib import Path

try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2     # glibc 2.28 and later
except (AttributeError, OSError):  # pragma: no cover - another C library
    _renameat2 = None
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


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


def spare_path(path) -> Path:
    """The spare beside a file rewritten by atomic_rewrite."""
    path = Path(path)
    return path.with_name(f".{path.name}.spare")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names in one step (renameat2 RENAME_EXCHANGE); False where the system or
    the file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOENT):
        return False
    raise OSError(code, os.strerror(code), str(b))


def atomic_rewrite(path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` like atomic_write_bytes(sync=False), for a small file written
    again at every poll (a machine's now.json, its page's live.json): the content goes into
    a spare beside it (`.<name>.spare`, written over in place, never created again), then
    the two names are swapped in one step. A reader sees the old content or the new one,
    and the file system makes no new inode and frees none at each write, which on ext4
    also spares the rename's forced write-out of the new file. A reader that holds the
    file open across the next two rewrites reads the later one. Where names cannot be
    swapped (another file system, another system), or the file does not exist yet, the
    spare is renamed into place instead."""
    path, spare = Path(path), spare_path(path)
    try:
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        os.unlink(spare)            # a link put in the spare's place is never written through
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
        view, done = memoryview(data), 0
        while done < len(data):
            done += os.pwrite(fd, view[done:], done)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)
    if not _exchange(spare, path):     # also when there is no file yet to swap with
        os.replace(spare, path)
