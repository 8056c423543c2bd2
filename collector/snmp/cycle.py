"""One poll cycle of one machine: ask the device, update its samples, list the events.

`apply_reading` and `apply_failure` take the machine's samples (a
vigie.samples.MachineSamples) and what the poll brought, update them in place
(status and interfaces in its head, counters in its `now`, one line with the
rates queued for the fine archive) and return the events of this cycle; they do no
I/O, so status, rate and event rules are tested on literal readings.
`poll_machine` is the edge: it talks SNMP, re-discovers interfaces (and LLDP and CDP neighbours) when the
device's ifNumber or the ifDescr behind a watched ifIndex changed (or it
rebooted, or an hour passed), then applies the result.

Interfaces are known by name (vigie.samples.interface_key), not by ifIndex: a
device that numbers them again keeps their series; a rate is only computed
between two readings of the same ifIndex, so the poll after a renumbering is
a gap, never a spike.
"""

import asyncio
import logging
import time

from collector.snmp import events as ev
from collector.snmp import health, health_rules, rates
from collector.snmp.discovery import discover, select_interfaces
from collector.snmp.neighbours import try_read_neighbours
from collector.snmp.reading import ERROR_COUNTERS, fetch_reading
from collector.snmp.session import Session, SnmpError
from vigie.samples import (COUNTER_ERRORS, COUNTER_IN, COUNTER_OUT, IN, MAX_INTERFACES, OUT, MachineSamples,
                           compact_number, interface_key)
from vigie.samples import states
from vigie.samples.consolidate import fold_max
from vigie.utc import iso_from_unix, unix_from_iso

log = logging.getLogger("vigie.collector")
REDISCOVER_SECONDS = 3600
MAX_HEALTH_METRICS = 128      # like MAX_INTERFACES: a chassis full of optics is cut here, with a notice
# what discovery learns of the device itself, kept in its status
SYSTEM_KEYS = ("sys_name", "sys_descr", "sys_object_id", "sys_contact", "sys_location")


def _set_state(status: dict, state: str, ts: float) -> str:
    previous = status["state"]
    if previous != state:
        status["state"], status["since"] = state, iso_from_unix(ts)
    return previous


def keyed(interfaces: list) -> list:
    """[(key, interface)]: the name each interface's series are kept under."""
    taken, out = set(), []
    for interface in interfaces:
        key = interface_key(interface, taken)
        taken.add(key)
        out.append((key, interface))
    return out


def identity(key: str, interface: dict, current: dict) -> dict:
    """An interface's entry in the samples head: who it is and its status."""
    return {
        "key": key, "index": interface["index"], "name": interface["name"], "descr": interface["descr"],
        "alias": interface["alias"], "speed_bps": interface["speed_bps"], "type": interface.get("type"),
        "oper_status": current.get("oper_status") or interface["oper_status"],
        "admin_status": interface["admin_status"], "counter_bits": interface["counter_bits"],
    }


def _interface_rates(interface, current, previous, before, elapsed, rebooted):
    """(in_bps, out_bps) or Nones: no previous reading of this ifIndex (`before` is the
    interface's entry of the last poll, whose ifIndex its counters were read from), or a reboot."""
    same = (previous and before and not rebooted and before.get("index") == interface["index"]
            and before.get("counter_bits") == interface["counter_bits"])
    if not same:
        return None, None
    speed = interface["speed_bps"]
    bits = interface["counter_bits"]
    return (rates.interface_bps(previous[COUNTER_IN], current.get("in_octets"), bits, elapsed, speed),
            rates.interface_bps(previous[COUNTER_OUT], current.get("out_octets"), bits, elapsed, speed))


def _oid_value(spec, value, previous, elapsed, rebooted):
    if spec["type"] == "counter":
        if rebooted or previous is None:
            return None
        bits = 32 if value is not None and value < 2 ** 32 and previous < 2 ** 32 else 64
        value = rates.counter_per_second(previous, value, bits, elapsed)
    scale = spec.get("scale", 1)
    return value if value is None or scale == 1 else value * scale


def _counters(current: dict) -> list:
    row = [None] * (1 + max(COUNTER_ERRORS))
    row[COUNTER_IN], row[COUNTER_OUT] = current.get("in_octets"), current.get("out_octets")
    for position, what in zip(COUNTER_ERRORS, ERROR_COUNTERS):
        row[position] = current.get(what)
    return row


def errors_per_second(previous, current: dict, elapsed, rebooted):
    """In and out errors and discards together, per second (Counter32 deltas), or None
    without a previous reading of this ifIndex or after a reboot."""
    if not previous or rebooted or len(previous) <= max(COUNTER_ERRORS):
        return None
    found = [rates.counter_per_second(previous[position], current.get(what), 32, elapsed)
             for position, what in zip(COUNTER_ERRORS, ERROR_COUNTERS)]
    found = [rate for rate in found if rate is not None]
    return round(sum(found), 3) if found else None


ERRORS_UNIT = "errors/s"


def errors_name(key: str) -> str:
    """The series of an interface's errors and discards, among the extra values (a ':' no
    configured OID name can hold)."""
    return f"errors:{key}"


def error_specs(rules: dict, keys) -> dict:
    """An extra value per watched interface: its errors and discards per second, with the
    alert of errors_per_second (the interface's own in interface_thresholds first)."""
    specs = {}
    for key in keys:
        limit = ev.interface_rule(rules, {"name": key})["errors_per_second"]
        specs[errors_name(key)] = {"oid": None, "type": "gauge", "unit": ERRORS_UNIT, "scale": 1,
                                   "above": limit, "interface": key,
                                   "label": f"Interface {key} errors and discards"}
    return specs


def _pair(in_bps, out_bps) -> list:
    pair = [None, None]
    pair[IN], pair[OUT] = compact_number(in_bps), compact_number(out_bps)
    return pair


def _fold_interfaces(samples: MachineSamples, rules: dict, watched: list, reading: dict, elapsed, rebooted):
    """Rates, identities, counters and events of the watched interfaces; returns
    ({key: [in, out]} for the fine line, events)."""
    head, now = samples.head, samples.now
    ts = reading["time"]
    if_state = head["state"].setdefault("interfaces", {})
    last_poll = {i["key"]: i for i in head.get("interfaces") or () if isinstance(i, dict) and "key" in i}
    identities, counters, line, found = [], {}, {}, []
    errors = reading.setdefault("errors", {})
    for key, interface in keyed(watched):
        current = reading["interfaces"][interface["index"]]
        previous = now["counters"].get(key)
        before = last_poll.get(key)
        in_bps, out_bps = _interface_rates(interface, current, previous, before, elapsed, rebooted)
        same = before and before.get("index") == interface["index"]
        errors[errors_name(key)] = errors_per_second(previous if same else None, current, elapsed, rebooted)
        entry = identity(key, interface, current)
        identities.append(entry)
        line[key] = _pair(in_bps, out_bps)
        fold_max(now["open_max"], key, line[key])
        view = dict(entry, utilisation_percent=rates.utilisation_percent(in_bps, out_bps, interface["speed_bps"]))
        changes, if_state[key] = ev.interface_events(key, if_state.get(key, {}), view,
                                                     ev.utilisation_rule(rules, interface), ts)
        found += changes
        counters[key] = _counters(current)
    for key in [k for k in if_state if k not in counters]:
        del if_state[key]
    for key in [k for k in now["open_max"] if k not in counters]:
        del now["open_max"][key]
    head["interfaces"], now["counters"] = identities, counters
    return line, found


def _fold_oids(samples: MachineSamples, rules: dict, reading: dict, extra_oids: dict, elapsed, rebooted):
    """({name: value} for the fine line, events of the OIDs' thresholds). Why a value
    cannot be graphed (text that is no number, a name that does not resolve...) is kept
    with the OID, for the page to say."""
    now, problems = samples.now, reading.get("oid_problems") or {}
    values, raw, found = {}, {}, []
    alerts = samples.head["state"].setdefault("oid_alerts", {})
    for name, spec in extra_oids.items():
        value = reading["oids"].get(name)
        shown = _oid_value(spec, value, now["oid_counters"].get(name), elapsed, rebooted)
        values[name] = compact_number(shown)
        raw[name] = value
        changes, alerts[name] = ev.oid_events(name, alerts.get(name) or {}, shown, spec, rules, reading["time"])
        found += changes
    for name in [n for n in alerts if n not in extra_oids or not alerts[n]]:
        del alerts[name]
    samples.head["oids"] = {name: dict({"type": spec["type"], "unit": spec["unit"]},
                                       **({"problem": problems[name]} if problems.get(name) else {}),
                                       **({"interface": spec["interface"]} if spec.get("interface") else {}))
                            for name, spec in extra_oids.items()}
    now["oids"], now["oid_counters"] = values, raw
    return values, found


def _health_entry(metric: dict, reading: dict, before: dict, trend) -> dict:
    """A health metric's description in the samples head: what it is, its size and status."""
    entry = {key: metric[key] for key in ("family", "unit", "label", "source")}
    size = reading.get("size") if reading.get("size") is not None else before.get("size")
    if size is not None:
        entry["size"] = size
    if reading.get("status") is not None or "status" in metric["oids"]:
        entry["status"] = reading.get("status")
    if metric["how"] == "state":
        entry["state_only"] = True
    if metric["family"] == "storage" and trend is not None:
        entry["trend_per_day"] = compact_number(trend)
    return entry


def _fold_health(samples: MachineSamples, config: dict, reading: dict, metrics: list, rules: dict) -> tuple:
    """({metric: value} for the fine line, events) of the health metrics of this poll."""
    head, now, ts = samples.head, samples.now, reading["time"]
    values, now["health_counters"] = health.read_metrics(metrics, reading.get("health_raw") or {},
                                                         now.get("health_counters"))
    # the alerts' state changes with the values (a CPU hovering about its threshold): it is
    # kept in now.json, rewritten at every poll anyway, not in the head
    alerts = now.setdefault("health_alerts", {})
    capacity = now.setdefault("capacity_alerts", {})
    trends = samples.state.get("trends") or {}
    before, entries, line, found = head.get("health") or {}, {}, {}, []
    for m in metrics:
        name, got = m["name"], values[m["name"]]
        rule = health_rules.rule_for(rules, name)
        alerts[name], changes = health_rules.step(m, alerts.get(name), got, rule, ts)
        found += changes
        entries[name] = _health_entry(m, got, before.get(name) or {}, trends.get(name))
        if m["how"] != "state":
            line[name] = got["value"]
        if m["family"] == "storage":
            days = health_rules.days_to_full(got["value"], entries[name].get("size"), trends.get(name))
            capacity[name], changes = health_rules.capacity_step(m, capacity.get(name) or {}, days, rule, ts)
            found += changes
    for table in (alerts, capacity):
        for name in [n for n in table if n not in entries or not table[n]]:
            del table[name]
    head["health"], now["health"] = entries, line
    return line, found


def health_metrics(samples: MachineSamples, config: dict) -> list:
    """The health metrics polled: those discovery found that the machine file keeps, at most
    MAX_HEALTH_METRICS (the cut is said in the notices)."""
    rules = machine_health_rules(config)
    chosen = health_rules.selected(rules, (samples.discovery or {}).get("health") or [])
    if len(chosen) > MAX_HEALTH_METRICS:
        samples.head["notices"].append(
            f"{len(chosen)} health metrics, more than the {MAX_HEALTH_METRICS} a machine may have: only the first "
            f"{MAX_HEALTH_METRICS} are polled; list the ones wanted in the machine file's \"health\"")
        chosen = chosen[:MAX_HEALTH_METRICS]
    return chosen


def machine_health_rules(config: dict) -> dict:
    """The machine's health rules, resolved when its file was loaded (collector.poll), else now."""
    return config.get("health_rules") or health_rules.resolve(config)


def apply_reading(samples: MachineSamples, config: dict, watched: list, reading: dict, extra_oids: dict,
                  system: dict = None, metrics: list = ()) -> list:
    """Fold one successful reading into the samples; return this cycle's events."""
    now = samples.now
    ts = reading["time"]
    wall_elapsed = ts - now["time"] if now.get("time") else None
    rebooted = rates.rebooted(now.get("uptime_ticks"), reading["uptime_ticks"], wall_elapsed or 0)
    elapsed = rates.interval_seconds(wall_elapsed, now.get("uptime_ticks"), reading["uptime_ticks"])
    rules = ev.machine_rules(config)
    interfaces, found = _fold_interfaces(samples, rules, watched, reading, elapsed, rebooted)
    # each interface's errors and discards travel as extra values: stored, consolidated,
    # graphed and alerted on like them
    reading = dict(reading, oids=dict(reading["oids"], **reading.get("errors", {})))
    extra_oids = dict(extra_oids, **error_specs(rules, [i["key"] for i in samples.head["interfaces"]]))
    oids, oid_found = _fold_oids(samples, rules, reading, extra_oids, elapsed, rebooted)
    found += oid_found
    line = {"t": int(ts), "if": interfaces, "oid": oids}
    health_line, health_found = _fold_health(samples, config, reading, list(metrics), machine_health_rules(config))
    if health_line:
        line["health"] = health_line
    found += health_found
    samples.fine.append(line)
    now["time"], now["uptime_ticks"] = ts, reading["uptime_ticks"]
    status = samples.status
    previous = _set_state(status, "up", ts)
    status.update({"consecutive_failures": 0, "last_error": None})
    if system:
        status.update({key: system.get(key) for key in SYSTEM_KEYS})
    record_states(samples, ts, answered=True)
    return ev.machine_events(previous, "up", ts) + found


def apply_failure(samples: MachineSamples, config: dict, error: str, ts: float) -> list:
    """Count a failed poll (a gap in the graphs); past `down_after` failures in a row the machine is down."""
    status = samples.status
    status["consecutive_failures"] += 1
    status["last_error"] = error
    samples.fine.append({"t": int(ts)})
    previous = status["state"]
    if status["consecutive_failures"] >= config["down_after"]:
        _set_state(status, "down", ts)
    record_states(samples, ts, answered=False)
    return ev.machine_events(previous, status["state"], ts, error)


def record_states(samples: MachineSamples, ts: float, answered: bool) -> None:
    """Queue this poll's lines of the state history (vigie/samples/states.py): the
    machine's state, and each watched interface's when the poll was answered."""
    interfaces = {i["key"]: states.interface_state(i.get("oper_status"), i.get("admin_status"))
                  for i in samples.head["interfaces"]} if answered else None
    gap = states.no_data_after_seconds(samples.head["archives"]["fine"]["step"])
    lines, samples.state["history"] = states.poll_marks(
        samples.state.get("history") or states.empty_held(), unix_from_iso(samples.now.get("polled")), ts,
        samples.status["state"], answered, interfaces, gap)
    samples.states += lines


def needs_discovery(samples: MachineSamples, config: dict, reading: dict = None, now: float = None) -> bool:
    found = samples.discovery
    if not found:
        return True
    if now is not None and now - found.get("time", 0) > REDISCOVER_SECONDS:
        return True
    if reading is None:
        return False
    if reading["if_number"] is not None and reading["if_number"] != found.get("if_number"):
        return True
    last_uptime = samples.now.get("uptime_ticks")
    if last_uptime is not None and reading["uptime_ticks"] is not None and reading["uptime_ticks"] < last_uptime:
        return True
    known = {i["index"]: i["descr"] for i in found["interfaces"]}
    return any(got.get("descr") != known.get(index) for index, got in reading["interfaces"].items())


def watched_interfaces(samples: MachineSamples, config: dict) -> list:
    """The interfaces to poll: those the machine file asks for, at most MAX_INTERFACES
    (the cut is said in the samples' notices)."""
    chosen = select_interfaces(samples.discovery["interfaces"], config["interfaces"])
    notices = []
    if len(chosen) > MAX_INTERFACES:
        notices.append(f"{len(chosen)} interfaces to watch, more than the {MAX_INTERFACES} a machine may have: only "
                       f"the first {MAX_INTERFACES} by ifIndex are polled and graphed; list the interfaces wanted "
                       f"in the machine file's \"interfaces\"")
        chosen = chosen[:MAX_INTERFACES]
    samples.head["notices"] = notices
    return chosen


async def _discover(session, samples: MachineSamples, config: dict, now: float) -> dict:
    """The interfaces, the system group and, over LLDP and CDP, the device's chassis id
    and neighbours (left out when the device did not answer that walk); the health tables
    too when their last walk is an hour old (an interface renumbered or a new ifNumber says
    nothing of them)."""
    before = samples.discovery or {}
    found = await discover(session)
    found["time"] = now
    lldp = await try_read_neighbours(session, found["interfaces"])
    if lldp is not None:
        found.update(chassis_id=lldp["chassis_id"], neighbours=lldp["neighbours"])
    known = before.get("health")
    walked = before.get("health_time", before.get("time", 0))
    if known is not None and now - walked < REDISCOVER_SECONDS and machine_health_rules(config)["enabled"]:
        found["health"], found["health_time"] = known, walked
    else:
        found["health"], found["health_time"] = await _walk_health(session, samples, config, known), now
    samples.discovery, samples.discovery_changed = found, True
    return found


async def _walk_health(session, samples: MachineSamples, config: dict, known):
    """The device's health metrics, walked now; None (not walked: the next poll tries) when
    the machine file turns health off or the agent does not answer the walk, unless it was
    found before (its poll says the rest). A failed walk is logged when its reason changes."""
    if not machine_health_rules(config)["enabled"]:
        return None
    before = samples.now.pop("health_walk_error", None)
    try:
        found = await health.walk_health(session)
    except SnmpError as exc:
        samples.now["health_walk_error"] = str(exc)
        if str(exc) != before:
            log.warning("%s: health not walked (%s); tried again at the next poll", samples.machine, exc)
        return known
    if before:
        log.info("%s: health walked again: %d metric(s)", samples.machine, len(found))
    return found


async def read_device(session, samples: MachineSamples, config: dict, extra_oids: dict):
    """(watched interfaces, reading, system info, health metrics), discovering again when the
    device changed."""
    now = time.time()
    if needs_discovery(samples, config, now=now):
        await _discover(session, samples, config, now)
    elif machine_health_rules(config)["enabled"] and samples.discovery.get("health") is None:
        # health just turned on, or its last walk went unanswered
        samples.discovery["health"] = await _walk_health(session, samples, config, None)
        samples.discovery_changed = samples.discovery["health"] is not None
    watched = watched_interfaces(samples, config)
    metrics = health_metrics(samples, config)
    reading = await fetch_reading(session, watched, extra_oids, metrics)
    if needs_discovery(samples, config, reading):
        await _discover(session, samples, config, now)
        watched = watched_interfaces(samples, config)
        metrics = health_metrics(samples, config)
        reading = await fetch_reading(session, watched, extra_oids, metrics)
    return watched, reading, samples.discovery, metrics


def attempt_seconds(config: dict, samples: MachineSamples = None) -> float:
    """Longest one cycle may take: its requests, each with its timeout and retries.

    pysnmp bounds every request; this is the safety net over the whole cycle, which
    on a device with many interfaces holds more requests (GETs of 40 values, walks).
    """
    found = (samples.discovery if samples is not None else None) or {}
    requests = 6 + len(found.get("interfaces", [])) // 10 + len(health.WALKS) + len(found.get("health") or ()) // 10
    return requests * config["timeout"] * (config["retries"] + 1) + 1


async def poll_machine(stack, config: dict, samples: MachineSamples, extra_oids: dict, session=None) -> list:
    """Poll one machine once and fold the outcome into `samples`; return the events."""
    try:
        if session is None:
            session = await Session.open(stack, config, config.get("name"))
        watched, reading, found, metrics = await asyncio.wait_for(
            read_device(session, samples, config, extra_oids), attempt_seconds(config, samples))
    except (SnmpError, OSError, asyncio.TimeoutError) as exc:
        message = str(exc) or f"no complete answer within {attempt_seconds(config, samples):g} s"
        return apply_failure(samples, config, message, time.time())
    return apply_reading(samples, config, watched, reading, extra_oids, found, metrics)
