"""GET /api/machine/<name>/log and GET /metrics through the app (in-process WSGI)."""

import gzip
import json

import pytest

from vigie import device_log as dl
from vigie.samples import MachineSamples, SamplesStore
from tests.support.api_wsgi import Api, alert

T0 = 1_767_225_600.0
MACHINE = {"name": "rt1", "host": "192.0.2.1", "snmp": {"version": "2c", "community": "s3cret-community"},
           "tags": {"application": "core", "environment": "prod", "provider": "NetOps"}}


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    assert api.call("POST", "/api/machine", json=MACHINE).status == 201
    severities = ["info", "err", "warning", "debug", "crit", "notice"]
    dl.append(tmp_path / "logs", "rt1", [dl.encode(dl.entry(T0 + i, s, "rt1", "app", f"line {i} {s}", kind="syslog"))
                                         for i, s in enumerate(severities)], now=T0)
    return api


def messages(answer):
    return [e["message"] for e in answer.json["results"]]


def test_newest_first_with_paging(api):
    first = api.call("GET", "/api/machine/rt1/log", "viewer", query={"limit": 4})
    assert first.status == 200 and first.json["machine"] == "rt1"
    assert messages(first) == ["line 5 notice", "line 4 crit", "line 3 debug", "line 2 warning"]
    assert first.json["previous"] is None and "offset=4" in first.json["next"]
    second = api.call("GET", "/api/machine/rt1/log", "viewer", query=first.json["next"].split("?", 1)[1])
    assert messages(second) == ["line 1 err", "line 0 info"] and second.json["next"] is None
    assert "offset=0" in second.json["previous"]


def test_severity_floor_and_search(api):
    assert messages(api.call("GET", "/api/machine/rt1/log", "viewer", query={"severity": "err"})) == \
        ["line 4 crit", "line 1 err"]
    assert messages(api.call("GET", "/api/machine/rt1/log", "viewer", query={"severity": "WARNING", "q": "LINE 2"})) \
        == ["line 2 warning"]
    assert messages(api.call("GET", "/api/machine/rt1/log", "viewer", query={"severity": "3"})) == \
        ["line 4 crit", "line 1 err"]


@pytest.mark.parametrize("query, field", [({"severity": "loud"}, "severity"), ({"limit": "0"}, "limit"),
                                          ({"limit": "x"}, "limit"), ({"offset": "-1"}, "offset"),
                                          ({"colour": "red"}, "colour")])
def test_bad_queries_name_the_field(api, query, field):
    answer = api.call("GET", "/api/machine/rt1/log", "viewer", query=query)
    assert answer.status == 400 and answer.json["field"] == field


def test_unknown_machine_and_anonymous(api):
    assert api.call("GET", "/api/machine/nobody/log", "viewer").status == 404
    assert api.call("GET", "/api/machine/rt1/log", None).status == 401


def test_a_machine_without_log_has_an_empty_one(api):
    api.call("POST", "/api/machine", json=dict(MACHINE, name="quiet"))
    assert api.call("GET", "/api/machine/quiet/log", "viewer").json["results"] == []


def test_metrics_from_the_api(api, tmp_path):
    samples = MachineSamples("rt1")
    samples.head["status"].update(state="up")
    samples.head["interfaces"] = [{"key": "ge-0/0/1", "index": 2, "name": "ge-0/0/1", "descr": "x", "alias": "",
                                   "speed_bps": 10 ** 9, "oper_status": "up", "admin_status": "up", "counter_bits": 64}]
    samples.now.update(time=T0, uptime_ticks=9900, counters={"ge-0/0/1": [5000, 600]})
    samples.fine.append({"t": int(T0), "if": {"ge-0/0/1": [800.0, 80.0]}})
    SamplesStore(tmp_path / "samples").save(samples, now_ts=T0)
    api.call("POST", "/api/alert", json=[alert(severity="CRITICAL"), alert(severity="WARNING", message="other")])
    (tmp_path / "alertfiles").mkdir()
    (tmp_path / "alertfiles" / "waiting.txt").write_text("x")
    (tmp_path / "logs" / ".syslog-intake.json").write_text(json.dumps({"received": 7, "written": 6,
                                                                        "dropped_unknown_rate": 1}))
    answer = api.call("GET", "/metrics", "viewer")
    text = answer.body.decode()
    assert answer.status == 200 and answer.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    assert 'vigie_interface_in_octets_total{machine="rt1",if_index="2",if_name="ge-0/0/1"' in text
    assert 'vigie_alerts{status="open",severity="CRITICAL"} 1' in text
    assert 'vigie_alerts{status="open",severity="WARNING"} 1' in text
    assert 'vigie_notifier_outbox{state="waiting_events"}' in text
    assert "vigie_watcher_backlog_files 1" in text and "vigie_syslog_messages_received_total 7" in text
    assert 'vigie_syslog_messages_dropped_total{reason="unknown_rate"} 1' in text
    assert "s3cret" not in text
    zipped = api.call("GET", "/metrics", "viewer", headers={"Accept-Encoding": "gzip"})
    assert zipped.header("Content-Encoding") == "gzip" and gzip.decompress(zipped.body).decode() == text


def test_metrics_need_a_login_unless_opened(tmp_path):
    assert Api(tmp_path / "closed").call("GET", "/metrics", None).status == 401
    assert Api(tmp_path / "open", metrics_open=True).call("GET", "/metrics", None).status == 200
