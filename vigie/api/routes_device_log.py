"""GET /api/machine/<name>/log: what the device itself reported (syslog, SNMP traps), newest
first, from its device log (vigie/device_log.py), searchable and filtered by severity."""

from pathlib import Path

from bottle import request

from vigie import device_log
from vigie.api import limits, scoping
from vigie.api.context import context
from vigie.api.routes_alerts import parse_int
from vigie.errors import InputError

LOG_PARAMS = ("q", "severity", "limit", "offset")
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000


def parse_log_query(query) -> dict:
    """{q, severity, limit, offset} from the query string; InputError naming a bad one."""
    for name in query.keys():
        if name not in LOG_PARAMS:
            raise InputError(name, f"unknown parameter {name!r}: expected one of {', '.join(LOG_PARAMS)}")
    severity = query.get("severity") or ""
    return {"q": query.get("q") or "",
            "severity": device_log.normalize_severity(severity) if severity.strip() else "",
            "limit": parse_int(query, "limit", PAGE_SIZE, 1, MAX_PAGE_SIZE),
            "offset": parse_int(query, "offset", 0, 0, limits.OFFSET_MAX)}


def machine_log(name):
    ctx = context()
    ctx.require("viewer")
    scoping.require_visible_machine(ctx, name)
    wanted = parse_log_query(request.query.decode())
    entries, more = device_log.read(Path(ctx.settings["logs"]), name, wanted["q"], wanted["severity"],
                                    wanted["limit"], wanted["offset"])
    params = {k: v for k, v in wanted.items() if v not in ("", None) and k != "offset"}
    offset, limit = wanted["offset"], wanted["limit"]
    return {"machine": name, "results": entries,
            "next": ctx.page_url(dict(params, offset=offset + limit)) if more else None,
            "previous": ctx.page_url(dict(params, offset=max(0, offset - limit))) if offset > 0 else None}


ROUTES = (
    ("GET", "/api/machine/<name>/log", machine_log),
)
