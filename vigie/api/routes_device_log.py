"""GET /api/machine/<name>/log: what the device itself reported (syslog, SNMP traps), newest
first, from its device log (vigie/device_log.py), searchable and filtered by severity.
GET /api/unknown-senders: who sent messages that match no machine, from the unknown log."""

from pathlib import Path

from bottle import request

from vigie import device_log, machines as mc
from vigie.api import limits, scoping
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.senders import SenderIndex
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


def unknown_senders():
    """The senders of the unknown log that still match no machine (one added since is left
    out), most recently heard first. They belong to no team: a member of a scoped team is
    refused, as for anything outside its scopes."""
    ctx = context()
    ctx.require("viewer")
    if scoping.current_scopes(ctx) is not None:
        raise ApiError(403, "unknown senders belong to no team: only admins and users in no scoped team see them")
    configs, _ = mc.load_all(ctx.machines_dir) if ctx.machines_dir.is_dir() else ([], [])
    index = SenderIndex(configs, resolve=lambda host: [])  # a page waits on no DNS look-up
    senders = [s for s in device_log.unknown_senders(Path(ctx.settings["logs"]))
               if index.match(s["address"], s["last"].get("host") or "") is None]
    return {"count": len(senders), "results": senders}


ROUTES = (
    ("GET", "/api/machine/<name>/log", machine_log),
    ("GET", "/api/unknown-senders", unknown_senders),
)
