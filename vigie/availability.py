"""Availability over a period, from a machine's state history (vigie/samples/states.py).

Pure functions on unix times, tested on literal histories:

- `timelines` turns the history's lines into runs [start, end, state] per subject
  (the machine, each interface), ending at `observed_until`; an interface has no
  run where its machine is not up;
- `report` measures one subject over a period [start, end), clipped to `now`:
  seconds up, down, off (an interface administratively down) and with no data,
  which together make the period; the seconds in maintenance (the union of the
  windows given) and how many of them were up or down; the outages (runs of
  down) that touch the period, each with its real start and end; the
  availability, up / (up + down), with the maintenance left out of both when asked.

Time with no data (the collector stopped, the machine added later) is never counted
as up or down: it is shown apart, and an availability with no up or down time at
all is None, not 100.
"""

import math

from vigie import down_alerts
from vigie import silences as rules
from vigie.samples.states import DOWN, NONE, OFF, UP
from vigie.utc import iso_from_unix, moment_from_unix

COUNTED = (UP, DOWN, OFF)


def observed_until(last_poll, now: float, gap: float) -> float:
    """Where the last state of a history stops: now while the machine is polled, else
    its last poll (None: never polled, the history ends at its last line)."""
    if last_poll is None:
        return None
    return now if now - last_poll <= gap else last_poll


def runs(lines: list, until) -> list:
    """[[start, end, state]] of one subject's lines (in time order), the last run
    ending at `until` (or at its own start when `until` is None); no-data runs left
    out, adjacent runs of one state joined."""
    found = []
    for n, line in enumerate(lines):
        end = lines[n + 1]["t"] if n + 1 < len(lines) else (line["t"] if until is None else until)
        end = end if until is None else min(end, until)
        if line["s"] == NONE or end <= line["t"]:
            continue
        if found and found[-1][2] == line["s"] and found[-1][1] == line["t"]:
            found[-1][1] = end
        else:
            found.append([line["t"], end, line["s"]])
    return found


def intersect(interface_runs: list, machine_runs: list) -> list:
    """The interface's runs cut to the times its machine was up."""
    ups = [(s, e) for s, e, state in machine_runs if state == UP]
    out = []
    for start, end, state in interface_runs:
        for up_start, up_end in ups:
            low, high = max(start, up_start), min(end, up_end)
            if low < high:
                out.append([low, high, state])
    return out


def timelines(lines: list, until) -> tuple:
    """(machine runs, {interface: runs}) of a history's lines."""
    ordered = sorted(lines, key=lambda line: line["t"])      # stable: equal times keep their order
    by_subject = {}
    for line in ordered:
        by_subject.setdefault(line.get("if"), []).append(line)
    machine = runs(by_subject.pop(None, []), until)
    return machine, {key: intersect(runs(found, until), machine) for key, found in sorted(by_subject.items())}


def merge_windows(windows) -> list:
    """Windows [(start, end)] as a sorted list of disjoint ones (overlaps joined)."""
    merged = []
    for start, end in sorted((s, e) for s, e in windows if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def overlap(start: float, end: float, windows: list) -> float:
    """Seconds of [start, end) inside the (disjoint) windows."""
    return sum(max(0.0, min(end, e) - max(start, s)) for s, e in windows)


def percent_down_to(value: float, places: int = 4) -> float:
    """A percentage rounded down: it reads 100 only when nothing was down."""
    factor = 10 ** places
    return math.floor(value * factor + 1e-9) / factor


def availability_percent(up: float, down: float):
    return None if up + down <= 0 else percent_down_to(100.0 * up / (up + down))


def outages(subject_runs: list, start: float, end: float, windows: list, now: float) -> list:
    """The runs of down that touch [start, end): their real start and end (None while
    still down now), how they ended ("up", "off", "no data", or None), their seconds,
    those within the period, and those of them in maintenance."""
    found = []
    for n, (s, e, state) in enumerate(subject_runs):
        if state != DOWN or e <= start or s >= end:
            continue
        after = subject_runs[n + 1] if n + 1 < len(subject_runs) else None
        ongoing = after is None and e >= now
        low, high = max(s, start), min(e, end)
        found.append({"start": s, "end": None if ongoing else e,
                      "ended_by": None if ongoing else after[2] if after and after[0] == e else "no data",
                      "seconds": e - s, "seconds_in_period": high - low,
                      "maintenance_seconds": overlap(low, high, windows)})
    return found


def report(subject_runs: list, start: float, end: float, now: float, windows=(), exclude_maintenance=False) -> dict:
    """One subject (its runs from `timelines`, which end at most at `now`) over
    [start, end), measured up to `now`; `windows` are its maintenance windows
    [(start, end)], in any order, overlapping or not."""
    measured_end = max(start, min(end, now))
    windows = [(max(s, start), min(e, measured_end)) for s, e in merge_windows(windows)]
    windows = [(s, e) for s, e in windows if e > s]
    seconds = {state: 0.0 for state in COUNTED}
    in_maintenance = {state: 0.0 for state in COUNTED}
    for s, e, state in subject_runs:
        low, high = max(s, start), min(e, measured_end)
        if low < high:
            seconds[state] += high - low
            in_maintenance[state] += overlap(low, high, windows)
    period = measured_end - start
    no_data = max(0.0, period - sum(seconds.values()))
    up, down = seconds[UP], seconds[DOWN]
    if exclude_maintenance:
        up, down = up - in_maintenance[UP], down - in_maintenance[DOWN]
    return {
        "availability_percent": availability_percent(up, down),
        "seconds": {"period": period, "up": seconds[UP], "down": seconds[DOWN], "off": seconds[OFF],
                    "no_data": no_data, "maintenance": overlap(start, measured_end, windows),
                    "up_in_maintenance": in_maintenance[UP], "down_in_maintenance": in_maintenance[DOWN]},
        "outages": outages(subject_runs, start, measured_end, windows, now),
    }


# ---------------------------------------------------------------- machines, interfaces, silences

def silence_windows(silences: list, start: float, end: float) -> list:
    """[(matchers, [(start, end)])]: each silence's windows within [start, end), in unix time."""
    since, until = moment_from_unix(start), moment_from_unix(max(start, end))
    found = []
    for silence in silences:
        spans = [(s.timestamp(), (e or until).timestamp()) for s, e in rules.windows(silence, since, until)]
        if spans:
            found.append((silence["matchers"], spans))
    return found


def maintenance_for(alerts, windows_by_silence: list) -> list:
    """The windows of the silences matching any of these alerts: a subject's maintenance."""
    return merge_windows(w for matchers, spans in windows_by_silence if any(rules.matches(matchers, a) for a in alerts)
                         for w in spans)


def shown(result: dict) -> dict:
    """A report with its seconds whole and its outages' times as ISO text."""
    return dict(result, seconds={k: round(v) for k, v in result["seconds"].items()},
                outages=[dict(o, start=iso_from_unix(o["start"]), end=None if o["end"] is None else iso_from_unix(o["end"]),
                              seconds=round(o["seconds"]), seconds_in_period=round(o["seconds_in_period"]),
                              maintenance_seconds=round(o["maintenance_seconds"])) for o in result["outages"]])


def least_available_first(item: dict) -> tuple:
    """Sort key: the least available first, those with no availability (no data) last."""
    percent = item["availability_percent"]
    return (percent is None, percent if percent is not None else 0, item.get("machine", ""), item.get("interface", ""))


def machine_availability(name: str, fields: dict, history: dict, windows_by_silence: list, start: float, end: float,
                         now: float, exclude_maintenance: bool = False) -> dict:
    """One machine and its interfaces over [start, end): the machine's report (shown),
    with "interfaces": the reports of those with state in the period, least available
    first. `fields` are its scope fields (server and tags: the alerts silences match);
    `history` is what vigie.samples.read_states answers."""
    until = observed_until(history["last_poll"], now, history["no_data_after_seconds"] or 0)
    machine_runs, interface_runs = timelines(history["lines"], until)
    machine_alert = down_alerts.machine_down_alert(fields)
    result = dict(machine=name, **shown(report(machine_runs, start, end, now, maintenance_for(
        [machine_alert], windows_by_silence), exclude_maintenance)))
    interfaces = []
    for key, found in interface_runs.items():
        windows = maintenance_for([machine_alert, down_alerts.interface_down_alert(fields, key)], windows_by_silence)
        one = report(found, start, end, now, windows, exclude_maintenance)
        if sum(one["seconds"][state] for state in COUNTED):
            interfaces.append(dict(interface=key, **shown(one)))
    result["interfaces"] = sorted(interfaces, key=least_available_first)
    return result
