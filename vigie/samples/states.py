"""The state history: when each machine and each interface was up, down, or not known.

`<name>/states.jsonl` holds one line per change of state, oldest first:
{"t": unix time, "s": state} for the machine, {"t", "s", "if": key} for one of its
interfaces. A state holds from its line's time until the next line of the same
subject; the last one holds until the last poll (until now while the collector
polls the machine). The states:

    up     the machine answers; the interface's ifOperStatus is up
    down   the machine was declared down (down_after failed polls in a row; its
           line is dated at the first of them); the interface is down,
           lowerLayerDown or notPresent
    off    the interface is administratively down (ifAdminStatus down): not an outage
    none   no data from then on: the collector did not poll the machine for longer
           than no_data_after_seconds (its line is dated at the last poll before
           the gap), an interface stopped being watched, or its status says
           nothing of its service (testing, dormant, unknown)

Time before a subject's first line is no data too (the machine was added later), and
an interface has no data while its machine is not up. The history is what
availability reports are computed from (vigie/availability.py); `read_states` in
store.py reads it. Pure functions here: what a poll adds, and how the file is cut.

Bounded: lines older than KEEP_SECONDS (two years) are dropped, at most a month
late; a file past MAX_BYTES (a machine whose interfaces flap all day) loses its
oldest quarter. A cut keeps every subject's state at the cut as a line of that
time, so what is kept reads the same as before.
"""

UP, DOWN, OFF, NONE = "up", "down", "off", "none"
STATES = (UP, DOWN, OFF, NONE)
KEEP_SECONDS = 731 * 86400
TRIM_SLACK_SECONDS = 31 * 86400
MAX_BYTES = 16 * 1024 * 1024   # a year of about 1,000 changes a day (45 bytes a line)
INTERFACE_DOWN = ("down", "lowerLayerDown", "notPresent")


def no_data_after_seconds(interval_seconds: float) -> float:
    """How long without a poll (answered or not) is a gap in the history: two poll
    intervals and a minute, room for a slow poll or a collector restart."""
    return 2 * interval_seconds + 60


def interface_state(oper_status, admin_status) -> str:
    """An interface's state in the history from its ifOperStatus and ifAdminStatus."""
    if admin_status == "down":
        return OFF
    if oper_status == "up":
        return UP
    return DOWN if oper_status in INTERFACE_DOWN else NONE


def empty_held() -> dict:
    """What the history last said of each subject, kept in the samples head."""
    return {"machine": None, "if": {}, "failing_since": None}


def mark(t: float, state: str, interface=None) -> dict:
    line = {"t": int(t), "s": state}
    if interface is not None:
        line["if"] = interface
    return line


def poll_marks(held: dict, last_poll, ts: float, machine_state: str, answered: bool, interfaces, gap: float):
    """(lines to append, new held) after one poll at `ts`.

    `held` is what this returned last time (empty_held() at first); `last_poll` the
    time of the poll before (None: never); `machine_state` the machine's state after
    this poll ("up", "down", or "unknown" before it ever answered or was declared
    down); `interfaces` {key: state} of the watched interfaces when the poll was
    answered; `gap` the no_data_after_seconds of the machine.
    """
    held = {"machine": held.get("machine"), "if": dict(held.get("if") or {}),
            "failing_since": held.get("failing_since")}
    lines = []
    if last_poll is not None and ts - last_poll > gap and held["machine"] not in (None, NONE):
        lines.append(mark(last_poll, NONE))
        held["machine"] = NONE
    if last_poll is None or ts - last_poll > gap:
        held["failing_since"] = None          # a run of failures does not span a gap
    if answered:
        held["failing_since"] = None
    elif held["failing_since"] is None:
        held["failing_since"] = int(ts)
    if machine_state in (UP, DOWN) and held["machine"] != machine_state:
        since = ts if machine_state == UP else held["failing_since"] or ts
        lines.append(mark(max(since, lines[-1]["t"] if lines else since), machine_state))
        held["machine"] = machine_state
    if answered and interfaces is not None:
        for key, state in interfaces.items():
            if held["if"].get(key) != state:
                lines.append(mark(ts, state, key))
                held["if"][key] = state
        for key in [k for k in held["if"] if k not in interfaces]:
            lines.append(mark(ts, NONE, key))
            del held["if"][key]
    return lines, held


def subject_of(line: dict):
    """The interface a line is about, or None for the machine."""
    return line.get("if")


def is_mark(line) -> bool:
    return (isinstance(line, dict) and isinstance(line.get("t"), (int, float)) and line.get("s") in STATES
            and (line.get("if") is None or isinstance(line["if"], str)))


def compact(lines: list, keep_from: int) -> list:
    """The history from `keep_from` on: each subject's state at that moment (the last
    line before it; none is left out) as a line of that time, then the later lines."""
    state_at = {}
    later = []
    for line in lines:
        if line["t"] < keep_from:
            state_at[subject_of(line)] = line
        else:
            later.append(line)
    carried = [mark(keep_from, line["s"], subject_of(line)) for line in state_at.values() if line["s"] != NONE]
    carried.sort(key=lambda line: subject_of(line) is not None)   # the machine's line first
    return carried + later


def cut_for_size(lines: list) -> int:
    """Where to cut a history grown past MAX_BYTES: the time of the line a quarter in."""
    return lines[len(lines) // 4]["t"] if lines else 0
