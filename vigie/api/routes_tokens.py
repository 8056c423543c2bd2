"""Bearer tokens over HTTP: list, make and revoke your own (an admin: anyone's).

A token is shown once, when it is made; the database keeps only its hash, so a
listing never holds a secret. Login sessions are not listed here: logging out
ends them.
"""

from bottle import request, response

from vigie import db
from vigie.api import auth
from vigie.api.app import unauthorized
from vigie.api.errors import api_error

MAX_LABEL = 100
MAX_DAYS = 3650
TOKEN_FIELDS = {"label", "days"}


def token_state(token: dict, now: str) -> str:
    if token["revoked_at"]:
        return "revoked"
    return "expired" if token["expires_at"] <= now else "active"


def parse_new_token(body, default_days: int) -> tuple:
    """(label, days) from a request body; raise a 400 naming the field."""
    if not isinstance(body, dict):
        raise api_error(400, 'send a JSON object {"label": ..., "days": ...} (both optional)')
    unknown = sorted(set(body) - TOKEN_FIELDS)
    if unknown:
        raise api_error(400, f"unknown field {unknown[0]!r}", unknown[0])
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise api_error(400, f"label must be a string of at most {MAX_LABEL} characters", "label")
    days = body.get("days", default_days)
    # JSON's 30.0 is the integer 30 (as JSON Schema says); true is not a number.
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days != int(days) \
            or not 1 <= days <= MAX_DAYS:
        raise api_error(400, f"days must be a whole number from 1 to {MAX_DAYS}", "days")
    return label.strip(), int(days)


def register(app, ctx):
    def signed_in():
        user = ctx.require("viewer")
        if user is None:  # anonymous reads never reach tokens
            raise unauthorized("authentication required: log in, or send a Basic or Bearer Authorization header")
        return user

    @app.get("/api/token")
    def list_tokens():
        user = signed_in()
        owner = None if user["role"] == "admin" else user["username"]
        now = db.utc_now()
        tokens = [dict(t, state=token_state(t, now)) for t in db.list_tokens(ctx.conn(), owner)]
        return {"count": len(tokens), "results": tokens}

    @app.post("/api/token")
    def make_token():
        user = signed_in()
        sent = request.content_length > 0 or request.get_header("Transfer-Encoding")
        body = ctx.read_json() if sent else {}  # no body: the defaults
        label, days = parse_new_token(body, ctx.settings["token_days"])
        token, expires_at = auth.issue(ctx.conn(), "tokens", user["username"], days * 24, label=label)
        made = db.find_token(ctx.conn(), auth.token_hash(token))
        response.status = 201
        return dict(made, token=token, state="active")

    @app.delete("/api/token/<token_id:int>")
    def revoke_token(token_id):
        user = signed_in()
        found = db.get_token(ctx.conn(), token_id) if db.fits_rowid(token_id) else None
        if found is None or (user["role"] != "admin" and found["username"] != user["username"]):
            raise api_error(404, f"no token with id {token_id}", "id")
        if not db.revoke_token(ctx.conn(), found["username"], token_id):
            raise api_error(409, f"token {token_id} is already revoked", "id")
        response.status = 204
        return ""
