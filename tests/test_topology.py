"""The topology's rules on literal input: matching neighbours to machines and ports to
interfaces, a link seen from both ends counted once, manual links, what a team sees."""

import json

import pytest

from vigie import topology as tp

NOW = 1_800_000_000.0
IFACES = {"core": [{"name": "ge-0/0/1", "descr": "GigabitEthernet0/0/1", "alias": "to dist"},
                   {"name": "ge-0/0/2", "descr": "GigabitEthernet0/0/2", "alias": ""}],
          "dist": [{"name": "eth0", "descr": "eth0", "alias": "uplink"}, {"name": "eth1", "descr": "eth1"}]}


def machines():
    core = tp.machine_identity({"name": "core", "host": "198.18.0.1"},
                               {"sys_name": "core.example.org", "chassis_id": "aa:aa:aa:aa:aa:01",
                                "interfaces": IFACES["core"]})
    dist = tp.machine_identity({"name": "dist", "host": "198.18.0.2",
                                "discovered": {"chassis_id": "aa:aa:aa:aa:aa:02"}},
                               {"interfaces": IFACES["dist"]})
    return [core, dist]


CORE = {"chassis_id": "aa:aa:aa:aa:aa:01", "name": "core.example.org", "address": "198.18.0.1"}
DIST = {"chassis_id": "aa:aa:aa:aa:aa:02", "name": "dist", "address": "198.18.0.2"}


def seen_from_core():
    return [{"interface": "GigabitEthernet0/0/1", "via": "lldp", "chassis_id": "aa:aa:aa:aa:aa:02",
             "name": "dist", "address": "198.18.0.2", "port": "eth0"},
            {"interface": "ge-0/0/2", "via": "lldp", "chassis_id": "bb:bb:bb:bb:bb:bb",
             "name": "printer", "address": "198.18.0.9", "port": "port 1"}]


def seen_from_dist():
    return [{"interface": "uplink", "via": "lldp", "chassis_id": "aa:aa:aa:aa:aa:01",
             "name": "core.example.org", "address": None, "port": "ge-0/0/1"}]


def test_a_link_seen_from_both_ends_is_one_link_with_ports_named_as_the_machines_name_them():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    topo = tp.observe(topo, DIST, seen_from_dist(), machines(), NOW + 60)
    core_dist = [l for l in topo["links"] if {l["a"]["node"], l["b"]["node"]} == {"core", "dist"}]
    assert len(core_dist) == 1
    ends = {core_dist[0]["a"]["node"]: core_dist[0]["a"]["interface"],
            core_dist[0]["b"]["node"]: core_dist[0]["b"]["interface"]}
    assert ends == {"core": "ge-0/0/1", "dist": "eth0"}
    assert core_dist[0]["last_seen"] == "2027-01-15T08:01:00+00:00"
    assert len(topo["links"]) == 2


def test_a_neighbour_that_is_no_machine_is_an_unmanaged_node_known_by_its_chassis_id():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    printer = next(n for n in topo["nodes"] if n["name"] == "printer")
    assert printer == {"id": "chassis:bb:bb:bb:bb:bb:bb", "machine": None, "name": "printer",
                       "chassis_id": "bb:bb:bb:bb:bb:bb", "address": "198.18.0.9"}
    assert [n["id"] for n in topo["nodes"]] == ["chassis:bb:bb:bb:bb:bb:bb", "core", "dist"]


@pytest.mark.parametrize("identity, expected", [
    ({"chassis_id": "aa:aa:aa:aa:aa:02", "name": "other", "address": "192.0.2.1"}, "dist"),
    ({"chassis_id": None, "name": "CORE.example.org", "address": None}, "core"),
    ({"chassis_id": None, "name": None, "address": "198.18.0.2"}, "dist"),
    ({"chassis_id": "cc:cc", "name": "nobody", "address": "192.0.2.7"}, None),
])
def test_a_neighbour_is_matched_to_a_machine_by_chassis_id_then_name_then_address(identity, expected):
    found = tp.match_machine(identity, machines())
    assert (found["machine"] if found else None) == expected


def test_a_link_no_longer_reported_to_an_unmanaged_neighbour_is_dropped_with_the_neighbour():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    topo = tp.observe(topo, CORE, seen_from_core()[:1], machines(), NOW + 3600)
    assert [n["id"] for n in topo["nodes"]] == ["core", "dist"]
    assert len(topo["links"]) == 1


def test_a_link_its_other_end_still_sees_is_kept_for_a_while_then_dropped():
    topo = tp.observe(tp.empty(), CORE, seen_from_core()[:1], machines(), NOW)
    topo = tp.observe(topo, DIST, seen_from_dist(), machines(), NOW + 60)
    soon = tp.observe(topo, CORE, [], machines(), NOW + 600)
    assert len(soon["links"]) == 1
    later = tp.observe(topo, CORE, [], machines(), NOW + 60 + tp.GRACE_SECONDS + 1)
    assert later["links"] == []


def test_a_neighbour_that_becomes_a_machine_takes_its_name_and_keeps_its_links():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    printer = tp.machine_identity({"name": "printer-1", "host": "198.18.0.9"}, {})
    topo = tp.rematch(topo, machines() + [printer])
    assert {n["id"] for n in topo["nodes"]} == {"core", "dist", "printer-1"}
    assert tp.neighbours(topo, "printer-1") == [
        {"interface": "port 1", "node": "core", "name": "core", "machine": "core", "neighbor_interface": "ge-0/0/2",
         "via": ["lldp"], "last_seen": "2027-01-15T08:00:00+00:00"}]


def test_manual_links_join_machines_and_names_and_are_dropped_when_the_file_drops_them():
    configs = [{"name": "dist", "links": [{"interface": "eth1", "neighbor": "core", "neighbor_interface": "ge-0/0/2"},
                                          {"interface": "eth2", "neighbor": "old-hub"}]}]
    topo = tp.with_manual_links(tp.empty(), configs, machines(), NOW)
    assert [(l["a"]["node"], l["a"]["interface"], l["b"]["node"], l["b"]["interface"], l["via"])
            for l in topo["links"]] == [("dist", "eth1", "core", "ge-0/0/2", ["manual"]),
                                        ("dist", "eth2", "name:old-hub", None, ["manual"])]
    topo = tp.with_manual_links(topo, [{"name": "dist"}], machines(), NOW)
    assert topo["links"] == []


def test_a_manual_link_also_seen_by_lldp_is_one_link_seen_both_ways():
    topo = tp.observe(tp.empty(), CORE, seen_from_core()[:1], machines(), NOW)
    configs = [{"name": "dist", "links": [{"interface": "eth0", "neighbor": "core", "neighbor_interface": "ge-0/0/1"}]}]
    topo = tp.with_manual_links(topo, configs, machines(), NOW)
    assert len(topo["links"]) == 1 and topo["links"][0]["via"] == ["lldp", "manual"]


def test_links_not_seen_for_a_week_are_dropped():
    topo = tp.observe(tp.empty(), CORE, seen_from_core()[:1], machines(), NOW)
    assert tp.finish(topo, NOW + tp.STALE_SECONDS + 1)["links"] == []


def test_a_team_sees_its_machines_their_links_and_their_unmanaged_neighbours_only():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    mine = tp.scoped(topo, {"dist"})
    assert [n["id"] for n in mine["nodes"]] == ["dist"]
    assert mine["links"] == []
    core_team = tp.scoped(topo, {"core"})
    assert [n["id"] for n in core_team["nodes"]] == ["chassis:bb:bb:bb:bb:bb:bb", "core"]
    assert len(core_team["links"]) == 1


def test_neighbours_and_links_of_a_machine():
    topo = tp.observe(tp.empty(), CORE, seen_from_core(), machines(), NOW)
    assert [(n["interface"], n["name"], n["neighbor_interface"]) for n in tp.neighbours(topo, "core")] == [
        ("ge-0/0/1", "dist", "eth0"), ("ge-0/0/2", "printer", "port 1")]
    assert len(tp.links_of(topo, "dist")) == 1


def test_the_file_is_written_whole_and_read_back(tmp_path):
    path = tmp_path / "topology.json"
    assert tp.load(path) == tp.empty()
    written = tp.update(path, lambda t: tp.observe(t, CORE, seen_from_core(), machines(), NOW))
    assert tp.load(path) == written
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["topology.json"]


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ("[]", "expected an object"),
    ('{"nodes": [{"id": "a"}], "links": [{"a": {"node": "a"}, "b": {"node": "zz"}, "via": []}]}',
     "links[0].b.node"),
])
def test_a_bad_topology_file_is_named_with_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "topology.json"
    path.write_text(text)
    with pytest.raises(tp.TopologyError) as caught:
        tp.load(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_the_file_is_json_others_can_read(tmp_path):
    path = tmp_path / "topology.json"
    tp.update(path, lambda t: tp.observe(t, CORE, seen_from_core(), machines(), NOW))
    data = json.loads(path.read_text())
    assert set(data) == {"generated_at", "nodes", "links"}
    assert set(data["links"][0]) == {"a", "b", "via", "last_seen"}
