"""The map page and each machine page's neighbours, built from a topology file."""

import json
import math
from datetime import datetime, timezone

import pytest

from site_builder.build import build
from tests.support.browser import new_context, open_page, static_server
from tests.support.site_data import make_samples, write_machine, write_samples
from vigie import topology as tp

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def topology_of(pairs, unmanaged=()):
    """A topology of machine links [(a, a_port, b, b_port)] and unmanaged neighbours [(a, port, name)]."""
    nodes = {}
    links = []
    seen = NOW.isoformat(timespec="seconds")
    for a, pa, b, pb in pairs:
        for n in (a, b):
            nodes[n] = {"id": n, "machine": n, "name": n, "chassis_id": None, "address": None}
        links.append(tp.link(a, pa, b, pb, "lldp", seen))
    for a, pa, name in unmanaged:
        nodes[f"name:{name}"] = {"id": f"name:{name}", "machine": None, "name": name, "chassis_id": None,
                                 "address": "192.0.2.50"}
        links.append(tp.link(a, pa, f"name:{name}", "lan", "cdp", seen))
    return {"generated_at": seen, "nodes": list(nodes.values()), "links": links}


@pytest.fixture
def small_site(tmp_path):
    machines, samples = tmp_path / "machines", tmp_path / "data" / "samples"
    write_machine(machines, "core")
    write_machine(machines, "dist")
    write_samples(samples, make_samples("core", NOW, interfaces=2, days=1, day_rows=5))
    write_samples(samples, make_samples("dist", NOW, interfaces=2, days=1, day_rows=5, state="down"))
    tp.save(tmp_path / "data" / "topology.json",
            topology_of([("core", "eth0", "dist", "eth1")], [("core", "eth1", "printer-2")]))
    build(machines, samples, tmp_path / "data" / "vigie.db", tmp_path / "www", now=NOW)
    return tmp_path / "www"


def test_map_json_colours_nodes_by_state_and_links_by_utilisation(small_site):
    data = json.loads((small_site / "map.json").read_text())
    assert [(n["id"], n["state"], n["href"]) for n in data["nodes"]] == [
        ("core", "up", "machines/core.html"), ("dist", "down", "machines/dist.html"),
        ("name:printer-2", "unmanaged", None)]
    core_dist = next(l for l in data["links"] if {l["source"], l["target"]} == {"core", "dist"})
    assert core_dist["source_interface"] == "eth0" and core_dist["target_interface"] == "eth1"
    assert core_dist["utilisation_percent"] is not None and core_dist["in_bps"] is not None


def test_a_machine_page_lists_its_neighbours_port_to_device_and_port(small_site):
    page = (small_site / "machines" / "core.html").read_text()
    table = page[page.index('id="neighbour-list"'):page.index("</table>", page.index('id="neighbour-list"'))]
    assert '<td>eth0</td>' in table and '<a href="dist.html">dist</a>' in table and "<td>eth1</td>" in table
    assert "printer-2 <span class=\"sub\">(not a machine)</span>" in table
    assert "map.html" in page   # the navigation leads to the map


def test_the_map_draws_every_node_and_link_in_a_browser(chromium, small_site):
    with static_server(small_site) as url, new_context(chromium) as context:
        wp = open_page(context, url + "/map.html", "#map[data-ready='true']")
        assert wp.page.get_attribute("#map", "data-nodes") == "3"
        assert wp.page.get_attribute("#map", "data-links") == "2"
        assert wp.page.locator("#map-links tbody tr").count() == 2
        assert [e for e in wp.errors if "/api/" not in e] == []


def test_two_hundred_nodes_are_laid_out_apart(chromium, tmp_path):
    """A core, 9 distribution switches and 190 access switches: the layout leaves no node on
    top of another (the screenshot is kept beside the test's files for a person to look at)."""
    machines, samples = tmp_path / "machines", tmp_path / "samples"
    pairs = []
    for d in range(1, 10):
        pairs.append(("core", f"ge-{d}", f"dist-{d}", "up"))
    for a in range(190):
        pairs.append((f"dist-{a % 9 + 1}", f"ge-{a}", f"access-{a}", "up"))
    for name in {n for p in pairs for n in (p[0], p[2])}:
        write_machine(machines, name)
    tp.save(tmp_path / "topology.json", topology_of(pairs))
    build(machines, samples, tmp_path / "vigie.db", tmp_path / "www", now=NOW)
    with static_server(tmp_path / "www") as url, new_context(chromium, width=1600, height=1200) as context:
        wp = open_page(context, url + "/map.html", "#map[data-ready='true']")
        positions = wp.page.evaluate("window.vigieMap.nodes().map(n => [n.position('x'), n.position('y')])")
        wp.page.screenshot(path=str(tmp_path / "map-200.png"))
    assert len(positions) == 200
    closest = min(math.dist(p, q) for i, p in enumerate(positions) for q in positions[i + 1:])
    assert closest > 10, f"two nodes {closest:.1f} px apart"
