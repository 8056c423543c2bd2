"""The samples format (version 2): file names, row columns, records; pure.

One machine's samples are a family of files in the samples folder:

    <name>.json               the head: status, interfaces (by name), extra OIDs,
                              95th percentiles; rewritten only when one of these changes
    <name>/now.json           the last poll's raw counters and running peaks; rewritten each
                              poll (its rates are the fine archive's last line)
    <name>/fine.jsonl         one line a poll: {"t": unix time, "if": {name: [in, out]},
                              "oid": {name: value}, "health": {metric: value}}; a line
                              {"t": ...} alone is a failed poll
    <name>/week.jsonl         one line a closed 30 min bucket, {"t", "if": {name: [in avg,
    <name>/month.jsonl        out avg, in max, out max]}, "oid": {name: [avg, max]},
    <name>/year.jsonl         "health": {metric: [avg, max]}}; the year's (one a UTC day)
                              adds the day's and the month-to-date 95th percentiles in and out
    <name>/month-hist.json    histograms of the month's closed days (for its 95th percentile)
    <name>/events.jsonl       state changes, one a line, the last MAX_EVENTS kept
    <name>/states.jsonl       the state history: when the machine and each interface were
                              up, down or not known, for two years (states.py)
    <name>/discovery.json     the device's interface table as last walked

Rates are bits per second, a null is a gap. "health" (the device's own health
metrics, collector/snmp/health.py: cpu, memory, storage:<mount>, sensor:<name>...)
came after the first files of this format: a line or a head without it has none.
The head's "health" describes each metric ({"family", "unit", "label", "source",
"size" for memory and storage, "status" for sensors, "trend_per_day" for storage});
now.json keeps each one's last value and the state of its alerts. Interfaces are known by name
(ifName, else ifDescr), not by ifIndex, so a device that numbers its
interfaces again after a reboot carries on with the same series.
"""

from vigie.utc import iso_from_unix

FORMAT = 2
FINE, WEEK, MONTH, YEAR = "fine", "week", "month", "year"
ARCHIVES = (FINE, WEEK, MONTH, YEAR)
COARSE_ARCHIVES = {WEEK: (1800, 336), MONTH: (7200, 372), YEAR: (86400, 730)}
DAY_SECONDS = 86400
MAX_EVENTS = 200
# What one machine may cost: each interface watched adds about 100 kB of samples,
# 25 kB of graph files and a table row; a device with thousands of ports is cut
# here (with a notice) unless its machine file lists the interfaces wanted.
MAX_INTERFACES = 256

# Columns of an interface's value in a fine line ...
IN, OUT = 0, 1
# ... in a coarse line ...
IN_AVG, OUT_AVG, IN_MAX, OUT_MAX = 0, 1, 2, 3
# ... and, in the year archive's lines only, the 95th percentiles of that UTC day
# and of its calendar month up to that day.
IN_P95, OUT_P95, IN_P95_MONTH, OUT_P95_MONTH = 4, 5, 6, 7
# An extra OID's value in a coarse line (in a fine line it is the value itself).
AVG, MAX = 0, 1
# An interface's raw counters in now.json (read from the ifIndex its head entry names):
# octets in and out, then errors in, errors out, discards in, discards out.
COUNTER_IN, COUNTER_OUT = 0, 1
COUNTER_ERRORS = (2, 3, 4, 5)

HEAD_SUFFIX = ".json"
NOW_FILE = "now.json"
EVENTS_FILE = "events.jsonl"
STATES_FILE = "states.jsonl"
DISCOVERY_FILE = "discovery.json"
HIST_FILE = "month-hist.json"

STATUS_KEYS = ("state", "since", "consecutive_failures", "last_error", "sys_name", "sys_descr", "sys_object_id",
               "sys_contact", "sys_location")
IDENTITY_KEYS = ("key", "index", "name", "descr", "alias", "speed_bps", "type", "oper_status", "admin_status",
                 "counter_bits")


def iso(ts):
    """A unix time as Vigie's UTC ISO text; None stays None."""
    return None if ts is None else iso_from_unix(ts)



def archive_layout(interval_seconds: int) -> dict:
    """Step and row count of each archive for a machine polled every interval_seconds."""
    step = int(interval_seconds)
    layout = {FINE: {"step": step, "rows": max(1, DAY_SECONDS // step)}}
    for name, (coarse_step, rows) in COARSE_ARCHIVES.items():
        layout[name] = {"step": coarse_step, "rows": rows}
    return layout


def compact_number(value):
    """Short JSON numbers: integers for large values, three decimals for small ones."""
    if value is None:
        return None
    return round(value) if abs(value) >= 1000 else round(value, 3)


def interface_key(interface: dict, taken=()) -> str:
    """The name an interface's series are kept under: ifName, else ifDescr, else if<ifIndex>;
    a name two interfaces share gets "#<ifIndex>" on the second."""
    key = interface.get("name") or interface.get("descr") or f"if{interface.get('index')}"
    return f"{key}#{interface.get('index')}" if key in taken else key


def empty_head(machine: str, interval_seconds: int = 60) -> dict:
    return {
        "format": FORMAT, "machine": machine, "updated": None,
        "status": {"state": "unknown", "since": None, "consecutive_failures": 0, "last_error": None,
                   "sys_name": None, "sys_descr": None},
        "archives": archive_layout(interval_seconds),
        "interfaces": [], "oids": {}, "health": {}, "p95": {}, "notices": [],
        "state": {"interfaces": {}, "consolidated": {}, "peak_window": {}, "first": {}},
    }


def empty_now() -> dict:
    return {"polled": None, "time": None, "uptime_ticks": None, "poll_seconds": None, "fine_t": None,
            "open_max": {},
            "oids": {}, "counters": {}, "oid_counters": {}, "health": {}, "health_counters": {},
            "health_alerts": {}, "capacity_alerts": {}}


def empty_view(machine: str) -> dict:
    """The view of a machine never polled: state "unknown", no interface."""
    return current_view(empty_head(machine), empty_now())


class MachineSamples:
    """One machine's samples as the collector holds them between two polls.

    The poll rules (collector/snmp/cycle.py) change `head` and `now` and queue
    `fine` lines and `events`; the store (vigie/samples/store.py) writes them.
    """

    def __init__(self, machine: str, interval_seconds: int = 60, head=None, now=None, discovery=None):
        self.machine = machine
        self.head = head or empty_head(machine, interval_seconds)
        self.now = now or empty_now()
        self.discovery = discovery
        self.fine = []
        self.last_line = None       # the fine archive's last line: the rates of the last poll
        self.events = []
        self.states = []            # state history lines to append (states.py)
        self.discovery_changed = False
        self.head_digest = None      # of the head as last written (store.py)

    @property
    def status(self) -> dict:
        return self.head["status"]

    @property
    def state(self) -> dict:
        return self.head["state"]

    def set_interval(self, interval_seconds: int) -> None:
        """Adopt a new poll interval: the fine archive's step follows it."""
        self.head["archives"] = archive_layout(interval_seconds)

    def view(self) -> dict:
        return current_view(self.head, self.now, self.fine[-1] if self.fine else self.last_line)


def utilisation_percent(in_bps, out_bps, speed_bps):
    """The busier direction as a percentage of the interface speed, or None."""
    if not speed_bps or (in_bps is None and out_bps is None):
        return None
    busiest = max(v for v in (in_bps, out_bps) if v is not None)
    return round(100.0 * busiest / speed_bps, 2)


def _peak(*values):
    found = [v for v in values if v is not None]
    return max(found) if found else None


def last_rates(last_line) -> dict:
    """{interface: [in, out]} of the last poll: the fine line it appended ({} when it failed)."""
    if not last_line:
        return {}
    return {k: v for k, v in (last_line.get("if") or {}).items() if isinstance(v, list) and len(v) > OUT}


def unknown_since(interface: dict, last_seen) -> dict:
    """An interface of a machine that stopped answering: its status is unknown since the
    last answer (the status then is kept as last_oper_status), its rates are gone."""
    return dict(interface, oper_status="unknown", last_oper_status=interface.get("oper_status"),
                unknown_since=last_seen, in_bps=None, out_bps=None, utilisation_percent=None)


def interface_view(identity: dict, now: dict, rates: dict, window: dict, p95: dict) -> dict:
    """An interface as readers see it: identity, current rates, peaks, 95th percentiles."""
    key = identity["key"]
    rate = rates.get(key) or [None, None]
    open_max = now.get("open_max", {}).get(key) or [None, None]
    window_max = window.get(key) or [None, None]
    in_bps = None if rate[IN] is None else round(rate[IN], 1)
    out_bps = None if rate[OUT] is None else round(rate[OUT], 1)
    counters = now.get("counters", {}).get(key) or [None, None]
    return dict(identity, in_bps=in_bps, out_bps=out_bps,
                in_octets=counters[COUNTER_IN], out_octets=counters[COUNTER_OUT],
                utilisation_percent=utilisation_percent(in_bps, out_bps, identity.get("speed_bps")),
                in_peak_bps=_peak(window_max[IN], open_max[IN], in_bps),
                out_peak_bps=_peak(window_max[OUT], open_max[OUT], out_bps),
                p95=p95.get(key) or {})


def current_view(head: dict, now: dict, last_line: dict = None) -> dict:
    """The machine as readers see it: the head joined with the last poll.

    {"format", "machine", "updated" (the last poll, answered or not), "status" (state,
    since, last_seen, uptime_seconds, consecutive_failures, last_error, sys_name,
    sys_descr, poll_seconds), "counters_time" (unix time of the last answered poll),
    "archives", "interfaces" (identity, oper and admin status, in_bps, out_bps,
    utilisation_percent, in_peak_bps and out_peak_bps over 24 h, p95, and the raw
    in_octets and out_octets counters), "oids" ({name: {type, unit, last, raw}}),
    "health" ({metric: {family, unit, label, source, size, status, last, percent,
    days_to_full}}), "notices"}. The shape stays; new keys may be added. `last_line` is the fine archive's
    last line, which holds the last poll's rates.
    """
    now = now or empty_now()
    status = {k: head.get("status", {}).get(k) for k in STATUS_KEYS}
    status["consecutive_failures"] = status["consecutive_failures"] or 0
    status["state"] = status["state"] or "unknown"
    status["last_seen"] = iso(now.get("time"))
    ticks = now.get("uptime_ticks")
    status["uptime_seconds"] = None if ticks is None or not now.get("time") else ticks // 100
    status["poll_seconds"] = now.get("poll_seconds")
    # the last poll failed: what the device said before is no longer known to hold
    status["answering"] = status["state"] != "unknown" and not status["consecutive_failures"]
    status["uptime_as_of"] = status["last_seen"]   # sysUpTime as read then, not counted on since
    window = head.get("state", {}).get("peak_window", {})
    p95 = head.get("p95") or {}
    rates = last_rates(last_line)
    interfaces = [interface_view(i, now, rates, window, p95) for i in head.get("interfaces") or ()]
    if status["state"] != "unknown" and not status["answering"]:
        interfaces = [unknown_since(i, status["last_seen"]) for i in interfaces]
    oids = {name: dict(spec, last=now.get("oids", {}).get(name), raw=now.get("oid_counters", {}).get(name))
            for name, spec in (head.get("oids") or {}).items()}
    health = {name: health_view(spec, (now.get("health") or {}).get(name) if status["answering"] else None)
              for name, spec in (head.get("health") or {}).items() if isinstance(spec, dict)}
    return {"format": FORMAT, "machine": head.get("machine"), "updated": now.get("polled") or head.get("updated"),
            "status": status, "counters_time": now.get("time"), "archives": head.get("archives") or archive_layout(60),
            "interfaces": interfaces, "oids": oids, "health": health, "notices": list(head.get("notices") or ())}


def health_view(spec: dict, last) -> dict:
    """A health metric as readers see it: its description, its last value ("last", None
    while the machine does not answer), the percentage used and the days until full
    (at the trend of the last week's daily averages) of memory and storage."""
    size = spec.get("size")
    percent = None if last is None or not size else round(100.0 * last / size, 2)
    trend = spec.get("trend_per_day")
    days = None
    if last is not None and size and trend is not None and trend > 0:
        days = round(max(0.0, (size - last) / trend), 1)
    return dict(spec, last=last, percent=percent, days_to_full=days)
