"""Context stage: plain data each page template needs, from what `inputs` read.

Pure functions: dicts in, dicts out; no file, no database, no clock (the build
time is passed in).
"""

from vigie import utc
from vigie.machine_state import MACHINE_STATES, known_state
from vigie.machines import NAME_MAX, NAME_PATTERN, min_secret_chars, public_view, schema as machine_schema
from vigie.severity import RANK as SEVERITY_RANK, SEVERITIES as SEVERITY_ORDER
from vigie.silences import DAYS, MATCHER_KEYS, OPERATORS
from site_builder import topology_map
from site_builder.graphs import graph_id, health_graphed
from vigie.samples import compact_number
from vigie.samples.percentile import busier_direction

LOG_ENTRIES = 60
# machine-file keys the devices form offers, with the schema's defaults and bounds
FORM_DEFAULTS = ("port", "interval", "timeout", "retries", "down_after", "threshold_percent", "threshold_polls",
                 "threshold_hysteresis", "errors_per_second")
STATUS_KEYS = ("state", "since", "last_seen", "uptime_seconds", "consecutive_failures", "last_error",
               "sys_name", "sys_descr", "sys_location", "sys_contact", "sys_object_id", "answering", "uptime_as_of")


def _status(samples) -> dict:
    status = dict.fromkeys(STATUS_KEYS)
    status.update((samples or {}).get("status") or {})
    status["state"] = known_state(status["state"])
    return status


def busiest_interface(interfaces):
    """{"name", "in_bps", "out_bps"} of the interface with the highest current in+out rate, or None."""
    def load(i):
        return (i.get("in_bps") or 0) + (i.get("out_bps") or 0)
    rated = [i for i in interfaces or () if i.get("in_bps") is not None or i.get("out_bps") is not None]
    if not rated:
        return None
    top = max(rated, key=load)
    return {"name": top.get("name") or top.get("key"), "in_bps": top.get("in_bps"), "out_bps": top.get("out_bps")}


def dashboard_row(config, samples, samples_error=None) -> dict:
    view = public_view(config)
    status = _status(samples)
    return {
        "name": config["name"], "host": view.get("host"), "description": view.get("description", ""),
        "status": status, "busiest": busiest_interface((samples or {}).get("interfaces")),
        "error": samples_error, "has_samples": samples is not None,
        "tags": {k: v for k, v in sorted((view.get("tags") or {}).items()) if v},
        "location": status.get("sys_location") or "",
        # what the search box finds: each interface's name and alias, and its graph on the page
        "interfaces": [[i.get("name") or i.get("key"), i.get("alias") or "", graph_id("interface", i["key"])]
                       for i in (samples or {}).get("interfaces") or () if i.get("key")],
        # what the map colours links by: each interface's current rates and speed
        "rates": topology_map.interface_rates(samples),
    }


def search_index(rows) -> list:
    """search.json: what the search box at the top of every page looks through, per machine:
    name, address, description, location, tags, and its interfaces (name, alias, graph id)."""
    return [{"name": r["name"], "host": r.get("host") or "", "description": r.get("description") or "",
             "location": r.get("location") or "", "tags": r.get("tags") or {}, "state": r["status"]["state"],
             "interfaces": r.get("interfaces") or []} for r in rows]


def config_error_row(error) -> dict:
    name = error.source.rsplit("/", 1)[-1].removesuffix(".json") if error.source else "?"
    return {"name": name, "error": str(error.message), "field": error.field}


STATE_CARDS = (("acknowledged", "acknowledged"), ("shelved", "shelved"), ("silenced", "silenced"),
               ("suppressed", "behind a down machine"), ("flapping", "flapping"))


def alert_summary(stats) -> dict:
    """The dashboard's alert cards: what needs a person (open, not silenced, not suppressed)
    by severity, then how many are acknowledged, shelved, silenced, behind a down machine
    (suppressed), flapping."""
    stats = stats or {}
    attention = stats.get("needs_attention_by_severity", {})
    by_status = stats.get("by_status", {})
    states = {"acknowledged": by_status.get("acknowledged", 0), "shelved": by_status.get("shelved", 0),
              "silenced": stats.get("silenced", 0), "suppressed": stats.get("suppressed", 0),
              "flapping": stats.get("flapping", 0)}
    return {"available": bool(stats), "total": stats.get("total", 0), "silenced": states["silenced"],
            "needs_attention": stats.get("needs_attention", 0),  # INFO never does: it is information
            "needs_attention_by_severity": {s: attention.get(s, 0) for s in SEVERITY_ORDER[:-1]},
            "most_severe": SEVERITY_ORDER[0], "states": [(key, label, states[key]) for key, label in STATE_CARDS]}


def dashboard(rows, error_rows, stats, built_at) -> dict:
    counts = dict.fromkeys(MACHINE_STATES, 0)
    for row in rows:
        counts[row["status"]["state"]] += 1
    tag_keys = sorted({key for row in rows for key in (row.get("tags") or {})})
    return {"machines": rows, "config_errors": error_rows, "alerts": alert_summary(stats),
            "counts": counts, "built_at": built_at, "tag_keys": tag_keys, "states": MACHINE_STATES}


# What live.json holds of each interface, in this order (graphs.js reads the names): what
# changes at every poll. The 95th percentiles change once a day and are in the page.
LIVE_COLUMNS = ("oper_status", "in_bps", "out_bps", "utilisation_percent", "in_peak_bps", "out_peak_bps",
                "unknown_since")
LIVE_TEXT = ("oper_status", "unknown_since")
LIVE_STATUS = ("state", "since", "last_seen", "uptime_seconds", "consecutive_failures", "last_error", "answering",
               "uptime_as_of")
PAGE_FACTS = ("key", "index", "name", "descr", "alias", "speed_bps", "admin_status")


def percentile_cells(p95: dict) -> dict:
    """The 95th percentiles of an interface's view as the table shows them."""
    day, month = (p95 or {}).get("day") or {}, (p95 or {}).get("month") or {}
    return {"p95_day": day.get("date"), "p95_day_in_bps": day.get("in_bps"), "p95_day_out_bps": day.get("out_bps"),
            "p95_day_busier": busier_direction(day.get("in_bps"), day.get("out_bps")),
            "p95_month": month.get("month"), "p95_month_days": month.get("days"),
            "p95_month_in_bps": month.get("in_bps"), "p95_month_out_bps": month.get("out_bps"),
            "p95_month_busier": busier_direction(month.get("in_bps"), month.get("out_bps"))}


def interface_rows(samples) -> list:
    """The interface table: name, alias, speed, status, current and peak (24 h) rates,
    95th percentiles of the last day and of the month; each with its graph's id."""
    return [dict(iface, graph=graph_id("interface", iface["key"]), **percentile_cells(iface.get("p95")))
            for iface in (samples or {}).get("interfaces") or ()]


def interface_graphs(samples) -> list:
    return [{"gid": graph_id("interface", i["key"]), "title": i.get("name") or i["key"], "key": i["key"],
             "alias": i.get("alias") or "", "speed_bps": i.get("speed_bps"), "kind": "interface", "unit": "b/s"}
            for i in (samples or {}).get("interfaces") or ()]


def value_graphs(samples) -> list:
    """One graph per extra value: the machine's extra OIDs, and each interface's errors and
    discards (`interface` set); `problem` says why a value is missing, when it is."""
    return [{"gid": graph_id("oid", name), "title": f"{oid['interface']}: errors and discards" if oid.get("interface")
             else name, "key": name, "unit": oid.get("unit") or "", "type": oid.get("type") or "gauge",
             "last": oid.get("last"), "kind": "oid", "problem": oid.get("problem"), "interface": oid.get("interface")}
            for name, oid in sorted(((samples or {}).get("oids") or {}).items())]


def oid_graphs(samples) -> list:
    """The machine's own extra OIDs."""
    return [g for g in value_graphs(samples) if not g["interface"]]


def error_graphs(samples) -> list:
    """Each interface's errors and discards per second."""
    return [g for g in value_graphs(samples) if g["interface"]]


HEALTH_FAMILIES = {"cpu": "CPU", "load": "Load", "memory": "Memory", "storage": "Storage", "processes": "Processes",
                   "sensor": "Sensors", "fan": "Fans", "supply": "Power supplies"}


def health_rows(samples) -> list:
    """The health table: each metric the device offers, its last value, its size and the
    percentage used (memory, storage), its status (sensors, fans, supplies), the days until
    full (storage), and its graph when it has one."""
    graphed = set(health_graphed(samples or {}))
    return [{"key": name, "gid": graph_id("health", name) if name in graphed else None,
             "family": spec.get("family"), "family_title": HEALTH_FAMILIES.get(spec.get("family"), ""),
             "label": spec.get("label", name), "unit": spec.get("unit") or "", "last": spec.get("last"),
             "size": spec.get("size"), "percent": spec.get("percent"), "status": spec.get("status"),
             "days_to_full": spec.get("days_to_full"), "source": spec.get("source")}
            for name, spec in ((samples or {}).get("health") or {}).items()]


def health_graphs(samples) -> list:
    """One graph per health metric that has a value to draw, in the table's order."""
    return [{"gid": row["gid"], "title": f"{row['family_title']}: {row['label']}" if row["key"] not in
             ("cpu", "memory", "processes") else row["family_title"] if row["key"] != "cpu" else "CPU, all processors",
             "key": row["key"], "unit": row["unit"], "kind": "health", "section": "health", "size": row["size"],
             "family": row["family"]}
            for row in health_rows(samples) if row["gid"]]


def live_data(samples, graphs_info: dict) -> dict:
    """live.json: what changes at every poll, for the open page to show without a reload."""
    status = _status(samples)
    rows = {}
    for iface in (samples or {}).get("interfaces") or ():
        rows[iface["key"]] = [iface.get(c) if c in LIVE_TEXT else compact_number(iface.get(c)) for c in LIVE_COLUMNS]
    return {"updated": (samples or {}).get("updated"), "status": {k: status[k] for k in LIVE_STATUS},
            "columns": list(LIVE_COLUMNS), "interfaces": rows,
            "oids": {name: oid.get("last") for name, oid in ((samples or {}).get("oids") or {}).items()},
            "health": {name: [m.get("last"), m.get("percent"), m.get("status"), m.get("days_to_full")]
                       for name, m in ((samples or {}).get("health") or {}).items()},
            "graphs": graphs_info or {}}


def page_facts(samples, samples_error) -> dict:
    """What a machine page shows that does not change at every poll: when these change,
    the page is rendered again (the rest comes from live.json)."""
    status = _status(samples)
    return {"status": {k: status.get(k) for k in ("state", "since", "last_error", "answering", "sys_name",
                                                  "sys_descr", "sys_location", "sys_contact", "sys_object_id")},
            "error": samples_error, "has_samples": samples is not None,
            "interfaces": [[i.get(k) for k in PAGE_FACTS] + [i.get("p95")]
                           for i in (samples or {}).get("interfaces") or ()],
            "oids": [[g["key"], g["unit"], g["type"], g["problem"]] for g in value_graphs(samples)],
            "health": [[r["key"], r["unit"], r["family"], r["label"], r["size"], r["gid"] is not None]
                       for r in health_rows(samples)],
            "notices": list((samples or {}).get("notices") or ()),
            "step": ((samples or {}).get("archives") or {}).get("fine", {}).get("step")}


def alert_state_word(alert) -> str:
    """What the machine page's log says beside an alert's severity: "resolved" once it is
    (an acknowledgement before it no longer matters), "ack" while it is acknowledged."""
    if alert.get("status") == "resolved":
        return "resolved"
    return "ack" if alert.get("acknowledged") else None


def device_log(events, alerts, limit=LOG_ENTRIES) -> list:
    """Status changes and alerts of one machine, newest first. A change of state the
    collector also sent as an alert is listed once, as the alert (which can be
    acknowledged): same message, same time."""
    alerts = list(alerts or ())
    entries = [{"time": a["timestamp"], "source": "alert", "kind": a["severity"], "interface": None,
                "message": a["message"], "state": alert_state_word(a), "id": a["id"]} for a in alerts]
    for e in events or ():
        # times are UTC text in one spelling (vigie/utc.py): equal text, equal instant
        if any(a["message"] == e.get("message") and a["timestamp"] == e.get("time") for a in alerts):
            continue
        entries.append({"time": e.get("time"), "source": "event", "kind": e.get("kind") or "",
                        "interface": e.get("interface"), "message": e.get("message") or ""})
    entries.sort(key=lambda e: e["time"] or "", reverse=True)
    return entries[:limit]


ANNOTATED_DAYS = 400      # how far back the graphs mark alerts and maintenance (the year view, and more)


def maintenance_windows(silences, machine: str, until) -> list:
    """[[start, end, text]] (ISO times, UTC) of the silences naming this machine by its server
    matcher (a maintenance window, or a silence of some of its alerts) over the time the
    graphs cover, for the graphs to shade."""
    from datetime import timedelta
    from vigie import silences as rules
    since = until - timedelta(days=ANNOTATED_DAYS)
    found = []
    for silence in silences or ():
        server = silence["matchers"].get("server")
        if server is None or not rules.matches({"server": server}, {"server": machine}):
            continue
        others = rules.describe({k: v for k, v in silence["matchers"].items() if k != "server"})
        text = (silence.get("comment") or "silence") + (f" (only {others})" if others else "")
        for start, end in rules.windows(silence, since, until):
            found.append([utc.iso(start), utc.iso(end) if end else None, text])
    return sorted(found)


def graph_annotations(log, windows) -> dict:
    """What the graphs mark: the machine's alerts and state changes (an interface's own only
    on its graph) as [time, kind, interface or None, message], and its maintenance windows."""
    return {"marks": [[e["time"], e["kind"], e.get("interface"), e["message"]] for e in log if e.get("time")],
            "maintenance": windows}


SOURCE_WORDS = {"manual": "set by hand in the machine file", "lldp": "from LLDP", "cdp": "from CDP",
                "links": "from the links the machine files declare"}


def upstream_view(upstream, shown) -> dict:
    """What the machine page says of a machine's parents (a dependencies.Upstream): each
    parent with its page when shown, where they came from, and a problem of its file's."""
    if upstream is None:
        return None
    return {"parents": [{"name": p, "href": f"{p}.html" if p in shown else None} for p in upstream.parents],
            "source": upstream.source, "said": SOURCE_WORDS.get(upstream.source, ""), "hops": upstream.hops,
            "problem": upstream.problem}


def machine_page(config, samples, samples_error, events, alerts, alert_count, windows=(),
                 neighbours=(), upstream=None) -> dict:
    view = public_view(config)
    samples = samples or {}
    snmp = view.get("snmp") or {}
    page = {
        "name": config["name"], "config": {
            "host": view.get("host"), "port": view.get("port"), "description": view.get("description", ""),
            "interval": view.get("interval"), "snmp_version": snmp.get("version"),
            "tags": view.get("tags") or {}},
        "status": _status(samples), "samples_error": samples_error, "has_samples": bool(samples),
        "updated": samples.get("updated"), "interfaces": interface_rows(samples),
        "notices": list(samples.get("notices") or ()),
        "graphs": interface_graphs(samples), "oid_graphs": oid_graphs(samples), "error_graphs": error_graphs(samples),
        "health": health_rows(samples), "health_graphs": health_graphs(samples),
        "log": device_log(events, alerts), "alert_count": alert_count, "neighbours": list(neighbours),
        "upstream": upstream,
    }
    page["annotations"] = graph_annotations(page["log"], list(windows))
    return page


# The console's views: what each shows, as API filters, and whether the alerts behind a
# root cause (suppressed) are folded under it. The first one is the default.
ALERT_VIEWS = (
    ("attention", "Needs attention (open, not silenced, not suppressed)",
     {"status": "open", "silenced": "false", "suppressed": "false"}, True),
    ("open", "Open", {"status": "open"}, True),
    ("acknowledged", "Acknowledged", {"status": "acknowledged"}, True),
    ("shelved", "Shelved", {"status": "shelved"}, True),
    ("silenced", "Silenced", {"silenced": "true", "status": "open,acknowledged,shelved"}, True),
    ("suppressed", "Behind a down machine (suppressed)", {"suppressed": "true", "status": "open,acknowledged,shelved"},
     False),
    ("flapping", "Flapping", {"flapping": "true"}, True),
    ("resolved", "Resolved", {"status": "resolved"}, False),
    ("all", "All", {}, True),
)
ACK_DURATIONS = ((15, "15 min"), (60, "1 h"), (240, "4 h"), (None, "until resolved"))
SHELVE_DURATIONS = ((60, "1 h"), (240, "4 h"), (1440, "1 day"), (10080, "1 week"))


def alerts_page(count, alerts, stats, snapshot_at, machines=()) -> dict:
    """The console's data; `machines` are the names with a page (an alert's server links to it)."""
    choices = {}
    for column in ("server", "environment", "application", "provider"):
        choices[column] = sorted((stats or {}).get(f"by_{column}", {}))
    return {"snapshot": {"count": count, "results": alerts, "taken_at": snapshot_at},
            "choices": choices, "severities": list(SEVERITY_ORDER), "severity_rank": dict(SEVERITY_RANK),
            "views": [{"name": n, "label": label, "filters": f, "fold": fold} for n, label, f, fold in ALERT_VIEWS],
            "ack_durations": ACK_DURATIONS, "shelve_durations": SHELVE_DURATIONS, "machines": sorted(machines)}


SILENCE_DURATIONS = ((60, "1 h"), (120, "2 h"), (240, "4 h"), (1440, "1 day"), (10080, "1 week"))


def silences_page(silences, snapshot_at) -> dict:
    """The silences page: the silences at build time, and what its form offers."""
    return {"snapshot": {"results": silences, "taken_at": snapshot_at}, "severities": list(SEVERITY_ORDER),
            "matchers": [k for k in MATCHER_KEYS if k != "severity"], "days": list(DAYS),
            "durations": SILENCE_DURATIONS, "operators": OPERATORS}


def devices_page(configs, errors, rows=()) -> dict:
    """The devices page; `rows` (the dashboard's) give each machine its state at build time."""
    states = {r["name"]: r["status"]["state"] for r in rows}
    machines = []
    for config in configs:
        view = public_view(config)
        machines.append({"name": config["name"], "state": states.get(config["name"], "unknown"),
                         "host": view.get("host"), "port": view.get("port"),
                         "snmp_version": (view.get("snmp") or {}).get("version"),
                         "interval": view.get("interval"), "description": view.get("description", "")})
    return {"machines": machines, "config_errors": [config_error_row(e) for e in errors], "rules": form_rules(),
            "states": MACHINE_STATES}


def form_rules() -> dict:
    """What the add-device form checks, from the machine rules themselves (vigie/machines.py)."""
    properties = machine_schema()["properties"]
    return {"name_pattern": NAME_PATTERN, "name_max": NAME_MAX, "v3_key_min": min_secret_chars("auth_key"),
            "host_pattern": properties["host"]["pattern"], "host_max": properties["host"]["maxLength"],
            "oid_name_pattern": properties["oids"]["propertyNames"]["pattern"],
            "oid_pattern": machine_schema()["$defs"]["oid"]["pattern"],
            "defaults": {key: properties[key]["default"] for key in FORM_DEFAULTS},
            "bounds": {key: [properties[key].get("minimum", properties[key].get("exclusiveMinimum")),
                             properties[key].get("maximum")] for key in FORM_DEFAULTS}}



def notify_page() -> dict:
    """What the notifications page's forms offer and check, from the rules themselves."""
    from vigie.notify import rules
    from vigie.notify.channels import URL_MAX

    return {"name_max": rules.NAME_MAX, "url_max": URL_MAX, "severities": list(SEVERITY_ORDER),
            "events": list(rules.EVENTS), "group_wait": rules.DEFAULT_GROUP_WAIT_SECONDS,
            "repeat": rules.DEFAULT_REPEAT_MINUTES, "max_group_wait": rules.MAX_GROUP_WAIT_SECONDS,
            "max_repeat": rules.MAX_REPEAT_MINUTES, "max_step_minutes": rules.MAX_STEP_MINUTES}
