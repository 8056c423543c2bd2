"""The alerts console in headless Chromium: an alert's server links to its machine page
when there is one, and the acknowledge cell reads as words, not run together."""

from datetime import datetime, timezone

import pytest
import requests

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.api_wsgi import alert
from tests.support.browser import WatchedPage, new_context

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("console")
    server = start_api(root)
    try:
        sd.write_machine(server.machines_dir, "core-sw-01")
        batch = [alert(server="core-sw-01", message="Interface ge-0/0/1 is down", severity="error"),
                 alert(server="web-42", message="Disk space running low.", severity="warning")]
        ids = requests.post(server.url + "/api/alert", json=batch, headers=server.operator.headers,
                            timeout=30).json()["ids"]
        requests.post(f"{server.url}/api/alert/{ids[0]}/ack", headers=server.operator.headers, timeout=10)
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir, workers=1)
        yield server
    finally:
        server.stop()


def test_servers_link_to_their_machine_page_and_the_ack_cell_reads_cleanly(chromium, site):
    with new_context(chromium) as context:
        context.request.post(site.url + "/api/login", data={"username": "operator", "password": site.operator.password})
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/alerts.html?view=all")
        page.wait_for_selector("#alerts tbody tr[data-id] a.machine-link")
        links = page.eval_on_selector_all("#alerts tbody tr[data-id] td:nth-child(3)",
                                          "cells => cells.map(c => [c.textContent, c.querySelector('a') ? "
                                          "c.querySelector('a').getAttribute('href') : null])")
        assert sorted(links) == [["core-sw-01", "machines/core-sw-01.html"], ["web-42", None]]
        acked = page.locator("#alerts tbody tr[data-id] td.ack").filter(has=page.locator(".acked"))
        assert acked.count() == 1
        assert acked.first.inner_text().split() == ["✓", "operator", "Undo"], "words apart, not '✓ operatorUndo'"
        assert "Acknowledged by operator" in acked.first.locator(".acked").get_attribute("title")
        page.click("a.machine-link")
        page.wait_for_url("**/machines/core-sw-01.html")
        assert wp.errors == []
