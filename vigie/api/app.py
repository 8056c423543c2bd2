"""make_app: the Bottle application, built apart from serving it.

One `Context` carries the settings, the database path and a per-thread
connection; route modules register their handlers on the app with it.
Every error leaves as the one JSON shape of errors.py, including Bottle's own
404/405/413/500.
"""

import json
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlencode

import bottle
from bottle import request, response

from vigie import db
from vigie.api import auth, settings as settings_mod
from vigie.api.errors import api_error, error_body

log = logging.getLogger("vigie.api")

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


class Context:
    def __init__(self, db_path, www_dir, machines_dir, settings):
        self.db_path = Path(db_path)
        self.www_dir = Path(www_dir)
        self.machines_dir = Path(machines_dir)
        self.settings = settings
        self.local = threading.local()
        self.basic_cache = auth.BasicCache()

    # -- database
    def conn(self):
        """This thread's connection (opened again after a fork)."""
        local = self.local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = db.connect(self.db_path)
            local.pid = os.getpid()
        return local.conn

    # -- who is asking
    def identify(self):
        """The user dict ({username, role, via, session}) of this request, or None when
        anonymous. Credentials that are present but wrong raise a 401."""
        cached = request.environ.get("vigie.user", False)
        if cached is not False:
            return cached
        user = self._identify()
        request.environ["vigie.user"] = user
        return user

    def _identify(self):
        header = request.get_header("Authorization", "")
        conn = self.conn()
        if header:
            scheme = header.split(" ", 1)[0].lower()
            if scheme == "basic":
                pair = auth.parse_basic(header)
                user = auth.check_login(conn, *pair, cache=self.basic_cache) if pair else None
                if user is None:
                    raise unauthorized("wrong user name or password")
                return {"username": user["username"], "role": user["role"], "via": "basic"}
            if scheme == "bearer":
                token = header.split(" ", 1)[1].strip() if " " in header else ""
                hashed = auth.token_hash(token)
                user = db.find_credential(conn, "tokens", hashed) or db.find_credential(conn, "sessions", hashed)
                if user is None:
                    raise unauthorized("unknown, expired or revoked token")
                return dict(user, via="bearer", token=token)
            raise unauthorized(f"unsupported authorization scheme {scheme!r}: use Basic or Bearer")
        session = request.get_cookie(auth.SESSION_COOKIE)
        if session:
            user = db.find_credential(conn, "sessions", auth.token_hash(session))
            if user is not None:
                return dict(user, via="cookie", token=session)
        return None

    def require(self, role):
        """Check this request may act with `role`; return the user (None if anonymous read)."""
        user = self.identify()
        if user is None:
            if role == "viewer" and self.settings["anonymous_read"]:
                return None
            raise unauthorized("authentication required: log in, or send a Basic or Bearer Authorization header")
        if user["via"] == "cookie" and request.method in STATE_CHANGING:
            sent = request.get_header(auth.CSRF_HEADER, "")
            if not sent or sent != auth.csrf_for(user["token"]):
                raise api_error(403, f"missing or wrong {auth.CSRF_HEADER} header (copy the {auth.CSRF_COOKIE} cookie)",
                                auth.CSRF_HEADER)
        if not auth.role_allows(user["role"], role):
            raise api_error(403, f"user {user['username']!r} has role {user['role']}; this needs {role}")
        return user

    # -- request bodies
    def read_json(self):
        """The parsed JSON body; 413 when too large, 400 when not JSON."""
        limit = self.settings["max_body_bytes"]
        if request.content_length > limit:
            raise api_error(413, f"request body of {request.content_length} bytes is over the limit of {limit}")
        raw = request.body.read(limit + 1)
        if len(raw) > limit:
            raise api_error(413, f"request body is over the limit of {limit} bytes")
        if not raw.strip():
            raise api_error(400, "request body is empty: send JSON")
        try:
            text = raw.decode("utf-8")
            data = json.loads(text)
        except UnicodeDecodeError:
            raise api_error(400, "request body is not UTF-8") from None
        except json.JSONDecodeError as exc:
            raise api_error(400, f"malformed JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
        except RecursionError:
            raise api_error(400, "JSON nested too deeply") from None
        return replace_lone_surrogates(data) if "\\u" in text else data

    def page_url(self, params: dict) -> str:
        parts = request.urlparts
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(params, doseq=True)}"


def replace_lone_surrogates(value):
    """JSON may escape half a UTF-16 pair (\\ud800), which no UTF-8 text can hold: such
    halves become U+FFFD, as a browser would show them, instead of failing the write."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [replace_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    return value


def unauthorized(message):
    return api_error(401, message, headers={"WWW-Authenticate": 'Bearer realm="vigie"'})


def json_error_handler(err):
    response.content_type = "application/json"
    status = err.status_code
    if status == 404:
        message = f"no such resource: {request.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.path} (allowed: {response.get_header('Allow', '')})"
    elif status == 413:
        message = "request body too large"
    elif status >= 500:
        log.error("%s %s failed: %s", request.method, request.path, err.exception)
        message = "internal error, see the server log"
    else:
        message = str(err.body) if err.body else bottle.HTTP_CODES.get(status, "error")
    return error_body(message)


def strip_trailing_slash():
    path = request.environ["PATH_INFO"]
    if path.startswith("/api/") and path.endswith("/") and len(path) > 5:
        request.environ["PATH_INFO"] = path.rstrip("/")


def make_app(db_path, www_dir, machines_dir, settings=None):
    """The Bottle app serving /api/... and the site in www_dir behind the same login."""
    from vigie.api import routes_alerts, routes_auth, routes_machines, routes_site, routes_tokens

    settings = dict(settings_mod.defaults(), **(settings or {}))
    bottle.BaseRequest.MEMFILE_MAX = settings["max_body_bytes"]
    ctx = Context(db_path, www_dir, machines_dir, settings)
    conn = ctx.conn()  # creates the schema now, not on the first request
    app = bottle.Bottle(catchall=True)
    app.config["vigie.context"] = ctx
    app.default_error_handler = json_error_handler
    app.add_hook("before_request", strip_trailing_slash)

    @app.hook("after_request")
    def common_headers():
        response.set_header("X-Content-Type-Options", "nosniff")
        response.set_header("Referrer-Policy", "same-origin")
        origin = request.get_header("Origin")
        if origin and origin in settings["cors_origins"]:
            response.set_header("Access-Control-Allow-Origin", origin)
            response.set_header("Vary", "Origin")

    routes_auth.register(app, ctx)
    routes_alerts.register(app, ctx)
    routes_machines.register(app, ctx)
    routes_tokens.register(app, ctx)
    routes_site.register(app, ctx)
    if settings["cors_origins"]:
        _add_cors_preflight(app, ctx)
    del conn
    return app


def _add_cors_preflight(app, ctx):
    @app.route("/api/<path:path>", method="OPTIONS")
    def preflight(path):
        origin = request.get_header("Origin")
        if origin not in ctx.settings["cors_origins"]:
            raise api_error(403, f"origin {origin!r} is not allowed", "Origin")
        response.status = 204
        response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
        response.set_header("Access-Control-Allow-Headers", f"Authorization, Content-Type, {auth.CSRF_HEADER}")
        response.set_header("Access-Control-Max-Age", "600")
        return ""
