"""The samples family on disk: the collector's load and save, and every reader's functions.

A poll costs its own bytes, whatever the history kept: one line appended to
the fine archive, now.json rewritten (a few kB), the head only when what it
holds changed. A coarse archive gets one line when one of its buckets closes;
each file is trimmed now and then by a rewrite without its oldest lines, at a
moment fixed per machine so that a fleet's rewrites spread out.

Crash safety: appends are whole lines (journal.py) and every rewrite is a temp
file renamed into place, so a kill -9 at any instant leaves files a reader
takes; the poll in flight may be lost, nothing older. A coarse line is
appended only after the last one in its file, so a consolidation cut short is
redone without a duplicate; the month's histograms are written before the
day's line and count a day once.

Only the collector writes here; it takes SamplesStore.lock() so two
collectors never write the same machines at once.
"""

import fcntl
import functools
import hashlib
import os
import time
from pathlib import Path

from vigie.atomic import atomic_rewrite, atomic_write_bytes
from vigie.utc import now_iso, unix_from_iso
from vigie.samples import consolidate, journal, states
from vigie.samples.percentile import busier
from vigie.samples.convert import from_format1
from vigie.samples.format import (COARSE_ARCHIVES, DAY_SECONDS, DISCOVERY_FILE, EVENTS_FILE, FINE, FORMAT,
                                  HEAD_SUFFIX, HIST_FILE, IN, IN_P95, IN_P95_MONTH, MAX_EVENTS, NOW_FILE, OUT,
                                  OUT_P95, OUT_P95_MONTH, STATES_FILE, WEEK, YEAR, MachineSamples, current_view,
                                  empty_head, empty_now, iso)

FINE_MARGIN_SECONDS = 3600             # fine lines kept beyond the day the graphs show
FINE_SLACK_SECONDS = (12 * 3600, 12 * 3600)  # before a fine archive is trimmed: 12 h + up to 12 h
EVENTS_TRIM_BYTES = 96 * 1024
LOCK_FILE = ".collector.lock"


class SamplesError(ValueError):
    """A samples file that cannot be read; names the file."""


class Family:
    """The paths of one machine's samples."""

    def __init__(self, samples_dir, machine: str):
        self.machine = machine
        self.samples_dir = Path(samples_dir)
        self.head = self.samples_dir / f"{machine}{HEAD_SUFFIX}"
        self.dir = self.samples_dir / machine
        self.now = self.dir / NOW_FILE
        self.events = self.dir / EVENTS_FILE
        self.states = self.dir / STATES_FILE
        self.discovery = self.dir / DISCOVERY_FILE
        self.hist = self.dir / HIST_FILE

    def archive(self, name: str) -> Path:
        return self.dir / f"{name}.jsonl"


def samples_path(samples_dir, machine: str) -> Path:
    """The head file of a machine's samples (what `collector.status` and the pages read first)."""
    return Family(samples_dir, machine).head


def _read_json(path, strict=True):
    """The JSON value of a file; None when it does not exist. Unreadable: SamplesError
    (strict) or None."""
    try:
        return journal.loads(Path(path).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        if strict:
            raise SamplesError(f"{path}: cannot read samples: {exc}") from None
        return None


def _write_json(path, value, sync: bool = False, often: bool = False) -> int:
    """Atomic; `sync` for what cannot be recomputed from the archives (the month's histograms),
    `often` for what is written again at every poll (now.json: vigie.atomic.atomic_rewrite)."""
    data = journal.dumps(value) + b"\n"
    if often:
        atomic_rewrite(path, data)
    else:
        atomic_write_bytes(path, data, sync=sync)
    return len(data)


def _check_head(path, data):
    """The head's value when it has the shape of a samples head (format 2, or 1 to convert);
    SamplesError naming the file and what is wrong otherwise."""
    if not isinstance(data, dict) or data.get("format") not in (1, FORMAT):
        raise SamplesError(f"{path}: not a samples file of format {FORMAT} (or 1)")
    problem = shape_problem(data)
    if problem:
        raise SamplesError(f"{path}: not a usable samples file: {problem}")
    return data


def shape_problem(data: dict):
    """What is wrong with a head's shape (the parts readers rely on), or None."""
    for key, kind in (("status", dict), ("interfaces", list), ("oids", dict), ("health", dict), ("state", dict),
                      ("archives", dict), ("series", dict), ("p95", dict), ("notices", list)):
        if key in data and not isinstance(data[key], kind):
            return f"{key} is not {'an object' if kind is dict else 'a list'}"
    name_key = "key" if data.get("format") == FORMAT else "name"
    for n, interface in enumerate(data.get("interfaces") or ()):
        if not isinstance(interface, dict) or not isinstance(interface.get(name_key), str) \
                or not isinstance(interface.get("index"), int):
            return f"interfaces[{n}] has no {name_key} and index"
    return None


def _head_digest(head: dict) -> bytes:
    """What tells whether the head changed since it was written (its time of writing
    aside): a digest, not its bytes, since a collector keeps one for every machine."""
    return hashlib.blake2b(journal.dumps({k: v for k, v in head.items() if k != "updated"}), digest_size=16).digest()


# ---------------------------------------------------------------- the collector's side

class SamplesStore:
    """The samples folder as the collector writes it."""

    def __init__(self, samples_dir):
        self.samples_dir = Path(samples_dir)
        self._lock_fds = []

    def lock(self, shard=None) -> None:
        """Take the folder for this process; raise SamplesError naming the holder when taken.

        Collectors sharing the folder by shards (--shard K/N) each take their shard's
        lock and share the folder's; a collector of every machine takes the folder's
        alone, so it never runs beside any other."""
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        fds = [self._take(LOCK_FILE, fcntl.LOCK_SH if shard else fcntl.LOCK_EX)]
        if shard:
            try:
                fds.append(self._take(f".collector-{shard[0]}-of-{shard[1]}.lock", fcntl.LOCK_EX))
            except SamplesError:
                os.close(fds[0])
                raise
        self._lock_fds = fds

    def _take(self, name: str, how: int) -> int:
        fd = os.open(self.samples_dir / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SamplesError(f"{self.samples_dir}: another collector (pid {holder}) is writing these samples")
        if how == fcntl.LOCK_EX:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    def unlock(self) -> None:
        for fd in self._lock_fds:
            os.close(fd)
        self._lock_fds = []

    def family(self, machine: str) -> Family:
        return Family(self.samples_dir, machine)

    def load(self, machine: str, interval_seconds: int = 60) -> MachineSamples:
        """The machine's samples; a format 1 file is converted on disk first.

        Raise SamplesError when the head cannot be read: the caller may set it aside
        and start a new one (the archives, kept by name, carry on)."""
        fam = self.family(machine)
        data = _read_json(fam.head)
        if data is None:
            return MachineSamples(machine, interval_seconds,
                                  discovery=_read_json(fam.discovery, strict=False))
        if _check_head(fam.head, data).get("format") == 1:
            return self.convert(fam, data)
        now = _read_json(fam.now, strict=False)
        record = MachineSamples(machine, interval_seconds, head=_with_defaults(data, machine),
                                now=dict(empty_now(), **now) if isinstance(now, dict) else None,
                                discovery=_read_json(fam.discovery, strict=False))
        record.head_digest = _head_digest(record.head)
        record.last_line = journal.last(fam.archive(FINE))
        return record

    def convert(self, fam: Family, data: dict) -> MachineSamples:
        """Write the format 2 family of a format 1 file; the head last, so a crash leaves
        the old file to convert again."""
        converted = from_format1(data)
        fam.dir.mkdir(parents=True, exist_ok=True)
        for name, lines in converted["archives"].items():
            journal.rewrite(fam.archive(name), lines)
        journal.rewrite(fam.events, converted["events"])
        if converted["discovery"]:
            _write_json(fam.discovery, converted["discovery"])
        _write_json(fam.now, converted["now"])
        head = converted["head"]
        head["updated"] = now_iso()
        _write_json(fam.head, head)
        record = MachineSamples(fam.machine, head=head, now=converted["now"], discovery=converted["discovery"])
        record.head_digest = _head_digest(head)
        record.last_line = converted["archives"][FINE][-1] if converted["archives"][FINE] else None
        return record

    def save(self, record: MachineSamples, now_ts: float = None) -> int:
        """Write what the last poll changed; return the bytes written."""
        now_ts = time.time() if now_ts is None else now_ts
        fam = self.family(record.machine)
        fam.dir.mkdir(parents=True, exist_ok=True)
        written = 0
        last_t = record.now.get("fine_t")
        fresh = []
        for line in record.fine:      # strictly increasing times: a clock set back loses polls, not order
            if last_t is not None and line["t"] == last_t:
                line = dict(line, t=last_t + 1)   # two polls in one second: the later one is kept a second on
            if last_t is None or line["t"] > last_t:
                fresh.append(line)
                last_t = line["t"]
        record.fine, record.now["fine_t"] = fresh, last_t
        if record.fine:
            record.last_line = record.fine[-1]
            written += journal.append(fam.archive(FINE), record.fine)
            first = record.state.setdefault("first", {})
            if first.get(FINE) is None:
                first[FINE] = journal.first_time(fam.archive(FINE))
            record.fine = []
        if record.events:
            written += self._append_events(fam, record.events)
            record.events = []
        if record.states:
            written += self._append_states(fam, record.states, now_ts)
            record.states = []
        if record.discovery_changed and record.discovery is not None:
            written += _write_json(fam.discovery, record.discovery)
            record.discovery_changed = False
        written += self._consolidate(fam, record, now_ts)
        written += self._trim(fam, record, now_ts)
        record.now["polled"] = iso(now_ts)
        written += _write_json(fam.now, record.now, often=True)
        head = _head_digest(record.head)
        if head != record.head_digest:
            record.head["updated"] = iso(now_ts)
            written += _write_json(fam.head, record.head)
            record.head_digest = head
        return written

    @staticmethod
    def _append_events(fam: Family, events: list) -> int:
        written = journal.append(fam.events, events)
        if os.path.getsize(fam.events) > EVENTS_TRIM_BYTES:
            written += journal.rewrite(fam.events, journal.read_all(fam.events)[-MAX_EVENTS:])
        return written

    @staticmethod
    def _append_states(fam: Family, lines: list, now_ts: float) -> int:
        """Append to the state history; cut it when its oldest line is past the time kept
        (and the slack), or when it grew past its bound in bytes."""
        written = journal.append(fam.states, lines)
        keep_from = int(now_ts - states.KEEP_SECONDS)
        first = journal.first_time(fam.states)
        too_old = first is not None and first < keep_from - states.TRIM_SLACK_SECONDS
        if too_old or os.path.getsize(fam.states) > states.MAX_BYTES:
            kept = [x for x in journal.read_all(fam.states) if states.is_mark(x)]
            cut = max(keep_from, 0 if too_old else states.cut_for_size(kept))
            written += journal.rewrite(fam.states, states.compact(kept, cut))
        return written

    def _consolidate(self, fam: Family, record: MachineSamples, now_ts: float) -> int:
        """Consolidate the closed buckets whose delay has passed, from the fine lines."""
        done = record.state.setdefault("consolidated", {})
        due = {}
        for archive, (step, _) in COARSE_ARCHIVES.items():
            if done.get(archive) is None:
                done[archive] = _first_bucket(fam, archive, step, now_ts)
            found = consolidate.due_range(done[archive], now_ts, step,
                                          consolidate.consolidation_delay(record.machine, archive, step))
            if found:
                due[archive] = found
        if not due:
            return 0
        lines = journal.read_since(fam.archive(FINE), min(start for start, _ in due.values()))
        written = 0
        for archive, (start, end) in due.items():
            step = COARSE_ARCHIVES[archive][0]
            buckets = consolidate.group_by_bucket(lines, start, end, step)
            after = (journal.last(fam.archive(archive)) or {}).get("t")
            todo = [t for t in sorted(buckets) if after is None or t > after]
            if archive == YEAR:
                new = self._year_lines(fam, record, todo, buckets)
            else:
                new = [consolidate.coarse_line(t, buckets[t]) for t in todo]
            written += journal.append(fam.archive(archive), new)
            done[archive] = end
            if archive == WEEK:
                week = journal.read_since(fam.archive(WEEK), end - DAY_SECONDS)
                record.state["peak_window"] = consolidate.peak_window(week, end)
                record.now["open_max"] = consolidate.running_max([x for x in lines if x.get("t", 0) >= end])
        return written

    def _year_lines(self, fam: Family, record: MachineSamples, days: list, buckets: dict) -> list:
        if not days:
            return []
        hist = _read_json(fam.hist, strict=False)
        lines = []
        for t in days:
            line, hist = consolidate.day_line(t, buckets[t], hist)
            lines.append(line)
        _write_json(fam.hist, hist, sync=True)
        record.head["p95"] = percentiles_of(lines[-1], hist)
        return lines

    def _trim(self, fam: Family, record: MachineSamples, now_ts: float) -> int:
        """Rewrite an archive without its oldest lines once it holds enough of them."""
        first = record.state.setdefault("first", {})
        done = record.state.get("consolidated") or {}
        fine = record.head["archives"][FINE]
        keep = [now_ts - fine["step"] * fine["rows"] - FINE_MARGIN_SECONDS] + [v for v in done.values() if v]
        plans = {FINE: (min(keep), FINE_SLACK_SECONDS[0] + consolidate.stagger_seconds(
            record.machine, FINE, FINE_SLACK_SECONDS[1]))}
        for archive, (step, rows) in COARSE_ARCHIVES.items():
            if done.get(archive):
                slack = step * (rows // 4 + consolidate.stagger_seconds(record.machine, archive, rows // 4))
                plans[archive] = (done[archive] - step * rows, slack)
        written = 0
        for archive, (keep_from, slack) in plans.items():
            if first.get(archive) is None:
                first[archive] = journal.first_time(fam.archive(archive))
            if first[archive] is not None and first[archive] < keep_from - slack:
                written += journal.drop_before(fam.archive(archive), keep_from)
                first[archive] = journal.first_time(fam.archive(archive))
        return written


def _first_bucket(fam: Family, archive: str, step: int, now_ts: float):
    """Where consolidation starts for an archive that has no cursor yet: after its
    last line, else at the first fine line's bucket, else now."""
    last = journal.last(fam.archive(archive))
    if last and isinstance(last.get("t"), (int, float)):
        return int(last["t"]) + step
    first = journal.first_time(fam.archive(FINE))
    return consolidate.bucket_start(first if first is not None else now_ts, step)


def _with_defaults(head: dict, machine: str) -> dict:
    for key, value in empty_head(machine).items():
        head.setdefault(key, value)
    for key, value in empty_head(machine)["state"].items():
        head["state"].setdefault(key, value)
    return head


def percentiles_of(year_line: dict, hist: dict) -> dict:
    """{interface: {"day": {...}, "month": {...}}} from a day's year line and the month's histograms."""
    out = {}
    day = iso(year_line["t"])[:10]
    for key, row in (year_line.get("if") or {}).items():
        row = list(row) + [None] * (8 - len(row))
        out[key] = {"day": {"date": day, "in_bps": row[IN_P95], "out_bps": row[OUT_P95]},
                    "month": {"month": hist.get("month"), "days": hist.get("days"),
                              "in_bps": row[IN_P95_MONTH], "out_bps": row[OUT_P95_MONTH]}}
    return out


# ---------------------------------------------------------------- readers

@functools.lru_cache(maxsize=4)
def _converted(path: str, mtime_ns: int, size: int) -> dict:
    data = _read_json(path)
    return from_format1(data)


_HEAD_FORMATS = {}      # head path -> ((mtime_ns, size, inode), format) of the version last read
_HEAD_FORMATS_KEPT = 8192


def _version(st) -> tuple:
    return st.st_mtime_ns, st.st_size, st.st_ino


def _read_head_data(path):
    """The head's value checked by _check_head, or None when there is none. The format of
    the version read is remembered, so the other readers of it need not parse it again."""
    try:
        version = _version(os.stat(path))
    except FileNotFoundError:
        return None
    data = _read_json(path)
    if data is not None:
        if len(_HEAD_FORMATS) >= _HEAD_FORMATS_KEPT:
            _HEAD_FORMATS.clear()
        _HEAD_FORMATS[str(path)] = (version, _check_head(path, data).get("format"))
    return data


def _converted_family(fam: Family):
    """The in-memory conversion of a format 1 file (readers never write), or None."""
    try:
        version = _version(os.stat(fam.head))
    except FileNotFoundError:
        return None
    known = _HEAD_FORMATS.get(str(fam.head))
    if known is None or known[0] != version:
        _read_head_data(fam.head)
        known = _HEAD_FORMATS.get(str(fam.head))
    if known is None or known[1] != 1:
        return None
    return _converted(str(fam.head), version[0], version[1])


def read_head(samples_dir, machine: str):
    """The head of a machine's samples (format 1 converted in memory), None when there is none."""
    fam = Family(samples_dir, machine)
    data = _read_head_data(fam.head)
    if data is None:
        return None
    if data.get("format") == 1:
        return _converted_family(fam)["head"]
    return _with_defaults(data, machine)


def read_samples(path) -> dict:
    """A machine's current view (see format.current_view) from its head file's path; the
    view of a machine never polled (state "unknown") when there is none yet.

    Raise SamplesError naming the file when it is not a samples file."""
    path = Path(path)
    return read_current(path.parent, path.name[:-len(HEAD_SUFFIX)] if path.name.endswith(HEAD_SUFFIX) else path.stem)


def read_discovery(samples_dir, machine: str):
    """What the collector last discovered of the device (its interfaces, its system group,
    its LLDP chassis id and neighbours), or None when it has not yet or it cannot be read."""
    return _read_json(Family(samples_dir, machine).discovery, strict=False)


def read_current(samples_dir, machine: str) -> dict:
    """Status, interfaces with their current rates, peaks and 95th percentiles, extra OIDs."""
    fam = Family(samples_dir, machine)
    data = _read_head_data(fam.head)
    if data is None:
        return current_view(empty_head(machine), empty_now())
    if data.get("format") == 1:
        converted = _converted_family(fam)
        fine = converted["archives"][FINE]
        return current_view(converted["head"], converted["now"], fine[-1] if fine else None)
    now = _read_json(fam.now, strict=False)
    return current_view(_with_defaults(data, machine), now if isinstance(now, dict) else empty_now(),
                        journal.last(fam.archive(FINE)))


def current_signature(samples_dir, machine: str):
    """[mtime_ns, size, ...] of the files read_current reads, or None when there are none:
    a reader that keeps views re-reads a machine only when this changed."""
    fam, found = Family(samples_dir, machine), []
    for path in (fam.head, fam.now):
        try:
            st = os.stat(path)
        except OSError:
            continue
        found += [st.st_mtime_ns, st.st_size]
    return found or None


def read_events(samples_dir, machine: str, limit: int = MAX_EVENTS) -> list:
    """The machine's last events, oldest first."""
    fam = Family(samples_dir, machine)
    converted = _converted_family(fam)
    events = converted["events"] if converted else journal.read_all(fam.events)
    return [e for e in events if isinstance(e, dict)][-limit:] if limit else []


def read_states(samples_dir, machine: str) -> dict:
    """The machine's state history (vigie/samples/states.py): {"lines": [...] oldest
    first, "last_poll": unix time of its last poll (None: never polled),
    "interval_seconds": its poll interval, "no_data_after_seconds": how long without a
    poll is a gap}. Samples written before the history existed have no lines; a head or
    now.json that cannot be read leaves the history readable (a 60 s interval, no poll)."""
    fam = Family(samples_dir, machine)
    head, now = _read_json(fam.head, strict=False), _read_json(fam.now, strict=False)
    archives = head.get("archives") if isinstance(head, dict) else None
    fine = archives.get(FINE) if isinstance(archives, dict) else None
    step = fine.get("step") if isinstance(fine, dict) else None
    step = step if isinstance(step, (int, float)) and step > 0 else 60
    return {"lines": [x for x in journal.read_all(fam.states) if states.is_mark(x)],
            "last_poll": unix_from_iso(now.get("polled")) if isinstance(now, dict) else None,
            "interval_seconds": step, "no_data_after_seconds": states.no_data_after_seconds(step)}


def read_archive(samples_dir, machine: str, archive: str, since: int = None) -> list:
    """The lines of one archive (fine, week, month, year), oldest first, from `since` on."""
    fam = Family(samples_dir, machine)
    converted = _converted_family(fam)
    if converted:
        lines = converted["archives"].get(archive) or []
        return [x for x in lines if since is None or x["t"] >= since]
    if since is None:
        lines = [x for x in journal.read_all(fam.archive(archive)) if isinstance(x, dict)
                 and isinstance(x.get("t"), (int, float))]
    else:
        lines = journal.read_since(fam.archive(archive), since)
    return _in_time_order(lines)


def _in_time_order(lines: list) -> list:
    """Lines in strictly increasing time; one not after its predecessor is dropped."""
    out = []
    for line in lines:
        if not out or line["t"] > out[-1]["t"]:
            out.append(line)
    return out


def follow_fine(samples_dir, machine: str, cursor: dict = None):
    """(new fine lines, cursor) since the last call: for a reader that runs every
    poll, the cost is the new lines only. `cursor` is what the last call returned
    (None the first time: every line)."""
    fam = Family(samples_dir, machine)
    cursor = dict(cursor or {})
    converted = _converted_family(fam)
    if converted:
        lines = [x for x in converted["archives"][FINE] if x["t"] > cursor.get("t", -1)]
        return lines, dict(cursor, t=lines[-1]["t"] if lines else cursor.get("t"), offset=0, inode=None)
    lines, offset, inode = journal.read_from(fam.archive(FINE), cursor.get("offset", 0), cursor.get("inode"))
    if lines is None:   # rewritten since: find our place again by time
        lines = journal.read_since(fam.archive(FINE), cursor.get("t", -1) + 1) if cursor.get("t") is not None \
            else journal.read_all(fam.archive(FINE))
        offset, inode = journal.size_and_inode(fam.archive(FINE))
    last_t = cursor.get("t")
    fresh = []
    for line in lines:
        if isinstance(line, dict) and isinstance(line.get("t"), (int, float)) and (last_t is None or line["t"] > last_t):
            fresh.append(line)
            last_t = line["t"]
    return fresh, {"t": last_t, "offset": offset, "inode": inode}


def read_month_histograms(samples_dir, machine: str):
    """The histograms of the current month's closed days ({"month", "days", "if"}), or None."""
    return _read_json(Family(samples_dir, machine).hist, strict=False)


def monthly_percentiles(samples_dir, machine: str, months: int = 24) -> list:
    """[{"month": "YYYY-MM", "days", "interfaces": {name: {"in_bps", "out_bps", "busier_bps"}}}]
    for the calendar months in the year archive, oldest first: each month's 95th
    percentile as of its last consolidated day (the current month: month to date)."""
    by_month = {}
    for line in read_archive(samples_dir, machine, YEAR):
        month = iso(line["t"])[:7]
        entry = by_month.setdefault(month, {"month": month, "days": 0, "interfaces": {}})
        entry["days"] += 1
        for key, row in (line.get("if") or {}).items():
            row = list(row) + [None] * (8 - len(row))
            if row[IN_P95_MONTH] is not None or row[OUT_P95_MONTH] is not None:
                entry["interfaces"][key] = _directions(row[IN_P95_MONTH], row[OUT_P95_MONTH])
    return [by_month[m] for m in sorted(by_month)][-months:]


def daily_percentiles(samples_dir, machine: str, days: int = 31) -> list:
    """[{"date": "YYYY-MM-DD", "interfaces": {name: {"in_bps", "out_bps", "busier_bps"}}}], oldest first."""
    out = []
    for line in read_archive(samples_dir, machine, YEAR, since=None)[-days:]:
        interfaces = {}
        for key, row in (line.get("if") or {}).items():
            row = list(row) + [None] * (8 - len(row))
            if row[IN_P95] is not None or row[OUT_P95] is not None:
                interfaces[key] = _directions(row[IN_P95], row[OUT_P95])
        out.append({"date": iso(line["t"])[:10], "interfaces": interfaces})
    return out


def _directions(in_value, out_value) -> dict:
    return {"in_bps": in_value, "out_bps": out_value, "busier_bps": busier(in_value, out_value)}


def fine_pair(line: dict, key: str):
    """(in, out) of one interface in a fine line, or (None, None)."""
    pair = (line.get("if") or {}).get(key)
    return (pair[IN], pair[OUT]) if pair else (None, None)
