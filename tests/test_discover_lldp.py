"""Discovery of a real LLDP network from one seed: six devices in network namespaces
(a core, two distribution switches, three hosts behind them), lldpd speaking LLDP on
veth pairs and serving the LLDP-MIB through snmpd (AgentX)."""

import json
import os
import sys

import pytest

from site_builder.build import build
from tests.support.lldp_network import COMMUNITY, LldpNetwork
from vigie import topology as tp

DEVICES = ["core", "dist-1", "dist-2", "host-1", "host-2", "host-3"]
CABLES = [("core", "dist-1"), ("core", "dist-2"), ("dist-1", "host-1"), ("dist-1", "host-2"),
          ("dist-2", "host-3")]

pytestmark = [pytest.mark.waits, pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")]


@pytest.fixture
def network(tmp_path):
    net = LldpNetwork(tmp_path / "net", DEVICES, CABLES)
    (tmp_path / "net").mkdir()
    net.start()
    yield net
    net.stop()


def discover(net, tmp_path):
    result = net.run_in_management(
        [sys.executable, "-m", "collector.discover", "--seed", net.address("core"), "--community", "wrong",
         "--community", COMMUNITY, "--within", "198.18.0.0/24", "--machines", str(tmp_path / "machines"),
         "--samples", str(tmp_path / "samples"), "--topology", str(tmp_path / "topology.json"),
         "--timeout", "1", "--retries", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert COMMUNITY not in result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_one_seed_finds_every_device_and_every_link_once_with_its_ports(network, tmp_path):
    found = discover(network, tmp_path)
    assert sorted(found["added"]) == sorted(DEVICES)
    assert found["known"] == [] and found["skipped"] == []
    vias = {name: json.loads((tmp_path / "machines" / f"{name}.json").read_text())["discovered"]
            for name in DEVICES}
    assert vias["core"]["via"] == "seed" and all(vias[d]["via"] == "lldp" for d in DEVICES[1:])
    assert len({v["chassis_id"] for v in vias.values()}) == 6 and all(v["chassis_id"] for v in vias.values())
    for name in DEVICES:
        machine = json.loads((tmp_path / "machines" / f"{name}.json").read_text())
        assert machine["host"] == network.address(name)

    topo = tp.load(tmp_path / "topology.json")
    assert sorted(n["id"] for n in topo["nodes"]) == sorted(DEVICES)
    assert all(n["machine"] == n["id"] for n in topo["nodes"])
    links = sorted(tuple(sorted([(l["a"]["node"], l["a"]["interface"]), (l["b"]["node"], l["b"]["interface"])]))
                   for l in topo["links"])
    expected = sorted(tuple(sorted([(a, pa), (b, pb)])) for a, pa, b, pb in network.expected_links)
    assert links == expected
    assert all(l["via"] == ["lldp"] for l in topo["links"])
    assert [(n["interface"], n["name"]) for n in tp.neighbours(topo, "dist-1")] == [
        (network.ports["dist-1"][0], "core"), (network.ports["dist-1"][1], "host-1"),
        (network.ports["dist-1"][2], "host-2")]

    again = discover(network, tmp_path)
    assert again["added"] == [] and sorted(again["known"]) == sorted(DEVICES)
    without_time = lambda links: [dict(l, last_seen=None) for l in links]   # noqa: E731
    assert without_time(tp.load(tmp_path / "topology.json")["links"]) == without_time(topo["links"])

    # and the map shows it: every device, every cable
    build(tmp_path / "machines", tmp_path / "samples", tmp_path / "vigie.db", tmp_path / "www")
    drawn = json.loads((tmp_path / "www" / "map.json").read_text())
    assert sorted(n["id"] for n in drawn["nodes"]) == sorted(DEVICES)
    assert sorted(tuple(sorted([(l["source"], l["source_interface"]), (l["target"], l["target_interface"])]))
                  for l in drawn["links"]) == expected
