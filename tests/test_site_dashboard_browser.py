"""The dashboard and the search box in headless Chromium, against the real API: machines
grouped and filtered by tag, their location shown, a search through machines,
interfaces and addresses from every page, and a new build taken in place."""

import json
from datetime import datetime, timezone

import pytest

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, login, new_context

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
MACHINES = {"core-sw-01": {"environment": "prod", "application": "network"},
            "edge-rt-02": {"environment": "prod", "application": "wan"},
            "lab-sw-03": {"environment": "dev", "application": "network"}}


def write(server, samples, name, state="up", location="Paris, rack B3"):
    head = sd.write_samples(samples, sd.make_samples(name, NOW, interfaces=2, day_rows=30, state=state,
                                                     aliases={1: f"uplink of {name}"}, days=2))
    data = json.loads(head.read_text())
    data["status"]["sys_location"] = location
    head.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    server = start_api(root)
    samples = root / "samples"
    try:
        for i, (name, tags) in enumerate(MACHINES.items()):
            sd.write_machine(server.machines_dir, name, host=f"192.0.2.{10 + i}", tags=tags)
            write(server, samples, name, location=("Paris, rack B3", "Lyon, room 2", "Nantes")[i])
        server.samples = samples
        server.rebuild = lambda: build(server.machines_dir, samples, server.db_path, server.www_dir, workers=1)
        server.rebuild()
        yield server
    finally:
        server.stop()


def logged_in(context, site):
    login(context, site, site.viewer)
    return WatchedPage(context)


def visible_rows(page):
    return page.eval_on_selector_all("#machines tbody tr", "rows => rows.filter(r => !r.hidden).map(r => "
                                     "r.classList.contains('group') ? '# ' + r.textContent.trim() : r.dataset.machine)")


def test_machines_are_grouped_and_filtered_by_tag_and_show_where_they_are(chromium, site):
    with new_context(chromium) as context:
        wp = logged_in(context, site)
        page = wp.page
        page.goto(site.url + "/index.html")
        page.wait_for_selector("#machine-view")
        assert "Lyon, room 2" in page.text_content('#machines tr[data-machine="edge-rt-02"]')
        page.select_option('#machine-view select[name="group"]', "application")
        assert visible_rows(page) == ["# application: network — 2 machines", "core-sw-01", "lab-sw-03",
                                      "# application: wan — 1 machine", "edge-rt-02"]
        page.select_option('#machine-view select[name="tag-environment"]', "prod")
        assert visible_rows(page) == ["# application: network — 1 machine", "core-sw-01",
                                      "# application: wan — 1 machine", "edge-rt-02"]
        assert page.text_content("#machine-view-count") == "2 of 3 machines"
        assert "group=application" in page.url and "tag-environment=prod" in page.url
        page.reload()   # the choice is in the address: it survives a reload
        page.wait_for_selector("#machines tr.group")
        assert visible_rows(page)[0] == "# application: network — 1 machine"
        assert wp.errors == []


def test_search_finds_machines_interfaces_and_addresses_from_any_page(chromium, site):
    with new_context(chromium) as context:
        wp = logged_in(context, site)
        page = wp.page
        page.goto(site.url + "/alerts.html")

        def results(text):
            page.fill("#search-input", text)
            page.wait_for_selector("#search-results:not([hidden]) a")
            return page.eval_on_selector_all("#search-results a", "links => links.map(a => "
                                             "[a.querySelector('.label').textContent, a.getAttribute('href')])")

        assert results("192.0.2.11")[0] == ["edge-rt-02", "machines/edge-rt-02.html"]
        assert results("nantes")[0] == ["lab-sw-03", "machines/lab-sw-03.html"]
        found = results("uplink of core")
        assert found[0][0] == "core-sw-01 › eth0" and found[0][1].startswith("machines/core-sw-01.html#graph-")
        assert found[-1][1] == "alerts.html?view=all&q=uplink%20of%20core"
        page.press("#search-input", "Enter")
        page.wait_for_url("**/machines/core-sw-01.html#graph-*")
        assert wp.errors == []


def test_a_new_build_is_taken_in_place_without_reloading(chromium, site):
    with new_context(chromium) as context:
        wp = logged_in(context, site)
        page = wp.page
        page.goto(site.url + "/index.html?refresh=1&group=environment")
        page.wait_for_selector("#machines tr.group")
        page.evaluate("window.__same_page = true")
        page.fill("#search-input", "lab")
        page.wait_for_timeout(1500)   # a build in another second than the page's (Last-Modified counts seconds)
        write(site, site.samples, "lab-sw-03", state="down")
        site.rebuild()
        page.wait_for_selector('#machines tr[data-machine="lab-sw-03"][data-state="down"]', timeout=20_000)
        assert page.evaluate("window.__same_page") is True, "no reload"
        assert int(page.evaluate("document.body.dataset.updated")) >= 1
        assert page.input_value("#search-input") == "lab", "what was typed stays"
        assert visible_rows(page)[0].startswith("# environment: dev"), "the grouping stays"
        assert "down" in page.text_content('#machines tr[data-machine="lab-sw-03"]')
        assert wp.errors == []
