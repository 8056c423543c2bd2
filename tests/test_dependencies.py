"""The rules of dependencies (vigie/dependencies.py) on literal topologies: parents from
the links and the vantage machines, parents by hand and their problems, the verdict
(unreachable behind whom), and interface-down alerts behind the cable's far end."""

import re

import pytest

from vigie import dependencies as dp
from vigie import machines as mc
from vigie.down_alerts import interface_down_fingerprint


def node(name, machine=True):
    return {"id": name, "machine": name if machine else None, "name": name, "chassis_id": None, "address": None}


def cable(a, b, via="lldp", ia=None, ib=None):
    return {"a": {"node": a, "interface": ia or f"to-{b}"}, "b": {"node": b, "interface": ib or f"to-{a}"},
            "via": [via] if isinstance(via, str) else via, "last_seen": "2026-11-22T10:00:00+00:00"}


def topo(cables, unmanaged=()):
    names = sorted({end for c in cables for end in (c["a"]["node"], c["b"]["node"])})
    return {"generated_at": None, "nodes": [node(n, n not in unmanaged) for n in names], "links": cables}


def machine(name, **more):
    return dict({"name": name, "host": "192.0.2.1"}, **more)


# core - dist-1 - leaf-1, leaf-2 ; core - dist-2 - leaf-3 ; leaf-4 on both dist-1 and dist-2
NETWORK = topo([cable("core", "dist-1"), cable("core", "dist-2"), cable("dist-1", "leaf-1"),
                cable("dist-1", "leaf-2"), cable("dist-2", "leaf-3", via="cdp"),
                cable("dist-1", "leaf-4"), cable("dist-2", "leaf-4", via=["lldp", "cdp"])])
NAMES = ["core", "dist-1", "dist-2", "leaf-1", "leaf-2", "leaf-3", "leaf-4"]


def configs(names=NAMES, **per_machine):
    return [machine(n, **per_machine.get(n.replace("-", "_"), {})) for n in names]


def parents(found):
    return {name: list(up.parents) for name, up in found.items()}


def test_parents_are_the_neighbours_one_link_closer_to_the_vantage():
    found, problems = dp.upstreams(configs(), NETWORK, vantage=["core"])
    assert problems == []
    assert parents(found) == {"core": [], "dist-1": ["core"], "dist-2": ["core"], "leaf-1": ["dist-1"],
                              "leaf-2": ["dist-1"], "leaf-3": ["dist-2"], "leaf-4": ["dist-1", "dist-2"]}
    assert found["core"].source == "vantage" and found["core"].hops == 0
    assert (found["leaf-1"].source, found["leaf-1"].hops) == ("lldp", 2)
    assert found["leaf-3"].source == "cdp"
    assert found["leaf-4"].source == "lldp"   # seen by LLDP on one of its uplinks at least


def test_the_vantage_is_the_discovery_seed_when_not_set():
    seeded = configs(leaf_1={"discovered": {"via": "seed"}})
    found, _ = dp.upstreams(seeded, NETWORK)
    assert found["leaf-1"].source == "vantage"
    assert parents(found)["dist-1"] == ["leaf-1"] and parents(found)["core"] == ["dist-1"]


def test_without_seed_or_setting_each_part_of_the_network_starts_at_its_most_central_machine():
    found, _ = dp.upstreams(configs(), NETWORK)
    assert found["core"].source == "vantage"
    # a second network, not cabled to the first: its own centre, a machine of its own
    other = topo(NETWORK["links"] + [cable("site-b-router", "b-sw"), cable("b-sw", "b-1"), cable("b-sw", "b-2")])
    found, _ = dp.upstreams(configs(NAMES + ["site-b-router", "b-sw", "b-1", "b-2"]), other)
    assert found["b-sw"].source == "vantage" and parents(found)["site-b-router"] == ["b-sw"]
    assert found["core"].source == "vantage"


def test_a_machine_named_as_vantage_that_does_not_exist_is_said():
    _, problems = dp.upstreams(configs(), NETWORK, vantage=["core", "nowhere"])
    assert problems == ["dependencies.vantage: 'nowhere' is not a machine"]


def test_a_machine_outside_the_topology_has_no_parents():
    found, _ = dp.upstreams(configs(NAMES + ["lonely"]), NETWORK, vantage=["core"])
    assert found["lonely"] == dp.Upstream((), "none", None)


def test_a_switch_that_is_no_machine_is_looked_through():
    network = topo([cable("core", "chassis:00aa"), cable("chassis:00aa", "leaf-1"), cable("chassis:00aa", "leaf-2"),
                    cable("core", "dist-1"), cable("dist-1", "chassis:00aa")], unmanaged=("chassis:00aa",))
    found, _ = dp.upstreams(configs(["core", "dist-1", "leaf-1", "leaf-2"]), network, vantage=["core"])
    assert parents(found) == {"core": [], "dist-1": ["core"], "leaf-1": ["core"], "leaf-2": ["core"]}
    assert found["leaf-1"].hops == 2


def test_links_declared_in_machine_files_give_parents_too():
    network = topo([cable("core", "old-ups", via="manual")])
    found, _ = dp.upstreams(configs(["core", "old-ups"]), network, vantage=["core"])
    assert (found["old-ups"].parents, found["old-ups"].source) == (("core",), "links")


def test_parents_by_hand_override_the_topology_and_an_empty_list_means_directly_reached():
    found, problems = dp.upstreams(configs(leaf_1={"parents": ["dist-2"]}, dist_1={"parents": []}), NETWORK,
                                   vantage=["core"])
    assert problems == []
    assert (found["leaf-1"].parents, found["leaf-1"].source, found["leaf-1"].hops) == (("dist-2",), "manual", 2)
    assert (found["dist-1"].parents, found["dist-1"].source) == ((), "manual")


@pytest.mark.parametrize("given, problem", [
    (["ghost"], "leaf-1.json: parents: 'ghost' is not a machine"),
    (["leaf-1"], "leaf-1.json: parents: 'leaf-1' cannot be its own parent"),
])
def test_bad_parents_by_hand_are_set_aside_with_the_file_named_and_the_topology_used(given, problem):
    found, problems = dp.upstreams(configs(leaf_1={"parents": given}), NETWORK, vantage=["core"],
                                   source=lambda name: f"machines/{name}.json")
    assert problems == [f"machines/{problem}: the parents found in the topology are used"]
    assert found["leaf-1"].parents == ("dist-1",) and found["leaf-1"].source == "lldp"
    assert found["leaf-1"].problem == problems[0]


def test_a_cycle_of_parents_by_hand_is_set_aside_naming_every_file_of_it():
    found, problems = dp.upstreams(configs(leaf_1={"parents": ["leaf-2"]}, leaf_2={"parents": ["leaf-1"]}),
                                   NETWORK, vantage=["core"])
    assert problems == ["leaf-1.json, leaf-2.json: parents make a cycle leaf-1 -> leaf-2 -> leaf-1: the parents found "
                        "in the topology are used"]
    assert parents(found)["leaf-1"] == ["dist-1"] and parents(found)["leaf-2"] == ["dist-1"]
    assert "cycle" in found["leaf-2"].problem


def test_a_cycle_made_with_the_topology_sets_aside_only_the_hand_written_parents():
    # dist-1 is the parent of leaf-1 in the topology; by hand dist-1 says it is behind leaf-1
    found, problems = dp.upstreams(configs(dist_1={"parents": ["leaf-1"]}), NETWORK, vantage=["core"])
    assert problems == ["dist-1.json: parents make a cycle dist-1 -> leaf-1 -> dist-1: the parents found in the "
                        "topology are used"]
    assert parents(found)["dist-1"] == ["core"] and parents(found)["leaf-1"] == ["dist-1"]


def test_the_schema_takes_parents_as_machine_names_with_the_rule_names_have():
    items = mc.schema()["properties"]["parents"]["items"]
    assert items["pattern"] == f"^{mc.NAME_PATTERN}$"
    assert re.fullmatch(items["pattern"].strip("^$"), "dist-1") and not re.fullmatch(items["pattern"].strip("^$"), ".x")


# --- the verdict ----------------------------------------------------------------------

PARENTS = {"core": (), "dist-1": ("core",), "dist-2": ("core",), "leaf-1": ("dist-1",), "leaf-2": ("dist-1",),
           "leaf-3": ("dist-2",), "leaf-4": ("dist-1", "dist-2")}


def test_everything_behind_a_down_core_is_unreachable_with_the_core_for_root_cause():
    down = set(NAMES)
    assert dp.root_causes(PARENTS, down) == {m: "core" for m in NAMES if m != "core"}


def test_a_down_machine_behind_a_live_parent_is_its_own_root_cause():
    assert dp.root_causes(PARENTS, {"leaf-1"}) == {}
    assert dp.root_causes(PARENTS, {"dist-1", "leaf-1", "leaf-2"}) == {"leaf-1": "dist-1", "leaf-2": "dist-1"}


def test_a_device_with_two_uplinks_is_unreachable_only_when_both_are_down():
    assert dp.root_causes(PARENTS, {"dist-1", "leaf-4"}) == {}
    assert dp.root_causes(PARENTS, {"dist-1", "dist-2", "leaf-4"}) == {"leaf-4": "dist-1"}   # the first by name


def test_the_root_cause_is_the_nearest_down_machine_that_is_not_unreachable():
    parents = {"a": (), "b": ("a",), "c": ("b",), "d": ("c", "x"), "x": ("a",)}
    assert dp.root_causes(parents, {"b", "c", "d", "x"}) == {"c": "b", "d": "x"}


def test_machines_down_only_behind_each_other_have_no_root_cause():
    assert dp.root_causes({"a": ("b",), "b": ("a",)}, {"a", "b"}) == {}


def test_interface_down_alerts_toward_a_down_machine_are_its_doing():
    ends = dp.far_ends(NETWORK)
    to_dist_1 = interface_down_fingerprint("core", "to-dist-1")
    to_leaf_1 = interface_down_fingerprint("dist-1", "to-leaf-1")
    assert ends[to_dist_1] == "dist-1" and ends[to_leaf_1] == "leaf-1"
    found = dp.suppression(PARENTS, ends, {"dist-1": 10, "leaf-1": 11, "leaf-2": 12},
                           {20: to_dist_1, 21: to_leaf_1, 22: interface_down_fingerprint("core", "to-dist-2")})
    assert found == {11: ("dist-1", 10), 12: ("dist-1", 10), 20: ("dist-1", 10), 21: ("dist-1", 10)}


def test_the_verdict_does_not_depend_on_the_order_the_down_machines_are_given_in():
    down = ["leaf-4", "dist-2", "leaf-1", "dist-1", "core", "leaf-3"]
    answers = {tuple(sorted(dp.root_causes(PARENTS, order).items())) for order in (down, down[::-1], sorted(down))}
    assert len(answers) == 1
