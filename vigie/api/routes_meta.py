"""What answers anonymous clients about the service itself: /api/health and
/api/openapi.json."""

import sqlite3

from bottle import response

import vigie
from vigie.api import openapi
from vigie.api.context import context


def health():
    try:
        context().conn().execute("SELECT 1 FROM alerts LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        response.status = 503
        return {"status": "error", "database": str(exc), "version": vigie.__version__}
    return {"status": "ok", "database": "ok", "version": vigie.__version__}


def openapi_json():
    return openapi.spec(context().settings)


ROUTES = (
    ("GET", "/api/health", health),
    ("GET", "/api/openapi.json", openapi_json),
)
