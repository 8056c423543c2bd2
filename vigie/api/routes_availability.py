"""GET /api/availability: how available each machine and interface was over a period,
from the collector's state history (vigie.samples.read_states), with the time in
maintenance (the windows of the silences that would have matched its down alert)
shown apart and left out on request, the time with no data apart too, and the
outages listed. JSON, or CSV (one row per machine and interface, or one per outage).

The computation is vigie/availability.py; this module reads the request, the
machines the user may see, their histories and the silences, and shapes the answer.
"""

import csv
import io
import logging
import time
from pathlib import Path

from bottle import request, response

from vigie import availability as av
from vigie import db, samples, scope
from vigie import machines as mc
from vigie.alert_csv import cell
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.alert import normalize_timestamp
from vigie.errors import InputError
from vigie.utc import iso_from_unix, moment_from_unix, unix_from_iso

log = logging.getLogger("vigie.api")
PARAMS = ("from", "to", "machine", "exclude_maintenance", "format")
FORMATS = ("json", "csv", "outages.csv")
DEFAULT_DAYS = 7
BOOLEAN = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
SUMMARY_COLUMNS = ("machine", "interface", "availability_percent", "period_seconds", "up_seconds", "down_seconds",
                   "off_seconds", "no_data_seconds", "maintenance_seconds", "up_in_maintenance_seconds",
                   "down_in_maintenance_seconds", "outages", "from", "to", "exclude_maintenance")
OUTAGE_COLUMNS = ("machine", "interface", "start", "end", "ended_by", "seconds", "seconds_in_period",
                  "maintenance_seconds")


def parse_period(query, now: float) -> tuple:
    """(start, end) in unix time from `from` and `to` (ISO 8601 with an offset); `to`
    defaults to now, `from` to DEFAULT_DAYS before `to`. Raise InputError naming the field."""
    end = unix_from_iso(normalize_timestamp(query["to"], "to")) if query.get("to") else now
    start = unix_from_iso(normalize_timestamp(query["from"], "from")) if query.get("from") else end - DEFAULT_DAYS * 86400
    if start >= end:
        raise InputError("from", f"from ({iso_from_unix(start)}) must be before to ({iso_from_unix(end)})")
    return start, end


def parse_query(query) -> dict:
    for key in query.keys():
        if key not in PARAMS:
            raise InputError(key, f"unknown parameter {key!r}: expected one of {', '.join(PARAMS)}")
        if len(query.getall(key)) > 1:
            raise InputError(key, f"give {key} once")
        if not query.get(key).strip():
            raise InputError(key, f"{key} is empty: give a value or leave the parameter out")
    flag = (query.get("exclude_maintenance") or "false").strip().lower()
    if flag not in BOOLEAN:
        raise InputError("exclude_maintenance", "exclude_maintenance must be true or false")
    answer_format = query.get("format") or "json"
    if answer_format not in FORMATS:
        raise InputError("format", f"format must be one of {', '.join(FORMATS)}, not {answer_format!r}")
    return {"exclude_maintenance": BOOLEAN[flag], "format": answer_format, "machine": query.get("machine")}


def visible_machines(ctx, name=None) -> list:
    """[(name, config)] of the machines the user may see (or just `name`: 404 if not)."""
    if name is not None:
        problem = mc.name_problem(name)
        if problem:
            raise InputError("machine", problem)
        path = ctx.machines_dir / f"{name}.json"
        try:
            if path.exists() and scoping.machine_file_visible(ctx, name, path):
                return [(name, mc.load_machine(path))]
        except mc.MachineConfigError:
            pass   # a file that does not load: a machine with no report, as if it were not there
        raise ApiError(404, f"no machine {name!r}", "machine")
    configs, _ = mc.load_all(ctx.machines_dir) if ctx.machines_dir.is_dir() else ([], [])
    return [(c["name"], c) for c in configs if scoping.machine_visible(ctx, c["name"], c)]


def machine_reports(ctx, machines, start, end, now, exclude) -> list:
    samples_dir = Path(ctx.settings["samples"])
    since, until = (moment_from_unix(t) for t in (start, max(start, min(end, now))))
    windows = av.silence_windows(db.silences.overlapping(ctx.conn(), since, until), start, min(end, now))
    found = []
    for name, config in machines:
        history, error = read_history(samples_dir, name)
        report = av.machine_availability(name, scope.machine_fields(name, config), history, windows, start, end,
                                         now, exclude)
        found.append(dict(report, error=error) if error else report)
    return sorted(found, key=av.least_available_first)


def read_history(samples_dir, name: str) -> tuple:
    """(the machine's state history, None), or (an empty one, why) when it cannot be read:
    one unreadable file makes that machine's time no data, not the whole report fail."""
    try:
        return samples.read_states(samples_dir, name), None
    except OSError as exc:
        log.warning("machine %s: cannot read its state history: %s", name, exc)
        return {"lines": [], "last_poll": None, "no_data_after_seconds": None}, \
            "its state history cannot be read (see the API's log)"


def csv_rows(reports, period: dict):
    for machine in reports:
        for subject in [machine] + machine["interfaces"]:
            s = subject["seconds"]
            yield [machine["machine"], subject.get("interface"), subject["availability_percent"], s["period"],
                   s["up"], s["down"], s["off"], s["no_data"], s["maintenance"], s["up_in_maintenance"],
                   s["down_in_maintenance"], len(subject["outages"]), period["from"], period["to"],
                   period["exclude_maintenance"]]


def outage_rows(reports):
    for machine in reports:
        for subject in [machine] + machine["interfaces"]:
            for o in subject["outages"]:
                yield [machine["machine"], subject.get("interface"), o["start"], o["end"], o["ended_by"],
                       o["seconds"], o["seconds_in_period"], o["maintenance_seconds"]]


def as_csv(columns, rows, filename: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell(v) for v in row] for row in rows)
    response.content_type = "text/csv; charset=utf-8"
    response.set_header("Content-Disposition", f'attachment; filename="{filename}"')
    return buffer.getvalue()


def availability():
    ctx = context()
    ctx.require("viewer")
    query = request.query.decode()
    options = parse_query(query)
    now = time.time()
    start, end = parse_period(query, now)
    machines = visible_machines(ctx, options["machine"])
    reports = machine_reports(ctx, machines, start, end, now, options["exclude_maintenance"])
    period = {"from": iso_from_unix(start), "to": iso_from_unix(end),
              "measured_to": iso_from_unix(max(start, min(end, now))),
              "exclude_maintenance": options["exclude_maintenance"]}
    if options["format"] == "csv":
        return as_csv(SUMMARY_COLUMNS, csv_rows(reports, period), "vigie-availability.csv")
    if options["format"] == "outages.csv":
        return as_csv(OUTAGE_COLUMNS, outage_rows(reports), "vigie-outages.csv")
    return dict(period, count=len(reports), results=reports)


ROUTES = (
    ("GET", "/api/availability", availability),
)
