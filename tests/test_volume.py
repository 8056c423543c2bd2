"""Traffic volume from the year archive's daily averages (pure, on literal lines)."""

from datetime import datetime, timezone

from vigie.volume import since, volumes

DAY = 86400


def t(year, month, day):
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())


def line(ts, **ifs):
    return {"t": ts, "if": {k: [v[0], v[1], v[0] and v[0] * 2, v[1] and v[1] * 2] for k, v in ifs.items()}}


NOW = t(2026, 11, 22) + 10 * 3600   # 22 November, 10:00 UTC


def test_yesterday_and_the_whole_days_of_the_month():
    lines = [line(t(2026, 10, 31), eth0=(8_000_000, 800_000)),      # last month: not counted
             line(t(2026, 11, 1), eth0=(8_000_000, 800_000)),
             line(t(2026, 11, 20), eth0=(16_000_000, None)),
             line(t(2026, 11, 21), eth0=(800, 80))]
    found = volumes(lines, NOW)["eth0"]
    assert found["day"] == [800 * DAY / 8, 80 * DAY / 8]            # 8.64 MB in, 864 kB out
    assert found["month"] == [(8_000_000 + 16_000_000 + 800) * DAY / 8, (800_000 + 80) * DAY / 8]


def test_no_line_for_yesterday_means_no_volume_of_the_day():
    found = volumes([line(t(2026, 11, 19), eth0=(1000, 1000))], NOW)["eth0"]
    assert found["day"] == [None, None] and found["month"] == [1000 * DAY / 8, 1000 * DAY / 8]


def test_the_first_day_needed():
    assert since(NOW) == t(2026, 11, 1)
    assert since(t(2026, 12, 1) + 3600) == t(2026, 11, 30), "on the 1st: yesterday is last month"
