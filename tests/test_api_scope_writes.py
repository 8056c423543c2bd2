"""A member of a scoped team writes only inside the scope: deduplication by source_id
or fingerprint never reaches another team's alert (neither returned nor touched,
the Alertmanager webhook included), and an edit cannot move an alert out of the
scope."""

import pytest

from tests.support.api_wsgi import Api, alert
from vigie import db
from vigie import lifecycle as lc

GLOBEX = {"server": "globex-db-9", "provider": "Globex Corp", "message": "GLOBEX-SECRET-MESSAGE"}


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    answer = api.call("POST", "/api/alert", json=alert(**GLOBEX, source_id="globex-src-1",
                                                       fingerprint="globex-fp-1"))
    api.outside = answer.json
    api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]},
                                        "members": ["operator"]})
    return api


def untouched(api) -> bool:
    now = db.get_alert(api.conn, api.outside["id"])
    return (now["status"] == "open" and now["duplicate_count"] == 0 and now["message"] == GLOBEX["message"]
            and [e["kind"] for e in db.alert_history(api.conn, api.outside["id"])] == ["created"])


def test_a_known_source_id_of_another_team_is_neither_returned_nor_touched(api):
    answer = api.call("POST", "/api/alert", "operator", json=alert(provider="Acme", source_id="globex-src-1"))
    assert answer.status == 201 and answer.json["id"] != api.outside["id"]
    assert "GLOBEX" not in answer.body.decode() and answer.json["provider"] == "Acme"
    assert untouched(api)
    again = api.call("POST", "/api/alert", "operator", json=alert(provider="Acme", source_id="globex-src-1"))
    assert again.status == 200 and again.json["id"] == answer.json["id"]  # its own, from now on
    replayed = api.call("POST", "/api/alert", "admin", json=alert(**GLOBEX, source_id="globex-src-1"))
    assert replayed.status == 200 and replayed.json["id"] == api.outside["id"]  # the first sender's still


@pytest.mark.parametrize("severity", ["CRITICAL", "INFO"])
def test_a_fingerprint_of_another_team_makes_an_alert_of_its_own(api, severity):
    answer = api.call("POST", "/api/alert", "operator", json=alert(provider="Acme", severity=severity,
                                                                  fingerprint="globex-fp-1"))
    assert answer.status == 201 and answer.json["id"] != api.outside["id"]
    assert "GLOBEX" not in answer.body.decode()
    assert untouched(api)
    # the other team's sender still counts on its own alert, not on the copy
    repeat = api.call("POST", "/api/alert", "admin", json=alert(**GLOBEX, fingerprint="globex-fp-1",
                                                                 timestamp="2026-11-22T10:20:00+00:00"))
    assert repeat.status == 200 and repeat.json["id"] == api.outside["id"]
    assert db.get_alert(api.conn, answer.json["id"])["message"] != GLOBEX["message"]


def test_in_a_batch_too(api):
    answer = api.call("POST", "/api/alert", "operator", json=[
        alert(provider="Acme", fingerprint="globex-fp-1", severity="INFO"),
        alert(provider="Acme", source_id="globex-src-1", message="other")])
    assert answer.status == 201 and answer.json["created"] == 2 and api.outside["id"] not in answer.json["ids"]
    assert untouched(api)


def test_an_alertmanager_resolution_from_a_member_reaches_only_its_scope(api):
    payload = {"version": "4", "alerts": [{
        "status": "resolved", "labels": {"alertname": "Disk", "instance": "globex-db-9:9100", "team": "Acme"},
        "annotations": {"summary": "disk"}, "startsAt": "2026-11-22T10:00:00+00:00",
        "endsAt": "2026-11-22T10:30:00+00:00", "fingerprint": "globex-fp-1"}]}
    answer = api.call("POST", "/api/webhook/alertmanager", "operator", json=payload)
    assert answer.status == 200 and answer.json["ids"] != [api.outside["id"]]
    assert untouched(api)


def test_an_unscoped_sender_still_deduplicates_across_everything(api):
    answer = api.call("POST", "/api/alert", "admin", json=alert(**dict(GLOBEX, severity="INFO"),
                                                               fingerprint="globex-fp-1"))
    assert answer.status == 200 and answer.json["id"] == api.outside["id"] and answer.json["status"] == "resolved"


def test_the_row_counted_on_prefers_the_one_that_says_the_same_scope():
    old = {"id": 1, "provider": "Globex", "application": "a", "environment": "prod", "server": "s"}
    copy = dict(old, id=2, provider="Acme")
    assert lc.row_to_count_on([], old) is None
    assert lc.row_to_count_on([old], copy) is old
    assert lc.row_to_count_on([old, copy], old) is old
    assert lc.row_to_count_on([old, copy], copy) is copy
    assert lc.row_to_count_on([old, copy], dict(old, provider="Initech")) is copy  # none alike: the newest


@pytest.mark.parametrize("method, body", [
    ("PATCH", {"provider": "Globex Corp"}),
    ("POST", {"provider": "Globex Corp"}),
    ("PUT", alert(provider="Globex Corp")),
])
def test_an_edit_cannot_move_an_alert_out_of_the_scope(api, method, body):
    mine = api.call("POST", "/api/alert", "operator", json=alert(provider="Acme", message="ACME")).json
    answer = api.call(method, f"/api/alert/{mine['id']}", "operator", json=body)
    assert answer.status == 403 and answer.json["field"] == "provider"
    assert db.get_alert(api.conn, mine["id"])["provider"] == "Acme"
    inside = api.call("PATCH", f"/api/alert/{mine['id']}", "operator", json={"message": "still mine"})
    assert inside.status == 200 and inside.json["message"] == "still mine"
    assert api.call(method, f"/api/alert/{mine['id']}", "admin", json=body).status == 200
