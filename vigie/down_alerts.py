"""What the collector says when a machine or an interface goes down, defined once.

The collector's events (collector/snmp/events.py) write these alerts; the
availability reports ask which silences would have matched them, which is what
makes a silence a maintenance window of that machine or interface.
"""

MACHINE_DOWN_SEVERITY = "CRITICAL"
MACHINE_DOWN_MESSAGE = "Machine is not answering SNMP"
INTERFACE_DOWN_SEVERITY = "ERROR"


def interface_down_message(name: str) -> str:
    return f"Interface {name} is down"


def machine_down_alert(fields: dict) -> dict:
    """The machine's down alert (without its detail and time), from its scope fields
    (vigie.scope.machine_fields: server and tags)."""
    return dict(fields, severity=MACHINE_DOWN_SEVERITY, message=MACHINE_DOWN_MESSAGE)


def interface_down_alert(fields: dict, name: str) -> dict:
    """One of its interfaces' down alert."""
    return dict(fields, severity=INTERFACE_DOWN_SEVERITY, message=interface_down_message(name))
