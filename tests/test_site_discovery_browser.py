"""The Devices page's discovery in headless Chromium against the real API: an admin
ticks stored credentials, runs a discovery of snmpsim devices on loopback, watches it
end, adds one device then the rest; no secret ever reaches the page."""

import json
import random

import pytest

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context
from tests.support.site_data import write_machine
from tests.support.snmp_agents import SnmpsimAgent, SnmpsimFleet, free_udp_port
from tests.test_site_devices_browser import wait_text
from vigie import simulated_devices as sim

COMMUNITY = "page-s3cret-community"


@pytest.fixture
def world(tmp_path):
    net, port = f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}", free_udp_port()
    agents = SnmpsimFleet(tmp_path / "sims", [SnmpsimAgent(tmp_path / f"sim{i}", {COMMUNITY: sim.device_snmprec(
        f"lab-{i}", [sim.interface(1, "ge-0/0/0")])}, hosts=(f"{net}.{i}",), port=port) for i in (1, 2, 3)]).launch()
    # the samples folder under the test's own, and so the topology and the discovery runs beside it
    api = start_api(tmp_path / "api", settings={"discovery_networks": ["127.0.0.0/8"],
                                                "samples": str(tmp_path / "api" / "api" / "data" / "samples")})
    try:
        agents.wait(timeout=60)
        write_machine(api.machines_dir, "known-sw", host="127.0.0.1", community=COMMUNITY)
        build(api.machines_dir, api.root / "samples", api.db_path, api.www_dir, workers=1)
        yield api, net, port
    finally:
        api.stop()
        agents.stop()


def test_an_admin_discovers_devices_from_the_page_and_adds_them(chromium, world):
    api, net, port = world
    with new_context(chromium) as context:
        answer = context.request.post(api.url + "/api/login", data={"username": "admin",
                                                                     "password": api.admin.password})
        assert answer.status == 200
        wp = WatchedPage(context)
        wp.page.goto(api.url + "/devices.html")
        wp.page.wait_for_selector("#discover:not([hidden])")
        wp.page.wait_for_selector('#discover-credentials input[value="known-sw"]')
        assert wp.page.is_checked('#discover-credentials input[value="known-sw"]')
        wp.page.fill('#discover-form [name="subnets"]', f"{net}.0/29")
        # the agents answer on another port than 161: seeds say it, the sweep goes there too
        wp.page.fill('#discover-form [name="seeds"]', "\n".join(f"{net}.{i}:{port}" for i in (1, 2, 3)))
        wp.page.click("#discover-start")
        wait_text(wp.page, "#discover-progress", "Done.", timeout=90)
        names = wp.page.eval_on_selector_all("#discover-found tbody tr", "rows => rows.map(r => r.dataset.candidate)")
        assert names == ["lab-1", "lab-2", "lab-3"]
        wp.page.click('#discover-found tr[data-candidate="lab-2"] button.add')
        wait_text(wp.page, "#discover-progress", "Added: lab-2.")
        wp.page.wait_for_selector('#devices tr[data-machine="lab-2"]')
        wp.page.click("#discover-add-all")
        wait_text(wp.page, "#discover-progress", "Added: lab-1, lab-3.")
        wp.page.wait_for_selector('#devices tr[data-machine="lab-3"]')
        assert COMMUNITY not in wp.page.content()
        assert [e for e in wp.errors] == []
    assert json.loads((api.machines_dir / "lab-1.json").read_text())["discovered"]["via"] == "seed"
    assert len(list((api.root / "data" / "discovery").iterdir())) == 2    # the run, and which one is under way
    assert (api.root / "data" / "topology.json").is_file()
    assert COMMUNITY not in api.log_text()
