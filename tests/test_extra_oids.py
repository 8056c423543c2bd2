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


# ---- thresholds on extra OIDs, through one poll cycle's rules (collector/snmp/cycle.py)

from collector.snmp.cycle import apply_reading   # noqa: E402
from vigie import samples as samples_lib          # noqa: E402

CONFIG = {"name": "srv", "threshold_percent": 90, "down_after": 2, "interfaces": "all", "tags": {}}


def cycle_through(values, spec, problems=None):
    samples = samples_lib.MachineSamples("srv", 60)
    found = []
    for i, value in enumerate(values):
        reading = {"time": 1_767_225_600 + 60 * i, "uptime_ticks": 100 * (1000 + 60 * i), "if_number": 0,
                   "interfaces": {}, "oids": {"load": value}, "oid_problems": problems or {}}
        found.append([(e["kind"], e["message"]) for e in apply_reading(samples, CONFIG, [], reading, {"load": spec})])
    return found, samples


def test_an_oid_above_its_threshold_for_n_polls_raises_once_and_clears_past_its_hysteresis():
    spec = {"oid": LA_LOAD, "type": "gauge", "unit": None, "scale": 1, "above": 4, "for": 3, "hysteresis": 0.5}
    found, _ = cycle_through([4.2, 5.0, 3.9, 4.1, 4.4, 6.0, 3.8, 3.4, 3.2], spec)
    assert found == [[], [], [], [], [], [("oid_high", "load at 6 for 3 polls (threshold: above 4)")],
                     [],   # 3.8 is under 4 but not under 4 - 0.5
                     [("oid_ok", "load back to 3.4 (threshold: above 4)")], []]


def test_an_oid_below_its_threshold_uses_its_unit():
    spec = {"oid": LA_LOAD, "type": "gauge", "unit": "GB", "scale": 1, "below": 5, "for": 1}
    found, _ = cycle_through([12, 4.6, 4.9, 5.2], spec)
    assert found == [[], [("oid_high", "load at 4.6 GB (threshold: below 5 GB)")], [],
                     [("oid_ok", "load back to 5.2 GB (threshold: below 5 GB)")]]


def test_the_oids_problem_is_kept_for_the_page():
    spec = {"oid": LA_LOAD, "type": "gauge", "unit": None, "scale": 1}
    _, samples = cycle_through([None], spec, {"load": "the device answers text ('running'), not a number"})
    assert samples.view()["oids"]["load"]["problem"] == "the device answers text ('running'), not a number"
