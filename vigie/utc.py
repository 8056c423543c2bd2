"""UTC moments as the ISO 8601 text Vigie stores and shows.

One spelling everywhere: UTC, whole seconds, "+00:00" (2026-11-22T10:15:03+00:00),
so such texts sort in time order and compare as strings.
"""

from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO text, to the second."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def now_iso() -> str:
    """The current time as UTC ISO text, to the second."""
    return iso(datetime.now(timezone.utc))


def iso_from_unix(seconds: float) -> str:
    """A unix time (seconds since 1970, UTC) as UTC ISO text, to the second (truncated)."""
    return iso(datetime.fromtimestamp(seconds, timezone.utc))


def unix_from_iso(text):
    """The unix time of an ISO 8601 text with an offset (or Z); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None
