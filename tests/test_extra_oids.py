"""Extra OIDs: numbers sent as text are numbers, a per-OID scale, and a reason for what
cannot be graphed (pure rules on literal answers)."""

import pytest

from collector.snmp.reading import extra_oid_specs, oid_number, parse_reading

LA_LOAD = "1.3.6.1.4.1.2021.10.1.3.1"
LA_LOAD_INT = "1.3.6.1.4.1.2021.10.1.5.1"


@pytest.mark.parametrize("answer, number", [
    ("0.12", 0.12), (" 12 ", 12), ("-4", -4), ("1e3", 1000.0), (7, 7), (3.5, 3.5),
])
def test_numbers_sent_as_text_are_numbers(answer, number):
    assert oid_number(answer) == (number, None)


@pytest.mark.parametrize("answer, why", [
    ("up", "the device answers text ('up'), not a number"),
    ("", "the device answers text (''), not a number"),
    ("0x1F", "the device answers text ('0x1F'), not a number"),
    (None, "the device has no such object (check the OID)"),
])
def test_what_cannot_be_graphed_says_why(answer, why):
    assert oid_number(answer) == (None, why)


def test_scale_multiplies():
    assert oid_number("12", 0.01) == (0.12, None)
    assert oid_number(250, 0.5) == (125.0, None)


def test_reading_keeps_text_numbers_and_the_reasons():
    specs = extra_oid_specs({"load": LA_LOAD, "load_int": {"oid": LA_LOAD_INT, "scale": 0.01},
                             "state": "1.3.6.1.4.1.99999.1.0", "missing": "1.3.6.1.4.1.99999.2.0"})
    assert specs["load_int"]["scale"] == 0.01 and specs["load"]["scale"] == 1
    values = {LA_LOAD: "0.12", LA_LOAD_INT: 12, "1.3.6.1.4.1.99999.1.0": "running"}
    reading = parse_reading(values, [], specs, 0)
    assert reading["oids"] == {"load": 0.12, "load_int": 12, "state": None, "missing": None}
    assert reading["oid_problems"] == {"state": "the device answers text ('running'), not a number",
                                       "missing": "the device has no such object (check the OID)"}
