"""One samples file per machine (data/samples/<name>.json), bounded like MRTG's log.

Each series keeps four archives: "day" at the poll step, then "week" (30 min),
"month" (2 h) and "year" (1 day, two years kept). Every new point is folded
into the current row of each archive as a running average and a maximum, so
the coarse rows are exact averages of the fine points they cover, and each
archive keeps a fixed number of rows: the file stays the same size after a
week or after ten years. Only the collector writes the file, atomically;
readers (status, the site builder) call `read_samples` and never need the
collector running.

Interface rows are `[unix_ts, in_avg, out_avg, in_max, out_max]`, extra OID
rows `[unix_ts, avg, max]`; a null is a gap (device down, reboot, wrap we
could not trust).
"""

import json
from pathlib import Path

from vigie.atomic import atomic_write_bytes
from vigie.utc import now_iso

try:   # ten times faster than the json module on a year of rows; the format is the same
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    orjson = None

FORMAT = 1
ARCHIVE_NAMES = ("day", "week", "month", "year")
COARSE_ARCHIVES = {"week": (1800, 336), "month": (7200, 372), "year": (86400, 730)}
DAY_SECONDS = 86400
MAX_EVENTS = 200


class SamplesError(ValueError):
    """A samples file that cannot be read; names the file."""


def archive_layout(interval_seconds: int) -> dict:
    """Step and row count of each archive for a machine polled every interval_seconds."""
    step = int(interval_seconds)
    layout = {"day": {"step": step, "rows": max(1, DAY_SECONDS // step)}}
    for name, (coarse_step, rows) in COARSE_ARCHIVES.items():
        layout[name] = {"step": coarse_step, "rows": rows}
    return layout


def empty_samples(machine: str, interval_seconds: int = 60) -> dict:
    return {
        "format": FORMAT, "machine": machine, "updated": None,
        "status": {"state": "unknown", "since": None, "last_seen": None, "uptime_seconds": None,
                   "consecutive_failures": 0, "last_error": None, "sys_name": None, "sys_descr": None},
        "archives": archive_layout(interval_seconds),
        "interfaces": [], "series": {}, "oids": {}, "events": [], "state": {},
    }


def compact_number(value):
    """Short JSON numbers: integers for large values, three decimals for small ones."""
    if value is None:
        return None
    return round(value) if abs(value) >= 1000 else round(value, 3)


def add_point(rows: list, counts, ts: float, values: list, step: int, max_rows: int):
    """Fold one point into an archive's rows (in place); return the new running counts.

    `counts` is `[bucket_ts, n_1, ..., n_k]`: how many non-null values the last
    row's averages hold. A point older than the last row is ignored.
    """
    k = len(values)
    bucket = int(ts // step * step)
    if rows and rows[-1][0] > bucket:
        return counts
    if rows and rows[-1][0] == bucket and counts and counts[0] == bucket:
        row, counts = rows[-1], list(counts)
        for i, value in enumerate(values):
            if value is None:
                continue
            counts[1 + i] += 1
            avg, peak = row[1 + i], row[1 + k + i]
            row[1 + i] = compact_number(value if avg is None else avg + (value - avg) / counts[1 + i])
            row[1 + k + i] = compact_number(value if peak is None else max(peak, value))
    else:
        shown = [compact_number(v) for v in values]
        rows.append([bucket] + shown + list(shown))
        counts = [bucket] + [0 if v is None else 1 for v in values]
    trim_rows(rows, bucket, step, max_rows)
    return counts


def trim_rows(rows: list, newest_bucket: int, step: int, max_rows: int) -> None:
    oldest_kept = newest_bucket - (max_rows - 1) * step
    drop = 0
    while drop < len(rows) and rows[drop][0] < oldest_kept:
        drop += 1
    if len(rows) - drop > max_rows:
        drop = len(rows) - max_rows
    del rows[:drop]


def add_to_archives(archives: dict, series: dict, counts: dict, ts: float, values: list) -> None:
    """Fold one point into every archive of one series (series and counts change in place)."""
    for name in ARCHIVE_NAMES:
        step, max_rows = archives[name]["step"], archives[name]["rows"]
        rows = series.setdefault(name, [])
        counts[name] = add_point(rows, counts.get(name), ts, values, step, max_rows)


def _counts(samples: dict, key: str) -> dict:
    return samples.setdefault("state", {}).setdefault("consolidation", {}).setdefault(key, {})


def add_interface_point(samples: dict, if_index, ts: float, in_bps, out_bps) -> None:
    series = samples["series"].setdefault(str(if_index), {})
    add_to_archives(samples["archives"], series, _counts(samples, f"if:{if_index}"), ts, [in_bps, out_bps])


def add_oid_point(samples: dict, name: str, ts: float, value, oid_type="gauge", unit=None) -> None:
    entry = samples["oids"].setdefault(name, {"type": oid_type, "unit": unit, "last": None})
    entry["type"], entry["unit"] = oid_type, unit
    if value is not None:
        entry["last"] = compact_number(value)
    add_to_archives(samples["archives"], entry, _counts(samples, f"oid:{name}"), ts, [value])


def set_interval(samples: dict, interval_seconds: int) -> None:
    """Adopt a new poll interval: the day archive's step follows it."""
    samples["archives"] = archive_layout(interval_seconds)


def keep_only_interfaces(samples: dict, if_indexes) -> None:
    """Forget series and counters of interfaces no longer watched, so the file stays bounded."""
    wanted = {str(i) for i in if_indexes}
    for key in list(samples["series"]):
        if key not in wanted:
            del samples["series"][key]
    consolidation = samples.get("state", {}).get("consolidation", {})
    for key in list(consolidation):
        if key.startswith("if:") and key[3:] not in wanted:
            del consolidation[key]


def keep_only_oids(samples: dict, names) -> None:
    for name in list(samples["oids"]):
        if name not in names:
            del samples["oids"][name]
            samples.get("state", {}).get("consolidation", {}).pop(f"oid:{name}", None)


def add_event(samples: dict, event: dict) -> None:
    events = samples.setdefault("events", [])
    events.append(event)
    del events[:-MAX_EVENTS]


def samples_path(samples_dir, machine: str) -> Path:
    return Path(samples_dir) / f"{machine}.json"


def dumps(samples: dict) -> bytes:
    if orjson is not None:
        return orjson.dumps(samples)
    return json.dumps(samples, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes):
    return orjson.loads(data) if orjson is not None else json.loads(data)


def write_samples(path, samples: dict) -> None:
    samples["updated"] = now_iso()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, dumps(samples) + b"\n")


def read_samples(path) -> dict:
    """The samples of one machine; an empty record (state "unknown") when none were written yet.

    Raise SamplesError naming the file when it is not a samples file.
    """
    path = Path(path)
    try:
        data = loads(path.read_bytes())
    except FileNotFoundError:
        return empty_samples(path.stem)
    except (OSError, ValueError) as exc:
        raise SamplesError(f"{path}: cannot read samples: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SamplesError(f"{path}: not a samples file of format {FORMAT}")
    for key, value in empty_samples(path.stem).items():
        data.setdefault(key, value)
    return data
