"""What the collector says when a machine or an interface goes down, defined once.

The collector's events (collector/snmp/events.py) write these alerts; the
availability reports ask which silences would have matched them, which is what
makes a silence a maintenance window of that machine or interface; the API reads
their fingerprints to tell which machines are down, and which ports, when it
decides what is unreachable behind what (vigie/dependencies.py).

A condition's fingerprint is `snmp:<condition>:<machine>[:<subject>]`: whether the
machine answers (`reachability`), the oper status of one interface (`oper-status`),
the utilisation of one interface, an extra OID's threshold. Machine names hold no ':'.
"""

import hashlib

from vigie.alert import MAX_FINGERPRINT

MACHINE_DOWN_SEVERITY = "CRITICAL"
MACHINE_DOWN_MESSAGE = "Machine is not answering SNMP"
INTERFACE_DOWN_SEVERITY = "ERROR"
REACHABILITY = "reachability"   # the condition "the machine answers SNMP"
OPER_STATUS = "oper-status"     # the condition "this interface is up"
_REACHABILITY_PREFIX = f"snmp:{REACHABILITY}:"


def condition_fingerprint(condition: str, machine: str, subject=None) -> str:
    """snmp:<condition>:<machine>[:<subject>]; a very long one (a long interface name) is
    cut and ends with a hash of the whole, so it stays unique and fits."""
    text = ":".join(["snmp", condition, machine] + ([str(subject)] if subject else []))
    if len(text) > MAX_FINGERPRINT:
        text = text[:MAX_FINGERPRINT - 65] + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text


def reachability_fingerprint(machine: str) -> str:
    return condition_fingerprint(REACHABILITY, machine)


def interface_down_fingerprint(machine: str, interface: str) -> str:
    return condition_fingerprint(OPER_STATUS, machine, interface)


def reachability_machine(fingerprint: str):
    """The machine a reachability fingerprint is about, or None for any other fingerprint."""
    if not fingerprint.startswith(_REACHABILITY_PREFIX):
        return None
    machine = fingerprint[len(_REACHABILITY_PREFIX):]
    return machine if machine and ":" not in machine else None


def is_interface_down(fingerprint: str) -> bool:
    return fingerprint.startswith(f"snmp:{OPER_STATUS}:")


def is_down_condition(fingerprint: str) -> bool:
    """Whether an alert with this fingerprint says a machine or an interface is down: the
    alerts that may be unreachable behind another machine, and wait for it (the hold)."""
    return reachability_machine(fingerprint) is not None or is_interface_down(fingerprint)


def interface_down_message(name: str) -> str:
    return f"Interface {name} is down"


def machine_down_alert(fields: dict) -> dict:
    """The machine's down alert (without its detail and time), from its scope fields
    (vigie.scope.machine_fields: server and tags)."""
    return dict(fields, severity=MACHINE_DOWN_SEVERITY, message=MACHINE_DOWN_MESSAGE)


def interface_down_alert(fields: dict, name: str) -> dict:
    """One of its interfaces' down alert."""
    return dict(fields, severity=INTERFACE_DOWN_SEVERITY, message=interface_down_message(name))
