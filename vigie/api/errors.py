"""The one JSON error shape of the API: {"error": text, "field": name-or-null, ...}."""

import json

from bottle import HTTPResponse


def error_body(message: str, field=None, **extra) -> str:
    return json.dumps(dict({"error": message, "field": field}, **extra))


def api_error(status: int, message: str, field=None, headers=None, **extra) -> HTTPResponse:
    """An HTTPResponse to raise from a handler; the body is the one error shape."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return HTTPResponse(body=error_body(message, field, **extra), status=status, headers=all_headers)
