"""A real API server for tests: `python api.py serve` under gunicorn on 127.0.0.1, port 0.

    server = start_api(tmp_path)            # or the `api_server` fixture
    requests.get(server.url + "/api/alert", headers=server.viewer.headers)
    server.stop(); server.start()           # same port, same database

It has three users, one per role: `.admin` (made by the server's first start),
`.operator`, `.viewer`; each with `.username`, `.password`, `.token` (a bearer
token) and `.headers` (the Authorization header for that token).
"""

import atexit
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

from vigie import db  # noqa: E402
from vigie.api import auth  # noqa: E402
from vigie.api.settings import FOLDERS  # noqa: E402
from vigie.config import toml_value  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.api_wsgi import PASSWORD_COST, password_hash  # noqa: E402


_RUNNING = set()


def _stop_with_parent():
    """In the child: get SIGTERM when the process that started us dies (Linux), so a
    test run that is killed leaves no server behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@atexit.register
def _stop_all():
    for server in list(_RUNNING):
        server.stop()


@dataclass
class User:
    username: str
    password: str
    token: str
    role: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def basic(self) -> tuple:
        return (self.username, self.password)


def settings_file(settings: dict) -> str:
    """A configuration file setting the API's `settings` (flat keys, as make_app takes them):
    the folders in [paths], the rest in [api]."""
    sections = {"paths": [], "api": []}
    for key, value in settings.items():
        sections["paths" if key in FOLDERS else "api"].append(f"{key} = {toml_value(value)}\n")
    return "".join(f"[{name}]\n" + "".join(lines) for name, lines in sections.items())


class ApiServer:
    def __init__(self, tmp_path, workers=1, threads=4, settings=None, extra_args=(), wrapper=()):
        self.root = Path(tmp_path) / "api"
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "data" / "vigie.db"
        self.www_dir = self.root / "www"
        self.machines_dir = self.root / "machines"
        for folder in (self.db_path.parent, self.www_dir, self.machines_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.db_path.exists():
            databases.migrated(self.db_path)  # what the server's first start makes, without its 40-70 ms
        self.workers, self.threads = workers, threads
        self.settings = {"password_cost": PASSWORD_COST, **(settings or {})}
        self.extra_args = list(extra_args)
        self.wrapper = list(wrapper)  # a command the server runs under (e.g. setpriv)
        self.port = 0
        self.process = None
        self.url = None
        self.admin = self.operator = self.viewer = None

    def command(self) -> list:
        cmd = self.wrapper + [sys.executable, str(REPO_ROOT / "api.py"), "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--port-file", str(self.root / "port"), "--db", str(self.db_path),
               "--www", str(self.www_dir), "--machines", str(self.machines_dir),
               "--workers", str(self.workers), "--threads", str(self.threads)]
        if self.settings:
            config = self.root / "api.toml"
            config.write_text(settings_file(self.settings))
            cmd += ["--config", str(config)]
        return cmd + self.extra_args

    def start(self, timeout=20.0, healthy=True):
        """Start and wait until /api/health answers 200 (any answer with healthy=False)."""
        port_file = self.root / "port"
        if port_file.exists():
            port_file.unlink()
        self.log = open(self.root / "server.log", "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("JOURNAL_STREAM", None)
        self.process = subprocess.Popen(self.command(), cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                        preexec_fn=_stop_with_parent)
        _RUNNING.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"api server exited with {self.process.returncode}:\n{self.log_text()}")
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                self.url = f"http://127.0.0.1:{self.port}"
                try:
                    if requests.get(self.url + "/api/health", timeout=2).status_code == 200 or not healthy:
                        return self
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"api server did not answer within {timeout}s:\n{self.log_text()}")

    def stop(self, timeout=15.0):
        _RUNNING.discard(self)
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def log_text(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self, username, role, password=None) -> User:
        """A user created straight in the database, with a bearer token."""
        password = password or f"{username}-secret-pw"
        conn = db.connect(self.db_path)
        try:
            if db.get_user(conn, username) is None:
                db.create_user(conn, username, role, password_hash(password))
            token, _ = auth.issue(conn, "tokens", username, 24, label="tests")
        finally:
            conn.close()
        return User(username, password, token, role)

    def setup_users(self):
        password = (self.db_path.parent / "admin.password").read_text().strip()
        conn = db.connect(self.db_path)
        try:
            token, _ = auth.issue(conn, "tokens", "admin", 24, label="tests")
        finally:
            conn.close()
        self.admin = User("admin", password, token, "admin")
        self.operator = self.add_user("operator", "operator")
        self.viewer = self.add_user("viewer", "viewer")
        return self


def start_api(tmp_path, **opts) -> ApiServer:
    """Start a server (workers=1, threads=4 unless given; settings={...} for a config
    file; extra_args=[...] for more flags) with its three users."""
    server = ApiServer(tmp_path, **opts)
    server.start()
    try:
        return server.setup_users()
    except BaseException:
        server.stop()
        raise
