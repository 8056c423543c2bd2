"""One poll cycle of one machine: ask the device, update its samples, list the events.

`apply_reading` and `apply_failure` take the samples (the machine's whole
record, see vigie/samples.py) and what the poll brought, update them in
place and return the events of this cycle; they do no I/O, so status, rate and
event rules are tested on literal readings. `poll_machine` is the edge: it
talks SNMP, re-discovers interfaces when the device's ifNumber or the ifDescr
behind a watched ifIndex changed (or it rebooted, or an hour passed), then
applies the result.
"""

import asyncio
import time

from collector.snmp import events as ev
from collector.snmp import rates
from vigie.samples import add_interface_point, add_oid_point, keep_only_interfaces, keep_only_oids
from vigie.utc import iso_from_unix
from collector.snmp.discovery import discover, select_interfaces
from collector.snmp.reading import fetch_reading
from collector.snmp.session import Session, SnmpError

REDISCOVER_SECONDS = 3600


def _status(samples):
    return samples["status"]


def _set_state(status: dict, state: str, ts: float) -> str:
    previous = status["state"]
    if previous != state:
        status["state"], status["since"] = state, iso_from_unix(ts)
    return previous


def interface_view(interface: dict, current: dict, in_bps, out_bps) -> dict:
    """The public interface entry of the samples file (no collector state)."""
    return {
        "index": interface["index"], "name": interface["name"], "descr": interface["descr"],
        "alias": interface["alias"], "speed_bps": interface["speed_bps"], "type": interface.get("type"),
        "oper_status": current.get("oper_status") or interface["oper_status"],
        "admin_status": interface["admin_status"], "counter_bits": interface["counter_bits"],
        "in_bps": None if in_bps is None else round(in_bps, 1),
        "out_bps": None if out_bps is None else round(out_bps, 1),
        "utilisation_percent": rates.utilisation_percent(in_bps, out_bps, interface["speed_bps"]),
    }


def _interface_rates(interface, current, previous, elapsed, rebooted):
    """(in_bps, out_bps) or Nones: no previous reading, reboot, or another interface at this ifIndex."""
    same = (previous and not rebooted and previous.get("descr") == current.get("descr")
            and previous.get("bits") == interface["counter_bits"])
    if not same:
        return None, None
    speed = interface["speed_bps"]
    bits = interface["counter_bits"]
    return (rates.interface_bps(previous.get("in"), current.get("in_octets"), bits, elapsed, speed),
            rates.interface_bps(previous.get("out"), current.get("out_octets"), bits, elapsed, speed))


def _oid_value(spec, value, previous, elapsed, rebooted):
    if spec["type"] != "counter":
        return value
    if rebooted or previous is None:
        return None
    bits = 32 if value is not None and value < 2 ** 32 and previous < 2 ** 32 else 64
    return rates.counter_per_second(previous, value, bits, elapsed)


def apply_reading(samples: dict, config: dict, watched: list, reading: dict, extra_oids: dict,
                  system: dict = None) -> list:
    """Fold one successful reading into the samples; return this cycle's events."""
    state = samples.setdefault("state", {})
    last = state.get("last") or {}
    ts = reading["time"]
    wall_elapsed = ts - last["time"] if last.get("time") else None
    rebooted = rates.rebooted(last.get("uptime_ticks"), reading["uptime_ticks"], wall_elapsed or 0)
    elapsed = rates.interval_seconds(wall_elapsed, last.get("uptime_ticks"), reading["uptime_ticks"])
    if_state = state.setdefault("interfaces", {})
    found, counters, views = [], {}, []
    for interface in watched:
        key = str(interface["index"])
        current = reading["interfaces"][interface["index"]]
        in_bps, out_bps = _interface_rates(interface, current, last.get("counters", {}).get(key), elapsed, rebooted)
        view = interface_view(interface, current, in_bps, out_bps)
        views.append(view)
        add_interface_point(samples, interface["index"], ts, view["in_bps"], view["out_bps"])
        before = if_state.get(key, {})
        changes = ev.interface_events(interface["name"], before, view, config["threshold_percent"], ts)
        found += changes
        util_high = before.get("util_high", False)
        for change in changes:
            util_high = {"util_high": True, "util_ok": False}.get(change["kind"], util_high)
        if_state[key] = {"oper_status": view["oper_status"], "util_high": util_high}
        counters[key] = {"in": current.get("in_octets"), "out": current.get("out_octets"),
                         "descr": current.get("descr"), "bits": interface["counter_bits"]}
    for key in [k for k in if_state if k not in counters]:
        del if_state[key]
    oid_last = {}
    for name, spec in extra_oids.items():
        value = reading["oids"].get(name)
        shown = _oid_value(spec, value, last.get("oids", {}).get(name), elapsed, rebooted)
        add_oid_point(samples, name, ts, shown, spec["type"], spec["unit"])
        oid_last[name] = value
    keep_only_interfaces(samples, [i["index"] for i in watched])
    keep_only_oids(samples, set(extra_oids))
    samples["interfaces"] = views
    state["last"] = {"time": ts, "uptime_ticks": reading["uptime_ticks"], "counters": counters, "oids": oid_last}
    status = _status(samples)
    previous = _set_state(status, "up", ts)
    status.update({"last_seen": iso_from_unix(ts), "consecutive_failures": 0, "last_error": None,
                   "uptime_seconds": None if reading["uptime_ticks"] is None else reading["uptime_ticks"] // 100})
    if system:
        status["sys_name"], status["sys_descr"] = system.get("sys_name"), system.get("sys_descr")
    return ev.machine_events(previous, "up", ts) + found


def apply_failure(samples: dict, config: dict, error: str, ts: float) -> list:
    """Count a failed poll; past `down_after` failures in a row the machine is down."""
    status = _status(samples)
    status["consecutive_failures"] += 1
    status["last_error"] = error
    for interface in samples.get("interfaces", []):
        add_interface_point(samples, interface["index"], ts, None, None)
        interface["in_bps"] = interface["out_bps"] = interface["utilisation_percent"] = None
    if status["consecutive_failures"] < config["down_after"]:
        return []
    previous = _set_state(status, "down", ts)
    return ev.machine_events(previous, "down", ts, error)


def needs_discovery(samples: dict, config: dict, reading: dict = None, now: float = None) -> bool:
    found = samples.get("state", {}).get("discovery")
    if not found:
        return True
    if now is not None and now - found.get("time", 0) > REDISCOVER_SECONDS:
        return True
    if reading is None:
        return False
    if reading["if_number"] is not None and reading["if_number"] != found.get("if_number"):
        return True
    last = samples["state"].get("last") or {}
    if last.get("uptime_ticks") is not None and reading["uptime_ticks"] is not None \
            and reading["uptime_ticks"] < last["uptime_ticks"]:
        return True
    known = {i["index"]: i["descr"] for i in found["interfaces"]}
    return any(got.get("descr") != known.get(index) for index, got in reading["interfaces"].items())


async def _discover(session, samples, now):
    found = await discover(session)
    found["time"] = now
    samples.setdefault("state", {})["discovery"] = found
    return found


async def read_device(session, samples: dict, config: dict, extra_oids: dict):
    """(watched interfaces, reading, system info), discovering again when the device changed."""
    now = time.time()
    if needs_discovery(samples, config, now=now):
        await _discover(session, samples, now)
    found = samples["state"]["discovery"]
    watched = select_interfaces(found["interfaces"], config["interfaces"])
    reading = await fetch_reading(session, watched, extra_oids)
    if needs_discovery(samples, config, reading):
        found = await _discover(session, samples, now)
        watched = select_interfaces(found["interfaces"], config["interfaces"])
        reading = await fetch_reading(session, watched, extra_oids)
    return watched, reading, found


def attempt_seconds(config: dict, samples: dict = None) -> float:
    """Longest one cycle may take: its requests, each with its timeout and retries.

    pysnmp bounds every request; this is the safety net over the whole cycle, which
    on a device with many interfaces holds more requests (GETs of 40 values, walks).
    """
    found = ((samples or {}).get("state") or {}).get("discovery") or {}
    requests = 4 + len(found.get("interfaces", [])) // 10
    return requests * config["timeout"] * (config["retries"] + 1) + 1


async def poll_machine(stack, config: dict, samples: dict, extra_oids: dict, session=None) -> list:
    """Poll one machine once and fold the outcome into `samples`; return the events."""
    try:
        if session is None:
            session = await Session.open(stack, config, config.get("name"))
        watched, reading, found = await asyncio.wait_for(
            read_device(session, samples, config, extra_oids), attempt_seconds(config, samples))
    except (SnmpError, OSError, asyncio.TimeoutError) as exc:
        message = str(exc) or f"no complete answer within {attempt_seconds(config, samples):g} s"
        return apply_failure(samples, config, message, time.time())
    return apply_reading(samples, config, watched, reading, extra_oids, found)
