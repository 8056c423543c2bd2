"""Reading the files people write: machine files, alert files, secret and settings files.

A folder a person can write may hold anything under a file's name: a FIFO (whose
plain open() waits for a writer for ever, holding the reading thread), a device, a
socket, a directory, or a file of 200 MB. Every component reads such files here:
regular files only, opened with O_NONBLOCK (a FIFO opens at once) and checked
again with fstat once open (nothing swapped in between), read up to a size cap,
and refused with an error that says what was found. Symbolic links are followed
where a person may use them (a machine file, a secret file), never in the watcher's
drop folder.
"""

import errno
import os
import stat

# What a path may be besides a regular file.
_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFLNK: "a symbolic link", stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
}
MACHINE_FILE_MAX = 1024 * 1024   # a machine file: a few KiB
SMALL_FILE_MAX = 64 * 1024       # a secret, a token, a password
SETTINGS_FILE_MAX = 1024 * 1024  # a settings (TOML) file


class Unreadable(ValueError):
    """A file that is there but is not read; `strerror` says why, as OSError's does,
    so a caller catching (OSError, Unreadable) words both the same way."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.strerror = reason


class NotRegularFile(Unreadable):
    """Only regular files are read: opening a FIFO blocks, and a link could lead anywhere."""

    def __init__(self, mode: int):
        kind = _KINDS.get(stat.S_IFMT(mode), "a special file")
        rule = "links are not followed" if stat.S_ISLNK(mode) else "only regular files are read"
        super().__init__(f"{kind}, not a regular file: {rule}")


class TooLarge(Unreadable):
    def __init__(self, limit: int, what: str):
        super().__init__(f"file is larger than {limit} bytes: not {what}")


class NotText(Unreadable):
    def __init__(self, exc: UnicodeDecodeError):
        super().__init__(f"not UTF-8 text (byte {exc.start + 1})")


def read_bytes(path, limit: int, follow_links: bool = True, what: str = "a file Vigie reads") -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them. NotRegularFile
    for anything else (never opened in a way that can block), TooLarge past `limit`
    (both Unreadable), OSError when it cannot be opened."""
    mode = (os.stat if follow_links else os.lstat)(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(mode)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:  # replaced by a link since the lstat
            raise NotRegularFile(stat.S_IFLNK) from None
        raise
    with open(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced by something else since the first look
            raise NotRegularFile(mode)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit, what)
    return data


def read_text(path, limit: int, follow_links: bool = True, what: str = "a file Vigie reads") -> str:
    """read_bytes as UTF-8 text (NotText when it is not)."""
    try:
        return read_bytes(path, limit, follow_links, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(exc) from None
