import pytest

from collector.snmp import rates


@pytest.mark.parametrize("previous, current, bits, expected", [
    (1000, 5000, 64, 4000),
    (1000, 1000, 32, 0),
    (2 ** 32 - 100, 50, 32, 150),            # one 32-bit wrap is unwrapped
    (4_000_000_000, 1_000, 32, 2 ** 32 - 4_000_000_000 + 1_000),
    (5000, 1000, 64, None),                  # 64-bit counter went back: reset, gap
    (None, 1000, 64, None),
    (1000, None, 32, None),
    (2 ** 40, 10, 32, None),                 # not a 32-bit value: no wrap guess
])
def test_counter_delta(previous, current, bits, expected):
    assert rates.counter_delta(previous, current, bits) == expected


def test_rate_from_octets_is_bits_per_second():
    assert rates.interface_bps(1_000, 76_000, 64, 60, 1_000_000_000) == pytest.approx(10_000.0)


def test_rate_handles_counter32_wrap():
    # 2**32-1000 -> 124000 over 10 s: 125000 octets = 1 Mbit in 10 s = 100 kbit/s
    assert rates.interface_bps(2 ** 32 - 1000, 124_000, 32, 10, 100_000_000) == pytest.approx(100_000.0)


def test_counter64_backwards_gives_gap_not_negative():
    assert rates.interface_bps(10 ** 12, 10 ** 6, 64, 60, 10 ** 10) is None


def test_rate_above_interface_speed_is_dropped():
    # 10 Mbit/s interface, counter says 80 Mbit/s
    assert rates.interface_bps(0, 100_000_000, 64, 10, 10_000_000) is None
    # 5 % over (poll jitter) is kept
    assert rates.interface_bps(0, 13_125_000, 64, 10, 10_000_000) == pytest.approx(10_500_000)


def test_unknown_speed_keeps_rate():
    assert rates.interface_bps(0, 1_250, 64, 1, None) == 10_000


@pytest.mark.parametrize("previous, current, elapsed, expected", [
    (500_000, 506_000, 60, False),    # 5000 s up, +60 s: fine
    (500_000, 1_000, 60, True),       # sysUpTime went back
    (2_000, 4_000, 60, True),         # up 40 s but last poll 60 s ago: restarted in between
    (None, 4_000, 60, False),
])
def test_rebooted(previous, current, elapsed, expected):
    assert rates.rebooted(previous, current, elapsed) is expected


def test_zero_or_negative_interval_gives_gap():
    assert rates.octets_to_bits_per_second(100, 0) is None
    assert rates.octets_to_bits_per_second(100, -5) is None


def test_utilisation_uses_busier_direction():
    assert rates.utilisation_percent(20_000_000, 95_000_000, 100_000_000) == 95.0
    assert rates.utilisation_percent(None, 50.0, 100) == 50.0
    assert rates.utilisation_percent(None, None, 100) is None
    assert rates.utilisation_percent(10, 10, None) is None


def test_speed_prefers_high_speed_when_saturated():
    assert rates.speed_bps(4_294_967_295, 10_000) == 10_000_000_000
    assert rates.speed_bps(100_000_000, 100) == 100_000_000
    assert rates.speed_bps(0, 0) is None
    assert rates.speed_bps(None, 25_000) == 25_000_000_000


def test_counter_per_second_for_extra_oids():
    assert rates.counter_per_second(100, 700, 64, 60) == 10.0
    assert rates.counter_per_second(700, 100, 64, 60) is None


@pytest.mark.parametrize("wall, previous, current, expected", [
    (60.4, 100_000, 106_000, 60.0),      # the agent's clock: 6000 ticks = 60 s
    (60.0, 100_000, 100_000, 60.0),      # frozen uptime: wall clock
    (60.0, 100_000, 90_000, 60.0),       # went back (reboot): wall clock, and a gap elsewhere
    (60.0, 100_000, 130_000, 60.0),      # 300 s by the agent against 60 s: not trusted
    (None, 1, 2, None),
])
def test_interval_prefers_agent_uptime_when_sane(wall, previous, current, expected):
    assert rates.interval_seconds(wall, previous, current) == expected
