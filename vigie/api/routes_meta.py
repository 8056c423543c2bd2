"""What answers anonymous clients about the service itself: /api/health and
/api/openapi.json."""

import sqlite3

from bottle import response

import vigie
from vigie import db
from vigie.api import openapi
from vigie.api.context import context
from vigie.api.errors import database_unavailable, is_unavailable

BUSY = "busy: another process holds the write lock (writes wait, then answer 503)"


def check_database(ctx) -> str:
    """'ok', or BUSY while another process holds the write lock; raises sqlite3.Error
    when the database cannot be read or written."""
    conn = ctx.conn()
    conn.execute("SELECT 1 FROM alerts LIMIT 1").fetchall()
    return "ok" if db.can_write(conn) else BUSY


def health():
    """200 when the database can be read and written (or its write lock is merely
    busy); 503 naming the cause otherwise. A connection that failed is opened again
    once, so a database made writable again is seen at once."""
    ctx = context()
    for attempt in (1, 2):
        try:
            writes = check_database(ctx)
            return {"status": "ok", "database": "ok", "writes": writes, "version": vigie.__version__}
        except sqlite3.Error as exc:
            if not is_unavailable(exc):
                raise
            ctx.database_failed(exc)
            ctx.give_back()  # closed, as the failure made it stale: the next try opens a new one
            failure = exc
    response.status = 503
    return {"status": "error", "database": database_unavailable(failure).message, "writes": "no",
            "version": vigie.__version__}


def openapi_json():
    return openapi.spec(context().settings)


ROUTES = (
    ("GET", "/api/health", health),
    ("GET", "/api/openapi.json", openapi_json),
)
