"""Health metrics from standard MIBs, and their rules: pure functions on literal answers."""

import pytest

from collector.snmp import health as h
from collector.snmp import health_rules as hr

T0 = 1_767_225_600.0

# what net-snmp 5.9 (Debian 12) answers for a small Linux host
NET_SNMP = {
    h.HR_STORAGE_TYPE: {"1": f"{h.HR_STORAGE_TYPES}.2", "3": f"{h.HR_STORAGE_TYPES}.3", "6": f"{h.HR_STORAGE_TYPES}.1",
                        "31": f"{h.HR_STORAGE_TYPES}.4", "35": f"{h.HR_STORAGE_TYPES}.4", "40": f"{h.HR_STORAGE_TYPES}.4"},
    h.HR_STORAGE_DESCR: {"1": "Physical memory", "3": "Virtual memory", "6": "Memory buffers", "31": "/",
                         "35": "/var", "40": "/proc/sys"},
    h.HR_STORAGE_UNITS: {"1": 1024, "3": 1024, "6": 1024, "31": 4096, "35": 4096, "40": 4096},
    h.HR_STORAGE_SIZE: {"1": 4_000_000, "3": 5_000_000, "6": 4_000_000, "31": 2_500_000, "35": 1_000_000, "40": 0},
    h.HR_PROCESSOR_FRW_ID: {"196608": "0.0", "196609": "0.0"},
    h.HR_PROCESSOR_LOAD: {"196608": 12, "196609": 30},
    h.LA_LOAD_INT: {"1": 42, "2": 37, "3": 20},
}
NET_SNMP_SCALARS = {h.HR_SYSTEM_PROCESSES: 180, h.UCD_MEMORY["total"]: 4_000_000, h.UCD_MEMORY["free"]: 1_000_000,
                    h.UCD_MEMORY["buffers"]: 100_000, h.UCD_MEMORY["cached"]: 900_000,
                    h.UCD_MEMORY["available"]: 2_200_000, h.SS_CPU_RAW["user"]: 1000, h.SS_CPU_RAW["idle"]: 9000}


def by_name(metrics):
    return {m["name"]: m for m in metrics}


def test_a_linux_host_offers_cpu_memory_each_file_system_load_and_processes():
    found = by_name(h.catalogue(NET_SNMP, NET_SNMP_SCALARS))
    assert list(found) == ["cpu", "cpu:0", "cpu:1", "memory", "storage:/", "storage:/var", "load:1min", "load:5min",
                           "load:15min", "processes"]
    assert found["cpu"]["how"] == "mean" and found["cpu"]["of"] == ["cpu:0", "cpu:1"]
    assert found["cpu:1"]["oids"] == {"value": f"{h.HR_PROCESSOR_LOAD}.196609"}
    # UCD's memory replaces hrStorage's RAM row (which counts the page cache as used)
    assert found["memory"]["source"] == "UCD-SNMP-MIB" and found["memory"]["unit"] == "B"
    assert found["storage:/var"]["oids"] == {"used": f"{h.HR_STORAGE_USED}.35", "size": f"{h.HR_STORAGE_SIZE}.35"}
    assert found["storage:/var"]["factor"] == 4096 and found["load:1min"]["factor"] == 0.01


def test_the_values_of_a_linux_host():
    metrics = h.catalogue(NET_SNMP, NET_SNMP_SCALARS)
    answers = dict(NET_SNMP_SCALARS)
    answers.update({f"{h.HR_PROCESSOR_LOAD}.196608": 12, f"{h.HR_PROCESSOR_LOAD}.196609": 31,
                    f"{h.HR_STORAGE_USED}.31": 1_250_000, f"{h.HR_STORAGE_SIZE}.31": 2_500_000,
                    f"{h.HR_STORAGE_USED}.35": 900_000, f"{h.HR_STORAGE_SIZE}.35": 1_000_000,
                    f"{h.LA_LOAD_INT}.1": 42, f"{h.LA_LOAD_INT}.2": 37, f"{h.LA_LOAD_INT}.3": 20})
    values, _ = h.read_metrics(metrics, answers)
    assert values["cpu"]["value"] == 21.5 and values["cpu:1"]["value"] == 31
    # memory: total less MemAvailable, in bytes
    assert values["memory"]["value"] == (4_000_000 - 2_200_000) * 1024 and values["memory"]["size"] == 4_000_000 * 1024
    assert values["storage:/var"]["value"] == 900_000 * 4096 and values["storage:/var"]["size"] == 1_000_000 * 4096
    assert h.percent_used(values["storage:/var"]["value"], values["storage:/var"]["size"]) == 90.0
    assert values["load:1min"]["value"] == 0.42 and values["load:15min"]["value"] == 0.2
    assert values["processes"]["value"] == 180


def test_memory_without_memavailable_leaves_buffers_and_cache_out():
    scalars = {k: v for k, v in NET_SNMP_SCALARS.items() if k != h.UCD_MEMORY["available"]}
    memory = by_name(h.catalogue({}, scalars))["memory"]
    values, _ = h.read_metrics([memory], scalars)
    assert values["memory"]["value"] == (4_000_000 - 1_000_000 - 100_000 - 900_000) * 1024


def test_hr_storage_ram_is_the_memory_without_ucd():
    found = by_name(h.catalogue(NET_SNMP, {}))
    assert found["memory"]["source"] == "HOST-RESOURCES-MIB" and found["memory"]["factor"] == 1024
    assert "load:1min" in found and "processes" not in found


def test_a_processor_not_yet_answering_is_a_gap_and_one_processor_is_the_cpu():
    only_rows = {h.HR_PROCESSOR_FRW_ID: {"768": "0.0"}}      # net-snmp's first minute: no hrProcessorLoad yet
    metrics = h.catalogue(only_rows, {})
    assert [m["name"] for m in metrics] == ["cpu"]
    values, _ = h.read_metrics(metrics, {f"{h.HR_PROCESSOR_LOAD}.768": None})
    assert values["cpu"]["value"] is None
    values, _ = h.read_metrics(metrics, {f"{h.HR_PROCESSOR_LOAD}.768": 7})
    assert values["cpu"]["value"] == 7


def test_dsk_table_fills_in_what_hr_storage_lacks_with_its_64_bit_halves():
    columns = dict(NET_SNMP, **{h.DSK_PATH: {"1": "/", "2": "/srv/big"}, h.DSK_TOTAL: {"1": 10, "2": -1},
                                h.DSK_TOTAL_HIGH: {"1": 0, "2": 1}})
    found = by_name(h.catalogue(columns, {}))
    assert found["storage:/"]["source"] == "HOST-RESOURCES-MIB"
    big = found["storage:/srv/big"]
    assert big["source"] == "UCD-SNMP-MIB"
    values, _ = h.read_metrics([big], {big["oids"]["used_low"]: 5, big["oids"]["used_high"]: 1,
                                       big["oids"]["size_low"]: 0, big["oids"]["size_high"]: 2})
    assert values["storage:/srv/big"]["value"] == (2 ** 32 + 5) * 1024
    assert values["storage:/srv/big"]["size"] == 2 ** 33 * 1024


def test_cpu_from_ucd_counters_where_there_is_no_hrprocessorload():
    found = h.catalogue({}, {h.SS_CPU_RAW["user"]: 100, h.SS_CPU_RAW["idle"]: 900, h.SS_CPU_RAW["wait"]: 0})
    assert [m["name"] for m in found] == ["cpu"] and found[0]["how"] == "cpu_counters"
    first = {h.SS_CPU_RAW["user"]: 100, h.SS_CPU_RAW["idle"]: 900, h.SS_CPU_RAW["wait"]: 0}
    values, counters = h.read_metrics(found, first)
    assert values["cpu"]["value"] is None                  # no previous reading
    second = {h.SS_CPU_RAW["user"]: 160, h.SS_CPU_RAW["idle"]: 1020, h.SS_CPU_RAW["wait"]: 20}
    values, _ = h.read_metrics(found, second, counters)
    assert values["cpu"]["value"] == 30.0                  # 60 busy of 200 ticks; wait is not busy


def test_cpu_counters_wrap_and_reset():
    before = {"user": 2 ** 32 - 50, "idle": 100}
    assert h.cpu_busy_percent(before, {"user": 50, "idle": 200}) == 50.0
    assert h.cpu_busy_percent(before, {"user": 2 ** 32 - 50, "idle": 100}) is None    # no tick passed


@pytest.mark.parametrize("kind, scale, precision, raw, value, unit", [
    (8, 9, 1, 419, 41.9, "°C"),          # a Catalyst's SFP: 41.9 degrees
    (4, 9, 2, 334, 3.34, "V"),
    (5, 8, 1, 195, 19.5, "mA"),          # milliamperes, one decimal: 19.5 mA, as the device counts
    (4, 7, 0, 850, 850, "µV"),
    (14, 9, 1, -60, -6.0, "dBm"),
    (10, 9, 0, 6240, 6240, "RPM"),
    (6, 10, 0, 2, 2000, "W"),            # kilowatts
])
def test_entity_sensor_scale_precision_and_unit(kind, scale, precision, raw, value, unit):
    table = h.ENTITY_SENSOR
    columns = {f"{table}.1": {"7": kind}, f"{table}.2": {"7": scale}, f"{table}.3": {"7": precision},
               f"{table}.4": {"7": raw}}
    [sensor] = h.catalogue(columns, {}, {"name": {"7": "Sensor 7"}})
    assert sensor["name"] == "sensor:Sensor 7" and sensor["unit"] == unit
    values, _ = h.read_metrics([sensor], {f"{table}.4.7": raw, f"{table}.5.7": 1})
    assert values["sensor:Sensor 7"]["value"] == pytest.approx(value)
    assert values["sensor:Sensor 7"]["status"] == "ok" and values["sensor:Sensor 7"]["severity"] is None


def test_a_sensor_not_ok_and_one_past_the_devices_threshold():
    table = h.CISCO_SENSOR
    columns = {f"{table}.1": {"1010": 8}, f"{table}.2": {"1010": 9}, f"{table}.3": {"1010": 0},
               f"{table}.4": {"1010": 40},
               f"{h.CISCO_THRESHOLD}.2": {"1010.1": 10, "1010.2": 30},
               f"{h.CISCO_THRESHOLD}.3": {"1010.1": 4, "1010.2": 4},
               f"{h.CISCO_THRESHOLD}.4": {"1010.1": 60, "1010.2": 75}}
    [sensor] = h.catalogue(columns, {}, {"descr": {"1010": "Inlet"}})
    assert sensor["device_thresholds"] == [["WARNING", 4, 60], ["CRITICAL", 4, 75]]
    assert h.device_threshold(sensor, 59) == (None, None)
    assert h.device_threshold(sensor, 61) == ("WARNING", ">= 60")
    assert h.device_threshold(sensor, 80) == ("CRITICAL", ">= 75")
    values, _ = h.read_metrics([sensor], {f"{table}.4.1010": 40, f"{table}.5.1010": 3})
    assert values["sensor:Inlet"]["status"] == "nonoperational" and values["sensor:Inlet"]["severity"] == "ERROR"


def test_rfc_sensors_win_over_ciscos_for_the_same_entity():
    columns = {f"{h.ENTITY_SENSOR}.1": {"5": 8}, f"{h.CISCO_SENSOR}.1": {"5": 8, "6": 10}}
    found = h.catalogue(columns, {}, {"name": {"5": "CPU", "6": "Fan 1"}})
    assert [(m["name"], m["source"]) for m in found] == [("sensor:CPU", "ENTITY-SENSOR-MIB"),
                                                         ("sensor:Fan 1", "CISCO-ENTITY-SENSOR-MIB")]


def test_cisco_cpu_memory_pools_fans_and_supplies():
    columns = {f"{h.CISCO_CPU}.2": {"1": 0}, f"{h.CISCO_CPU}.7": {"1": 64},
               f"{h.CISCO_POOL}.2": {"1": "Processor", "2": "I/O"}, f"{h.CISCO_POOL}.4": {"1": 1, "2": 1},
               f"{h.ENVMON_FAN}.2": {"1004": "Switch#1, Fan#1"},
               f"{h.ENVMON_SUPPLY}.2": {"1003": "Sw1, PS1 Normal, RPS NotExist"},
               f"{h.ENVMON_TEMPERATURE}.2": {"1005": "SW#1, Sensor#1, GREEN"}}
    found = by_name(h.catalogue(columns, {}))
    assert list(found) == ["cpu", "memory:Processor", "memory:I/O", "sensor:SW#1, Sensor#1, GREEN",
                           "fan:Switch#1, Fan#1", "supply:Sw1, PS1 Normal, RPS NotExist"]
    assert found["cpu"]["oids"] == {"value": f"{h.CISCO_CPU}.7.1"}
    answers = {f"{h.CISCO_CPU}.7.1": 64, f"{h.CISCO_POOL}.5.1": 33_385_580, f"{h.CISCO_POOL}.6.1": 46_331_200,
               f"{h.CISCO_POOL}.5.2": 8_906_084, f"{h.CISCO_POOL}.6.2": 3_676_828,
               f"{h.ENVMON_FAN}.3.1004": 1, f"{h.ENVMON_SUPPLY}.3.1003": 3,
               f"{h.ENVMON_TEMPERATURE}.3.1005": 41, f"{h.ENVMON_TEMPERATURE}.6.1005": 1}
    values, _ = h.read_metrics(list(found.values()), answers)
    assert values["memory:Processor"]["size"] == 33_385_580 + 46_331_200
    assert values["fan:Switch#1, Fan#1"] == {"value": None, "size": None, "status": "normal", "severity": None}
    assert values["supply:Sw1, PS1 Normal, RPS NotExist"]["severity"] == "CRITICAL"
    assert values["sensor:SW#1, Sensor#1, GREEN"]["value"] == 41


def test_a_device_without_any_of_them_has_no_metric_and_names_stay_unique():
    assert h.catalogue({}, {}) == []
    twice = h.unique_names([h.metric("sensor:x", "sensor", "V", "value", {}, "s"),
                            h.metric("sensor:x", "sensor", "V", "value", {}, "s"),
                            h.metric("sensor:" + "y" * 200, "sensor", "V", "value", {}, "s")])
    assert [m["name"] for m in twice] == ["sensor:x", "sensor:x#2", "sensor:" + "y" * (h.NAME_MAX - 7)]


def test_metric_oids_are_asked_once():
    metrics = h.catalogue(NET_SNMP, NET_SNMP_SCALARS)
    oids = h.metric_oids(metrics)
    assert len(oids) == len(set(oids)) and f"{h.HR_STORAGE_USED}.35" in oids and h.HR_SYSTEM_PROCESSES in oids


# ---------------------------------------------------------------- rules

CONFIG = {"threshold_polls": 2, "snmp": {"version": "2c"}}
STORAGE = h.metric("storage:/var", "storage", "B", "used_size", {}, "HOST-RESOURCES-MIB", "/var")
CPU = h.metric("cpu", "cpu", "%", "mean", {}, "HOST-RESOURCES-MIB", "all processors")


def storage_at(percent):
    return {"value": percent * 10, "size": 1000, "status": None, "severity": None}


def run(metric, readings, rule):
    state, out = {}, []
    for n, reading in enumerate(readings):
        state, events = hr.step(metric, state, reading, rule, T0 + 60 * n)
        out.append([(e["kind"], e["message"]) for e in events])
    return out


def test_storage_warns_at_90_is_critical_at_95_and_resolves_under_the_hysteresis():
    rule = hr.rule_for(hr.resolve(CONFIG), "storage:/var")
    assert (rule["warning"], rule["critical"], rule["for"], rule["hysteresis"]) == (90, 95, 2, 5)
    seen = run(STORAGE, [storage_at(p) for p in (80, 91, 92, 96, 97, 93, 86, 84)], rule)
    assert seen == [[], [], [("health_warning", "Storage /var at 92% used (threshold: WARNING above 90% used)")],
                    [], [("health_critical", "Storage /var at 97% used (threshold: CRITICAL above 95% used)")],
                    [], [("health_warning", "Storage /var at 86% used (threshold: WARNING above 90% used)")],
                    [("health_ok", "Storage /var back to normal (84% used)")]]


def test_cpu_alerts_after_five_polls_and_a_gap_changes_nothing():
    rule = hr.rule_for(hr.resolve(CONFIG), "cpu")
    readings = [{"value": v, "size": None, "status": None, "severity": None} for v in (95, 96, None, 97, 98, 99, 70)]
    seen = run(CPU, readings, rule)
    assert [e[0][0] if e else None for e in seen] == [None, None, None, None, None, "health_warning", "health_ok"]


def test_overrides_by_family_then_by_metric_and_false_for_no_alert():
    config = dict(CONFIG, health_thresholds={"storage": {"warning": 70, "critical": None},
                                             "storage:/tmp": False, "storage:/var": {"for": 1}})
    rules = hr.resolve(config)
    var = hr.rule_for(rules, "storage:/var")
    assert (var["warning"], var["critical"], var["for"]) == (70, None, 1)
    assert hr.rule_for(rules, "storage:/").get("for") == 2
    off = hr.rule_for(rules, "storage:/tmp")
    assert off["off"] and hr.step(STORAGE, {}, storage_at(99), off, T0) == ({}, [])


def test_health_false_or_a_list_selects_the_metrics():
    metrics = h.catalogue(NET_SNMP, NET_SNMP_SCALARS)
    assert hr.selected(hr.resolve(dict(CONFIG, health=False)), metrics) == []
    kept = hr.selected(hr.resolve(dict(CONFIG, health=["cpu", "storage:/var"])), metrics)
    assert [m["name"] for m in kept] == ["cpu", "cpu:0", "cpu:1", "storage:/var"]
    assert hr.selected(hr.resolve(dict(CONFIG, snmp={"version": "1"})), metrics) == []


def test_a_status_or_a_devices_threshold_raises_at_once_with_its_severity():
    fan = h.metric("fan:Fan 1", "fan", "", "state", {"status": "x"}, "CISCO-ENVMON-MIB", "Fan 1", status_map="envmon")
    rule = hr.rule_for(hr.resolve(CONFIG), fan["name"])
    seen = run(fan, [{"value": None, "size": None, "status": s, "severity": v}
                     for s, v in (("normal", None), ("critical", "CRITICAL"), ("normal", None))], rule)
    assert seen == [[], [("health_critical", "Fan Fan 1: status critical")], [("health_ok", "Fan Fan 1 back to normal (no value)")]]
    sensor = h.metric("sensor:Inlet", "sensor", "°C", "value", {}, "x", "Inlet",
                      device_thresholds=[["WARNING", 4, 60], ["CRITICAL", 4, 75]])
    seen = run(sensor, [{"value": v, "size": None, "status": "ok", "severity": None} for v in (50, 62, 80)],
               hr.rule_for(hr.resolve(CONFIG), sensor["name"]))
    assert seen == [[], [("health_warning", "Sensor Inlet at 62 °C (the device's threshold: >= 60)")],
                    [("health_critical", "Sensor Inlet at 80 °C (the device's threshold: >= 75)")]]


def test_capacity_from_the_least_squares_trend_of_the_daily_averages():
    day = 86400
    points = [(T0 + n * day, 100 + 10 * n + (1 if n % 2 else -1)) for n in range(7)]
    assert hr.trend_bytes_per_day(points) == pytest.approx(10, rel=0.05)
    assert hr.trend_bytes_per_day(points[:2]) is None                 # too few days
    assert hr.days_to_full(900, 1000, 20) == 5.0
    assert hr.days_to_full(900, 1000, -3) is None and hr.days_to_full(900, 1000, None) is None
    lines = [{"t": t, "health": {"storage:/var": [v, v], "cpu": [5, 9]}} for t, v in points]
    assert list(hr.storage_trends(lines)) == ["storage:/var"]


def test_the_capacity_alert_under_its_days_and_its_resolve():
    rule = hr.rule_for(hr.resolve(CONFIG), "storage:/var")
    state, events = hr.capacity_step(STORAGE, {}, 12.0, rule, T0)
    assert events == []
    state, events = hr.capacity_step(STORAGE, state, 5.2, rule, T0)
    assert [(e["kind"], e["message"]) for e in events] == [
        ("capacity_low", "Storage /var full in 5.2 days at the last week's trend (threshold: 7 days)")]
    state, events = hr.capacity_step(STORAGE, state, None, rule, T0)
    assert [(e["kind"], e["message"]) for e in events] == [
        ("capacity_ok", "Storage /var not filling any more at the last week's trend (threshold: 7 days)")]
    off = hr.rule_for(hr.resolve(CONFIG, capacity_days=0), "storage:/var")
    assert hr.rule_for(hr.resolve(dict(CONFIG, health_thresholds={"storage": {"days": 3}})), "storage:/var")["days"] == 3
    assert hr.capacity_step(STORAGE, {}, 1.0, off, T0) == ({}, [])


def test_graph_columns_below_zero_keep_their_sign():
    from site_builder import series
    values = [-6.0, -5.1, None, -7.25, 0.5]
    packed = series.pack_u16(values)
    assert packed["offset"] == -7.25
    assert series.unpack_u16(packed) == pytest.approx([-6.0, -5.1, None, -7.25, 0.5], abs=1e-3)
    assert "offset" not in series.pack_u16([1.0, 2.0])


def test_a_metric_held_past_its_threshold_keeps_the_same_state_from_poll_to_poll():
    rule = hr.rule_for(hr.resolve(CONFIG), "cpu")
    state, states = {}, []
    for n in range(12):
        state, _ = hr.step(CPU, state, {"value": 99, "size": None, "status": None, "severity": None}, rule, T0 + n)
        states.append(state)
    assert states[-1] == states[-2] == states[5] and states[5]["level"] == "WARNING"


@pytest.mark.parametrize("value, unit, text", [
    (41.9, "°C", "41.9 °C"), (19.5, "mA", "19.5 mA"), (6240, "RPM", "6240 RPM"), (-6.0, "dBm", "-6 dBm"),
    (0.42, "", "0.42"), (41.234, "%", "41.2 %"), (4_650_000_000, "B", "4.65 GB"), (None, "V", "–"),
])
def test_health_values_are_written_with_their_unit(value, unit, text):
    from vigie.units import measure
    assert measure(value, unit) == text


def test_a_quiet_metric_keeps_no_state():
    rule = hr.rule_for(hr.resolve(CONFIG), "storage:/var")
    assert hr.step(STORAGE, {}, storage_at(40), rule, T0) == ({}, [])
    state, _ = hr.step(STORAGE, {}, storage_at(91), rule, T0)
    assert state == {"thresholds": {"WARNING": {"count": 1, "raised": False}}, "level": None}
    assert hr.step(STORAGE, state, storage_at(40), rule, T0) == ({}, [])


def test_a_file_system_mounted_deep_keeps_its_whole_name():
    deep = "/srv/" + "/".join(["volume"] * 16) + "/data"            # 120 characters
    columns = {h.HR_STORAGE_TYPE: {"5": f"{h.HR_STORAGE_TYPES}.4", "6": f"{h.HR_STORAGE_TYPES}.4"},
               h.HR_STORAGE_DESCR: {"5": deep, "6": deep[:-5]}, h.HR_STORAGE_UNITS: {"5": 4096, "6": 4096},
               h.HR_STORAGE_SIZE: {"5": 10, "6": 10}}
    assert [m["name"] for m in h.catalogue(columns, {})] == [f"storage:{deep}", f"storage:{deep[:-5]}"]
