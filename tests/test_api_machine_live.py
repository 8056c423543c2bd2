"""GET /api/machine and /api/machine/<name> carry the machine's live state, from the
samples the real collector wrote while polling a real agent (snmpsim): up, then down
with its interfaces unknown since its last answer and its uptime as last read."""

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.snmp_agents import SnmpsimAgent
from vigie import simulated_devices as sim

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("live")
    interfaces = [sim.interface(1, "eth0", 1_000_000_000, 125_000, 12_500, alias="uplink"),
                  sim.interface(2, "eth1", 100_000_000, 0, 0, oper_status="down")]
    agent = SnmpsimAgent(root / "snmpsim", {"live-c": sim.device_snmprec("rt-live", interfaces,
                                                                          location="Paris, rack B3")}).start()
    samples = root / "samples"
    api = start_api(root, settings={"samples": str(samples)})
    try:
        yield api, agent, samples
    finally:
        api.stop()
        agent.stop()


def poll(api, samples, root):
    result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "-q", "--machines",
                             str(api.machines_dir), "--samples", str(samples), "--alertfiles", str(root / "alerts")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def machine(api, name):
    answer = requests.get(f"{api.url}/api/machine/{name}", headers=api.viewer.headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_live_state_up_then_down(world):
    api, agent, samples = world
    config = dict(agent.machine("live-c"), name="rt-live", timeout=0.5, retries=0, down_after=2)
    assert requests.post(api.url + "/api/machine", json=config, headers=api.admin.headers, timeout=10).status_code == 201
    never = machine(api, "rt-live")["live"]
    assert never["status"]["state"] == "unknown" and never["interfaces"] == []

    poll(api, samples, api.root)
    time.sleep(1.2)
    poll(api, samples, api.root)
    live = machine(api, "rt-live")["live"]
    assert live["status"]["state"] == "up" and live["status"]["answering"] is True
    assert live["status"]["sys_location"] == "Paris, rack B3"
    assert live["status"]["uptime_seconds"] >= 1
    by_name = {i["name"]: i for i in live["interfaces"]}
    assert by_name["eth0"]["oper_status"] == "up" and by_name["eth0"]["alias"] == "uplink"
    assert by_name["eth0"]["in_bps"] == pytest.approx(1_000_000, rel=0.2)
    assert by_name["eth1"]["oper_status"] == "down"
    listed = requests.get(api.url + "/api/machine", headers=api.viewer.headers, timeout=10).json()["results"]
    assert listed[0]["live"]["status"]["state"] == "up"
    assert "live-c" not in str(listed), "no community in the answer"

    last_seen, uptime = live["status"]["last_seen"], live["status"]["uptime_seconds"]
    agent.stop()
    poll(api, samples, api.root)
    poll(api, samples, api.root)
    live = machine(api, "rt-live")["live"]
    assert live["status"]["state"] == "down" and live["status"]["answering"] is False
    assert live["status"]["last_seen"] == last_seen and live["status"]["uptime_seconds"] == uptime
    assert live["status"]["uptime_as_of"] == last_seen
    assert {i["name"]: (i["oper_status"], i["unknown_since"], i["last_oper_status"], i["in_bps"])
            for i in live["interfaces"]} == {"eth0": ("unknown", last_seen, "up", None),
                                             "eth1": ("unknown", last_seen, "down", None)}


def test_a_machine_sent_back_with_its_live_state_keeps_the_file_clean(world):
    api, agent, samples = world
    shown = machine(api, "rt-live")
    answer = requests.put(api.url + "/api/machine/rt-live", json=shown, headers=api.admin.headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert "live" not in json.loads((api.machines_dir / "rt-live.json").read_text())
