"""/api/silence...: silences and maintenance windows; /api/audit: who changed silences,
machines and users.

Operators make silences, and edit, extend, end or delete their own; admins anyone's.
Editing makes a new silence and ends the old one (as Alertmanager does); extending
moves the end of the same silence. A silence ended early stays listed (state
"expired"); a deleted one is gone, and what it silenced stays in the alerts' histories.
"""

from datetime import datetime, timedelta, timezone

from bottle import request, response

from vigie import db
from vigie import silences as rules
from vigie.api import limits, scoping
from vigie.api.context import context, no_content
from vigie.api.errors import ApiError
from vigie.api.routes_alerts import parse_int
from vigie.errors import InputError, refuse_unknown_fields
from vigie.roles import role_allows

AUDIT_KINDS = ("silence", "machine", "user")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def no_such_silence(silence_id) -> ApiError:
    return ApiError(404, f"no silence with id {silence_id}", "id")


def load(ctx, silence_id) -> dict:
    """The silence, or a 404 when there is none, or none the user's scope shows."""
    silence = db.silences.get(ctx.conn(), silence_id) if db.fits_rowid(silence_id) else None
    if silence is not None and not scoping.silence_visible(ctx, silence):
        silence = None
    if silence is None:
        raise no_such_silence(silence_id)
    return silence


def parse_state(query) -> str:
    for name in query.keys():
        if name != "state":
            raise InputError(name, f"unknown parameter {name!r}: expected state")
    state = query.get("state")
    state = "current" if state is None else state
    if state not in db.silences.STATES:
        raise InputError("state", f"unknown state {state!r}: expected {', '.join(db.silences.STATES)}")
    return state


def list_silences():
    """Silences, newest first: by default those active or to come (state=current)."""
    ctx = context()
    ctx.require("viewer")
    state = parse_state(request.query.decode())
    results = [s for s in db.silences.list_public(ctx.conn(), now(), state) if scoping.silence_visible(ctx, s)]
    return {"count": len(results), "results": results}


PREVIEW_ALERTS = 20  # alerts a preview lists (it counts them all)


def may_make(ctx, user, silence: dict, moment) -> tuple:
    """(why only an admin may make this silence, or None; whether this user may): one
    that matches every alert, has no end, or lasts more than silence_max_days needs one."""
    why = rules.needs_admin(silence, moment, ctx.settings["silence_max_days"])
    return why, why is None or (user is not None and role_allows(user["role"], "admin"))


def check_may_make(ctx, user, silence: dict, moment) -> None:
    why, allowed = may_make(ctx, user, silence, moment)
    if not allowed:
        field = "matchers" if rules.matches_everything(silence["matchers"]) else "ends_at"
        raise ApiError(403, f"only an admin may make this silence: {why}. Narrow what it matches, or give it an "
                            f"end within {ctx.settings['silence_max_days']:g} days", field)


def add_silence():
    ctx = context()
    user = ctx.require("operator")
    moment = now()
    silence = rules.normalize_silence(ctx.read_json(), moment)
    scoping.check_silence_in_scope(ctx, silence["matchers"])
    check_may_make(ctx, user, silence, moment)
    silence_id = db.silences.create(ctx.conn(), silence, user["username"], moment)
    response.status = 201
    return db.silences.public(ctx.conn(), db.silences.get(ctx.conn(), silence_id), moment)


def preview_silence():
    """What a silence would match if it were made now (a dry run: nothing is written):
    the alerts not resolved that it holds (those the user may see), and whether it
    needs an admin. The same body as POST /api/silence; the comment may be left out."""
    ctx = context()
    user = ctx.require("operator")
    moment = now()
    body = ctx.read_json()
    if isinstance(body, dict) and not body.get("comment"):
        body = dict(body, comment="preview")
    silence = rules.normalize_silence(body, moment)
    scoping.check_silence_in_scope(ctx, silence["matchers"])
    matched = [r for r in db.silences.matching_rows(ctx.conn(), silence["matchers"])
               if scoping.alert_visible(ctx, r)]
    shown = db.silences.preview(silence, moment)
    why, allowed = may_make(ctx, user, silence, moment)
    return {"silence": {k: shown[k] for k in ("matchers", "starts_at", "ends_at", "schedule", "state", "window")},
            "matching": len(matched), "matches_everything": rules.matches_everything(silence["matchers"]),
            "needs_admin": why, "allowed": allowed,
            "alerts": [{k: r[k] for k in ("id", "server", "severity", "message")}
                       for r in matched[-PREVIEW_ALERTS:][::-1]]}


def get_silence(silence_id):
    ctx = context()
    ctx.require("viewer")
    return db.silences.public(ctx.conn(), load(ctx, silence_id), now())


def own_or_admin(user, silence):
    if silence["created_by"] != user["username"] and not role_allows(user["role"], "admin"):
        raise ApiError(403, f"silence {silence['id']} is {silence['created_by']}'s: only its author or an admin may "
                            f"change, end or delete it")


def changeable(silence_id, doing: str) -> tuple:
    """(ctx, user, silence, now) for a change of a silence not over, by its author or an admin."""
    ctx = context()
    user = ctx.require("operator")
    silence = load(ctx, silence_id)
    own_or_admin(user, silence)
    moment = now()
    if silence["ends_at"] is not None and silence["ends_at"] <= moment:
        raise ApiError(409, f"silence {silence['id']} is over: {doing} it is not possible; make a new one from it",
                       "id")
    return ctx, user, silence, moment


def edit_silence(silence_id):
    """Change a silence not over (the same body as POST /api/silence): as in Alertmanager,
    a new silence is made and this one ends now. Its author or an admin; checked as a
    new silence is (the team's scope, what needs an admin)."""
    ctx, user, old, moment = changeable(silence_id, "editing")
    silence = rules.normalize_silence(ctx.read_json(), moment)
    scoping.check_silence_in_scope(ctx, silence["matchers"])
    check_may_make(ctx, user, silence, moment)
    new_id = db.silences.replace(ctx.conn(), old, silence, user["username"], moment)
    return dict(db.silences.public(ctx.conn(), db.silences.get(ctx.conn(), new_id), moment), replaces=old["id"])


def parse_extension(body: dict, silence: dict, moment):
    """The new end of a silence: {"minutes": N} more than its end, or {"ends_at": time}."""
    refuse_unknown_fields(body, ("minutes", "ends_at"), InputError)
    if ("minutes" in body) == ("ends_at" in body):
        raise InputError("minutes", "give minutes (added to its end) or ends_at (its new end), one of them")
    if "ends_at" in body:
        return rules.parse_time("ends_at", body["ends_at"])
    minutes = body["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= limits.UNTIL_MINUTES_MAX:
        raise InputError("minutes", f"minutes must be a whole number from 1 to {limits.UNTIL_MINUTES_MAX}")
    return silence["ends_at"] + timedelta(minutes=minutes)


def extend_silence(silence_id):
    """Move the end of a silence not over, keeping it (its id, what it matches): later
    with {"minutes": N}, or to {"ends_at": time}. Its author or an admin; past
    silence_max_days it needs an admin, as a new silence does."""
    ctx, user, silence, moment = changeable(silence_id, "extending")
    if silence["ends_at"] is None:
        raise ApiError(409, f"silence {silence_id} has no end: there is nothing to extend", "ends_at")
    ends = parse_extension(ctx.read_object('{"minutes": N} or {"ends_at": "..."}'), silence, moment)
    if ends <= max(moment, silence["starts_at"]):
        raise InputError("ends_at", f"the new end ({ends.isoformat()}) is not after now and the silence's start")
    check_may_make(ctx, user, dict(silence, ends_at=ends), moment)
    if not db.silences.extend(ctx.conn(), silence, ends, user["username"], moment):
        raise ApiError(409, f"silence {silence_id} is already over", "id")
    return db.silences.public(ctx.conn(), db.silences.get(ctx.conn(), silence_id), moment)


def end_silence(silence_id):
    """End a silence now; it stays listed as expired. Its author or an admin."""
    ctx = context()
    user = ctx.require("operator")
    own_or_admin(user, load(ctx, silence_id))
    moment = now()
    if not db.silences.end(ctx.conn(), silence_id, user["username"], moment):
        raise ApiError(409, f"silence {silence_id} is already over", "id")
    return db.silences.public(ctx.conn(), db.silences.get(ctx.conn(), silence_id), moment)


def delete_silence(silence_id):
    """Delete a silence (ended now if it was not over). Its author or an admin."""
    ctx = context()
    user = ctx.require("operator")
    own_or_admin(user, load(ctx, silence_id))
    if not db.delete_silence(ctx.conn(), silence_id, user["username"], now()):
        raise no_such_silence(silence_id)
    return no_content()


def audit():
    """Who changed silences, machines and users, newest first (admin)."""
    ctx = context()
    ctx.require("admin")
    query = request.query.decode()
    for name in query.keys():
        if name not in ("kind", "limit", "offset"):
            raise InputError(name, f"unknown parameter {name!r}: expected kind, limit, offset")
    kind = query.get("kind")
    if kind is not None and kind not in AUDIT_KINDS:
        raise InputError("kind", f"unknown kind {kind!r}: expected {', '.join(AUDIT_KINDS)}")
    limit = parse_int(query, "limit", ctx.settings["page_size"], 1, ctx.settings["max_page_size"])
    offset = parse_int(query, "offset", 0, 0, limits.OFFSET_MAX)
    count, entries = db.list_audit(ctx.conn(), kind, limit, offset)
    return {"count": count, "results": entries}


ROUTES = (
    ("GET", "/api/silence", list_silences),
    ("POST", "/api/silence", add_silence),
    ("POST", "/api/silence/preview", preview_silence),
    ("GET", "/api/silence/<silence_id:int>", get_silence),
    ("PUT", "/api/silence/<silence_id:int>", edit_silence),
    ("DELETE", "/api/silence/<silence_id:int>", delete_silence),
    ("POST", "/api/silence/<silence_id:int>/extend", extend_silence),
    ("POST", "/api/silence/<silence_id:int>/end", end_silence),
    ("GET", "/api/audit", audit),
)
