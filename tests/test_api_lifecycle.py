"""The alert lifecycle over the API, in-process (WSGI): deduplication, states with
their end times, history and notes, silences, filters, bad input; and on the real
server, a machine going down, acknowledged for 15 minutes, then back."""

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.api_wsgi import Api, alert
from vigie import db


@pytest.fixture
def api(tmp_path):
    return Api(tmp_path)


def soon(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).replace(microsecond=0).isoformat()


def recent(**overrides):
    """An alert dated a minute ago (so a timeout or a window counts from about now)."""
    return alert(timestamp=soon(minutes=-1), **overrides)


DOWN = {"server": "edge-rt-02", "severity": "CRITICAL", "message": "Machine is not answering SNMP",
        "fingerprint": "snmp:reachability:edge-rt-02"}
UP = dict(DOWN, severity="INFO", message="Machine is answering SNMP again")


# ---- deduplication

def test_a_duplicate_answers_200_with_the_alert_it_counted_on(api):
    first = api.call("POST", "/api/alert", "operator", json=alert())
    again = api.call("POST", "/api/alert", "operator", json=alert(timestamp="2026-11-22T10:20:00Z"))
    assert (first.status, again.status) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["duplicate_count"] == 1
    assert again.json["last_seen"] == "2026-11-22T10:20:00+00:00" and again.json["first_seen"] == first.json["timestamp"]
    batch = api.call("POST", "/api/alert", "operator", json=[alert(), alert(message="other"), alert(message="other")])
    assert batch.status == 201 and batch.json["created"] == 1
    assert batch.json["ids"][0] == first.json["id"] and batch.json["ids"][1] == batch.json["ids"][2]
    assert api.call("GET", "/api/alert", "viewer").json["count"] == 2


def test_the_same_file_sent_twice_changes_nothing_not_even_the_count(api):
    api.call("POST", "/api/alert", "operator", json=alert(source_id="file-1"))
    dup = api.call("POST", "/api/alert", "operator", json=alert(source_id="file-2")).json
    assert dup["duplicate_count"] == 1
    for _ in range(2):
        again = api.call("POST", "/api/alert", "operator", json=[alert(source_id="file-2"), alert(source_id="file-1")])
        assert again.json == {"ids": [dup["id"], dup["id"]], "created": 0}
    assert api.call("GET", f"/api/alert/{dup['id']}", "viewer").json["duplicate_count"] == 1


def test_back_to_normal_resolves_and_a_new_problem_reopens_the_same_alert(api):
    opened = api.call("POST", "/api/alert", "operator", json=recent(**DOWN)).json
    resolved = api.call("POST", "/api/alert", "operator", json=alert(timestamp=soon(), **UP))
    assert resolved.status == 200 and resolved.json["id"] == opened["id"]
    assert resolved.json["status"] == "resolved" and resolved.json["resolved_by"] == "operator"
    assert resolved.json["resolution"] == "back to normal: Machine is answering SNMP again"
    again = api.call("POST", "/api/alert", "operator", json=alert(timestamp=soon(seconds=1), **DOWN)).json
    assert (again["id"], again["status"], again["reopen_count"]) == (opened["id"], "open", 1)
    kinds = [e["kind"] for e in api.call("GET", f"/api/alert/{opened['id']}/history", "viewer").json["results"]]
    assert kinds == ["created", "resolved", "reopened"]


def test_a_fingerprint_and_timeout_of_the_sender_are_kept(api):
    body = api.call("POST", "/api/alert", "operator", json=recent(fingerprint="disk:/var", timeout=3600)).json
    assert body["fingerprint"] == "disk:/var" and body["timeout"] == 3600 and body["expires_at"]
    assert body["status"] == "open"
    gone = api.call("POST", "/api/alert", "operator", json=alert(timestamp=soon(hours=-3), message="old",
                                                                  timeout=60)).json
    assert gone["status"] == "resolved" and gone["resolution"].startswith("timed out")


# ---- acknowledgement, shelving, resolving, notes

def test_acknowledge_for_some_minutes_or_until_a_time_and_it_ends_by_itself(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=recent()).json["id"]
    acked = api.call("POST", f"/api/alert/{alert_id}/ack", "operator", json={"minutes": 15, "note": "on it"}).json
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "operator"
    assert soon(minutes=14) < acked["ack_until"] <= soon(minutes=15)
    until = soon(seconds=2)
    assert api.call("POST", f"/api/alert/{alert_id}/ack", "admin", json={"until": until}).json["ack_until"] == until
    time.sleep(2.2)  # no timer, no write: the next read sees it open again
    after = api.call("GET", f"/api/alert/{alert_id}", "viewer").json
    assert (after["status"], after["acknowledged"], after["ack_until"]) == ("open", False, None)
    history = api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["results"]
    assert [(e["kind"], e["pending"]) for e in history][-3:] == [
        ("acknowledged", False), ("acknowledged", False), ("ack_expired", True)]
    assert history[1]["note"].endswith(": on it") and history[-1]["at"] == until


def test_acknowledging_again_names_the_latest_acknowledger_whose_expiry_the_history_tells(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=recent()).json["id"]
    first = api.call("POST", f"/api/alert/{alert_id}/ack", "operator", json={"minutes": 15}).json
    until = soon(seconds=2)
    again = api.call("POST", f"/api/alert/{alert_id}/ack", "admin", json={"until": until, "note": "taking over"}).json
    assert (again["acknowledged_by"], again["ack_until"]) == ("admin", until)
    assert again["acknowledged_at"] >= first["acknowledged_at"]
    listed = api.call("GET", "/api/alert", "viewer", query=[("acknowledged", "true")]).json["results"]
    assert [(a["id"], a["acknowledged_by"]) for a in listed] == [(alert_id, "admin")]
    time.sleep(2.2)
    history = api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["results"]
    assert [(e["kind"], e["actor"]) for e in history][-3:] == [
        ("acknowledged", "operator"), ("acknowledged", "admin"), ("ack_expired", "system")]
    assert history[-1]["note"] == "acknowledgement by admin expired"


@pytest.mark.parametrize("suffix, body, field", [
    ("/ack", {"until": "2020-01-01T00:00:00Z"}, "until"),
    ("/ack", {"until": "tomorrow"}, "until"),
    ("/ack", {"until": None}, "until"),
    ("/ack", {"until": "2099-01-01T00:00:00Z", "minutes": 5}, "until"),
    ("/ack", {"minutes": 0}, "minutes"),
    ("/ack", {"minutes": 1.5}, "minutes"),
    ("/ack", {"minutes": True}, "minutes"),
    ("/ack", {"note": 3}, "note"),
    ("/ack", {"for": 5}, "for"),
    ("/shelve", {}, "until"),
    ("/shelve", {"note": "no end"}, "until"),
    ("/unack", {"note": "x" * 2001}, "note"),
    ("/note", {}, "note"),
    ("/note", {"note": "  "}, "note"),
])
def test_bad_action_bodies_are_400_naming_the_field_and_change_nothing(api, suffix, body, field):
    alert_id = api.call("POST", "/api/alert", "operator", json=recent()).json["id"]
    before = api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["count"]
    answer = api.call("POST", f"/api/alert/{alert_id}{suffix}", "operator", json=body)
    assert answer.status == 400 and answer.json["field"] == field, answer
    assert api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["count"] == before


def test_shelve_resolve_and_notes_are_recorded_with_who_and_why(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=recent()).json["id"]
    shelved = api.call("POST", f"/api/alert/{alert_id}/shelve", "operator", json={"minutes": 60}).json
    assert shelved["status"] == "shelved" and shelved["shelved_by"] == "operator"
    assert api.call("POST", f"/api/alert/{alert_id}/unshelve", "operator").json["status"] == "open"
    note = api.call("POST", f"/api/alert/{alert_id}/note", "operator", json={"note": "disk ordered"})
    assert note.status == 201 and note.json["kind"] == "note" and note.json["actor"] == "operator"
    resolved = api.call("POST", f"/api/alert/{alert_id}/resolve", "admin", json={"note": "disk replaced"}).json
    assert resolved["status"] == "resolved" and resolved["resolution"] == "resolved by hand: disk replaced"
    refused = api.call("POST", f"/api/alert/{alert_id}/shelve", "operator", json={"minutes": 5})
    assert refused.status == 409 and refused.json["field"] == "status"
    history = api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["results"]
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("created", "operator"), ("shelved", "operator"), ("unshelved", "operator"), ("note", "operator"),
        ("resolved", "admin")]
    assert history[3]["id"] == note.json["id"]


def test_a_deleted_alert_keeps_its_history_ending_with_who_deleted_it(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=alert()).json["id"]
    assert api.call("DELETE", f"/api/alert/{alert_id}", "admin").status == 204
    history = api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["results"]
    assert [(e["kind"], e["actor"]) for e in history] == [("created", "operator"), ("deleted", "admin")]
    assert api.call("GET", "/api/alert/999/history", "viewer").status == 404


def test_the_state_fields_cannot_be_written_directly(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=alert()).json["id"]
    for field in ("status", "duplicate_count", "fingerprint", "resolved_at", "silenced"):
        answer = api.call("PATCH", f"/api/alert/{alert_id}", "operator", json={field: "x"})
        assert answer.status == 400 and answer.json["field"] == field and "read-only" in answer.json["error"]


# ---- filters

@pytest.mark.parametrize("query, field", [
    ({"status": "bogus"}, "status"), ({"status": "open,closed"}, "status"), ({"flapping": "maybe"}, "flapping"),
    ({"silenced": "1"}, "silenced"), ({"silence": "x"}, "silence"), ({"silence": "0"}, "silence"),
])
def test_bad_lifecycle_filters_are_400_naming_the_parameter(api, query, field):
    answer = api.call("GET", "/api/alert", "viewer", query=query)
    assert answer.status == 400 and answer.json["field"] == field


def test_what_needs_a_person_is_open_and_not_silenced(api):
    ids = {name: api.call("POST", "/api/alert", "operator", json=recent(message=name, server=server)).json["id"]
           for name, server in (("open", "web-01"), ("acked", "web-01"), ("silenced", "db-01"), ("resolved", "web-01"))}
    api.call("POST", f"/api/alert/{ids['acked']}/ack", "operator")
    api.call("POST", f"/api/alert/{ids['resolved']}/resolve", "operator")
    api.call("POST", "/api/silence", "operator", json={"matchers": {"server": "db-*"}, "comment": "disk swap",
                                                       "ends_at": soon(hours=1)})
    page = api.call("GET", "/api/alert", "viewer", query={"status": "open", "silenced": "false"}).json
    assert [a["id"] for a in page["results"]] == [ids["open"]]
    silenced = api.call("GET", "/api/alert", "viewer", query={"silenced": "true"}).json["results"]
    assert [(a["id"], a["status"], a["silenced"]) for a in silenced] == [(ids["silenced"], "open", True)]
    both = api.call("GET", "/api/alert", "viewer", query=[("status", "acknowledged,resolved")]).json["results"]
    assert sorted(a["id"] for a in both) == sorted([ids["acked"], ids["resolved"]])
    stats = api.call("GET", "/api/stats", "viewer").json
    assert stats["needs_attention"] == 1 and stats["needs_attention_by_severity"]["CRITICAL"] == 1
    assert stats["by_status"] == {"open": 2, "acknowledged": 1, "shelved": 0, "resolved": 1}
    assert stats["silenced"] == 1
    acked = api.call("POST", "/api/alert/ack", "operator", json={"status": "open", "silenced": False}).json
    assert acked == {"acknowledged": 1}


# ---- silences

@pytest.mark.parametrize("body, field", [
    ({"matchers": {"server": "x"}, "comment": "c", "starts_at": soon(hours=2), "ends_at": soon(hours=1)}, "ends_at"),
    ({"matchers": {"server": "x"}, "comment": "c", "ends_at": soon(hours=-1)}, "ends_at"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": ["sun"], "start": "02:00", "end": "04:00",
                                                                "timezone": "Europe/Pariss"}}, "schedule.timezone"),
    ({"matchers": {"server": "x"}, "comment": "c", "ends_at": soon(hours=30),
      "starts_at": soon(hours=1), "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                               "start": "03:00", "end": "03:01", "timezone": "Pacific/Kiritimati"}},
     None),  # a window every day: accepted (the control case)
    ({"matchers": {"colour": "x"}, "comment": "c", "ends_at": soon(hours=1)}, "matchers.colour"),
    ({"matchers": {}, "comment": "c", "ends_at": soon(hours=1)}, "matchers"),
    ({"matchers": {"server": "x"}, "ends_at": soon(hours=1)}, "comment"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": None}, "schedule"),
])
def test_bad_silences_are_400_naming_the_field(api, body, field):
    answer = api.call("POST", "/api/silence", "operator", json=body)
    if field is None:
        assert answer.status == 201, answer
        return
    assert answer.status == 400 and answer.json["field"] == field, answer
    assert api.call("GET", "/api/silence", "viewer", query={"state": "all"}).json["count"] == 0


def test_a_silence_lists_what_it_matches_and_ending_it_early_unsilences(api):
    alert_id = api.call("POST", "/api/alert", "operator", json=recent(server="db-01")).json["id"]
    made = api.call("POST", "/api/silence", "operator", json={
        "matchers": {"server": "db-01", "severity": ["critical", "error"]}, "comment": "disk swap",
        "ends_at": soon(hours=2)})
    assert made.status == 201 and made.json["state"] == "active" and made.json["silencing"] == 1
    assert made.json["created_by"] == "operator" and made.json["matchers"]["severity"] == ["CRITICAL", "ERROR"]
    assert api.call("GET", "/api/alert", "viewer", query={"silence": made.json["id"]}).json["count"] == 1
    assert api.call("GET", f"/api/alert/{alert_id}", "viewer").json["silence_id"] == made.json["id"]
    ended = api.call("POST", f"/api/silence/{made.json['id']}/end", "operator").json
    assert ended["state"] == "expired" and ended["ended_by"] == "operator"
    assert api.call("GET", f"/api/alert/{alert_id}", "viewer").json["silenced"] is False
    assert [s["id"] for s in api.call("GET", "/api/silence", "viewer").json["results"]] == []
    assert [s["id"] for s in api.call("GET", "/api/silence", "viewer", query={"state": "expired"}).json["results"]] \
        == [made.json["id"]]
    assert api.call("GET", "/api/silence", "viewer", query={"state": "later"}).json["field"] == "state"


def test_the_audit_says_who_changed_machines_users_and_silences(api):
    api.call("POST", "/api/machine", "admin", json={"name": "sw-1", "host": "127.0.0.1",
                                                    "snmp": {"version": "2c", "community": "hush-hush"}})
    api.call("POST", "/api/user", "admin", json={"username": "bob", "role": "viewer", "password": "long enough"})
    api.call("DELETE", "/api/user/bob", "admin")
    api.call("DELETE", "/api/machine/sw-1", "admin")
    entries = api.call("GET", "/api/audit", "admin").json["results"]
    assert [(e["actor"], e["action"], e["target_kind"], e["target"]) for e in entries] == [
        ("admin", "delete", "machine", "sw-1"), ("admin", "delete", "user", "bob"),
        ("admin", "create", "user", "bob"), ("admin", "create", "machine", "sw-1")]
    assert "hush-hush" not in str(entries)
    assert api.call("GET", "/api/audit", "admin", query={"kind": "robot"}).json["field"] == "kind"


# ---- the real server: a machine goes down, is acknowledged for 15 minutes, comes back

@pytest.mark.slow
def test_on_the_real_server_down_acknowledged_then_up_is_one_alert_with_its_history(tmp_path):
    server = start_api(tmp_path)
    try:
        url, operator = server.url + "/api/alert", server.operator.headers
        down = requests.post(url, json=alert(timestamp=soon(minutes=-2), **DOWN), headers=operator, timeout=10)
        assert down.status_code == 201
        alert_id = down.json()["id"]
        acked = requests.post(f"{url}/{alert_id}/ack", json={"minutes": 15}, headers=operator, timeout=10).json()
        assert acked["status"] == "acknowledged"
        up = requests.post(url, json=alert(timestamp=soon(), **UP), headers=operator, timeout=10)
        assert up.status_code == 200 and up.json()["id"] == alert_id and up.json()["status"] == "resolved"
        listed = requests.get(url, params={"server": "edge-rt-02"}, headers=server.viewer.headers, timeout=10).json()
        assert listed["count"] == 1
        history = requests.get(f"{url}/{alert_id}/history", headers=server.viewer.headers, timeout=10).json()
        assert [e["kind"] for e in history["results"]] == ["created", "acknowledged", "resolved"]
        conn = db.connect(server.db_path, readonly=True)
        assert conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1
        conn.close()
    finally:
        server.stop()
