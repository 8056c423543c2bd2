"""Logging in and out: POST /api/login (JSON), the /login page and its form,
POST /api/logout and GET /api/me."""

from pathlib import Path
from urllib.parse import quote, urlsplit

from bottle import HTTPResponse, request, response

from vigie import db
from vigie.api import auth, routes_site
from vigie.api.context import context, reject_unknown_fields
from vigie.api.errors import ApiError, unauthorized
from vigie.errors import InputError

LOGIN_PAGE = Path(__file__).with_name("login.html")
LOGIN_FIELDS = ("username", "password")


def set_session_cookies(token: str, hours: float, secure: bool):
    max_age = int(hours * 3600)
    response.set_cookie(auth.SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        max_age=max_age, secure=secure)
    response.set_cookie(auth.CSRF_COOKIE, auth.csrf_for(token), path="/", samesite="strict",
                        max_age=max_age, secure=secure)


def clear_session_cookies():
    for name in (auth.SESSION_COOKIE, auth.CSRF_COOKIE):
        response.delete_cookie(name, path="/")


def safe_next(target) -> str:
    """Only a path of this site after login: '/x' yes; '//evil', 'http://...', and
    anything a browser would turn into one ('/\\evil', '/<tab>/evil': browsers drop tabs
    and line breaks and read a backslash as a slash) no."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def check_same_site():
    """Refuse a login posted from another site's page (login CSRF: a hidden form that
    logs the victim into the attacker's account). Browsers say where a POST comes from
    (Sec-Fetch-Site, Origin); clients that say nothing are not browsers."""
    fetch_site = request.get_header("Sec-Fetch-Site")
    origin = request.get_header("Origin")
    if fetch_site in ("same-origin", "none") or (fetch_site is None and origin is None):
        return
    if origin and (urlsplit(origin).netloc == request.get_header("Host")
                   or origin in context().settings["cors_origins"]):
        return
    raise ApiError(403, "login refused: it was posted from another site", "Origin")


def check_credentials(username, password):
    """Both present as non-empty strings; raise InputError naming the one that is not."""
    for field, value in (("username", username), ("password", password)):
        if not isinstance(value, str) or not value:
            raise InputError(field, f"{field} must be a non-empty string")


def login_user(ctx, username, password):
    """(token, expires_at, user) for good credentials; raise InputError or a 401 otherwise."""
    check_credentials(username, password)
    user = ctx.login(username, password, cache=ctx.password_cache)
    if user is None:
        raise unauthorized("wrong user name or password")
    token, expires_at = auth.issue(ctx.conn(), "sessions", username, ctx.settings["session_hours"])
    return token, expires_at, user


def secure_cookies(ctx) -> bool:
    """Cookies only over HTTPS: when the setting says so, or when this request came over
    HTTPS (directly, or through a proxy gunicorn trusts: forwarded_allow_ips)."""
    return ctx.settings["secure_cookies"] or request.environ.get("wsgi.url_scheme") == "https"


def api_login():
    ctx = context()
    check_same_site()
    body = ctx.read_object('{"username": ..., "password": ...}')
    reject_unknown_fields(body, LOGIN_FIELDS)
    token, expires_at, user = login_user(ctx, body.get("username"), body.get("password"))
    set_session_cookies(token, ctx.settings["session_hours"], secure_cookies(ctx))
    # The session lives in its HttpOnly cookie only, out of reach of the page's scripts;
    # a script wanting a bearer token asks POST /api/token (with Basic credentials).
    return {"expires_at": expires_at, "user": user["username"], "role": user["role"]}


def api_logout():
    ctx = context()
    user = ctx.require("viewer")
    if user is not None and user.get("token"):
        hashed = auth.token_hash(user["token"])
        db.revoke_credential(ctx.conn(), "sessions", hashed) or db.revoke_credential(ctx.conn(), "tokens", hashed)
    clear_session_cookies()
    return {"logged_out": user is not None}


def api_me():
    user = context().identify()
    if user is None:
        raise unauthorized("not logged in")
    return {"username": user["username"], "role": user["role"]}


def login_page():
    """The site's own login page; before the site is built, a plain form posting to /login."""
    response.content_type = "text/html; charset=utf-8"
    response.set_header("Cache-Control", "no-store")
    response.set_header("X-Frame-Options", "DENY")
    built = routes_site.built_login_page(context())
    return built if built is not None else LOGIN_PAGE.read_text(encoding="utf-8")


def login_form():
    """The page's no-JavaScript path: a classic form post, then a redirect."""
    ctx = context()
    check_same_site()
    form = request.forms.decode()
    target = safe_next(form.get("next") or request.query.get("next"))
    try:
        token, _, _ = login_user(ctx, form.get("username"), form.get("password"))
    except (InputError, ApiError) as exc:
        why = "throttled" if getattr(exc, "status", None) == 429 else "1"
        raise HTTPResponse(status=303, headers={"Location": f"/login?failed={why}&next={quote(target)}"}) from None
    set_session_cookies(token, ctx.settings["session_hours"], secure_cookies(ctx))
    response.status = 303
    response.set_header("Location", target)
    return ""


ROUTES = (
    ("POST", "/api/login", api_login),
    ("POST", "/api/logout", api_logout),
    ("GET", "/api/me", api_me),
    ("GET", "/login", login_page),
    ("POST", "/login", login_form),
)
