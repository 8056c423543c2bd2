"""The alert record every part agrees on (docs/DESIGN.md), and its checks.

Pure functions: they take values and return a normalised value or raise
AlertError naming the field, so the API, the alert-file reader and the
generator reject bad input the same way. `NORMALIZERS` holds each field's rule,
the seven and the two a sender may add (fingerprint, timeout); `normalize_record`
applies them to a whole record.
"""

import re
from datetime import datetime

from vigie import utc
from vigie.errors import InputError
from vigie.severity import ALIASES as SEVERITY_ALIASES, SEVERITIES, in_words  # noqa: F401 (SEVERITIES: part of the record)

FIELDS = ("timestamp", "server", "severity", "message", "provider", "application", "environment")

EXTRAS = ("fingerprint", "timeout")   # what a sender may add to the seven
MAX_TEXT = 2000
MAX_FINGERPRINT = 200
MAX_TIMEOUT_SECONDS = 366 * 24 * 3600


class AlertError(InputError):
    """A bad alert value; `field` names the field concerned."""


def normalize_severity(value) -> str:
    if not isinstance(value, str):
        raise AlertError("severity", f"severity must be a string, not {type(value).__name__}")
    key = value.strip().lower()
    if key not in SEVERITY_ALIASES:
        raise AlertError("severity", f"unknown severity {value!r}: expected {in_words()}")
    return SEVERITY_ALIASES[key]


def parse_timestamp(value, field: str = "timestamp") -> datetime:
    """ISO 8601 with an offset (or Z) to an aware UTC datetime; AlertError naming `field`."""
    if not isinstance(value, str):
        raise AlertError(field, f"{field} must be a string, not {type(value).__name__}")
    try:
        return utc.parse(value)
    except utc.TimeTextError as exc:
        raise AlertError(field, _TIME_PROBLEMS[exc.reason].format(field=field, value=value)) from None


_TIME_PROBLEMS = {
    utc.NOT_ISO: "{field} {value!r} is not ISO 8601 (e.g. 2026-11-22T10:15:03+00:00)",
    utc.NO_OFFSET: "{field} {value!r} has no UTC offset (add +00:00 or Z)",
    utc.OUT_OF_RANGE: "{field} {value!r} is out of range once converted to UTC",
}

# The form utc.iso_exact writes when there is no fraction of a second.
_STORED_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00")


def normalize_timestamp(value, field: str = "timestamp") -> str:
    """The stored form (UTC ISO text, utc.iso_exact) of a time; AlertError naming `field`."""
    if type(value) is str and len(value) == 25 and _STORED_FORM.fullmatch(value):
        # already in the stored form (what senders send most): only its date and time need checking
        try:
            utc.parse(value)
            return value
        except utc.TimeTextError:
            pass  # the full path says what is wrong
    return utc.iso_exact(parse_timestamp(value, field))


def clean_text(field: str, value, required: bool = True) -> str:
    if not isinstance(value, str):
        raise AlertError(field, f"{field} must be a string, not {type(value).__name__}")
    text = value
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    text = text.strip()
    if required and not text:
        raise AlertError(field, f"{field} must not be empty")
    if len(text) > MAX_TEXT:
        raise AlertError(field, f"{field} is longer than {MAX_TEXT} characters")
    return text


def normalize_fingerprint(value):
    """A sender's own deduplication key (None: the default one is made)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AlertError("fingerprint", "fingerprint must be a non-empty string")
    text = value.strip()
    if len(value) > MAX_FINGERPRINT or "\n" in text or "\r" in text:
        raise AlertError("fingerprint", f"fingerprint must be one line of at most {MAX_FINGERPRINT} characters")
    return text


def normalize_timeout(value):
    """Seconds after which an alert not seen again resolves (None: never)."""
    if value is None:
        return None
    value = whole_number(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT_SECONDS:
        raise AlertError("timeout", f"timeout must be a whole number of seconds from 1 to {MAX_TIMEOUT_SECONDS}")
    return value


def whole_number(value):
    """JSON's 60.0 is the integer 60 (as JSON Schema says); anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def parse_seconds(text: str):
    """'3600' -> 3600 (anything else is left for normalize_timeout to refuse)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else text


# Each field's rule: the seven, then the two a sender may add.
NORMALIZERS = {
    "timestamp": normalize_timestamp,
    "server": lambda value: clean_text("server", value),
    "severity": normalize_severity,
    "message": lambda value: clean_text("message", value),
    "provider": lambda value: clean_text("provider", value, required=False),
    "application": lambda value: clean_text("application", value, required=False),
    "environment": lambda value: clean_text("environment", value, required=False).lower(),
    "fingerprint": normalize_fingerprint,
    "timeout": normalize_timeout,
}


def normalize_alert(record: dict) -> dict:
    """Check and normalise the seven fields of a record; raise AlertError on the first bad one."""
    if not isinstance(record, dict):
        raise AlertError(None, "an alert must be a JSON object")
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise AlertError(missing[0], f"missing field {missing[0]!r}")
    return {field: NORMALIZERS[field](record[field]) for field in FIELDS}


def machine_record(machine: str, tags: dict, timestamp: str, severity: str, message: str,
                   fingerprint: str = None) -> dict:
    """The record of an alert Vigie raises about one of its machines (a poll's event, a
    device's syslog message or trap): the machine as the server, its tags (the machine
    file's) as provider, application and environment, and the fingerprint when given."""
    record = {"timestamp": timestamp, "server": machine, "severity": severity, "message": message,
              "provider": tags.get("provider", ""), "application": tags.get("application", ""),
              "environment": tags.get("environment", "")}
    if fingerprint is not None:
        record["fingerprint"] = fingerprint
    return record


def normalize_record(record: dict) -> dict:
    """The seven fields normalised, then the fingerprint and the timeout (seconds) the record
    gives; raise AlertError on the first bad one."""
    alert = normalize_alert(record)
    for field in EXTRAS:
        if field in record:
            alert[field] = NORMALIZERS[field](record[field])
    return alert
