"""Bearer tokens over HTTP: list, make and revoke your own (an admin: anyone's).

A token is shown once, when it is made; the database keeps only its hash, so a
listing never holds a secret. Login sessions are not listed here: logging out
ends them.
"""

from bottle import response

from vigie import db
from vigie.api import auth, limits
from vigie.api.context import context, no_content, reject_unknown_fields
from vigie.api.errors import ApiError
from vigie.errors import InputError

TOKEN_FIELDS = ("label", "days")


def token_state(token: dict, now: str) -> str:
    if token["revoked_at"]:
        return "revoked"
    return "expired" if token["expires_at"] <= now else "active"


def parse_new_token(body, default_days: int) -> tuple:
    """(label, days) from a request body; raise InputError naming the field."""
    if not isinstance(body, dict):
        raise InputError(None, 'send a JSON object {"label": ..., "days": ...} (both optional)')
    reject_unknown_fields(body, TOKEN_FIELDS)
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > limits.TOKEN_LABEL_MAX:
        raise InputError("label", f"label must be a string of at most {limits.TOKEN_LABEL_MAX} characters")
    days = body.get("days", default_days)
    # JSON's 30.0 is the integer 30 (as JSON Schema says); true is not a number; nor is 1e999.
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not 1 <= days <= limits.TOKEN_DAYS_MAX \
            or days != int(days):
        raise InputError("days", f"days must be a whole number from 1 to {limits.TOKEN_DAYS_MAX}")
    return label.strip(), int(days)


def list_tokens():
    ctx = context()
    user = ctx.signed_in()
    owner = None if user["role"] == "admin" else user["username"]
    now = db.utc_now()
    tokens = [dict(t, state=token_state(t, now)) for t in db.list_tokens(ctx.conn(), owner)]
    return {"count": len(tokens), "results": tokens}


def make_token():
    ctx = context()
    user = ctx.signed_in()
    body = ctx.read_json() if ctx.has_body() else {}  # no body: the defaults
    label, days = parse_new_token(body, ctx.settings["token_days"])
    token, expires_at = auth.issue(ctx.conn(), "tokens", user["username"], days * 24, label=label)
    made = db.find_token(ctx.conn(), auth.token_hash(token))
    response.status = 201
    return dict(made, token=token, state="active")


def revoke_token(token_id):
    ctx = context()
    user = ctx.signed_in()
    found = db.get_token(ctx.conn(), token_id) if db.fits_rowid(token_id) else None
    if found is None or (user["role"] != "admin" and found["username"] != user["username"]):
        raise ApiError(404, f"no token with id {token_id}", "id")
    if not db.revoke_token(ctx.conn(), found["username"], token_id):
        raise ApiError(409, f"token {token_id} is already revoked", "id")
    return no_content()


ROUTES = (
    ("GET", "/api/token", list_tokens),
    ("POST", "/api/token", make_token),
    ("DELETE", "/api/token/<token_id:int>", revoke_token),
)
