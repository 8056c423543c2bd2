"""Ask one device once, as the collector would, and say what it found or why it failed.

    python -m collector.probe < machine.json       # the machine file's content, plus "name"

The devices page's "Test SNMP" button runs this through the API before a machine
is saved. It reads the machine's JSON on standard input (never on the command
line: it may hold a community), asks the device for its system group and its
interfaces (the collector's own discovery) and the machine's extra OIDs, and
writes one JSON object on standard output:

    {"ok": true, "seconds": 0.21, "system": {"sys_name", "sys_descr", "sys_location",
     "sys_contact", "sys_object_id", "uptime_seconds"}, "interfaces": [{"index", "name",
     "alias", "speed_bps", "oper_status", "watched"}...], "oids": {name: {"value", "problem"}}}
    {"ok": false, "error": "127.0.0.1:161: No SNMP response received before timeout"}

Exit status 0 in both cases (the device's answer is the result); 2 when the input
is not a machine. No secret is ever written out.
"""

import argparse
import asyncio
import json
import sys
import time

from collector.snmp import mib
from collector.snmp.cycle import SYSTEM_KEYS, attempt_seconds
from collector.snmp.discovery import discover, select_interfaces
from collector.snmp.reading import OidNameError, extra_oid_specs, numeric_oid, oid_number
from collector.snmp.session import Session, SnmpError, SnmpStack
from vigie.machines import MachineConfigError, check_name, validate

INTERFACES_SHOWN = 200


def interface_summary(interface: dict, watched: bool) -> dict:
    return {"index": interface["index"], "name": interface["name"], "descr": interface["descr"],
            "alias": interface["alias"], "speed_bps": interface["speed_bps"],
            "oper_status": interface["oper_status"], "admin_status": interface["admin_status"],
            "watched": watched}


def oid_results(specs: dict, values: dict, problems: dict) -> dict:
    """{name: {"value", "problem"}} for every extra OID, resolved or not."""
    found = {}
    for name in sorted(set(specs) | set(problems)):
        if name in problems:
            found[name] = {"value": None, "problem": problems[name]}
            continue
        number, problem = oid_number(values.get(specs[name]["oid"]), specs[name]["scale"])
        found[name] = {"value": number, "problem": problem}
    return found


def resolved_oids(config: dict) -> tuple:
    """({name: spec with a numeric OID}, {name: why its name does not resolve})."""
    specs, problems = {}, {}
    for name, spec in extra_oid_specs(config["oids"]).items():
        try:
            specs[name] = dict(spec, oid=numeric_oid(spec["oid"]))
        except OidNameError as exc:
            problems[name] = str(exc)
    return specs, problems


async def ask(config: dict) -> dict:
    """What the device answers; raises SnmpError, MachineConfigError or asyncio.TimeoutError."""
    stack = SnmpStack()
    try:
        session = await Session.open(stack, config, config["name"])
        await session.contact(mib.SYS_UPTIME)
        found = await discover(session)
        specs, problems = resolved_oids(config)
        values = await session.get([mib.SYS_UPTIME] + [spec["oid"] for spec in specs.values()])
    finally:
        await stack.close()
    watched = {i["index"] for i in select_interfaces(found["interfaces"], config["interfaces"])}
    uptime = values.get(mib.SYS_UPTIME)
    system = {key: found.get(key) for key in SYSTEM_KEYS}
    system["uptime_seconds"] = uptime // 100 if isinstance(uptime, int) else None
    return {"system": system, "interface_count": len(found["interfaces"]),
            "interfaces": [interface_summary(i, i["index"] in watched) for i in found["interfaces"][:INTERFACES_SHOWN]],
            "oids": oid_results(specs, values, problems)}


PROBE_TIMEOUT_MAX, PROBE_RETRIES_MAX = 2.0, 1   # a test answers within seconds, whatever the machine allows
PROBE_SECONDS_MAX = 60


def quick(config: dict) -> dict:
    """The machine with the test's bounds: a test is a question a person waits for."""
    return dict(config, timeout=min(config["timeout"], PROBE_TIMEOUT_MAX), retries=min(config["retries"],
                                                                                     PROBE_RETRIES_MAX))


async def probe(config: dict) -> dict:
    started = time.monotonic()
    config = quick(config)
    limit = min(attempt_seconds(config) * 3, PROBE_SECONDS_MAX)
    try:
        result = await asyncio.wait_for(ask(config), limit)
    except (SnmpError, OSError, MachineConfigError) as exc:
        return {"ok": False, "error": str(exc), "seconds": round(time.monotonic() - started, 3)}
    except asyncio.TimeoutError:
        return {"ok": False, "error": f"no complete answer within {limit:g} s",
                "seconds": round(time.monotonic() - started, 3)}
    return dict(result, ok=True, seconds=round(time.monotonic() - started, 3))


def read_machine(text: str) -> dict:
    """The machine from standard input: its file's content plus "name", validated."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MachineConfigError("standard input", None, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise MachineConfigError("standard input", None, "expected a JSON object")
    name = check_name(data.pop("name", "probe"), "standard input")
    config = validate(data, "standard input")
    config["name"] = name
    return config


def main(argv=None) -> int:
    argparse.ArgumentParser(prog="python -m collector.probe", description=__doc__.split("\n\n")[0],
                            epilog="Reads the machine's JSON on standard input; writes the result as JSON."
                            ).parse_args(argv)
    try:
        config = read_machine(sys.stdin.read())
    except MachineConfigError as exc:
        print(json.dumps({"ok": False, "error": str(exc), "field": exc.field}))
        return 2
    print(json.dumps(asyncio.run(probe(config))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
