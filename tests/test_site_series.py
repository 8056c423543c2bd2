"""Graph data packing (site_builder/series.py): pure functions on literal rows."""

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


def test_interface_series_peaks_only_for_coarse_rows():
    archives = {"day": [[3600, 5, 6, 5, 6], [3660, 7, 8, 7, 8]],
                "week": [[0, 1, 2, 3, 4], [1800, 9, 9, 9, 10]]}
    data = series.interface_series(archives, {"day": 60, "week": 1800})
    assert data["points"] == 4 and data["peak_points"] == 2
    assert [round(v) for v in series.unpack_u16(data["in"])] == [1, 9, 5, 7]
    assert [round(v) for v in series.unpack_u16(data["out_max"])] == [4, 10]
