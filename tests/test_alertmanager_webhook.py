"""POST /api/webhook/alertmanager: the payload's rules on literal input, the route in-process, then
Debian's prometheus-alertmanager posting to the real API, firing then resolved."""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from vigie import db
from vigie.api import routes_webhooks as wh
from vigie.errors import InputError
from tests.support.api_server import start_api
from tests.support.api_wsgi import Api
from tests.support.prometheus import Alertmanager
from tests.support.syslog import wait_until

STARTS = "2026-11-22T10:15:03.123Z"


def am_alert(status="firing", fingerprint="a1b2c3d4e5f60708", starts=STARTS, **labels):
    alert = {"status": status, "labels": dict({"alertname": "HighLatency", "instance": "db-01:9100",
                                               "severity": "critical", "job": "postgres", "env": "prod"}, **labels),
             "annotations": {"summary": "p99 latency over 1 s"}, "startsAt": starts,
             "endsAt": "2026-11-22T10:20:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint}
    return alert


def payload(*alerts):
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing", "receiver": "vigie",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": list(alerts)}


MAPPING = wh.label_mapping(wh.DEFAULT_LABELS)


def test_labels_map_onto_the_alert_record():
    record = wh.to_record(wh.parse_payload(payload(am_alert()))[0], MAPPING)
    assert record["server"] == "db-01" and record["severity"] == "CRITICAL"
    assert (record["application"], record["environment"], record["provider"]) == ("postgres", "prod", "")
    assert record["message"] == "HighLatency: p99 latency over 1 s"
    assert record["fingerprint"] == "a1b2c3d4e5f60708" and record["timestamp"] == "2026-11-22T10:15:03.123000+00:00"


def test_resolved_is_the_info_of_the_same_fingerprint_at_its_end():
    record = wh.to_record(wh.parse_payload(payload(am_alert("resolved")))[0], MAPPING)
    assert (record["severity"], record["fingerprint"]) == ("INFO", "a1b2c3d4e5f60708")
    assert record["timestamp"] == "2026-11-22T10:20:00+00:00" and record["message"].endswith("(resolved)")


def test_the_mapping_is_a_setting():
    mapping = dict(MAPPING, **wh.label_mapping(["server=node", "severity=priority"]))
    record = wh.to_record(wh.parse_payload(payload(am_alert(node="[2001:db8::1]:9100", priority="P2")))[0], mapping)
    assert record["server"] == "2001:db8::1" and record["severity"] == "ERROR"
    with pytest.raises(InputError):
        wh.label_mapping(["colour=red"])


def test_a_resend_has_the_same_source_id_and_a_new_occurrence_another():
    first, again, later = (wh.to_record(wh.parse_payload(payload(a))[0], MAPPING)
                           for a in (am_alert(), am_alert(), am_alert(starts="2026-11-23T00:00:00Z")))
    assert first["source_id"] == again["source_id"] != later["source_id"]


@pytest.mark.parametrize("body, field", [
    ({"alerts": []}, "version"),
    ({"version": "3", "alerts": []}, "version"),
    ({"version": "4"}, "alerts"),
    (payload(am_alert(), "x"), "alerts.1"),
    (payload(dict(am_alert(), status="pending")), "alerts.0.status"),
    (payload(dict(am_alert(), startsAt="yesterday")), "alerts.0.startsAt"),
    (payload(am_alert(), dict(am_alert("resolved"), endsAt=None)), "alerts.1.endsAt"),
    (payload(dict(am_alert(), fingerprint="")), "alerts.0.fingerprint"),
    (payload(dict(am_alert(), labels={"a": 1})), "alerts.0.labels"),
    ([am_alert()], None),
])
def test_a_body_that_is_not_alertmanagers_is_a_400_naming_the_field(tmp_path, body, field):
    answer = Api(tmp_path).call("POST", "/api/webhook/alertmanager", "operator", json=body)
    assert answer.status == 400 and answer.json["field"] == field, answer


def test_a_payload_over_max_batch_is_refused_whole(tmp_path):
    api = Api(tmp_path, max_batch=3)
    many = payload(*[am_alert(fingerprint=f"fp{i:014d}") for i in range(4)])
    answer = api.call("POST", "/api/webhook/alertmanager", "operator", json=many)
    assert answer.status == 413 and answer.json["field"] == "alerts" and "max_batch" in answer.json["error"]
    assert db.count_alerts(api.conn) == 0
    assert api.call("POST", "/api/webhook/alertmanager", "operator",
                    json=payload(*many["alerts"][:3])).json["created"] == 3


def test_firing_then_resolved_through_the_route(tmp_path):
    api = Api(tmp_path)
    fired = api.call("POST", "/api/webhook/alertmanager", "operator", json=payload(am_alert(), am_alert()))
    assert fired.status == 200 and fired.json["firing"] == 2 and fired.json["created"] == 1
    alert_id = fired.json["ids"][0]
    shown = api.call("GET", f"/api/alert/{alert_id}", "viewer").json
    assert (shown["status"], shown["duplicate_count"], shown["server"]) == ("open", 0, "db-01")
    assert api.call("POST", "/api/webhook/alertmanager", "operator", json=payload(am_alert("resolved"))).status == 200
    assert api.call("GET", f"/api/alert/{alert_id}", "viewer").json["status"] == "resolved"
    assert api.call("POST", "/api/webhook/alertmanager", "viewer", json=payload(am_alert())).status == 403


# -- Debian's Alertmanager posting to the real server


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    root = tmp_path_factory.mktemp("alertmanager")
    api = start_api(root)
    token_file = root / "operator.token"
    token_file.write_text(api.operator.token)
    manager = Alertmanager(root, f"{api.url}/api/webhook/alertmanager", token_file).start()
    yield manager, api
    manager.stop()
    api.stop()


def vigie_alerts(api, server):
    answer = requests.get(f"{api.url}/api/alert", params={"server": server}, headers=api.viewer.headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


@pytest.mark.slow
def test_alertmanager_fires_then_resolves_a_vigie_alert(alertmanager):
    manager, api = alertmanager
    now = datetime.now(timezone.utc)
    labels = {"alertname": "DiskFull", "instance": "files-07:9100", "severity": "warning", "team": "Storage"}
    manager.post_alerts([{"labels": labels, "annotations": {"summary": "/srv is 97% full"},
                          "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat()}])
    fired = wait_until(lambda: vigie_alerts(api, "files-07"), timeout=30, what="the alert in Vigie")
    assert len(fired) == 1
    alert = fired[0]
    assert (alert["severity"], alert["message"], alert["provider"], alert["status"]) == \
        ("WARNING", "DiskFull: /srv is 97% full", "Storage", "open")
    assert len(alert["fingerprint"]) == 16   # Alertmanager's own
    manager.post_alerts([{"labels": labels, "annotations": {"summary": "/srv is 97% full"},
                          "startsAt": now.isoformat(), "endsAt": datetime.now(timezone.utc).isoformat()}])
    wait_until(lambda: requests.get(f"{api.url}/api/alert/{alert['id']}", headers=api.viewer.headers,
                                    timeout=10).json()["status"] == "resolved", timeout=30,
               what="the alert resolved in Vigie")
    assert "Traceback" not in api.log_text()


def test_a_team_member_posts_only_inside_the_team_scope(tmp_path):
    from vigie import db

    api = Api(tmp_path)
    db.teams.put_team(api.conn, "dba", {"provider": ["DBA"]}, ["operator"])
    outside = api.call("POST", "/api/webhook/alertmanager", "operator", json=payload(am_alert()))
    assert outside.status == 403 and outside.json["field"] == "server"
    inside = api.call("POST", "/api/webhook/alertmanager", "operator", json=payload(am_alert(team="DBA")))
    assert inside.status == 200 and inside.json["created"] == 1
