"""Bulk actions in the alerts console, in headless Chromium against the real API: an
operator ticks rows (or the whole page) and acknowledges, shelves or resolves them with
one note; what is refused stays selected and is said; a team member's page holds only
its scope, so the selection never reaches another team's alert; a viewer has no boxes."""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page, text_when

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulk")
    server = start_api(root)
    try:
        server.member = server.add_user("acme-op", "operator")
        answer = requests.post(server.url + "/api/team", headers=server.admin.headers, timeout=10,
                               json={"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["acme-op"]})
        assert answer.status_code == 201, answer.text
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir)
        yield server
    finally:
        server.stop()


def post(site, server, message, provider="NetOps"):
    alert = {"timestamp": (NOW - timedelta(minutes=5)).isoformat(), "server": server, "severity": "CRITICAL",
             "message": message, "provider": provider, "application": "core", "environment": "prod"}
    answer = requests.post(site.url + "/api/alert", json=alert, headers=site.admin.headers, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def get(site, path):
    answer = requests.get(site.url + path, headers=site.admin.headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def history(site, alert_id):
    return [(e["kind"], e["actor"], e["note"]) for e in get(site, f"/api/alert/{alert_id}/history")["results"]]


def ticked(page):
    return sorted(int(v) for v in page.eval_on_selector_all("#alerts tbody input.select:checked", "b => b.map(x => x.value)"))


def said(page, start):
    return text_when(page, "#action-message", start)


def console(context, site, server):
    return open_page(context, f"{site.url}/alerts.html?server={server}", "#alerts tbody tr[data-id]")


def test_an_operator_acknowledges_then_shelves_then_resolves_a_selection_with_one_note(chromium, site):
    ids = [post(site, "bulk-01", f"Port {n} down") for n in range(3)]
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = console(context, site, "bulk-01")
        page = wp.page
        page.wait_for_selector("#alerts input.select")
        assert page.is_hidden("#bulk-bar")
        page.check("#select-page")
        assert ticked(page) == ids and page.text_content("#bulk-count") == "3 selected"
        page.uncheck(f'#alerts input.select[value="{ids[2]}"]')
        assert page.evaluate("document.getElementById('select-page').indeterminate") is True
        page.fill('#bulk-bar [name="note"]', "fibre cut, carrier ticket 4711")
        page.select_option('#bulk-bar [name="ack_for"]', "60")
        page.click("#bulk-selected-ack")
        assert said(page, "2 alerts") == "2 alerts acknowledged."
        for alert_id in ids[:2]:
            alert = get(site, f"/api/alert/{alert_id}")
            assert alert["acknowledged_by"] == "operator" and alert["ack_until"] is not None
            kind, actor, note = history(site, alert_id)[-1]
            assert (kind, actor) == ("acknowledged", "operator") and note.endswith(": fibre cut, carrier ticket 4711")
        assert get(site, f"/api/alert/{ids[2]}")["status"] == "open", "not selected: untouched"
        assert page.input_value('#bulk-bar [name="note"]') == "", "the note went with the action"

        page.goto(f"{site.url}/alerts.html?server=bulk-01&view=all")
        page.wait_for_selector("#alerts input.select")
        page.check(f'#alerts input.select[value="{ids[2]}"]')
        page.fill('#bulk-bar [name="note"]', "known flapping port")
        page.click("#bulk-selected-shelve")
        assert said(page, "1 alert") == "1 alert shelved."
        assert get(site, f"/api/alert/{ids[2]}")["status"] == "shelved"
        kind, actor, note = history(site, ids[2])[-1]
        assert (kind, actor) == ("shelved", "operator") and note.endswith("known flapping port")

        page.check("#select-page")   # the three, one of them resolved meanwhile by someone else
        requests.post(f"{site.url}/api/alert/{ids[0]}/resolve", headers=site.admin.headers, timeout=10)
        page.click("#bulk-selected-shelve")
        text = said(page, "2 alerts shelved.")
        assert f"Not done: #{ids[0]}: the alert is resolved: there is nothing to shelve" in text
        assert ticked(page) == [ids[0]], "what was refused stays selected"
        assert [get(site, f"/api/alert/{i}")["status"] for i in ids] == ["resolved", "shelved", "shelved"]

        page.check("#select-page")
        page.click("#bulk-selected-resolve")
        assert said(page, "3 alerts") == "3 alerts resolved."
        assert wp.dialogs == ["Resolve the 3 selected alerts?"]
        assert [get(site, f"/api/alert/{i}")["status"] for i in ids] == ["resolved"] * 3
        assert ticked(page) == [] and page.is_hidden("#bulk-bar")
        assert [e for e in wp.errors if "409 (Conflict)" not in e] == []   # the refused shelve, said above


def test_the_selection_is_the_page_a_member_sees_and_a_viewer_has_no_boxes(chromium, site):
    mine = [post(site, "bulk-02", "Fan failure", provider="Acme"), post(site, "bulk-02", "PSU failure", provider="Acme")]
    theirs = post(site, "bulk-02", "Fan failure in Globex rack", provider="Globex")
    with new_context(chromium) as context:
        login(context, site, site.member)
        wp = console(context, site, "bulk-02")
        page = wp.page
        page.wait_for_selector("#alerts input.select")
        page.check("#select-page")
        assert ticked(page) == mine
        page.click("#bulk-selected-ack")
        assert said(page, "2 alerts") == "2 alerts acknowledged."
        assert [get(site, f"/api/alert/{i}")["acknowledged_by"] for i in mine] == ["acme-op", "acme-op"]
        assert get(site, f"/api/alert/{theirs}")["status"] == "open"
        assert [k for k, _, _ in history(site, theirs)] == ["created"]
        assert wp.errors == []
    with new_context(chromium) as context:
        login(context, site, site.viewer)
        wp = console(context, site, "bulk-02")
        page = wp.page
        page.wait_for_selector('body[data-mode="live"]', state="attached")
        page.wait_for_selector(f'#alerts tr[data-id="{theirs}"]')
        assert page.query_selector_all("#alerts tbody input.select") == []
        assert page.is_hidden("#select-page") and page.is_hidden("#bulk-bar")
        assert wp.errors == []
