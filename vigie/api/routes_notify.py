"""/api/notify/... and /api/team...: channels, rules and teams (admins), and what was
told of an alert (anyone who may see the alert).

A channel's URL is a secret: it is answered as "********", and a "********" sent back
keeps the stored URL (so a page can change a channel's team without knowing its
URL). "Send a test" queues a message the notifier delivers like any other; its
state and attempts are read back with GET /api/notify/message/<id>.
"""

from bottle import response

from vigie import db, scope as scope_mod
from vigie.api import scoping
from vigie.api.context import context, no_content, reject_unknown_fields
from vigie.api.errors import ApiError
from vigie.notify import channels as channels_mod
from vigie.notify.rules import check_name, normalize_rule
from vigie.roles import role_allows

CHANNEL_FIELDS = ("name", "url", "team", "admin")
TEAM_FIELDS = ("name", "scope", "members")


# ---------------------------------------------------------------- channels

def public_channel(channel: dict) -> dict:
    """A channel as the API shows it: never its URL."""
    try:
        described = channels_mod.describe(channel["url"])
    except channels_mod.ChannelError:
        described = {"scheme": channels_mod.scheme_of(channel["url"]), "service": None}
    return {"name": channel["name"], "url": channels_mod.MASK, "scheme": described["scheme"],
            "service": described["service"], "team": channel["team"], "admin": channel["admin"],
            "created_at": channel["created_at"], "updated_at": channel["updated_at"]}


def _admin_conn():
    """The database connection, for an admin only (these resources are an admin's)."""
    ctx = context()
    ctx.require("admin")
    return ctx.conn()


def _or_404(found, kind: str, name):
    if found is None:
        raise ApiError(404, f"no {kind} {name!r}", "name")
    return found


def _listing(found: list) -> dict:
    return {"count": len(found), "results": found}


def _deleted(done: bool, kind: str, name):
    _or_404(done or None, kind, name)
    return no_content()


def _channel_or_404(conn, name):
    return _or_404(db.notify.get_channel(conn, name), "channel", name)


def list_channels():
    return _listing([public_channel(c) for c in db.notify.list_channels(_admin_conn())])


def get_channel(name):
    return public_channel(_channel_or_404(_admin_conn(), name))


def _admin_named_body(fields: tuple):
    """(connection, body, name) of an admin's JSON object holding only `fields`, one of
    them a valid `name`."""
    ctx = context()
    ctx.require("admin")
    body = ctx.read_object("{" + ", ".join(f'"{f}"' for f in fields) + "}")
    reject_unknown_fields(body, fields)
    return ctx.conn(), body, check_name(body.get("name"))


def put_channel():
    conn, body, name = _admin_named_body(CHANNEL_FIELDS)
    existing = db.notify.get_channel(conn, name)
    url = body.get("url")
    if url == channels_mod.MASK:
        if existing is None:
            raise ApiError(400, f"channel {name!r} does not exist yet: send its real url", "url")
        url = existing["url"]
    else:
        channels_mod.describe(url, channels_mod.Policy.from_settings(
            context().settings["channel_refused_networks"], context().settings["channel_headers"]))
        url = url.strip()
    team = body.get("team")
    if team is not None:
        team = check_name(team, "team")
        if db.teams.get_team(conn, team) is None:
            raise ApiError(400, f"no team {team!r}", "team")
    admin = body.get("admin", False)
    if not isinstance(admin, bool):
        raise ApiError(400, "admin must be true or false", "admin")
    saved = db.notify.put_channel(conn, name, url, team, admin)
    response.status = 200 if existing else 201
    return public_channel(saved)


def delete_channel(name):
    conn = _admin_conn()
    _channel_or_404(conn, name)
    users = db.notify.rules_using_channel(conn, name)
    if users:
        raise ApiError(409, f"channel {name!r} is used by rule(s) {', '.join(users)}: change them first", "name")
    db.notify.delete_channel(conn, name)
    return no_content()


def test_channel(name):
    ctx = context()
    user = ctx.require("admin")
    conn = ctx.conn()
    channel = _channel_or_404(conn, name)
    now = db.utc_now()
    title = f"[INFO] Vigie: test of channel {name}"
    text = f"A test sent by {user['username'] if user else 'someone'} at {now}. If you read this, the channel works."
    with db.transaction(conn):
        message_id = db.notify.add_message(conn, channel["id"], "test", title, text, {"type": "info"}, now)
    response.status = 202
    return {"message": message_id, "state": "pending"}


def get_message(message_id):
    ctx = context()
    ctx.require("admin")
    conn = ctx.conn()
    message = db.notify.get_message(conn, message_id) if db.fits_rowid(message_id) else None
    if message is None:
        raise ApiError(404, f"no message {message_id}", "id")
    channel = db.notify.get_channel(conn, channel_id=message["channel_id"])
    attempts = db.notify.attempts_of(conn, [message_id])[message_id]
    return {"id": message["id"], "kind": message["kind"], "state": message["state"],
            "channel": channel["name"] if channel else None, "title": message["title"],
            "created_at": message["created_at"], "delivered_at": message["delivered_at"],
            "last_error": message["last_error"], "attempts": attempts}


def alert_notifications(alert_id):
    """What was told of one alert: where, when, in which message, and every attempt."""
    ctx = context()
    ctx.require("viewer")
    conn = ctx.conn()
    alert = db.get_alert(conn, alert_id) if db.fits_rowid(alert_id) else None
    if alert is None or not scoping.alert_visible(ctx, alert):
        raise ApiError(404, f"no alert with id {alert_id}", "id")
    found = db.notify.notifications_of_alert(conn, alert_id)
    user = ctx.identify()
    if user is None or not role_allows(user["role"], "admin"):
        found = [only_the_outcome(n) for n in found]
    return _listing(found)


def only_the_outcome(notification: dict) -> dict:
    """What a non-admin sees of a notification: whether it was delivered, never what the
    channel answered (it may name the channel's host)."""
    failed = "delivery failed" if notification["last_error"] else None
    return dict(notification, last_error=failed, attempts=[
        dict(a, answer=None if a["ok"] is None else "delivered" if a["ok"] else "delivery failed")
        for a in notification["attempts"]])


# ---------------------------------------------------------------- rules

def _rule_view(rule: dict) -> dict:
    return {k: rule[k] for k in ("name", "team", "enabled", "match", "events", "steps", "group_wait_seconds",
                                 "repeat_minutes", "created_at", "updated_at")}


def list_rules():
    return _listing([_rule_view(r) for r in db.notify.list_rules(_admin_conn())])


def get_rule(name):
    return _rule_view(_or_404(db.notify.get_rule(_admin_conn(), name), "rule", name))


def put_rule():
    ctx = context()
    ctx.require("admin")
    rule = normalize_rule(ctx.read_object('{"name", "steps", ...}'))
    conn = ctx.conn()
    known = {c["name"] for c in db.notify.list_channels(conn)}
    for index, step in enumerate(rule["steps"]):
        missing = [c for c in step["channels"] if c not in known]
        if missing:
            raise ApiError(400, f"no channel {missing[0]!r}: add it first (POST /api/notify/channel)",
                           f"steps[{index}].channels")
    if rule["team"] is not None and db.teams.get_team(conn, rule["team"]) is None:
        raise ApiError(400, f"no team {rule['team']!r}", "team")
    existed = db.notify.get_rule(conn, rule["name"]) is not None
    saved = db.notify.put_rule(conn, rule)
    response.status = 200 if existed else 201
    return _rule_view(saved)


def delete_rule(name):
    return _deleted(db.notify.delete_rule(_admin_conn(), name), "rule", name)


# ---------------------------------------------------------------- teams

def list_teams():
    return _listing(db.teams.list_teams(_admin_conn()))


def get_team(name):
    return _or_404(db.teams.get_team(_admin_conn(), name), "team", name)


def put_team():
    conn, body, name = _admin_named_body(TEAM_FIELDS)
    team_scope = scope_mod.normalize_scope(body.get("scope"))
    members = body.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ApiError(400, "members must be a list of user names", "members")
    unknown = db.teams.unknown_users(conn, members)
    if unknown:
        raise ApiError(400, f"no user {unknown[0]!r}", "members")
    existed = db.teams.get_team(conn, name) is not None
    team = db.teams.put_team(conn, name, team_scope, sorted(set(members)))
    response.status = 200 if existed else 201
    return team


def delete_team(name):
    return _deleted(db.teams.delete_team(_admin_conn(), name), "team", name)


ROUTES = (
    ("GET", "/api/notify/channel", list_channels),
    ("POST", "/api/notify/channel", put_channel),
    ("GET", "/api/notify/channel/<name>", get_channel),
    ("DELETE", "/api/notify/channel/<name>", delete_channel),
    ("POST", "/api/notify/channel/<name>/test", test_channel),
    ("GET", "/api/notify/message/<message_id:int>", get_message),
    ("GET", "/api/alert/<alert_id:int>/notifications", alert_notifications),
    ("GET", "/api/notify/rule", list_rules),
    ("POST", "/api/notify/rule", put_rule),
    ("GET", "/api/notify/rule/<name>", get_rule),
    ("DELETE", "/api/notify/rule/<name>", delete_rule),
    ("GET", "/api/team", list_teams),
    ("POST", "/api/team", put_team),
    ("GET", "/api/team/<name>", get_team),
    ("DELETE", "/api/team/<name>", delete_team),
)
