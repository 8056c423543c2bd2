"""`python -m collector.discover` against real agents (snmpsim) on loopback addresses.

Every address probed here lies in a 127.x.y.0/24 drawn at random for the test (so
tests running at once never share one); nothing outside 127.0.0.0/8 is ever probed.
"""

import json
import logging
import random
import subprocess
import sys
import time

import pytest

from collector import discover
from tests.support.snmp_agents import SnmpsimAgent, SnmpsimFleet, free_udp_port
from vigie import simulated_devices as sim
from vigie import topology as tp

COMMUNITY = "s3cret-community"


def loopback_24() -> str:
    """127.x.y (no .0 network); random, so parallel tests never sweep each other's agents."""
    return f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}"


def device(name: str, ports: int = 3, extra: dict = None) -> str:
    interfaces = [sim.interface(i, name=f"Gi0/{i}") for i in range(1, ports + 1)]
    return sim.device_snmprec(name, interfaces, extra=extra, sys_descr=f"{name} switch")


def run_discover(tmp_path, *args, timeout=180) -> subprocess.CompletedProcess:
    """The discovery as a command; patient with agents slowed by tests running beside."""
    cmd = [sys.executable, "-m", "collector.discover", "--machines", str(tmp_path / "machines"),
           "--samples", str(tmp_path / "samples"), "--topology", str(tmp_path / "topology.json"),
           "--timeout", "2", "--retries", "2", "--rate", "500", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def summary(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def logging_kept():
    """main() points the root logger at the test's captured stderr: give the next tests back theirs."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def agents():
    started = []
    yield started
    for agent in started:
        agent.stop()


def start_all(agents_list, started) -> None:
    """Start the agents: several in one snmpsim process, an engine each."""
    if len(agents_list) == 1:
        started.append(agents_list[0].launch().wait(timeout=180))
        return
    started.append(SnmpsimFleet(agents_list[0].root.parent / f"fleet-{len(started)}", agents_list).launch()
                   .wait(timeout=180))


@pytest.mark.long
def test_a_sweep_of_a_loopback_24_finds_its_twenty_agents_and_a_second_run_adds_nothing(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    hosts = sorted(random.sample(range(1, 255), 20))
    start_all([SnmpsimAgent(tmp_path / f"sim{h}", {COMMUNITY: device(f"sw-{h}")}, hosts=(f"{net}.{h}",), port=port)
               for h in hosts], agents)
    started = time.monotonic()
    first = run_discover(tmp_path, "--subnet", f"{net}.0/24", "--port", str(port), "--community", "wrong",
                         "--community", COMMUNITY)
    seconds = time.monotonic() - started
    found = summary(first)
    assert sorted(found["added"]) == sorted(f"sw-{h}" for h in hosts)
    assert found["probed"] == 254 and found["answered"] == 20 and found["known"] == []
    assert seconds < 90, f"the /24 sweep took {seconds:.1f} s"
    machine = json.loads((tmp_path / "machines" / f"sw-{hosts[0]}.json").read_text())
    assert machine["host"] == f"{net}.{hosts[0]}" and machine["port"] == port
    assert machine["snmp"] == {"version": "2c", "community": COMMUNITY}
    assert machine["description"] == f"sw-{hosts[0]} switch"
    assert machine["discovered"]["via"] == "subnet" and machine["discovered"]["chassis_id"] is None
    assert machine["discovered"]["sys_object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert oct((tmp_path / "machines" / f"sw-{hosts[0]}.json").stat().st_mode & 0o777) == "0o640"
    assert COMMUNITY not in first.stderr
    before = {p.name: p.read_bytes() for p in (tmp_path / "machines").iterdir()}
    again = summary(run_discover(tmp_path, "--subnet", f"{net}.0/24", "--port", str(port), "--community", COMMUNITY))
    assert again["added"] == [] and sorted(again["known"]) == sorted(found["added"])
    assert {p.name: p.read_bytes() for p in (tmp_path / "machines").iterdir()} == before


def cdp_network(tmp_path, net: str, port: int) -> list:
    """A core with two distribution switches over CDP, each seeing the core back, and a
    phone (outside --within) behind dist-1."""
    core = sim.cdp_records([{"if_index": 1, "name": "dist-1.example.org", "port_name": "Gi0/3",
                             "address": f"{net}.2"},
                            {"if_index": 2, "name": "dist-2(FOX123)", "port_name": "Gi0/3", "address": f"{net}.3"}])
    dist1 = sim.cdp_records([{"if_index": 3, "name": "core", "port_name": "Gi0/1", "address": f"{net}.1"},
                             {"if_index": 1, "name": "phone-7", "port_name": "Port 1", "address": "127.0.0.99"}])
    dist2 = sim.cdp_records([{"if_index": 3, "name": "core", "port_name": "Gi0/2", "address": f"{net}.1"}])
    return [SnmpsimAgent(tmp_path / "core", {COMMUNITY: device("core", extra=core)}, hosts=(f"{net}.1",), port=port),
            SnmpsimAgent(tmp_path / "d1", {COMMUNITY: device("dist-1.example.org", extra=dist1)},
                         hosts=(f"{net}.2",), port=port),
            SnmpsimAgent(tmp_path / "d2", {COMMUNITY: device("dist-2", extra=dist2)}, hosts=(f"{net}.3",), port=port)]


def test_from_one_seed_cdp_neighbours_are_followed_and_each_link_is_found_once(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    start_all(cdp_network(tmp_path, net, port), agents)
    found = summary(run_discover(tmp_path, "--seed", f"{net}.1:{port}", "--within", f"{net}.0/24",
                                 "--community", COMMUNITY))
    assert sorted(found["added"]) == ["core", "dist-1.example.org", "dist-2"]
    assert found["skipped"] == [{"address": "127.0.0.99", "why": f"outside --within (cdp neighbour of {net}.2)"}]
    vias = {name: json.loads((tmp_path / "machines" / f"{name}.json").read_text())["discovered"]["via"]
            for name in found["added"]}
    assert vias == {"core": "seed", "dist-1.example.org": "cdp", "dist-2": "cdp"}
    topo = tp.load(tmp_path / "topology.json")
    links = sorted((l["a"]["node"], l["a"]["interface"], l["b"]["node"], l["b"]["interface"], tuple(l["via"]))
                   for l in topo["links"])
    assert links == [("core", "Gi0/1", "dist-1.example.org", "Gi0/3", ("cdp",)),
                     ("core", "Gi0/2", "dist-2", "Gi0/3", ("cdp",)),
                     ("dist-1.example.org", "Gi0/1", "name:phone-7", "Port 1", ("cdp",))]
    phone = next(n for n in topo["nodes"] if n["id"] == "name:phone-7")
    assert phone["machine"] is None and phone["address"] == "127.0.0.99"
    again = summary(run_discover(tmp_path, "--seed", f"{net}.1:{port}", "--within", f"{net}.0/24",
                                 "--community", COMMUNITY))
    assert again["added"] == [] and sorted(again["known"]) == ["core", "dist-1.example.org", "dist-2"]
    assert len(tp.load(tmp_path / "topology.json")["links"]) == 3


def test_a_device_answering_at_two_addresses_is_one_device(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    start_all([SnmpsimAgent(tmp_path / "a", {COMMUNITY: device("multi")}, hosts=(f"{net}.5", f"{net}.6"),
                            port=port)], agents)
    found = summary(run_discover(tmp_path, "--subnet", f"{net}.0/29", "--port", str(port), "--community", COMMUNITY))
    assert found["added"] == ["multi"] and found["answered"] == 2 and found["probed"] == 6


def test_a_dry_run_writes_nothing(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    start_all([SnmpsimAgent(tmp_path / "a", {COMMUNITY: device("lonely")}, hosts=(f"{net}.1",), port=port)], agents)
    found = summary(run_discover(tmp_path, "--seed", f"{net}.1:{port}", "--community", COMMUNITY, "--dry-run"))
    assert found["added"] == ["lonely"] and found["dry_run"] is True
    assert not (tmp_path / "machines").exists() and not (tmp_path / "topology.json").exists()


@pytest.mark.parametrize("args, message", [
    (["--subnet", "10.0.0.300/24"], "--subnet '10.0.0.300/24' is not a CIDR network"),
    (["--subnet", "127.0.0.0/16"], "65,536 addresses to sweep, more than a /20 (4,096): add --yes"),
    (["--seed", "127.0.0.1", "--within", "nope"], "--within 'nope' is not a CIDR network"),
    (["--seed", "127.0.0.1:99999"], "the port must be between 1 and 65535"),
    (["--community", "x"], "give at least one --subnet or --seed"),
    (["--seed", "127.0.0.1", "--rate", "0"], "--rate must be at least 0.1"),
    (["--seed", "127.0.0.1", "--retries", "11"], "--retries must be between 0 and 10"),
])
def test_bad_input_is_refused_with_a_clear_error(tmp_path, capsys, args, message):
    assert discover.main(["--machines", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err


def test_an_unreadable_v3_file_is_refused_and_a_bad_one_never_shows_its_keys(tmp_path, capsys):
    assert discover.main(["--seed", "127.0.0.1", "--v3", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "--v3" in err and "missing.json: cannot read the file" in err
    bad = tmp_path / "users.json"
    bad.write_text(json.dumps([{"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "short"}]))
    assert discover.main(["--seed", "127.0.0.1", "--v3", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "auth_key" in err and "'short'" not in err and '"short"' not in err


def test_help_names_every_input():
    text = discover.parser().format_help()
    for option in ("--subnet", "--seed", "--community", "--v3", "--port", "--machines", "--within",
                   "--max-devices", "--rate", "--dry-run", "--yes"):
        assert option in text


@pytest.mark.parametrize("sys_name, address, expected", [
    ("core.example.org", "127.0.0.1", "core.example.org"),
    ("Core Switch #1", "127.0.0.1", "Core-Switch-1"),
    (".hidden", "127.0.0.1", "hidden"),
    ("", "127.0.0.7", "127-0-0-7"),
    (None, "::1", "1"),
])
def test_machine_names_are_made_safe_from_the_sysname(sys_name, address, expected):
    assert discover.safe_name(sys_name, address) == expected


def test_identity_is_the_chassis_id_else_sysname_and_sysobjectid_never_the_address():
    assert discover.identity_key({"chassis_id": "aa:bb", "sys_name": "x", "address": "1"}) == ("chassis", "aa:bb")
    one = discover.identity_key({"sys_name": "x", "sys_object_id": "1.3.6.1.4.1.9", "address": "127.0.0.1"})
    other = discover.identity_key({"sys_name": "x", "sys_object_id": "1.3.6.1.4.1.9", "address": "127.0.0.2"})
    assert one == other


def test_a_crowd_of_probes_keeps_to_the_rate():
    import asyncio

    async def paced(count, rate):
        pacer = discover.Pacer(rate)
        started = time.monotonic()
        for _ in range(count):
            await pacer.wait()
        return time.monotonic() - started

    assert asyncio.run(paced(21, 100)) >= 0.19


@pytest.mark.parametrize("rate, timeout, retries, expected", [(100, 1, 1, 264), (1000, 2, 3, 4096), (1, 1, 0, 65)])
def test_enough_addresses_are_asked_at_once_for_the_pace_to_set_the_speed(rate, timeout, retries, expected):
    assert discover.in_flight(rate, timeout, retries, 4096) == expected


def test_snmpv3_users_from_a_file_are_tried_and_the_one_that_works_is_kept(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    agent = SnmpsimAgent(tmp_path / "v3", {"v3dev": device("v3dev")}, v3_only=True, hosts=(f"{net}.1",), port=port)
    start_all([agent], agents)
    wrong = dict(agent.v3_machine("v3dev")["snmp"], auth_key="not-the-key-1234")
    users = tmp_path / "users.json"
    users.write_text(json.dumps([wrong, agent.v3_machine("v3dev")["snmp"]]))
    result = run_discover(tmp_path, "--seed", f"{net}.1:{port}", "--v3", str(users))
    assert summary(result)["added"] == ["v3dev"]
    machine = json.loads((tmp_path / "machines" / "v3dev.json").read_text())
    assert machine["snmp"] == agent.v3_machine("v3dev")["snmp"]
    assert "not-the-key" not in result.stderr and agent.v3_machine("v3dev")["snmp"]["auth_key"] not in result.stderr


def test_past_max_devices_the_others_are_skipped_and_said(tmp_path, agents):
    net, port = loopback_24(), free_udp_port()
    start_all([SnmpsimAgent(tmp_path / f"a{i}", {COMMUNITY: device(f"box-{i}")}, hosts=(f"{net}.{i}",), port=port)
               for i in (1, 2, 3)], agents)
    found = summary(run_discover(tmp_path, "--subnet", f"{net}.0/29", "--port", str(port), "--community", COMMUNITY,
                                 "--max-devices", "2"))
    assert len(found["added"]) == 2
    assert [s["why"] for s in found["skipped"]] == ["more than --max-devices 2 devices"]
