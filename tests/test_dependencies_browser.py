"""Dependencies on the site, in headless Chromium against the real API: the console folds
the alerts of devices unreachable behind a down machine under it ("and 3 behind it",
opened beneath it), a box lists them among the others, the detail names the root cause;
the machine page and the map show the parents."""

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page
from tests.test_alerts_console_browser import row_ids, wait_for
from vigie import topology as tp
from vigie.down_alerts import MACHINE_DOWN_MESSAGE, reachability_fingerprint

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CABLES = [("core", "dist-1"), ("dist-1", "leaf-1"), ("dist-1", "leaf-2"), ("core", "leaf-3")]
MACHINES = ["core", "dist-1", "leaf-1", "leaf-2", "leaf-3"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("dependencies")
    topology = root / "topology.json"
    server = start_api(root, settings={"topology": str(topology)})
    try:
        for i, name in enumerate(MACHINES):   # found by a discovery started at the core
            sd.write_machine(server.machines_dir, name, host=f"198.18.0.{i + 1}",
                             discovered={"via": "seed" if name == "core" else "lldp"})
        tp.save(topology, {"generated_at": None, "nodes": [
            {"id": m, "machine": m, "name": m, "chassis_id": None, "address": None} for m in MACHINES],
            "links": [tp.link(a, f"to-{b}", b, f"to-{a}", "lldp", NOW.isoformat()) for a, b in CABLES]})
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir, topology_path=topology)
        yield server
    finally:
        server.stop()


def down(site, machine, minutes_ago):
    alert = {"timestamp": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "server": machine,
             "severity": "CRITICAL", "message": MACHINE_DOWN_MESSAGE, "provider": "NetOps", "application": "",
             "environment": "prod", "fingerprint": reachability_fingerprint(machine)}
    answer = requests.post(site.url + "/api/alert", json=alert, headers=site.operator.headers, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_the_console_folds_what_is_behind_a_down_machine_under_it(chromium, site):
    ids = {m: down(site, m, minutes) for m, minutes in (("leaf-1", 9), ("leaf-2", 8), ("core", 7), ("dist-1", 6))}
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/alerts.html", "#alerts tbody tr[data-id]")
        page = wp.page
        wait_for(lambda: row_ids(page) == [ids["core"]])
        toggle = page.locator(f'#alerts tr[data-id="{ids["core"]}"] button.behind-toggle')
        assert toggle.text_content() == "▸ and 3 behind it"
        toggle.click()
        wait_for(lambda: len(row_ids(page)) == 4)
        behind = page.eval_on_selector_all("#alerts tr.behind", "rows => rows.map(r => r.cells[2].textContent)")
        assert behind == ["dist-1", "leaf-1", "leaf-2"]
        assert page.text_content(f'#alerts tr.behind[data-id="{ids["leaf-1"]}"] button.badge.suppressed') == \
            "behind core"
        assert toggle.text_content() == "▾ and 3 behind it"
        toggle.click()
        wait_for(lambda: row_ids(page) == [ids["core"]])

        # the box lists them among the others
        page.check('input[name="behind"]')
        wait_for(lambda: sorted(row_ids(page)) == sorted(ids.values()))
        assert "behind=1" in page.url
        assert page.locator("#alerts button.behind-toggle").count() == 0
        # the detail of one names its root cause, which opens from there
        page.locator(f'#alerts tr[data-id="{ids["leaf-2"]}"] button.open-detail').click()
        page.wait_for_selector("#history li")
        facts = page.text_content("#detail-facts")
        assert "Unreachable behind" in facts and f"alert #{ids['core']}" in facts
        kinds = page.eval_on_selector_all("#history li", "items => items.map(i => i.dataset.kind)")
        assert kinds == ["created", "suppressed"]   # once dist-1 was down too: behind the core
        page.locator("#detail-facts button.link").click()
        wait_for(lambda: page.text_content("#detail-title").startswith(f"#{ids['core']} "))
        assert "3 alerts unreachable behind it" in page.text_content("#detail-facts")
        page.select_option('select[name="view"]', "suppressed")
        wait_for(lambda: sorted(row_ids(page)) == sorted(ids[m] for m in ("dist-1", "leaf-1", "leaf-2")))
        assert wp.errors == []
        wp.close()


def test_the_machine_page_and_the_map_show_the_parents(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/machines/leaf-1.html", "#parents")
        text = wp.page.text_content("#parents")
        assert "dist-1" in text and "LLDP" in text
        assert wp.page.get_attribute("#parents a", "href") == "dist-1.html"
        assert wp.errors == []
        wp.close()
    drawn = json.loads((site.www_dir / "map.json").read_text())
    assert {n["id"]: n["parents"] for n in drawn["nodes"]} == {
        "core": [], "dist-1": ["core"], "leaf-1": ["dist-1"], "leaf-2": ["dist-1"], "leaf-3": ["core"]}
