"""Device logs: what a device said over syslog or in SNMP traps, one bounded file per machine.

`LOGS/<name>.jsonl` holds one JSON object per line, oldest first:
`time` (when Vigie received it, ISO 8601 UTC), `severity` (a syslog keyword,
`emerg` ... `debug`), `host`, `app`, `message`, and when known `device_time`,
`facility`, `pid`, `msgid`, `sd` (RFC 5424 structured data), `source` (the
sender's address), `kind` (`syslog` or `trap`), `truncated`.

Writers append whole lines under an exclusive lock on the file (the syslog
intake and the trap handler may write the same machine's log at once). The
live file is rotated to `<name>.jsonl.1` (then `.2` ...) before it would pass
`max_bytes`, or once its first line is older than `rotate_seconds`; at most
`keep` rotated files are kept, and none older than `max_age_seconds`. So a
machine's log never holds more than (keep + 1) x max_bytes, whatever arrives.
Readers take lines newest first, skipping a line a crash left half-written.

Messages from senders that match no machine go to `@unknown.jsonl`: `@`
cannot appear in a machine's name, so that log never mixes with one.
"""

import fcntl
import glob
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from vigie.errors import InputError
from vigie.utc import iso_millis_from_unix, unix_from_iso

try:  # five times faster than the json module for a log line; the output is the same JSON
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    orjson = None

# The syslog severities in the order of their codes (RFC 5424, 0 = emergency).
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
SEVERITY_ALIASES = {"emergency": "emerg", "panic": "emerg", "critical": "crit", "error": "err",
                    "warn": "warning", "informational": "info"}
# Facility names by code (RFC 5424 table 1, names as rsyslog and logger spell them).
FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
              "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
              "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
# The syslog severity a Vigie alert severity is logged with (a trap's alert, say), and
# back: which alert severity each syslog severity becomes (the ones not logged for an
# alert join the nearest).
LOG_SEVERITY = {"CRITICAL": "crit", "ERROR": "err", "WARNING": "warning", "INFO": "notice"}
ALERT_SEVERITY = {**{log: alert for alert, log in LOG_SEVERITY.items()},
                  "emerg": "CRITICAL", "alert": "CRITICAL", "info": "INFO", "debug": "INFO"}

UNKNOWN_LOG = "@unknown"
SUFFIX = ".jsonl"
MAX_MESSAGE_CHARS = 8192
FIELD_ORDER = ("time", "severity", "host", "app", "message", "device_time", "facility", "pid", "msgid",
               "sd", "source", "kind", "truncated")


@dataclass(frozen=True)
class Limits:
    """How big and how old one machine's log may grow."""
    max_bytes: int = 1024 * 1024
    keep: int = 3
    rotate_seconds: float = 86400.0
    max_age_seconds: float = 30 * 86400.0


def limits(max_bytes: int, keep: int, rotate_hours: float, max_age_days: float) -> Limits:
    """Limits from the settings of [device_logs] (vigie/config.py), in their units."""
    return Limits(max_bytes=max_bytes, keep=keep, rotate_seconds=rotate_hours * 3600,
                  max_age_seconds=max_age_days * 86400)


class DeviceLogError(InputError):
    """A bad value for a device-log field or query; `field` names it."""


def severity_code(keyword: str) -> int:
    return SEVERITIES.index(keyword)


def normalize_severity(value, field="severity") -> str:
    """A syslog keyword from a keyword, a common alias or a code 0-7; DeviceLogError otherwise."""
    text = str(value).strip().lower()
    if len(text) == 1 and text in "01234567":
        return SEVERITIES[int(text)]
    text = SEVERITY_ALIASES.get(text, text)
    if text not in SEVERITIES:
        raise DeviceLogError(field, f"unknown severity {value!r}: expected one of {', '.join(SEVERITIES)}")
    return text


def at_least(severity: str, threshold: str) -> bool:
    """Whether `severity` is as grave as `threshold` or graver (err is at least warning)."""
    return severity_code(severity) <= severity_code(threshold)


def log_path(logs_dir, name: str) -> Path:
    return Path(logs_dir) / f"{name}{SUFFIX}"


def rotated_path(path: Path, generation: int) -> Path:
    return path.with_name(f"{path.name}.{generation}")


def entry(time_ts: float, severity: str, host: str, app: str, message: str, **extra) -> dict:
    """A log entry with its fields in the documented order; empty optional fields are left out."""
    record = {"time": iso_millis_from_unix(time_ts), "severity": severity, "host": host or "", "app": app or "",
              "message": message}
    for key in FIELD_ORDER[5:]:
        if extra.get(key) not in (None, "", {}, False):
            record[key] = extra[key]
    return record


def encode(record: dict) -> bytes:
    """One line of the log: compact JSON, UTF-8, the message cut to MAX_MESSAGE_CHARS."""
    message = record.get("message", "")
    if len(message) > MAX_MESSAGE_CHARS:
        record = dict(record, message=message[:MAX_MESSAGE_CHARS], truncated=True)
    if orjson is not None:
        try:
            return orjson.dumps(record) + b"\n"
        except TypeError:  # a lone surrogate: the json module replaces it below
            pass
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace") + b"\n"


def _first_line_time(fd: int):
    """The unix time of the file's first entry, or None when it cannot be read."""
    head = os.pread(fd, 64, 0)
    start = head.find(b'"time":"')
    if start < 0:
        return None
    text = head[start + 8:].split(b'"', 1)[0].decode("ascii", "replace")
    return unix_from_iso(text)


def _generations(path: Path) -> dict:
    """{generation: path} of the rotated files beside `path`."""
    found = {}
    for older in path.parent.glob(glob.escape(path.name) + ".*"):
        generation = older.name[len(path.name) + 1:]
        if generation.isdigit():
            found[int(generation)] = older
    return found


def _rotate(path: Path, limits: Limits) -> None:
    """Shift NAME.jsonl -> .1 -> .2 ...; what would pass `keep` is removed."""
    for generation, older in sorted(_generations(path).items(), reverse=True):
        if generation >= limits.keep:
            older.unlink(missing_ok=True)
        else:
            os.replace(older, rotated_path(path, generation + 1))
    if limits.keep < 1:
        path.unlink(missing_ok=True)
    else:
        os.replace(path, rotated_path(path, 1))


def prune(path: Path, limits: Limits, now: float) -> int:
    """Remove rotated files past `keep` or whose newest line is older than max_age; return how many."""
    removed = 0
    for generation, older in _generations(path).items():
        try:
            too_old = now - older.stat().st_mtime > limits.max_age_seconds
        except FileNotFoundError:
            continue
        if generation > limits.keep or too_old:
            older.unlink(missing_ok=True)
            removed += 1
    return removed


def prune_all(logs_dir, limits: Limits = Limits(), now: float = None) -> int:
    """`prune` every log in the folder (the intake runs it hourly)."""
    now = time.time() if now is None else now
    return sum(prune(log_path(logs_dir, name), limits, now) for name in names(logs_dir))


def _open_locked(path: Path) -> int:
    """The live file, opened for appending and locked; reopened if it was rotated meanwhile."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except FileNotFoundError:  # the logs folder itself is new
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _chunks(lines: list, max_bytes: int):
    chunk, size = [], 0
    for line in lines:
        if chunk and size + len(line) > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        yield chunk


def append(logs_dir, name: str, lines: list, limits: Limits = Limits(), now: float = None) -> None:
    """Append encoded lines (see `encode`) to a machine's log, rotating so it stays in bounds."""
    if not lines:
        return
    path = log_path(logs_dir, name)
    now = time.time() if now is None else now
    for chunk in _chunks(lines, limits.max_bytes):
        data = b"".join(chunk)
        while True:
            fd = _open_locked(path)
            try:
                size = os.fstat(fd).st_size
                first = _first_line_time(fd) if size else None
                too_big = size and size + len(data) > limits.max_bytes
                too_old = first is not None and now - first > limits.rotate_seconds
                if too_big or too_old:
                    _rotate(path, limits)
                    prune(path, limits, now)
                    continue
                os.write(fd, data)
                break
            finally:
                os.close(fd)


def _lines_newest_first(path: Path):
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in reversed(data.split(b"\n")):
        if line:
            yield line


def matches(record: dict, query: str, threshold: str) -> bool:
    if threshold and record.get("severity") in SEVERITIES and not at_least(record["severity"], threshold):
        return False
    if query:
        text = " ".join(str(record.get(k, "")) for k in ("message", "app", "host")).lower()
        return query in text
    return True


def read(logs_dir, name: str, query: str = "", severity: str = "", limit: int = 100, offset: int = 0,
         limits: Limits = Limits()):
    """(entries, more): the newest matching entries first, skipping `offset` of them.

    `query` is text searched (case-insensitive) in the message, app and host; `severity`
    keeps entries at that severity or graver. Lines that do not parse are skipped.
    """
    threshold = normalize_severity(severity) if severity else ""
    query = (query or "").strip().lower()
    found, wanted = [], offset + limit + 1
    for record in records_newest_first(logs_dir, name, limits):
        if matches(record, query, threshold):
            found.append(record)
            if len(found) >= wanted:
                return found[offset:offset + limit], True
    return found[offset:offset + limit], False


def records_newest_first(logs_dir, name: str, limits: Limits = Limits()):
    """Every entry of a log, its rotated files included, newest first (lines that do not parse skipped)."""
    path = log_path(logs_dir, name)
    for file in [path] + [rotated_path(path, g) for g in range(1, limits.keep + 1)]:
        for line in _lines_newest_first(file):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


# ---------------------------------------------------------------- senders that match no machine

MAX_SENDER_HOSTS = 5


def sender_of(record: dict) -> str:
    """Who sent an entry of the unknown log: its source address, else the host name it gave."""
    return str(record.get("source") or record.get("host") or "?")


def summarize_senders(records) -> list:
    """The senders of entries given newest first, most recently heard first: for each,
    `address`, `hosts` (the names it gave itself, newest first), `count`, `first_seen`,
    `last_seen` and `last` (its newest entry)."""
    senders = {}
    for record in records:
        address = sender_of(record)
        sender = senders.get(address)
        if sender is None:
            sender = senders[address] = {"address": address, "hosts": [], "count": 0, "first_seen": record.get("time"),
                                         "last_seen": record.get("time"), "last": record}
        sender["count"] += 1
        sender["first_seen"] = record.get("time") or sender["first_seen"]
        host = record.get("host")
        if host and host != address and host not in sender["hosts"] and len(sender["hosts"]) < MAX_SENDER_HOSTS:
            sender["hosts"].append(host)
    return list(senders.values())


def unknown_senders(logs_dir, limits: Limits = Limits()) -> list:
    """summarize_senders of what the unknown log holds now."""
    return summarize_senders(records_newest_first(logs_dir, UNKNOWN_LOG, limits))


def names(logs_dir) -> list:
    """The names that have a device log (machines, and UNKNOWN_LOG when some sender was unknown)."""
    folder = Path(logs_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}") if not p.name.startswith("."))
