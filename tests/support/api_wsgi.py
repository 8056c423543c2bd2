"""In-process WSGI client for the API app: fast tests of every endpoint and error
without a socket (the real-server tests use tests/support/api_server.py)."""

import base64
import io
import json as jsonlib
import shutil
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parents[2]

from vigie import db  # noqa: E402
from vigie.api import auth  # noqa: E402
from vigie.api.app import make_app  # noqa: E402
from tests.support import databases  # noqa: E402

ROLES = ("viewer", "operator", "admin")
_HASHES = {}  # scrypt is slow on purpose; tests reuse one hash per password
# The cheapest cost api.password_cost allows: the tests' apps and servers check
# passwords thousands of times, and what they test does not depend on the cost.
PASSWORD_COST = 10


def password_hash(password: str) -> str:
    """The scrypt hash of a password, computed once per process."""
    if password not in _HASHES:
        _HASHES[password] = auth.hash_password(password, PASSWORD_COST)
    return _HASHES[password]


class Answer:
    def __init__(self, status, headers, body):
        self.status = int(status.split()[0])
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def cookies(self) -> dict:
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    jar[name] = morsel
        return jar

    @property
    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return f"<Answer {self.status} {self.body[:200]!r}>"


class Client:
    def __init__(self, app):
        self.app = app

    def request(self, method, path, query=None, json=None, body=None, headers=None, auth=None, cookies=None):
        if json is not None:
            body = jsonlib.dumps(json).encode()
        body = body if isinstance(body, bytes) else (body or "").encode()
        headers = dict(headers or {})
        if json is not None:
            headers.setdefault("Content-Type", "application/json")
        if auth is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path,
            "QUERY_STRING": urlencode(query, doseq=True) if isinstance(query, (dict, list)) else (query or ""),
            "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in headers.items():
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[name] = value
            else:
                environ["HTTP_" + name] = value
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"], captured["headers"] = status, response_headers

        chunks = self.app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Answer(captured["status"], captured["headers"], data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Api:
    """An app over a fresh database in tmp_path, with one user and token per role.

    The database is a copy of a migrated template (tests/support/databases.py), so an
    Api costs a few milliseconds. A fixture that fills one Api for many tests builds it
    once (module or session scope) and gives each test `api.copy(tmp_path)`."""

    def __init__(self, tmp_path, _copy_of=None, **settings):
        self.root = Path(tmp_path)
        self.db_path = self.root / "vigie.db"
        self.www_dir = self.root / "www"
        self.machines_dir = self.root / "machines"
        self.www_dir.mkdir(parents=True, exist_ok=True)
        self.machines_dir.mkdir(parents=True, exist_ok=True)
        if _copy_of is None:
            databases.migrated(self.db_path)
        folders = {key: str(self.root / key) for key in ("samples", "logs", "alertfiles", "discovery")}
        folders["topology"] = str(self.root / "topology.json")
        self.settings = {**folders, "password_cost": PASSWORD_COST, **settings}
        self.app = make_app(self.db_path, self.www_dir, self.machines_dir, self.settings)
        self.client = Client(self.app)
        self.conn = db.connect(self.db_path)
        if _copy_of is not None:
            self.tokens, self.passwords = dict(_copy_of.tokens), dict(_copy_of.passwords)
            return
        self.tokens, self.passwords = {}, {}
        for role in ROLES:
            self.passwords[role] = f"{role}-password"
            db.create_user(self.conn, role, role, password_hash(self.passwords[role]))
            self.tokens[role], _ = auth.issue(self.conn, "tokens", role, 1)

    def copy(self, tmp_path, **settings) -> "Api":
        """A new Api in tmp_path over a copy of this one's database and folder (site,
        machines, samples...), with the same users, tokens and settings (`settings`
        changes some); attributes a fixture set on this one (the ids of what it made) are
        carried over. Settings that named a path inside this Api's folder name the copy's."""
        tmp_path = Path(tmp_path)
        database = shutil.ignore_patterns(self.db_path.name + "*")
        shutil.copytree(self.root, tmp_path, ignore=database, dirs_exist_ok=True)
        databases.copy(self.db_path, tmp_path / self.db_path.name)
        moved = {key: str(tmp_path / Path(value).relative_to(self.root))
                 for key, value in self.settings.items()
                 if isinstance(value, str) and Path(value).is_relative_to(self.root)}
        twin = Api(tmp_path, _copy_of=self, **{**self.settings, **moved, **settings})
        for key, value in vars(self).items():
            if not hasattr(twin, key):
                setattr(twin, key, value)
        return twin

    def headers(self, role) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def call(self, method, path, role="admin", headers=None, **kw):
        return self.client.request(method, path, headers=dict(self.headers(role), **(headers or {})), **kw)


def alert(**overrides) -> dict:
    record = {"timestamp": "2026-11-22T10:15:03+00:00", "server": "web-01", "severity": "CRITICAL",
              "message": "Disk space running low.", "provider": "Acme", "application": "billing",
              "environment": "prod"}
    record.update(overrides)
    return record
