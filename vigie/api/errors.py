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


def convert_errors(callback):
    """Bottle plugin: every route's ApiError and InputError leave as the JSON shape."""
    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except (ApiError, InputError) as exc:
            return as_response(exc)
    return wrapper


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
