"""/api/alert...: list, add (one or a batch), read, change, delete, acknowledge; /api/stats."""

import re

from bottle import request, response

from vigie import db
from vigie.alert import FIELDS, MAX_TEXT, AlertError, clean_text, normalize_alert, normalize_severity, normalize_timestamp
from vigie.api.errors import api_error

LIST_PARAMS = ("severity", "server", "environment", "application", "provider", "acknowledged", "q",
               "since", "until", "ordering", "limit", "offset")
FILTER_PARAMS = LIST_PARAMS[:9]
MAX_SOURCE_ID = 200


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
        if not isinstance(source_id, str) or not source_id.strip() or len(source_id) > MAX_SOURCE_ID:
            raise AlertError("source_id", f"source_id must be a non-empty string of at most {MAX_SOURCE_ID} characters")
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


def _int_param(query, name, default, low, high):
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


def register(app, ctx):
    def bad(exc: AlertError, **extra):
        return api_error(400, exc.message, exc.field, **extra)

    def load(alert_id):
        if not db.fits_rowid(alert_id):
            raise api_error(404, f"no alert with id {alert_id}", "id")
        alert = db.get_alert(ctx.conn(), alert_id)
        if alert is None:
            raise api_error(404, f"no alert with id {alert_id}", "id")
        return alert

    @app.get("/api/alert")
    def list_alerts():
        ctx.require("viewer")
        query = request.query.decode()
        try:
            filters = parse_filters(query, LIST_PARAMS)
            limit = _int_param(query, "limit", ctx.settings["page_size"], 1, ctx.settings["max_page_size"])
            offset = _int_param(query, "offset", 0, 0, 2 ** 62)
            ordering = query.get("ordering") or db.DEFAULT_ORDERING
            try:
                db.order_by(ordering)
            except ValueError as exc:
                raise AlertError("ordering", str(exc)) from None
        except AlertError as exc:
            raise bad(exc)
        count, results = db.list_alerts(ctx.conn(), filters, ordering, limit, offset)
        params = {k: query.getall(k) for k in query.keys() if k not in ("limit", "offset")}
        params["limit"] = limit
        nxt = ctx.page_url(dict(params, offset=offset + limit)) if offset + limit < count else None
        prev = ctx.page_url(dict(params, offset=max(0, offset - limit))) if offset > 0 else None
        return {"count": count, "next": nxt, "previous": prev, "results": results}

    @app.post("/api/alert")
    def add_alerts():
        ctx.require("operator")
        body = ctx.read_json()
        if isinstance(body, list):
            return add_batch(body)
        try:
            record = parse_new_alert(body)
        except AlertError as exc:
            raise bad(exc)
        (alert_id, created), = db.insert_alerts(ctx.conn(), [record])
        response.status = 201 if created else 200
        return db.get_alert(ctx.conn(), alert_id)

    def add_batch(items):
        if not items:
            raise api_error(400, "empty batch: send at least one alert", None, index=None)
        if len(items) > ctx.settings["max_batch"]:
            raise api_error(413, f"batch of {len(items)} alerts is over the limit of {ctx.settings['max_batch']}",
                            None, index=None)
        records = []
        for index, item in enumerate(items):
            try:
                records.append(parse_new_alert(item))
            except AlertError as exc:
                raise api_error(400, f"alert {index}: {exc.message}", exc.field, index=index)
        results = db.insert_alerts(ctx.conn(), records)
        response.status = 201
        return {"ids": [i for i, _ in results], "created": sum(1 for _, c in results if c)}

    @app.get("/api/alert/<alert_id:int>")
    def get_one(alert_id):
        ctx.require("viewer")
        return load(alert_id)

    @app.route("/api/alert/<alert_id:int>", method=["POST", "PATCH", "PUT"])
    def change(alert_id):
        user = ctx.require("operator")
        load(alert_id)
        body = ctx.read_json()
        try:
            changes = parse_changes(body, full=request.method == "PUT")
        except AlertError as exc:
            raise bad(exc)
        alert = db.update_alert(ctx.conn(), alert_id, changes, user["username"])
        if alert is None:
            raise api_error(404, f"no alert with id {alert_id}", "id")
        return alert

    @app.delete("/api/alert/<alert_id:int>")
    def delete(alert_id):
        ctx.require("admin")
        load(alert_id)
        if not db.delete_alert(ctx.conn(), alert_id):
            raise api_error(404, f"no alert with id {alert_id}", "id")
        response.status = 204
        return ""

    def set_ack(alert_id, value):
        user = ctx.require("operator")
        load(alert_id)
        return db.set_acknowledged(ctx.conn(), alert_id, value, user["username"])

    @app.post("/api/alert/<alert_id:int>/ack")
    def ack(alert_id):
        return set_ack(alert_id, True)

    @app.post("/api/alert/<alert_id:int>/unack")
    def unack(alert_id):
        return set_ack(alert_id, False)

    @app.post("/api/alert/ack")
    def bulk_ack():
        user = ctx.require("operator")
        query = request.query.decode()
        try:
            filters = parse_filters(query)
            if request.content_length > 0 or request.get_header("Transfer-Encoding"):
                body = ctx.read_json()
                if not isinstance(body, dict):
                    raise AlertError(None, "send a JSON object of filters, e.g. {\"server\": \"web-01\"}")
                filters.update(parse_filters(JsonQuery(body)))  # the body wins where both give a filter
        except AlertError as exc:
            raise bad(exc)
        return {"acknowledged": db.acknowledge_matching(ctx.conn(), filters, user["username"])}

    @app.get("/api/stats")
    def stats():
        ctx.require("viewer")
        return db.get_stats(ctx.conn())
