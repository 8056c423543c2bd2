import json
import os
import random

import pytest

from vigie import samples as samples_lib

START = 1_767_225_600  # 2026-01-01T00:00:00Z, a whole day


def test_add_point_averages_and_maxima_in_one_bucket():
    rows, counts = [], None
    for ts, value in [(0, 10.0), (600, 20.0), (1200, None), (1700, 60.0)]:
        counts = samples_lib.add_point(rows, counts, START + ts, [value], 1800, 10)
    assert rows == [[START, 30.0, 60.0]]
    assert counts == [START, 3]


def test_add_point_starts_new_row_and_trims_to_max_rows():
    rows, counts = [], None
    for i in range(25):
        counts = samples_lib.add_point(rows, counts, START + i * 60, [float(i), float(-i)], 60, 10)
    assert len(rows) == 10
    assert rows[0] == [START + 15 * 60, 15.0, -15.0, 15.0, -15.0]
    assert rows[-1][0] == START + 24 * 60


def test_add_point_ignores_points_older_than_the_last_row():
    rows, counts = [], None
    counts = samples_lib.add_point(rows, counts, START + 3600, [1.0], 60, 10)
    counts = samples_lib.add_point(rows, counts, START + 60, [99.0], 60, 10)
    assert rows == [[START + 3600, 1.0, 1.0]]


def test_a_long_outage_drops_rows_older_than_the_archive():
    rows, counts = [], None
    counts = samples_lib.add_point(rows, counts, START, [1.0], 60, 1440)
    counts = samples_lib.add_point(rows, counts, START + 2 * 86400, [2.0], 60, 1440)
    assert rows == [[START + 2 * 86400, 2.0, 2.0]]


def test_gap_row_holds_nulls():
    rows, counts = [], None
    samples_lib.add_point(rows, counts, START, [None, None], 60, 10)
    assert rows == [[START, None, None, None, None]]


def test_simulated_year_stays_bounded_and_averages_are_right(tmp_path):
    """A year of 60 s polls on one interface: the file stays small and coarse rows are exact."""
    samples = samples_lib.empty_samples("router", 60)
    rng = random.Random(5)
    daily_in, daily_out_max = {}, {}
    for minute in range(365 * 1440):
        ts = START + minute * 60
        day = minute // 1440
        in_bps = 1_000_000 + (day % 7) * 100_000          # constant within a day
        out_bps = float(rng.randrange(0, 50_000_000))
        if minute % 10_000 == 7:
            in_bps = out_bps = None                          # a few gaps
        else:
            daily_in.setdefault(day, []).append(in_bps)
            daily_out_max[day] = max(daily_out_max.get(day, 0), out_bps)
        samples_lib.add_interface_point(samples, 1, ts, in_bps, out_bps)
    path = tmp_path / "router.json"
    samples_lib.write_samples(path, samples)
    size = os.path.getsize(path)
    assert size < 1_000_000, size
    series = samples_lib.read_samples(path)["series"]["1"]
    assert len(series["day"]) == 1440
    assert len(series["week"]) == 336
    assert len(series["month"]) == 372
    assert len(series["year"]) == 365
    for row in series["year"]:
        day = (row[0] - START) // 86400
        assert row[1] == pytest.approx(sum(daily_in[day]) / len(daily_in[day]), rel=1e-6)
        assert row[4] == daily_out_max[day]
    # the last day archive row is the last point, at the poll step
    assert series["day"][-1][0] == START + (365 * 1440 - 1) * 60


def test_week_rows_are_averages_of_their_points():
    samples = samples_lib.empty_samples("m", 60)
    for minute in range(120):
        samples_lib.add_interface_point(samples, 3, START + minute * 60, float(minute), 0.0)
    week = samples["series"]["3"]["week"]
    assert [r[0] for r in week] == [START, START + 1800, START + 3600, START + 5400]
    assert week[0][1] == pytest.approx(sum(range(30)) / 30)
    assert week[0][3] == 29


def test_events_are_bounded():
    samples = samples_lib.empty_samples("m")
    for i in range(samples_lib.MAX_EVENTS + 50):
        samples_lib.add_event(samples, {"time": str(i), "kind": "up", "interface": None, "message": "x"})
    assert len(samples["events"]) == samples_lib.MAX_EVENTS
    assert samples["events"][-1]["time"] == str(samples_lib.MAX_EVENTS + 49)


def test_read_samples_missing_file_is_unknown(tmp_path):
    data = samples_lib.read_samples(tmp_path / "nothing.json")
    assert data["machine"] == "nothing"
    assert data["status"]["state"] == "unknown"


def test_read_samples_rejects_garbage_naming_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(samples_lib.SamplesError, match="bad.json"):
        samples_lib.read_samples(bad)
    bad.write_text(json.dumps({"format": 99}))
    with pytest.raises(samples_lib.SamplesError, match="format"):
        samples_lib.read_samples(bad)


def test_write_is_atomic_and_leaves_no_temp(tmp_path):
    samples = samples_lib.empty_samples("m")
    path = tmp_path / "samples" / "m.json"
    samples_lib.write_samples(path, samples)
    samples_lib.write_samples(path, samples)
    assert [p.name for p in path.parent.iterdir()] == ["m.json"]
    assert samples_lib.read_samples(path)["updated"].endswith("+00:00")


def test_forgetting_interfaces_keeps_file_bounded():
    samples = samples_lib.empty_samples("m")
    for idx in (1, 2, 3):
        samples_lib.add_interface_point(samples, idx, START, 1.0, 1.0)
    samples_lib.keep_only_interfaces(samples, [2])
    assert list(samples["series"]) == ["2"]
    assert list(samples["state"]["consolidation"]) == ["if:2"]
