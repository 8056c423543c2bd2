"""Dark mode follows the system setting on every page (headless Chromium, with the
color scheme set): no light panel left on a dark page, and the light pages stay light."""

import pytest

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context
from datetime import datetime, timezone

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
PAGES = [("/index.html", "#machines"), ("/alerts.html", "#alerts"), ("/devices.html", "#devices"),
         ("/silences.html", "main"), ("/users.html", "#users tbody tr"), ("/account.html", "#password-form"),
         ("/machines/core-sw-01.html", ".graph[data-rendered]"), ("/login.html", "#login-form"),
         ("/reports.html", "#report-machines tbody tr")]

# every visible element's background and text colour, as [r, g, b, alpha]
COLOURS = """() => Array.from(document.querySelectorAll('body, body *')).filter(e => (e.offsetParent !== null
  || e === document.body)).map(e => {
    const s = getComputedStyle(e);
    const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number);
    return {tag: e.tagName + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ?
            '.' + e.className : ''), bg: rgba(s.backgroundColor), fg: rgba(s.color)};
  })"""


def luminance(rgb):
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("dark")
    server = start_api(root)
    try:
        samples = root / "samples"
        sd.write_machine(server.machines_dir, "core-sw-01")
        sd.write_samples(samples, sd.make_samples("core-sw-01", NOW, interfaces=2, day_rows=60))
        build(server.machines_dir, samples, server.db_path, server.www_dir, workers=1)
        yield server
    finally:
        server.stop()


def page_colours(context, site, path, ready):
    wp = WatchedPage(context)
    wp.page.goto(site.url + path)
    wp.page.wait_for_selector(ready, state="attached")
    wp.page.wait_for_timeout(300)
    found = wp.page.evaluate(COLOURS)
    wp.close()
    return found


@pytest.mark.parametrize("path, ready", PAGES)
def test_dark_pages_have_no_light_panel(chromium, site, path, ready):
    with new_context(chromium, color_scheme="dark") as context:
        context.request.post(site.url + "/api/login", data={"username": "admin", "password": site.admin.password})
        colours = page_colours(context, site, path, ready)
    body = colours[0]
    assert luminance(body["bg"]) < 0.15, body
    light = [c["tag"] for c in colours if len(c["bg"]) == 3 or (len(c["bg"]) == 4 and c["bg"][3] > 0.5)
             if luminance(c["bg"][:3]) > 0.7]
    assert light == [], f"light panels on a dark page: {light[:10]}"
    dark_text_on_dark = [c["tag"] for c in colours if c["tag"].startswith(("P", "TD", "H1", "LABEL"))
                         and luminance(c["fg"][:3]) < 0.3]
    assert dark_text_on_dark == [], dark_text_on_dark[:10]


def test_light_pages_stay_light(chromium, site):
    with new_context(chromium, color_scheme="light") as context:
        context.request.post(site.url + "/api/login", data={"username": "admin", "password": site.admin.password})
        colours = page_colours(context, site, "/index.html", "#machines")
    assert luminance(colours[0]["bg"]) > 0.9
