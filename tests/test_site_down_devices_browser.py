"""The down devices view in headless Chromium against the real API: the dashboard's
"N down" badge opens the machines that are down, and the dashboard and the Devices
page filter and sort their machines by state, the choice kept in the address."""

from datetime import datetime, timezone

import pytest

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, login, new_context, text_when

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
STATES = {"core-sw-01": "up", "edge-rt-02": "down", "lab-sw-03": "up", "new-ap-04": None, "wan-rt-05": "down"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("down-view")
    samples = root / "samples"
    server = start_api(root, settings={"samples": str(samples)})
    try:
        for i, (name, state) in enumerate(STATES.items()):
            sd.write_machine(server.machines_dir, name, host=f"192.0.2.{10 + i}",
                             tags={"environment": "prod" if i % 2 else "dev"})
            if state is not None:
                sd.write_samples(samples, sd.make_samples(name, NOW, interfaces=1, day_rows=5, days=1, state=state))
        build(server.machines_dir, samples, server.db_path, server.www_dir, workers=1)
        sd.write_machine(server.machines_dir, "zz-late-06", host="192.0.2.30")   # after the build: live only
        sd.write_samples(samples, sd.make_samples("zz-late-06", NOW, interfaces=1, day_rows=5, days=1, state="down"))
        yield server
    finally:
        server.stop()


def shown(page, table):
    return page.eval_on_selector_all(f"#{table} tbody tr[data-machine]",
                                     "rows => rows.filter(r => !r.hidden).map(r => r.dataset.machine)")


def test_the_down_badge_opens_the_down_machines_and_the_dashboard_sorts_by_state(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/index.html")
        assert page.text_content("#down-link").strip() == "2 down"
        page.click("#down-link")
        page.wait_for_url("**/index.html?state=down#machines")
        text_when(page, "#machine-view-count", exact="2 of 5 machines")
        assert shown(page, "machines") == ["edge-rt-02", "wan-rt-05"]
        assert page.text_content("#machine-view-count") == "2 of 5 machines"
        assert page.input_value('#machine-view select[name="state"]') == "down"
        page.select_option('#machine-view select[name="state"]', "")
        page.select_option('#machine-view select[name="sort"]', "state")
        assert shown(page, "machines") == ["edge-rt-02", "wan-rt-05", "new-ap-04", "core-sw-01", "lab-sw-03"]
        assert "sort=state" in page.url and "state=down" not in page.url
        page.select_option('#machine-view select[name="group"]', "environment")   # grouped, still by state
        grouped = ["wan-rt-05", "core-sw-01", "lab-sw-03", "edge-rt-02", "new-ap-04"]   # dev, then prod
        assert shown(page, "machines") == grouped
        page.reload()
        page.wait_for_selector("#machines tr.group")
        assert page.input_value('#machine-view select[name="sort"]') == "state"
        assert shown(page, "machines") == grouped
        page.select_option('#machine-view select[name="group"]', "")
        page.select_option('#machine-view select[name="sort"]', "")
        assert shown(page, "machines") == list(STATES)
        assert wp.errors == []


def test_the_devices_page_shows_filters_and_sorts_by_state(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/devices.html?state=down")
        # the list is read live from the API: zz-late-06, added after the build, is in it
        text_when(page, "#device-view-count", exact="3 of 6 devices")
        assert shown(page, "devices") == ["edge-rt-02", "wan-rt-05", "zz-late-06"]
        states = page.eval_on_selector_all("#devices tbody tr[data-machine]",
                                           "rows => rows.map(r => [r.dataset.machine, r.cells[1].textContent])")
        assert dict(states) == {"core-sw-01": "up", "edge-rt-02": "down", "lab-sw-03": "up", "new-ap-04": "unknown",
                                "wan-rt-05": "down", "zz-late-06": "down"}
        page.select_option('#device-view select[name="state"]', "")
        page.select_option('#device-view select[name="sort"]', "state")
        by_state = ["edge-rt-02", "wan-rt-05", "zz-late-06", "new-ap-04", "core-sw-01", "lab-sw-03"]
        assert shown(page, "devices") == by_state
        assert page.text_content("#device-view-count") == ""
        assert "sort=state" in page.url and "state=" not in page.url.replace("sort=state", "")
        page.reload()
        page.wait_for_selector('#devices tr[data-machine="zz-late-06"]')
        assert shown(page, "devices") == by_state
        assert wp.errors == []
