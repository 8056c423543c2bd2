"""Graph data packing (site_builder/series.py): pure functions on literal rows."""

import re

import pytest

from site_builder import series


def test_merge_uses_finest_archive_for_each_period():
    archives = {"day": [[1200, 1], [1260, 2], [1320, 3]],
                "week": [[0, 10], [600, 11], [1200, 12]],
                "year": [[-86400, 99], [0, 98]]}
    rows, fine = series.merge_archives(archives, {"day": 60, "week": 600, "year": 86400})
    assert rows == [[-86400, 99], [0, 10], [600, 11], [1200, 1], [1260, 2], [1320, 3]]
    assert fine == 3


def test_merge_drops_coarse_periods_the_finer_data_overlaps():
    # a collector started at 10:14: the year archive's row for today covers 00:00-24:00
    day = [[36840 + 5 * i, 7] for i in range(12)]
    archives = {"day": day, "week": [[36000, 7]], "month": [[36000, 7]], "year": [[0, 7]]}
    rows, fine = series.merge_archives(archives, {"day": 5, "week": 1800, "month": 7200, "year": 86400})
    assert rows == day and fine == 12


def test_merge_infers_steps_when_not_given():
    archives = {"day": [[7200, 1], [7260, 2]], "week": [[0, 5], [1800, 6], [3600, 7], [5400, 8], [7200, 9]]}
    rows, _ = series.merge_archives(archives)
    assert [r[0] for r in rows] == [0, 1800, 3600, 5400, 7200, 7260]


def test_merge_sorts_rows_and_skips_empty_archives():
    rows, fine = series.merge_archives({"day": [], "week": [[20, 2], [10, 1]], "month": None})
    assert rows == [[10, 1], [20, 2]] and fine == 2


@pytest.mark.parametrize("stamps, runs", [
    ([], []),
    ([5], [[5, 0, 1]]),
    ([0, 60, 120, 180], [[0, 60, 4]]),
    ([0, 60, 120, 1920, 3720], [[0, 60, 3], [1920, 1800, 2]]),
])
def test_time_runs_round_trip(stamps, runs):
    assert series.time_runs(stamps) == runs
    assert series.expand_runs(runs) == stamps


def test_pack_keeps_gaps_and_precision():
    values = [0, 1.5e9, None, 7.25e8, float("nan"), 3]
    back = series.unpack_u16(series.pack_u16(values))
    assert back[2] is None and back[4] is None
    for original, restored in zip(values, back):
        if original is not None and original == original:
            assert abs(original - restored) <= 1.5e9 / 65534


def test_pack_all_gaps_and_zeros():
    assert series.unpack_u16(series.pack_u16([None, None])) == [None, None]
    assert series.unpack_u16(series.pack_u16([0, 0])) == [0, 0]


def test_coarse_series_keeps_only_periods_ended_before_the_fine_rows_with_their_peaks():
    archives = {"week": [[0, 1, 2, 3, 4], [1800, 9, 9, 9, 10], [3600, 5, 5, 5, 5]],
                "month": [[-7200, 7, 7, 8, 8], [0, 6, 6, 6, 6]]}
    data = series.coarse_series(archives, {"week": 1800, "month": 7200}, until=3600)
    assert series.expand_runs(data["runs"]) == [-7200, 0, 1800] and data["points"] == 3
    assert [round(v) for v in series.unpack_u16(data["in"])] == [7, 1, 9]
    assert [round(v) for v in series.unpack_u16(data["out_max"])] == [8, 4, 10]


def test_fine_series_packs_values_and_gaps():
    data = series.fine_series([[60, 5, None], [120, 7, 8]])
    assert data["points"] == 2 and series.unpack_u16(data["out"])[0] is None
    assert [round(v) for v in series.unpack_u16(data["in"])] == [5, 7]
    assert set(series.fine_series([[60, 1.5]], interface=False)) == {"runs", "points", "avg"}


@pytest.mark.parametrize("t, next_t, step, gap", [
    (0, 60, 60, False), (0, 119, 60, False),       # the next poll, even late
    (0, 120, 60, True), (0, 3600, 60, True),       # a whole poll missed, an hour stopped
    (0, 1800, 1800, False), (0, 3600, 1800, True),  # the next bucket; one bucket with no poll
    (0, 12600, 7200, False),                        # a month row up to the week rows that follow
    (0, 10**6, 0, False),                           # no step known: nothing to judge by
])
def test_a_gap_is_a_whole_step_with_no_row(t, next_t, step, gap):
    assert series.gap_after(t, next_t, step) is gap


def test_gaps_become_rows_of_nulls_at_the_end_of_the_last_period():
    parts = [(86400, [[0, 1, 2]]), (1800, [[86400, 3, 4], [88200, 5, 6], [95400, 7, 8]])]
    assert series.with_gaps(parts, until=100800) == [
        [0, 1, 2], [86400, 3, 4], [88200, 5, 6], [90000, None, None], [95400, 7, 8], [97200, None, None]]
    assert series.with_gaps(parts, until=97200) == series.with_gaps(parts)[:6]


def test_coarse_series_marks_missing_buckets_and_the_gap_before_the_fine_rows():
    archives = {"week": [[0, 1, 2, 3, 4], [5400, 9, 9, 9, 10]]}
    data = series.coarse_series(archives, {"week": 1800}, until=10800)
    assert series.expand_runs(data["runs"]) == [0, 1800, 5400, 7200]
    assert series.unpack_u16(data["in"])[1] is None and series.unpack_u16(data["out_max"])[3] is None


def test_fine_series_marks_polls_that_never_came():
    data = series.fine_series([[0, 5, 5], [60, 6, 6], [3600, 7, 7]], step=60)
    assert series.expand_runs(data["runs"]) == [0, 60, 120, 3600]
    assert series.unpack_u16(data["in"])[2] is None


def test_a_machines_graphs_packed_on_one_layout_are_each_graph_packed_alone():
    """A cut packs all of a machine's graphs on the times and gaps worked out once: the
    result is what packing each graph's own rows gives, out-of-order lines and gaps included."""
    times = [120, 0, 60, 3600, 3660]
    ins, outs, errs = [3, 1, 2, None, 5], [30, 10, 20, 40, None], [0, 0, 1.5, None, 0]
    layout = series.fine_layout(times, 60)
    alone = series.fine_series([[t, i, o] for t, i, o in zip(times, ins, outs)], True, 60)
    assert series.fine_packed(layout, {"in": ins, "out": outs}) == alone
    assert series.fine_packed(layout, {"avg": errs}) == series.fine_series([[t, e] for t, e in zip(times, errs)], False, 60)
    assert series.expand_runs(alone["runs"]) == [0, 60, 120, 180, 3600, 3660]
    assert series.unpack_u16(alone["in"]) == pytest.approx([1, 2, 3, None, None, 5], rel=1e-4)


def test_a_cut_gives_each_graph_its_own_values_and_none_where_a_poll_lacks_them(tmp_path):
    from site_builder import graphs
    lines = [{"t": 0, "if": {"a": [1, 2], "b": [3, 4]}, "oid": {"errors:a": 0}},
             {"t": 60, "if": {"a": [5, 6]}, "oid": {"errors:a": 2}},
             {"t": 120}]
    found = graphs._fine_columns(lines)
    assert graphs._graph_columns(found, "if", "b", 3) == {"in": [3, None, None], "out": [4, None, None]}
    assert graphs._graph_columns(found, "if", "a", 3) == {"in": [1, 5, None], "out": [2, 6, None]}
    assert graphs._graph_columns(found, "oid", "errors:a", 3) == {"avg": [0, 2, None]}
    assert graphs._graph_columns(found, "health", "cpu", 3) == {"avg": [None, None, None]}


def test_graph_ids_are_safe_and_distinct_for_distinct_names():
    from site_builder.graphs import graph_id, slug
    names = ["eth0", "ge-0/0/1", "ge-0_0_1", "GigabitEthernet1/0/1", "Port 1", "port_1", "..", "é", "x~1"]
    slugs = [slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    assert slug("eth0") == "eth0" and graph_id("interface", "eth0") == "if-eth0" and graph_id("oid", "load") == "oid-load"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", s) for s in slugs)


def test_recent_rows_follow_the_header_columns():
    from site_builder.graphs import columns_of, recent_row
    view = {"interfaces": [{"key": "a"}, {"key": "b"}], "oids": {"load": {}}}
    columns = columns_of(view)
    assert columns == [["if", "a", 0], ["if", "a", 1], ["if", "b", 0], ["if", "b", 1], ["oid", "load", None]]
    line = {"t": 60, "if": {"a": [1, 2], "b": [None, "x"]}, "oid": {"load": 0.5}}
    assert recent_row(line, columns) == [60, 1, 2, None, None, 0.5]
    assert recent_row({"t": 120}, columns) == [120, None, None, None, None, None]
