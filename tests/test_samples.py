"""The samples store (vigie/samples): JSON Lines archives, consolidation, 95th
percentiles, bounds, crash safety and the conversion of format 1 files."""

import gzip
import json
import math
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from vigie import samples as sl
from vigie.samples import consolidate, journal, percentile

START = 1_767_225_600  # 2026-01-01T00:00:00Z, a whole day
FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "samples-format1-core-sw-01.json.gz")
IDENTITY = {"index": 1, "name": "eth0", "descr": "eth0", "alias": "", "speed_bps": 10**9, "type": 6,
            "oper_status": "up", "admin_status": "up", "counter_bits": 64}


def poll(store, record, t, values: dict, oids=None):
    """What one poll leaves in the record (as collector/snmp/cycle.py does), then save."""
    record.head["interfaces"] = [dict(IDENTITY, key=k, name=k, index=i + 1) for i, k in enumerate(values)]
    record.head["status"]["state"] = "up"
    for key, pair in values.items():
        consolidate.fold_max(record.now["open_max"], key, pair)
    record.now["time"] = t
    line = {"t": t, "if": {k: list(v) for k, v in values.items()}}
    if oids:
        line["oid"] = oids
    record.fine.append(line)
    return store.save(record, now_ts=t)


# ------------------------------------------------------------------ journal

def test_append_ignores_then_repairs_a_line_cut_short(tmp_path):
    path = tmp_path / "fine.jsonl"
    journal.append(path, [{"t": 1, "v": 1}, {"t": 2, "v": 2}])
    with open(path, "ab") as f:
        f.write(b'{"t":3,"v":')                   # a write interrupted half way
    assert journal.read_all(path) == [{"t": 1, "v": 1}, {"t": 2, "v": 2}]
    assert journal.last(path) == {"t": 2, "v": 2}
    journal.append(path, [{"t": 4, "v": 4}])
    assert path.read_bytes() == b'{"t":1,"v":1}\n{"t":2,"v":2}\n{"t":4,"v":4}\n'


def test_read_since_reads_only_the_end(tmp_path):
    path = tmp_path / "fine.jsonl"
    journal.append(path, [{"t": t, "pad": "x" * 300} for t in range(5000)])
    assert [x["t"] for x in journal.read_since(path, 4990)] == list(range(4990, 5000))
    assert [x["t"] for x in journal.read_since(path, -5)][:3] == [0, 1, 2]
    assert journal.read_since(path, 6000) == []
    assert journal.read_since(tmp_path / "none.jsonl", 0) == []


def test_drop_before_copies_the_lines_it_keeps(tmp_path):
    path = tmp_path / "week.jsonl"
    journal.append(path, [{"t": t, "x": [t, None]} for t in range(10)])
    before = path.read_bytes()
    assert journal.drop_before(path, 7) > 0
    assert path.read_bytes() == before[before.index(b'{"t":7'):]
    assert journal.first_time(path) == 7
    assert journal.drop_before(path, 3) == 0


def test_read_from_follows_a_growing_file_and_notices_a_rewrite(tmp_path):
    path = tmp_path / "fine.jsonl"
    journal.append(path, [{"t": 1}, {"t": 2}])
    lines, offset, inode = journal.read_from(path, 0)
    assert [x["t"] for x in lines] == [1, 2]
    journal.append(path, [{"t": 3}])
    lines, offset, inode = journal.read_from(path, offset, inode)
    assert [x["t"] for x in lines] == [3]
    journal.drop_before(path, 2)
    assert journal.read_from(path, offset, inode)[0] is None


# ------------------------------------------------------------------ percentiles

def test_nearest_rank_percentile_is_the_plain_sort_one():
    rng = random.Random(3)
    for n in (1, 2, 19, 20, 21, 100, 1440):
        values = [rng.uniform(0, 1e9) for _ in range(n)] + [None] * 5
        ordered = sorted(v for v in values if v is not None)
        assert percentile.nearest_rank(values) == ordered[math.ceil(0.95 * n) - 1]
    assert percentile.nearest_rank([None, None]) is None


@pytest.mark.parametrize("seed", range(6))
def test_month_percentile_from_daily_histograms_is_within_the_stated_error(seed):
    """A month of 60 s samples, day by day into histograms, against a plain sort of them all."""
    rng = random.Random(seed)
    month, merged = [], None
    for day in range(30):
        scale = rng.choice((1e3, 1e6, 1e8, 5e9))
        values = [rng.lognormvariate(0, 1) * scale if rng.random() > 0.05 else 0.0 for _ in range(1440)]
        month += values
        merged = percentile.merge(merged, percentile.histogram(values))
    exact = percentile.nearest_rank(month)
    assert percentile.count(merged) == len(month)
    assert percentile.histogram_percentile(merged) == pytest.approx(exact, rel=percentile.RELATIVE_ERROR * 1.0001)


def test_histogram_of_zeros_and_of_nothing():
    assert percentile.histogram_percentile(percentile.histogram([0, 0.5, None])) == 0.0
    assert percentile.histogram([None]) is None and percentile.histogram_percentile(None) is None
    assert percentile.merge(None, [2, 0]) == [2, 0]
    assert percentile.busier(3, 5) == 5 and percentile.busier(None, 2) == 2 and percentile.busier(None, None) is None
    assert [percentile.busier_direction(*pair) for pair in ((3, 5), (5, 3), (4, 4), (None, 0), (0, None), (None, None))] \
        == ["out", "in", "in", "out", "in", None]


# ------------------------------------------------------------------ consolidation rules

def test_coarse_line_averages_present_values_and_keeps_the_maximum():
    lines = [{"t": 0, "if": {"a": [10.0, 1.0]}}, {"t": 600, "if": {"a": [20.0, None], "b": [5.0, 5.0]}},
             {"t": 1200}, {"t": 1700, "if": {"a": [60.0, 3.0]}, "oid": {"load": 2.0}}]
    line = consolidate.coarse_line(0, lines)
    row = line["if"]["a"]
    assert (row[sl.IN_AVG], row[sl.OUT_AVG], row[sl.IN_MAX], row[sl.OUT_MAX]) == (30.0, 2.0, 60.0, 3.0)
    assert line["if"]["b"] == [5.0, 5.0, 5.0, 5.0]
    assert line["oid"]["load"][sl.AVG] == 2.0


def test_due_range_waits_for_the_close_and_the_delay():
    assert consolidate.due_range(0, 1799, 1800, 0) is None
    assert consolidate.due_range(0, 1800, 1800, 0) == (0, 1800)
    assert consolidate.due_range(0, 1900, 1800, 200) is None
    assert consolidate.due_range(0, 9000, 1800, 200) == (0, 7200)
    assert consolidate.due_range(None, 9000, 1800, 0) is None


def test_stagger_is_fixed_per_machine_and_spreads_a_fleet():
    delays = [consolidate.consolidation_delay(f"sw-{i}", sl.WEEK, 1800) for i in range(500)]
    assert delays == [consolidate.consolidation_delay(f"sw-{i}", sl.WEEK, 1800) for i in range(500)]
    assert all(0 <= d < 900 for d in delays) and len(set(delays)) > 300
    assert all(0 <= consolidate.consolidation_delay(f"sw-{i}", sl.YEAR, 86400) < 3600 for i in range(50))


def test_day_line_holds_the_days_exact_95th_percentile():
    rng = random.Random(9)
    lines = [{"t": START + 60 * i, "if": {"a": [rng.uniform(0, 1e9), None if i % 10 == 0 else rng.uniform(0, 5e3)]}}
             for i in range(1440)]
    line, month = consolidate.day_line(START, lines, None)
    row = line["if"]["a"]
    assert row[sl.IN_P95] == sl.compact_number(percentile.nearest_rank(x["if"]["a"][0] for x in lines))
    assert row[sl.OUT_P95] == sl.compact_number(percentile.nearest_rank(x["if"]["a"][1] for x in lines))
    assert row[sl.IN_P95_MONTH] == pytest.approx(row[sl.IN_P95], rel=percentile.RELATIVE_ERROR * 1.0001)
    assert month["days"] == 1 and percentile.count(month["if"]["a"][1]) == 1296


def test_a_day_is_added_to_the_month_once():
    day = {"a": [percentile.histogram([5, 6]), None]}
    hist = consolidate.add_day_to_month(None, START, day)
    again = consolidate.add_day_to_month(hist, START, day)
    assert again == hist and hist["days"] == 1
    feb = consolidate.add_day_to_month(hist, START + 31 * 86400, day)
    assert feb["month"] == "2026-02" and feb["days"] == 1


# ------------------------------------------------------------------ the store

@pytest.mark.slow
def test_two_days_of_polls_consolidate_exactly(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    rng = random.Random(5)
    fine = {}
    for minute in range(2 * 1440 + 120):      # past the day close and its delay (< 1 h)
        t = START + minute * 60
        values = {"eth0": [float(rng.randrange(0, 50_000_000)), float(rng.randrange(0, 1000))],
                  "eth1": [None, None] if minute % 97 == 0 else [float(minute), 1.0]}
        fine[t] = values
        poll(store, record, t, values)
    week = sl.read_archive(tmp_path, "sw", sl.WEEK)
    first = week[0]
    in_values = [fine[t]["eth0"][0] for t in range(first["t"], first["t"] + 1800, 60)]
    assert first["if"]["eth0"][sl.IN_AVG] == pytest.approx(sum(in_values) / 30, rel=1e-6)
    assert first["if"]["eth0"][sl.IN_MAX] == max(in_values)
    year = sl.read_archive(tmp_path, "sw", sl.YEAR)
    assert [x["t"] for x in year] == [START, START + 86400]
    for line in year:
        day = [fine[t]["eth0"][1] for t in range(line["t"], line["t"] + 86400, 60)]
        assert line["if"]["eth0"][sl.OUT_P95] == percentile.nearest_rank(day)
    month_values = [fine[t]["eth0"][0] for t in range(START, START + 2 * 86400, 60)]
    assert year[-1]["if"]["eth0"][sl.IN_P95_MONTH] == pytest.approx(
        percentile.nearest_rank(month_values), rel=percentile.RELATIVE_ERROR * 1.0001)
    view = sl.read_current(tmp_path, "sw")
    eth0 = view["interfaces"][0]
    assert eth0["p95"]["day"]["date"] == "2026-01-02"
    assert eth0["p95"]["day"]["out_bps"] == year[-1]["if"]["eth0"][sl.OUT_P95]
    assert eth0["p95"]["month"] == {"month": "2026-01", "days": 2, "in_bps": year[-1]["if"]["eth0"][sl.IN_P95_MONTH],
                                    "out_bps": year[-1]["if"]["eth0"][sl.OUT_P95_MONTH]}
    last_day = [fine[t]["eth0"][0] for t in fine if t > START + 2 * 86400 + 60 * 60 - 86400]
    assert eth0["in_peak_bps"] >= max(last_day[-30:])
    months = sl.monthly_percentiles(tmp_path, "sw")
    assert months[0]["month"] == "2026-01" and months[0]["interfaces"]["eth0"]["busier_bps"] == max(
        year[-1]["if"]["eth0"][sl.IN_P95_MONTH], year[-1]["if"]["eth0"][sl.OUT_P95_MONTH])


@pytest.mark.slow
def test_a_poll_writes_its_own_bytes_not_the_history(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    values = {f"ge-0/0/{i}": [123456789.0, 98765432.0] for i in range(48)}
    sizes = []
    for minute in range(1440 + 120):
        written = poll(store, record, START + minute * 60, values)
        if minute % 30 == 17:            # away from bucket closes
            sizes.append(written)
    first_hour, after_a_day = sorted(sizes[:2]), sorted(sizes[-2:])
    assert first_hour == after_a_day and max(sizes) < 12_000, sizes
    assert len(journal.read_all(tmp_path / "sw" / "fine.jsonl")) == 1440 + 120


@pytest.mark.slow
def test_archives_stay_bounded_over_years_of_polls(tmp_path, monkeypatch):
    """Three years polled once a day: every archive spans at most its rows plus its slack.
    (Time runs 1,440 times faster than with 60 s polls, and so do the trims: their disk
    flushes are left out here.)"""
    monkeypatch.setattr(journal, "atomic_write_bytes", lambda path, data: os.replace(_plain(path, data), path))
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 86400)
    for n in range(3 * 365):
        poll(store, record, START + n * 86400 + 3 * 3600, {"eth0": [1.0, 2.0]})
    assert journal.first_time(tmp_path / "sw" / "fine.jsonl") > START + 365 * 86400
    for archive, (step, rows) in sl.COARSE_ARCHIVES.items():
        lines = sl.read_archive(tmp_path, "sw", archive)
        span = lines[-1]["t"] - lines[0]["t"]
        assert step * rows - 86400 <= span <= step * (rows + rows // 2), (archive, span / step)
    fine = sl.read_archive(tmp_path, "sw", sl.FINE)
    assert fine[-1]["t"] - fine[0]["t"] <= 86400 + 3600 + 24 * 3600 + 86400


def _plain(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    return tmp


def test_head_is_written_only_when_it_changes(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    poll(store, record, START + 10, {"eth0": [1.0, 2.0]})
    head = tmp_path / "sw.json"
    stamp = head.stat().st_mtime_ns
    poll(store, record, START + 70, {"eth0": [3.0, 4.0]})
    assert head.stat().st_mtime_ns == stamp
    assert sl.read_current(tmp_path, "sw")["interfaces"][0]["in_bps"] == 3.0
    record.head["status"]["state"] = "down"
    store.save(record, now_ts=START + 130)
    assert json.loads(head.read_text())["status"]["state"] == "down"


def test_the_readers_of_a_machine_parse_each_version_of_its_head_once(tmp_path, monkeypatch):
    """A site build reads a machine's current view, its new fine lines and its year
    archive: each asks whether the head is of the older format, and only the first read
    of a version of the head parses it. A new version is parsed again."""
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    poll(store, record, START + 10, {"eth0": [1.0, 2.0]})
    head = str(tmp_path / "sw.json")
    parsed = []
    real = sl.store._read_json
    monkeypatch.setattr(sl.store, "_read_json", lambda path, *a, **k: parsed.append(str(path)) or real(path, *a, **k))

    def read_all():
        sl.read_current(tmp_path, "sw")
        sl.follow_fine(tmp_path, "sw", None)
        sl.read_archive(tmp_path, "sw", "year")

    read_all()
    assert parsed.count(head) == 1
    read_all()
    assert parsed.count(head) == 2
    record.head["status"]["state"] = "down"
    store.save(record, now_ts=START + 70)
    parsed.clear()
    sl.follow_fine(tmp_path, "sw", None)
    assert parsed.count(head) == 1
    assert sl.read_current(tmp_path, "sw")["status"]["state"] == "down"


def test_canonical_json_is_the_same_for_the_same_value():
    from datetime import datetime, timezone
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert journal.canonical({"b": [1, 2], "a": {"y": 1, "x": moment}}) == \
        journal.canonical({"a": {"x": moment, "y": 1}, "b": (1, 2)})
    assert journal.canonical({"b": 1, "a": 2}).startswith(b'{"a":2')
    assert journal.canonical({1: "x"}) == b'{"1":"x"}'
    assert journal.canonical([1, 2]) != journal.canonical([2, 1])


def test_clock_set_back_never_reorders_lines(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    for t in (START + 120, START + 60, START + 120, START + 180):
        poll(store, record, t, {"eth0": [1.0, 1.0]})
    assert [x["t"] for x in sl.read_archive(tmp_path, "sw", sl.FINE)] == [START + 120, START + 121, START + 180]


def test_two_polls_in_one_second_both_count_and_the_later_rates_are_current(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 60)
    poll(store, record, START + 10, {"eth0": [None, None]})      # a first poll: no rates yet
    poll(store, record, START + 10, {"eth0": [800.0, 80.0]})     # `poll --once` again within the second
    assert sl.read_current(tmp_path, "sw")["interfaces"][0]["in_bps"] == 800.0
    assert [x["t"] for x in sl.read_archive(tmp_path, "sw", sl.FINE)] == [START + 10, START + 11]


def test_a_reader_following_the_fine_archive_sees_each_line_once(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("sw", 3600)
    cursor, seen = None, []
    for n in range(24 * 6):
        poll(store, record, START + n * 3600, {"eth0": [float(n), 0.0]})
        if n % 5 == 0:
            lines, cursor = sl.follow_fine(tmp_path, "sw", cursor)
            seen += [x["t"] for x in lines]
    lines, cursor = sl.follow_fine(tmp_path, "sw", cursor)
    seen += [x["t"] for x in lines]
    assert seen == [START + n * 3600 for n in range(24 * 6)]   # across the trims of the file


def test_events_are_bounded(tmp_path):
    store = sl.SamplesStore(tmp_path)
    record = sl.MachineSamples("m", 60)
    for i in range(sl.MAX_EVENTS * 3):
        record.events.append({"time": str(i), "kind": "up", "interface": None, "message": "x" * 100})
        store.save(record, now_ts=START + i)
    events = sl.read_events(tmp_path, "m")
    assert len(events) == sl.MAX_EVENTS and events[-1]["time"] == str(sl.MAX_EVENTS * 3 - 1)
    assert os.path.getsize(tmp_path / "m" / "events.jsonl") <= 2 * 96 * 1024


def test_read_missing_machine_is_unknown(tmp_path):
    data = sl.read_samples(tmp_path / "nothing.json")
    assert data["machine"] == "nothing" and data["status"]["state"] == "unknown" and data["interfaces"] == []


def test_read_rejects_garbage_naming_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(sl.SamplesError, match="bad.json"):
        sl.read_samples(bad)
    bad.write_text(json.dumps({"format": 99}))
    with pytest.raises(sl.SamplesError, match="format"):
        sl.read_samples(bad)
    for broken, what in (({"format": 2, "status": 5}, "status is not an object"),
                         ({"format": 2, "interfaces": [{"index": 1}]}, r"interfaces\[0\] has no key"),
                         ({"format": 1, "interfaces": [{"index": 1}]}, r"interfaces\[0\] has no name")):
        bad.write_text(json.dumps(broken))
        with pytest.raises(sl.SamplesError, match=what):
            sl.read_current(tmp_path, "bad")


def test_second_collector_on_the_same_folder_is_refused(tmp_path):
    first = sl.SamplesStore(tmp_path)
    first.lock()
    code = "import sys; from vigie.samples import SamplesStore, SamplesError\n" \
           "try: SamplesStore(sys.argv[1]).lock()\nexcept SamplesError as e: print(e); sys.exit(3)"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 3 and f"pid {os.getpid()}" in result.stdout
    first.unlock()
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path)]).returncode == 0


def test_collectors_sharing_a_folder_by_shards_each_take_their_own(tmp_path):
    code = "import sys; from vigie.samples import SamplesStore, SamplesError\n" \
           "shard = tuple(map(int, sys.argv[2].split('/'))) if sys.argv[2] else None\n" \
           "try: SamplesStore(sys.argv[1]).lock(shard)\nexcept SamplesError as e: print(e); sys.exit(3)"

    def other(shard):
        return subprocess.run([sys.executable, "-c", code, str(tmp_path), shard]).returncode

    first = sl.SamplesStore(tmp_path)
    first.lock((1, 2))
    assert other("2/2") == 0          # the other shard
    assert other("1/2") == 3          # the same shard
    assert other("") == 3             # every machine: would write shard 1/2's too
    first.unlock()
    assert other("") == 0


# ------------------------------------------------------------------ crash safety

WRITER = r"""
import sys
from vigie import samples as sl
store, t = sl.SamplesStore(sys.argv[1]), int(sys.argv[2])
record = store.load("sw", 60)
values = {f"ge-0/0/{i}": [123456.7 * i, 7654.3 * i] for i in range(48)}
while True:
    t += 60
    record.head["interfaces"] = [{"key": k, "name": k, "index": i} for i, k in enumerate(values)]
    record.now["time"] = t
    record.fine.append({"t": t, "if": values})
    record.head["status"]["consecutive_failures"] = t % 7   # the head changes now and then
    store.save(record, now_ts=t)
    print(t, flush=True)
"""


@pytest.mark.slow
def test_kill_9_at_any_instant_leaves_readable_files_and_loses_at_most_the_poll_in_flight(tmp_path):
    rng = random.Random(11)
    t = START + 86400 * 3 - 1800 * 2        # polls cross bucket closes and a day's close
    for round_ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(t)], stdout=subprocess.PIPE)
        time.sleep(0.3 + rng.random() * 0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        confirmed = [int(x) for x in proc.stdout.read().split()]
        proc.stdout.close()
        view = sl.read_current(tmp_path, "sw")
        fine = sl.read_archive(tmp_path, "sw", sl.FINE)
        times = [x["t"] for x in fine]
        assert times == sorted(set(times))
        if confirmed:
            assert confirmed[-1] in times, round_         # every poll saved before the kill is there
            t = times[-1]
        assert len(view["interfaces"]) in (0, 48)
        for archive in sl.COARSE_ARCHIVES:
            lines = sl.read_archive(tmp_path, "sw", archive)
            assert [x["t"] for x in lines] == sorted({x["t"] for x in lines}), archive   # no line twice
    # the next writer repairs a line cut short and carries on
    store = sl.SamplesStore(tmp_path)
    record = store.load("sw", 60)
    record.fine.append({"t": t + 60, "if": {"ge-0/0/1": [1.0, 2.0]}})
    store.save(record, now_ts=t + 60)
    assert sl.read_archive(tmp_path, "sw", sl.FINE)[-1]["t"] == t + 60
    assert all(line.endswith(b"}") for line in (tmp_path / "sw" / "fine.jsonl").read_bytes().split(b"\n")[:-1])


# ------------------------------------------------------------------ format 1

@pytest.fixture
def format1(tmp_path):
    """A samples file written by the format 1 collector (tests/fixtures/make_samples_format1.py
    run on that code): three days of 60 s polls of three interfaces, a short outage."""
    data = json.loads(gzip.decompress(open(FIXTURE, "rb").read()))
    (tmp_path / "core-sw-01.json").write_text(json.dumps(data))
    return data


def test_format1_is_read_before_and_converted_on_the_collectors_first_load(tmp_path, format1):
    before = sl.read_current(tmp_path, "core-sw-01")
    assert json.loads((tmp_path / "core-sw-01.json").read_text())["format"] == 1   # readers never write
    record = sl.SamplesStore(tmp_path).load("core-sw-01", 60)
    head = json.loads((tmp_path / "core-sw-01.json").read_text())
    assert head["format"] == 2 and [i["key"] for i in head["interfaces"]] == ["ge-0/0/0", "ge-0/0/1", "ge-0/0/4"]
    after = sl.read_current(tmp_path, "core-sw-01")
    assert after == before
    old = {i["name"]: i for i in format1["interfaces"]}
    for view in after["interfaces"]:
        # the rates of the last poll, as its fine line keeps them (whole bits per second)
        assert view["in_bps"] == pytest.approx(old[view["name"]]["in_bps"], abs=0.5)
        assert view["alias"] == old[view["name"]]["alias"]
    assert after["status"]["last_seen"] == format1["status"]["last_seen"]
    assert after["status"]["uptime_seconds"] == format1["status"]["uptime_seconds"]
    # the day archive became the fine lines, value for value, by name
    fine = sl.read_archive(tmp_path, "core-sw-01", sl.FINE)
    day5 = format1["series"]["5"]["day"]
    assert len(fine) == len(day5) == 1440
    assert [(x["t"], x["if"]["ge-0/0/4"][sl.IN]) for x in fine] == [(r[0], r[1]) for r in day5]
    # closed coarse buckets kept as they were; the open one is consolidated again later
    week = sl.read_archive(tmp_path, "core-sw-01", sl.WEEK)
    old_week = format1["series"]["1"]["week"]
    assert [x["if"]["ge-0/0/0"][sl.IN_AVG] for x in week] == [r[1] for r in old_week[:-1]]
    assert record.head["state"]["consolidated"]["week"] == old_week[-1][0]
    assert [e["message"] for e in sl.read_events(tmp_path, "core-sw-01")] == [e["message"] for e in format1["events"]]
    assert record.now["counters"]["ge-0/0/0"][sl.COUNTER_IN] == format1["state"]["last"]["counters"]["1"]["in"]
    assert record.view()["interfaces"][0]["in_bps"] == pytest.approx(old["ge-0/0/0"]["in_bps"], abs=0.5)
    assert record.discovery["sys_name"] == "core-sw-01"


def test_converted_samples_carry_on_polling(tmp_path, format1):
    from collector.snmp.cycle import apply_reading
    store = sl.SamplesStore(tmp_path)
    record = store.load("core-sw-01", 60)
    last = format1["state"]["last"]
    interfaces = format1["state"]["discovery"]["interfaces"]
    reading = {"time": last["time"] + 60, "uptime_ticks": last["uptime_ticks"] + 6000, "if_number": 3, "oids": {},
               "interfaces": {i["index"]: {"descr": i["descr"], "oper_status": "up",
                                           "in_octets": last["counters"][str(i["index"])]["in"] + 7_500_000,
                                           "out_octets": last["counters"][str(i["index"])]["out"]}
                              for i in interfaces}}
    config = {"name": "core-sw-01", "threshold_percent": 90, "down_after": 2, "interfaces": "all"}
    assert apply_reading(record, config, interfaces, reading, {}) == []
    store.save(record, now_ts=reading["time"])
    view = sl.read_current(tmp_path, "core-sw-01")
    assert [i["in_bps"] for i in view["interfaces"]] == [1_000_000.0] * 3
    assert sl.read_archive(tmp_path, "core-sw-01", sl.FINE)[-1]["t"] == int(reading["time"])
