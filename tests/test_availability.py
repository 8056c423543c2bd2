"""Availability from a state history (vigie/availability.py): pure rules on literal
times, then through the collector's own poll rules and store at chosen times."""

import pytest

from vigie import availability as av
from vigie.samples import states

T0 = 1_767_225_600          # 2026-01-01T00:00:00Z
HOUR = 3600


def line(t, s, interface=None):
    return states.mark(t, s, interface)


def machine_report(lines, start, end, now, windows=(), exclude=False, until=None):
    machine, _ = av.timelines(lines, now if until is None else until)
    return av.report(machine, start, end, now, windows, exclude)


TEN_MINUTES_DOWN = [line(T0 - 60, "up"), line(T0 + 1800, "down"), line(T0 + 2400, "up")]


def test_an_hour_with_a_ten_minute_outage_reads_83_3_percent():
    got = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR)
    assert got["availability_percent"] == pytest.approx(83.3333, abs=1e-4)
    assert got["seconds"] == {"period": 3600, "up": 3000, "down": 600, "off": 0, "no_data": 0, "maintenance": 0,
                              "up_in_maintenance": 0, "down_in_maintenance": 0}
    assert got["outages"] == [{"start": T0 + 1800, "end": T0 + 2400, "ended_by": "up", "seconds": 600,
                               "seconds_in_period": 600, "maintenance_seconds": 0}]


def test_the_outage_silenced_and_maintenance_excluded_reads_100_percent():
    window = [(T0 + 1800, T0 + 2400)]
    kept = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR, window)
    excluded = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR, window, exclude=True)
    assert kept["availability_percent"] == pytest.approx(83.3333, abs=1e-4)   # shown apart, counted
    assert kept["seconds"]["maintenance"] == 600 and kept["seconds"]["down_in_maintenance"] == 600
    assert excluded["availability_percent"] == 100.0
    assert excluded["outages"][0]["maintenance_seconds"] == 600


def test_maintenance_while_up_is_left_out_of_both_sides():
    got = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR, [(T0, T0 + 1200)], exclude=True)
    assert got["seconds"]["up_in_maintenance"] == 1200
    assert got["availability_percent"] == pytest.approx(100 * 1800 / 2400, abs=1e-4)


def test_overlapping_silences_count_their_time_once():
    windows = [(T0 + 2000, T0 + 2400), (T0 + 1800, T0 + 2100), (T0 + 2200, T0 + 2300), (T0 + 2400, T0 + 2400)]
    got = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR, windows, exclude=True)
    assert got["seconds"]["maintenance"] == 600
    assert got["availability_percent"] == 100.0


def test_a_window_reaching_outside_the_period_counts_only_inside():
    got = machine_report(TEN_MINUTES_DOWN, T0, T0 + HOUR, T0 + HOUR, [(T0 - 5000, T0 + 100), (T0 + 3500, T0 + 9000)])
    assert got["seconds"]["maintenance"] == 200


def test_an_outage_open_at_the_periods_start_keeps_its_real_start():
    lines = [line(T0 - 7200, "up"), line(T0 - 600, "down"), line(T0 + 300, "up")]
    got = machine_report(lines, T0, T0 + HOUR, T0 + HOUR)
    assert got["seconds"]["down"] == 300 and got["seconds"]["up"] == 3300
    assert got["outages"] == [{"start": T0 - 600, "end": T0 + 300, "ended_by": "up", "seconds": 900,
                               "seconds_in_period": 300, "maintenance_seconds": 0}]


def test_an_outage_going_on_now_has_no_end_yet():
    lines = [line(T0 - 60, "up"), line(T0 + 3000, "down")]
    got = machine_report(lines, T0, T0 + HOUR, T0 + HOUR)
    assert got["outages"] == [{"start": T0 + 3000, "end": None, "ended_by": None, "seconds": 600,
                               "seconds_in_period": 600, "maintenance_seconds": 0}]
    assert got["availability_percent"] == pytest.approx(100 * 3000 / 3600, abs=1e-4)


def test_an_outage_open_at_the_periods_end_keeps_its_real_end():
    lines = [line(T0 - 60, "up"), line(T0 + 3000, "down"), line(T0 + 4000, "up")]
    got = machine_report(lines, T0, T0 + HOUR, T0 + 2 * HOUR)
    assert got["seconds"]["down"] == 600
    assert got["outages"] == [{"start": T0 + 3000, "end": T0 + 4000, "ended_by": "up", "seconds": 1000,
                               "seconds_in_period": 600, "maintenance_seconds": 0}]


def test_a_machine_added_later_has_no_data_before_and_is_not_counted_down():
    got = machine_report([line(T0 + 1200, "up")], T0, T0 + HOUR, T0 + HOUR)
    assert got["seconds"]["no_data"] == 1200 and got["seconds"]["up"] == 2400
    assert got["availability_percent"] == 100.0


def test_no_history_at_all_is_no_availability_not_100():
    got = machine_report([], T0, T0 + HOUR, T0 + HOUR)
    assert got["availability_percent"] is None
    assert got["seconds"]["no_data"] == 3600 and got["outages"] == []


def test_a_gap_in_the_collector_is_no_data():
    lines = [line(T0 - 60, "up"), line(T0 + 1000, "none"), line(T0 + 2000, "up")]
    got = machine_report(lines, T0, T0 + HOUR, T0 + HOUR)
    assert (got["seconds"]["up"], got["seconds"]["no_data"]) == (2600, 1000)


def test_a_collector_stopped_since_its_last_poll_has_no_data_since():
    history_end = av.observed_until(T0 + 2400, T0 + HOUR, states.no_data_after_seconds(60))
    assert history_end == T0 + 2400
    assert av.observed_until(T0 + 3590, T0 + HOUR, states.no_data_after_seconds(60)) == T0 + HOUR
    got = machine_report([line(T0 - 60, "down")], T0, T0 + HOUR, T0 + HOUR, until=history_end)
    assert (got["seconds"]["down"], got["seconds"]["no_data"]) == (2400, 1200)
    assert got["outages"][0]["end"] == T0 + 2400 and got["outages"][0]["ended_by"] == "no data"


def test_a_period_in_the_future_measures_nothing():
    got = machine_report(TEN_MINUTES_DOWN, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + HOUR)
    assert got["availability_percent"] is None
    assert got["seconds"]["period"] == 0 and got["outages"] == []


def test_a_period_reaching_into_the_future_is_measured_up_to_now():
    got = machine_report(TEN_MINUTES_DOWN, T0, T0 + 10 * HOUR, T0 + HOUR)
    assert got["seconds"]["period"] == 3600
    assert got["availability_percent"] == pytest.approx(83.3333, abs=1e-4)


def test_availability_reads_100_only_when_nothing_was_down():
    assert av.availability_percent(10 ** 7, 1) < 100
    assert av.availability_percent(5, 0) == 100.0


def test_the_later_of_two_lines_at_one_time_holds():
    got = machine_report([line(T0, "up"), line(T0, "down")], T0, T0 + 60, T0 + 60)
    assert got["seconds"]["down"] == 60 and got["seconds"]["up"] == 0


def test_an_interface_has_no_data_while_its_machine_is_not_up():
    lines = [line(T0, "up"), line(T0, "up", "ge-0"), line(T0 + 600, "down"), line(T0 + 1200, "up"),
             line(T0 + 1800, "down", "ge-0"), line(T0 + 2400, "up", "ge-0"), line(T0 + 3000, "off", "ge-0")]
    machine, interfaces = av.timelines(lines, T0 + HOUR)
    got = av.report(interfaces["ge-0"], T0, T0 + HOUR, T0 + HOUR)
    assert got["seconds"] == {"period": 3600, "up": 1800, "down": 600, "off": 600, "no_data": 600,
                              "maintenance": 0, "up_in_maintenance": 0, "down_in_maintenance": 0}
    assert got["availability_percent"] == pytest.approx(75.0)
    assert got["outages"][0]["ended_by"] == "up"


# ---------------------------------------------------------------- through the collector's rules and store

from collector.snmp.cycle import apply_failure, apply_reading   # noqa: E402
from vigie import samples as samples_lib                       # noqa: E402
from vigie import scope                                        # noqa: E402

CONFIG = {"name": "edge-1", "threshold_percent": 90, "down_after": 2, "interfaces": "all", "tags": {}}
ETH0 = {"index": 1, "name": "eth0", "descr": "eth0", "alias": "", "speed_bps": 100_000_000,
        "oper_status": "up", "admin_status": "up", "counter_bits": 64}


def reading(ts, oper="up"):
    return {"time": ts, "uptime_ticks": (ts - T0 + 1000) * 100, "if_number": 1, "oids": {},
            "interfaces": {1: {"descr": "eth0", "in_octets": ts, "out_octets": ts, "oper_status": oper}}}


def polled_hour(tmp_path, down=range(T0 + 1800, T0 + 2400, 60), eth0_down=()):
    """An hour polled every minute by the collector's own rules and store: no answer
    in `down`, eth0 down in `eth0_down`."""
    store = samples_lib.SamplesStore(tmp_path)
    record = store.load("edge-1", 60)
    for ts in range(T0 - 60, T0 + HOUR + 1, 60):
        if ts in down:
            apply_failure(record, CONFIG, "timeout", ts)
        else:
            apply_reading(record, CONFIG, [ETH0], reading(ts, "down" if ts in eth0_down else "up"), {})
        store.save(record, now_ts=ts)
    return samples_lib.read_states(tmp_path, "edge-1")


def test_a_machine_stopped_ten_minutes_of_a_polled_hour_reads_83_3_percent(tmp_path):
    history = polled_hour(tmp_path)
    assert history["last_poll"] == T0 + HOUR and history["no_data_after_seconds"] == states.no_data_after_seconds(60)
    fields = scope.machine_fields("edge-1", CONFIG)
    got = av.machine_availability("edge-1", fields, history, [], T0, T0 + HOUR, T0 + HOUR)
    assert got["availability_percent"] == pytest.approx(83.3333, abs=1e-4)
    assert [(o["start"], o["end"], o["seconds"]) for o in got["outages"]] == [
        ("2026-01-01T00:30:00+00:00", "2026-01-01T00:40:00+00:00", 600)]
    (eth0,) = got["interfaces"]
    assert eth0["seconds"]["no_data"] == 600 and eth0["availability_percent"] == 100.0


def test_the_window_silenced_with_maintenance_excluded_reads_100_percent(tmp_path):
    from datetime import datetime, timezone
    history = polled_hour(tmp_path)
    moment = datetime.fromtimestamp(T0 + 1800, timezone.utc)
    silence = {"matchers": {"server": "edge-1"}, "starts_at": moment,
               "ends_at": datetime.fromtimestamp(T0 + 2400, timezone.utc), "schedule": None, "comment": "swap"}
    windows = av.silence_windows([silence], T0, T0 + HOUR)
    fields = scope.machine_fields("edge-1", CONFIG)
    kept = av.machine_availability("edge-1", fields, history, windows, T0, T0 + HOUR, T0 + HOUR)
    excluded = av.machine_availability("edge-1", fields, history, windows, T0, T0 + HOUR, T0 + HOUR, True)
    assert kept["availability_percent"] == pytest.approx(83.3333, abs=1e-4)
    assert kept["seconds"]["maintenance"] == 600
    assert excluded["availability_percent"] == 100.0


def test_an_interface_down_in_a_polled_hour_is_listed_with_its_outage(tmp_path):
    history = polled_hour(tmp_path, down=(), eth0_down=range(T0 + 600, T0 + 900, 60))
    got = av.machine_availability("edge-1", scope.machine_fields("edge-1", CONFIG), history, [], T0, T0 + HOUR,
                                  T0 + HOUR)
    assert got["availability_percent"] == 100.0
    (eth0,) = got["interfaces"]
    assert eth0["interface"] == "eth0" and eth0["seconds"]["down"] == 300
    assert [(o["start"], o["seconds"]) for o in eth0["outages"]] == [("2026-01-01T00:10:00+00:00", 300)]


def test_silences_matching_another_machine_or_alert_are_not_its_maintenance(tmp_path):
    from datetime import datetime, timezone
    history = polled_hour(tmp_path)
    start, end = (datetime.fromtimestamp(t, timezone.utc) for t in (T0 + 1800, T0 + 2400))
    others = [{"matchers": m, "starts_at": start, "ends_at": end, "schedule": None, "comment": "x"}
              for m in ({"server": "edge-2"}, {"server": "edge-1", "message": "disk"},
                        {"server": "edge-1", "severity": ["WARNING"]})]
    got = av.machine_availability("edge-1", scope.machine_fields("edge-1", CONFIG), history,
                                  av.silence_windows(others, T0, T0 + HOUR), T0, T0 + HOUR, T0 + HOUR, True)
    assert got["seconds"]["maintenance"] == 0
    assert got["availability_percent"] == pytest.approx(83.3333, abs=1e-4)


def test_the_down_alerts_matched_are_those_the_collector_writes():
    from collector.snmp import events
    fields = scope.machine_fields("edge-1", {"tags": {"provider": "NetOps", "environment": "Prod"}})
    (down,) = events.machine_events("up", "down", T0, "timeout")
    written = events.alert_record("edge-1", {"provider": "NetOps", "environment": "prod"}, down)
    from vigie import down_alerts
    synthetic = down_alerts.machine_down_alert(fields)
    assert {k: written[k] for k in synthetic if k != "message"} == {k: v for k, v in synthetic.items() if k != "message"}
    assert written["message"].startswith(synthetic["message"])
    if_down, _ = events.interface_events("ge-0", {"oper_status": "up"}, {"oper_status": "down"},
                                         events.utilisation_rule(events.resolve_rules({})), T0)
    written = events.alert_record("edge-1", {}, if_down[0])
    assert (written["severity"], written["message"]) == \
        tuple(down_alerts.interface_down_alert(fields, "ge-0")[k] for k in ("severity", "message"))
