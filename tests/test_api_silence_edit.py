"""Silences through the API (in-process): negative and regular conditions as
Alertmanager writes them, a bad regular expression named, a team member's silence kept
inside the scope, editing (a new silence replaces the old), extending (the same silence
ends later), and a silence stored by the code before conditions keeping on working."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.api_wsgi import Api, alert, password_hash
from vigie import db

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def later(**delta):
    return (NOW + timedelta(**delta)).isoformat()


def cond(op, value):
    return {"op": op, "value": value}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    api = Api(tmp_path_factory.mktemp("silence-edit"))
    api.ids = {}
    for server, provider in (("web-1", "Acme"), ("web-2", "Acme"), ("web-3", "Globex"), ("db-1", "Acme")):
        answer = api.call("POST", "/api/alert", json=alert(server=server, provider=provider,
                                                           message=f"Disk full on {server}"))
        assert answer.status == 201, answer
        api.ids[server] = answer.json["id"]
    db.create_user(api.conn, "acme-op", "operator", password_hash("operator-password"))
    api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["acme-op"]})
    return api


@pytest.fixture
def api(filled, tmp_path):
    return filled.copy(tmp_path)


def as_user(name):
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:operator-password".encode()).decode()}


def silence(matchers, **extra):
    return dict({"matchers": matchers, "comment": "swap", "ends_at": later(hours=2)}, **extra)


def silenced(api):
    return sorted(a["server"] for a in api.call("GET", "/api/alert", query={"silenced": "true"}).json["results"])


def test_regular_and_negative_conditions_silence_what_they_say(api):
    made = api.call("POST", "/api/silence", "operator",
                    json=silence({"server": [cond("=~", "web-.*"), cond("!=", "web-2")]}))
    assert made.status == 201, made
    assert made.json["matchers"] == {"server": [cond("=~", "web-.*"), cond("!=", "web-2")]}
    assert made.json["matching"] == 2
    assert silenced(api) == ["web-1", "web-3"]
    preview = api.call("POST", "/api/silence/preview", "operator",
                       json={"matchers": {"server": [cond("!~", "web-.*")], "severity": "CRITICAL"},
                             "ends_at": later(hours=1)})
    assert preview.status == 200 and [a["server"] for a in preview.json["alerts"]] == ["db-1"]


@pytest.mark.parametrize("matchers, field", [
    ({"server": [cond("=~", "web-(")]}, "matchers.server"),
    ({"message": [cond("!~", "*disk")]}, "matchers.message"),
    ({"provider": [cond("~=", "Acme")]}, "matchers.provider"),
])
@pytest.mark.parametrize("path", ["/api/silence", "/api/silence/preview"])
def test_a_bad_condition_is_a_400_naming_the_field(api, matchers, field, path):
    answer = api.call("POST", path, "operator", json=silence(matchers))
    assert answer.status == 400 and answer.json["field"] == field, answer
    assert answer.json["error"]


def test_only_negative_conditions_match_nearly_everything_so_need_an_admin(api):
    wide = silence({"server": [cond("!=", "web-1")]})
    refused = api.call("POST", "/api/silence", "operator", json=wide)
    assert refused.status == 403 and refused.json["field"] == "matchers"
    assert api.call("POST", "/api/silence", "admin", json=wide).status == 201


@pytest.mark.parametrize("matchers, status, servers", [
    ({"provider": "Acme", "server": [cond("!=", "web-1")]}, 201, ["db-1", "web-2"]),
    ({"provider": [cond("!=", "Globex")]}, 403, []),
    ({"provider": [cond("=~", "Acme|Globex")]}, 403, []),
    ({"server": [cond("=~", "web-.*")]}, 403, []),
])
def test_a_team_member_silences_only_inside_the_scope(api, matchers, status, servers):
    answer = api.call("POST", "/api/silence", "operator", json=silence(matchers), headers=as_user("acme-op"))
    assert answer.status == status, answer
    assert silenced(api) == servers
    if status == 403:
        assert answer.json["field"] == "matchers"


def made(api, role="operator", **extra):
    answer = api.call("POST", "/api/silence", role, json=silence({"server": "web-1"}, **extra))
    assert answer.status == 201, answer
    return answer.json["id"]


def kinds(api, server):
    return [e["kind"] for e in db.alert_history(api.conn, api.ids[server])]


def test_editing_makes_a_new_silence_and_ends_the_old_one_without_noise(api):
    old = made(api)
    edited = api.call("PUT", f"/api/silence/{old}", "operator",
                      json=silence({"server": [cond("=~", "web-[12]")]}, comment="swap, both"))
    assert edited.status == 200, edited
    new = edited.json
    assert new["id"] != old and new["replaces"] == old and new["comment"] == "swap, both" and new["active"]
    before = api.call("GET", f"/api/silence/{old}").json
    assert before["state"] == "expired" and before["ended_by"] == "operator"
    assert silenced(api) == ["web-1", "web-2"]
    assert kinds(api, "web-1") == ["created", "silenced"], "still silenced: neither unsilenced nor silenced again"
    assert kinds(api, "web-2") == ["created", "silenced"]
    audit = api.call("GET", "/api/audit", query={"kind": "silence"}).json["results"]
    assert [(e["action"], e["target"]) for e in audit[:2]] == [("replace", str(old)), ("create", str(new["id"]))]


def test_only_the_author_or_an_admin_edits_and_only_a_silence_not_over(api):
    old = made(api)
    db.create_user(api.conn, "other-op", "operator", password_hash("operator-password"))
    other = as_user("other-op")
    body = silence({"server": "web-2"})
    assert api.call("PUT", f"/api/silence/{old}", "operator", json=body, headers=other).status == 403
    assert api.call("PUT", f"/api/silence/{old}", "viewer", json=body).status == 403
    bad = api.call("PUT", f"/api/silence/{old}", "operator", json=silence({"server": [cond("=~", "(")]}))
    assert bad.status == 400 and bad.json["field"] == "matchers.server"
    assert api.call("GET", f"/api/silence/{old}").json["state"] == "active", "a refused edit changes nothing"
    replaced = api.call("PUT", f"/api/silence/{old}", "admin", json=body)
    assert replaced.status == 200
    again = api.call("PUT", f"/api/silence/{old}", "admin", json=body)
    assert again.status == 409 and again.json["field"] == "id"
    assert api.call("PUT", "/api/silence/999999", "admin", json=body).status == 404


def test_extending_keeps_the_silence_and_moves_its_end(api):
    sid = made(api)
    ends = datetime.fromisoformat(api.call("GET", f"/api/silence/{sid}").json["ends_at"])
    longer = api.call("POST", f"/api/silence/{sid}/extend", "operator", json={"minutes": 90})
    assert longer.status == 200, longer
    assert longer.json["id"] == sid and datetime.fromisoformat(longer.json["ends_at"]) == ends + timedelta(minutes=90)
    to = api.call("POST", f"/api/silence/{sid}/extend", "operator", json={"ends_at": later(days=1)})
    assert to.status == 200 and datetime.fromisoformat(to.json["ends_at"]) == NOW + timedelta(days=1)
    assert silenced(api) == ["web-1"] and kinds(api, "web-1") == ["created", "silenced"]
    too_long = api.call("POST", f"/api/silence/{sid}/extend", "operator", json={"ends_at": later(days=30)})
    assert too_long.status == 403 and too_long.json["field"] == "ends_at"
    assert api.call("POST", f"/api/silence/{sid}/extend", "admin", json={"ends_at": later(days=30)}).status == 200


@pytest.mark.parametrize("body, field", [
    ({}, "minutes"), ({"minutes": 10, "ends_at": later(hours=5)}, "minutes"), ({"minutes": 0}, "minutes"),
    ({"minutes": "10"}, "minutes"), ({"ends_at": "tomorrow"}, "ends_at"), ({"ends_at": later(hours=-1)}, "ends_at"),
    ({"hours": 1}, "hours"),
])
def test_a_bad_extension_is_a_400_naming_the_field(api, body, field):
    sid = made(api)
    answer = api.call("POST", f"/api/silence/{sid}/extend", "operator", json=body)
    assert answer.status == 400 and answer.json["field"] == field, answer


def test_an_ended_silence_is_not_extended(api):
    sid = made(api)
    assert api.call("POST", f"/api/silence/{sid}/end", "operator").status == 200
    answer = api.call("POST", f"/api/silence/{sid}/extend", "operator", json={"minutes": 30})
    assert answer.status == 409 and "make a new one" in answer.json["error"]


def test_a_silence_stored_before_conditions_keeps_working(api):
    """A row as the code before conditions wrote it: matchers of plain strings."""
    stored = {"server": "web-*", "message": "disk full", "severity": ["CRITICAL"]}
    with db.transaction(api.conn):
        sid = api.conn.execute(
            "INSERT INTO silences (matchers, starts_at, ends_at, schedule, comment, created_by, created_at)"
            " VALUES (?, ?, ?, NULL, 'old swap', 'operator', ?)",
            (json.dumps(stored, sort_keys=True), later(minutes=-5), later(hours=3), later(minutes=-5))).lastrowid
        api.conn.execute("INSERT INTO meta (key, value) VALUES ('silences_version', '1') ON CONFLICT (key)"
                         " DO UPDATE SET value = CAST(value AS INTEGER) + 1")   # as the code bumps it
    fresh = api.call("POST", "/api/alert", json=alert(server="web-7", message="DISK FULL on web-7"))
    assert fresh.status == 201
    shown = api.call("GET", f"/api/silence/{sid}").json
    assert shown["matchers"] == stored and shown["state"] == "active"
    assert "web-7" in silenced(api)
    assert api.call("POST", f"/api/silence/{sid}/extend", "operator", json={"minutes": 60}).status == 200
    edited = api.call("PUT", f"/api/silence/{sid}", "operator", json=silence(dict(stored, server=[cond("=~", "web-7")])))
    assert edited.status == 200 and silenced(api) == ["web-7"]
