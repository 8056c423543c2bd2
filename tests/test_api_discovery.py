"""/api/discovery: a discovery run from the Devices page with stored credentials, its
progress, and adding what it found; no credential ever in an answer."""

import json
import random
import time

import pytest

from tests.support.api_wsgi import Api
from tests.support.site_data import write_machine
from tests.support.snmp_agents import SnmpsimAgent, SnmpsimFleet, free_udp_port
from vigie import simulated_devices as sim

COMMUNITY = "web-s3cret-community"


def device(name, neighbours):
    interfaces = [sim.interface(i, name=f"Gi0/{i}") for i in (1, 2)]
    return sim.device_snmprec(name, interfaces, extra=sim.cdp_records(neighbours))


@pytest.fixture
def network(tmp_path):
    net, port = f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}", free_udp_port()
    agents = SnmpsimFleet(tmp_path / "sims", [
        SnmpsimAgent(tmp_path / "core", {COMMUNITY: device("core", [
            {"if_index": 1, "name": "dist", "port_name": "Gi0/2", "address": f"{net}.2"}])}, hosts=(f"{net}.1",),
            port=port),
        SnmpsimAgent(tmp_path / "dist", {COMMUNITY: device("dist", [
            {"if_index": 2, "name": "core", "port_name": "Gi0/1", "address": f"{net}.1"}])}, hosts=(f"{net}.2",),
            port=port)]).launch()
    try:
        agents.wait(timeout=60)
        yield net, port
    finally:
        agents.stop()


def api_for(tmp_path, **settings):
    api = Api(tmp_path / "api", **settings)
    write_machine(api.machines_dir, "cred-source", host="127.0.0.1", community=COMMUNITY)
    return api


def wait_done(api, run_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = api.call("GET", f"/api/discovery/{run_id}", "admin")
        assert answer.status == 200
        if answer.json["state"] != "running":
            return answer.json
        time.sleep(0.3)
    raise AssertionError("the discovery did not end")


def test_an_admin_discovers_then_adds_one_device_then_all(tmp_path, network):
    net, port = network
    api = api_for(tmp_path, discovery_networks=["127.0.0.0/8"])
    started = api.call("POST", "/api/discovery", "admin", json={
        "seeds": [f"{net}.1:{port}"], "within": [f"{net}.0/24"], "credentials_from": ["cred-source"]})
    assert started.status == 202, started.json
    done = wait_done(api, started.json["id"])
    assert done["state"] == "done", done
    assert [(c["name"], c["host"], c["via"], c["added"]) for c in done["candidates"]] == [
        ("core", f"{net}.1", "seed", False), ("dist", f"{net}.2", "cdp", False)]
    assert COMMUNITY not in json.dumps(done)
    assert not (api.machines_dir / "core.json").exists()
    run_dir = tmp_path / "api" / "discovery" / started.json["id"]
    assert oct((run_dir / "candidates.json").stat().st_mode & 0o777) == "0o600"
    assert COMMUNITY not in (run_dir / "discover.log").read_text()

    one = api.call("POST", f"/api/discovery/{started.json['id']}/add", "admin", json={"names": ["core"]})
    assert one.status == 200 and one.json == {"added": ["core"], "skipped": []}
    assert json.loads((api.machines_dir / "core.json").read_text())["snmp"]["community"] == COMMUNITY
    rest = api.call("POST", f"/api/discovery/{started.json['id']}/add", "admin", json={})
    assert rest.json == {"added": ["dist"], "skipped": [{"name": "core", "why": "a machine of that name exists"}]}
    shown = api.call("GET", f"/api/discovery/{started.json['id']}", "admin").json
    assert all(c["added"] for c in shown["candidates"])
    topology = json.loads((tmp_path / "api" / "topology.json").read_text())
    assert sorted(n["id"] for n in topology["nodes"]) == ["core", "dist"]


def test_the_web_discovery_is_off_until_its_networks_are_set(tmp_path):
    answer = api_for(tmp_path).call("POST", "/api/discovery", "admin", json={
        "subnets": ["127.0.0.0/24"], "credentials_from": ["cred-source"]})
    assert answer.status == 403 and "discovery_networks" in answer.json["error"]


@pytest.mark.parametrize("body, field, words", [
    ({"subnets": ["10.0.0.0/24"], "credentials_from": ["cred-source"]}, "subnets", "outside the networks"),
    ({"seeds": ["192.0.2.1"], "credentials_from": ["cred-source"]}, "seeds", "outside the networks"),
    ({"seeds": ["router.example.org"], "credentials_from": ["cred-source"]}, "seeds", "is not ADDRESS"),
    ({"subnets": ["127.0.0.0/33"], "credentials_from": ["cred-source"]}, "subnets", "not a CIDR network"),
    ({"subnets": ["127.0.0.0/24"]}, "credentials_from", "pick at least one"),
    ({"subnets": ["127.0.0.0/24"], "credentials_from": ["nobody"]}, "credentials_from", "no machine 'nobody'"),
    ({"credentials_from": ["cred-source"]}, "subnets", "at least one subnet or seed"),
])
def test_a_bad_discovery_is_refused_naming_the_field(tmp_path, body, field, words):
    answer = api_for(tmp_path, discovery_networks=["127.0.0.0/8"]).call("POST", "/api/discovery", "admin", json=body)
    assert answer.status == 400 and answer.json["field"] == field and words in answer.json["error"]


def test_only_admins_run_discoveries_and_unknown_ones_are_404(tmp_path):
    api = api_for(tmp_path, discovery_networks=["127.0.0.0/8"])
    assert api.call("POST", "/api/discovery", "operator", json={"subnets": ["127.0.0.0/30"]}).status == 403
    assert api.call("GET", "/api/discovery/1700000000-abcdef", "admin").status == 404
    assert api.call("GET", "/api/discovery/..%2F..%2Fetc", "admin").status == 404
