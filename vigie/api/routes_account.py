"""Looking after accounts from the web page: an admin changes a user's role, resets a
password or ends a user's browser sessions; everyone changes their own password.

A new password ends every token and session of the user (vigie.db.set_user): whoever
held the old one keeps nothing it gave. Whoever makes the change from a browser gets a
new session at once, so they stay logged in. Ending a user's sessions leaves their
bearer tokens, made for scripts, to be revoked on their own (`DELETE /api/token/<id>`).
"""

from vigie import db
from vigie.api import auth
from vigie.api.context import context, reject_unknown_fields
from vigie.api.errors import ApiError, unauthorized
from vigie.api.routes_auth import secure_cookies, set_session_cookies
from vigie.errors import InputError

CHANGE_FIELDS = ("role", "password")
PASSWORD_FIELDS = ("current", "new")


def existing_user(ctx, name):
    user = db.get_user(ctx.conn(), name)
    if user is None:
        raise ApiError(404, f"no user {name!r}", "username")
    return user


def change_user(name):
    """PATCH /api/user/<name>: {"role"} and/or {"password"}."""
    ctx = context()
    admin = ctx.require("admin")
    body = ctx.read_object('{"role": ..., "password": ...}')
    reject_unknown_fields(body, CHANGE_FIELDS)
    if not body:
        raise InputError("role", "send a new role, a new password, or both")
    user = existing_user(ctx, name)
    role = auth.check_role(body["role"]) if "role" in body else None
    password = auth.check_password(body["password"]) if "password" in body else None
    if role is not None and name == admin["username"] and role != user["role"]:
        raise ApiError(409, "you cannot change your own role (another admin can)", "role")
    conn = ctx.conn()
    ended = ended_by_password(conn, name, admin) if password else {"sessions_ended": 0, "tokens_revoked": 0}
    db.set_user(conn, name, role=role, password_hash=ctx.hash_password(password) if password else None)
    if password and name == admin["username"]:
        stay_logged_in(ctx, admin)
    changes = {k: v for k, v in (("role", role), ("password", "reset" if password else None)) if v is not None}
    db.record_audit(conn, admin["username"], "change", "user", name, dict(changes, **ended))
    return dict({"username": name, "role": role or user["role"]}, **ended)


def end_sessions(name):
    """DELETE /api/user/<name>/sessions: log a user out of every browser."""
    ctx = context()
    admin = ctx.require("admin")
    existing_user(ctx, name)
    ended = db.revoke_user_sessions(ctx.conn(), name, keep=_own_session(admin))
    db.record_audit(ctx.conn(), admin["username"], "end-sessions", "user", name, {"sessions_ended": ended})
    return {"username": name, "sessions_ended": ended}


def change_own_password():
    """POST /api/me/password: {"current", "new"}; other sessions end, this one goes on."""
    ctx = context()
    me = ctx.signed_in("viewer")
    body = ctx.read_object('{"current": ..., "new": ...}')
    reject_unknown_fields(body, PASSWORD_FIELDS)
    current = body.get("current")
    if not isinstance(current, str) or not current:
        raise InputError("current", "current must be your current password")
    try:
        new = auth.check_password(body.get("new"))
    except InputError as exc:
        raise InputError("new", exc.message.replace("password", "new password", 1)) from None
    conn = ctx.conn()
    if ctx.check_login(conn, me["username"], current) is None:
        raise ApiError(403, "the current password is wrong", "current")
    if new == current:
        raise InputError("new", "the new password is the current one")
    ended = ended_by_password(conn, me["username"], me)
    db.set_user(conn, me["username"], password_hash=ctx.hash_password(new))
    stay_logged_in(ctx, me)
    db.record_audit(conn, me["username"], "change", "user", me["username"], dict({"password": "changed"}, **ended))
    return dict({"username": me["username"]}, **ended)


def ended_by_password(conn, username: str, caller: dict) -> dict:
    """What a new password of `username` ends (counted before): their other sessions, their tokens."""
    own = _own_session(caller) if caller["username"] == username else None
    return {"sessions_ended": db.count_live_credentials(conn, "sessions", username, keep=own),
            "tokens_revoked": db.count_live_credentials(conn, "tokens", username, keep=own)}


def stay_logged_in(ctx, caller: dict) -> None:
    """After one's own new password (which ended every session), a browser gets a new one."""
    if caller.get("via") == "cookie":
        token, _ = auth.issue(ctx.conn(), "sessions", caller["username"], ctx.settings["session_hours"])
        set_session_cookies(token, ctx.settings["session_hours"], secure_cookies(ctx))


def _own_session(user):
    """The hash of the session the caller is using, kept when theirs are ended."""
    return auth.token_hash(user["token"]) if user and user.get("token") else None


ROUTES = (
    ("PATCH", "/api/user/<name>", change_user),
    ("DELETE", "/api/user/<name>/sessions", end_sessions),
    ("POST", "/api/me/password", change_own_password),
)
