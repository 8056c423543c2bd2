"""The one-alert-per-file text format of docs/DESIGN.md.

Seven `Key : value` lines in a fixed order. `render` and `parse` are pure: text
in, record or reason out, so the watcher, the collector and the tests share one
definition, and the bash splitter's output round-trips through `parse` exactly.
"""

import hashlib

from vigie.alert import FIELDS, AlertError, normalize_alert

KEYS = ("Date", "Serveur", "Criticité", "Message", "Infogerant", "Application", "Environnement")
KEY_TO_FIELD = dict(zip(KEYS, FIELDS))


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
    """The file text for a record holding the seven fields (values used as given)."""
    return "".join(f"{key} : {one_line(str(record[field]))}\n" for key, field in zip(KEYS, FIELDS))


def parse_raw(text: str) -> dict:
    """The seven values as written, checking only the layout; raise AlertFileError."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(KEYS):
        raise AlertFileError(None, f"expected {len(KEYS)} lines, found {len(lines)}")
    record = {}
    for number, (line, key) in enumerate(zip(lines, KEYS), start=1):
        if "\r" in line:
            raise AlertFileError(number, "stray carriage return inside a line")
        name, sep, value = line.partition(" :")
        if not sep or name != key:
            raise AlertFileError(number, f"expected '{key} : <value>', found {line[:60]!r}")
        if value and not value.startswith(" "):
            raise AlertFileError(number, f"expected a space after '{key} :'")
        record[KEY_TO_FIELD[key]] = value[1:].rstrip(" \t")
    return record


def parse(text: str) -> dict:
    """A normalised alert record (vigie.alert.normalize_alert) from file text."""
    record = parse_raw(text)
    try:
        return normalize_alert(record)
    except AlertError as exc:
        line = FIELDS.index(exc.field) + 1 if exc.field in FIELDS else None
        raise AlertFileError(line, exc.message) from None


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
