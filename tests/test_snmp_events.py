"""Status, rate and event rules of one poll cycle, on literal readings (no network)."""

from collector.snmp import events
from vigie import samples as samples_lib
from vigie.alert import MAX_TEXT
from vigie.alert_file import parse
from collector.snmp.cycle import apply_failure, apply_reading, needs_discovery, watched_interfaces

CONFIG = {"name": "edge-1", "threshold_percent": 90, "down_after": 2, "interfaces": "all",
          "tags": {"provider": "NetOps", "application": "core-network", "environment": "prod"}}
ETH0 = {"index": 1, "name": "eth0", "descr": "eth0", "alias": "uplink", "speed_bps": 100_000_000,
        "oper_status": "up", "admin_status": "up", "counter_bits": 64}
T0 = 1_767_225_600


def reading(ts, uptime_s, in_octets, out_octets, oper="up", descr="eth0"):
    return {"time": ts, "uptime_ticks": uptime_s * 100, "if_number": 1, "oids": {},
            "interfaces": {1: {"descr": descr, "in_octets": in_octets, "out_octets": out_octets,
                               "oper_status": oper}}}


def fresh():
    return samples_lib.MachineSamples("edge-1", 60)


def eth0(samples):
    return samples.view()["interfaces"][0]


def test_rates_from_two_readings():
    samples = fresh()
    assert apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {}) == []
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60, 1060, 7_500_000, 750_000), {})
    view = eth0(samples)
    assert view["in_bps"] == 1_000_000.0 and view["out_bps"] == 100_000.0
    assert view["utilisation_percent"] == 1.0
    # no error counters in this reading: the interface's errors series has a gap
    assert samples.fine[-1] == {"t": T0 + 60, "if": {"eth0": [1_000_000, 100_000]}, "oid": {"errors:eth0": None}}
    assert samples.view()["status"]["state"] == "up" and samples.view()["status"]["uptime_seconds"] == 1060


def test_reboot_gives_gap_not_spike():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 100_000, 9_000_000_000, 9_000_000_000), {})
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60, 30, 1_000, 2_000), {})
    assert eth0(samples)["in_bps"] is None
    assert samples.fine[-1]["if"]["eth0"] == [None, None]
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 120, 90, 751_000, 2_000), {})
    assert eth0(samples)["in_bps"] == 100_000.0


def test_reindexed_interface_gives_gap():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    other = dict(ETH0, descr="eth9", name="eth9")
    apply_reading(samples, CONFIG, [other], reading(T0 + 60, 1060, 5_000_000, 5, descr="eth9"), {})
    assert eth0(samples)["in_bps"] is None and eth0(samples)["key"] == "eth9"


def test_renumbered_interface_keeps_its_series_under_its_name():
    """A device that gives eth0 another ifIndex (after a line card change, say): one gap,
    then the same series, never a rate between two different counters."""
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60, 1060, 750_000, 0), {})
    moved = dict(ETH0, index=7)
    again = reading(T0 + 120, 1120, 90_000_000_000, 0)
    again["interfaces"] = {7: again["interfaces"][1]}
    apply_reading(samples, CONFIG, [moved], again, {})
    after = reading(T0 + 180, 1180, 90_000_750_000, 0)
    after["interfaces"] = {7: after["interfaces"][1]}
    apply_reading(samples, CONFIG, [moved], after, {})
    assert [line["if"] for line in samples.fine[1:]] == [{"eth0": [100_000, 0]}, {"eth0": [None, None]},
                                                          {"eth0": [100_000, 0]}]
    assert eth0(samples)["index"] == 7 and eth0(samples)["in_bps"] == 100_000.0


def test_machine_down_after_n_failures_alerts_once_and_up_once():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    assert apply_failure(samples, CONFIG, "timeout", T0 + 60) == []
    assert samples.status["state"] == "up" and samples.fine[-1] == {"t": T0 + 60}
    assert eth0(samples)["in_bps"] is None
    down = apply_failure(samples, CONFIG, "timeout", T0 + 120)
    assert [e["kind"] for e in down] == ["down"]
    assert samples.status["state"] == "down" and samples.status["consecutive_failures"] == 2
    assert apply_failure(samples, CONFIG, "timeout", T0 + 180) == []
    up = apply_reading(samples, CONFIG, [ETH0], reading(T0 + 240, 1240, 0, 0), {})
    assert [e["kind"] for e in up] == ["up"]
    assert apply_reading(samples, CONFIG, [ETH0], reading(T0 + 300, 1300, 0, 0), {}) == []


def test_interface_down_and_up_once_each():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    kinds = []
    for i, oper in enumerate(["down", "down", "up", "up"], start=1):
        kinds.append([e["kind"] for e in apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60 * i, 1000 + 60 * i, 0, 0, oper), {})])
    assert kinds == [["if_down"], [], ["if_up"], []]


def test_admin_down_interface_is_not_an_incident():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    admin_down = dict(ETH0, admin_status="down")
    assert apply_reading(samples, CONFIG, [admin_down], reading(T0 + 60, 1060, 0, 0, "down"), {}) == []


def test_utilisation_high_then_back_under_once_each():
    samples = fresh()
    octets = 0
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    kinds = []
    for i, mbps in enumerate([95, 97, 99, 85, 50, 40], start=1):
        octets += mbps * 1_000_000 // 8 * 60
        got = apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60 * i, 1000 + 60 * i, octets, 0), {})
        kinds.append([e["kind"] for e in got])
    # two polls over 90 % raise; 85 % is under the threshold but not under it by the hysteresis
    assert kinds == [[], ["util_high"], [], [], ["util_ok"], []]


def test_extra_oids_gauge_and_counter():
    samples = fresh()
    extra = {"load": {"oid": "1.3.6.1.4.1.2021.10.1.5.1", "type": "gauge", "unit": "%"},
             "packets": {"oid": "1.3.6.1.9.9", "type": "counter", "unit": "pkt/s"}}
    r = reading(T0, 1000, 0, 0)
    r["oids"] = {"load": 42, "packets": 1000}
    apply_reading(samples, CONFIG, [ETH0], r, extra)
    r = reading(T0 + 60, 1060, 0, 0)
    r["oids"] = {"load": 44, "packets": 7000}
    apply_reading(samples, CONFIG, [ETH0], r, extra)
    oids = samples.view()["oids"]
    assert oids["load"]["last"] == 44 and oids["load"]["unit"] == "%"
    assert oids["packets"]["last"] == 100.0
    assert samples.fine[-1]["oid"] == {"load": 44, "packets": 100.0, "errors:eth0": None}


def test_discovery_needed_when_if_number_or_descr_changes():
    samples = fresh()
    samples.discovery = {"if_number": 1, "interfaces": [ETH0], "time": T0}
    assert not needs_discovery(samples, CONFIG, reading(T0, 10, 0, 0))
    changed = reading(T0, 10, 0, 0)
    changed["if_number"] = 2
    assert needs_discovery(samples, CONFIG, changed)
    assert needs_discovery(samples, CONFIG, reading(T0, 10, 0, 0, descr="eth7"))
    assert needs_discovery(samples, CONFIG, now=T0 + 7200)


def test_a_device_with_too_many_interfaces_is_cut_with_a_notice():
    samples = fresh()
    samples.discovery = {"if_number": 1000, "time": T0,
                         "interfaces": [dict(ETH0, index=i, name=f"ge-{i}", descr=f"ge-{i}") for i in range(1, 1001)]}
    watched = watched_interfaces(samples, CONFIG)
    assert len(watched) == samples_lib.MAX_INTERFACES and watched[-1]["index"] == samples_lib.MAX_INTERFACES
    assert "1000 interfaces" in samples.head["notices"][0] and '"interfaces"' in samples.head["notices"][0]
    listed = dict(CONFIG, interfaces=["ge-3", 5])
    assert [i["index"] for i in watched_interfaces(samples, listed)] == [3, 5] and samples.head["notices"] == []


def test_alert_file_round_trips_with_tags_and_severity(tmp_path):
    event = events.make_event("down", T0, "Machine is not answering SNMP")
    path = events.write_alert(tmp_path, "edge-1", CONFIG["tags"], event)
    record = parse(path.read_text(encoding="utf-8"))
    assert record["server"] == "edge-1" and record["severity"] == "CRITICAL"
    assert record["provider"] == "NetOps" and record["environment"] == "prod"
    assert record["timestamp"] == "2026-01-01T00:00:00+00:00"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]   # no temp file left


def test_severities_fit_the_events():
    assert events.SEVERITY == {"down": "CRITICAL", "up": "INFO", "if_down": "ERROR", "if_up": "INFO",
                               "util_high": "WARNING", "util_ok": "INFO", "oid_high": "WARNING", "oid_ok": "INFO",
                               "health_warning": "WARNING", "health_error": "ERROR", "health_critical": "CRITICAL",
                               "health_ok": "INFO", "capacity_low": "WARNING", "capacity_ok": "INFO"}


def test_a_problem_and_its_return_to_normal_share_one_fingerprint_per_machine_and_condition():
    def key(kind, interface=None, machine="edge-1"):
        return events.alert_record(machine, CONFIG["tags"], events.make_event(kind, T0, "m", interface))["fingerprint"]
    assert key("down") == key("up") == "snmp:reachability:edge-1"
    assert key("if_down", "ge-0/0/1") == key("if_up", "ge-0/0/1") == "snmp:oper-status:edge-1:ge-0/0/1"
    assert key("util_high", "ge-0/0/1") == key("util_ok", "ge-0/0/1") == "snmp:utilisation:edge-1:ge-0/0/1"
    distinct = {key("down"), key("down", machine="edge-2"), key("if_down", "ge-0/0/1"), key("if_down", "ge-0/0/2"),
                key("util_high", "ge-0/0/1")}
    assert len(distinct) == 5
    long_name = "x" * 300
    assert len(key("if_down", long_name)) <= 200 and key("if_down", long_name) != key("if_down", long_name + "y")


def test_a_down_alert_with_a_long_error_is_written_cut_not_refused(tmp_path):
    # the device's error text has no length limit; the watcher refuses a message over MAX_TEXT
    (event,) = events.machine_events("up", "down", T0, "no answer: " + "x" * 3000)
    path = events.write_alert(tmp_path, "edge-1", CONFIG["tags"], event)
    record = parse(path.read_text(encoding="utf-8"))
    assert len(record["message"]) == MAX_TEXT and record["message"].endswith("…")
    assert record["message"].startswith("Machine is not answering SNMP: no answer: xxx")
    assert record["fingerprint"] == "snmp:reachability:edge-1"


def test_the_alert_file_carries_the_fingerprint_line(tmp_path):
    event = events.make_event("if_down", T0, "Interface eth0 is down", "eth0")
    path = events.write_alert(tmp_path, "edge-1", CONFIG["tags"], event)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[7] == "Fingerprint : snmp:oper-status:edge-1:eth0" and len(text.splitlines()) == 8
    assert parse(text)["fingerprint"] == "snmp:oper-status:edge-1:eth0"


def test_extra_oid_scale_applies_to_gauges_and_to_counter_rates():
    samples = fresh()
    extra = {"load": {"oid": "1.3.6.1.4.1.2021.10.1.5.1", "type": "gauge", "unit": None, "scale": 0.01},
             "octets": {"oid": "1.3.6.1.9.9", "type": "counter", "unit": "B/s", "scale": 0.5}}
    r = reading(T0, 1000, 0, 0)
    r["oids"] = {"load": 12, "octets": 1000}
    apply_reading(samples, CONFIG, [ETH0], r, extra)
    r = reading(T0 + 60, 1060, 0, 0)
    r["oids"] = {"load": 37, "octets": 7000}
    apply_reading(samples, CONFIG, [ETH0], r, extra)
    oids = samples.view()["oids"]
    assert oids["load"]["last"] == 0.37
    assert oids["octets"]["last"] == 50.0


def test_a_machine_that_stops_answering_has_its_interfaces_unknown_since_its_last_answer():
    samples = fresh()
    apply_reading(samples, CONFIG, [ETH0], reading(T0, 1000, 0, 0), {})
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 60, 1060, 7_500_000, 0), {})
    assert eth0(samples)["oper_status"] == "up" and samples.view()["status"]["answering"] is True
    apply_failure(samples, CONFIG, "timeout", T0 + 120)
    apply_failure(samples, CONFIG, "timeout", T0 + 180)
    view = samples.view()
    assert view["status"]["state"] == "down" and view["status"]["answering"] is False
    interface = view["interfaces"][0]
    assert interface["oper_status"] == "unknown" and interface["last_oper_status"] == "up"
    assert interface["unknown_since"] == view["status"]["last_seen"] == "2026-01-01T00:01:00+00:00"
    assert interface["in_bps"] is None
    assert view["status"]["uptime_seconds"] == 1060, "the uptime as last read, not counted on"
    assert view["status"]["uptime_as_of"] == "2026-01-01T00:01:00+00:00"
    apply_reading(samples, CONFIG, [ETH0], reading(T0 + 240, 1240, 7_500_000, 0), {})
    assert eth0(samples)["oper_status"] == "up" and "unknown_since" not in eth0(samples)


def with_errors(r, in_errors, in_discards=0):
    r["interfaces"][1].update(in_errors=in_errors, out_errors=0, in_discards=in_discards, out_discards=0)
    return r


def test_errors_and_discards_are_a_rate_with_an_alert_past_errors_per_second():
    samples, config = fresh(), dict(CONFIG, errors_per_second=2, threshold_polls=2)
    found = []
    for i, (errors, discards) in enumerate([(0, 0), (60, 0), (240, 60), (480, 120), (500, 120), (510, 121)]):
        r = with_errors(reading(T0 + 60 * i, 1000 + 60 * i, 0, 0), errors, discards)
        found.append([(e["kind"], e["message"]) for e in apply_reading(samples, config, [ETH0], r, {})])
    assert found == [[], [], [], [("oid_high", "Interface eth0 errors and discards at 5 errors/s for 2 polls "
                                                "(threshold: above 2 errors/s)")],
                     [("oid_ok", "Interface eth0 errors and discards back to 0.33 errors/s (threshold: above 2 errors/s)")],
                     []]
    errors = samples.view()["oids"]["errors:eth0"]
    assert errors["unit"] == "errors/s" and errors["interface"] == "eth0" and errors["last"] == 0.183
    assert samples.fine[-1]["oid"]["errors:eth0"] == 0.183


def test_an_interface_may_have_its_own_errors_threshold():
    samples = fresh()
    config = dict(CONFIG, errors_per_second=100, threshold_polls=1,
                  interface_thresholds={"eth0": {"errors_per_second": 0.5}})
    apply_reading(samples, config, [ETH0], with_errors(reading(T0, 1000, 0, 0), 0), {})
    got = apply_reading(samples, config, [ETH0], with_errors(reading(T0 + 60, 1060, 0, 0), 60), {})
    assert [e["kind"] for e in got] == ["oid_high"]
