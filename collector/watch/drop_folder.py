"""The drop folder's life cycle: drop -> processing/ -> done/ | rejected/.

Every watcher (a daemon, a timer run next to it, a second daemon) owns one
folder `processing/<owner>/` for as long as it lives, held by an flock on its
`.lock`. A file is claimed by renaming it from the drop folder into that
folder: rename is atomic, so of two watchers racing for one file exactly one
wins and the other gets FileNotFoundError. A watcher that dies leaves its
folder behind with the lock released; the next watcher to start takes the lock
and adopts the files, so nothing claimed is ever lost.

After the API has the alert, the file moves to `done/` (pruned after some
days) or is deleted; a file that cannot be ingested moves to `rejected/` with
`<name>.reason` beside it. Files are never overwritten: a name already taken
gets a time suffix.
"""

import ctypes
import ctypes.util
import errno
import fcntl
import logging
import os
import stat
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from vigie import safe_read
from vigie.atomic import atomic_write_text
from vigie.utc import now_iso

log = logging.getLogger(__name__)

SUFFIX = ".txt"
LOCK_NAME = ".lock"
MAX_FILE_BYTES = 64 * 1024


def is_alert_file_name(name: str) -> bool:
    """Alert files are `*.txt`; names starting with '.' are writers' temp files."""
    return name.endswith(SUFFIX) and not name.startswith(".")


def open_for_writing(path) -> bool | None:
    """Whether some process holds the file open for writing; None when it cannot be told.

    Linux grants a read lease only when nobody has the file open for writing,
    so asking for one (and dropping it at once) answers the question without
    reading /proc. It needs the file's owner or CAP_LEASE; otherwise None.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return True if exc.errno in (errno.EAGAIN, errno.EBUSY) else None
    else:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def ready(path, settle: float, now: float) -> tuple[bool, float | None]:
    """Whether a file found by a scan or a created event can be taken: (take, recheck_at).

    A file some process holds open for writing waits; when that cannot be
    told, a file waits until it has been left untouched for `settle` seconds.
    Anything but a regular file is taken at once, to be rejected unread.
    """
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return False, None
    if not stat.S_ISREG(status.st_mode):
        return True, None
    busy = open_for_writing(path)
    if busy is False:
        return True, None
    if busy is True:
        return False, None
    mtime = status.st_mtime
    return (True, None) if now - mtime >= settle else (False, mtime + settle)


def read_limited(path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file; ValueError when it is larger than `limit` (no alert file is).

    safe_read.NotRegularFile for anything else: a FIFO, socket, device or directory
    is never opened in a way that can block, and a symbolic link is never followed.
    """
    return safe_read.read_bytes(path, limit, follow_links=False, what="an alert file")


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or a time-suffixed variant when that name is taken."""
    target = folder / name
    if not os.path.lexists(target):
        return target
    stem, dot, ext = name.rpartition(".")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
    base = f"{stem}.{stamp}" if dot else f"{name}.{stamp}"
    for n in range(1000):
        extra = f"-{n}" if n else ""
        target = folder / (f"{base}{extra}.{ext}" if dot else f"{base}{extra}")
        if not os.path.lexists(target):
            return target
    raise FileExistsError(f"no free name for {name} in {folder}")


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)


def rename_no_replace(src, dst) -> None:
    """Rename atomically, failing with FileExistsError rather than replacing dst.

    Linux's renameat2(RENAME_NOREPLACE) does it in one step; where it is missing
    (old libc, some filesystems) a hard link then an unlink does the same, with a
    crash between the two leaving the file in both places, never in neither.
    """
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(err, os.strerror(err), str(src), None, str(dst))
    os.link(src, dst)
    os.unlink(src)


def move_no_replace(src: Path, folder: Path, name: str) -> Path:
    """Move src into folder under name (or a free variant), never replacing a file."""
    for _ in range(5):
        target = free_name(folder, name)
        try:
            rename_no_replace(src, target)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"could not move {src} into {folder}")


class DropFolder:
    """One watcher's view of the drop folder; `open()` before use, `close()` after."""

    def __init__(self, root, owner: str | None = None):
        self.root = Path(root)
        self.processing = self.root / "processing"
        self.done = self.root / "done"
        self.rejected = self.root / "rejected"
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.mine = self.processing / self.owner
        self._lock_fd = None

    # -- owning a claim folder -------------------------------------------------

    def open(self) -> list[Path]:
        """Create the areas and this watcher's claim folder; adopt orphans. Returns adopted files."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"drop folder {self.root} does not exist")
        for area in (self.processing, self.done, self.rejected):
            area.mkdir(exist_ok=True)
        self._make_own_folder()
        return self._adopt_orphans()

    def _make_own_folder(self) -> None:
        # Built under a dot name and renamed, so no other watcher ever sees it
        # unlocked and mistakes it for an orphan.
        staging = self.processing / f".new-{self.owner}"
        staging.mkdir()
        fd = os.open(staging / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(staging, self.mine)
        self._lock_fd = fd

    def _adopt_orphans(self) -> list[Path]:
        adopted = []
        for entry in sorted(os.scandir(self.processing), key=lambda e: e.name):
            path = Path(entry.path)
            if path == self.mine:
                continue
            if entry.is_dir(follow_symlinks=False):
                adopted += self._adopt_folder(path)
            elif is_alert_file_name(entry.name):
                claimed = self._take(path)
                if claimed:
                    adopted.append(claimed)
        if adopted:
            log.info("took over %d file(s) left in %s by a watcher that stopped", len(adopted), self.processing)
        return adopted

    def _adopt_folder(self, folder: Path) -> list[Path]:
        try:
            fd = os.open(folder / LOCK_NAME, os.O_RDWR)
        except FileNotFoundError:
            fd = None  # a crash while it was being set up; nobody holds it
        except OSError:
            return []
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return []  # its watcher is alive
            adopted = []
            left = False
            for entry in os.scandir(folder):
                if entry.name == LOCK_NAME:
                    continue
                claimed = self._take(Path(entry.path)) if is_alert_file_name(entry.name) else None
                if claimed:
                    adopted.append(claimed)
                else:
                    left = True
            if not left:
                try:
                    os.unlink(folder / LOCK_NAME)
                except FileNotFoundError:
                    pass
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            return adopted
        finally:
            if fd is not None:
                os.close(fd)

    def close(self, give_back: bool = True) -> int:
        """Release the claim folder; files still in it go back to the drop folder. Returns that count."""
        if self._lock_fd is None:
            return 0
        returned = 0
        if give_back and self.mine.is_dir():
            for path in self.claimed():
                if self.give_back(path):
                    returned += 1
        remaining = [e for e in os.scandir(self.mine) if e.name != LOCK_NAME] if self.mine.is_dir() else []
        if not remaining and self.mine.is_dir():
            os.unlink(self.mine / LOCK_NAME)
            os.rmdir(self.mine)
        os.close(self._lock_fd)
        self._lock_fd = None
        return returned

    # -- the life cycle of one file -------------------------------------------

    def scan(self) -> list[Path]:
        """Entries named like alert files now in the drop folder, oldest first.

        Whatever their kind: one that is not a regular file is to be rejected, not left to lie.
        """
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not is_alert_file_name(entry.name):
                    continue
                try:
                    found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
                except FileNotFoundError:
                    continue
        found.sort()
        return [self.root / name for _, name in found]

    def claimed(self) -> list[Path]:
        """Files in this watcher's claim folder, by name."""
        return sorted(Path(e.path) for e in os.scandir(self.mine) if is_alert_file_name(e.name))

    def claim(self, path) -> Path | None:
        """Rename a drop-folder file into the claim folder; None if another watcher got it first."""
        path = Path(path)
        if path.parent != self.root or not is_alert_file_name(path.name):
            return None
        return self._take(path)

    def _take(self, path: Path) -> Path | None:
        target = self.mine / path.name
        try:
            rename_no_replace(path, target)
        except FileExistsError:
            return None  # a file of that name is in flight here; take this one next time
        except FileNotFoundError:
            return None  # another watcher took it first
        return target

    def finish(self, path: Path, keep_days: float) -> None:
        """The API has it: move to done/ (retention counts from now), or delete."""
        if keep_days <= 0:
            os.unlink(path)
            return
        target = move_no_replace(path, self.done, path.name)
        now = time.time()
        os.utime(target, (now, now))

    def reject(self, path: Path, reason: str) -> Path:
        """Move to rejected/ with `<name>.reason` beside it.

        A reason may quote a line of the file, so it is no more readable than
        the file itself (a reason about anything else quotes nothing of it).
        """
        target = free_name(self.rejected, path.name)
        when = now_iso()
        status = os.lstat(path)
        mode = (status.st_mode & 0o644 | 0o600) if stat.S_ISREG(status.st_mode) else 0o644
        atomic_write_text(self.rejected / (target.name + ".reason"),
                          f"{reason}\nrejected at {when} from {path.name}\n", mode=mode)
        return move_no_replace(path, self.rejected, target.name)

    def give_back(self, path: Path) -> bool:
        """Return a claimed file to the drop folder for a later run."""
        try:
            rename_no_replace(path, self.root / path.name)
        except FileExistsError:
            return False  # a newer file took the name; the next start adopts this one
        return True

    def prune_done(self, keep_days: float, now: float | None = None) -> int:
        """Delete files in done/ older than keep_days. Returns how many."""
        if keep_days <= 0 or not self.done.is_dir():
            return 0
        limit = (now if now is not None else time.time()) - keep_days * 86400
        pruned = 0
        with os.scandir(self.done) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)
                        pruned += 1
                except FileNotFoundError:
                    continue
        return pruned
