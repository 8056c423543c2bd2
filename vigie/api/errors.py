"""The one JSON error shape of the API, {"error": text, "field": name-or-null, ...},
and the one place that turns errors into it.

Handlers and validators raise exceptions, never responses: a domain error
(`vigie.errors.InputError`, e.g. AlertError or MachineConfigError) becomes a 400
naming its field; an `ApiError` carries its own status (401, 403, 404, 409,
413...). `convert_errors`, installed on the app as a Bottle plugin, turns both
into the JSON answer; `bottle_error` does the same for Bottle's own 404, 405
and 500.
"""

import functools
import json
import logging
import sqlite3

import bottle
from bottle import HTTPResponse, request, response

from vigie.errors import InputError

log = logging.getLogger("vigie.api")
AUTH_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vigie"'}


class ApiError(Exception):
    """An answer other than success: status, message, field, headers, extra keys."""

    def __init__(self, status: int, message: str, field=None, headers=None, **extra):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers, self.extra = dict(headers or {}), extra


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers=AUTH_CHALLENGE)


def error_body(message: str, field=None, **extra) -> str:
    return json.dumps(dict({"error": message, "field": field}, **extra))


def error_response(status: int, message: str, field=None, headers=None, **extra) -> HTTPResponse:
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return HTTPResponse(body=error_body(message, field, **extra), status=status, headers=all_headers)


def as_response(exc) -> HTTPResponse:
    """The JSON answer for an ApiError or an InputError (400)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, exc.field, exc.headers, **exc.extra)
    return error_response(400, exc.message, exc.field, **exc.extra)


RETRY_AFTER_SECONDS = 5
_DATABASE_CAUSES = {  # SQLite's primary result code -> what a person is told
    sqlite3.SQLITE_BUSY: "the database is busy: another process holds its write lock; try again shortly",
    sqlite3.SQLITE_LOCKED: "the database is busy; try again shortly",
    sqlite3.SQLITE_READONLY: "the database cannot be written: its file or folder is read-only for the server",
    sqlite3.SQLITE_FULL: "the database cannot be written: the disk is full",
    sqlite3.SQLITE_IOERR: "the database cannot be read or written: input/output error",
    sqlite3.SQLITE_CANTOPEN: "the database cannot be opened: its file or folder is missing or not accessible",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged",
    sqlite3.SQLITE_NOTADB: "the database file is not an SQLite database",
}
TRANSIENT = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def database_unavailable(exc: sqlite3.Error) -> ApiError:
    """The 503 for a database that cannot serve the request, naming the cause (and
    never the file's path: the server log has it). Busy: try again after a while."""
    code = _primary_code(exc)
    message = _DATABASE_CAUSES.get(code, f"the database failed ({getattr(exc, 'sqlite_errorname', None) or exc})")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code in TRANSIENT else {}
    return ApiError(503, message, headers=headers)


def _primary_code(exc) -> int:
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def is_transient(exc: sqlite3.Error) -> bool:
    """The write lock is taken: the same request may succeed in a moment."""
    return _primary_code(exc) in TRANSIENT


def is_unavailable(exc: sqlite3.Error) -> bool:
    """The database itself cannot serve (busy, read-only, full, damaged...), as opposed
    to a bad statement."""
    return _primary_code(exc) in _DATABASE_CAUSES


def convert_errors(on_database_error=None, finally_=None):
    """A Bottle plugin: every route's ApiError and InputError leave as the JSON shape,
    and a database that fails as a 503 naming the cause. `on_database_error(exc)` is
    told first (to log it, and to reopen connections after a lasting failure);
    `finally_()` runs after every request (to give its connection back)."""
    def plugin(callback):
        @functools.wraps(callback)
        def wrapper(*args, **kwargs):
            try:
                return callback(*args, **kwargs)
            except (ApiError, InputError) as exc:
                return as_response(exc)
            except sqlite3.DatabaseError as exc:
                if not is_unavailable(exc):  # a constraint or an SQL error is a bug: a 500, logged
                    raise
                if on_database_error:
                    on_database_error(exc)
                return as_response(database_unavailable(exc))
            finally:
                if finally_:
                    finally_()
        return wrapper
    return plugin


def bottle_error(err):
    """Bottle's default error handler: its own errors in the same shape."""
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
