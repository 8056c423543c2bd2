"""Dependencies in the API: the verdict stored on the alerts as the collector's alerts
arrive (suppressed_by, its history, "needs attention", the filters), parents shown and
checked on the machines, and the database of the previous version upgraded."""

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.api_wsgi import Api, password_hash
from tests.support.earlier_db import made_up_to
from tests.support.site_data import write_machine
from vigie import db
from vigie import topology as tp
from vigie.api import auth
from vigie.api.context import CONTEXT_KEY
from vigie.down_alerts import (MACHINE_DOWN_MESSAGE, interface_down_fingerprint, interface_down_message,
                               reachability_fingerprint)

CABLES = [("core", "dist-1"), ("core", "dist-2"), ("dist-1", "leaf-1"), ("dist-1", "leaf-2"), ("dist-2", "leaf-3"),
          ("dist-1", "leaf-4"), ("dist-2", "leaf-4")]
MACHINES = ["core", "dist-1", "dist-2", "leaf-1", "leaf-2", "leaf-3", "leaf-4"]


def topology(cables=CABLES) -> dict:
    return {"generated_at": None, "nodes": [{"id": m, "machine": m, "name": m, "chassis_id": None, "address": None}
                                            for m in MACHINES],
            "links": [tp.link(a, f"to-{b}", b, f"to-{a}", "lldp", "2026-11-22T10:00:00+00:00") for a, b in cables]}


def network(tmp_path, **settings) -> Api:
    api = Api(tmp_path / "api", **settings)
    for i, name in enumerate(MACHINES):
        write_machine(api.machines_dir, name, host=f"198.18.0.{i + 1}", tags={"provider": "NetOps"})
    tp.save(tmp_path / "api" / "topology.json", topology())
    api.app.config[CONTEXT_KEY].network.recheck_seconds = 0   # files written by the test are read at once
    return api


def record(machine, clock, up=False, interface=None, provider="NetOps") -> dict:
    if interface:
        fingerprint, message = interface_down_fingerprint(machine, interface), interface_down_message(interface)
    else:
        fingerprint, message = reachability_fingerprint(machine), MACHINE_DOWN_MESSAGE
    return {"timestamp": f"2026-11-22T{clock}+00:00", "server": machine, "severity": "INFO" if up else
            ("ERROR" if interface else "CRITICAL"), "message": "back" if up else message, "provider": provider,
            "application": "", "environment": "prod", "fingerprint": fingerprint}


def post(api, *records):
    answer = api.call("POST", "/api/alert", "operator", json=list(records))
    assert answer.status == 201, answer
    return answer.json["ids"]


def alerts(api, role="viewer", **query) -> dict:
    found = api.call("GET", "/api/alert", role, query=dict({"limit": 1000}, **query)).json["results"]
    return {a["server"] if a["fingerprint"].startswith("snmp:reachability") else a["fingerprint"]: a for a in found}


def verdicts(api) -> dict:
    return {name: a["suppressed_by"] for name, a in alerts(api, status="open").items()}


def history_kinds(api, alert_id) -> list:
    return [e["kind"] for e in api.call("GET", f"/api/alert/{alert_id}/history", "viewer").json["results"]]


def test_the_devices_behind_a_down_core_are_stored_suppressed_by_it_whatever_the_order(tmp_path):
    api = network(tmp_path)
    # a leaf polled before its parents, the core last
    post(api, record("leaf-1", "10:00:01"), record("leaf-4", "10:00:02"))
    assert verdicts(api) == {"leaf-1": None, "leaf-4": None}
    post(api, record("dist-1", "10:00:03"), record("leaf-2", "10:00:04"))
    assert verdicts(api) == {"leaf-1": "dist-1", "leaf-2": "dist-1", "leaf-4": None, "dist-1": None}
    post(api, record("dist-2", "10:00:05"), record("leaf-3", "10:00:06"), record("core", "10:00:07"))
    assert verdicts(api) == {"core": None, **{m: "core" for m in MACHINES if m != "core"}}
    found = alerts(api)
    core = found["core"]
    assert core["suppressing"] == 6 and core["suppressed"] is False
    assert all(found[m]["suppressed_by_alert"] == core["id"] and found[m]["suppressed"] for m in MACHINES[1:])
    # leaf-1 was suppressed by dist-1, then by the core: both are in its history
    notes = [e["note"] for e in api.call("GET", f"/api/alert/{found['leaf-1']['id']}/history", "viewer").json["results"]
             if e["kind"] == "suppressed"]
    assert len(notes) == 2 and "behind dist-1" in notes[0] and "behind core" in notes[1]
    # what needs a person: the core alone
    stats = api.call("GET", "/api/stats", "viewer").json
    assert stats["needs_attention"] == 1 and stats["suppressed"] == 6
    assert list(alerts(api, status="open", silenced="false", suppressed="false")) == ["core"]
    assert sorted(alerts(api, suppressed_by_alert=core["id"])) == sorted(MACHINES[1:])
    assert "\nvigie_alerts_suppressed 6\n" in api.call("GET", "/metrics", "viewer").body.decode()


def test_a_device_with_two_uplinks_is_its_own_fault_until_both_are_down(tmp_path):
    api = network(tmp_path)
    post(api, record("dist-1", "10:00:01"), record("leaf-4", "10:00:02"))
    assert verdicts(api)["leaf-4"] is None
    post(api, record("dist-2", "10:00:03"))
    assert verdicts(api)["leaf-4"] == "dist-1"


def test_when_the_parent_answers_again_a_child_still_down_is_a_fault_of_its_own(tmp_path):
    api = network(tmp_path)
    post(api, record("dist-1", "10:00:01"), record("leaf-1", "10:00:02"), record("leaf-2", "10:00:03"))
    post(api, record("dist-1", "10:01:00", up=True), record("leaf-2", "10:01:01", up=True))
    found = alerts(api)
    assert found["leaf-1"]["status"] == "open" and found["leaf-1"]["suppressed_by"] is None
    assert history_kinds(api, found["leaf-1"]["id"])[-2:] == ["suppressed", "unsuppressed"]
    # leaf-2 resolved while suppressed: it keeps what it was, and nothing more is written
    assert found["leaf-2"]["status"] == "resolved" and found["leaf-2"]["suppressed_by"] == "dist-1"
    assert "unsuppressed" not in history_kinds(api, found["leaf-2"]["id"])
    # a new spell of it is decided anew
    post(api, record("leaf-2", "10:02:00"))
    assert alerts(api)["leaf-2"]["suppressed_by"] is None


def test_a_root_cause_acknowledged_shelved_or_silenced_keeps_its_children_suppressed(tmp_path):
    api = network(tmp_path)
    ids = post(api, record("dist-2", "10:00:01"), record("leaf-3", "10:00:02"))
    assert api.call("POST", f"/api/alert/{ids[0]}/ack", "operator").status == 200
    assert api.call("POST", f"/api/alert/{ids[0]}/shelve", "operator", json={"minutes": 60}).status == 200
    assert api.call("POST", "/api/silence", "operator", json={
        "matchers": {"server": "dist-2"}, "comment": "replacing its power supply",
        "ends_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(timespec="seconds")}).status == 201
    assert alerts(api)["dist-2"]["silenced"]
    post(api, record("leaf-3", "10:00:30"))   # seen again
    assert verdicts(api)["leaf-3"] == "dist-2"
    # resolved by hand: it is no longer down, its child is a fault of its own
    assert api.call("POST", f"/api/alert/{ids[0]}/resolve", "operator").status == 200
    assert verdicts(api)["leaf-3"] is None


def test_deleting_the_root_causes_alert_lifts_the_suppression(tmp_path):
    api = network(tmp_path)
    ids = post(api, record("dist-2", "10:00:01"), record("leaf-3", "10:00:02"))
    assert api.call("DELETE", f"/api/alert/{ids[0]}", "admin").status == 204
    assert verdicts(api) == {"leaf-3": None}


def test_an_interface_down_toward_a_down_device_is_suppressed_by_it(tmp_path):
    api = network(tmp_path)
    post(api, record("core", "10:00:01", interface="to-dist-1"), record("core", "10:00:01", interface="to-dist-2"))
    post(api, record("dist-1", "10:00:02"))
    found = alerts(api, status="open")
    assert found[interface_down_fingerprint("core", "to-dist-1")]["suppressed_by"] == "dist-1"
    assert found[interface_down_fingerprint("core", "to-dist-2")]["suppressed_by"] is None
    assert found["dist-1"]["suppressing"] == 1


def test_files_changed_by_hand_are_applied_at_the_next_alert(tmp_path):
    api = network(tmp_path)
    post(api, record("leaf-1", "10:00:01"), record("dist-2", "10:00:02"))
    assert verdicts(api)["leaf-1"] is None
    write_machine(api.machines_dir, "leaf-1", host="198.18.0.4", parents=["dist-2"])
    post(api, {**record("web-01", "10:00:03"), "fingerprint": "something-else"})
    assert verdicts(api)["leaf-1"] == "dist-2"


def test_a_machine_shows_its_parents_and_where_they_came_from(tmp_path):
    api = network(tmp_path)
    machine = api.call("GET", "/api/machine/leaf-4", "viewer").json
    assert machine["upstream"] == {"parents": ["dist-1", "dist-2"], "source": "lldp", "hops": 2, "problem": None}
    assert api.call("GET", "/api/machine/core", "viewer").json["upstream"]["source"] == "vantage"
    listed = {m["name"]: m["upstream"] for m in api.call("GET", "/api/machine", "viewer").json["results"]}
    assert listed["leaf-1"]["parents"] == ["dist-1"]
    # sent back as shown, the file gets no upstream of its own
    machine["snmp"]["community"] = "s3cret-community"
    assert api.call("PUT", "/api/machine/leaf-4", "admin", json=machine).status == 200
    assert "upstream" not in json.loads((api.machines_dir / "leaf-4.json").read_text())


def test_parents_set_from_the_api_are_used_and_applied_at_once(tmp_path):
    api = network(tmp_path)
    post(api, record("leaf-1", "10:00:01"), record("dist-2", "10:00:02"))
    body = {"host": "198.18.0.4", "snmp": {"version": "2c", "community": "s3cret-community"}, "parents": ["dist-2"]}
    answer = api.call("PUT", "/api/machine/leaf-1", "admin", json=body)
    assert answer.status == 200 and answer.json["upstream"]["source"] == "manual"
    assert verdicts(api)["leaf-1"] == "dist-2"
    assert api.call("DELETE", "/api/machine/dist-2", "admin").status == 204   # a parent gone: set aside
    assert verdicts(api)["leaf-1"] is None
    assert "'dist-2' is not a machine" in api.call("GET", "/api/machine/leaf-1", "viewer").json["upstream"]["problem"]


@pytest.mark.parametrize("parents, message", [
    (["ghost"], "leaf-1.json: parents: 'ghost' is not a machine"),
    (["leaf-1"], "leaf-1.json: parents: 'leaf-1' cannot be its own parent"),
    (["leaf-2"], "leaf-1.json, leaf-2.json: parents make a cycle leaf-1 -> leaf-2 -> leaf-1"),
    ("dist-1", "parents must be a list"),
])
def test_bad_parents_are_refused_naming_the_field_and_the_files(tmp_path, parents, message):
    api = network(tmp_path)
    write_machine(api.machines_dir, "leaf-2", host="198.18.0.5", parents=["leaf-1"])
    before = (api.machines_dir / "leaf-1.json").read_text()
    body = {"host": "198.18.0.4", "snmp": {"version": "2c", "community": "s3cret-community"}, "parents": parents}
    answer = api.call("PUT", "/api/machine/leaf-1", "admin", json=body)
    assert answer.status == 400 and answer.json["field"] == "parents"
    assert answer.json["error"].startswith(message)
    assert (api.machines_dir / "leaf-1.json").read_text() == before


def test_bad_parents_written_by_hand_are_set_aside_and_the_topologys_used(tmp_path, caplog):
    api = network(tmp_path)
    write_machine(api.machines_dir, "leaf-1", host="198.18.0.4", parents=["leaf-1"])
    upstream = api.call("GET", "/api/machine/leaf-1", "viewer").json["upstream"]
    assert upstream["parents"] == ["dist-1"] and upstream["source"] == "lldp"
    assert upstream["problem"].endswith("leaf-1.json: parents: 'leaf-1' cannot be its own parent: the parents "
                                        "found in the topology are used")
    assert any("cannot be its own parent" in r.getMessage() for r in caplog.records)


def test_a_database_of_the_previous_version_gets_the_columns_and_keeps_its_alerts(tmp_path):
    path = tmp_path / "before.db"
    with made_up_to(path, len(db.MIGRATIONS) - 1) as raw:
        raw.execute("INSERT INTO alerts (timestamp, server, severity, message, source_id, created_at, fingerprint,"
                    " first_seen, last_seen, fingerprint_key) VALUES ('2026-11-22T10:00:00+00:00', 'core', 'CRITICAL',"
                    " 'down', 'f-1', '2026-11-22T10:00:00+00:00', ?, '2026-11-22T10:00:00+00:00',"
                    " '2026-11-22T10:00:00+00:00', 1)", (reachability_fingerprint("core"),))
        raw.execute("INSERT INTO notify_tracks (rule_id, alert_id, since, step, state) VALUES (1, 1, 'x', 0, 'muted')")
    before = sqlite3.connect(path).execute("SELECT * FROM alerts").fetchall()
    conn = db.connect(path)
    assert [tuple(r)[:len(before[0])] for r in conn.execute("SELECT * FROM alerts")] == before
    alert = db.get_alert(conn, 1)
    assert (alert["suppressed"], alert["suppressed_by"], alert["suppressing"]) == (False, None, 0)
    assert conn.execute("SELECT held_until FROM notify_tracks").fetchone()[0] is None
    plan = " ".join(r[-1] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE resolved_at IS NULL AND fingerprint LIKE 'snmp:%'"))
    assert "alerts_down_conditions" in plan


def test_the_parents_command_prints_each_machines_parents_and_the_problems(tmp_path, capsys, monkeypatch):
    from vigie.__main__ import main

    api = network(tmp_path)
    write_machine(api.machines_dir, "leaf-3", host="198.18.0.6", parents=["ghost"])
    monkeypatch.setenv("VIGIE_CONFIG", "")
    args = ["parents", "--machines", str(api.machines_dir), "--topology", str(tmp_path / "api" / "topology.json"),
            "--vantage", "core"]
    assert main(args) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["machine", "parents", "source", "hops"]
    assert "leaf-4   dist-1, dist-2  lldp     2" in lines
    assert lines[1].split() == ["core", "-", "vantage", "0"]
    assert err.strip() == f"problem: {api.machines_dir}/leaf-3.json: parents: 'ghost' is not a machine: the parents " \
                          "found in the topology are used"
    assert main(args + ["--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["machines"]["leaf-3"]["parents"] == ["dist-2"] and len(answer["problems"]) == 1


def test_a_team_member_is_not_told_of_a_root_cause_outside_the_scope(tmp_path):
    api = network(tmp_path)
    post(api, record("core", "10:00:01"), record("dist-1", "10:00:02"), record("leaf-1", "10:00:03", provider="Acme"))
    db.create_user(api.conn, "netops-viewer", "viewer", password_hash("netops-viewer-password"))
    token, _ = auth.issue(api.conn, "tokens", "netops-viewer", 1)
    for name, provider, member in (("acme", "Acme", "viewer"), ("netops", "NetOps", "netops-viewer")):
        assert api.call("POST", "/api/team", "admin", json={"name": name, "scope": {"provider": [provider]},
                                                            "members": [member]}).status == 201
    [leaf] = api.call("GET", "/api/alert", "viewer").json["results"]
    assert (leaf["server"], leaf["suppressed"], leaf["suppressed_by"], leaf["suppressed_by_alert"]) == \
        ("leaf-1", True, None, None)
    assert api.call("GET", f"/api/alert/{leaf['id']}", "viewer").json["suppressed_by"] is None
    assert alerts(api, "admin")["leaf-1"]["suppressed_by"] == "core"    # an admin sees it
    netops = api.client.get("/api/alert", headers={"Authorization": f"Bearer {token}"}).json["results"]
    core = next(a for a in netops if a["server"] == "core")
    assert core["suppressing"] == 1 and alerts(api, "admin")["core"]["suppressing"] == 2
