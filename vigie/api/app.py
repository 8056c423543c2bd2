"""make_app: the Bottle application, built apart from serving it.

Each routes_*.py module defines its handlers at module level and lists them in
its ROUTES table; make_app binds them, stores the app's Context (context.py)
where the handlers find it, and installs the one conversion of errors into the
JSON shape of errors.py, Bottle's own 404/405/413/500 included.
"""

import bottle
from bottle import request, response

from vigie import db
from vigie.api import (auth, routes_account, routes_alerts, routes_auth, routes_availability, routes_device_log,
                       routes_discovery, routes_machines, routes_meta, routes_metrics, routes_notify, routes_probe,
                       routes_silences, routes_site, routes_tokens, routes_topology, routes_traffic, routes_users,
                       routes_webhooks, settings as settings_mod)
from vigie.api.context import CONTEXT_KEY, Context, context
from vigie.api.errors import ApiError, bottle_error, convert_errors

# the site's catch-all route comes last
ROUTE_MODULES = (routes_meta, routes_auth, routes_users, routes_account, routes_alerts, routes_silences,
                 routes_probe, routes_discovery, routes_machines, routes_device_log, routes_topology, routes_traffic,
                 routes_availability, routes_metrics, routes_webhooks, routes_tokens, routes_notify, routes_site)


def strip_trailing_slash():
    path = request.environ["PATH_INFO"]
    if path.startswith("/api/") and path.endswith("/") and len(path) > 5:
        request.environ["PATH_INFO"] = path.rstrip("/")


def common_headers():
    response.set_header("X-Content-Type-Options", "nosniff")
    response.set_header("Referrer-Policy", "same-origin")
    origin = request.get_header("Origin")
    if origin and origin in context().settings["cors_origins"]:
        response.set_header("Access-Control-Allow-Origin", origin)
        response.set_header("Vary", "Origin")


def cors_preflight(path):
    origin = request.get_header("Origin")
    if origin not in context().settings["cors_origins"]:
        raise ApiError(403, f"origin {origin!r} is not allowed", "Origin")
    response.status = 204
    response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
    response.set_header("Access-Control-Allow-Headers", f"Authorization, Content-Type, {auth.CSRF_HEADER}")
    response.set_header("Access-Control-Max-Age", "600")
    return ""


def make_app(db_path, www_dir, machines_dir, settings=None):
    """The Bottle app serving /api/... and the site in www_dir behind the same login."""
    settings = dict(settings_mod.defaults(), **(settings or {}))
    bottle.BaseRequest.MEMFILE_MAX = settings["max_body_bytes"]
    ctx = Context(db_path, www_dir, machines_dir, settings)
    db.connect(ctx.db_path).close()  # creates the schema now, not on the first request
    app = bottle.Bottle(catchall=True)
    app.config[CONTEXT_KEY] = ctx
    app.default_error_handler = bottle_error
    app.install(convert_errors(ctx.database_failed, ctx.give_back))
    app.add_hook("before_request", strip_trailing_slash)
    app.add_hook("after_request", common_headers)
    routes = [route for module in ROUTE_MODULES for route in module.ROUTES]
    if settings["cors_origins"]:
        routes.insert(0, ("OPTIONS", "/api/<path:path>", cors_preflight))
    for method, path, handler in routes:
        app.route(path, method, handler)
    return app
