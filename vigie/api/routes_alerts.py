"""/api/alert...: list, add (one or a batch), read, change, delete; acknowledge, shelve,
resolve (with an end time and a note), the history and notes; /api/stats.

The validators (parse_*) are pure: they take the request's values and return
clean ones or raise AlertError naming the field, which the app turns into a
400 (errors.py). The handlers below them are bound to their routes by ROUTES.
"""

import re
from datetime import datetime, timedelta, timezone

from bottle import request, response

from vigie import alert_csv, db, scope
from vigie import lifecycle as lc
from vigie.alert import (EXTRAS, FIELDS, MAX_TEXT, NORMALIZERS, AlertError, clean_text, normalize_record,
                         normalize_severity, normalize_timestamp, whole_number)
from vigie.api import limits, scoping
from vigie.api.context import context, no_content, reject_unknown_fields
from vigie.api.errors import ApiError
from vigie.utc import iso

FILTER_PARAMS = ("severity", "server", "environment", "application", "provider", "acknowledged", "status",
                 "flapping", "silenced", "suppressed", "suppressed_by_alert", "fingerprint", "silence", "q", "since",
                 "until")
LIST_PARAMS = FILTER_PARAMS + ("ordering", "limit", "offset", "format")
FORMATS = ("json", "csv")
BOOLEAN_FILTERS = ("acknowledged", "flapping", "silenced", "suppressed")
ID_FILTERS = ("silence", "suppressed_by_alert")   # the id of a silence, of the alert suppressing them
NEW_ALERT_EXTRAS = ("source_id",) + EXTRAS
_NEW_ALERT_KEYS = frozenset(FIELDS + NEW_ALERT_EXTRAS)


READ_ONLY = tuple(c for c in db.ALERT_COLUMNS if c not in FIELDS and c != "acknowledged")


def check_lengths(record: dict):
    for key, value in record.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise AlertError(key, f"{key} is longer than {MAX_TEXT} characters")


def parse_new_alert(record) -> dict:
    """The seven fields normalised plus source_id, fingerprint and timeout; raise AlertError."""
    if not isinstance(record, dict):
        raise AlertError(None, "an alert must be a JSON object")
    if not record.keys() <= _NEW_ALERT_KEYS:
        for key in record:
            if key not in _NEW_ALERT_KEYS:
                raise AlertError(key, f"unknown field {key!r}")
    check_lengths(record)
    alert = normalize_record(dict(dict.fromkeys(EXTRAS), **record))   # no fingerprint or timeout: None
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
        elif key in FIELDS:
            changes[key] = NORMALIZERS[key](value)
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
        values += [v.strip() for v in raw.split(",")] if name in ("severity", "status") else [raw]
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
    statuses = _values(query, "status")
    for status in statuses:
        if status not in lc.STATUSES:
            raise AlertError("status", f"unknown status {status!r}: expected {', '.join(lc.STATUSES)}")
    if statuses:
        filters["status"] = sorted(set(statuses), key=lc.STATUSES.index)
    for name in BOOLEAN_FILTERS:
        value = query.get(name)
        if value is not None:
            if value not in ("true", "false"):
                raise AlertError(name, f"{name} must be true or false, not {value!r}")
            filters[name] = value == "true"
    if _values(query, "fingerprint"):
        filters["fingerprint"] = _values(query, "fingerprint")
    for name in ID_FILTERS:
        if query.get(name) is not None:
            filters[name] = parse_int(query, name, None, 1, db.MAX_ROWID)
    if query.get("q"):
        if len(query.get("q")) > MAX_TEXT:  # no field is longer: it could match nothing
            raise AlertError("q", f"q is longer than {MAX_TEXT} characters")
        filters["q"] = query.get("q")
    for name in ("since", "until"):
        if query.get(name) is not None:
            filters[name] = normalize_timestamp(query.get(name), name)
    return filters


ORDER_TERM = re.compile(r"(-?)([a-z_]+)")


def parse_ordering(query) -> str:
    """'field,-field' checked term by term (one '-' at most), at most one term per field
    that can be sorted on; a field named again is dropped, as it cannot change the order."""
    terms, seen = [], set()
    sent = (query.get("ordering") or db.DEFAULT_ORDERING).split(",")
    if len(sent) > len(db.ORDERING_COLUMNS):
        raise AlertError("ordering", f"ordering has {len(sent)} fields: at most {len(db.ORDERING_COLUMNS)}")
    for term in sent:
        match = ORDER_TERM.fullmatch(term)
        if not match or match.group(2) not in db.ORDERING_COLUMNS:
            raise AlertError("ordering", f"cannot order by {term[:40]!r}: expected one of "
                                         f"{', '.join(sorted(db.ORDERING_COLUMNS))}, each maybe after one '-'")
        if match.group(2) not in seen:
            seen.add(match.group(2))
            terms.append(term)
    return ",".join(terms)


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

    SINGLE = ("q", "since", "until") + BOOLEAN_FILTERS

    def __init__(self, body):
        self.data = {}
        for key, value in body.items():
            if key in BOOLEAN_FILTERS and isinstance(value, bool):
                value = "true" if value else "false"
            value = whole_number(value)
            if key in ID_FILTERS and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if key in self.SINGLE or key in ID_FILTERS:
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



# ---------------------------------------------------------------- what a person does: bodies

def parse_until(body: dict, now: datetime, required: bool):
    """The end asked for: "until" (ISO 8601 with an offset, in the future) or "minutes"
    (from now); None when neither is given and none is required."""
    if "until" in body and "minutes" in body:
        raise AlertError("until", "give until or minutes, not both")
    if "minutes" in body:
        minutes = whole_number(body["minutes"])
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= limits.UNTIL_MINUTES_MAX:
            raise AlertError("minutes", f"minutes must be a whole number from 1 to {limits.UNTIL_MINUTES_MAX}")
        return iso(now + timedelta(minutes=minutes))
    if "until" in body:
        until = normalize_timestamp(body["until"], "until")
        if until <= iso(now):
            raise AlertError("until", f"until ({until}) is in the past: give a time to come")
        return until
    if required:
        raise AlertError("until", "say until when: until (a time) or minutes")
    return None


def parse_note(body: dict, required: bool = False) -> str:
    if "note" not in body:
        if required:
            raise AlertError("note", "missing field 'note'")
        return ""
    return clean_text("note", body["note"], required=required)


def read_action(ctx, allowed) -> dict:
    """The optional JSON object of an action (ack, shelve, resolve...)."""
    if not ctx.has_body():
        return {}
    body = ctx.read_object("{" + ", ".join(f'"{k}"' for k in allowed) + "}")
    reject_unknown_fields(body, allowed)
    return body


def lifecycle_settings(ctx) -> dict:
    """The settings the lifecycle rules take, as keyword arguments of db's functions."""
    return {"flap": lc.Flapping(ctx.settings["flap_threshold"], ctx.settings["flap_window_minutes"] * 60)}


def change_settings(ctx) -> dict:
    """What db's functions that change alerts take: the lifecycle's settings, and the network
    the verdict of dependencies is made from."""
    return dict(lifecycle_settings(ctx), network=ctx.network.network())


# ---------------------------------------------------------------- handlers

def no_such_alert(alert_id) -> ApiError:
    return ApiError(404, f"no alert with id {alert_id}", "id")


def load(ctx, alert_id) -> dict:
    """The alert, or a 404 when there is none, or none the user's scope shows."""
    alert = db.get_alert(ctx.conn(), alert_id) if db.fits_rowid(alert_id) else None
    if alert is None or not scoping.alert_visible(ctx, alert):
        raise no_such_alert(alert_id)
    return alert


def still_there(alert, alert_id) -> dict:
    """The alert an update returned, as its user sees it; a 404 when it was deleted since it
    was loaded."""
    if alert is None:
        raise no_such_alert(alert_id)
    return as_seen(context(), [alert])[0]


LIVE = ["open", "acknowledged", "shelved"]


def as_seen(ctx, alerts: list) -> list:
    """The alerts as a member of a scoped team sees them: a root cause outside the scope is
    not named (the alert still says it is suppressed), and a root cause counts only the
    alerts behind it that are in the scope."""
    if scoping.current_scopes(ctx) is None:
        return alerts
    conn = ctx.conn()
    roots = {a["suppressed_by_alert"] for a in alerts if a.get("suppressed_by_alert")}
    shown = {r["id"] for r in db.get_alerts(conn, roots) if scoping.alert_visible(ctx, r)}
    seen = []
    for alert in alerts:
        alert = dict(alert)
        if alert.get("suppressed_by_alert") and alert["suppressed_by_alert"] not in shown:
            alert.update(suppressed_by=None, suppressed_by_alert=None)
        if alert.get("suppressing"):
            alert["suppressing"] = db.count_alerts(conn, scoping.filters_in_scope(
                ctx, {"suppressed_by_alert": alert["id"], "status": LIVE}))
        seen.append(alert)
    return seen


def csv_export(ctx, query, filters):
    """Every match of the filters (all pages; `limit` when given), streamed as CSV."""
    limit = parse_int(query, "limit", None, 1, limits.OFFSET_MAX) if query.get("limit") else None
    chunks = db.iter_alerts(ctx.conn(), scoping.filters_in_scope(ctx, filters), parse_ordering(query), limit=limit)
    response.content_type = "text/csv; charset=utf-8"
    response.set_header("Content-Disposition", 'attachment; filename="vigie-alerts.csv"')
    return (text.encode("utf-8") for text in alert_csv.lines(chunks))


def list_alerts():
    ctx = context()
    ctx.require("viewer")
    query = request.query.decode()
    filters = parse_filters(query, LIST_PARAMS)
    answer_format = query.get("format") or "json"
    if answer_format not in FORMATS:
        raise AlertError("format", f"format must be json or csv, not {answer_format!r}")
    if answer_format == "csv":
        return csv_export(ctx, query, filters)
    limit = parse_int(query, "limit", ctx.settings["page_size"], 1, ctx.settings["max_page_size"])
    offset = parse_int(query, "offset", 0, 0, limits.OFFSET_MAX)
    ordering = parse_ordering(query)
    count, results = db.list_alerts(ctx.conn(), scoping.filters_in_scope(ctx, filters), ordering, limit, offset)
    params = {k: query.getall(k) for k in query.keys() if k not in ("limit", "offset")}
    params["limit"] = limit
    nxt = ctx.page_url(dict(params, offset=offset + limit)) if offset + limit < count else None
    prev = ctx.page_url(dict(params, offset=max(0, offset - limit))) if offset > 0 else None
    return {"count": count, "next": nxt, "previous": prev, "results": as_seen(ctx, results)}


def _insert(ctx, user, records) -> list:
    return db.insert_alerts(ctx.conn(), records, actor=user["username"], **change_settings(ctx),
                            fingerprint_fields=tuple(ctx.settings["fingerprint_fields"]),
                            scopes=scoping.current_scopes(ctx))


def check_in_scope(ctx, records) -> None:
    """A member of a scoped team posts only alerts inside the scope."""
    if scoping.current_scopes(ctx) is None:
        return
    for index, record in enumerate(records):
        if not scoping.alert_visible(ctx, record):
            raise ApiError(403, "this alert is outside your team's scope", "server",
                           **({"index": index} if len(records) > 1 else {}))


def add_alerts():
    """201 with the new alert; 200 with the alert it counted on (a duplicate, an INFO
    that resolved it, a source_id already seen)."""
    ctx = context()
    user = ctx.require("operator")
    body = ctx.read_json()
    if isinstance(body, list):
        return add_batch(ctx, user, body)
    record = parse_new_alert(body)
    check_in_scope(ctx, [record])
    (alert_id, created), = _insert(ctx, user, [record])
    response.status = 201 if created else 200
    return as_seen(ctx, [db.get_alert(ctx.conn(), alert_id)])[0]


def check_batch_size(ctx, count: int, field=None, advice: str = "") -> None:
    """413 for a batch of more alerts than max_batch, whichever route it came by."""
    limit = ctx.settings["max_batch"]
    if count > limit:
        raise ApiError(413, f"batch of {count} alerts is over the limit of {limit} (max_batch){advice}", field,
                       index=None)


def add_batch(ctx, user, items):
    if not items:
        raise ApiError(400, "empty batch: send at least one alert", None, index=None)
    check_batch_size(ctx, len(items))
    records = []
    for index, item in enumerate(items):
        try:
            records.append(parse_new_alert(item))
        except AlertError as exc:
            raise AlertError(exc.field, f"alert {index}: {exc.message}", index=index) from None
    check_in_scope(ctx, records)
    results = _insert(ctx, user, records)
    response.status = 201
    return {"ids": [i for i, _ in results], "created": sum(1 for _, c in results if c)}


def get_alert(alert_id):
    ctx = context()
    ctx.require("viewer")
    return as_seen(ctx, [load(ctx, alert_id)])[0]


def check_stays_in_scope(ctx, alert: dict, changes: dict) -> None:
    """A member may change an alert only as long as it stays in the scope: the alert
    is checked as it would be after the change."""
    after = dict(alert, **{k: v for k, v in changes.items() if k in FIELDS})
    if not scoping.alert_visible(ctx, after):
        moved = next((k for k in scope.SCOPE_KEYS if after[k] != alert[k]), None)
        raise ApiError(403, "this change would move the alert outside your team's scope", moved)


def change_alert(alert_id):
    ctx = context()
    user = ctx.require("operator")
    alert = load(ctx, alert_id)
    changes = parse_changes(ctx.read_json(), full=request.method == "PUT")
    check_stays_in_scope(ctx, alert, changes)
    return still_there(db.update_alert(ctx.conn(), alert_id, changes, user["username"], **lifecycle_settings(ctx)),
                       alert_id)


def delete_alert(alert_id):
    ctx = context()
    user = ctx.require("admin")
    load(ctx, alert_id)
    if not db.delete_alert(ctx.conn(), alert_id, user["username"], network=ctx.network.network()):
        raise no_such_alert(alert_id)
    return no_content()


# An operator's action on one alert: verb -> (body fields, "until" needed (None: not
# taken), what vigie.db.act does).
ACTIONS = {
    "ack": (("until", "minutes", "note"), False, "acknowledge"),  # neither until nor minutes: until resolved
    "unack": (("note",), None, "unacknowledge"),
    "shelve": (("until", "minutes", "note"), True, "shelve"),
    "unshelve": (("note",), None, "unshelve"),
    "resolve": (("note",), None, "resolve"),
}


def act(alert_id, verb):
    ctx = context()
    user = ctx.require("operator")
    load(ctx, alert_id)
    allowed, needs_until, action = ACTIONS[verb]
    body = read_action(ctx, allowed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    args = {"note": parse_note(body)}
    if needs_until is not None:
        args["until"] = parse_until(body, now, needs_until)
    try:
        alert = db.act(ctx.conn(), alert_id, action, user["username"], iso(now), **change_settings(ctx), **args)
    except lc.TransitionError as exc:
        raise ApiError(409, str(exc), "status") from None
    return still_there(alert, alert_id)


def ack(alert_id):
    return act(alert_id, "ack")


def unack(alert_id):
    return act(alert_id, "unack")


def shelve(alert_id):
    return act(alert_id, "shelve")


def unshelve(alert_id):
    return act(alert_id, "unshelve")


def resolve(alert_id):
    return act(alert_id, "resolve")


def add_note(alert_id):
    """201 with the new history entry."""
    ctx = context()
    user = ctx.require("operator")
    load(ctx, alert_id)
    body = ctx.read_object('{"note": "..."}')
    reject_unknown_fields(body, ("note",))
    entry = db.add_note(ctx.conn(), alert_id, user["username"], parse_note(body, required=True))
    if entry is None:
        raise no_such_alert(alert_id)
    response.status = 201
    return entry


def history(alert_id):
    """Every change of the alert, oldest first; those time made and nobody wrote down
    yet last, "pending": true. A deleted alert keeps its history."""
    ctx = context()
    ctx.require("viewer")
    if scoping.current_scopes(ctx) is not None:
        load(ctx, alert_id)  # a member sees the history of the alerts in scope (not of deleted ones)
    entries = db.alert_history(ctx.conn(), alert_id, **lifecycle_settings(ctx)) if db.fits_rowid(alert_id) else None
    if entries is None:
        raise no_such_alert(alert_id)
    return {"count": len(entries), "results": entries}


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
    return {"acknowledged": db.acknowledge_matching(ctx.conn(), scoping.filters_in_scope(ctx, filters),
                                                    user["username"], **lifecycle_settings(ctx))}


def stats():
    ctx = context()
    ctx.require("viewer")
    return db.get_stats(ctx.conn(), scopes=scoping.current_scopes(ctx))


ROUTES = (
    ("GET", "/api/alert", list_alerts),
    ("POST", "/api/alert", add_alerts),
    ("POST", "/api/alert/ack", ack_matching),
    ("GET", "/api/alert/<alert_id:int>", get_alert),
    (["POST", "PATCH", "PUT"], "/api/alert/<alert_id:int>", change_alert),
    ("DELETE", "/api/alert/<alert_id:int>", delete_alert),
    ("POST", "/api/alert/<alert_id:int>/ack", ack),
    ("POST", "/api/alert/<alert_id:int>/unack", unack),
    ("POST", "/api/alert/<alert_id:int>/shelve", shelve),
    ("POST", "/api/alert/<alert_id:int>/unshelve", unshelve),
    ("POST", "/api/alert/<alert_id:int>/resolve", resolve),
    ("POST", "/api/alert/<alert_id:int>/note", add_note),
    ("GET", "/api/alert/<alert_id:int>/history", history),
    ("GET", "/api/stats", stats),
)
