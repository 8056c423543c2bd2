"""Traffic volume of an interface, from the samples' daily averages.

The year archive keeps, for each UTC day, the average rate in and out of every
interface: a day's volume is that average times the day's length, in bytes. The
volume "of the day" is the last whole UTC day's; "of the month" adds the whole days
of the current calendar month (UTC) so far. Pure functions on the archive's lines.
"""

from datetime import datetime, timezone

from vigie.samples import IN_AVG, OUT_AVG
from vigie.utc import moment_from_unix

DAY_SECONDS = 86400


def day_bytes(avg_bps) -> float:
    return None if avg_bps is None else avg_bps * DAY_SECONDS / 8


def month_start(now: float) -> int:
    moment = moment_from_unix(now)
    return int(datetime(moment.year, moment.month, 1, tzinfo=timezone.utc).timestamp())


def volumes(year_lines: list, now: float) -> dict:
    """{interface key: {"day": [in, out], "month": [in, out]}} in bytes, from the year
    archive's lines (one per whole UTC day, oldest first): yesterday's (UTC), and the
    whole days of this month so far. What is not known is None."""
    first, last_day = month_start(now), yesterday(now)
    found = {}
    for line in year_lines:
        for key, row in (line.get("if") or {}).items():
            entry = found.setdefault(key, {"day": [None, None], "month": [None, None]})
            values = [day_bytes(row[IN_AVG]) if len(row) > IN_AVG else None,
                      day_bytes(row[OUT_AVG]) if len(row) > OUT_AVG else None]
            if line["t"] == last_day:
                entry["day"] = values
            if line["t"] >= first:
                entry["month"] = [m if v is None else (m or 0) + v for m, v in zip(entry["month"], values)]
    return found


def yesterday(now: float) -> int:
    """The start of the last whole UTC day."""
    return int(now // DAY_SECONDS) * DAY_SECONDS - DAY_SECONDS


def since(now: float) -> int:
    """The first day the volumes need: the start of the month, or of yesterday when the
    month began today."""
    return min(month_start(now), yesterday(now))
