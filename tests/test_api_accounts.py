"""Accounts from the web page: an admin changes a role, resets a password, ends a user's
sessions; everyone changes their own password (in-process WSGI)."""

from vigie import db
from tests.support.api_wsgi import Api


def session_of(api, user, password):
    answer = api.client.post("/api/login", json={"username": user, "password": password})
    assert answer.status == 200, answer
    return {name: morsel.value for name, morsel in answer.cookies().items()}


def me(api, cookies=None, auth=None):
    return api.client.get("/api/me", cookies=cookies, auth=auth)


def as_cookie(api, method, path, cookies, json=None):
    return api.client.request(method, path, json=json, cookies=cookies,
                              headers={"X-CSRF-Token": cookies["vigie_csrf"]})


def test_admin_changes_a_role_and_it_is_audited(tmp_path):
    api = Api(tmp_path)
    answer = api.call("PATCH", "/api/user/viewer", json={"role": "operator"})
    assert answer.status == 200 and answer.json == {"username": "viewer", "role": "operator", "sessions_ended": 0,
                                                    "tokens_revoked": 0}
    assert me(api, auth=("viewer", "viewer-password")).json["role"] == "operator"
    audit = api.call("GET", "/api/audit").json["results"][0]
    assert (audit["actor"], audit["action"], audit["target"], audit["detail"]["role"]) == \
        ("admin", "change", "viewer", "operator")


def test_admin_cannot_change_their_own_role(tmp_path):
    api = Api(tmp_path)
    answer = api.call("PATCH", "/api/user/admin", json={"role": "viewer"})
    assert answer.status == 409 and answer.json["field"] == "role"
    assert me(api, auth=("admin", "admin-password")).json["role"] == "admin"


def test_password_reset_ends_the_users_sessions_and_tokens_but_not_the_admins(tmp_path):
    api = Api(tmp_path)
    victim = session_of(api, "viewer", "viewer-password")
    admin = session_of(api, "admin", "admin-password")
    answer = as_cookie(api, "PATCH", "/api/user/viewer", admin, json={"password": "brand-new-pass"})
    assert answer.status == 200 and answer.json["sessions_ended"] == 1 and answer.json["tokens_revoked"] == 1
    assert me(api, cookies=victim).status == 401
    assert api.call("GET", "/api/me", "viewer").status == 401, "the user's bearer token ended too"
    assert me(api, auth=("viewer", "viewer-password")).status == 401
    assert me(api, auth=("viewer", "brand-new-pass")).status == 200
    assert me(api, cookies=admin).status == 200
    assert "brand-new-pass" not in str(api.call("GET", "/api/audit").json)


def test_bad_changes_are_refused_naming_the_field(tmp_path):
    api = Api(tmp_path)
    for body, field in (({"role": "god"}, "role"), ({"password": "short"}, "password"), ({}, "role"),
                        ({"name": "x"}, "name")):
        answer = api.call("PATCH", "/api/user/viewer", json=body)
        assert answer.status == 400 and answer.json["field"] == field, (body, answer)
    assert api.call("PATCH", "/api/user/nobody", json={"role": "viewer"}).status == 404


def test_admin_ends_a_users_sessions_and_their_tokens_go_on(tmp_path):
    api = Api(tmp_path)
    first, second = session_of(api, "operator", "operator-password"), session_of(api, "operator", "operator-password")
    answer = api.call("DELETE", "/api/user/operator/sessions")
    assert answer.status == 200 and answer.json == {"username": "operator", "sessions_ended": 2}
    assert me(api, cookies=first).status == 401 and me(api, cookies=second).status == 401
    assert api.call("GET", "/api/me", "operator").status == 200, "a script's bearer token is not a session"


def test_everyone_changes_their_own_password(tmp_path):
    api = Api(tmp_path)
    elsewhere = session_of(api, "viewer", "viewer-password")
    here = session_of(api, "viewer", "viewer-password")
    wrong = as_cookie(api, "POST", "/api/me/password", here, json={"current": "guess", "new": "long-enough-1"})
    assert wrong.status == 403 and wrong.json["field"] == "current"
    short = as_cookie(api, "POST", "/api/me/password", here, json={"current": "viewer-password", "new": "short"})
    assert short.status == 400 and short.json["field"] == "new" and "new password" in short.json["error"]
    answer = as_cookie(api, "POST", "/api/me/password", here,
                       json={"current": "viewer-password", "new": "long-enough-1"})
    assert answer.status == 200 and answer.json["sessions_ended"] == 1 and answer.json["tokens_revoked"] == 1
    assert me(api, cookies=elsewhere).status == 401
    rotated = {name: morsel.value for name, morsel in answer.cookies().items()}
    assert rotated["vigie_session"] != here["vigie_session"]
    assert me(api, cookies=rotated).status == 200 and me(api, cookies=here).status == 401
    assert me(api, auth=("viewer", "long-enough-1")).status == 200
    assert me(api, auth=("viewer", "viewer-password")).status == 401


def test_changing_a_password_needs_a_login_not_anonymous_read(tmp_path):
    api = Api(tmp_path, anonymous_read=True)
    answer = api.client.post("/api/me/password", json={"current": "x", "new": "long-enough-1"})
    assert answer.status == 401
    assert db.get_user(api.conn, "viewer") is not None


def test_an_admin_resetting_their_own_password_from_the_page_stays_logged_in(tmp_path):
    api = Api(tmp_path)
    admin = session_of(api, "admin", "admin-password")
    answer = as_cookie(api, "PATCH", "/api/user/admin", admin, json={"password": "admin-new-pass-1"})
    assert answer.status == 200
    renewed = {name: morsel.value for name, morsel in answer.cookies().items()}
    assert me(api, cookies=renewed).status == 200 and me(api, cookies=admin).status == 401


def test_the_watchers_service_account_cannot_be_removed_and_is_listed_as_such(tmp_path):
    """Removing it would stop the alert files reaching the API; the list says what it is."""
    api = Api(tmp_path)
    db.create_user(api.conn, "watcher", "operator", "x")
    answer = api.call("DELETE", "/api/user/watcher")
    assert answer.status == 409 and answer.json["field"] == "username"
    assert "watcher" in answer.json["error"] and "service account" in answer.json["error"]
    users = {u["username"]: u for u in api.call("GET", "/api/user").json["results"]}
    assert "watcher" in users, "still there"
    assert users["watcher"]["service"] and users["viewer"]["service"] is None
    assert api.call("DELETE", "/api/user/viewer").status == 204, "other users are removed as before"
