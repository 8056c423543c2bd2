"""The alert record every part agrees on (docs/DESIGN.md), and its checks.

Pure functions: they take values and return a normalised value or raise
AlertError naming the field, so the API, the alert-file reader and the
generator reject bad input the same way.
"""

import re
from datetime import datetime, timezone

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


def parse_timestamp(value) -> datetime:
    """ISO 8601 with an offset (or Z) to an aware UTC datetime."""
    if not isinstance(value, str):
        raise AlertError("timestamp", f"timestamp must be a string, not {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AlertError("timestamp", f"timestamp {value!r} is not ISO 8601 (e.g. 2026-11-22T10:15:03+00:00)") from None
    if moment.tzinfo is None:
        raise AlertError("timestamp", f"timestamp {value!r} has no UTC offset (add +00:00 or Z)")
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 falls off the calendar in UTC
        raise AlertError("timestamp", f"timestamp {value!r} is out of range once converted to UTC") from None


def format_timestamp(moment: datetime) -> str:
    """UTC, second precision unless there are microseconds, with +00:00."""
    return moment.astimezone(timezone.utc).isoformat()


# The form format_timestamp writes when there is no fraction of a second.
_STORED_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00")


def normalize_timestamp(value) -> str:
    if type(value) is str and len(value) == 25 and _STORED_FORM.fullmatch(value):
        # already in the stored form (what senders send most): only its date and time need checking
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass  # the full path says what is wrong
    return format_timestamp(parse_timestamp(value))


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
