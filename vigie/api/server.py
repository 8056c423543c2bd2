"""Serving the app with gunicorn, never Bottle's development server.

The workers are gunicorn's asyncio workers (worker.py): each reads requests
whole, within time and size limits, on its event loop, and runs the WSGI app
on a bounded pool of threads (wsgi_bridge.py), so slow or oversize clients
never hold the threads that answer everyone else.

The listening socket is bound here, before gunicorn starts, and handed to it as
`fd://N`: so port 0 works (the real port is read back, printed and optionally
written to a file) and a bind error is reported plainly. Each worker builds its
own app, hence its own SQLite connections.
"""

import gc
import logging
import socket
import sys
from pathlib import Path

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from vigie import db
from vigie.api import auth, limits
from vigie.api.context import CONTEXT_KEY
from vigie.api.wsgi_bridge import WsgiBridge
from vigie.atomic import atomic_write_text
from vigie.db.checkpoint import Checkpointer

log = logging.getLogger("vigie.api")


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def ensure_admin(db_path, password_cost: int, out=sys.stdout):
    """On first start (no user at all) create `admin` with a random password, saved
    beside the database (mode 0600) and shown once on a terminal, never in a log."""
    conn = db.connect(db_path)
    try:
        if db.count_users(conn):
            return None
        password = auth.generate_password()
        db.create_user(conn, "admin", "admin", auth.hash_password(password, password_cost))
    finally:
        conn.close()
    path = Path(db_path).parent / "admin.password"
    atomic_write_text(path, password + "\n", mode=0o600)
    log.info("first start: created user 'admin'; its password is in %s", path)
    if out is not None and out.isatty():
        print(f"First start: user 'admin', password: {password}  (also saved in {path})", file=out, flush=True)
    return path


class SharedLogger(glogging.Logger):
    """gunicorn's messages (and access log) through Vigie's own logging set-up, so they
    read like the rest under journald instead of carrying a second timestamp."""

    def setup(self, cfg):
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True


class GunicornApp(BaseApplication):
    def __init__(self, factory, options):
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.factory()


def bridged(factory, settings: dict):
    """A factory of the ASGI app the workers serve: the WSGI app behind the bridge,
    with the worker's background checkpoint of the database (vigie.db.checkpoint)."""
    def make():
        app = factory()
        ctx = app.config[CONTEXT_KEY]
        ctx.checkpointer = Checkpointer(ctx.db_path).start()
        # What the worker has built lives as long as it does: out of the collector's
        # sight (gc.freeze). A batch of alerts makes some 100,000 short-lived objects,
        # freed as they go; a young generation of 10,000 objects instead of 700 is
        # collected 14 times less often for them (cycles are rare here).
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        bridge = WsgiBridge(app, settings["threads"], settings["max_body_bytes"], settings["body_seconds"])
        bridge.header_seconds = settings["header_seconds"]
        return bridge
    return make


def gunicorn_options(settings: dict, fd: int) -> dict:
    return {
        "bind": [f"fd://{fd}"],
        "workers": max(1, settings["workers"]),
        "worker_class": "vigie.api.worker.Worker",
        "worker_connections": settings["connections"],
        "timeout": settings["timeout"],
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": limits.REQUEST_LINE_MAX,
        "forwarded_allow_ips": ",".join(settings["forwarded_allow_ips"]),  # the app's throttle believes the same
        "limit_request_fields": limits.HEADER_FIELDS_MAX,
        "limit_request_field_size": limits.HEADER_FIELD_MAX,
        "proc_name": "vigie-api",
        "control_socket_disable": True,  # several instances (tests, benches) must not share one
        "accesslog": "-" if settings["access_log"] else None,
        "errorlog": "-",
        "logger_class": "vigie.api.server.SharedLogger",
        "loglevel": "info",
    }


def serve(factory, settings: dict, port_file=None, out=sys.stdout) -> int:
    """Bind, report the address, then run gunicorn until it is told to stop."""
    try:
        sock = bind_socket(settings["host"], settings["port"])
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", settings["host"], settings["port"], exc.strerror)
        return 1
    port = sock.getsockname()[1]
    url = f"http://{settings['host']}:{port}"
    if port_file:
        atomic_write_text(port_file, f"{port}\n")
    print(f"Vigie API listening on {url}", file=out, flush=True)
    log.info("serving %s (site %s, machines %s) with %d worker(s) x %d thread(s); anonymous reads %s, CORS %s",
             settings["db"], settings["www"], settings["machines"], settings["workers"], settings["threads"],
             "on" if settings["anonymous_read"] else "off",
             ", ".join(settings["cors_origins"]) if settings["cors_origins"] else "off")
    GunicornApp(bridged(factory, settings), gunicorn_options(settings, sock.fileno())).run()
    return 0
