"""The built site in real headless Chromium, served by the real API (gunicorn)
or by a plain static file server."""

import json
import re
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from site_builder.build import build
from tests.support import site_data as sd
from vigie import samples as samples_lib
from vigie.severity import RANK as SEVERITY_RANK
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page, static_server

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(microsecond=0)
XSS_MESSAGES = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=1">']
ALIAS = '<b onmouseover="window.__xss=1">uplink</b><img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    server = start_api(root)
    try:
        samples = root / "samples"
        for i, name in enumerate(("core-sw-01", "edge-rt-02")):
            sd.write_machine(server.machines_dir, name, oids={"load": "1.3.6.1.4.1.2021.10.1.3.1"})
            sd.write_samples(samples, sd.make_samples(name, NOW, interfaces=3, day_rows=240, seed=i,
                                                      oids={"load": "load"}, aliases={1: ALIAS}))
        sd.write_machine(server.machines_dir, "big-sw")
        sd.write_samples(samples, sd.make_samples("big-sw", NOW, interfaces=48, day_rows=1500, seed=7))
        (server.machines_dir / "broken.json").write_text('{"host": "h"}')
        alerts = sd.make_alerts(150, NOW - timedelta(minutes=1), ["core-sw-01", "edge-rt-02", "db-01"])
        alerts += [dict(alerts[0], server="core-sw-01", message=m, timestamp=sd.iso(NOW), severity="CRITICAL")
                   for m in XSS_MESSAGES]
        answer = requests.post(server.url + "/api/alert", json=alerts, headers=server.admin.headers, timeout=30)
        assert answer.status_code == 201, answer.text
        server.samples_dir = samples
        server.rebuild = lambda: build(server.machines_dir, samples, server.db_path, server.www_dir)
        server.rebuild()
        yield server
    finally:
        server.stop()


def show_graph(page, gid, timeout=20_000):
    """Scroll a graph into view (graphs are fetched and drawn only then) and wait for it."""
    page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#graph-{gid}[data-rendered]", timeout=timeout)


def graph_facts(page, gid):
    return page.evaluate("""gid => { const d = document.getElementById('graph-' + gid);
        const lines = d.data.filter(t => t.hoverinfo !== 'skip');      // not the area under "in"
        return {points: +d.dataset.points, peak_points: +d.dataset.peakPoints, traces: lines.length,
                x: lines[0].x.length, peak: lines[lines.length > 2 ? 2 : 1].x.length,
                last: lines[0].x[lines[0].x.length - 1].getTime() / 1000,
                svg: !!d.querySelector('svg.main-svg')}; }""", gid)


def until(predicate, timeout=15):
    """Wait for a condition read from the page (the pages' CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the page never got there")
        time.sleep(0.2)


def api_count(site, **params):
    answer = requests.get(site.url + "/api/alert", params=dict(params, limit=1), headers=site.admin.headers, timeout=10)
    return answer.json()["count"]


def table_rows(page):
    return page.eval_on_selector_all("#alerts tbody tr[data-id]", "rows => rows.map(r => ({id: r.dataset.id,"
                                     " cells: Array.from(r.cells).map(c => c.textContent)}))")


def wait_rows(page, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = table_rows(page)
        if rows and predicate(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"rows never matched: {table_rows(page)[:3]}")


def test_every_page_loads_without_error_and_graphs_render(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        for path, ready in (("/", "#machines"), ("/alerts.html", "#alerts tbody tr[data-id]"),
                            ("/devices.html", "#devices tbody tr"), ("/silences.html", "#silences tbody tr"),
                            ("/machines/core-sw-01.html", "#graph-specs")):
            wp = open_page(context, site.url + path, ready)
            if "machines" in path:
                ids = wp.page.eval_on_selector_all(".graph[data-graph]:not([data-graph=sum])", "divs => divs.map(d => d.id)")
                assert ids == ["graph-if-eth0", "graph-if-eth1", "graph-if-eth2", "graph-oid-load"]
                for gid in ("if-eth0", "if-eth1", "if-eth2", "oid-load"):
                    show_graph(wp.page, gid)
                    g = graph_facts(wp.page, gid)
                    assert g["svg"] and g["x"] == g["points"] and g["points"] > 240
                    assert g["traces"] == (4 if gid.startswith("if-") else 2)
                    assert g["peak"] == g["peak_points"] == g["points"] - 240
            wp.wait_for_quiet()
            assert wp.errors == [], (path, wp.errors)
            wp.close()


def expected_points(site, machine, key):
    """What a graph shows, from the samples themselves: the fine polls of the day before the
    builder's last cut, the polls since, and before them the coarse rows whose period ended
    before the fine polls start, finest archive first."""
    fine = samples_lib.read_archive(site.samples_dir, machine, samples_lib.FINE)
    manifest = json.loads((site.www_dir / ".vigie-build.json").read_text())
    cut = manifest["pages"][f"machines/{machine}.html"]["graphs"]["cut_t"]
    window = [x for x in fine if cut - 86400 < x["t"] <= cut]
    since = [x for x in fine if x["t"] > cut]
    start, coarse = window[0]["t"], 0
    for archive, (step, _) in samples_lib.COARSE_ARCHIVES.items():
        rows = [x for x in samples_lib.read_archive(site.samples_dir, machine, archive)
                if key in x["if"] and x["t"] + step <= start]
        coarse += len(rows)
        start = min([start] + [x["t"] for x in rows])
    return len(window) + len(since), coarse


def test_a_graph_is_fetched_when_scrolled_into_view_and_shows_every_point(chromium, site):
    store = samples_lib.SamplesStore(site.samples_dir)
    record = store.load("big-sw", 60)
    for n in (1, 2):                       # two polls since the build's cut: in recent.jsonl
        t = int(NOW.timestamp()) + 60 * n
        rates = {i["key"]: [1e6 * n, 2e6 * n] for i in record.head["interfaces"]}
        record.now.update(time=t)
        record.fine.append({"t": t, "if": rates, "oid": {}})
        store.save(record, now_ts=t)
    site.rebuild()
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/machines/big-sw.html", "#graph-specs")
        asked = []
        wp.page.on("request", lambda r: asked.append(r.url))
        wp.page.wait_for_selector("#interfaces tbody tr[data-key]")
        wp.page.wait_for_timeout(500)
        assert not wp.page.locator("#graph-if-eth30[data-rendered]").count()
        assert not [u for u in asked if "if-eth30." in u]              # not fetched before it is seen
        show_graph(wp.page, "if-eth30")
        fine, coarse = expected_points(site, "big-sw", "eth30")
        g = graph_facts(wp.page, "if-eth30")
        assert (g["points"], g["peak_points"]) == (fine + coarse, coarse) and g["x"] == fine + coarse
        assert g["last"] == int(NOW.timestamp()) + 120
        assert [u for u in asked if "if-eth30.fine.json" in u] and not [u for u in asked if "if-eth40." in u]
        assert wp.errors == []
        wp.close()


def test_the_last_day_is_drawn_before_plotly_runs_and_stays_when_it_cannot(chromium, site):
    fine = samples_lib.read_archive(site.samples_dir, "big-sw", samples_lib.FINE)
    day = [x for x in fine if x["t"] >= fine[-1]["t"] - 86400]        # the 24 h up to the last poll, both ends in
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        context.route("**/plotly-*.min.js", lambda route: route.abort())
        wp = open_page(context, site.url + "/machines/big-sw.html", "#graph-specs")
        wp.page.locator("#graph-if-eth3").scroll_into_view_if_needed()
        wp.page.wait_for_selector("#graph-if-eth3 svg.preview path")
        assert int(wp.page.get_attribute("#graph-if-eth3", "data-preview-points")) == len(day)
        wp.page.wait_for_selector("#graph-if-eth3 p.error")
        assert "interactive graph cannot be shown" in wp.page.text_content("#graph-if-eth3 p.error")
        assert wp.page.locator("#graph-if-eth3 svg.preview").count() == 1
        assert not wp.page.locator(".graph[data-rendered]").count()
        assert [e for e in wp.errors if "plotly" not in e] == []
        wp.close()
        context.unroute("**/plotly-*.min.js")
        wp = open_page(context, site.url + "/machines/big-sw.html", "#graph-specs")
        show_graph(wp.page, "if-eth3")                 # then Plotly's graph takes its place
        assert wp.page.locator("#graph-if-eth3 svg.preview").count() == 0
        assert wp.page.locator("#graph-if-eth3 svg.main-svg").count() >= 1 and wp.errors == []
        wp.close()


def test_a_machine_page_with_48_interfaces_loads_with_no_console_error(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/machines/big-sw.html", "#graph-specs")
        sizes = []
        wp.page.on("response", lambda r: sizes.append((r.url, len(r.body()))) if r.ok else None)
        wp.page.reload()
        wp.wait_for_quiet()
        graph_data = (".fine.json", ".coarse.json", "recent.jsonl")    # fetched as graphs come into view
        first_load = sum(n for url, n in sizes if "plotly" not in url and not any(g in url for g in graph_data))
        assert first_load <= 300_000, sizes
        for i in list(range(0, 48, 6)) + [47]:       # down the page to its last graph
            show_graph(wp.page, f"if-eth{i}")
        assert 9 <= wp.page.locator(".graph[data-rendered]").count() < 48
        assert wp.page.locator("#interfaces tbody tr[data-key]").count() == 48
        assert wp.errors == []
        wp.close()


def test_an_open_machine_page_takes_new_polls_without_reloading(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/machines/edge-rt-02.html?refresh=1", "#graph-specs")
        show_graph(wp.page, "if-eth1")
        before = graph_facts(wp.page, "if-eth1")
        wp.page.evaluate("window.__same_page = 1")
        store = samples_lib.SamplesStore(site.samples_dir)
        record = store.load("edge-rt-02", 60)
        t = int(before["last"]) + 60
        rates = {i["key"]: [4_321_000.0, 1e3] for i in record.head["interfaces"]}
        record.now.update(time=t)
        record.fine.append({"t": t, "if": rates, "oid": {"load": 1.0}})
        store.save(record, now_ts=t)
        site.rebuild()
        until(lambda: wp.page.text_content('#interfaces tr[data-key="eth1"] [data-live=in_bps]') == "4.32 Mb/s")
        until(lambda: graph_facts(wp.page, "if-eth1")["points"] == before["points"] + 1)
        assert wp.page.evaluate("window.__same_page") == 1 and graph_facts(wp.page, "if-eth1")["last"] == t
        assert wp.errors == []
        wp.close()


def test_filters_sorting_and_paging_change_the_rows(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/alerts.html?view=all", "#alerts tbody tr[data-id]")
        page = wp.page
        assert page.get_attribute("body", "data-mode") == "live"
        total = api_count(site)
        assert page.text_content("#page-info") == f"1–50 of {total}"
        page.check('input[name="severity"][value="CRITICAL"]')
        rows = wait_rows(page, lambda rows: all(r["cells"][1] == "CRITICAL" for r in rows))
        assert page.text_content("#result-count").startswith(f"{api_count(site, severity='CRITICAL')} alert")
        page.fill('input[name="server"]', "db-01")
        page.click("#filters button[type=submit]")
        wait_rows(page, lambda rows: all(r["cells"][2] == "db-01" and r["cells"][1] == "CRITICAL" for r in rows))
        assert "severity=CRITICAL" in page.url and "server=db-01" in page.url
        page.click("#clear-filters")
        page.select_option('select[name="view"]', "all")
        wait_rows(page, lambda rows: len({r["cells"][2] for r in rows}) > 1)
        since = NOW - timedelta(minutes=20)
        page.fill('input[name="since"]', since.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M:%S"))
        page.click("#filters button[type=submit]")
        expected = api_count(site, since=sd.iso(since))
        assert 0 < expected < total
        wait_rows(page, lambda rows: page.text_content("#result-count").startswith(f"{expected} alert"))
        page.click("#clear-filters")  # back to the default view: what needs attention
        attention = api_count(site, status="open", silenced="false")
        assert 0 < attention < total
        wait_rows(page, lambda rows: page.text_content("#result-count").startswith(f"{attention} alert"))
        assert "view=" not in page.url
        page.select_option('select[name="view"]', "all")
        wait_rows(page, lambda rows: page.text_content("#result-count").startswith(f"{total} alert"))
        page.click('button.sort[data-field="server"]')  # -server: descending
        rows = wait_rows(page, lambda rows: rows[0]["cells"][2] == "edge-rt-02")
        page.click("#next-page")
        rows2 = wait_rows(page, lambda r: r[0]["id"] != rows[0]["id"])
        assert page.text_content("#page-info").startswith("51–")
        assert not {r["id"] for r in rows} & {r["id"] for r in rows2}
        assert wp.errors == []
        wp.close()


def test_operator_acknowledges_one_then_the_filtered_set(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/alerts.html?server=edge-rt-02&acknowledged=false", "#alerts button.ack")
        page = wp.page
        first = table_rows(page)[0]["id"]
        page.locator(f'#alerts tr[data-id="{first}"] button.ack').click()
        page.wait_for_selector(f"text=Alert {first} acknowledged.")
        alert = requests.get(f"{site.url}/api/alert/{first}", headers=site.admin.headers, timeout=10).json()
        assert alert["acknowledged"] is True and alert["acknowledged_by"] == "operator"
        assert api_count(site, server="edge-rt-02", acknowledged="false") > 0
        assert page.is_visible("#bulk-ack")
        page.click("#bulk-ack")
        page.wait_for_selector("text=/\\d+ alerts acknowledged/")
        assert wp.dialogs and "Acknowledge all" in wp.dialogs[-1]
        assert api_count(site, server="edge-rt-02", acknowledged="false", status="open") == 0
        assert api_count(site, server="core-sw-01", acknowledged="false", status="open") > 0  # only the filtered set
        assert wp.errors == []
        wp.close()


def test_viewer_is_offered_no_acknowledgement_and_the_api_refuses_it(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/alerts.html?server=core-sw-01&acknowledged=false", "#alerts tbody tr[data-id]")
        page = wp.page
        page.wait_for_selector("#whoami:not([hidden])")
        assert page.text_content("#whoami") == "viewer (viewer)"
        assert page.locator("#alerts button.ack").count() == 0
        assert page.locator("#bulk-ack").is_hidden()
        target = table_rows(page)[0]["id"]
        status = page.evaluate("""id => fetch('/api/alert/' + id + '/ack', {method: 'POST', credentials: 'same-origin',
            headers: {'X-CSRF-Token': Vigie.cookie('vigie_csrf')}}).then(r => r.status)""", int(target))
        assert status == 403
        alert = requests.get(f"{site.url}/api/alert/{target}", headers=site.admin.headers, timeout=10).json()
        assert alert["acknowledged"] is False
        wp.close()


def test_admin_adds_and_removes_a_device(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.admin)
        wp = open_page(context, site.url + "/devices.html", "#add-device:not([hidden])")
        page = wp.page
        page.wait_for_selector('#devices tr[data-machine="core-sw-01"] button.remove')
        assert "config error" in page.text_content('#devices tr.config-error[data-machine="broken"]')
        page.fill('#device-form [name="name"]', ".hidden")  # the machine-name rule, from the builder
        page.fill('#device-form [name="host"]', "127.0.0.1")
        page.fill('#device-form [name="community"]', "n3w-secret")
        page.click('#device-form button[type="submit"]')
        assert "not starting with '.'" in page.text_content("#form-error")
        page.fill('#device-form [name="name"]', "new-router")
        page.fill('#device-form [name="host"]', "bad host!")
        page.fill('#device-form [name="community"]', "n3w-secret")
        page.click('#device-form button[type="submit"]')
        assert "Host" in page.text_content("#form-error")
        assert not (site.machines_dir / "new-router.json").exists()
        page.fill('#device-form [name="host"]', "127.0.0.1")
        page.fill('#device-form [name="interval"]', "30")
        page.fill('#device-form [name="environment"]', "prod")
        page.fill('#device-form [name="oids"]', "load_1min = 1.3.6.1.4.1.2021.10.1.3.1\nbad = not an oid")
        page.click('#device-form button[type="submit"]')
        assert "not an oid" in page.text_content("#form-error")
        page.fill('#device-form [name="oids"]', "load_1min = 1.3.6.1.4.1.2021.10.1.3.1")
        page.click('#device-form button[type="submit"]')
        page.wait_for_selector('#devices tr[data-machine="new-router"]')
        config = json.loads((site.machines_dir / "new-router.json").read_text())
        assert config["host"] == "127.0.0.1" and config["interval"] == 30 and config["snmp"]["community"] == "n3w-secret"
        assert config["tags"] == {"environment": "prod"}
        assert config["oids"] == {"load_1min": "1.3.6.1.4.1.2021.10.1.3.1"}
        assert "n3w-secret" not in page.content()
        page.fill('#device-form [name="name"]', "core-sw-01")  # the API has the last word
        page.fill('#device-form [name="host"]', "127.0.0.1")
        page.fill('#device-form [name="community"]', "other")
        page.click('#device-form button[type="submit"]')
        page.wait_for_selector("#form-error:has-text('already exists')")
        assert json.loads((site.machines_dir / "core-sw-01.json").read_text())["snmp"]["community"] != "other"
        page.locator('#devices tr[data-machine="new-router"] button.remove').click()
        page.wait_for_selector("text=Device new-router removed.")
        page.wait_for_selector('#devices tr[data-machine="new-router"]', state="detached")
        assert not (site.machines_dir / "new-router.json").exists()
        assert [e for e in wp.errors if "409 (Conflict)" not in e] == []
        wp.close()


def test_operator_is_offered_no_device_changes(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/devices.html", '#devices tr[data-machine="core-sw-01"]')
        wp.page.wait_for_selector("#whoami:not([hidden])")
        wp.page.wait_for_timeout(300)
        assert wp.page.locator("#add-device").is_hidden()
        assert wp.page.locator("#devices button.remove").count() == 0
        wp.close()


def test_hostile_text_is_shown_as_text_and_runs_nothing(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/alerts.html?q=__xss", "#alerts tbody tr[data-id]")
        messages = {r["cells"][3] for r in wait_rows(wp.page, lambda rows: len(rows) == 2)}
        assert messages == set(XSS_MESSAGES)
        wp.page.goto(site.url + "/machines/core-sw-01.html")
        show_graph(wp.page, "if-eth0")
        assert ALIAS in wp.page.text_content("#interfaces tbody tr:first-child .alias")
        assert all(m in wp.page.text_content("#alert-log") for m in XSS_MESSAGES)
        wp.page.hover("#interfaces tbody tr:first-child .alias")
        assert wp.page.evaluate("window.__xss") is None
        assert wp.page.locator("#interfaces img, #alert-log img, #alert-log script").count() == 0
        wp.close()


def test_logout_ends_the_session(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/index.html", "#logout:not([hidden])")
        wp.page.click("#logout")
        wp.page.wait_for_url(re.compile(r"/login"))
        assert context.request.get(site.url + "/api/me").status == 401
        wp.close()


@pytest.mark.parametrize("zone, suffix", [("Asia/Tokyo", "+09:00"), ("America/St_Johns", "-03:30"), ("UTC", "UTC")])
def test_times_are_shown_in_the_viewers_zone_and_say_which(chromium, site, zone, suffix):
    with new_context(chromium, timezone_id=zone) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/machines/core-sw-01.html", "#alert-log time[data-local]")
        iso = wp.page.get_attribute("#alert-log time", "datetime")
        shown = wp.page.text_content("#alert-log time")
        local = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
        if zone == "America/St_Johns" and local.utcoffset() != timedelta(hours=-3, minutes=-30):
            suffix = "-02:30"   # summer time
        assert shown == local.strftime("%Y-%m-%d %H:%M:%S") + " " + suffix
        assert zone in wp.page.get_attribute("#alert-log time", "title")
        wp.close()


def test_phone_sized_screen_needs_no_sideways_scrolling(chromium, site):
    with new_context(chromium, width=390, height=844, is_mobile=True, has_touch=True) as context:
        login(context, site, site.operator)
        for path, ready in (("/", "#machines"), ("/alerts.html", "#alerts tbody tr[data-id]"),
                            ("/machines/core-sw-01.html", "#graph-specs"), ("/devices.html", "#devices"),
                            ("/silences.html", "#silence-form:not([hidden])")):
            wp = open_page(context, site.url + path, ready)
            if "machines" in path:
                show_graph(wp.page, "if-eth0")
            overflow = wp.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
            assert wp.errors == []
            wp.close()


def test_plain_static_server_shows_everything_but_the_live_parts(chromium, site):
    with static_server(site.www_dir) as url, new_context(chromium) as context:
        for path, ready in (("/index.html", "#machines"), ("/machines/core-sw-01.html", "#graph-specs"),
                            ("/alerts.html?view=all", "#alerts tbody tr[data-id]"), ("/devices.html", "#devices"),
                            ("/silences.html", "#silences")):
            wp = open_page(context, url + path, ready)
            if "machines" in path:
                show_graph(wp.page, "oid-load")
            wp.wait_for_quiet()
            # the only failures are the API's answers (who is logged in, the device's messages),
            # which a static server does not have
            assert all("/api/me" in e or "/api/machine/" in e for e in wp.errors), wp.errors
            if path == "/alerts.html?view=all":
                assert wp.page.get_attribute("body", "data-mode") == "snapshot"
                assert "cannot be reached" in wp.page.text_content("#live-notice")
                assert wp.page.locator("#alerts button.ack").count() == 0 and wp.page.locator("#bulk-ack").is_hidden()
                wp.page.check('input[name="severity"][value="CRITICAL"]')
                wait_rows(wp.page, lambda rows: all(r["cells"][1] == "CRITICAL" for r in rows))
                assert wp.page.evaluate("window.__xss") is None
                # sorted by gravity with the rank the builder wrote into the page
                wp.page.uncheck('input[name="severity"][value="CRITICAL"]')
                for first in ("CRITICAL", "INFO"):  # -severity (most severe first), then severity
                    wp.page.click('button.sort[data-field="severity"]')
                    wait_rows(wp.page, lambda rows: rows[0]["cells"][1] == first and [r["cells"][1] for r in rows] == sorted(
                        (r["cells"][1] for r in rows), key=SEVERITY_RANK.get, reverse=first == "CRITICAL"))
            if path == "/silences.html":
                assert wp.page.locator("#silence-form").is_hidden()
            if path == "/devices.html":
                assert wp.page.locator("#add-device").is_hidden()
                assert wp.page.locator('#devices tr.config-error[data-machine="broken"]').count() == 1
            if path == "/index.html":
                assert wp.page.locator("#login-link").is_hidden() and wp.page.locator("#logout").is_hidden()
            wp.close()


def test_open_dashboard_reloads_itself_after_a_new_build(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/index.html?refresh=1", '#machines tr[data-machine="edge-rt-02"] .state-up')
        wp.page.wait_for_timeout(1500)  # the page takes its first look at the build
        sd.write_samples(site.samples_dir, sd.make_samples("edge-rt-02", NOW, interfaces=3, day_rows=240, seed=1,
                                                           state="down", oids={"load": "load"}, aliases={1: ALIAS}))
        site.rebuild()
        wp.page.wait_for_selector('#machines tr[data-machine="edge-rt-02"] .state-down', timeout=15_000)
        assert wp.errors == []
        wp.close()
