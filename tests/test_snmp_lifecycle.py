"""End to end: a simulated device (snmpsim) stopped and started again, polled by the
collector, its alert files sent by the watcher to the real API: one alert that opens,
then resolves, with its history; stopped again, the same alert reopens."""

import json

import pytest
import requests

from collector import poll
from tests.support.api_server import start_api
from tests.support.snmp_agents import SnmpsimAgent
from tests.support.watcher import run_once, token_file
from vigie import simulated_devices as sim

pytestmark = [pytest.mark.slow, pytest.mark.waits]


@pytest.fixture
def world(tmp_path):
    agent = SnmpsimAgent(tmp_path / "snmpsim", {"edge-rt-02": sim.device_snmprec(
        "edge-rt-02", [sim.interface(1, "ge-0/0/0", 1_000_000_000, 1000, 1000)])}).start()
    server = start_api(tmp_path)
    machines, drop = tmp_path / "machines", tmp_path / "alertfiles"
    machines.mkdir()
    drop.mkdir()
    (machines / "edge-rt-02.json").write_text(json.dumps(agent.machine(
        "edge-rt-02", down_after=2, tags={"provider": "NetOps", "environment": "prod"})))
    token = token_file(tmp_path, server.operator)

    def cycle():
        """One poll, then the watcher sends what the poll wrote."""
        assert poll.main(["--once", "-q", "--machines", str(machines), "--alertfiles", str(drop),
                          "--samples", str(tmp_path / "samples")]) == 0
        sent = run_once(drop, server.url, token)
        assert sent.returncode == 0, sent.stderr

    def alerts():
        answer = requests.get(server.url + "/api/alert", params={"server": "edge-rt-02"},
                              headers=server.viewer.headers, timeout=10)
        return answer.json()["results"]

    def history(alert_id):
        answer = requests.get(f"{server.url}/api/alert/{alert_id}/history", headers=server.viewer.headers, timeout=10)
        return [e["kind"] for e in answer.json()["results"]]

    yield agent, server, cycle, alerts, history
    server.stop()
    agent.stop()


def test_a_device_stopped_then_started_is_one_alert_that_opens_then_resolves(world):
    agent, server, cycle, alerts, history = world
    cycle()
    assert alerts() == []
    agent.stop()
    cycle()
    cycle()  # down_after 2: declared down now
    (down,) = alerts()
    assert (down["severity"], down["status"], down["fingerprint"]) == ("CRITICAL", "open",
                                                                        "snmp:reachability:edge-rt-02")
    acked = requests.post(f"{server.url}/api/alert/{down['id']}/ack", json={"minutes": 15},
                          headers=server.operator.headers, timeout=10).json()
    assert acked["status"] == "acknowledged"
    agent.start()
    cycle()
    (back,) = alerts()
    assert back["id"] == down["id"] and back["status"] == "resolved"
    assert back["resolution"] == "back to normal: Machine is answering SNMP again"
    assert history(down["id"]) == ["created", "acknowledged", "resolved"]
    # down again: the same alert, reopened, not a new row
    agent.stop()
    cycle()
    cycle()
    (again,) = alerts()
    assert (again["id"], again["status"], again["reopen_count"]) == (down["id"], "open", 1)
    assert history(down["id"])[-1] == "reopened"
