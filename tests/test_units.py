import pytest

from vigie import units


@pytest.mark.parametrize("value, text", [
    (None, "–"), (0, "0 b/s"), (0.4, "< 1 b/s"), (999, "999 b/s"), (999.6, "1 kb/s"), (1000, "1 kb/s"), (1234567, "1.23 Mb/s"),
    (999_700, "1 Mb/s"), (10_000_000_000, "10 Gb/s"), (5e12, "5 Tb/s"), (1e15, "1000 Tb/s"), (-2500, "-2.5 kb/s"),
])
def test_bits_per_second(value, text):
    assert units.bits_per_second(value) == text


@pytest.mark.parametrize("value, text", [
    (None, "–"), (0, "0 B"), (999, "999 B"), (8_640_000, "8.64 MB"), (1_080_000_000, "1.08 GB"), (2.5e12, "2.5 TB"),
])
def test_byte_count(value, text):
    assert units.byte_count(value) == text


@pytest.mark.parametrize("seconds, text", [
    (None, "–"), (0, "0 s"), (45, "45 s"), (60, "1 min"), (90, "1 min 30 s"), (3599, "59 min 59 s"),
    (7200, "2 h"), (7260, "2 h 1 min"), (86400, "1 d"), (93784, "1 d 2 h"), (86460, "1 d"), (-5, "0 s"),
])
def test_duration(seconds, text):
    assert units.duration(seconds) == text


def test_the_terminal_and_the_site_say_the_same():
    from collector import status
    from site_builder.render import make_environment
    env = make_environment()
    shown = env.from_string("{{ v|bps }} / {{ s|duration }}").render(v=1234567, s=93784)
    table = status.render_table([{"name": "r1", "status": "up", "last_seen": None, "uptime_seconds": 93784,
                                  "last_error": None, "interfaces": [
                                      {"name": "eth0", "oper_status": "up", "in_bps": 1234567, "out_bps": None}]}])
    assert shown == "1.23 Mb/s / 1 d 2 h"
    assert "1.23 Mb/s" in table and "1 d 2 h" in table and "out            –" in table
