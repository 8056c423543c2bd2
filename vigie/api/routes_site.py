"""The built site (www/) at /, behind the same login as the API's reads.

A member of a scoped team gets only what the scope shows (scoped_page below).
Every decision is taken on the path that will be opened: `site_path` normalises
the request's path first (no `..` segment, nothing outside www/), so an escaped
`..%2f` cannot lead a decision taken on `static/` to another page. A folder is
redirected to its page only when that page may be shown, so the answer never
tells a member that a folder it may not see exists.

An anonymous browser is sent to /login?next=<page>; a page found is served
with no-cache so a rebuilt site shows at once. The login page and the static
files it needs are open to anyone. A page that does not exist is a 404 page
to a browser and the API's JSON error to any other client.
"""

import mimetypes
import posixpath
import re
from urllib.parse import quote

from bottle import HTTPResponse, request, static_file

from vigie import machines as mc, scope
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError

LOGIN_PAGE = "login.html"
HASHED = re.compile(r"static/[A-Za-z0-9_.]+-[0-9a-f]{12}\.[A-Za-z0-9.]+")   # a content-hashed asset
IMMUTABLE_SECONDS = 365 * 24 * 3600
NOT_FOUND_PAGE = "404.html"
FALLBACK_404 = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · Vigie</title>"
                "</head><body><h1>No page at this address</h1><p><a href=\"/\">Back to the dashboard</a></p>"
                "</body></html>")


def login_redirect() -> HTTPResponse:
    target = quote(request.fullpath + (f"?{request.query_string}" if request.query_string else ""))
    return HTTPResponse(status=303, headers={"Location": f"/login?next={target}"})


def site_path(raw: str):
    """The path under www/ that a request's path names, normalised ("a//b/./c" ->
    "a/b/c", "" for the root), or None when it steps out (a ".." segment) or holds a
    backslash or a NUL. Pure: every decision of this module is taken on what it
    returns, and it is what is opened."""
    if "\\" in raw or "\0" in raw:
        return None
    segments = [s for s in raw.split("/") if s not in ("", ".")]
    if ".." in segments:
        return None
    return posixpath.join(*segments) if segments else ""


def open_to_anyone(path: str) -> bool:
    """The login page and the static files (code and style, no data) need no login
    (`path` as site_path returns it)."""
    return path == LOGIN_PAGE or path.startswith("static/")


def wants_html() -> bool:
    """A browser asking for a page (Accept names text/html before any JSON)."""
    accept = request.get_header("Accept") or ""
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def not_found(ctx):
    if not wants_html():
        raise ApiError(404, f"no page {request.path} (has the site been built?)")
    page = ctx.www_dir / NOT_FOUND_PAGE
    body = page.read_bytes() if page.is_file() else FALLBACK_404.encode("utf-8")
    raise HTTPResponse(body=body, status=404, headers={"Content-Type": "text/html; charset=utf-8",
                                                        "Cache-Control": "no-cache"})


# pages holding no alert nor machine (the reports' figures come from the API, scoped there; the
# map's come from map.json, a scoped page)
SHARED = ("login.html", "notify.html", "404.html", "users.html", "account.html", "reports.html", "map.html")


def scoped_page(ctx, path: str, scopes) -> str:
    """What a member of a scoped team may see at `path`: the assets and the pages that
    hold nothing of any team; the machine pages of the machines in scope; the builder's
    copy for their scopes of the pages that mix every team's (dashboard, console,
    devices). Anything else answers as a page that does not exist."""
    if path.startswith("static/") or path in SHARED:
        return path
    name = machine_of(path)
    if name is not None:
        try:
            config = mc.load_machine(ctx.machines_dir / f"{mc.check_name(name)}.json")
        except (mc.MachineConfigError, OSError):
            not_found(ctx)
        if not scope.in_any_scope(scopes, scope.machine_fields(name, config)):
            not_found(ctx)
        return path
    if path in scope.SCOPED_PAGES:
        copy = f"{scope.SCOPED_DIR}/{scope.scopes_key(scopes)}/{path}"
        if not (ctx.www_dir / copy).is_file():
            raise ApiError(503, "your team's pages are written at the next site build: try again in a few minutes")
        return copy
    not_found(ctx)


def machine_of(path: str):
    """The machine whose page (machines/<name>.html) or page data (machines/<name>/...)
    `path` is, or None."""
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == "machines" and parts[1].endswith(".html"):
        return parts[1][:-len(".html")]
    if len(parts) >= 3 and parts[0] == "machines":
        return parts[1]
    return None


def page_of(ctx, raw: str, path: str):
    """(page to serve, folder asked without its slash): the folder's index.html for
    the root or a path ending in "/"."""
    if path == "":
        return "index.html", False
    if raw.endswith("/"):
        return f"{path}/index.html", False
    return path, (ctx.www_dir / path).is_dir()


def allowed_page(ctx, page: str) -> str:
    """The page to open for this user: `page` itself, or the copy their scope shows;
    a 404 when their scope does not show it."""
    scopes = scoping.current_scopes(ctx)
    return page if scopes is None else scoped_page(ctx, page, scopes)


def serve(path):
    ctx = context()
    raw, path = path, site_path(path)
    if path is None:
        not_found(ctx)
    if not open_to_anyone(path):
        try:
            ctx.require("viewer")
        except ApiError as refused:
            if refused.status == 401 and not request.get_header("Authorization"):
                raise login_redirect() from None
            raise
    page, folder = page_of(ctx, raw, path)
    if folder:  # redirected only when its page exists and may be shown: no folder oracle
        shown = allowed_page(ctx, f"{path}/index.html")
        if not (ctx.www_dir / shown).is_file():
            not_found(ctx)
        raise HTTPResponse(status=301, headers={"Location": "/" + quote(path) + "/"})
    path = allowed_page(ctx, page)
    if HASHED.fullmatch(path):
        return hashed_asset(ctx, path)
    answer = static_file(path, root=str(ctx.www_dir))
    if answer.status_code == 404:
        not_found(ctx)
    if answer.status_code >= 400:
        raise ApiError(answer.status_code, f"cannot serve {request.path}")
    answer.set_header("Cache-Control", "no-cache")
    return answer


def hashed_asset(ctx, path: str):
    """A file whose name holds its content's hash (static/plotly-<hash>.min.js): cached for
    good, and sent gzip-compressed when the client takes it and the builder wrote the .gz."""
    compressed = "gzip" in (request.get_header("Accept-Encoding") or "") and (ctx.www_dir / (path + ".gz")).is_file()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    answer = static_file(path + ".gz" if compressed else path, root=str(ctx.www_dir), mimetype=mimetype)
    if answer.status_code == 404:
        not_found(ctx)
    if answer.status_code >= 400:
        raise ApiError(answer.status_code, f"cannot serve {request.path}")
    if compressed:
        answer.set_header("Content-Encoding", "gzip")
    answer.set_header("Vary", "Accept-Encoding")
    answer.set_header("Cache-Control", f"public, max-age={IMMUTABLE_SECONDS}, immutable")
    return answer


def index():
    return serve("")


def built_login_page(ctx):
    """The site's login page (www/login.html), or None before the first build."""
    built = ctx.www_dir / LOGIN_PAGE
    return built.read_bytes() if built.is_file() else None


ROUTES = (
    ("GET", "/", index),
    ("GET", "/<path:re:(?!api/|api$|login$).+>", serve),
)
