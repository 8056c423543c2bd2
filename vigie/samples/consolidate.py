"""From fine lines to coarse lines: pure functions on literal lines.

A coarse bucket [t, t + step) is consolidated once, after it has closed, from
the fine lines it covers: the average of each value over the polls that got
one (gaps left out) and its maximum; a UTC day adds its 95th percentiles. A
bucket with no fine line gets no line (a gap).

Every machine's buckets close at the same instant, so each machine waits its
own fixed delay after the close (`stagger_seconds`, from its name) before
consolidating: a fleet's work is spread over the following minutes instead of
landing on one poll.
"""

import zlib

from vigie.samples import percentile
from vigie.samples.format import (AVG, DAY_SECONDS, IN, IN_AVG, IN_MAX, IN_P95, IN_P95_MONTH, MAX, OUT, OUT_AVG,
                                  OUT_MAX, OUT_P95, OUT_P95_MONTH, compact_number, iso)

MAX_STAGGER_SECONDS = 3600


def bucket_start(ts, step: int) -> int:
    return int(ts // step * step)


def stagger_seconds(machine: str, what: str, span: int) -> int:
    """A delay in [0, span) fixed for this machine and this kind of work."""
    if span <= 0:
        return 0
    return zlib.crc32(f"{machine}\0{what}".encode()) % int(span)


def consolidation_delay(machine: str, archive: str, step: int) -> int:
    return stagger_seconds(machine, archive, min(step // 2, MAX_STAGGER_SECONDS))


def due_range(done_until, now_ts, step: int, delay: int):
    """(start, end) of the closed buckets not consolidated yet whose delay has passed, or None.

    `done_until` is the end of the last consolidated bucket (None: nothing yet)."""
    end = bucket_start(now_ts - delay, step)
    if done_until is None or end <= done_until:
        return None
    return int(done_until), end


def summarise(values):
    """(average, maximum) of the non-null values, or (None, None)."""
    found = [v for v in values if v is not None]
    if not found:
        return None, None
    return compact_number(sum(found) / len(found)), compact_number(max(found))


def interface_values(lines: list) -> dict:
    """{interface: ([in values], [out values])} over fine lines, gaps left out."""
    series = {}
    for line in lines:
        for key, pair in (line.get("if") or {}).items():
            if not pair:
                continue
            both = series.get(key)
            if both is None:
                both = series[key] = ([], [])
            if pair[IN] is not None:
                both[0].append(pair[IN])
            if pair[OUT] is not None:
                both[1].append(pair[OUT])
    return series


def oid_values(lines: list, section: str = "oid") -> dict:
    """{name: [values]} of one section of scalar values ("oid", "health") over fine lines."""
    series = {}
    for line in lines:
        for name, value in (line.get(section) or {}).items():
            found = series.setdefault(name, [])
            if value is not None:
                found.append(value)
    return series


def interface_row(ins: list, outs: list) -> list:
    """[in avg, out avg, in max, out max] from the values of a bucket."""
    row = [None] * 4
    row[IN_AVG], row[IN_MAX] = summarise(ins)
    row[OUT_AVG], row[OUT_MAX] = summarise(outs)
    return row


def oid_row(values) -> list:
    row = [None, None]
    row[AVG], row[MAX] = summarise(values)
    return row


def coarse_line(t: int, lines: list) -> dict:
    """The coarse line of bucket t from the fine lines it covers."""
    line = {"t": t, "if": {k: interface_row(*v) for k, v in interface_values(lines).items()},
            "oid": {k: oid_row(v) for k, v in oid_values(lines).items()}}
    return with_health(line, lines)


def with_health(line: dict, lines: list) -> dict:
    """The coarse line with its health metrics' [avg, max], when the fine lines have some."""
    health = oid_values(lines, "health")
    if health:
        line["health"] = {k: oid_row(v) for k, v in health.items()}
    return line


def group_by_bucket(lines: list, start: int, end: int, step: int) -> dict:
    """{bucket start: [lines]} for the lines in [start, end), in time order."""
    buckets = {}
    for line in lines:
        t = line.get("t")
        if isinstance(t, (int, float)) and start <= t < end:
            buckets.setdefault(bucket_start(t, step), []).append(line)
    return buckets


def day_line(t: int, lines: list, month: dict) -> tuple:
    """(the day's year line, the month's histograms with this day added).

    The line holds, beside averages and maxima, the day's exact 95th percentiles
    (plain sort of its fine samples) and the month's up to this day, read from
    its histograms. `month` is add_day_to_month's record (None: a new month)."""
    values = interface_values(lines)
    day_hist = {}
    line = with_health({"t": t, "if": {}, "oid": {k: oid_row(v) for k, v in oid_values(lines).items()}}, lines)
    for key, (ins, outs) in values.items():
        ins.sort()
        outs.sort()
        day_hist[key] = [percentile.sorted_histogram(ins), percentile.sorted_histogram(outs)]
        row = interface_row(ins, outs) + [None] * 4
        row[IN_P95] = compact_number(percentile.sorted_nearest_rank(ins))
        row[OUT_P95] = compact_number(percentile.sorted_nearest_rank(outs))
        line["if"][key] = row
    month = add_day_to_month(month, t, day_hist)
    for key, row in line["if"].items():
        both = month["if"].get(key) or [None, None]
        row[IN_P95_MONTH] = compact_number(percentile.histogram_percentile(both[IN]))
        row[OUT_P95_MONTH] = compact_number(percentile.histogram_percentile(both[OUT]))
    return line, month


def month_of(ts) -> str:
    return iso(ts)[:7]


def add_day_to_month(hist: dict, day_t: int, day: dict) -> dict:
    """The month's histograms with one more closed day (a new month starts afresh).

    `hist` is {"month": "YYYY-MM", "first_day", "through", "days", "if": {name: [in, out]}};
    a day already counted (day_t <= through) changes nothing, so a retry after a
    crash never counts a day twice."""
    month = month_of(day_t)
    if not hist or hist.get("month") != month:
        hist = {"month": month, "first_day": day_t, "through": None, "days": 0, "if": {}}
    if hist["through"] is not None and day_t <= hist["through"]:
        return hist
    merged = dict(hist["if"])
    for key, (h_in, h_out) in day.items():
        before = merged.get(key) or [None, None]
        merged[key] = [percentile.merge(before[IN], h_in), percentile.merge(before[OUT], h_out)]
    return dict(hist, through=day_t, days=hist["days"] + 1, **{"if": merged})


def peak_window(week_lines: list, until: int) -> dict:
    """{interface: [in max, out max]} over the 30 min buckets of the 24 h before `until`."""
    peaks = {}
    for line in week_lines:
        if not (until - DAY_SECONDS <= line.get("t", -1) < until):
            continue
        for key, row in (line.get("if") or {}).items():
            if not row or len(row) <= OUT_MAX:
                continue
            best = peaks.setdefault(key, [None, None])
            for i, column in ((IN, IN_MAX), (OUT, OUT_MAX)):
                if row[column] is not None and (best[i] is None or row[column] > best[i]):
                    best[i] = row[column]
    return peaks


def running_max(lines: list) -> dict:
    """{interface: [in max, out max]} over fine lines."""
    peaks = {}
    for key, (ins, outs) in interface_values(lines).items():
        peaks[key] = [max(ins, default=None), max(outs, default=None)]
    return peaks


def fold_max(peaks: dict, key: str, pair) -> None:
    best = peaks.setdefault(key, [None, None])
    for i in (IN, OUT):
        if pair[i] is not None and (best[i] is None or pair[i] > best[i]):
            best[i] = pair[i]
