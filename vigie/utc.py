"""UTC moments as the ISO 8601 text Vigie stores and shows, and their arithmetic.

One spelling everywhere: UTC, whole seconds, "+00:00" (2026-11-22T10:15:03+00:00),
so such texts sort in time order and compare as strings. The alert record keeps a
fraction of a second when it was given one (`iso_exact`); the device logs write
milliseconds and a "Z" (`iso_millis_from_unix`). Every reading of ISO text
(`parse`, `unix_from_iso`) and every conversion between unix time and a moment is
here; nobody else calls `datetime.fromisoformat`.
"""

import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache

# Why a text names no moment (TimeTextError.reason).
NOT_ISO, NO_OFFSET, OUT_OF_RANGE = "not ISO 8601", "no UTC offset", "out of range in UTC"


class TimeTextError(ValueError):
    """A text that names no moment; `reason` is NOT_ISO, NO_OFFSET or OUT_OF_RANGE."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO text, to the second."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def iso_exact(moment: datetime) -> str:
    """An aware datetime as UTC ISO text, to the second unless it has microseconds."""
    return moment.astimezone(timezone.utc).isoformat()


def now_iso() -> str:
    """The current time as UTC ISO text, to the second."""
    return iso(datetime.now(timezone.utc))


def moment_from_unix(seconds: float) -> datetime:
    """A unix time (seconds since 1970, UTC) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, timezone.utc)


def iso_from_unix(seconds: float) -> str:
    """A unix time (seconds since 1970, UTC) as UTC ISO text, to the second (truncated)."""
    return iso(moment_from_unix(seconds))


@lru_cache(maxsize=64)
def _utc_second(second: int) -> str:
    return moment_from_unix(second).strftime("%Y-%m-%dT%H:%M:%S")


def iso_millis_from_unix(seconds: float) -> str:
    """A unix time as ISO 8601 in UTC to the millisecond, the device logs' spelling:
    2026-11-22T10:15:03.250Z."""
    second = math.floor(seconds)
    return f"{_utc_second(second)}.{min(999, int((seconds - second) * 1000)):03d}Z"


def parse(text: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text with an offset (or Z, z); surrounding white
    space is ignored. Raise TimeTextError saying why it names no moment."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeTextError(NOT_ISO) from None
    if moment.tzinfo is None:
        raise TimeTextError(NO_OFFSET)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 falls off the calendar in UTC
        raise TimeTextError(OUT_OF_RANGE) from None


def unix_from_iso(text):
    """The unix time of an ISO 8601 text with an offset (or Z); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return parse(text).timestamp()
    except TimeTextError:
        return None


def plus_seconds(moment: str, seconds: float) -> str:
    """The UTC ISO text `seconds` after (or before, when negative) the moment `moment` names."""
    return iso_exact(parse(moment) + timedelta(seconds=seconds))
