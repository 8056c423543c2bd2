"""Login, logout, who am I, users (admin), health and the OpenAPI document."""

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

from bottle import HTTPResponse, request, response

import vigie
from vigie import db
from vigie.api import auth, openapi
from vigie.api.errors import api_error

LOGIN_PAGE = Path(__file__).with_name("login.html")
USER_FIELDS = {"username", "role", "password"}


def set_session_cookies(token: str, hours: float, secure: bool):
    max_age = int(hours * 3600)
    response.set_cookie(auth.SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        max_age=max_age, secure=secure)
    response.set_cookie(auth.CSRF_COOKIE, auth.csrf_for(token), path="/", samesite="strict",
                        max_age=max_age, secure=secure)


def clear_session_cookies():
    for name in (auth.SESSION_COOKIE, auth.CSRF_COOKIE):
        response.delete_cookie(name, path="/")


def safe_next(target) -> str:
    """Only same-site paths after login: '/x' yes, '//evil' or 'http://...' no."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_user(ctx, username, password):
    """(token, expires_at, user) for good credentials; raise 400/401 otherwise."""
    if not isinstance(username, str) or not username:
        raise api_error(400, "username must be a non-empty string", "username")
    if not isinstance(password, str) or not password:
        raise api_error(400, "password must be a non-empty string", "password")
    conn = ctx.conn()
    user = auth.check_login(conn, username, password)
    if user is None:
        raise api_error(401, "wrong user name or password", headers={"WWW-Authenticate": 'Bearer realm="vigie"'})
    token, expires_at = auth.issue(conn, "sessions", username, ctx.settings["session_hours"])
    return token, expires_at, user


def register(app, ctx):
    secure = False  # served on 127.0.0.1 over HTTP; a TLS proxy in front may add Secure

    @app.post("/api/login")
    def api_login():
        body = ctx.read_json()
        if not isinstance(body, dict):
            raise api_error(400, "send a JSON object {\"username\": ..., \"password\": ...}")
        unknown = sorted(set(body) - {"username", "password"})
        if unknown:
            raise api_error(400, f"unknown field {unknown[0]!r}", unknown[0])
        token, expires_at, user = login_user(ctx, body.get("username"), body.get("password"))
        set_session_cookies(token, ctx.settings["session_hours"], secure)
        return {"token": token, "expires_at": expires_at, "user": user["username"], "role": user["role"]}

    @app.post("/api/logout")
    def api_logout():
        user = ctx.require("viewer")
        if user is not None and user.get("token"):
            hashed = auth.token_hash(user["token"])
            db.revoke_credential(ctx.conn(), "sessions", hashed) or db.revoke_credential(ctx.conn(), "tokens", hashed)
        clear_session_cookies()
        return {"logged_out": user is not None}

    @app.get("/api/me")
    def api_me():
        user = ctx.identify()
        if user is None:
            raise api_error(401, "not logged in", headers={"WWW-Authenticate": 'Bearer realm="vigie"'})
        return {"username": user["username"], "role": user["role"]}

    @app.get("/login")
    def login_page():
        response.content_type = "text/html; charset=utf-8"
        response.set_header("Cache-Control", "no-store")
        response.set_header("X-Frame-Options", "DENY")
        return LOGIN_PAGE.read_text(encoding="utf-8")

    @app.post("/login")
    def login_form():
        """The page's no-JavaScript path: a classic form post, then a redirect."""
        form = request.forms.decode()
        target = safe_next(form.get("next") or request.query.get("next"))
        try:
            token, _, _ = login_user(ctx, form.get("username"), form.get("password"))
        except HTTPResponse:
            raise HTTPResponse(status=303, headers={"Location": f"/login?failed=1&next={quote(target)}"})
        set_session_cookies(token, ctx.settings["session_hours"], secure)
        response.status = 303
        response.set_header("Location", target)
        return ""

    @app.get("/api/health")
    def health():
        try:
            ctx.conn().execute("SELECT 1 FROM alerts LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            response.status = 503
            return {"status": "error", "database": str(exc), "version": vigie.__version__}
        return {"status": "ok", "database": "ok", "version": vigie.__version__}

    @app.get("/api/openapi.json")
    def openapi_json():
        return openapi.spec(ctx.settings)

    # ---- users (admin)
    @app.get("/api/user")
    def list_users():
        ctx.require("admin")
        users = db.list_users(ctx.conn())
        return {"count": len(users), "results": users}

    @app.post("/api/user")
    def add_user():
        ctx.require("admin")
        body = ctx.read_json()
        if not isinstance(body, dict):
            raise api_error(400, "send a JSON object {\"username\", \"role\", \"password\"}")
        unknown = sorted(set(body) - USER_FIELDS)
        if unknown:
            raise api_error(400, f"unknown field {unknown[0]!r}", unknown[0])
        username, role, password = body.get("username"), body.get("role"), body.get("password")
        check_username(username)
        if role not in db.ROLES:
            raise api_error(400, f"role must be one of {', '.join(db.ROLES)}", "role")
        if not isinstance(password, str) or len(password) < 8:
            raise api_error(400, "password must be a string of at least 8 characters", "password")
        if db.get_user(ctx.conn(), username):
            raise api_error(409, f"user {username!r} already exists", "username")
        db.create_user(ctx.conn(), username, role, auth.hash_password(password))
        response.status = 201
        return {"username": username, "role": role}

    @app.delete("/api/user/<name>")
    def delete_user(name):
        user = ctx.require("admin")
        if name == user["username"]:
            raise api_error(409, "you cannot delete yourself", "username")
        if not db.delete_user(ctx.conn(), name):
            raise api_error(404, f"no user {name!r}", "username")
        response.status = 204
        return ""


USERNAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")


def check_username(username):
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        raise api_error(400, "username must be 1-64 letters, digits or . _ - @", "username")
