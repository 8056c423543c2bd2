"""Devices reached over IPv6, v2c and v3, polled in the same cycle as an IPv4 one.

snmpsim and the collector run in a network namespace made for the test: its own
loopback, ::1 included, and no way out of it."""

import json
import os
import secrets
import subprocess
import sys

import pytest

from vigie import simulated_devices as sim
from tests.support.snmp_agents import SnmpsimAgent

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def netns():
    name = f"vigie-v6-{os.getpid()}-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        yield ("ip", "netns", "exec", name)
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def poll_once(netns, tmp_path) -> subprocess.CompletedProcess:
    """`collector.poll --once` inside the namespace, over tmp_path's machines/ into samples/."""
    return subprocess.run([*netns, sys.executable, "-m", "collector.poll", "--once", "--machines",
                           str(tmp_path / "machines"), "--samples", str(tmp_path / "samples"), "--alertfiles",
                           str(tmp_path / "alerts")], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_ipv6_devices_v2c_and_v3_are_polled_beside_an_ipv4_one(tmp_path, netns):
    names = ("v6-router", "v6-firewall", "v4-switch")
    devices = {name: sim.device_snmprec(name, [sim.interface(1, "eth0", 1_000_000_000, 1000, 2000),
                                               sim.interface(2, "eth1", 100_000_000, 0, 0, oper_status="down")])
               for name in names}
    agent = SnmpsimAgent(tmp_path / "snmpsim", devices, hosts=("::1", "127.0.0.1"), prefix=netns).start()
    machines, samples = tmp_path / "machines", tmp_path / "samples"
    machines.mkdir()
    configs = {"v6-router": agent.machine("v6-router", host="::1"),
               "v6-firewall": agent.v3_machine("v6-firewall", host="::1"),
               "v4-switch": agent.machine("v4-switch", host="127.0.0.1")}
    for name, config in configs.items():
        (machines / f"{name}.json").write_text(json.dumps(config))
    try:
        result = poll_once(netns, tmp_path)
    finally:
        agent.stop()
    assert result.returncode == 0, result.stderr
    assert "polled 3 machine(s)" in result.stderr and "3 up" in result.stderr, result.stderr
    for name in names:
        data = json.loads((samples / f"{name}.json").read_text())
        assert data["status"]["state"] == "up" and data["status"]["sys_name"] == name, name
        assert {i["name"]: i["oper_status"] for i in data["interfaces"]} == {"eth0": "up", "eth1": "down"}


def test_unresolvable_and_silent_machines_are_named_and_the_others_still_polled(tmp_path, netns):
    devices = {"ok": sim.device_snmprec("ok", [sim.interface(1, "eth0")])}
    agent = SnmpsimAgent(tmp_path / "snmpsim", devices, hosts=("::1",), prefix=netns).start()
    machines, samples = tmp_path / "machines", tmp_path / "samples"
    machines.mkdir()
    (machines / "ok.json").write_text(json.dumps(agent.machine("ok")))
    (machines / "nowhere.json").write_text(json.dumps(agent.machine("ok", host="no-such-host.invalid")))
    silent_port = agent.port + 1 if agent.port < 65535 else agent.port - 1  # nothing listens there
    (machines / "silent.json").write_text(json.dumps(agent.machine("ok", port=silent_port)))
    try:
        result = poll_once(netns, tmp_path)
    finally:
        agent.stop()
    assert "no-such-host.invalid:" in result.stderr and "cannot resolve" in result.stderr, result.stderr
    assert f"silent: no answer ([::1]:{silent_port}" in result.stderr, result.stderr
    assert json.loads((samples / "ok.json").read_text())["status"]["state"] == "up"
