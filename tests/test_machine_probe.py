"""POST /api/machine/test: the API asks a real device (snmpsim) once through
`python -m collector.probe`, before anything is saved."""

import asyncio
import json
import os

import pytest
import requests

from collector import probe as device_probe
from tests.support.api_server import start_api
from tests.support.loopback_only import loopback_only
from tests.support.snmp_agents import V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, SnmpsimAgent, free_udp_port
from vigie.machines import parse_machine
from vigie import simulated_devices as sim

pytestmark = pytest.mark.slow

LA_LOAD = "1.3.6.1.4.1.2021.10.1.3.1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("probe")
    interfaces = [sim.interface(1, "eth0", 1_000_000_000, 1000, 1000, alias="uplink"),
                  sim.interface(2, "eth1", 100_000_000, 10, 10, oper_status="down")]
    snmprec = sim.device_snmprec("edge-7", interfaces, extra={LA_LOAD: "4|0.12"},
                                 location="Lyon, room 2", contact="NOC <noc@example.org>")
    agent = SnmpsimAgent(root / "snmpsim", {"s3cret-community": snmprec}).start()
    api = start_api(root)
    try:
        yield api, agent
    finally:
        api.stop()
        agent.stop()


def probe(api, machine, user=None):
    user = user or api.admin
    return requests.post(api.url + "/api/machine/test", json=machine, headers=user.headers, timeout=60)


def test_a_device_that_answers_says_what_it_is(world):
    api, agent = world
    machine = dict(agent.machine("s3cret-community"), name="edge-7", interfaces=["eth1"],
                   oids={"load": LA_LOAD, "jobs": "1.3.6.1.4.1.99999.1.0"})
    answer = probe(api, machine)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["ok"] is True
    assert found["system"]["sys_name"] == "edge-7"
    assert found["system"]["sys_location"] == "Lyon, room 2"
    assert found["system"]["sys_contact"] == "NOC <noc@example.org>"
    assert found["system"]["sys_object_id"].startswith("1.3.6.1.4.1.")
    assert [(i["name"], i["alias"], i["oper_status"], i["watched"]) for i in found["interfaces"]] == \
        [("eth0", "uplink", "up", False), ("eth1", "", "down", True)]
    assert found["oids"]["load"] == {"value": 0.12, "problem": None}
    assert found["oids"]["jobs"]["problem"] == "the device has no such object (check the OID)"
    assert "s3cret-community" not in answer.text
    assert not list(api.machines_dir.glob("*.json")), "a test saves nothing"


def test_a_device_that_does_not_answer_says_why(world):
    api, agent = world
    machine = dict(agent.machine("wrong-community"), name="edge-7", timeout=0.3, retries=0)
    found = probe(api, machine).json()
    assert found["ok"] is False
    assert "No SNMP response received before timeout" in found["error"]
    assert f"127.0.0.1:{agent.port}" in found["error"]


def test_a_stored_machine_is_tested_with_its_stored_secret(world):
    api, agent = world
    machine = dict(agent.machine("s3cret-community"), name="stored-7")
    created = requests.post(api.url + "/api/machine", json=machine, headers=api.admin.headers, timeout=10)
    assert created.status_code == 201
    shown = requests.get(api.url + "/api/machine/stored-7", headers=api.admin.headers, timeout=10).json()
    assert shown["snmp"]["community"] == "********"
    found = probe(api, shown).json()
    assert found["ok"] is True and found["system"]["sys_name"] == "edge-7"


V2C = {"version": "2c", "community": "s3cret-community"}
V3 = {"version": "3", "user": V3_USER, "auth_protocol": "SHA", "auth_key": V3_AUTH_KEY, "priv_protocol": "AES",
      "priv_key": V3_PRIV_KEY, "context": "s3cret-community"}


def test_a_v3_device_that_answers_says_what_it_is(world):
    api, agent = world
    found = probe(api, dict(agent.machine("s3cret-community"), name="edge-7", snmp=V3)).json()
    assert found["ok"] is True, found
    assert found["system"]["sys_name"] == "edge-7"


@pytest.mark.parametrize("snmp", [V2C, V3], ids=["v2c", "v3"])
def test_a_closed_port_is_said_at_once_not_after_the_timeout(world, snmp):
    api, _ = world
    port = free_udp_port()   # nothing listens there: the kernel answers ICMP port unreachable
    machine = {"name": "closed-7", "host": "127.0.0.1", "port": port, "timeout": 2, "retries": 1, "snmp": snmp}
    found = probe(api, machine).json()
    assert found["ok"] is False
    assert found["error"] == f"127.0.0.1:{port}: nothing listens for SNMP there (the device answered: port unreachable)"
    assert found["seconds"] < 2, "said before the first timeout, from the network's own answer"


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")
@pytest.mark.parametrize("snmp", [V2C, V3], ids=["v2c", "v3"])
def test_an_address_no_route_leads_to_is_said_at_once(snmp):
    machine = parse_machine("far-7", '{"host": "192.0.2.7", "timeout": 2, "retries": 1, "snmp": %s}'
                            % json.dumps(snmp))
    with loopback_only():   # no route but the loopback's: nothing leaves this machine
        found = asyncio.run(device_probe.probe(dict(machine, name="far-7")))
    assert found["ok"] is False
    assert found["error"] == "192.0.2.7:161: cannot be reached (Network is unreachable)"
    assert found["seconds"] < 2


def test_bad_input_and_roles_are_refused(world):
    api, agent = world
    bad = probe(api, {"name": "x", "host": "127.0.0.1", "snmp": {"version": "2c"}})
    assert bad.status_code == 400 and bad.json()["field"] == "snmp.community"
    masked = probe(api, {"name": "never-stored", "host": "127.0.0.1",
                         "snmp": {"version": "2c", "community": "********"}})
    assert masked.status_code == 400 and masked.json()["field"] == "snmp.community"
    assert probe(api, dict(agent.machine("s3cret-community"), name="x"), api.operator).status_code == 403
