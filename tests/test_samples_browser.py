"""A samples file of the previous format (one JSON file a machine, series by ifIndex)
shown in real headless Chromium: before the collector converts it (readers convert
in memory) and after (on disk), the machine page shows the same interfaces and each
graph every point the old file held."""

import gzip
import json
import os

import pytest

from site_builder import series
from site_builder.build import build
from site_builder.graphs import graph_id
from tests.support import site_data as sd
from tests.support.browser import WatchedPage, new_context, static_server
from vigie import samples as sl
from vigie import units

pytestmark = pytest.mark.slow

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "samples-format1-core-sw-01.json.gz")
MACHINE = "core-sw-01"


def expected_points(old: dict, index: str) -> tuple:
    """(fine points, coarse points) of an interface's graph, from the old file itself: its
    day rows, and before them the week, month and year rows whose period ended by then."""
    rows = old["series"][index]
    day = rows["day"]
    steps = {name: old["archives"][name]["step"] for name in ("week", "month", "year")}
    ended = {name: [r for r in rows[name] if r[0] + steps[name] <= day[0][0]] for name in steps}
    coarse, _ = series.merge_archives(ended, steps)
    return len(day), len(coarse)


def page_facts(url: str, chromium, gids: list) -> dict:
    with new_context(chromium) as context:
        wp = WatchedPage(context)
        wp.page.goto(f"{url}/machines/{MACHINE}.html")
        wp.page.wait_for_selector("#interfaces tbody tr[data-key]")
        facts = {"rows": wp.page.eval_on_selector_all(
            "#interfaces tbody tr[data-key]", "rows => rows.map(r => [r.dataset.key, r.cells[4].textContent])")}
        for gid in gids:
            wp.page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
            wp.page.wait_for_selector(f"#graph-{gid}[data-rendered]", timeout=15_000)
            facts[gid] = wp.page.evaluate("""gid => { const d = document.getElementById('graph-' + gid);
                const line = d.data.find(t => t.hoverinfo !== 'skip');      // "in", not the area under it
                return {points: +d.dataset.points, peaks: +d.dataset.peakPoints, x: line.x.length,
                        last: line.x[line.x.length - 1].getTime() / 1000,
                        last_in: line.y[line.y.length - 1]}; }""", gid)
        wp.wait_for_quiet()
        # a plain static server has no API: the device's messages cannot be read, nothing else fails
        facts["errors"] = [e for e in wp.errors if "/api/" not in e]
        wp.close()
    return facts


def test_a_previous_format_samples_file_is_shown_then_converted_with_every_point(chromium, tmp_path):
    old = json.loads(gzip.decompress(open(FIXTURE, "rb").read()))
    machines, samples, www = tmp_path / "machines", tmp_path / "samples", tmp_path / "www"
    sd.write_machine(machines, MACHINE)
    samples.mkdir()
    (samples / f"{MACHINE}.json").write_text(json.dumps(old))
    interfaces = {str(i["index"]): i for i in old["interfaces"]}
    gids = {index: graph_id("interface", i["name"]) for index, i in interfaces.items()}
    with static_server(www) as url:
        seen = []
        for converted in (False, True):
            if converted:
                sl.SamplesStore(samples).load(MACHINE, 60)       # the collector's first load converts it
                assert json.loads((samples / f"{MACHINE}.json").read_text())["format"] == sl.FORMAT
                assert (samples / MACHINE / "fine.jsonl").exists()
            else:
                assert json.loads((samples / f"{MACHINE}.json").read_text())["format"] == 1
            build(machines, samples, tmp_path / "vigie.db", www)
            facts = page_facts(url, chromium, list(gids.values()))
            assert facts["errors"] == [], facts["errors"]
            assert facts["rows"] == [[i["name"], units.bits_per_second(i["in_bps"])] for i in old["interfaces"]]
            for index, gid in gids.items():
                fine, coarse = expected_points(old, index)
                g = facts[gid]
                assert (g["points"], g["peaks"], g["x"]) == (fine + coarse, coarse, fine + coarse), (gid, g)
                day = old["series"][index]["day"]
                assert g["last"] == day[-1][0]
                assert g["last_in"] == pytest.approx(day[-1][1], rel=1e-3, abs=max(r[1] or 0 for r in day) / 30_000)
            seen.append(facts)
        assert seen[0] == seen[1]
