"""The built site (www/) at /, behind the same login as the API's reads.

A member of a scoped team gets only what the scope shows (scoped_page below).

An anonymous browser is sent to /login?next=<page>; a page found is served
with no-cache so a rebuilt site shows at once.
"""

from urllib.parse import quote

from bottle import HTTPResponse, request, static_file

from vigie import machines as mc, scope
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError


def login_redirect() -> HTTPResponse:
    target = quote(request.fullpath + (f"?{request.query_string}" if request.query_string else ""))
    return HTTPResponse(status=303, headers={"Location": f"/login?next={target}"})


SHARED = ("login.html", "notify.html")  # pages holding no alert nor machine


def scoped_page(ctx, path: str, scopes) -> str:
    """What a member of a scoped team may see at `path`: the assets and the pages that
    hold nothing of any team; the machine pages of the machines in scope; the builder's
    copy for their scopes of the pages that mix every team's (dashboard, console,
    devices). Anything else answers as a page that does not exist."""
    missing = ApiError(404, f"no page {request.path}")
    if path.startswith("static/") or path in SHARED:
        return path
    if path.startswith("machines/") and path.endswith(".html") and path.count("/") == 1:
        name = path[len("machines/"):-len(".html")]
        try:
            config = mc.load_machine(ctx.machines_dir / f"{mc.check_name(name)}.json")
        except (mc.MachineConfigError, OSError):
            raise missing from None
        if not scope.in_any_scope(scopes, scope.machine_fields(name, config)):
            raise missing
        return path
    if path in scope.SCOPED_PAGES:
        copy = f"{scope.SCOPED_DIR}/{scope.scopes_key(scopes)}/{path}"
        if not (ctx.www_dir / copy).is_file():
            raise ApiError(503, "your team's pages are written at the next site build: try again in a few minutes")
        return copy
    raise missing


def serve(path):
    ctx = context()
    try:
        ctx.require("viewer")
    except ApiError as refused:
        if refused.status == 401 and not request.get_header("Authorization"):
            raise login_redirect() from None
        raise
    target = ctx.www_dir / path
    if path and not path.endswith("/") and target.is_dir():
        raise HTTPResponse(status=301, headers={"Location": request.path + "/"})
    if path == "" or path.endswith("/") or target.is_dir():
        path = path.rstrip("/") + "/index.html" if path else "index.html"
    scopes = scoping.current_scopes(ctx)
    if scopes is not None:
        path = scoped_page(ctx, path.lstrip("/"), scopes)
    answer = static_file(path.lstrip("/"), root=str(ctx.www_dir))
    if answer.status_code == 404:
        raise ApiError(404, f"no page {request.path} (has the site been built?)")
    if answer.status_code >= 400:
        raise ApiError(answer.status_code, f"cannot serve {request.path}")
    answer.set_header("Cache-Control", "no-cache")
    return answer


def index():
    return serve("")


ROUTES = (
    ("GET", "/", index),
    ("GET", "/<path:re:(?!api/|api$|login$).+>", serve),
)
