"""Changes of state become alert files, once per change.

`machine_events` and `interface_events` compare the previous state with the
new one and return the events of this poll (pure); `alert_record` turns one
into the shared alert record with the machine's tags and the fingerprint of its
condition; `write_alert` drops it in alertfiles/ atomically, so the watcher
never sees half a file.

A problem and its return to normal carry the same fingerprint, one per machine and
condition (whether the machine answers, the oper status of one interface, the
utilisation of one interface): the API keeps one alert per fingerprint, which the
"back to normal" INFO resolves, and a machine going down ten times is one alert
reopened ten times, not twenty rows.
"""

import hashlib
import secrets
from pathlib import Path

from vigie.alert_file import render
from vigie.lifecycle import MAX_FINGERPRINT
from vigie.atomic import atomic_write_text
from vigie.utc import iso_from_unix

SEVERITY = {"down": "CRITICAL", "up": "INFO", "if_down": "ERROR", "if_up": "INFO",
            "util_high": "WARNING", "util_ok": "INFO"}


# The condition each kind of event is about.
CONDITION = {"down": "reachability", "up": "reachability", "if_down": "oper-status", "if_up": "oper-status",
             "util_high": "utilisation", "util_ok": "utilisation"}


def make_event(kind: str, ts: float, message: str, interface=None) -> dict:
    return {"time": iso_from_unix(ts), "kind": kind, "interface": interface, "message": message}


def machine_events(previous_state: str, new_state: str, ts: float, detail: str = "") -> list:
    """down when a machine that was up (or never seen) is declared down; up when a down one answers."""
    if new_state == "down" and previous_state != "down":
        return [make_event("down", ts, f"Machine is not answering SNMP{': ' + detail if detail else ''}")]
    if new_state == "up" and previous_state == "down":
        return [make_event("up", ts, "Machine is answering SNMP again")]
    return []


def interface_events(name: str, previous: dict, current: dict, threshold_percent: float, ts: float) -> list:
    """Oper status and utilisation changes of one interface between two polls.

    `previous` holds {"oper_status", "util_high"} from the last poll (empty on
    the first one: no event then, there is no change to report). An interface
    taken down by an administrator (ifAdminStatus down) is not an incident.
    """
    events = []
    before, now = previous.get("oper_status"), current.get("oper_status")
    if before and now and before != now and current.get("admin_status") != "down":
        if now == "down" and before == "up":
            events.append(make_event("if_down", ts, f"Interface {name} is down", name))
        elif now == "up" and before == "down":
            events.append(make_event("if_up", ts, f"Interface {name} is up again", name))
    util = current.get("utilisation_percent")
    if util is not None:
        if util >= threshold_percent and not previous.get("util_high"):
            events.append(make_event("util_high", ts, f"Interface {name} at {util:.0f}% of its speed "
                                     f"(threshold {threshold_percent:g}%)", name))
        elif util < threshold_percent and previous.get("util_high"):
            events.append(make_event("util_ok", ts, f"Interface {name} back under {threshold_percent:g}% "
                                     f"({util:.0f}%)", name))
    return events


def fingerprint(machine: str, event: dict):
    """snmp:<condition>:<machine>[:<interface>] (None for an event about no condition)."""
    condition = CONDITION.get(event["kind"])
    if condition is None:
        return None
    text = ":".join(["snmp", condition, machine] + ([str(event["interface"])] if event.get("interface") else []))
    if len(text) > MAX_FINGERPRINT:  # a very long interface name: keep it unique, and short enough
        text = text[:MAX_FINGERPRINT - 65] + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text


def alert_record(machine: str, tags: dict, event: dict) -> dict:
    record = {
        "timestamp": event["time"], "server": machine, "severity": SEVERITY[event["kind"]],
        "message": event["message"], "provider": tags.get("provider", ""),
        "application": tags.get("application", ""), "environment": tags.get("environment", ""),
    }
    key = fingerprint(machine, event)
    if key is not None:
        record["fingerprint"] = key
    return record


def alert_file_name(machine: str, event: dict) -> str:
    stamp = event["time"][:19].replace("-", "").replace(":", "")
    return f"vigie-{machine}-{event['kind'].replace('_', '-')}-{stamp}-{secrets.token_hex(3)}.txt"


def write_alert(alertfiles_dir, machine: str, tags: dict, event: dict) -> Path:
    directory = Path(alertfiles_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / alert_file_name(machine, event)
    atomic_write_text(path, render(alert_record(machine, tags, event)), mode=0o644)
    return path


def emit(alertfiles_dir, machine: str, tags: dict, events: list) -> list:
    """Write one alert file per event; return their paths."""
    return [write_alert(alertfiles_dir, machine, tags, event) for event in events]

