"""JSON Lines files that grow at the end: the samples archives and the events.

One JSON value a line, each line ending with a newline, so `jq -c . file` and
`tail -1 file` read them. A writer adds whole lines with one write(2) on an
O_APPEND descriptor: a poll costs the bytes of its own line, whatever the size
of the file. A line cut short (a power cut, a full disk) has no final newline;
readers ignore it and the next append removes it first. A file is kept bounded
by rewriting it without its oldest lines (temp file + rename), which happens
rarely: the slack allowed before a rewrite is a large fraction of the file.

Lines written here start with {"t":<integer>, so the time of a line can be
read without parsing the rest of it: finding where the last day starts in a
file of 1,500 lines costs a scan of their first bytes.
"""

import os
from pathlib import Path

from vigie.atomic import atomic_write_bytes

try:   # ten times faster than the json module on archive lines; the format is the same
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    orjson = None
import json

BLOCK = 64 * 1024
_PREFIX = b'{"t":'


def dumps(value) -> bytes:
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical(value) -> bytes:
    """`value` as JSON with its keys sorted, for a hash of it: the same value always gives
    the same bytes (anything JSON cannot hold is written as its str())."""
    if orjson is not None:
        return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def loads(data):
    return orjson.loads(data) if orjson is not None else json.loads(data)


def line_time(line: bytes):
    """The "t" of a line written by this module, read from its first bytes; None otherwise."""
    if not line.startswith(_PREFIX):
        return None
    end = line.find(b",", 5, 40)
    if end < 0:
        end = line.find(b"}", 5, 40)
    try:
        return int(line[5:end])
    except ValueError:
        return None


def parse_lines(data: bytes) -> list:
    """JSON values of the complete lines in data; a line that is not JSON is skipped."""
    values = []
    for line in data.split(b"\n")[:-1]:
        if not line.strip():
            continue
        try:
            values.append(loads(line))
        except ValueError:
            continue
    return values


def _repair_tail(fd: int) -> None:
    """Cut a last line left without its newline by an interrupted write."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = max(0, size - BLOCK)
    while True:
        chunk = os.pread(fd, size - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            os.ftruncate(fd, start + cut + 1)
            return
        if start == 0:
            os.ftruncate(fd, 0)
            return
        start = max(0, start - BLOCK)


def append(path, values: list) -> int:
    """Append one line per value; return the bytes written. Creates the file."""
    if not values:
        return 0
    data = b"".join(dumps(v) + b"\n" for v in values)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _repair_tail(fd)
        os.write(fd, data)
    finally:
        os.close(fd)
    return len(data)


def read_all(path) -> list:
    """Every complete line's value, oldest first; [] when the file does not exist."""
    try:
        return parse_lines(Path(path).read_bytes())
    except FileNotFoundError:
        return []


def _tail_from(fd: int, size: int, since: int) -> bytes:
    """The end of the file, from a line older than `since` (or the start) onwards.

    Reads backwards block by block and stops at the first block whose first
    whole line is older: lines are in time order, so nothing before it is wanted.
    """
    blocks, pos = [], size
    while pos > 0:
        start = max(0, pos - BLOCK)
        block = os.pread(fd, pos - start, start)
        blocks.append(block)
        pos = start
        newline = block.find(b"\n")
        if pos == 0 or newline < 0:
            continue
        first = block[newline + 1:newline + 41]
        if len(first) < 40 and len(blocks) > 1:
            first += blocks[-2][:40]
        t = line_time(first)
        if t is not None and t < since:
            break
    data = b"".join(reversed(blocks))
    return data if pos == 0 else data[data.find(b"\n") + 1:]


def read_since(path, since: int) -> list:
    """Values of the lines whose time is at or after `since`, oldest first.

    Reads backwards from the end and stops at the first older line, so the cost
    follows what is asked, not the size of the file.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return []
    try:
        data = _tail_from(fd, os.fstat(fd).st_size, since)
    finally:
        os.close(fd)
    return [v for v in parse_lines(data) if isinstance(v, dict) and isinstance(v.get("t"), (int, float))
            and v["t"] >= since]


def last(path):
    """The value of the last complete line, or None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        start = size
        while start > 0:
            start = max(0, start - 4096)
            data = os.pread(fd, size - start, start)
            lines = parse_lines(data[data.find(b"\n") + 1:] if start else data)
            if lines:
                return lines[-1]
        return None
    finally:
        os.close(fd)


def read_from(path, offset: int, inode=None):
    """(values, end offset, inode) of the complete lines after byte `offset`.

    For a reader that follows a file tick after tick: when the file was rewritten
    since (another inode, or shorter than offset), returns (None, 0, inode) so the
    caller starts again from what it knows (a time, with read_since).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return [], 0, None
    try:
        st = os.fstat(fd)
        if (inode is not None and st.st_ino != inode) or st.st_size < offset:
            return None, 0, st.st_ino
        data = os.pread(fd, st.st_size - offset, offset)
    finally:
        os.close(fd)
    end = data.rfind(b"\n") + 1
    return parse_lines(data[:end]), offset + end, st.st_ino


def size_and_inode(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return 0, None
    return st.st_size, st.st_ino


def rewrite(path, values: list) -> int:
    """Replace the file with these values, one a line (atomic); return bytes written."""
    data = b"".join(dumps(v) + b"\n" for v in values)
    atomic_write_bytes(path, data)
    return len(data)


def drop_before(path, since: int) -> int:
    """Rewrite the file without its lines older than `since` (atomic); return bytes written.

    Lines are copied as they are: nothing is parsed but their first bytes.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return 0
    data = data[:data.rfind(b"\n") + 1]
    offset = 0
    while offset < len(data):
        end = data.index(b"\n", offset) + 1
        t = line_time(data[offset:end])
        if t is None or t >= since:
            break
        offset = end
    if offset == 0:
        return 0
    atomic_write_bytes(path, data[offset:])
    return len(data) - offset


def first_time(path):
    """The time of the first line, or None."""
    try:
        with open(path, "rb") as f:
            return line_time(f.readline())
    except FileNotFoundError:
        return None
