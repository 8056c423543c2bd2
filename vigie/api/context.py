"""The per-app Context handlers work with, and the one accessor that reaches it.

make_app builds one `Context` (settings, paths, a SQLite connection per
thread) and stores it in the Bottle app's config; a handler calls `context()`
to get the Context of the app serving the current request. The Context also
answers the questions every handler asks of a request: who is asking, may they,
and what JSON did they send.
"""

import json
import logging
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bottle import request, response

from vigie import db
from vigie.api import auth, throttle
from vigie.network_files import NetworkFiles
from vigie.api.errors import AUTH_CHALLENGE, ApiError, is_transient, unauthorized
from vigie.errors import InputError, refuse_unknown_fields
from vigie.roles import role_allows

log = logging.getLogger("vigie.api")
CONTEXT_KEY = "vigie.context"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def context() -> "Context":
    """The Context of the app handling the current request."""
    return request.app.config[CONTEXT_KEY]


class Context:
    def __init__(self, db_path, www_dir, machines_dir, settings):
        self.db_path = Path(db_path)
        self.www_dir = Path(www_dir)
        self.machines_dir = Path(machines_dir)
        self.settings = settings
        # the machines' parents and the cables, from the files, for the verdict of dependencies
        self.network = NetworkFiles(self.machines_dir, settings.get("topology"), settings.get("vantage", ()))
        self.password_cache = auth.PasswordCache()
        self.proxies = throttle.trusted_networks(settings.get("forwarded_allow_ips", ()))
        # Idle SQLite connections, (connection, generation, pid), lent to one request at
        # a time. A lasting failure raises the generation: every idle connection is
        # closed and every lent one is closed when given back, because SQLite keeps a
        # file's state (a read-only shared-memory file...) while any connection to it
        # is open in the process.
        self.idle = []
        self.lock = threading.Lock()
        self.generation = 0
        # The server's background checkpoint (vigie.db.checkpoint), told of each write.
        self.checkpointer = None

    # -- database
    def conn(self):
        """The connection of the current request (the same for all its calls)."""
        lent = request.environ.get("vigie.conn")
        if lent is None:
            lent = request.environ["vigie.conn"] = self._take()
        return lent[0]

    def _take(self):
        with self.lock:
            while self.idle:
                conn, generation, pid = self.idle.pop()
                if pid == os.getpid() and generation == self.generation:
                    return conn, generation, pid
                if pid == os.getpid():
                    conn.close()
            generation = self.generation
        return db.connect(self.db_path, timeout=self.settings["busy_seconds"]), generation, os.getpid()

    def give_back(self):
        """At the end of a request: its connection goes back to the idle ones."""
        lent = request.environ.pop("vigie.conn", None)
        if lent is None:
            return
        conn, generation, pid = lent
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            conn.close()
            return
        if self.checkpointer is not None and request.method in STATE_CHANGING:
            self.checkpointer.poke()
        with self.lock:
            if generation == self.generation and pid == os.getpid():
                self.idle.append(lent)
                return
        conn.close()

    def hash_password(self, password: str) -> str:
        """A new hash of `password` at this server's cost (api.password_cost)."""
        return auth.hash_password(password, self.settings["password_cost"])

    def check_login(self, conn, username, password, cache=None):
        """auth.check_login at this server's cost: an unknown user costs the hash a known one does."""
        return auth.check_login(conn, username, password, self.settings["password_cost"], cache=cache)

    def database_failed(self, exc):
        """A request met a database error: logged with the file's name; unless the write
        lock was merely busy, every connection is opened again on its next use."""
        if is_transient(exc):
            log.warning("database %s busy: %s", self.db_path, exc)
            return
        log.error("database %s: %s", self.db_path, exc)
        with self.lock:
            self.generation += 1
            stale, self.idle = self.idle, []
        for conn, _, pid in stale:
            if pid == os.getpid():
                conn.close()

    # -- who is asking
    def identify(self):
        """The user dict ({username, role, via, token}) of this request, or None when
        anonymous. Credentials that are present but wrong raise a 401."""
        cached = request.environ.get("vigie.user", False)
        if cached is not False:
            return cached
        user = self._identify()
        request.environ["vigie.user"] = user
        return user

    def _identify(self):
        header = request.get_header("Authorization", "")
        if header:
            scheme = header.split(" ", 1)[0].lower()
            if scheme == "basic":
                return self._basic(header)
            if scheme == "bearer":
                return self._bearer(header)
            raise unauthorized(f"unsupported authorization scheme {scheme!r}: use Basic or Bearer")
        session = request.get_cookie(auth.SESSION_COOKIE)
        if session:
            user = db.find_credential(self.conn(), "sessions", auth.token_hash(session))
            if user is not None:
                return dict(user, via="cookie", token=session)
        return None

    def _basic(self, header):
        pair = auth.parse_basic(header)
        try:
            user = self.login(*pair, cache=self.password_cache) if pair else None
        except ApiError as refused:  # throttled: for HTTP authentication, a 401 saying so
            raise ApiError(401, refused.message, headers=dict(refused.headers, **AUTH_CHALLENGE)) from None
        if user is None:
            raise unauthorized("wrong user name or password")
        return {"username": user["username"], "role": user["role"], "via": "basic"}

    def client_address(self) -> str:
        """The client's address: X-Forwarded-For only from a proxy in forwarded_allow_ips."""
        return throttle.client_address(request.environ.get("REMOTE_ADDR", ""),
                                       request.environ.get("HTTP_X_FORWARDED_FOR"), self.proxies)

    def login(self, username, password, cache=None, rules=throttle.RULES):
        """The user when the password is right, else None; a 429 while this user from
        this address, or this address, must wait (vigie/api/throttle.py: the password is
        then not even checked), unless the user logged in from this address lately."""
        address, now, conn = self.client_address(), time.time(), self.conn()
        *counts, stale_success = db.logins.state(conn, username, address, now, rules.forget_seconds,
                                                 rules.trust_days * 86400)
        wait = throttle.login_wait(throttle.State(*counts), now, rules)
        if wait:
            log.warning("login of %r from %s refused for %d s: too many failures", username, address, wait)
            raise ApiError(429, f"too many failed logins: try again in {wait} s", headers={"Retry-After": str(wait)})
        user = self.check_login(conn, username, password, cache=cache)
        if user is None:
            db.logins.failed(conn, username, address, now, rules.forget_seconds)
        elif counts[0] or stale_success:  # a write only when something changes
            db.logins.succeeded(conn, username, address, now, rules.trust_days * 86400)
        return user

    def _bearer(self, header):
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        hashed = auth.token_hash(token)
        conn = self.conn()
        user = db.find_credential(conn, "tokens", hashed) or db.find_credential(conn, "sessions", hashed)
        if user is None:
            raise unauthorized("unknown, expired or revoked token")
        return dict(user, via="bearer", token=token)

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
                raise ApiError(403, f"missing or wrong {auth.CSRF_HEADER} header (copy the {auth.CSRF_COOKIE} cookie)",
                               auth.CSRF_HEADER)
        if not role_allows(user["role"], role):
            raise ApiError(403, f"user {user['username']!r} has role {user['role']}; this needs {role}")
        return user

    def signed_in(self, role="viewer"):
        """require(role), and never an anonymous read (tokens, logout of a user...)."""
        user = self.require(role)
        if user is None:
            raise unauthorized("authentication required: log in, or send a Basic or Bearer Authorization header")
        return user

    # -- request bodies
    def has_body(self) -> bool:
        return request.content_length > 0 or bool(request.get_header("Transfer-Encoding"))

    def read_json(self):
        """The parsed JSON body; 413 when too large, 400 when not JSON."""
        limit = self.settings["max_body_bytes"]
        if request.content_length > limit:
            raise ApiError(413, f"request body of {request.content_length} bytes is over the limit of {limit}")
        raw = request.body.read(limit + 1)
        if len(raw) > limit:
            raise ApiError(413, f"request body is over the limit of {limit} bytes")
        if not raw.strip():
            raise ApiError(400, "request body is empty: send JSON")
        try:
            text = raw.decode("utf-8")
            data = json.loads(text, parse_int=json_int, parse_constant=no_json_constant)
        except UnicodeDecodeError:
            raise ApiError(400, "request body is not UTF-8") from None
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"malformed JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
        except RecursionError:
            raise ApiError(400, "JSON nested too deeply") from None
        except JsonValueError as exc:
            raise ApiError(400, f"malformed JSON: {exc}") from None
        return replace_lone_surrogates(data) if "\\u" in text else data

    def read_object(self, what: str) -> dict:
        """read_json, which must be a JSON object (`what` says what it should hold)."""
        body = self.read_json()
        if not isinstance(body, dict):
            raise ApiError(400, f"send a JSON object {what}")
        return body

    def page_url(self, params: dict) -> str:
        parts = request.urlparts
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(params, doseq=True)}"


class JsonValueError(ValueError):
    pass


def no_content() -> str:
    """The answer of a request that succeeded with nothing to say (a deletion): 204."""
    response.status = 204
    return ""


def json_int(text: str) -> int:
    """JSON integers as Python ints, refusing those too long to convert (Python's limit)."""
    if len(text.lstrip("-")) > sys.get_int_max_str_digits():
        raise JsonValueError(f"an integer of {len(text.lstrip('-'))} digits is too long "
                             f"(at most {sys.get_int_max_str_digits()})")
    return int(text)


def no_json_constant(name: str):
    """NaN and Infinity, which Python's parser accepts but JSON does not have."""
    raise JsonValueError(f"{name} is not a JSON number")


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


def reject_unknown_fields(body: dict, allowed):
    refuse_unknown_fields(body, allowed)
