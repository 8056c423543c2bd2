"""The alerts console, the alert detail with its history, the silences page and the
dashboard's counts, in headless Chromium against the real API, by role."""

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment):
    return moment.isoformat()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("console")
    server = start_api(root)
    try:
        sd.write_machine(server.machines_dir, "edge-rt-02")
        server.other = server.add_user("other-op", "operator")
        server.rebuild = lambda: build(server.machines_dir, root / "samples", server.db_path, server.www_dir)
        server.rebuild()  # the pages; what they show comes live from the API
        yield server
    finally:
        server.stop()


def post(site, role="operator", **fields):
    alert = {"timestamp": iso(NOW - timedelta(minutes=fields.pop("ago", 10))), "server": "edge-rt-02",
             "severity": "CRITICAL", "message": "Machine is not answering SNMP", "provider": "NetOps",
             "application": "core-network", "environment": "prod"}
    alert.update(fields)
    answer = requests.post(site.url + "/api/alert", json=alert, headers=getattr(site, role).headers, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def api(site, method, path, role="admin", **kw):
    return requests.request(method, site.url + path, headers=getattr(site, role).headers, timeout=10, **kw)


def row_ids(page):
    return [int(i) for i in page.eval_on_selector_all("#alerts tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)")]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition never met")


def history_kinds(page):
    return page.eval_on_selector_all("#history li", "items => items.map(i => i.dataset.kind)")


def test_the_console_opens_on_what_needs_attention_and_a_viewer_reads_but_cannot_act(chromium, site):
    open_id = post(site, server="view-01", message="Disk full on /var")["id"]
    acked_id = post(site, server="view-01", message="Load high", severity="WARNING")["id"]
    api(site, "POST", f"/api/alert/{acked_id}/ack", "operator")
    muted_id = post(site, server="view-02", message="Replication lag", severity="ERROR")["id"]
    api(site, "POST", "/api/silence", "operator", json={"matchers": {"server": "view-02"}, "comment": "disk swap",
                                                         "ends_at": iso(NOW + timedelta(hours=1))})
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/alerts.html?q=", "#alerts tbody tr[data-id]")
        page = wp.page
        expected = [a["id"] for a in api(site, "GET", "/api/alert", "viewer", params={
            "status": "open", "silenced": "false", "limit": 50}).json()["results"]]
        wait_for(lambda: row_ids(page) == expected)
        assert open_id in expected and acked_id not in expected and muted_id not in expected
        assert page.locator("#alerts button.ack").count() == 0 and page.locator("#bulk-ack").is_hidden()
        page.select_option('select[name="view"]', "silenced")
        wait_for(lambda: row_ids(page) == [muted_id])
        assert "silenced" in page.text_content(f'#alerts tr[data-id="{muted_id}"] td.message')
        assert "view=silenced" in page.url
        page.locator(f'#alerts tr[data-id="{muted_id}"] button.open-detail').click()
        page.wait_for_selector("#history li")
        assert history_kinds(page) == ["created", "silenced"]
        assert page.locator("#detail .actions").is_hidden()
        assert "disk swap" in page.text_content("#history")
        assert wp.errors == []
        wp.close()
        wp = open_page(context, site.url + "/silences.html", "#silences tbody tr[data-id]")
        assert wp.page.locator("#silence-form").is_hidden()
        assert wp.page.locator("#silences button").count() == 0
        assert "1 / 1" in wp.page.text_content("#silences tbody")
        wp.close()


def test_an_operator_acknowledges_for_15_minutes_notes_shelves_and_resolves_from_the_detail(chromium, site):
    alert_id = post(site, server="ops-01", fingerprint="snmp:reachability:ops-01")["id"]
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/alerts.html?server=ops-01", f'#alerts tr[data-id="{alert_id}"]')
        page = wp.page
        page.locator(f'#alerts tr[data-id="{alert_id}"] button.open-detail').click()
        page.wait_for_selector("#detail-ack:not([hidden])")
        page.select_option("#ack-for", "15")
        page.click("#detail-ack")
        page.wait_for_selector("text=Acknowledged for 15 min.")
        alert = api(site, "GET", f"/api/alert/{alert_id}").json()
        assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "operator"
        until = datetime.fromisoformat(alert["ack_until"])
        assert timedelta(minutes=14) < until - datetime.now(timezone.utc) <= timedelta(minutes=15)
        page.fill("#note-form textarea", "rebooting it <b>now</b>")
        page.click("#note-form button[type=submit]")
        page.wait_for_selector("#history li[data-kind=note]")
        assert "rebooting it <b>now</b>" in page.text_content("#history")  # as text
        page.select_option("#shelve-for", "60")
        page.click("#detail-shelve")
        page.wait_for_selector("#detail-unshelve:not([hidden])")
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["status"] == "shelved"
        page.click("#detail-resolve")
        page.wait_for_selector("text=Resolved.")
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["resolved_by"] == "operator"
        wait_for(lambda: history_kinds(page) == ["created", "acknowledged", "note", "shelved", "resolved"])
        assert page.is_hidden("#detail-ack") and page.is_hidden("#detail-resolve")
        assert wp.errors == []
        wp.close()


def test_a_note_typed_in_the_detail_goes_with_the_action_and_its_end_reads_in_local_time(chromium, site):
    alert_id = post(site, server="note-01", fingerprint="snmp:reachability:note-01")["id"]
    with new_context(chromium, timezone_id="Asia/Tokyo") as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/alerts.html?server=note-01", f'#alerts tr[data-id="{alert_id}"]')
        page = wp.page
        page.locator(f'#alerts tr[data-id="{alert_id}"] button.open-detail').click()
        page.wait_for_selector("#detail-ack:not([hidden])")
        page.fill("#note-form textarea", "rebooting the switch")
        page.select_option("#ack-for", "15")
        page.click("#detail-ack")
        page.wait_for_selector("#history li[data-kind=acknowledged]")
        history = api(site, "GET", f"/api/alert/{alert_id}/history").json()["results"]
        assert history[-1]["kind"] == "acknowledged" and history[-1]["note"].endswith(": rebooting the switch")
        assert page.input_value("#note-form textarea") == "", "the note went with the action"
        until = api(site, "GET", f"/api/alert/{alert_id}").json()["ack_until"]
        local = datetime.fromisoformat(until).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S")
        line = page.text_content("#history li[data-kind=acknowledged]")
        assert f"until {local} +09:00: rebooting the switch" in line
        assert until not in line and "+00:00" not in line
        page.fill("#note-form textarea", "replaced the PSU")
        page.click("#detail-resolve")
        page.wait_for_selector("#history li[data-kind=resolved]")
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["resolution"] == "resolved by hand: replaced the PSU"
        assert history_kinds(page) == ["created", "acknowledged", "resolved"], "no separate note entry"
        assert wp.errors == []
        wp.close()


def test_a_silence_made_from_an_alert_matches_its_message_and_shows_what_it_will_match(chromium, site):
    """Not every alert of that severity on the host: the alert's message is a matcher too,
    and the page shows what the silence would match before it is saved."""
    alert_id = post(site, server="maint-07", message="Fan 2 failed", severity="WARNING")["id"]
    post(site, server="maint-07", message="Temperature above 45 C", severity="WARNING")
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/alerts.html?server=maint-07", f'#alerts tr[data-id="{alert_id}"]')
        page = wp.page
        page.locator(f'#alerts tr[data-id="{alert_id}"] button.open-detail').click()
        page.click('#detail-silence[href*="server=maint-07"]')
        page.wait_for_selector('body[data-page="silences"][data-mode="live"] #silence-form:not([hidden])')
        assert page.input_value('#silence-form [name="message"]') == "Fan 2 failed"
        page.wait_for_selector("#silence-preview:has-text('It would silence 1 alert not resolved now')")
        preview = page.text_content("#silence-preview")
        assert "WARNING maint-07: Fan 2 failed" in preview and "Temperature" not in preview
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["silenced"] is False, "nothing made yet"
        assert wp.errors == []
        wp.close()


def test_an_operator_makes_a_silence_from_an_alert_and_ends_it_early(chromium, site):
    alert_id = post(site, server="maint-01", message="Service restarted", severity="ERROR")["id"]
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/alerts.html?server=maint-01", f'#alerts tr[data-id="{alert_id}"]')
        page = wp.page
        page.locator(f'#alerts tr[data-id="{alert_id}"] button.open-detail').click()
        # the link gets the alert's fields once the detail has loaded
        page.click('#detail-silence[href*="server=maint-01"]')
        page.wait_for_selector('body[data-page="silences"][data-mode="live"] #silence-form:not([hidden])')
        assert page.input_value('#silence-form [name="server"]') == "maint-01"
        assert page.is_checked('#silence-form input[name="severity"][value="ERROR"]')
        page.fill('#silence-form [name="comment"]', "kernel update")
        page.select_option('#silence-form [name="duration"]', "120")
        # before it is made, the page shows what it would silence (a dry run)
        page.wait_for_selector("#silence-preview:has-text('It would silence 1 alert not resolved now')")
        assert "ERROR maint-01: Service restarted" in page.text_content("#silence-preview")
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["silenced"] is False
        page.fill('#silence-form [name="server"]', "*")
        page.uncheck('#silence-form input[name="severity"][value="ERROR"]')
        page.fill('#silence-form [name="message"]', "")
        page.fill('#silence-form [name="environment"]', "")
        page.fill('#silence-form [name="application"]', "")
        page.fill('#silence-form [name="provider"]', "")
        page.wait_for_selector("#silence-preview:has-text('Only an admin may make it: it matches every alert')")
        page.fill('#silence-form [name="server"]', "maint-01")
        page.check('#silence-form input[name="severity"][value="ERROR"]')
        page.fill('#silence-form [name="environment"]', "prod")
        page.fill('#silence-form [name="application"]', "core-network")
        page.fill('#silence-form [name="message"]', "Service restarted")
        page.click('#silence-form button[type="submit"]')
        page.wait_for_selector("text=/Silence \\d+ made: it matches 1 alert/")
        silenced = api(site, "GET", f"/api/alert/{alert_id}").json()
        assert silenced["silenced"] is True and silenced["status"] == "open"
        silence = api(site, "GET", f"/api/silence/{silenced['silence_id']}").json()
        assert silence["matchers"] == {"server": "maint-01", "severity": ["ERROR"], "environment": "prod",
                                       "application": "core-network", "message": "Service restarted"}
        assert silence["comment"] == "kernel update" and silence["created_by"] == "operator"
        assert timedelta(minutes=119) < (datetime.fromisoformat(silence["ends_at"]) -
                                         datetime.now(timezone.utc)) <= timedelta(minutes=120)
        page.locator(f'#silence-{silence["id"]} button.end').click()
        page.wait_for_selector(f"text=Silence {silence['id']} ended.")
        assert api(site, "GET", f"/api/alert/{alert_id}").json()["silenced"] is False
        assert wp.errors == []
        wp.close()


def test_a_weekly_window_from_the_form_and_a_bad_one_named_in_the_page(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.admin)  # a weekly window without an end needs an admin
        wp = open_page(context, site.url + "/silences.html", "#silence-form:not([hidden])")
        page = wp.page
        page.fill('#silence-form [name="environment"]', "preprod")
        page.check('#silence-form input[name="kind"][value="weekly"]')
        page.check('#silence-form input[name="days"][value="sun"]')
        page.fill('#silence-form [name="timezone"]', "Europe/Atlantis")
        page.fill('#silence-form [name="comment"]', "weekly rebuild")
        page.click('#silence-form button[type="submit"]')
        page.wait_for_selector("#silence-error:text('unknown time zone')")
        assert "schedule.timezone" in page.text_content("#silence-error")
        page.fill('#silence-form [name="timezone"]', "Europe/Paris")
        page.click('#silence-form button[type="submit"]')
        page.wait_for_selector("text=/Silence \\d+ made/")
        made = [s for s in api(site, "GET", "/api/silence", "viewer").json()["results"] if s["comment"] == "weekly rebuild"]
        assert made and made[0]["schedule"] == {"days": ["sun"], "start": "02:00", "end": "04:00",
                                                "timezone": "Europe/Paris"}
        assert "every sun 02:00–04:00 (Europe/Paris)" in page.text_content(f'#silence-{made[0]["id"]}')
        assert wp.errors == [] or all("400" in e for e in wp.errors)
        wp.close()


def test_only_the_author_or_an_admin_is_offered_to_end_or_delete_a_silence(chromium, site):
    mine = api(site, "POST", "/api/silence", "other", json={"matchers": {"server": "lab-*"}, "comment": "lab move",
                                                           "ends_at": iso(NOW + timedelta(hours=3))}).json()
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = open_page(context, site.url + "/silences.html", f'#silence-{mine["id"]}')
        assert wp.page.locator(f'#silence-{mine["id"]} button').count() == 0  # another operator's
        wp.close()
    with new_context(chromium) as context:
        login(context, site, site.admin)
        wp = open_page(context, site.url + "/silences.html", f'#silence-{mine["id"]} button.delete')
        wp.page.locator(f'#silence-{mine["id"]} button.delete').click()
        wp.page.wait_for_selector(f"text=Silence {mine['id']} deleted.")
        assert wp.dialogs and "Delete silence" in wp.dialogs[-1]
        assert api(site, "GET", f"/api/silence/{mine['id']}").status_code == 404
        wp.page.wait_for_selector(f'#silence-{mine["id"]}', state="detached")  # the list is read again after
        wp.close()


def test_the_dashboard_counts_what_needs_a_person(chromium, site):
    post(site, server="dash-01", message="Fan failure")
    site.rebuild()
    stats = api(site, "GET", "/api/stats", "viewer").json()
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = open_page(context, site.url + "/", "#needs-attention")
        assert wp.page.text_content("#needs-attention .count") == str(stats["needs_attention"])
        assert wp.page.text_content('[data-severity="CRITICAL"] .count') == \
            str(stats["needs_attention_by_severity"]["CRITICAL"])
        assert wp.page.text_content("#count-silenced .count") == str(stats["silenced"])
        wp.page.click("#needs-attention")
        wp.page.wait_for_selector("#alerts tbody tr[data-id]")
        assert wp.page.text_content("#result-count").startswith(f"{stats['needs_attention']} alert")
        assert wp.errors == []
        wp.close()
