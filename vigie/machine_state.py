"""A machine's live state as shown to people and scripts (GET /api/machine...).

`live_state` picks, from the samples' current view (vigie.samples.read_current),
what tells how the machine is doing now: up or down and since when, when it last
answered, its uptime as last read, what it says of itself, and each interface's
status and rates. A machine that stopped answering has its interfaces unknown
since its last answer (vigie/samples/format.py), never a stale "up".
"""

from vigie.samples import SamplesError, read_current

STATUS_FIELDS = ("state", "since", "last_seen", "answering", "consecutive_failures", "last_error",
                 "uptime_seconds", "uptime_as_of", "sys_name", "sys_descr", "sys_location", "sys_contact",
                 "sys_object_id")
# A machine's states, the worst first: how lists sort and filter machines by state.
MACHINE_STATES = ("down", "unknown", "up")
INTERFACE_FIELDS = ("index", "name", "descr", "alias", "speed_bps", "oper_status", "admin_status", "in_bps",
                    "out_bps", "utilisation_percent", "in_peak_bps", "out_peak_bps", "unknown_since",
                    "last_oper_status")


def live_state(view: dict) -> dict:
    status = view.get("status") or {}
    return {
        "status": {key: status.get(key) for key in STATUS_FIELDS},
        "polled_at": view.get("updated"),
        "interfaces": [{key: i.get(key) for key in INTERFACE_FIELDS} for i in view.get("interfaces") or ()],
        "oids": {name: {"last": oid.get("last"), "unit": oid.get("unit"), "type": oid.get("type")}
                 for name, oid in (view.get("oids") or {}).items()},
    }


def known_state(state) -> str:
    """The state as lists show it: one of MACHINE_STATES, "unknown" for none or another."""
    return state if state in MACHINE_STATES else "unknown"


def state_of(live: dict) -> str:
    """A machine's state from its live view: "unknown" when it has none (never polled,
    samples unreadable) or an unexpected one."""
    return known_state(((live or {}).get("status") or {}).get("state"))


def read_live(samples_dir, machine: str) -> dict:
    """The live state of one machine, or {"error": ...} when its samples cannot be read."""
    try:
        return live_state(read_current(samples_dir, machine))
    except (SamplesError, OSError, ValueError) as exc:
        return {"error": f"cannot read the samples: {exc}"}
