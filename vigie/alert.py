"""The alert record every part agrees on (docs/DESIGN.md), and its checks.

Pure functions: they take values and return a normalised value or raise
AlertError naming the field, so the API, the alert-file reader and the
generator reject bad input the same way.
"""

import re
from datetime import datetime

from vigie import utc
from vigie.errors import InputError
from vigie.severity import ALIASES as SEVERITY_ALIASES, SEVERITIES, in_words  # noqa: F401 (SEVERITIES: part of the record)

FIELDS = ("timestamp", "server", "severity", "message", "provider", "application", "environment")

MAX_TEXT = 2000


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


def normalize_alert(record: dict) -> dict:
    """Check and normalise the seven fields of a record; raise AlertError on the first bad one."""
    if not isinstance(record, dict):
        raise AlertError(None, "an alert must be a JSON object")
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise AlertError(missing[0], f"missing field {missing[0]!r}")
    return {
        "timestamp": normalize_timestamp(record["timestamp"]),
        "server": clean_text("server", record["server"]),
        "severity": normalize_severity(record["severity"]),
        "message": clean_text("message", record["message"]),
        "provider": clean_text("provider", record["provider"], required=False),
        "application": clean_text("application", record["application"], required=False),
        "environment": clean_text("environment", record["environment"], required=False).lower(),
    }
