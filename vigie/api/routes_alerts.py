"""/api/alert...: list, add (one or a batch), read, change, delete, acknowledge; /api/stats.

The validators (parse_*) are pure: they take the request's values and return
clean ones or raise AlertError naming the field, which the app turns into a
400 (errors.py). The handlers below them are bound to their routes by ROUTES.
"""

import re

from bottle import request, response

from vigie import db
from vigie.alert import FIELDS, MAX_TEXT, AlertError, clean_text, normalize_alert, normalize_severity, normalize_timestamp
from vigie.api import limits
from vigie.api.context import context
from vigie.api.errors import ApiError

LIST_PARAMS = ("severity", "server", "environment", "application", "provider", "acknowledged", "q",
               "since", "until", "ordering", "limit", "offset")
FILTER_PARAMS = LIST_PARAMS[:9]


def utc_timestamp(value, field="timestamp") -> str:
    """normalize_timestamp, its errors naming `field` (since, until, ...)."""
    try:
        return normalize_timestamp(value)
    except AlertError as exc:
        raise AlertError(field, exc.message.replace("timestamp", field, 1)) from None


_NORMALIZERS = {
    "timestamp": utc_timestamp,
    "server": lambda v: clean_text("server", v),
    "severity": normalize_severity,
    "message": lambda v: clean_text("message", v),
    "provider": lambda v: clean_text("provider", v, required=False),
    "application": lambda v: clean_text("application", v, required=False),
    "environment": lambda v: clean_text("environment", v, required=False).lower(),
}
READ_ONLY = ("id", "acknowledged_by", "acknowledged_at", "source_id")


def check_lengths(record: dict):
    for key, value in record.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise AlertError(key, f"{key} is longer than {MAX_TEXT} characters")


def parse_new_alert(record) -> dict:
    """The seven fields normalised plus source_id; raise AlertError."""
    if not isinstance(record, dict):
        raise AlertError(None, "an alert must be a JSON object")
    for key in record:
        if key not in FIELDS and key != "source_id":
            raise AlertError(key, f"unknown field {key!r}")
    check_lengths(record)
    alert = normalize_alert(record)
    source_id = record.get("source_id")
    if source_id is not None:
        if not isinstance(source_id, str) or not source_id.strip() or len(source_id) > limits.SOURCE_ID_MAX:
            raise AlertError("source_id",
                             f"source_id must be a non-empty string of at most {limits.SOURCE_ID_MAX} characters")
        source_id = source_id.strip()
    alert["source_id"] = source_id
    return alert


def parse_changes(body, full: bool) -> dict:
    """Fields to change from a PUT (full) or POST/PATCH (partial) body; raise AlertError."""
    if not isinstance(body, dict):
        raise AlertError(None, "send a JSON object with the fields to change")
    check_lengths(body)
    changes = {}
    for key, value in body.items():
        if key in READ_ONLY:
            raise AlertError(key, f"{key} is read-only")
        if key == "acknowledged":
            if not isinstance(value, bool):
                raise AlertError(key, "acknowledged must be true or false")
            changes[key] = value
        elif key in _NORMALIZERS:
            changes[key] = _NORMALIZERS[key](value)
        else:
            raise AlertError(key, f"unknown field {key!r}")
    if full:
        missing = [f for f in FIELDS if f not in changes]
        if missing:
            raise AlertError(missing[0], f"missing field {missing[0]!r} (PUT replaces the alert; use PATCH to change some fields)")
    elif not changes:
        raise AlertError(None, "nothing to change: send at least one field")
    return changes


def _values(query, name) -> list:
    values = []
    for raw in query.getall(name):
        values += [v.strip() for v in raw.split(",")] if name == "severity" else [raw]
    return values


def parse_filters(query, allowed=FILTER_PARAMS) -> dict:
    """Filters from query parameters (or a JSON body turned into lists); raise AlertError."""
    for name in query.keys():
        if name not in allowed:
            raise AlertError(name, f"unknown parameter {name!r}: expected one of {', '.join(allowed)}")
    filters = {}
    severities = _values(query, "severity")
    if severities:
        filters["severity"] = sorted({normalize_severity(v) for v in severities})
    for name in db.EXACT_FILTERS:
        values = _values(query, name)
        if values:
            filters[name] = values if name != "environment" else [v.lower() for v in values]
    ack = query.get("acknowledged")
    if ack is not None:
        if ack not in ("true", "false"):
            raise AlertError("acknowledged", f"acknowledged must be true or false, not {ack!r}")
        filters["acknowledged"] = ack == "true"
    if query.get("q"):
        filters["q"] = query.get("q")
    for name in ("since", "until"):
        if query.get(name) is not None:
            filters[name] = utc_timestamp(query.get(name), name)
    return filters


def parse_ordering(query) -> str:
    ordering = query.get("ordering") or db.DEFAULT_ORDERING
    try:
        db.order_by(ordering)
    except ValueError as exc:
        raise AlertError("ordering", str(exc)) from None
    return ordering


def parse_int(query, name, default, low, high):
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,19}", raw):
        raise AlertError(name, f"{name} must be an integer, not {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise AlertError(name, f"{name} must be between {low} and {high}")
    return value


class JsonQuery:
    """A JSON body of filters ({"severity": [...], "server": "x", "acknowledged": false})
    checked and seen through the query's interface, so one parser serves both."""

    SINGLE = ("q", "since", "until")

    def __init__(self, body):
        self.data = {}
        for key, value in body.items():
            if key == "acknowledged" and isinstance(value, bool):
                value = "true" if value else "false"
            if key in self.SINGLE or key == "acknowledged":
                if not isinstance(value, str):
                    raise AlertError(key, f"{key} must be a string")
                self.data[key] = [value]
                continue
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in items):
                raise AlertError(key, f"{key} must be a string or a list of strings")
            self.data[key] = items

    def keys(self):
        return self.data.keys()

    def getall(self, name):
        return self.data.get(name, [])

    def get(self, name, default=None):
        values = self.data.get(name)
        return values[-1] if values else default



# ---------------------------------------------------------------- handlers

def no_such_alert(alert_id) -> ApiError:
    return ApiError(404, f"no alert with id {alert_id}", "id")


def load(ctx, alert_id) -> dict:
    alert = db.get_alert(ctx.conn(), alert_id) if db.fits_rowid(alert_id) else None
    if alert is None:
        raise no_such_alert(alert_id)
    return alert


def still_there(alert, alert_id) -> dict:
    """The alert an update returned; a 404 when it was deleted since it was loaded."""
    if alert is None:
        raise no_such_alert(alert_id)
    return alert


def list_alerts():
    ctx = context()
    ctx.require("viewer")
    query = request.query.decode()
    filters = parse_filters(query, LIST_PARAMS)
    limit = parse_int(query, "limit", ctx.settings["page_size"], 1, ctx.settings["max_page_size"])
    offset = parse_int(query, "offset", 0, 0, limits.OFFSET_MAX)
    ordering = parse_ordering(query)
    count, results = db.list_alerts(ctx.conn(), filters, ordering, limit, offset)
    params = {k: query.getall(k) for k in query.keys() if k not in ("limit", "offset")}
    params["limit"] = limit
    nxt = ctx.page_url(dict(params, offset=offset + limit)) if offset + limit < count else None
    prev = ctx.page_url(dict(params, offset=max(0, offset - limit))) if offset > 0 else None
    return {"count": count, "next": nxt, "previous": prev, "results": results}


def add_alerts():
    ctx = context()
    ctx.require("operator")
    body = ctx.read_json()
    if isinstance(body, list):
        return add_batch(ctx, body)
    (alert_id, created), = db.insert_alerts(ctx.conn(), [parse_new_alert(body)])
    response.status = 201 if created else 200
    return db.get_alert(ctx.conn(), alert_id)


def add_batch(ctx, items):
    if not items:
        raise ApiError(400, "empty batch: send at least one alert", None, index=None)
    if len(items) > ctx.settings["max_batch"]:
        raise ApiError(413, f"batch of {len(items)} alerts is over the limit of {ctx.settings['max_batch']}",
                       None, index=None)
    records = []
    for index, item in enumerate(items):
        try:
            records.append(parse_new_alert(item))
        except AlertError as exc:
            raise AlertError(exc.field, f"alert {index}: {exc.message}", index=index) from None
    results = db.insert_alerts(ctx.conn(), records)
    response.status = 201
    return {"ids": [i for i, _ in results], "created": sum(1 for _, c in results if c)}


def get_alert(alert_id):
    ctx = context()
    ctx.require("viewer")
    return load(ctx, alert_id)


def change_alert(alert_id):
    ctx = context()
    user = ctx.require("operator")
    load(ctx, alert_id)
    changes = parse_changes(ctx.read_json(), full=request.method == "PUT")
    return still_there(db.update_alert(ctx.conn(), alert_id, changes, user["username"]), alert_id)


def delete_alert(alert_id):
    ctx = context()
    ctx.require("admin")
    load(ctx, alert_id)
    if not db.delete_alert(ctx.conn(), alert_id):
        raise no_such_alert(alert_id)
    response.status = 204
    return ""


def set_acknowledged(alert_id, value: bool):
    ctx = context()
    user = ctx.require("operator")
    load(ctx, alert_id)
    return still_there(db.set_acknowledged(ctx.conn(), alert_id, value, user["username"]), alert_id)


def ack(alert_id):
    return set_acknowledged(alert_id, True)


def unack(alert_id):
    return set_acknowledged(alert_id, False)


def ack_matching():
    ctx = context()
    user = ctx.require("operator")
    query = request.query.decode()
    filters = parse_filters(query)
    if ctx.has_body():
        body = ctx.read_json()
        if not isinstance(body, dict):
            raise AlertError(None, "send a JSON object of filters, e.g. {\"server\": \"web-01\"}")
        filters.update(parse_filters(JsonQuery(body)))  # the body wins where both give a filter
    return {"acknowledged": db.acknowledge_matching(ctx.conn(), filters, user["username"])}


def stats():
    ctx = context()
    ctx.require("viewer")
    return db.get_stats(ctx.conn())


ROUTES = (
    ("GET", "/api/alert", list_alerts),
    ("POST", "/api/alert", add_alerts),
    ("POST", "/api/alert/ack", ack_matching),
    ("GET", "/api/alert/<alert_id:int>", get_alert),
    (["POST", "PATCH", "PUT"], "/api/alert/<alert_id:int>", change_alert),
    ("DELETE", "/api/alert/<alert_id:int>", delete_alert),
    ("POST", "/api/alert/<alert_id:int>/ack", ack),
    ("POST", "/api/alert/<alert_id:int>/unack", unack),
    ("GET", "/api/stats", stats),
)
