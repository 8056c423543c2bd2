"""The one-alert-per-file text format of docs/DESIGN.md.

Seven `Key : value` lines in a fixed order, then optionally, each at most once,
`Fingerprint : <key>` (the alert's own deduplication key: alerts with the same one
are one alert, and an INFO one resolves it) and `Timeout : <seconds>` (resolve it if
it is not seen again within that time). A seven-line file stays a whole alert file.
`render` and `parse` are pure: text in, record or reason out, so the watcher, the
collector and the tests share one definition, and the bash splitter's output (seven
lines) round-trips through `parse` exactly. `write` is the one writer of Vigie's own
alert files (the poll's events, syslog messages, traps): atomic, its message cut to
what a reader accepts.
"""

import hashlib
import secrets
from pathlib import Path

from vigie.atomic import atomic_write_text
from vigie.alert import EXTRAS, FIELDS, MAX_TEXT, AlertError, normalize_record, parse_seconds

KEYS = ("Date", "Serveur", "Criticité", "Message", "Infogerant", "Application", "Environnement")
KEY_TO_FIELD = dict(zip(KEYS, FIELDS))
EXTRA_KEYS = dict(zip(("Fingerprint", "Timeout"), EXTRAS))  # optional, after the seven


class AlertFileError(ValueError):
    """The file is not a valid alert file; `line` is 1-based or None for the whole file."""

    def __init__(self, line, reason):
        where = f"line {line}: " if line else ""
        super().__init__(where + reason)
        self.line = line
        self.reason = reason


def one_line(value: str) -> str:
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def render(record: dict) -> str:
    """The file text for a record holding the seven fields (values used as given), and
    its fingerprint and timeout lines when it has them."""
    pairs = list(zip(KEYS, FIELDS)) + [(k, f) for k, f in EXTRA_KEYS.items() if record.get(f) is not None]
    return "".join(f"{key} : {one_line(str(record[field]))}\n" for key, field in pairs)


def clipped(record: dict) -> dict:
    """The record with its message cut to MAX_TEXT characters (an ellipsis ends what was cut),
    so a long message is kept in part rather than the file refused."""
    message = record["message"]
    return record if len(message) <= MAX_TEXT else dict(record, message=message[:MAX_TEXT - 1] + "…")


def write(folder, name: str, record: dict) -> Path:
    """Drop the record in the alert-file folder as `<name>-<its time>-<random>.txt` (two alerts
    never share a file), atomically: the watcher sees the whole file or none."""
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = record["timestamp"][:19].replace("-", "").replace(":", "")
    path = directory / f"{name}-{stamp}-{secrets.token_hex(4)}.txt"
    atomic_write_text(path, render(clipped(record)), mode=0o644)
    return path


def parse_raw(text: str) -> dict:
    """The seven values as written, checking only the layout; raise AlertFileError."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < len(KEYS):
        raise AlertFileError(None, f"expected {len(KEYS)} lines, found {len(lines)}")
    if len(lines) > len(KEYS) + len(EXTRA_KEYS):
        raise AlertFileError(None, f"expected {len(KEYS)} lines (and at most {', '.join(EXTRA_KEYS)} after them),"
                                   f" found {len(lines)}")
    record = {}
    for number, (line, key) in enumerate(zip(lines, KEYS), start=1):
        record[KEY_TO_FIELD[key]] = _value(number, line, key)
    for number, line in enumerate(lines[len(KEYS):], start=len(KEYS) + 1):
        key = line.partition(" :")[0]
        if key not in EXTRA_KEYS:
            raise AlertFileError(number, f"unknown line {line[:60]!r}: after the seven lines only "
                                         f"{' and '.join(f'{k} : ...' for k in EXTRA_KEYS)} may follow")
        if EXTRA_KEYS[key] in record:
            raise AlertFileError(number, f"'{key}' is given twice")
        record[EXTRA_KEYS[key]] = _value(number, line, key)
    return record


def _value(number: int, line: str, key: str) -> str:
    if "\r" in line:
        raise AlertFileError(number, "stray carriage return inside a line")
    name, sep, value = line.partition(" :")
    if not sep or name != key:
        raise AlertFileError(number, f"expected '{key} : <value>', found {line[:60]!r}")
    if value and not value.startswith(" "):
        raise AlertFileError(number, f"expected a space after '{key} :'")
    return value[1:].rstrip(" \t")


def parse(text: str) -> dict:
    """A normalised alert record (vigie.alert.normalize_record) from file text, with
    "fingerprint" and "timeout" (seconds) when the file gives them."""
    raw = parse_raw(text)
    extras = [f for f in raw if f in EXTRAS]   # in the order of their lines
    if "timeout" in raw:
        raw["timeout"] = parse_seconds(raw["timeout"])
    try:
        record = normalize_record(raw)
    except AlertError as exc:
        line = (FIELDS.index(exc.field) + 1 if exc.field in FIELDS
                else len(FIELDS) + 1 + extras.index(exc.field) if exc.field in extras else None)
        raise AlertFileError(line, exc.message) from None
    return record


def parse_bytes(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AlertFileError(line, "not valid UTF-8") from None
    return parse(text)


def source_id(record: dict, file_name: str = "") -> str:
    """The watcher's idempotency key: a hash of the file's name and its normalised record.

    The same file sent twice (a retry after a crash, the same CSV split again)
    gets the same key; two files that happen to hold equal alerts do not.
    """
    canonical = "\x1f".join([file_name] + [record[f] for f in FIELDS])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
