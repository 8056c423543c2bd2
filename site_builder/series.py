"""Graph data for the machine pages, packed small.

A graph's data come in two files (site_builder/graphs.py): the fine rows of
its last day, and the coarse rows (week, month, year archives) before them.
`merge_archives` joins coarse archives into one time line using the finest
available for each period, so one graph with day / week / month / year range
buttons shows all of it. The files write timestamps as runs of (start, step,
count) and each value column as little-endian unsigned 16-bit integers scaled
to the column's maximum, base64 encoded: 2 bytes a point instead of ~8 for
decimal JSON, with a precision of 1/65534 of the column's peak, far below a
pixel. 0xFFFF marks a gap (null). graphs.js unpacks them.

Gaps are explicit: a row stands for [t, t + step) of its archive (the poll
interval for fine rows); where the next row starts a whole step or more after
that period ends, nothing was measured in between (the collector was stopped,
or no poll reached a coarse bucket), and a row of nulls is put at the period's
end. A device that does not answer leaves rows of nulls itself. So a graph
never joins two measures across an outage: every reader draws a null as a gap.
"""

import base64
import math
import sys
from array import array
from operator import itemgetter

ARCHIVES = ("day", "week", "month", "year")   # finest first; "day" is the fine archive
GAP = 0xFFFF
TOP = GAP - 1
_time = itemgetter(0)


def archive_step(rows, steps: dict, name: str) -> int:
    """The archive's step in seconds: from the sample file's "archives", else from its rows."""
    step = (steps or {}).get(name)
    if step:
        return int(step)
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:]) if b[0] > a[0]]
    return min(gaps) if gaps else 0


def merged_with_steps(archives: dict, steps: dict = None) -> list:
    """[(archive step, rows)], oldest archive first: the finest archive used for each period.

    `archives` maps day/week/month/year to lists of rows [unix_ts, v1, v2, ...], a row
    standing for [ts, ts + step). A coarse row is kept only when its whole period ends
    before the finer data starts: the current, partly filled day of the year archive
    would otherwise paint a day's worth of traffic that was never seen.
    """
    merged, cutoff = [], math.inf
    for name in ARCHIVES:
        rows = [r for r in archives.get(name) or () if r and r[0] is not None]
        rows.sort(key=_time)
        step = archive_step(rows, steps, name)
        older = [r for r in rows if r[0] + step <= cutoff] if merged else rows
        if older:
            merged.insert(0, (step, older))
            cutoff = older[0][0]
    return merged


def merge_archives(archives: dict, steps: dict = None) -> tuple:
    """(rows, fine_count): rows sorted by time, the finest archive used for each period
    (merged_with_steps); fine_count is how many of the newest rows come from the finest
    archive present."""
    parts = merged_with_steps(archives, steps)
    return [r for _, rows in parts for r in rows], len(parts[-1][1]) if parts else 0


def gap_after(t, next_t, step) -> bool:
    """Whether nothing was measured between a row at t, standing for [t, t + step), and
    the next row at next_t: a whole step or more without a row after that period."""
    return step > 0 and next_t - t >= 2 * step


def gap_row(row: list, step) -> list:
    """The row of nulls that marks a gap after `row`, at the end of its period."""
    return [row[0] + step] + [None] * (len(row) - 1)


def with_gaps(parts, until=None) -> list:
    """The rows of [(step, rows)] (in time order) with a gap_row where nothing was measured
    between two rows, and after the last one when `until` (where the next rows start,
    or now) is a gap away."""
    out, previous = [], None
    for step, rows in parts:
        for row in rows:
            if previous is not None and gap_after(previous[1][0], row[0], previous[0]):
                out.append(gap_row(previous[1], previous[0]))
            out.append(row)
            previous = (step, row)
    if previous is not None and until is not None and gap_after(previous[1][0], until, previous[0]):
        out.append(gap_row(previous[1], previous[0]))
    return out


def time_runs(timestamps) -> list:
    """[[start, step, count], ...]: runs of evenly spaced timestamps, oldest first."""
    runs = []
    start = step = count = None
    for ts in timestamps:
        ts = int(ts)
        if count is None:
            start, step, count = ts, 0, 1
        elif count == 1:
            step, count = ts - start, 2
        elif ts - start == step * count:
            count += 1
        else:
            runs.append([start, step, count])
            start, step, count = ts, 0, 1
    if count is not None:
        runs.append([start, step, count])
    return runs


def expand_runs(runs) -> list:
    return [start + step * i for start, step, count in runs for i in range(count)]


def _finite(value):
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def pack_u16(values) -> dict:
    """{"scale": s, "data": base64}: value = u16 * s; 0xFFFF is a gap. A column with values
    under zero (a temperature outdoors, an optical power in dBm) adds "offset", its least
    value: value = u16 * s + offset.

    Values are numbers or None (what json.loads gives); NaN and infinities are gaps.
    `v - v == 0` is false exactly for NaN and infinities, and cheap."""
    finite = [v for v in values if v is not None and v - v == 0]
    low = min(finite, default=0.0)
    if low < 0:
        packed = pack_u16([None if v is None or v - v != 0 else v - low for v in values])
        return dict(packed, offset=low)
    peak = max(finite, default=0.0)
    scale = peak / TOP if peak > 0 else 1.0
    inverse = 1.0 / scale
    packed = array("H", [GAP if v is None or v - v != 0 else 0 if v <= 0 else int(v * inverse + 0.5)
                         for v in values])
    if sys.byteorder != "little":
        packed.byteswap()
    return {"scale": scale, "data": base64.b64encode(packed.tobytes()).decode("ascii")}


def unpack_u16(packed: dict) -> list:
    """The inverse of pack_u16 (tests and tools; the browser does it in graphs.js)."""
    raw = array("H")
    raw.frombytes(base64.b64decode(packed["data"]))
    if sys.byteorder != "little":
        raw.byteswap()
    offset = packed.get("offset", 0)
    return [None if v == GAP else v * packed["scale"] + offset for v in raw]


def _pack_columns(rows: list, names: tuple) -> dict:
    data = {"runs": time_runs(r[0] for r in rows), "points": len(rows)}
    for i, name in enumerate(names, start=1):
        data[name] = pack_u16([r[i] if len(r) > i else None for r in rows])
    return data


def fine_layout(times: list, step: int = 0) -> tuple:
    """(time runs, order) of fine rows at `times` polled every `step` seconds: the runs of
    the rows in time order with their gaps, and for each point the index of its row in
    `times` (None for a gap). A machine's graphs share their times: this is worked out
    once for all of them."""
    rows = with_gaps([(step, sorted(([t, i] for i, t in enumerate(times)), key=_time))])
    return time_runs(r[0] for r in rows), [r[1] for r in rows]


def fine_packed(layout: tuple, columns: dict) -> dict:
    """{"runs", "points", <name>: packed, ...}: each column of values (one for each time
    given to fine_layout) packed in the layout's order."""
    runs, order = layout
    data = {"runs": runs, "points": len(order)}
    identity = order == list(range(len(order)))
    for name, values in columns.items():
        data[name] = pack_u16(values if identity else [None if i is None else values[i] for i in order])
    return data


def fine_series(rows: list, interface: bool = True, step: int = 0) -> dict:
    """A graph's fine rows [t, in, out] (interface) or [t, value] polled every `step`
    seconds, packed with their gaps: {"runs", "points", "in", "out"} or {"runs", "points", "avg"}."""
    names = ("in", "out") if interface else ("avg",)
    return fine_packed(fine_layout([r[0] for r in rows], step),
                       {name: [r[i] if len(r) > i else None for r in rows] for i, name in enumerate(names, start=1)})


def coarse_series(archives: dict, steps: dict, until: int, interface: bool = True) -> dict:
    """A graph's week, month and year rows ([t, in avg, out avg, in max, out max] or
    [t, avg, max]) whose period ends by `until` (where the fine rows start), merged finest
    first and packed with their peaks: {"runs", "points", "in", "out", "in_max", "out_max"}
    or {"runs", "points", "avg", "max"}."""
    ended = {name: [r for r in rows or () if r and r[0] is not None and r[0] + (steps or {}).get(name, 0) <= until]
             for name, rows in archives.items()}
    rows = with_gaps(merged_with_steps(ended, steps), until)
    return _pack_columns(rows, ("in", "out", "in_max", "out_max") if interface else ("avg", "max"))


def last_value(rows):
    for row in reversed(rows or ()):
        if len(row) > 1 and _finite(row[1]):
            return row
    return None
