"""The Reports page in real headless Chromium, served by the real API (gunicorn) over
state histories written by the collector's store at chosen times: least available
first, the periods, maintenance left out, the CSV export, a phone's width, and a
plain web server without the API."""

import csv
import io
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page, static_server
from tests.support.site_data import write_machine
from vigie import db, samples, silences
from vigie.samples import states

pytestmark = pytest.mark.slow

DAY = 86400
NOW = int(time.time())
OUTAGE = (NOW - 2 * DAY, NOW - 2 * DAY + 600)      # ten minutes, two days ago
PORT_DOWN = (NOW - DAY, NOW - DAY + 300)
LATE = NOW - 3 * DAY + 1800          # when late-1 was added: the last 7 days lack 4 d of it (and the test's minutes)


def write_history(samples_dir, machine, lines):
    """The machine's state history as the collector's store writes it, polled just now
    (every hour, so the history still reaches now when the tests run minutes later)."""
    store = samples.SamplesStore(samples_dir)
    record = store.load(machine, 3600)
    record.states = lines
    store.save(record, now_ts=NOW)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    samples_dir = root / "samples"
    server = start_api(root, settings={"samples": str(samples_dir)})
    try:
        for name in ("edge-1", "core-1", "late-1"):
            write_machine(server.machines_dir, name, tags={"provider": "Acme"})
        write_history(samples_dir, "edge-1", [
            states.mark(NOW - 40 * DAY, "up"), states.mark(NOW - 40 * DAY, "up", "ge-0/0/1"),
            states.mark(NOW - 40 * DAY, "up", "ge-0/0/2"), states.mark(OUTAGE[0], "down"),
            states.mark(OUTAGE[1], "up"), states.mark(PORT_DOWN[0], "down", "ge-0/0/1"),
            states.mark(PORT_DOWN[1], "up", "ge-0/0/1")])
        write_history(samples_dir, "core-1", [states.mark(NOW - 40 * DAY, "up")])
        write_history(samples_dir, "late-1", [states.mark(LATE, "up")])
        build(server.machines_dir, samples_dir, server.db_path, server.www_dir)
        yield server
    finally:
        server.stop()


def reported(wp, count=1):
    """Wait until the page has shown its `count`th report."""
    wp.page.wait_for_selector(f'body[data-reported="{count}"]')


def machine_rows(page):
    return page.eval_on_selector_all("#report-machines tbody tr", "rows => rows.map(r => ({name: r.dataset.machine,"
                                     " cells: Array.from(r.cells).map(c => c.textContent)}))")


def test_the_least_available_machine_comes_first_with_its_outage(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/reports.html", "#report-form")
        reported(wp)
        rows = machine_rows(wp.page)
        assert [r["name"] for r in rows] == ["edge-1", "core-1", "late-1"]
        edge, _, late = rows
        assert edge["cells"][1:4] == ["99.90 %", "10 min", "1"]
        assert late["cells"][1] == "100.00 %" and late["cells"][5] == "4 d"   # no data before it was added
        outages = wp.page.eval_on_selector_all("#report-outages tbody tr", "rows => rows.map(r => "
                                               "Array.from(r.cells).map(c => c.textContent))")
        assert [(o[0], o[1], o[4]) for o in outages] == [("edge-1", "ge-0/0/1", "5 min"), ("edge-1", "", "10 min")]
        started = wp.page.get_attribute("#report-outages tbody tr:nth-child(2) time", "datetime")
        assert datetime.fromisoformat(started).timestamp() == OUTAGE[0]
        ports = wp.page.eval_on_selector_all("#report-interfaces tbody tr", "rows => rows.map(r => r.cells[1].textContent)")
        assert ports == ["ge-0/0/1"]
        assert "1 of the 2 interfaces" in wp.page.text_content("#report-interfaces-note")
        assert wp.page.get_attribute('header nav a[href="reports.html"]', "aria-current") == "page"
        assert wp.errors == []


def test_periods_change_the_report_and_stay_in_the_address(chromium, site):
    with new_context(chromium, timezone_id="Europe/Paris") as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/reports.html", "#report-form")
        reported(wp)
        wp.page.select_option("select[name=period]", "30d")
        reported(wp, 2)
        assert "period=30d" in wp.page.url
        assert machine_rows(wp.page)[2]["cells"][5] == "27 d"         # late-1: 30 days, 3 measured
        wp.page.select_option("select[name=period]", "last-month")
        reported(wp, 3)
        here = datetime.now(ZoneInfo("Europe/Paris"))
        first = (here.replace(day=1) - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        shown = wp.page.get_attribute("#report-period time", "datetime")
        assert datetime.fromisoformat(shown) == first
        wp.page.select_option("select[name=period]", "custom")
        day = datetime.fromtimestamp(OUTAGE[0], ZoneInfo("Europe/Paris")).date()
        wp.page.fill("input[name=from]", (day - timedelta(days=1)).isoformat())
        wp.page.fill("input[name=to]", (day + timedelta(days=1)).isoformat())
        wp.page.click("#report-form button[type=submit]")
        reported(wp, 4)
        edge = machine_rows(wp.page)[0]
        assert edge["name"] == "edge-1" and edge["cells"][1] == "99.76 %"     # 600 s of three days
        wp.page.reload()
        reported(wp, 1)                                                        # the address keeps the period
        assert wp.page.input_value("select[name=period]") == "custom"
        assert machine_rows(wp.page)[0]["cells"][1] == "99.76 %"
        wp.page.fill("input[name=to]", (day - timedelta(days=3)).isoformat())
        wp.page.click("#report-form button[type=submit]")
        assert wp.page.text_content("#report-message") == "The first day must not be after the last."
        assert wp.errors == []


def test_leaving_maintenance_out_makes_the_silenced_outage_count_for_nothing(chromium, site):
    conn = db.connect(site.db_path)
    start = datetime.fromtimestamp(OUTAGE[0], timezone.utc)
    made = silences.normalize_silence({"matchers": {"server": "edge-1"}, "starts_at": start.isoformat(),
                                       "ends_at": (start + timedelta(minutes=10)).isoformat(),
                                       "comment": "router swap"}, start)
    silence_id = db.silences.create(conn, made, "admin", start)
    try:
        with new_context(chromium) as context:
            login(context, site, site.viewer)
            wp = open_page(context, site.url + "/reports.html", "#report-form")
            reported(wp)
            edge = machine_rows(wp.page)[0]
            assert edge["cells"][1] == "99.90 %" and edge["cells"][4] == "10 min"   # shown apart, counted
            wp.page.check("input[name=exclude_maintenance]")
            reported(wp, 2)
            rows = {r["name"]: r["cells"] for r in machine_rows(wp.page)}
            assert rows["edge-1"][1] == "100.00 %"
            assert "exclude=1" in wp.page.url
            assert wp.errors == []
    finally:
        db.delete_silence(conn, silence_id, "admin", datetime.now(timezone.utc))
        conn.close()


def test_the_csv_export_downloads_every_machine_and_interface(chromium, site):
    with new_context(chromium, accept_downloads=True) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/reports.html", "#report-form")
        reported(wp)
        with wp.page.expect_download() as download:
            wp.page.click("#report-csv")
        assert download.value.suggested_filename == "vigie-availability.csv"
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        assert [(r["machine"], r["interface"]) for r in rows] == [
            ("edge-1", ""), ("edge-1", "ge-0/0/1"), ("edge-1", "ge-0/0/2"), ("core-1", ""), ("late-1", "")]
        assert rows[0]["down_seconds"] == "600" and float(rows[0]["availability_percent"]) < 100
        with wp.page.expect_download() as download:
            wp.page.click("#report-outages-csv")
        assert download.value.suggested_filename == "vigie-outages.csv"
        assert wp.errors == []


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_a_phone_needs_no_sideways_scrolling(chromium, site, role):
    with new_context(chromium, width=390, height=844, is_mobile=True, has_touch=True) as context:
        login(context, site, getattr(site, role))
        wp = open_page(context, site.url + "/reports.html", "#report-form")
        reported(wp)
        wp.page.select_option("select[name=period]", "custom")
        overflow = wp.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
        assert wp.errors == []


def test_without_the_api_the_page_says_where_reports_come_from(chromium, site):
    with static_server(site.www_dir) as url, new_context(chromium) as context:
        wp = open_page(context, url + "/reports.html", "#report-form")
        deadline = time.monotonic() + 15
        while not wp.page.text_content("#report-message") and time.monotonic() < deadline:
            time.sleep(0.1)     # the pages' CSP forbids wait_for_function's eval
        assert wp.page.text_content("#report-message") == "Reports come from the API, which does not answer here."
        assert wp.page.is_hidden("#report")


def test_a_team_member_gets_the_page_with_only_the_machines_in_scope(chromium, site):
    import requests
    member = site.add_user("edge-member", "viewer")
    answer = requests.post(site.url + "/api/team", headers=site.admin.headers, timeout=10, json={
        "name": "edge-team", "scope": {"server": ["edge-*"]}, "members": ["edge-member"]})
    assert answer.status_code == 201, answer.text
    with new_context(chromium) as context:
        login(context, site, member)
        wp = open_page(context, site.url + "/reports.html", "body")
        assert wp.page.locator("#report-form").count() == 1, wp.page.content()[:300]
        reported(wp)
        assert [r["name"] for r in machine_rows(wp.page)] == ["edge-1"]
        assert wp.errors == []
