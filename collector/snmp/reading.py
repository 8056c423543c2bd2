"""One poll of one device: counters, sysUpTime, operational status and extra OIDs.

Everything a cycle needs goes in one GET (split only when it would not fit one
PDU): sysUpTime.0 and ifNumber.0, then for each watched interface its ifDescr
(to notice re-indexing), its octet counters (64-bit ifHC* when discovery saw
them, 32-bit otherwise) and ifOperStatus, then the machine's extra OIDs, then
the OIDs of its health metrics.
`poll_oids` and `parse_reading` are pure; `fetch_reading` does the request.
"""

import re
import time
from functools import lru_cache

from collector.snmp import discovery as d
from collector.snmp import health, mib
from collector.snmp.mib import answers_from, checked_values

SYS_UPTIME = d.SYS_UPTIME
IF_NUMBER = d.IF_NUMBER


def counter_columns(counter_bits: int):
    return (d.IF_HC_IN_OCTETS, d.IF_HC_OUT_OCTETS) if counter_bits == 64 else (d.IF_IN_OCTETS, d.IF_OUT_OCTETS)


# the error and discard counters polled for every watched interface (Counter32, ifTable)
ERROR_COUNTERS = {"in_errors": mib.IF_IN_ERRORS, "out_errors": mib.IF_OUT_ERRORS,
                  "in_discards": mib.IF_IN_DISCARDS, "out_discards": mib.IF_OUT_DISCARDS}


def interface_oids(interface: dict) -> dict:
    """{what: OID} polled for one interface."""
    i = interface["index"]
    in_col, out_col = counter_columns(interface["counter_bits"])
    oids = {"descr": f"{d.IF_DESCR}.{i}", "in_octets": f"{in_col}.{i}", "out_octets": f"{out_col}.{i}",
            "oper_status": f"{d.IF_OPER_STATUS}.{i}"}
    oids.update({what: f"{column}.{i}" for what, column in ERROR_COUNTERS.items()})
    return oids


def extra_oid_specs(oids_config: dict) -> dict:
    """The machine's "oids" section as {name: {"oid", "type", "unit", "scale"}}."""
    specs = {}
    for name, value in (oids_config or {}).items():
        if isinstance(value, str):
            value = {"oid": value}
        specs[name] = {"oid": value["oid"], "type": value.get("type", "gauge"), "unit": value.get("unit"),
                       "scale": value.get("scale", 1)}
        specs[name].update({key: value[key] for key in THRESHOLD_KEYS if key in value})
    return specs


THRESHOLD_KEYS = ("above", "below", "for", "hysteresis")   # an extra OID's alert, when it has one
NUMBER_TEXT = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def oid_number(value, scale=1) -> tuple:
    """(number, None) for an extra OID's answer, or (None, why it cannot be graphed).

    Many agents answer numbers as text (UCD-SNMP laLoad: "0.12"): a string that holds
    one decimal number is that number. `scale` multiplies it (0.01 turns laLoadInt's
    12 into 0.12)."""
    if value is None:
        return None, "the device has no such object (check the OID)"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, "the device answers something that is not a number"
    if isinstance(value, str):
        if not NUMBER_TEXT.fullmatch(value):
            shown = value if len(value) <= 40 else value[:40] + "..."
            return None, f"the device answers text ({shown!r}), not a number"
        value = int(value) if value.strip().lstrip("+-").isdigit() else float(value)
    return (value if scale == 1 else value * scale), None


class OidNameError(ValueError):
    pass


@lru_cache(maxsize=256)
def numeric_oid(text: str) -> str:
    """A dotted numeric OID from "1.3.6..." / ".1.3.6..." or a MIB name "MIB::object.index".

    MIB names are resolved with pysnmp's MIB builder, which knows the MIBs
    pysnmp ships compiled (SNMPv2-MIB and the SNMP framework MIBs); raise
    OidNameError naming the object when it cannot be resolved.
    """
    text = text.strip()
    if "::" not in text:
        return text.lstrip(".")
    return _resolve_mib_name(text)


def _resolve_mib_name(text: str) -> str:
    from pysnmp.smi import builder, rfc1902, view
    module, _, rest = text.partition("::")
    symbol, *index = rest.split(".")
    mib_builder = builder.MibBuilder()
    try:
        identity = rfc1902.ObjectIdentity(module, symbol, *[int(i) for i in index])
        identity.resolve_with_mib(view.MibViewController(mib_builder))
        return str(identity.get_oid())
    except Exception as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        if "not found in search path" in first_line:   # the message goes on with folder names
            first_line = f"the MIB {module} is not one Vigie has compiled"
        raise OidNameError(f"cannot resolve {text!r} (give it as a numeric OID): {first_line[:160]}") from None


def poll_oids(interfaces: list, extra_oids: dict, health_metrics: list = ()) -> list:
    oids = [SYS_UPTIME, IF_NUMBER]
    for interface in interfaces:
        oids += list(interface_oids(interface).values())
    oids += [spec["oid"] for spec in extra_oids.values() if spec.get("oid")]
    asked = set(oids)
    return oids + [oid for oid in health.metric_oids(health_metrics) if oid not in asked]


def parse_reading(values: dict, interfaces: list, extra_oids: dict, when: float, health_metrics: list = ()) -> dict:
    """A reading: the answered values arranged by meaning. Missing values are None; one
    of the wrong type raises mib.WrongTypeError naming it (extra OIDs that are not
    numbers are left out, as gaps). The health metrics' answers are kept as they came
    ("health_raw"): the cycle reads them (collector/snmp/health.py)."""
    values = checked_values(values)
    reading = {"time": when, "uptime_ticks": values.get(SYS_UPTIME), "if_number": values.get(IF_NUMBER),
               "interfaces": {}, "oids": {},
               "health_raw": {oid: values.get(oid) for oid in health.metric_oids(health_metrics)}}
    for interface in interfaces:
        got = {what: values.get(oid) for what, oid in interface_oids(interface).items()}
        got["oper_status"] = d.status_name(got["oper_status"])
        reading["interfaces"][interface["index"]] = got
    reading["oid_problems"] = {}
    for name, spec in extra_oids.items():
        if not spec.get("oid"):   # a MIB name that did not resolve: nothing was asked
            reading["oids"][name], reading["oid_problems"][name] = None, spec.get("problem") or "no OID"
            continue
        number, problem = oid_number(values.get(spec["oid"]))   # scaled by the cycle, after any rate
        reading["oids"][name] = number
        if problem:
            reading["oid_problems"][name] = problem
    return reading


async def fetch_reading(session, interfaces: list, extra_oids: dict, health_metrics: list = ()) -> dict:
    values = await session.get(poll_oids(interfaces, extra_oids, health_metrics))
    with answers_from(session):
        return parse_reading(values, interfaces, extra_oids, time.time(), health_metrics)
