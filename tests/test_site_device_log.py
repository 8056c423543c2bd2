"""The machine page's device messages in headless Chromium, served by the real API: newest first,
a severity floor, search, older pages, and a message holding HTML shown as text."""

import time
from datetime import datetime, timezone

import pytest

from site_builder.build import build
from vigie import device_log as dl
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(microsecond=0)
XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("devlog")
    logs, samples = root / "logs", root / "samples"
    server = start_api(root, extra_args=["--logs", str(logs)])
    try:
        sd.write_machine(server.machines_dir, "core-sw-01")
        sd.write_samples(samples, sd.make_samples("core-sw-01", NOW, interfaces=1, day_rows=10, seed=1))
        severities = ["info", "err", "debug", "warning", "crit", "notice"]
        lines = [dl.encode(dl.entry(NOW.timestamp() - 1000 + i, severities[i % 6], "core-sw-01", "app",
                                    f"message {i:03d} {severities[i % 6]}", kind="syslog")) for i in range(150)]
        lines.append(dl.encode(dl.entry(NOW.timestamp(), "err", "core-sw-01", "bgpd", XSS, kind="syslog")))
        dl.append(logs, "core-sw-01", lines, now=NOW.timestamp())
        build(server.machines_dir, samples, server.db_path, server.www_dir)
        yield server
    finally:
        server.stop()


def rows(page):
    return page.eval_on_selector_all("#device-messages tbody tr",
                                     "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")


def wait_rows(page, predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = rows(page)
        if predicate(found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"rows never matched: {rows(page)[:5]}")


def test_device_messages_newest_first_filtered_and_searched(chromium, site):
    with new_context(chromium) as context:
        answer = context.request.post(site.url + "/api/login", data={"username": site.viewer.username,
                                                                     "password": site.viewer.password})
        assert answer.status == 200
        wp = WatchedPage(context)
        wp.page.goto(site.url + "/machines/core-sw-01.html")
        first = wait_rows(wp.page, lambda r: len(r) == 100)
        assert first[0][4] == XSS and first[1][4] == "message 149 notice"   # newest first, HTML as text
        assert wp.page.evaluate("window.__xss") is None
        assert wp.page.is_visible("#device-messages-older")
        wp.page.click("#device-messages-older")
        wait_rows(wp.page, lambda r: len(r) == 151)
        wp.page.select_option("#device-messages-filter select", "err")
        filtered = wait_rows(wp.page, lambda r: r and all(c[1] in ("err", "crit") for c in r) and len(r) == 51)
        assert filtered[-1][4] == "message 001 err"
        wp.page.fill("#device-messages-filter input", "MESSAGE 10")
        searched = wait_rows(wp.page, lambda r: len(r) == 4)
        assert [c[4] for c in searched] == ["message 109 err", "message 106 crit", "message 103 err",
                                            "message 100 crit"]
        wp.page.fill("#device-messages-filter input", "nothing like this")
        assert wait_rows(wp.page, lambda r: len(r) == 1)[0][0] == "No message matches."
        assert wp.errors == []


def test_anonymous_visitors_are_told_to_log_in(chromium, site, tmp_path):
    from tests.support.browser import static_server

    with new_context(chromium) as context, static_server(site.www_dir) as url:
        wp = WatchedPage(context)
        wp.page.goto(url + "/machines/core-sw-01.html")
        text = wait_rows(wp.page, lambda r: len(r) == 1 and r[0][0] != "Loading…")[0][0]
        assert "API" in text
