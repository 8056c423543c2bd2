"""The built site (www/) at /, behind the same login as the API's reads.

An anonymous browser is sent to /login?next=<page>; a page found is served
with no-cache so a rebuilt site shows at once.
"""

from urllib.parse import quote

from bottle import HTTPResponse, request, static_file

from vigie.api.errors import api_error


def register(app, ctx):
    def serve(path):
        try:
            ctx.require("viewer")
        except HTTPResponse as refused:
            if refused.status_code == 401 and not request.get_header("Authorization"):
                target = quote(request.fullpath + (f"?{request.query_string}" if request.query_string else ""))
                raise HTTPResponse(status=303, headers={"Location": f"/login?next={target}"})
            raise
        target = ctx.www_dir / path
        if path and not path.endswith("/") and target.is_dir():
            raise HTTPResponse(status=301, headers={"Location": request.path + "/"})
        if path == "" or path.endswith("/") or target.is_dir():
            path = path.rstrip("/") + "/index.html" if path else "index.html"
        answer = static_file(path.lstrip("/"), root=str(ctx.www_dir))
        if answer.status_code == 404:
            raise api_error(404, f"no page {request.path} (has the site been built?)")
        if answer.status_code >= 400:
            raise api_error(answer.status_code, f"cannot serve {request.path}")
        answer.set_header("Cache-Control", "no-cache")
        return answer

    @app.get("/")
    def index():
        return serve("")

    @app.get("/<path:re:(?!api/|api$|login$).+>")
    def page(path):
        return serve(path)
