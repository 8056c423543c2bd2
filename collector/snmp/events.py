"""Changes of state become alert files, once per change.

`machine_events` and `interface_events` compare the previous state with the
new one and return the events of this poll (pure); `alert_record` turns one
into the shared alert record with the machine's tags and the fingerprint of its
condition; `write_alert` drops it in alertfiles/ (vigie.alert_file.write: atomically, so
the watcher never sees half a file).

A problem and its return to normal carry the same fingerprint, one per machine and
condition (whether the machine answers, the oper status of one interface, the
utilisation of one interface): the API keeps one alert per fingerprint, which the
"back to normal" INFO resolves, and a machine going down ten times is one alert
reopened ten times, not twenty rows.
"""

from pathlib import Path

from collector.snmp import thresholds
from vigie import alert_file
from vigie.alert import machine_record
from vigie.down_alerts import (INTERFACE_DOWN_SEVERITY, MACHINE_DOWN_MESSAGE, MACHINE_DOWN_SEVERITY,
                               OPER_STATUS, REACHABILITY, condition_fingerprint, interface_down_message)
from vigie.machines import defaults as machine_defaults
from vigie.utc import iso_from_unix

SEVERITY = {"down": MACHINE_DOWN_SEVERITY, "up": "INFO", "if_down": INTERFACE_DOWN_SEVERITY, "if_up": "INFO",
            "util_high": "WARNING", "util_ok": "INFO", "oid_high": "WARNING", "oid_ok": "INFO",
            "health_warning": "WARNING", "health_error": "ERROR", "health_critical": "CRITICAL", "health_ok": "INFO",
            "capacity_low": "WARNING", "capacity_ok": "INFO"}

THRESHOLD_KEYS = ("threshold_percent", "threshold_polls", "threshold_hysteresis")

# The condition each kind of event is about.
CONDITION = {"down": REACHABILITY, "up": REACHABILITY, "if_down": OPER_STATUS, "if_up": OPER_STATUS,
             "util_high": "utilisation", "util_ok": "utilisation", "oid_high": "threshold", "oid_ok": "threshold",
             "health_warning": "health", "health_error": "health", "health_critical": "health", "health_ok": "health",
             "capacity_low": "capacity", "capacity_ok": "capacity"}


def make_event(kind: str, ts: float, message: str, interface=None) -> dict:
    return {"time": iso_from_unix(ts), "kind": kind, "interface": interface, "message": message}


def machine_events(previous_state: str, new_state: str, ts: float, detail: str = "") -> list:
    """down when a machine that was up (or never seen) is declared down; up when a down one answers."""
    if new_state == "down" and previous_state != "down":
        return [make_event("down", ts, f"{MACHINE_DOWN_MESSAGE}{': ' + detail if detail else ''}")]
    if new_state == "up" and previous_state == "down":
        return [make_event("up", ts, "Machine is answering SNMP again")]
    return []


def resolve_rules(config: dict) -> dict:
    """A machine's poll rules, resolved once when its file is loaded (collector.poll): the
    utilisation threshold and the errors-and-discards limit of its interfaces, those of each
    interface_thresholds entry (by ifName, ifDescr or ifIndex) over the machine's, and the
    polls in a row its extra OIDs' thresholds take by default. A config that did not come
    through machines.validate (a test's) gets the schema's defaults here, and only here."""
    full = dict(machine_defaults(), **config)
    machine = {key: full[key] for key in THRESHOLD_KEYS + ("errors_per_second",)}
    return {"machine": _interface_rule(machine),
            "interfaces": {str(key): _interface_rule(dict(machine, **entry))
                           for key, entry in (full.get("interface_thresholds") or {}).items()},
            "threshold_polls": full["threshold_polls"]}


def _interface_rule(settings: dict) -> dict:
    return {"utilisation": thresholds.rule(settings["threshold_percent"], above=True,
                                           polls=settings["threshold_polls"],
                                           hysteresis=settings["threshold_hysteresis"]),
            "errors_per_second": settings["errors_per_second"]}


def machine_rules(config: dict) -> dict:
    """The machine's poll rules, resolved when its file was loaded, else now."""
    return config.get("poll_rules") or resolve_rules(config)


def interface_rule(rules: dict, interface: dict = None) -> dict:
    """The rules of one interface ({"utilisation", "errors_per_second"}): its own
    interface_thresholds entry (by ifName first, then ifDescr, then ifIndex), else the machine's."""
    table = rules["interfaces"]
    for key in (interface or {}).get("name"), (interface or {}).get("descr"), (interface or {}).get("index"):
        if key is not None and str(key) in table:
            return table[str(key)]
    return rules["machine"]


def utilisation_rule(rules: dict, interface: dict = None) -> dict:
    """The utilisation threshold of one interface (thresholds.rule)."""
    return interface_rule(rules, interface)["utilisation"]


def utilisation_message(name: str, change: str, util: float, r: dict) -> str:
    if change == thresholds.RAISE:
        held = f" for {r['polls']} polls" if r["polls"] > 1 else ""
        return (f"Interface {name} at {thresholds.shown(util, '>=', r['limit'])}% of its speed{held} "
                f"(threshold {r['limit']:g}%)")
    level = thresholds.clear_level(r)
    return (f"Interface {name} back under {level:g}% of its speed "
            f"({thresholds.shown(util, '<', level)}%; threshold {r['limit']:g}%)")


def interface_events(name: str, previous: dict, current: dict, rule: dict, ts: float) -> tuple:
    """(events, new state) of one interface between two polls.

    `previous` is the state this returned last time ({"oper_status", "util_high",
    "util_count"}; empty on the first poll: no oper-status event then, there is no
    change to report). An interface taken down by an administrator (ifAdminStatus
    down) is not an incident. Utilisation goes through the threshold `rule`
    (thresholds.py): raised after its polls in a row, cleared under its hysteresis.
    """
    events = []
    before, now = previous.get("oper_status"), current.get("oper_status")
    if before and now and before != now and current.get("admin_status") != "down":
        if now == "down" and before == "up":
            events.append(make_event("if_down", ts, interface_down_message(name), name))
        elif now == "up" and before == "down":
            events.append(make_event("if_up", ts, f"Interface {name} is up again", name))
    util = current.get("utilisation_percent")
    held = {"count": previous.get("util_count", 0), "raised": previous.get("util_high", False)}
    held, change = thresholds.step(held, util, rule)
    if change is not None:
        kind = "util_high" if change == thresholds.RAISE else "util_ok"
        events.append(make_event(kind, ts, utilisation_message(name, change, util, rule), name))
    return events, {"oper_status": now, "util_high": held["raised"], "util_count": held["count"]}


def fingerprint(machine: str, event: dict):
    """snmp:<condition>:<machine>[:<interface>, extra OID or health metric] (None for an event
    about no condition)."""
    condition = CONDITION.get(event["kind"])
    if condition is None:
        return None
    # the interface, the extra OID or the health metric it is about
    subject = event.get("interface") or event.get("oid") or event.get("metric")
    return condition_fingerprint(condition, machine, subject)


def oid_rule(spec: dict, rules: dict):
    """The threshold of an extra OID ({"above": X} or {"below": X}, "for" polls, else the
    machine's threshold_polls, "hysteresis"), or None when it has none."""
    for side in ("above", "below"):
        if spec.get(side) is not None:
            polls = spec.get("for") or rules["threshold_polls"]
            return thresholds.rule(spec[side], above=side == "above", polls=polls,
                                   hysteresis=spec.get("hysteresis") or 0)
    return None


def _with_unit(text: str, unit) -> str:
    return f"{text} {unit}" if unit else text


def oid_events(name: str, previous: dict, value, spec: dict, rules: dict, ts: float) -> tuple:
    """(events, new state) of one extra OID with a threshold; ([], {}) without one."""
    r = oid_rule(spec, rules)
    if r is None:
        return [], {}
    state, change = thresholds.step(previous, value, r)
    if change is None:
        return [], state
    said = spec.get("label") or name   # an interface's errors have a label; the OID its name
    word, unit = ("above" if r["above"] else "below"), spec.get("unit")
    limit = f"threshold: {word} {_with_unit(format(r['limit'], 'g'), unit)}"
    if change == thresholds.RAISE:
        held = f" for {r['polls']} polls" if r["polls"] > 1 else ""
        shown = thresholds.shown(value, ">=" if r["above"] else "<=", r["limit"])
        message, kind = f"{said} at {_with_unit(shown, unit)}{held} ({limit})", "oid_high"
    else:
        shown = thresholds.shown(value, "<" if r["above"] else ">", thresholds.clear_level(r))
        message, kind = f"{said} back to {_with_unit(shown, unit)} ({limit})", "oid_ok"
    event = make_event(kind, ts, message)
    event["oid"] = name
    return [event], state


def alert_record(machine: str, tags: dict, event: dict) -> dict:
    return machine_record(machine, tags, event["time"], SEVERITY[event["kind"]], event["message"],
                          fingerprint(machine, event))


def write_alert(alertfiles_dir, machine: str, tags: dict, event: dict) -> Path:
    """The event's alert file, e.g. `vigie-edge-1-if-down-20261122T101503-a1b2c3d4.txt`."""
    return alert_file.write(alertfiles_dir, f"vigie-{machine}-{event['kind'].replace('_', '-')}",
                            alert_record(machine, tags, event))


def emit(alertfiles_dir, machine: str, tags: dict, events: list) -> list:
    """Write one alert file per event; return their paths."""
    return [write_alert(alertfiles_dir, machine, tags, event) for event in events]

