"""Pure parts of discovery and of the simulated device data."""

import re

from collector.snmp import discovery as d
from vigie import simulated_devices as sim
import pytest

from collector.poll import Reporter, resolve_extra_oids
from collector.snmp.mib import WrongTypeError
from collector.snmp.reading import OidNameError, extra_oid_specs, numeric_oid, parse_reading, poll_oids

COLUMNS = {
    d.IF_DESCR: {"1": "lo", "2": "Intel eth", "3": "Tunnel"},
    d.IF_TYPE: {"1": 24, "2": 6, "3": 131},
    d.IF_SPEED: {"1": 10_000_000, "2": 4_294_967_295, "3": 0},
    d.IF_HIGH_SPEED: {"1": 10, "2": 25_000, "3": 0},
    d.IF_OPER_STATUS: {"1": 1, "2": 1, "3": 7},
    d.IF_ADMIN_STATUS: {"1": 1, "2": 1, "3": 2},
    d.IF_NAME: {"1": "lo", "2": "eth0", "3": "tun0"},
    d.IF_ALIAS: {"2": "to core"},
    d.IF_HC_IN_OCTETS: {"1": 5, "2": 6},
}


def test_interfaces_from_columns():
    found = d.interfaces_from_columns(COLUMNS)
    assert [(i["index"], i["name"], i["counter_bits"]) for i in found] == [(1, "lo", 64), (2, "eth0", 64), (3, "tun0", 32)]
    assert found[0]["speed_bps"] is None                     # loopback speed is meaningless
    assert found[1]["speed_bps"] == 25_000_000_000            # ifHighSpeed when ifSpeed saturates
    assert found[1]["alias"] == "to core" and found[1]["descr"] == "Intel eth"
    assert found[2]["oper_status"] == "lowerLayerDown" and found[2]["admin_status"] == "down"
    assert found[2]["speed_bps"] is None


def test_interface_without_ifxtable_uses_descr():
    found = d.interfaces_from_columns({d.IF_DESCR: {"7": "Serial0"}, d.IF_SPEED: {"7": 2_048_000}})
    assert found == [{"index": 7, "name": "Serial0", "descr": "Serial0", "alias": "", "speed_bps": 2_048_000,
                      "type": None, "oper_status": "unknown", "admin_status": "unknown", "counter_bits": 32}]


def test_select_interfaces_by_name_descr_or_index():
    found = d.interfaces_from_columns(COLUMNS)
    assert d.select_interfaces(found, "all") == found
    assert [i["index"] for i in d.select_interfaces(found, ["eth0", 3])] == [2, 3]
    assert [i["index"] for i in d.select_interfaces(found, ["Intel eth"])] == [2]
    assert d.select_interfaces(found, ["nope"]) == []


def test_poll_asks_hc_or_32bit_counters_in_one_request():
    found = d.interfaces_from_columns(COLUMNS)
    extra = extra_oid_specs({"load": "1.3.6.1.4.1.2021.10.1.5.1"})
    oids = poll_oids(found, extra)
    assert oids[:2] == ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.1.0"]
    assert "1.3.6.1.2.1.31.1.1.1.6.2" in oids and "1.3.6.1.2.1.2.2.1.10.3" in oids
    assert "1.3.6.1.2.1.31.1.1.1.6.3" not in oids
    values = {oid: "eth" if oid.startswith(d.IF_DESCR + ".") else 1 for oid in oids}
    values["1.3.6.1.2.1.2.2.1.8.2"] = 2
    reading = parse_reading(values, found, extra, 100.0)
    assert reading["interfaces"][2]["oper_status"] == "down"
    assert reading["oids"] == {"load": 1}


def test_numeric_oid_forms():
    assert numeric_oid(".1.3.6.1.2.1.1.3.0") == "1.3.6.1.2.1.1.3.0"
    assert numeric_oid("SNMPv2-MIB::sysUpTime.0") == "1.3.6.1.2.1.1.3.0"


def test_snmprec_is_sorted_and_has_both_counter_kinds():
    text = sim.device_snmprec("r", [sim.interface(2), sim.interface(10, in_octets_per_second=5)], counter_bits=64)
    oids = [line.split("|")[0] for line in text.splitlines()]
    assert oids == sorted(oids, key=sim.oid_key)
    assert "1.3.6.1.2.1.31.1.1.1.6.10|70:numeric|" in text
    text32 = sim.device_snmprec("r", [sim.interface(1, in_octets_per_second=10)], counter_bits=32)
    assert "1.3.6.1.2.1.31.1.1.1.6." not in text32
    assert "1.3.6.1.2.1.2.2.1.10.1|65:numeric|rate=10,initial=0,max=4294967296,wrap=1" in text32


def test_lively_device_is_repeatable_and_varied():
    a, b = sim.lively_device("r1", 4, seed=1), sim.lively_device("r1", 4, seed=1)
    assert a == b and a != sim.lively_device("r2", 4, seed=1)
    counters = [line for line in a.splitlines() if line.startswith(("1.3.6.1.2.1.2.2.1.", "1.3.6.1.2.1.31.1.1.1."))]
    assert sum("deviation=" in line for line in counters) == 16 and "1.3.6.1.2.1.1.3.0|67:numeric|rate=100" in a
    assert "1.3.6.1.2.1.99.1.1.1.4." in a, "and it tells of its health"


def test_unknown_mib_name_is_reported_with_machine_and_field_and_left_out():
    with pytest.raises(OidNameError, match="NO-SUCH-MIB::thing.1"):
        numeric_oid("NO-SUCH-MIB::thing.1")
    reporter = Reporter()
    config = {"name": "srv", "oids": {"ok": ".1.3.6.1.2.1.1.3.0", "bad": "NO-SUCH-MIB::thing.1"}}
    specs = resolve_extra_oids(config, reporter)
    assert specs["ok"] == {"oid": "1.3.6.1.2.1.1.3.0", "type": "gauge", "unit": None, "scale": 1}
    assert specs["bad"]["oid"] is None and "cannot resolve" in specs["bad"]["problem"], "kept, for the page to say why"
    assert any("srv: oids.bad:" in message for message in reporter.seen.values())


def good_values(interfaces, extra):
    values = {oid: 7 for oid in poll_oids(interfaces, extra)}
    values.update({f"{d.IF_DESCR}.{i['index']}": i["descr"] for i in interfaces})
    return values


@pytest.mark.parametrize("oid, value, named", [
    ("1.3.6.1.2.1.1.3.0", "12345", "sysUpTime.0 (1.3.6.1.2.1.1.3.0) is text '12345', where a number"),
    ("1.3.6.1.2.1.31.1.1.1.6.2", "lots", "ifHCInOctets.2 (1.3.6.1.2.1.31.1.1.1.6.2) is text 'lots'"),
    ("1.3.6.1.2.1.2.2.1.10.3", -5, "ifInOctets.3 (1.3.6.1.2.1.2.2.1.10.3) is -5, where a number of 0 or more"),
    ("1.3.6.1.2.1.2.1.0", "x" * 100, "ifNumber.0 (1.3.6.1.2.1.2.1.0) is text '" + "x" * 40 + "'..."),
    ("1.3.6.1.2.1.2.2.1.2.1", 5, "ifDescr.1 (1.3.6.1.2.1.2.2.1.2.1) is 5, where text is expected"),
    ("1.3.6.1.2.1.2.2.1.8.2", "up", "ifOperStatus.2 (1.3.6.1.2.1.2.2.1.8.2) is text 'up', where an integer"),
])
def test_a_value_of_the_wrong_type_is_named_not_used(oid, value, named):
    found = d.interfaces_from_columns(COLUMNS)
    extra = extra_oid_specs({"load": "1.3.6.1.4.1.2021.10.1.5.1"})
    values = good_values(found, extra)
    parse_reading(values, found, extra, 100.0)  # the good values pass
    values[oid] = value
    with pytest.raises(WrongTypeError, match=re.escape(named)):
        parse_reading(values, found, extra, 100.0)


def test_missing_values_and_odd_extra_oids_are_not_type_errors():
    found = d.interfaces_from_columns(COLUMNS)
    extra = extra_oid_specs({"load": "1.3.6.1.4.1.2021.10.1.5.1"})
    values = dict(good_values(found, extra), **{"1.3.6.1.2.1.1.3.0": None, "1.3.6.1.4.1.2021.10.1.5.1": "busy"})
    reading = parse_reading(values, found, extra, 100.0)
    assert reading["uptime_ticks"] is None and reading["oids"] == {"load": None}


@pytest.mark.parametrize("column, value", [(d.IF_SPEED, "fast"), (d.IF_TYPE, "ethernet"), (d.IF_NAME, 3),
                                           (d.IF_HIGH_SPEED, -1)])
def test_discovery_names_a_column_of_the_wrong_type(column, value):
    columns = {c: dict(cells) for c, cells in COLUMNS.items()}
    columns.setdefault(column, {})["2"] = value
    with pytest.raises(WrongTypeError, match=r"\.2 \(" + re.escape(column) + r"\.2\)"):
        d.interfaces_from_columns(columns)
