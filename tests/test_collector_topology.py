"""The collector reads each machine's LLDP table with its interface discovery and writes
the links to the topology file (snmpsim devices on loopback, polled once)."""

import json
import subprocess
import sys

from tests.support.snmp_agents import SnmpsimAgent, free_udp_port
from vigie import simulated_devices as sim
from vigie import topology as tp

CORE_MAC, EDGE_MAC, PHONE_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:09"


def lldp_device(name, mac, ports, neighbours):
    interfaces = [sim.interface(i, name=port) for i, port in ports.items()]
    return sim.device_snmprec(name, interfaces, extra=sim.lldp_records(mac, name, ports, neighbours))


def test_a_poll_writes_the_links_both_machines_report_once(tmp_path):
    core = lldp_device("core", CORE_MAC, {1: "ge-0/0/1", 2: "ge-0/0/2"}, [
        {"port": 1, "chassis_mac": EDGE_MAC, "port_name": "eth0", "name": "edge", "address": "127.0.0.1"},
        {"port": 2, "chassis_mac": PHONE_MAC, "port_name": "lan", "name": "phone-3", "address": None}])
    edge = lldp_device("edge", EDGE_MAC, {1: "eth0"}, [
        {"port": 1, "chassis_mac": CORE_MAC, "port_name": "ge-0/0/1", "name": "core", "address": "127.0.0.1"}])
    agent = SnmpsimAgent(tmp_path / "sim", {"core": core, "edge": edge}).start()
    try:
        machines = tmp_path / "machines"
        machines.mkdir()
        patient = {"timeout": 2, "retries": 2}      # snmpsim shares two cores with the tests beside it
        (machines / "core.json").write_text(json.dumps(agent.machine("core", **patient)))
        (machines / "edge.json").write_text(json.dumps(dict(agent.machine("edge", **patient), links=[
            {"interface": "eth9", "neighbor": "old-hub", "neighbor_interface": "1"}])))
        result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines", str(machines),
                                 "--samples", str(tmp_path / "data" / "samples"),
                                 "--alertfiles", str(tmp_path / "alerts")], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    finally:
        agent.stop()
    topo = tp.load(tmp_path / "data" / "topology.json")
    links = sorted(tuple(sorted([(l["a"]["node"], l["a"]["interface"]), (l["b"]["node"], l["b"]["interface"])]))
                   + (tuple(l["via"]),) for l in topo["links"])
    assert links == [
        (("chassis:02:00:00:00:00:09", "lan"), ("core", "ge-0/0/2"), ("lldp",)),
        (("core", "ge-0/0/1"), ("edge", "eth0"), ("lldp",)),
        (("edge", "eth9"), ("name:old-hub", "1"), ("manual",)),
    ]
    discovery = json.loads((tmp_path / "data" / "samples" / "core" / "discovery.json").read_text())
    assert discovery["chassis_id"] == CORE_MAC


def test_make_runs_simulated_devices_are_cabled_to_each_other(tmp_path):
    """What `make run` writes: its devices' recordings carry LLDP, so the first poll draws
    a network: the core to each of the others, each of them to a desk switch."""
    from vigie import run

    folders = {"sim": tmp_path / "sim", "machines": tmp_path / "machines"}
    folders["machines"].mkdir()
    port = free_udp_port()
    names = run.write_simulated_devices(folders, [port] * 3, 5)
    agent = SnmpsimAgent(tmp_path / "agent", {name: (folders["sim"] / name / "data" / f"{name}.snmprec").read_text()
                                              for name in names}, port=port).start()
    try:
        result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines",
                                 str(folders["machines"]), "--samples", str(tmp_path / "data" / "samples"),
                                 "--alertfiles", str(tmp_path / "alerts")], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    finally:
        agent.stop()
    topo = tp.load(tmp_path / "data" / "topology.json")
    pairs = sorted(tuple(sorted([l["a"]["node"], l["b"]["node"]])) for l in topo["links"])
    assert pairs == [("chassis:02:00:5e:20:00:01", "sim-edge-switch"), ("chassis:02:00:5e:20:00:02", "sim-office-gw"),
                     ("sim-core-router", "sim-edge-switch"), ("sim-core-router", "sim-office-gw")]
    core_edge = next(l for l in topo["links"] if {l["a"]["node"], l["b"]["node"]} == {"sim-core-router",
                                                                                       "sim-edge-switch"})
    ends = {core_edge[e]["node"]: core_edge[e]["interface"] for e in ("a", "b")}
    assert ends == {"sim-core-router": "ge-0/0/0", "sim-edge-switch": "ge-0/0/0"}


def test_the_same_neighbours_again_are_not_rewritten_within_a_day(tmp_path):
    from collector.poll import Collector

    collector = Collector(tmp_path / "machines", tmp_path / "alerts", tmp_path / "samples",
                          topology_path=tmp_path / "topology.json")
    config = {"name": "core", "host": "127.0.0.1"}
    collector.every = [config]
    found = {"chassis_id": CORE_MAC, "sys_name": "core", "interfaces": [], "neighbours": [
        {"interface": "ge-0/0/1", "via": "lldp", "chassis_id": EDGE_MAC, "name": "edge", "address": None,
         "port": "eth0"}]}
    collector.record_neighbours(config, found)
    assert len(tp.load(tmp_path / "topology.json")["links"]) == 1
    (tmp_path / "topology.json").unlink()
    collector.record_neighbours(config, found)
    assert not (tmp_path / "topology.json").exists()
    collector.record_neighbours(config, dict(found, neighbours=[]))
    assert tp.load(tmp_path / "topology.json")["links"] == []
