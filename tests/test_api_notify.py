"""/api/notify/channel, /api/notify/rule, /api/team and /api/alert/<id>/notifications,
in-process: admin only where it should be, URLs never answered, errors naming the field."""

import json

import pytest

from tests.support.api_wsgi import Api, alert
from vigie import db
from vigie.notify.daemon import Notifier

SECRET_URL = "json://hookuser:S3cr3t-Hook-Pw@127.0.0.1:9/hook/T0K3N-abcdef"


@pytest.fixture
def api(tmp_path):
    return Api(tmp_path)


def add_channel(api, name="ops", url=SECRET_URL, **extra):
    return api.call("POST", "/api/notify/channel", json=dict({"name": name, "url": url}, **extra))


def test_channel_urls_are_never_answered(api):
    made = add_channel(api)
    assert made.status == 201
    assert made.json["url"] == "********" and made.json["service"] == "JSON" and made.json["scheme"] == "json"
    for path in ("/api/notify/channel", "/api/notify/channel/ops"):
        answer = api.call("GET", path)
        assert answer.status == 200
        assert "S3cr3t" not in answer.body.decode() and "T0K3N" not in answer.body.decode()
    stored = db.notify.get_channel(api.conn, "ops")["url"]
    assert stored == SECRET_URL


def test_masked_url_sent_back_keeps_the_stored_one(api):
    add_channel(api)
    api.call("POST", "/api/team", json={"name": "netops", "scope": {"server": ["edge-*"]}})
    changed = add_channel(api, url="********", team="netops", admin=True)
    assert changed.status == 200 and changed.json["team"] == "netops" and changed.json["admin"] is True
    assert db.notify.get_channel(api.conn, "ops")["url"] == SECRET_URL
    assert add_channel(api, name="new", url="********").json["field"] == "url"


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "url": "nosuchscheme://a/b"}, "url"),
    ({"name": "x", "url": 42}, "url"),
    ({"name": "", "url": "json://h/p"}, "name"),
    ({"name": "x", "url": "json://h/p", "team": "nobody"}, "team"),
    ({"name": "x", "url": "json://h/p", "admin": "yes"}, "admin"),
    ({"name": "x", "url": "json://h/p", "colour": "red"}, "colour"),
])
def test_bad_channels_get_400_naming_the_field(api, body, field):
    answer = api.call("POST", "/api/notify/channel", json=body)
    assert answer.status == 400, answer
    assert answer.json["field"] == field
    assert "nosuchscheme://a/b" not in answer.json["error"]


@pytest.mark.parametrize("role, expected", [(None, 401), ("viewer", 403), ("operator", 403), ("admin", 200)])
@pytest.mark.parametrize("path", ["/api/notify/channel", "/api/notify/rule", "/api/team"])
def test_management_is_for_admins(api, role, expected, path):
    assert api.call("GET", path, role=role).status == expected


def test_rules_name_existing_channels_and_teams(api):
    rule = {"name": "edge", "steps": [{"channels": ["ops"]}]}
    answer = api.call("POST", "/api/notify/rule", json=rule)
    assert answer.status == 400 and answer.json["field"] == "steps[0].channels"
    add_channel(api)
    answer = api.call("POST", "/api/notify/rule", json=dict(rule, team="nobody"))
    assert answer.status == 400 and answer.json["field"] == "team"
    made = api.call("POST", "/api/notify/rule", json=dict(rule, match={"min_severity": "error"}))
    assert made.status == 201 and made.json["match"] == {"min_severity": "ERROR"}
    assert api.call("POST", "/api/notify/rule", json=dict(rule, repeat_minutes=0)).status == 200
    assert api.call("GET", "/api/notify/rule/edge").json["repeat_minutes"] == 0
    answer = api.call("DELETE", "/api/notify/channel/ops")
    assert answer.status == 409 and "edge" in answer.json["error"]
    assert api.call("DELETE", "/api/notify/rule/edge").status == 204
    assert api.call("DELETE", "/api/notify/channel/ops").status == 204
    assert api.call("GET", "/api/notify/rule/edge").status == 404


def test_teams_with_scope_and_members(api):
    made = api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": "Acme"},
                                                "members": ["viewer"]})
    assert made.status == 201 and made.json["scope"] == {"provider": ["Acme"]} and made.json["members"] == ["viewer"]
    bad = api.call("POST", "/api/team", json={"name": "acme", "members": ["ghost"]})
    assert bad.status == 400 and bad.json["field"] == "members"
    bad = api.call("POST", "/api/team", json={"name": "acme", "scope": {"colour": ["red"]}})
    assert bad.status == 400 and bad.json["field"] == "scope.colour"
    assert api.call("DELETE", "/api/team/acme").status == 204
    assert api.call("DELETE", "/api/team/acme").status == 404


def test_send_a_test_queues_a_message_the_notifier_delivers(api):
    add_channel(api, url="json://127.0.0.1:9/hook")  # nobody listens: the attempt fails and says so
    queued = api.call("POST", "/api/notify/channel/ops/test")
    assert queued.status == 202
    message_id = queued.json["message"]
    Notifier(api.db_path).deliver_due()
    seen = api.call("GET", f"/api/notify/message/{message_id}").json
    assert seen["channel"] == "ops" and seen["kind"] == "test"
    assert seen["state"] == "pending" and seen["attempts"][0]["ok"] is False and seen["last_error"]
    assert api.call("GET", f"/api/notify/message/{message_id}", role="viewer").status == 403


def test_an_alerts_notifications_say_where_when_and_what_failed(api):
    add_channel(api, url="json://127.0.0.1:9/hook")
    api.call("POST", "/api/notify/rule", json={"name": "all", "steps": [{"channels": ["ops"]}],
                                               "group_wait_seconds": 0})
    alert_id = api.call("POST", "/api/alert", json=alert()).json["id"]
    notifier = Notifier(api.db_path)
    notifier.plan()
    notifier.deliver_due()
    answer = api.call("GET", f"/api/alert/{alert_id}/notifications", role="viewer")
    assert answer.status == 200
    [sent] = answer.json["results"]
    assert (sent["channel"], sent["rule"], sent["kind"], sent["state"]) == ("ops", "all", "opened", "pending")
    assert sent["attempts"][0]["ok"] is False and sent["attempts"][0]["answer"]
    assert "hook" not in json.dumps(sent["attempts"])  # the URL's parts stay out of the answer
    assert api.call("GET", "/api/alert/999999/notifications").status == 404
