"""The built site (www/) at /, behind the same login as the API's reads.

An anonymous browser is sent to /login?next=<page>; a page found is served
with no-cache so a rebuilt site shows at once.
"""

from urllib.parse import quote

from bottle import HTTPResponse, request, static_file

from vigie.api.context import context
from vigie.api.errors import ApiError


def login_redirect() -> HTTPResponse:
    target = quote(request.fullpath + (f"?{request.query_string}" if request.query_string else ""))
    return HTTPResponse(status=303, headers={"Location": f"/login?next={target}"})


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
