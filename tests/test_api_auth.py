"""Who may do what: the role matrix over every endpoint, Basic/Bearer/cookie login,
token expiry and revocation, CSRF, anonymous reads, CORS, users, and the CLI."""

from datetime import datetime, timedelta, timezone
import base64
import json
import os
import stat

import pytest

import api as api_cli
from tests.support.api_wsgi import Api, Client, alert, password_hash
from vigie import db, scope
from vigie.api import auth
from vigie.api.app import make_app
from vigie.api.context import CONTEXT_KEY
from vigie.api.openapi import spec
from vigie.notify.rules import normalize_rule

RANK = {None: 0, "viewer": 1, "operator": 2, "admin": 3}
MACHINE = {"host": "127.0.0.1", "snmp": {"version": "2c", "community": "s3cret"}}
# an end within silence_max_days: an operator may make it
SILENCE = {"matchers": {"server": "web-*"}, "comment": "planned reboot",
           "ends_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat(timespec="seconds")}

# (method, path, body, role needed; None: anyone)
MATRIX = [
    ("GET", "/api/alert", None, "viewer"),
    ("POST", "/api/alert", alert(), "operator"),
    ("POST", "/api/alert/ack", {"server": "web-01"}, "operator"),
    ("GET", "/api/alert/{id}", None, "viewer"),
    ("POST", "/api/alert/{id}", {"message": "x"}, "operator"),
    ("PATCH", "/api/alert/{id}", {"message": "x"}, "operator"),
    ("PUT", "/api/alert/{id}", alert(), "operator"),
    ("DELETE", "/api/alert/{id}", None, "admin"),
    ("POST", "/api/alert/{id}/ack", None, "operator"),
    ("POST", "/api/alert/{id}/unack", None, "operator"),
    ("POST", "/api/alert/{id}/shelve", {"minutes": 30}, "operator"),
    ("POST", "/api/alert/{id}/unshelve", None, "operator"),
    ("POST", "/api/alert/{id}/resolve", {"note": "fixed"}, "operator"),
    ("POST", "/api/alert/{id}/note", {"note": "looking into it"}, "operator"),
    ("GET", "/api/alert/{id}/history", None, "viewer"),
    ("GET", "/api/stats", None, "viewer"),
    ("GET", "/api/silence", None, "viewer"),
    ("POST", "/api/silence", SILENCE, "operator"),
    ("POST", "/api/silence/preview", SILENCE, "operator"),
    ("GET", "/api/silence/{silence}", None, "viewer"),
    ("PUT", "/api/silence/{silence}", SILENCE, "operator"),   # the operator's own silence
    ("POST", "/api/silence/{silence}/extend", {"minutes": 30}, "operator"),
    ("DELETE", "/api/silence/{silence}", None, "operator"),   # the operator's own silence
    ("POST", "/api/silence/{silence}/end", None, "operator"),
    ("GET", "/api/audit", None, "admin"),
    ("GET", "/api/machine", None, "viewer"),
    ("POST", "/api/machine", dict(MACHINE, name="new-box"), "admin"),
    ("POST", "/api/machine/test", dict(MACHINE, name="box", port=9, timeout=0.1, retries=0), "admin"),
    ("GET", "/api/machine/box", None, "viewer"),
    ("PUT", "/api/machine/box", MACHINE, "admin"),
    ("DELETE", "/api/machine/box", None, "admin"),
    ("GET", "/api/machine/box/log", None, "viewer"),
    ("GET", "/api/machine/box/percentiles", None, "viewer"),
    ("GET", "/api/machine/box/health", None, "viewer"),
    ("GET", "/api/topology", None, "viewer"),
    ("POST", "/api/discovery", {"subnets": ["127.0.0.1/32"], "credentials_from": ["box"]}, "admin"),
    ("GET", "/api/discovery/{run}", None, "admin"),
    ("POST", "/api/discovery/{run}/add", {"names": []}, "admin"),
    ("POST", "/api/machine-import", {"csv": "name,address,credentials\nimported,192.0.2.40,box\n"}, "admin"),
    ("GET", "/api/unknown-senders", None, "viewer"),
    ("GET", "/api/availability", None, "viewer"),
    ("GET", "/metrics", None, "viewer"),
    ("POST", "/api/webhook/alertmanager", {"version": "4", "alerts": []}, "operator"),
    ("GET", "/api/user", None, "admin"),
    ("POST", "/api/user", {"username": "newbie", "role": "viewer", "password": "long-enough"}, "admin"),
    ("DELETE", "/api/user/victim", None, "admin"),
    ("PATCH", "/api/user/victim", {"role": "operator"}, "admin"),
    ("DELETE", "/api/user/victim/sessions", None, "admin"),
    ("POST", "/api/logout", None, "viewer"),
    ("GET", "/api/token", None, "viewer"),
    ("POST", "/api/token", {"label": "script"}, "viewer"),
    ("DELETE", "/api/token/{token}", None, "viewer"),
    ("GET", "/api/me", None, "viewer"),
    ("POST", "/api/me/password", {"current": "{password}", "new": "a-new-password"}, "viewer"),
    ("GET", "/api/health", None, None),
    ("GET", "/api/openapi.json", None, None),
    ("POST", "/api/login", {"username": "viewer", "password": "viewer-password"}, None),
    ("GET", "/api/alert/{id}/notifications", None, "viewer"),
    ("GET", "/api/notify/channel", None, "admin"),
    ("POST", "/api/notify/channel", {"name": "new-hook", "url": "json://127.0.0.1:9/hook"}, "admin"),
    ("GET", "/api/notify/channel/box", None, "admin"),
    ("DELETE", "/api/notify/channel/box", None, "admin"),
    ("POST", "/api/notify/channel/box/test", None, "admin"),
    ("GET", "/api/notify/message/{message}", None, "admin"),
    ("GET", "/api/notify/rule", None, "admin"),
    ("POST", "/api/notify/rule", {"name": "new-rule", "steps": [{"channels": ["used"]}]}, "admin"),
    ("GET", "/api/notify/rule/box", None, "admin"),
    ("DELETE", "/api/notify/rule/box", None, "admin"),
    ("GET", "/api/team", None, "admin"),
    ("POST", "/api/team", {"name": "new-team", "scope": {"provider": ["Acme"]}}, "admin"),
    ("GET", "/api/team/box", None, "admin"),
    ("DELETE", "/api/team/box", None, "admin"),
    ("GET", "/", None, "viewer"),
    ("GET", "/login", None, None),
    ("POST", "/login", None, None),
]


RUN = "1765000000-abc123"  # a discovery that ended, found nothing


def prepared(tmp_path, **settings):
    api = Api(tmp_path, **dict({"discovery_networks": ["127.0.0.1/32"]}, **settings))
    run_dir = tmp_path / "discovery" / RUN
    run_dir.mkdir(parents=True)
    (run_dir / "progress.json").write_text(json.dumps({"state": "done", "probed": 1, "answered": 0, "found": []}))
    (run_dir / "candidates.json").write_text(json.dumps({"candidates": []}))
    api.alert_id = api.call("POST", "/api/alert", json=alert()).json["id"]
    api.silence_id = api.call("POST", "/api/silence", "operator", json=SILENCE).json["id"]
    api.call("POST", "/api/machine", json=dict(MACHINE, name="box"))
    db.create_user(api.conn, "victim", "viewer", password_hash("victim-password"))
    for role in ("viewer", "operator", "admin"):
        auth.issue(api.conn, "tokens", role, 1, label="spare")
    (api.www_dir / "index.html").write_text("<h1>Vigie</h1>")
    db.notify.put_channel(api.conn, "box", "json://127.0.0.1:9/box")
    used = db.notify.put_channel(api.conn, "used", "json://127.0.0.1:9/used")
    db.notify.put_rule(api.conn, normalize_rule({"name": "box", "steps": [{"channels": ["used"]}]}))
    db.teams.put_team(api.conn, "box", {"provider": ["Acme"]}, [])
    with db.transaction(api.conn):
        api.message_id = db.notify.add_message(api.conn, used["id"], "test", "t", "b", {"type": "info"},
                                               "2026-11-22T10:00:00+00:00")
    return api


@pytest.fixture(scope="module")
def prepared_once(tmp_path_factory):
    """The world of the matrix, made once for the module; each test gets a copy."""
    return prepared(tmp_path_factory.mktemp("prepared"))


@pytest.fixture
def world(prepared_once, tmp_path):
    """A copy of the prepared world of its own for one test (Api.copy)."""
    return prepared_once.copy(tmp_path)


def own_password(api, body, role):
    """The body with the caller's own password where the matrix says {password}."""
    if isinstance(body, dict) and body.get("current") == "{password}":
        return dict(body, current=api.passwords.get(role, "none"))
    return body


@pytest.mark.parametrize("role", [None, "viewer", "operator", "admin"])
@pytest.mark.parametrize("method, path, body, needed", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(world, method, path, body, needed, role):
    api = world
    own_token = db.list_tokens(api.conn, role)[-1]["id"] if role else 1  # a spare token of the caller's
    body = own_password(api, body, role)
    answer = api.call(method, path.replace("{id}", str(api.alert_id)).replace("{token}", str(own_token))
                      .replace("{message}", str(api.message_id)).replace("{silence}", str(api.silence_id))
                      .replace("{run}", RUN), role,
                      json=body)
    allowed = RANK[role] >= RANK[needed]
    if allowed:
        assert answer.status < 400 or answer.status == 401 and path == "/login", answer
    elif role is None and path == "/":
        assert answer.status == 303 and answer.header("Location") == "/login?next=/"
    elif role is None:
        assert answer.status == 401 and answer.header("WWW-Authenticate"), answer
        assert answer.json["error"]
    else:
        assert answer.status == 403 and needed in answer.json["error"], answer


# The scope dimension: the caller is in a team whose scope holds the prepared alert and
# machine ("inside"), or holds neither ("outside").
SCOPES = {"inside": {"provider": ["Acme", ""]}, "outside": {"provider": ["Elsewhere"]}}


def scoped_status(method, path, role, where):
    """What a team member gets where an unscoped user of the same role succeeds (None: the same)."""
    if role == "admin":
        return None  # admins see everything, teams or not
    if path in ("/metrics", "/api/unknown-senders"):
        return 403  # every machine at once, senders of no team: for unscoped users only
    if (method, path) in (("POST", "/api/silence"), ("POST", "/api/silence/preview"), ("PUT", "/api/silence/{silence}")):
        return 403  # SILENCE matches servers of any provider: not inside the scope (an edit neither)
    if path.startswith("/api/silence/{silence}"):
        return None if role == "operator" else 404  # the operator's own silence; the viewer sees it not
    if where == "outside":
        if (method, path) == ("POST", "/api/alert"):
            return 403
        if "{id}" in path or path.startswith("/api/machine/box"):
            return 404
    return None


@pytest.mark.parametrize("where", ["inside", "outside"])
@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
@pytest.mark.parametrize("method, path, body, needed", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix_for_team_members(world, method, path, body, needed, role, where):
    api = world
    db.teams.put_team(api.conn, "mine", SCOPES[where], [role])
    copy = api.www_dir / scope.SCOPED_DIR / scope.scopes_key([SCOPES[where]]) / "index.html"
    copy.parent.mkdir(parents=True)
    copy.write_text("<h1>Vigie, my team</h1>")
    own_token = db.list_tokens(api.conn, role)[-1]["id"]
    body = own_password(api, body, role)
    answer = api.call(method, path.replace("{id}", str(api.alert_id)).replace("{token}", str(own_token))
                      .replace("{message}", str(api.message_id)).replace("{silence}", str(api.silence_id))
                      .replace("{run}", RUN), role,
                      json=body)
    if RANK[role] < RANK[needed]:
        assert answer.status == 403, answer
        return
    expected = scoped_status(method, path, role, where)
    if expected is None:
        assert answer.status < 400 or answer.status == 401 and path == "/login", answer
    else:
        assert answer.status == expected, answer
    if path == "/" and role != "admin":
        assert b"my team" in answer.body


def test_the_matrix_covers_every_route_and_every_documented_operation(tmp_path):
    api = Api(tmp_path)
    covered = {(m, p.replace("{id}", "<alert_id:int>").replace("box", "<name>").replace("victim", "<name>")
                .replace("{token}", "<token_id:int>").replace("{message}", "<message_id:int>")
                .replace("{silence}", "<silence_id:int>").replace("{run}", "<run_id>")) for m, p, _, _ in MATRIX}
    routes = {(r.method, r.rule) for r in api.app.routes if not r.rule.startswith("/<path")}
    assert routes <= covered | {("GET", "/<path:re:(?!api/|api$|login$).+>")}
    documented = {(m.upper(), p) for p, item in spec({})["paths"].items() if p.startswith("/api") for m in item
                  if m != "parameters"}
    matrix_paths = {(m, p.replace("{id}", "{alert_id}").replace("/box", "/{name}").replace("victim", "{username}")
                     .replace("{token}", "{token_id}").replace("{message}", "{message_id}")
                     .replace("{silence}", "{silence_id}").replace("{run}", "{run_id}"))
                    for m, p, _, _ in MATRIX if p.startswith("/api")}
    assert documented == matrix_paths


def test_only_its_author_or_an_admin_ends_or_deletes_a_silence(world):
    api = world
    db.create_user(api.conn, "other-op", "operator", password_hash("other-password"))
    other = ("other-op", "other-password")
    for method, suffix in (("POST", "/end"), ("DELETE", "")):
        refused = api.client.request(method, f"/api/silence/{api.silence_id}{suffix}", auth=other)
        assert refused.status == 403 and "only its author or an admin" in refused.json["error"]
    assert api.call("POST", f"/api/silence/{api.silence_id}/end", "admin").json["state"] == "expired"
    assert api.call("POST", f"/api/silence/{api.silence_id}/end", "admin").status == 409
    assert api.call("DELETE", f"/api/silence/{api.silence_id}", "admin").status == 204
    assert api.call("GET", f"/api/silence/{api.silence_id}", "viewer").status == 404
    entries = api.call("GET", "/api/audit", query={"kind": "silence"}).json["results"]
    actions = [(e["action"], e["actor"], e["target_kind"]) for e in entries]
    assert actions == [("delete", "admin", "silence"), ("end", "admin", "silence"), ("create", "operator", "silence")]


# ---- credentials

def test_basic_auth_right_and_wrong(tmp_path):
    api = Api(tmp_path)
    assert api.client.get("/api/me", auth=("operator", "operator-password")).json == \
        {"username": "operator", "role": "operator"}
    wrong = api.client.get("/api/me", auth=("operator", "nope"))
    assert wrong.status == 401 and "wrong" in wrong.json["error"]
    assert api.client.get("/api/me", auth=("ghost", "nope")).status == 401
    garbage = api.client.get("/api/me", headers={"Authorization": "Basic !!!"})
    assert garbage.status == 401
    assert api.client.get("/api/me", headers={"Authorization": "Digest x"}).status == 401


def test_login_sets_the_session_only_in_its_cookie_and_logout_revokes_it(tmp_path):
    api = Api(tmp_path)
    answer = api.client.post("/api/login", json={"username": "viewer", "password": "viewer-password"})
    assert answer.status == 200
    body = answer.json
    assert body == {"user": "viewer", "role": "viewer", "expires_at": body["expires_at"]}
    assert body["expires_at"] > db.utc_now()
    session, csrf = answer.cookies()["vigie_session"].value, answer.cookies()["vigie_csrf"].value
    assert session.encode() not in answer.body  # the HttpOnly secret never reaches a script
    cookies = {"vigie_session": session, "vigie_csrf": csrf}
    assert api.client.get("/api/me", cookies=cookies).json["username"] == "viewer"
    assert api.client.post("/api/logout", cookies=cookies, headers={"X-CSRF-Token": csrf}).json == {"logged_out": True}
    assert api.client.get("/api/me", cookies=cookies).status == 401
    # only the hash is stored
    stored = [r[0] for r in api.conn.execute("SELECT token_hash FROM sessions")]
    assert session not in stored and auth.token_hash(session) in stored


def test_a_script_gets_a_bearer_token_with_its_password(tmp_path):
    api = Api(tmp_path)
    made = api.client.post("/api/token", json={"label": "script", "days": 1}, auth=("viewer", "viewer-password"))
    assert made.status == 201
    bearer = {"Authorization": f"Bearer {made.json['token']}"}
    assert api.client.get("/api/me", headers=bearer).json == {"username": "viewer", "role": "viewer"}


@pytest.mark.parametrize("body, status, field", [
    ({"username": "viewer", "password": "wrong"}, 401, None),
    ({"username": "nobody", "password": "x"}, 401, None),
    ({"username": "viewer"}, 400, "password"),
    ({"username": 3, "password": "x"}, 400, "username"),
    ({"username": "viewer", "password": "viewer-password", "otp": 1}, 400, "otp"),
])
def test_bad_logins(tmp_path, body, status, field):
    answer = Api(tmp_path).client.post("/api/login", json=body)
    assert answer.status == status and answer.json["field"] == field
    assert "vigie_session" not in answer.cookies()


def test_expired_and_revoked_tokens_are_refused(tmp_path):
    api = Api(tmp_path)
    api.conn.execute("UPDATE tokens SET expires_at = '2000-01-01T00:00:00+00:00' WHERE label = '' AND user_id ="
                     " (SELECT id FROM users WHERE username = 'viewer')")
    expired = api.call("GET", "/api/me", "viewer")
    assert expired.status == 401 and "expired" in expired.json["error"]
    assert api.call("GET", "/api/me", "operator").status == 200
    assert db.revoke_user_credentials(api.conn, "operator") == 1
    assert api.call("GET", "/api/me", "operator").status == 401


def login_cookies(api, role="operator"):
    answer = api.client.post("/api/login", json={"username": role, "password": f"{role}-password"})
    jar = answer.cookies()
    return {name: morsel.value for name, morsel in jar.items()}, jar


def test_login_sets_an_httponly_strict_session_cookie_and_a_readable_csrf_cookie(tmp_path):
    _, jar = login_cookies(Api(tmp_path))
    session, csrf = jar["vigie_session"], jar["vigie_csrf"]
    assert session["httponly"] and session["samesite"].lower() == "strict" and session["path"] == "/"
    assert not csrf["httponly"] and csrf["samesite"].lower() == "strict"


def test_cookie_requests_that_change_state_need_the_csrf_header(tmp_path):
    api = Api(tmp_path)
    cookies, _ = login_cookies(api)
    assert api.client.get("/api/alert", cookies=cookies).status == 200  # reads need no header
    refused = api.client.post("/api/alert", json=alert(), cookies=cookies)
    assert refused.status == 403 and refused.json["field"] == "X-CSRF-Token"
    forged = api.client.post("/api/alert", json=alert(), cookies=cookies, headers={"X-CSRF-Token": "0" * 32})
    assert forged.status == 403
    ok = api.client.post("/api/alert", json=alert(), cookies=cookies, headers={"X-CSRF-Token": cookies["vigie_csrf"]})
    assert ok.status == 201
    assert api.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1
    # bearer requests need no CSRF header
    assert api.call("POST", "/api/alert", "operator", json=alert(message="another")).status == 201


def test_form_login_redirects_to_a_safe_next_page(world):
    api = world
    answer = api.client.post("/login", body="username=viewer&password=viewer-password&next=/alerts.html",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 303 and answer.header("Location") == "/alerts.html"
    assert "vigie_session" in answer.cookies()
    evil = api.client.post("/login", body="username=viewer&password=viewer-password&next=//evil.example/",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert evil.header("Location") == "/"
    failed = api.client.post("/login", body="username=viewer&password=bad",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert failed.status == 303 and "failed=1" in failed.header("Location") and not failed.cookies()


def test_site_is_behind_the_login(world):
    api = world
    (api.www_dir / "machines").mkdir()
    (api.www_dir / "machines" / "index.html").write_text("machines page")
    anonymous = api.client.get("/machines/index.html", query="x=1")
    assert anonymous.status == 303 and anonymous.header("Location") == "/login?next=/machines/index.html%3Fx%3D1"
    cookies, _ = login_cookies(api, "viewer")
    page = api.client.get("/", cookies=cookies)
    assert page.status == 200 and page.body == b"<h1>Vigie</h1>"
    assert api.client.get("/machines/", cookies=cookies).body == b"machines page"
    assert api.client.get("/machines", cookies=cookies).status == 301
    assert api.client.get("/nothing.html", cookies=cookies).status == 404
    assert api.client.get("/../vigie.db", cookies=cookies).status in (403, 404)
    login = api.client.get("/login")
    assert login.status == 200 and b'action="/login"' in login.body


def test_anonymous_reads_when_the_setting_is_on(prepared_once, tmp_path):
    api = prepared_once.copy(tmp_path, anonymous_read=True)
    assert api.client.get("/api/alert").status == 200
    assert api.client.get("/api/stats").status == 200
    assert api.client.get("/").status == 200
    assert api.client.post("/api/alert", json=alert()).status == 401
    assert api.client.delete(f"/api/alert/{api.alert_id}").status == 401


def test_cors_is_off_unless_origins_are_configured(tmp_path):
    origin = {"Origin": "http://dash.example"}
    off = Api(tmp_path / "off")
    assert off.call("GET", "/api/alert", "viewer", headers=origin).header("Access-Control-Allow-Origin") is None
    assert off.client.request("OPTIONS", "/api/alert", headers=origin).status == 405
    on = Api(tmp_path / "on", cors_origins=["http://dash.example"])
    assert on.call("GET", "/api/alert", "viewer", headers=origin).header("Access-Control-Allow-Origin") == \
        "http://dash.example"
    preflight = on.client.request("OPTIONS", "/api/alert", headers=origin)
    assert preflight.status == 204 and "Authorization" in preflight.header("Access-Control-Allow-Headers")
    other = on.client.request("OPTIONS", "/api/alert", headers={"Origin": "http://evil.example"})
    assert other.status == 403


def test_users_endpoints(tmp_path):
    api = Api(tmp_path)
    created = api.call("POST", "/api/user", json={"username": "bob", "role": "operator", "password": "bob-password"})
    assert created.status == 201 and created.json == {"username": "bob", "role": "operator"}
    assert api.client.get("/api/me", auth=("bob", "bob-password")).json["role"] == "operator"
    assert api.call("POST", "/api/user", json={"username": "bob", "role": "viewer",
                                               "password": "whatever1"}).status == 409
    for bad, field in [({"username": "b b", "role": "viewer", "password": "12345678"}, "username"),
                       ({"username": "c", "role": "boss", "password": "12345678"}, "role"),
                       ({"username": "c", "role": "viewer", "password": "short"}, "password")]:
        answer = api.call("POST", "/api/user", json=bad)
        assert answer.status == 400 and answer.json["field"] == field
    names = [u["username"] for u in api.call("GET", "/api/user").json["results"]]
    assert names == ["admin", "bob", "operator", "viewer"]
    assert all("password_hash" not in u for u in api.call("GET", "/api/user").json["results"])
    assert api.call("DELETE", "/api/user/admin").status == 409
    assert api.call("DELETE", "/api/user/bob").status == 204
    assert api.client.get("/api/me", auth=("bob", "bob-password")).status == 401
    assert api.call("DELETE", "/api/user/bob").status == 404


def test_password_hashes_are_salted_scrypt():
    first, second = auth.hash_password("same", 10), auth.hash_password("same", 10)
    assert first != second and first.startswith("scrypt$1024$8$1$")
    assert auth.verify_password("same", first) and not auth.verify_password("other", first)
    assert not auth.verify_password("same", "garbage")


def cost_of(conn, username) -> int:
    """log2 of the scrypt N a user's stored hash was made with."""
    return int(db.get_user(conn, username)["password_hash"].split("$")[1]).bit_length() - 1


def test_new_hashes_take_the_configured_cost_and_older_ones_still_log_in(tmp_path):
    default = make_app(tmp_path / "vigie.db", tmp_path / "www", tmp_path / "machines")
    assert default.config[CONTEXT_KEY].settings["password_cost"] == 14  # 50 ms a check: the built-in
    api = Api(tmp_path / "at-12", password_cost=12)
    made = api.call("POST", "/api/user", json={"username": "carol", "role": "viewer", "password": "carol-password"})
    assert made.status == 201 and cost_of(api.conn, "carol") == 12
    assert cost_of(api.conn, "viewer") == 10  # made at the tests' cost before: it still logs in
    assert api.client.get("/api/me", auth=("viewer", "viewer-password")).status == 200
    assert api.client.get("/api/me", auth=("carol", "carol-password")).status == 200
    assert api.client.get("/api/me", auth=("carol", "wrong-password")).status == 401
    changed = api.call("PATCH", "/api/user/viewer", json={"password": "another-password"})
    assert changed.status == 200 and cost_of(api.conn, "viewer") == 12


# ---- tokens over HTTP

def test_a_token_made_over_http_works_is_listed_without_secret_and_can_be_revoked(tmp_path):
    api = Api(tmp_path)
    made = api.call("POST", "/api/token", "operator", json={"label": " nightly script ", "days": 30.0})
    assert made.status == 201, made
    secret = made.json["token"]
    assert made.json["username"] == "operator" and made.json["label"] == "nightly script"
    assert made.json["state"] == "active" and made.json["revoked_at"] is None
    assert made.json["expires_at"][:10] == auth.expiry(30 * 24)[:10]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/me", headers=bearer).json["username"] == "operator"

    mine = api.call("GET", "/api/token", "operator").json
    assert [t["label"] for t in mine["results"]] == ["", "nightly script"] and mine["count"] == 2
    assert secret not in str(mine) and "token_hash" not in mine["results"][0]
    assert {t["username"] for t in api.call("GET", "/api/token", "viewer").json["results"]} == {"viewer"}
    assert {t["username"] for t in api.call("GET", "/api/token", "admin").json["results"]} == \
        {"viewer", "operator", "admin"}

    token_id = made.json["id"]
    assert api.call("DELETE", f"/api/token/{token_id}", "viewer").status == 404  # not the viewer's
    assert api.call("DELETE", f"/api/token/{token_id}", "operator").status == 204
    assert api.client.get("/api/me", headers=bearer).status == 401
    assert api.call("DELETE", f"/api/token/{token_id}", "operator").status == 409
    listed = {t["id"]: t for t in api.call("GET", "/api/token", "operator").json["results"]}
    assert listed[token_id]["state"] == "revoked" and listed[token_id]["revoked_at"]
    assert api.call("DELETE", "/api/token/999999", "admin").status == 404


def test_an_admin_revokes_anyones_token(tmp_path):
    api = Api(tmp_path)
    made = api.call("POST", "/api/token", "viewer")  # no body: defaults
    assert made.status == 201 and made.json["label"] == ""
    assert made.json["expires_at"][:10] == auth.expiry(365 * 24)[:10]
    assert api.call("DELETE", f"/api/token/{made.json['id']}", "admin").status == 204
    assert api.client.get("/api/me", headers={"Authorization": f"Bearer {made.json['token']}"}).status == 401


@pytest.mark.parametrize("body, field", [
    ({"days": 0}, "days"), ({"days": 3651}, "days"), ({"days": 1.5}, "days"), ({"days": True}, "days"),
    ({"days": "7"}, "days"), ({"label": 5}, "label"), ({"label": "x" * 101}, "label"), ({"owner": "admin"}, "owner"),
    (["label"], None), (None, None),
])
def test_bad_token_requests_are_400_naming_the_field(tmp_path, body, field):
    api = Api(tmp_path)
    answer = api.call("POST", "/api/token", "operator", body=json.dumps(body).encode(),
                      headers={"Content-Type": "application/json"})
    assert answer.status == 400 and answer.json["field"] == field, answer
    assert len(api.call("GET", "/api/token", "operator").json["results"]) == 1


def test_anonymous_reads_never_reach_tokens(tmp_path):
    api = Api(tmp_path, anonymous_read=True)
    assert api.call("GET", "/api/alert", None).status == 200
    assert api.call("GET", "/api/token", None).status == 401
    assert api.call("POST", "/api/token", None).status == 401


# ---- command line

def test_adduser_mktoken_and_revoke_from_the_command_line(tmp_path, capsys):
    dbfile, pwfile, tokfile = tmp_path / "v.db", tmp_path / "pw", tmp_path / "tok"
    pwfile.write_text("correct horse battery\n")
    assert api_cli.main(["adduser", "alice", "--role", "operator", "--password-file", str(pwfile),
                         "--db", str(dbfile)]) == 0
    assert api_cli.main(["adduser", "alice", "--role", "viewer", "--password-file", str(pwfile),
                         "--db", str(dbfile)]) == 1
    assert api_cli.main(["mktoken", "alice", "--out", str(tokfile), "--days", "3", "--db", str(dbfile)]) == 0
    assert stat.S_IMODE(os.stat(tokfile).st_mode) == 0o600
    assert api_cli.main(["mktoken", "ghost", "--out", str(tmp_path / "t2"), "--db", str(dbfile)]) == 1
    client = Client(make_app(dbfile, tmp_path, tmp_path, {}))
    token = tokfile.read_text().strip()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json == \
        {"username": "alice", "role": "operator"}
    basic = "Basic " + base64.b64encode(b"alice:correct horse battery").decode()
    assert client.get("/api/me", headers={"Authorization": basic}).status == 200
    assert api_cli.main(["revoke", "alice", "--db", str(dbfile)]) == 0
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status == 401
    assert "correct horse" not in capsys.readouterr().err


def test_tokens_are_listed_without_their_secret_and_revoked_one_by_one(tmp_path, capsys):
    dbfile, pwfile = tmp_path / "v.db", tmp_path / "pw"
    pwfile.write_text("correct horse battery\n")
    for name in ("alice", "bob"):
        assert api_cli.main(["adduser", name, "--role", "operator", "--password-file", str(pwfile),
                             "--db", str(dbfile)]) == 0
    files = {label: tmp_path / label for label in ("watcher", "script", "bobs")}
    for label, owner in (("watcher", "alice"), ("script", "alice"), ("bobs", "bob")):
        assert api_cli.main(["mktoken", owner, "--out", str(files[label]), "--label", f"{label} token",
                             "--db", str(dbfile)]) == 0
    secrets_ = {label: path.read_text().strip() for label, path in files.items()}
    capsys.readouterr()

    assert api_cli.main(["tokens", "alice", "--db", str(dbfile)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "USER", "LABEL", "CREATED", "EXPIRES", "STATE"]
    assert [line.split()[1] for line in lines[1:]] == ["alice", "alice"]
    assert all(line.rstrip().endswith("active") for line in lines[1:])
    watcher_id = next(line.split()[0] for line in lines[1:] if "watcher token" in line)

    assert api_cli.main(["revoke", "bob", "--token", watcher_id, "--db", str(dbfile)]) == 1  # not bob's
    assert api_cli.main(["revoke", "alice", "--token", watcher_id, "--db", str(dbfile)]) == 0
    assert api_cli.main(["revoke", "alice", "--token", watcher_id, "--db", str(dbfile)]) == 1  # already
    client = Client(make_app(dbfile, tmp_path, tmp_path, {}))
    status = {label: client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status
              for label, secret in secrets_.items()}
    assert status == {"watcher": 401, "script": 200, "bobs": 200}

    capsys.readouterr()
    assert api_cli.main(["tokens", "--db", str(dbfile)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 4 and "revoked 20" in out and "bob" in out
    assert not any(secret in out for secret in secrets_.values())
    assert api_cli.main(["tokens", "nobody", "--db", str(dbfile)]) == 1


def test_adduser_refuses_short_passwords_and_bad_names(tmp_path):
    pwfile = tmp_path / "pw"
    pwfile.write_text("short\n")
    assert api_cli.main(["adduser", "al", "--role", "viewer", "--password-file", str(pwfile),
                         "--db", str(tmp_path / "v.db")]) == 2
    pwfile.write_text("long enough\n")
    assert api_cli.main(["adduser", "a b", "--role", "viewer", "--password-file", str(pwfile),
                         "--db", str(tmp_path / "v.db")]) == 2


def test_every_command_has_help(capsys):
    for command in ([], ["serve"], ["adduser"], ["mktoken"], ["tokens"], ["revoke"], ["settings"]):
        with pytest.raises(SystemExit) as exit_:
            api_cli.main(command + ["--help"])
        assert exit_.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_a_new_password_ends_the_users_tokens_and_sessions(tmp_path):
    api = Api(tmp_path)
    login = api.client.post("/api/login", json={"username": "operator", "password": "operator-password"})
    session = login.cookies()["vigie_session"].value
    assert api.call("GET", "/api/me", "operator").status == 200
    pwfile = tmp_path / "pw"
    pwfile.write_text("a brand new passphrase\n")
    assert api_cli.main(["adduser", "operator", "--role", "operator", "--update", "--password-file", str(pwfile),
                         "--db", str(api.db_path)]) == 0
    assert api.call("GET", "/api/me", "operator").status == 401
    assert api.client.get("/api/me", cookies={"vigie_session": session}).status == 401
    assert api.call("GET", "/api/me", "viewer").status == 200  # others keep theirs


def test_session_cookies_are_secure_over_https_or_when_the_setting_says_so(tmp_path):
    def cookies(api, **environ):
        answer = api.client.post("/api/login", json={"username": "viewer", "password": "viewer-password"},
                                 headers=environ)
        return answer.cookies()

    plain = Api(tmp_path / "plain")
    assert not any(m["secure"] for m in cookies(plain).values())
    forced = Api(tmp_path / "forced", secure_cookies=True)
    assert all(m["secure"] for m in cookies(forced).values())


def test_session_cookies_are_secure_behind_a_trusted_https_proxy(api_server):
    import requests
    answer = requests.post(api_server.url + "/api/login", json={"username": "viewer",
                                                                 "password": api_server.viewer.password},
                           headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    assert all("secure" in c.lower() for c in answer.raw.headers.getlist("Set-Cookie")), answer.headers
