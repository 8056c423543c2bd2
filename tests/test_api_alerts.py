"""Alerts endpoints, in-process through WSGI: the seed's five operations, filters,
pagination, acknowledgement, stats, idempotent ingest and every error shape."""

import pytest

from tests.support.api_wsgi import Api, alert
from vigie import db


@pytest.fixture
def api(tmp_path):
    return Api(tmp_path)


def add(api, role="operator", **fields):
    answer = api.call("POST", "/api/alert", role, json=alert(**fields))
    assert answer.status == 201, answer
    return answer.json


def count_rows(api):
    return api.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]


# ---- the five operations

def test_post_one_alert_returns_201_with_the_normalised_alert(api):
    answer = api.call("POST", "/api/alert", "operator",
                      json=alert(severity="critique", environment="PROD", timestamp="2026-11-22T11:15:03+01:00"))
    assert answer.status == 201
    body = answer.json
    assert body["severity"] == "CRITICAL" and body["environment"] == "prod"
    assert body["timestamp"] == "2026-11-22T10:15:03+00:00"
    assert body["acknowledged"] is False and body["acknowledged_by"] is None and body["source_id"] is None
    assert set(body) >= {"id", "timestamp", "server", "severity", "message", "provider", "application",
                         "environment", "acknowledged", "acknowledged_by", "acknowledged_at", "source_id"}
    assert set(body) == set(db.ALERT_COLUMNS)
    assert api.call("GET", f"/api/alert/{body['id']}", "viewer").json == body


def test_get_list_returns_the_envelope(api):
    ids = [add(api, message=f"m{i}")["id"] for i in range(3)]
    body = api.call("GET", "/api/alert", "viewer").json
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    assert sorted(a["id"] for a in body["results"]) == ids


def test_delete_removes_the_alert_and_a_second_delete_is_404(api):
    alert_id = add(api)["id"]
    answer = api.call("DELETE", f"/api/alert/{alert_id}", "admin")
    assert answer.status == 204 and answer.body == b""
    assert api.call("GET", f"/api/alert/{alert_id}").status == 404
    assert api.call("DELETE", f"/api/alert/{alert_id}").json["field"] == "id"


def test_post_on_an_alert_changes_only_the_fields_sent(api):
    before = add(api)
    answer = api.call("POST", f"/api/alert/{before['id']}", "operator", json={"message": "fixed", "severity": "info"})
    assert answer.status == 200
    after = answer.json
    assert after["message"] == "fixed" and after["severity"] == "INFO"
    assert {k: v for k, v in after.items() if k not in ("message", "severity")} == \
        {k: v for k, v in before.items() if k not in ("message", "severity")}


def test_patch_is_a_partial_update_and_put_needs_every_field(api):
    alert_id = add(api)["id"]
    assert api.call("PATCH", f"/api/alert/{alert_id}", json={"server": "db-02"}).json["server"] == "db-02"
    missing = api.call("PUT", f"/api/alert/{alert_id}", json={"server": "db-03"})
    assert missing.status == 400 and missing.json["field"] == "timestamp"
    replaced = api.call("PUT", f"/api/alert/{alert_id}", json=alert(server="db-04", message="new"))
    assert replaced.status == 200 and replaced.json["server"] == "db-04" and replaced.json["message"] == "new"


@pytest.mark.parametrize("body, field", [
    ({"id": 5}, "id"), ({"source_id": "x"}, "source_id"), ({"colour": "red"}, "colour"),
    ({"severity": "bad"}, "severity"), ({"timestamp": "yesterday"}, "timestamp"), ({"server": ""}, "server"),
    ({"acknowledged": "yes"}, "acknowledged"), ({}, None),
])
def test_bad_changes_are_refused_and_change_nothing(api, body, field):
    before = add(api)
    answer = api.call("PATCH", f"/api/alert/{before['id']}", json=body)
    assert answer.status == 400 and answer.json["field"] == field
    assert api.call("GET", f"/api/alert/{before['id']}").json == before


def test_changing_a_missing_alert_is_404(api):
    for method in ("POST", "PATCH", "PUT"):
        answer = api.call(method, "/api/alert/999", json=alert())
        assert answer.status == 404 and answer.json["field"] == "id"


# ---- batches and idempotency

def test_batch_is_created_in_one_go_and_returns_the_ids(api):
    answer = api.call("POST", "/api/alert", "operator", json=[alert(message=f"m{i}") for i in range(1000)])
    assert answer.status == 201
    assert len(answer.json["ids"]) == 1000 and answer.json["created"] == 1000
    assert count_rows(api) == 1000


def test_batch_with_one_bad_alert_adds_nothing_and_names_the_index(api):
    batch = [alert(), alert(), alert(severity="catastrophic"), alert()]
    answer = api.call("POST", "/api/alert", "operator", json=batch)
    assert answer.status == 400
    assert answer.json["index"] == 2 and answer.json["field"] == "severity"
    assert "catastrophic" in answer.json["error"]
    assert count_rows(api) == 0


def test_same_source_id_returns_the_existing_alert_not_a_new_row(api):
    first = api.call("POST", "/api/alert", json=alert(source_id="sha256:abc"))
    again = api.call("POST", "/api/alert", json=alert(source_id="sha256:abc", message="other"))
    assert first.status == 201 and again.status == 200
    assert again.json == first.json
    batch = api.call("POST", "/api/alert", json=[alert(source_id="sha256:abc"), alert(source_id="new", message="m2"),
                                                 alert(source_id="new", message="m2")])
    assert batch.json["ids"][0] == first.json["id"]
    assert batch.json["ids"][1] == batch.json["ids"][2] and batch.json["created"] == 1
    assert count_rows(api) == 2


def test_empty_batch_and_batch_over_the_cap_are_refused(tmp_path):
    api = Api(tmp_path, max_batch=10)
    assert api.call("POST", "/api/alert", json=[]).status == 400
    answer = api.call("POST", "/api/alert", json=[alert()] * 11)
    assert answer.status == 413 and "limit of 10" in answer.json["error"]
    assert count_rows(api) == 0


# ---- bad input

@pytest.mark.parametrize("record, field", [
    (alert(severity="urgent"), "severity"),
    (alert(timestamp="2026-13-01T00:00:00Z"), "timestamp"),
    (alert(timestamp="2026-11-22T10:15:03"), "timestamp"),
    (alert(timestamp="0001-01-01T00:00:00+01:00"), "timestamp"),  # before year 1 in UTC
    (alert(server=""), "server"),
    (alert(server=12), "server"),
    (alert(message=None), "message"),
    (alert(extra="x"), "extra"),
    (alert(source_id=""), "source_id"),
    (alert(message="x" * 2001), "message"),
    ({k: v for k, v in alert().items() if k != "message"}, "message"),
])
def test_bad_alert_is_refused_with_the_field_named(api, record, field):
    answer = api.call("POST", "/api/alert", "operator", json=record)
    assert answer.status == 400, answer
    assert answer.json["field"] == field and answer.json["error"]
    assert count_rows(api) == 0


@pytest.mark.parametrize("body, status", [(b"{not json", 400), (b"", 400), (b"\xff\xfe", 400), (b"42", 400),
                                          (b'"text"', 400)])
def test_malformed_bodies_are_json_errors(api, body, status):
    answer = api.call("POST", "/api/alert", body=body, headers={"Content-Type": "application/json"})
    assert answer.status == status and answer.header("Content-Type").startswith("application/json")
    assert set(answer.json) >= {"error", "field"}


def test_body_over_the_limit_is_413(tmp_path):
    api = Api(tmp_path, max_body_bytes=2000)
    answer = api.call("POST", "/api/alert", json=[alert(message="x" * 500) for _ in range(5)])
    assert answer.status == 413 and answer.json["error"]
    assert count_rows(api) == 0


def test_batch_of_1000_fits_the_default_body_limit(api):
    batch = [alert(message="m" * 300, source_id=f"id-{i}") for i in range(1000)]
    assert api.call("POST", "/api/alert", json=batch).status == 201


def test_unknown_route_wrong_method_and_trailing_slash(api):
    missing = api.call("GET", "/api/nothing")
    assert missing.status == 404 and missing.json["error"]
    wrong = api.call("PUT", "/api/alert")
    assert wrong.status == 405 and "GET" in wrong.header("Allow") and wrong.json["error"]
    assert api.call("GET", "/api/alert/").status == 200
    assert api.call("GET", "/api/alert/abc").status == 404
    assert api.call("GET", "/api/alert/99999999999999999999999").status == 404


# ---- filters and pagination

@pytest.fixture
def loaded(api):
    rows = [
        dict(server="web-01", severity="CRITICAL", environment="prod", application="billing", provider="Acme",
             message="Disk full on /var", timestamp="2026-11-20T10:00:00Z"),
        dict(server="web-02", severity="WARNING", environment="prod", application="shop", provider="Acme",
             message="Load high", timestamp="2026-11-21T10:00:00Z"),
        dict(server="db-01", severity="ERROR", environment="preprod", application="billing", provider="NetOps",
             message="Replication 100% lag", timestamp="2026-11-22T10:00:00Z"),
        dict(server="db-01", severity="INFO", environment="dev", application="shop", provider="NetOps",
             message="Backup done", timestamp="2026-11-23T10:00:00Z"),
    ]
    api.ids = [add(api, **r)["id"] for r in rows]
    return api


def servers(api, query):
    answer = api.call("GET", "/api/alert", "viewer", query=query)
    assert answer.status == 200, answer
    return sorted(a["server"] + ":" + a["severity"] for a in answer.json["results"])


@pytest.mark.parametrize("query, expected", [
    ({"severity": "critical"}, ["web-01:CRITICAL"]),
    ({"severity": "critical,warning"}, ["web-01:CRITICAL", "web-02:WARNING"]),
    ([("severity", "ERROR"), ("severity", "info")], ["db-01:ERROR", "db-01:INFO"]),
    ({"server": "db-01"}, ["db-01:ERROR", "db-01:INFO"]),
    ({"environment": "PROD"}, ["web-01:CRITICAL", "web-02:WARNING"]),
    ({"application": "shop", "provider": "NetOps"}, ["db-01:INFO"]),
    ({"q": "100%"}, ["db-01:ERROR"]),
    ({"q": "disk"}, ["web-01:CRITICAL"]),
    ({"since": "2026-11-22T00:00:00Z"}, ["db-01:ERROR", "db-01:INFO"]),
    ({"until": "2026-11-21T10:00:00+00:00"}, ["web-01:CRITICAL", "web-02:WARNING"]),
    ({"since": "2026-11-21T11:00:00+01:00", "until": "2026-11-22T10:00:00Z"}, ["db-01:ERROR", "web-02:WARNING"]),
    ({"severity": "critique", "environment": "prod"}, ["web-01:CRITICAL"]),
])
def test_filters_select_the_right_alerts(loaded, query, expected):
    assert servers(loaded, query) == expected


def test_acknowledged_filter(loaded):
    loaded.call("POST", f"/api/alert/{loaded.ids[0]}/ack", "operator")
    assert servers(loaded, {"acknowledged": "true"}) == ["web-01:CRITICAL"]
    assert len(servers(loaded, {"acknowledged": "false"})) == 3


@pytest.mark.parametrize("query, field", [
    ({"severity": "bad"}, "severity"), ({"severity": "critical,"}, "severity"), ({"acknowledged": "maybe"}, "acknowledged"),
    ({"since": "last week"}, "since"), ({"until": "2026-11-22"}, "until"),
    ({"until": "9999-12-31T23:59:59-01:00"}, "until"), ({"ordering": "colour"}, "ordering"),
    ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"limit": "ten"}, "limit"), ({"offset": "-1"}, "offset"),
    ({"sever1ty": "x"}, "sever1ty"),
])
def test_bad_filter_values_are_400_naming_the_parameter(loaded, query, field):
    answer = loaded.call("GET", "/api/alert", "viewer", query=query)
    assert answer.status == 400 and answer.json["field"] == field


@pytest.mark.parametrize("ordering, first", [
    ("-timestamp", "db-01:INFO"), ("timestamp", "web-01:CRITICAL"), ("-severity", "web-01:CRITICAL"),
    ("severity", "db-01:INFO"), ("server,-timestamp", "db-01:INFO"), ("-server", "web-02:WARNING"),
])
def test_ordering(loaded, ordering, first):
    results = loaded.call("GET", "/api/alert", query={"ordering": ordering}).json["results"]
    assert results[0]["server"] + ":" + results[0]["severity"] == first


def test_pagination_links_walk_every_alert_once(api):
    batch = [alert(message=f"m{i}", timestamp=f"2026-11-22T10:{i:02d}:00Z") for i in range(25)]
    api.call("POST", "/api/alert", json=batch)
    seen, query, pages = [], {"limit": 10, "severity": "critical"}, 0
    answer = api.call("GET", "/api/alert", query=query).json
    assert answer["previous"] is None
    while True:
        pages += 1
        assert answer["count"] == 25
        seen += [a["message"] for a in answer["results"]]
        if answer["next"] is None:
            break
        assert answer["next"].startswith("http://testserver/api/alert?") and "severity=critical" in answer["next"]
        answer = api.call("GET", "/api/alert", query=answer["next"].split("?", 1)[1]).json
        assert answer["previous"] is not None
    assert pages == 3 and sorted(seen) == sorted(f"m{i}" for i in range(25))
    assert seen[0] == "m24"  # newest first by default


# ---- acknowledgement

def test_ack_records_who_and_when_and_unack_clears_it(api):
    alert_id = add(api)["id"]
    acked = api.call("POST", f"/api/alert/{alert_id}/ack", "operator")
    assert acked.status == 200
    assert acked.json["acknowledged"] is True and acked.json["acknowledged_by"] == "operator"
    assert acked.json["acknowledged_at"].endswith("+00:00")
    again = api.call("POST", f"/api/alert/{alert_id}/ack", "admin").json
    assert again["acknowledged_by"] == "admin"  # acknowledging again takes the acknowledgement over
    cleared = api.call("POST", f"/api/alert/{alert_id}/unack", "operator").json
    assert cleared["acknowledged"] is False and cleared["acknowledged_by"] is None and cleared["acknowledged_at"] is None
    assert api.call("POST", "/api/alert/777/ack").status == 404


def vanish_on_update(conn):
    """Make any alert disappear at the moment something updates it: the trigger deletes
    the row and drops the update, as if another writer had deleted it between the
    handler's read and its write (the race, made to happen every time)."""
    conn.execute("CREATE TRIGGER vanish BEFORE UPDATE ON alerts BEGIN"
                 " DELETE FROM alerts WHERE id = OLD.id; SELECT RAISE(IGNORE); END")


@pytest.mark.parametrize("method, suffix, body", [
    ("POST", "/ack", None), ("POST", "/unack", None), ("POST", "", {"message": "x"}),
    ("PATCH", "", {"message": "x"}), ("PUT", "", alert(message="replaced")),
])
def test_an_alert_deleted_between_read_and_update_is_404(api, method, suffix, body):
    alert_id = add(api)["id"]
    if suffix == "/unack":  # something to withdraw, so that the change writes
        api.call("POST", f"/api/alert/{alert_id}/ack", "operator")
    vanish_on_update(api.conn)
    answer = api.call(method, f"/api/alert/{alert_id}{suffix}", "operator", json=body)
    assert answer.status == 404 and answer.json["field"] == "id", answer
    assert count_rows(api) == 0


def test_bulk_ack_with_filters_in_the_query_or_the_body(loaded):
    answer = loaded.call("POST", "/api/alert/ack", "operator", query={"server": "db-01"})
    assert answer.status == 200 and answer.json == {"acknowledged": 2}
    assert loaded.call("POST", "/api/alert/ack", "operator", query={"server": "db-01"}).json == {"acknowledged": 0}
    body = loaded.call("POST", "/api/alert/ack", "operator", json={"severity": ["critical", "warning"],
                                                                    "environment": "prod"})
    assert body.json == {"acknowledged": 2}
    assert servers(loaded, {"acknowledged": "false"}) == []
    bad = loaded.call("POST", "/api/alert/ack", "operator", json={"severity": "nope"})
    assert bad.status == 400 and bad.json["field"] == "severity"
    assert loaded.call("POST", "/api/alert/ack", "operator", json={"colour": "x"}).json["field"] == "colour"


# ---- stats

def test_stats_count_by_every_grouping(loaded):
    loaded.call("POST", f"/api/alert/{loaded.ids[0]}/ack", "operator")
    stats = loaded.call("GET", "/api/stats", "viewer").json
    assert stats["total"] == 4 and stats["unacknowledged"] == 3
    assert stats["by_severity"] == {"CRITICAL": 1, "ERROR": 1, "WARNING": 1, "INFO": 1}
    assert stats["by_server"] == {"web-01": 1, "web-02": 1, "db-01": 2}
    assert stats["by_environment"] == {"prod": 2, "preprod": 1, "dev": 1}
    assert stats["by_provider"] == {"Acme": 2, "NetOps": 2}
    assert stats["by_application"] == {"billing": 2, "shop": 2}
    assert stats["by_acknowledged"] == {"true": 1, "false": 3}
    assert stats["unacknowledged_by_severity"]["CRITICAL"] == 0
    assert stats["oldest"] == "2026-11-20T10:00:00+00:00" and stats["newest"] == "2026-11-23T10:00:00+00:00"


# ---- the module other parts read through

def test_db_functions_read_only_connection_cannot_write(loaded):
    conn = db.connect(loaded.db_path, readonly=True)
    count, rows = db.list_alerts(conn, {"server": ["db-01"]}, "-timestamp", 10, 0)
    assert count == 2 and rows[0]["severity"] == "INFO"
    assert db.get_stats(conn)["total"] == 4
    with pytest.raises(Exception):
        conn.execute("DELETE FROM alerts")
    assert loaded.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_error_has_the_one_shape(loaded):
    answers = [
        loaded.call("GET", "/api/alert", None),
        loaded.call("POST", "/api/alert", "viewer", json=alert()),
        loaded.call("GET", "/api/alert/12345"),
        loaded.call("PUT", "/api/stats"),
        loaded.call("POST", "/api/alert", body=b"{"),
        loaded.call("GET", "/api/alert", query={"limit": "x"}),
        loaded.call("GET", "/api/machine/bad name"),
    ]
    for answer in answers:
        assert answer.status >= 400
        assert answer.header("Content-Type").startswith("application/json"), answer
        body = answer.json
        assert isinstance(body["error"], str) and body["error"] and "field" in body
