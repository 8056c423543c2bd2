"""What a machine's health metrics alert on: defaults, the machine file's overrides, the rules.

Pure functions. `resolve(config)` reads the machine file's `health`,
`health_thresholds` (and the collector's `capacity_days`) once per configuration load; `selected`
and `rule_for` answer from it for each metric. `step` takes a metric's state
of the last poll and this poll's reading and returns the new state and the
events: a threshold is passed after its `for` polls in a row and left once the
value is back past it by `hysteresis` (collector/snmp/thresholds.py, the rule
of interface thresholds); a sensor's or a fan's own status, and the device's
own thresholds, count at once. The metric's alert level is the gravest of
them: a change of level is one event (WARNING, ERROR, CRITICAL, or the INFO
that resolves it), all with the fingerprint of the machine and the metric.

`trend_bytes_per_day` fits a line through a storage's daily averages (least
squares); `days_to_full` says when that line reaches the storage's size, and
the capacity alert fires under the collector's `capacity_days` setting (or a machine
file's `days`).
"""

import math

from collector.snmp import thresholds
from collector.snmp.health import device_threshold, percent_used

# The default thresholds, by family: percentages of the size for memory and storage, the
# value itself for the others. "for" defaults to the machine's threshold_polls.
DEFAULTS = {
    "cpu": {"warning": 90, "for": 5, "hysteresis": 10},
    "memory": {"warning": 95, "hysteresis": 5},
    "storage": {"warning": 90, "critical": 95, "hysteresis": 5},
}
PERCENT_FAMILIES = ("memory", "storage")   # thresholds on the percentage used
CAPACITY_DAYS = 7
TREND_DAYS = 7                              # the daily averages a trend is fitted on
TREND_MIN_POINTS = 3
LEVELS = ("WARNING", "CRITICAL")            # the levels a threshold may have
RANK = {None: 0, "WARNING": 1, "ERROR": 2, "CRITICAL": 3}


def family_of(name: str) -> str:
    return name.partition(":")[0]


def resolve(config: dict, capacity_days: float = CAPACITY_DAYS) -> dict:
    """The machine's health rules, from its file (defaults filled in by the schema) and the
    collector's capacity_days setting (vigie/config.py, [poll])."""
    wanted = config.get("health", True)
    return {"enabled": wanted is not False and config.get("snmp", {}).get("version") != "1",
            "only": tuple(wanted) if isinstance(wanted, list) else None,
            "overrides": dict(config.get("health_thresholds") or {}),
            "polls": config.get("threshold_polls", 2),
            "capacity_days": capacity_days}


def _listed(name: str, entries) -> bool:
    """Whether a name is among entries: itself, or its family ("storage" names every storage:...)."""
    return name in entries or family_of(name) in entries


def selected(rules: dict, metrics: list) -> list:
    """The metrics the machine file keeps (all, none, or those it lists)."""
    if not rules["enabled"]:
        return []
    if rules["only"] is None:
        return list(metrics)
    return [m for m in metrics if _listed(m["name"], rules["only"])]


def rule_for(rules: dict, name: str) -> dict:
    """{"warning", "critical", "for", "hysteresis", "days", "off"} of one metric: the family's
    defaults, then the machine file's entry for the family, then the one for the metric."""
    family = family_of(name)
    rule = {"warning": None, "critical": None, "for": rules["polls"], "hysteresis": 0,
            "days": rules["capacity_days"], "off": False}
    rule.update(DEFAULTS.get(family, {}))
    for key in (family, name):
        entry = rules["overrides"].get(key)
        if entry is False:
            rule["off"] = True
        elif isinstance(entry, dict):
            rule.update(entry)
    return rule


def measured(metric: dict, reading: dict):
    """The number thresholds compare: the percentage used of memory and storage, else the value."""
    if metric["family"] in PERCENT_FAMILIES:
        return percent_used(reading.get("value"), reading.get("size"))
    return reading.get("value")


def _threshold_level(state: dict, value, rule: dict) -> tuple:
    """(new {level: step state}, the gravest threshold level passed, its limit)."""
    new, level, limit = {}, None, None
    for name in LEVELS:
        bound = rule.get(name.lower())
        if bound is None:
            continue
        r = thresholds.rule(bound, above=True, polls=rule["for"], hysteresis=rule["hysteresis"])
        held, _ = thresholds.step(state.get(name), value, r)
        # past `for` polls the count says nothing more: kept there, a CPU pinned for days
        # leaves the state (and the samples head that holds it) as it is from poll to poll
        new[name] = dict(held, count=min(held["count"], r["polls"]))
        if new[name]["raised"]:
            level, limit = name, bound
    return new, level, limit


def shown(metric: dict, reading: dict) -> str:
    """The reading as a message writes it: 92% used, 41.9 °C, 3.2 (load)."""
    if metric["family"] in PERCENT_FAMILIES:
        pct = percent_used(reading.get("value"), reading.get("size"))
        return "no value" if pct is None else f"{pct:.0f}% used"
    value = reading.get("value")
    if value is None:
        return "no value"
    unit = metric.get("unit") or ""
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return f"{text}{'' if unit in ('', '%') else ' '}{unit}"


def what(metric: dict) -> str:
    """The metric in words: "Storage /var", "Sensor CPU temp", "CPU"."""
    family, label = metric["family"], metric.get("label") or metric["name"]
    if family == "load":
        return f"Load ({label})"
    if metric["name"] in ("cpu", "memory", "processes"):
        return {"cpu": "CPU", "memory": "Memory", "processes": "Processes"}[metric["name"]]
    return f"{family.capitalize()} {label}"


def _reason(metric: dict, reading: dict, parts: dict) -> tuple:
    """(level, why) of the gravest of: the threshold, the device's status, the device's threshold."""
    best = (None, "")
    for level, why in parts.values():
        if RANK[level] > RANK[best[0]]:
            best = (level, why)
    return best


def step(metric: dict, state: dict, reading: dict, rule: dict, ts: float) -> tuple:
    """(new state, events) of one metric after one poll. `state` is what this returned last
    time ({} the first time); `reading` is read_metrics' entry for the metric."""
    state = dict(state or {})
    if rule["off"] or reading is None:
        return {"level": state.get("level")} if not rule["off"] else {}, []
    value = measured(metric, reading)
    levels, threshold_level, limit = _threshold_level(state.get("thresholds") or {}, value, rule)
    parts = {}
    if threshold_level:
        word = "used" if metric["family"] in PERCENT_FAMILIES else ""
        unit = "%" if metric["family"] in PERCENT_FAMILIES or metric.get("unit") == "%" else f" {metric['unit']}"
        parts["threshold"] = (threshold_level, f"threshold: {threshold_level} above {limit:g}{unit.rstrip()}"
                                               f"{' ' + word if word else ''}")
    if reading.get("severity"):
        parts["status"] = (reading["severity"], f"status {reading['status']}")
    device_level, device_text = device_threshold(metric, reading.get("value"))
    if device_level:
        parts["device"] = (device_level, f"the device's threshold: {device_text}")
    level, why = _reason(metric, reading, parts)
    held = {name: step_state for name, step_state in levels.items() if step_state["count"] or step_state["raised"]}
    new = {"thresholds": held, "level": level} if held or level else {}
    before = state.get("level")
    if level == before or (value is None and reading.get("status") is None):
        return (dict(new, level=before) if before else new), []
    if level is None:
        message = f"{what(metric)} back to normal ({shown(metric, reading)})"
        return new, [event("health_ok", "INFO", metric["name"], message, ts)]
    message = f"{what(metric)} at {shown(metric, reading)} ({why})" if "threshold" in why \
        else f"{what(metric)}: {why} ({shown(metric, reading)})"
    if "status" in parts and parts["status"][0] == level and metric["how"] == "state":
        message = f"{what(metric)}: {why}"
    return new, [event("health_" + level.lower(), level, metric["name"], message, ts)]


def event(kind: str, severity: str, name: str, message: str, ts: float) -> dict:
    from collector.snmp.events import make_event
    found = make_event(kind, ts, message)
    found["metric"] = name
    return found


# ---------------------------------------------------------------- capacity

def trend_bytes_per_day(points: list):
    """The slope (bytes a day) of the least-squares line through [(unix time, bytes)], or None
    with fewer than TREND_MIN_POINTS points."""
    points = [(t, v) for t, v in points if v is not None]
    if len(points) < TREND_MIN_POINTS:
        return None
    n = len(points)
    mean_x = sum(t for t, _ in points) / n
    mean_y = sum(v for _, v in points) / n
    var = sum((t - mean_x) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mean_x) * (v - mean_y) for t, v in points)
    return cov / var * 86400


def storage_trends(year_lines: list) -> dict:
    """{storage metric: bytes a day} fitted on the daily averages of the year archive's lines."""
    points = {}
    for line in year_lines[-TREND_DAYS:]:
        for name, row in (line.get("health") or {}).items():
            if family_of(name) == "storage" and isinstance(row, list) and row:
                points.setdefault(name, []).append((line["t"], row[0]))
    return {name: slope for name, slope in ((n, trend_bytes_per_day(p)) for n, p in points.items())
            if slope is not None}


def days_to_full(used, size, slope_per_day):
    """Days until `used` reaches `size` at `slope_per_day`; None when it is not filling (or unknown)."""
    if used is None or not size or slope_per_day is None or slope_per_day <= 0:
        return None
    return max(0.0, (size - used) / slope_per_day)


def capacity_step(metric: dict, state: dict, days, rule: dict, ts: float) -> tuple:
    """(new state, events) of a storage's capacity alert: raised when the days left fall
    under the rule's "days" (0 turns it off), resolved once they are back over."""
    limit = rule.get("days") or 0
    if rule["off"] or limit <= 0:
        return {}, []
    value = math.inf if days is None else days
    r = thresholds.rule(limit, above=False, polls=1, hysteresis=0)
    new, change = thresholds.step(state, value, r)
    if change == thresholds.RAISE:
        message = f"{what(metric)} full in {days:.1f} days at the last week's trend (threshold: {limit:g} days)"
        return new, [event("capacity_low", "WARNING", metric["name"], message, ts)]
    if change == thresholds.CLEAR:
        left = "not filling any more" if days is None else f"full in {days:.0f} days"
        message = f"{what(metric)} {left} at the last week's trend (threshold: {limit:g} days)"
        return new, [event("capacity_ok", "INFO", metric["name"], message, ts)]
    return new, []
