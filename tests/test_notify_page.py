"""The notifications page in headless Chromium, served by the real API: an admin adds a
channel pointed at a real receiver, sends a test that the notifier delivers, adds a rule
and a team; the channel's URL never comes back to the page; a viewer gets nothing."""

import threading
import time

import pytest

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context
from tests.support.receivers import Receiver
from vigie.notify.daemon import Notifier, Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("notify-site")
    server = start_api(root)
    hook = Receiver().start()
    stop = threading.Event()
    notifier = threading.Thread(target=Notifier(server.db_path, Settings(heartbeat_dir=None)).run,
                                args=(stop, 0.1), daemon=True)
    notifier.start()
    try:
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir)
        server.hook = hook
        yield server
    finally:
        stop.set()
        notifier.join(10)
        hook.stop()
        server.stop()


def open_as(chromium_context, site, user, ready):
    answer = chromium_context.request.post(site.url + "/api/login",
                                           data={"username": user.username, "password": user.password})
    assert answer.status == 200
    wp = WatchedPage(chromium_context)
    wp.page.goto(site.url + "/notify.html")
    wp.page.wait_for_selector(ready, state="attached")
    return wp


def test_admin_adds_a_channel_sends_a_test_and_adds_a_rule_and_a_team(chromium, site):
    secret = f"json://hookuser:Pw-S3cret@127.0.0.1:{site.hook.port}/vigie-hook"
    with new_context(chromium) as context:
        wp = open_as(context, site, site.admin, "#channels-section:not([hidden])")
        page = wp.page
        page.fill('#channel-form [name="name"]', "ops")
        page.fill('#channel-form [name="url"]', "nosuchscheme://x")
        page.click('#channel-form button[type="submit"]')
        page.wait_for_selector("#channel-error:has-text('url')")
        page.fill('#channel-form [name="url"]', secret)
        page.click('#channel-form button[type="submit"]')
        page.wait_for_selector('#channels tr[data-channel="ops"]')
        assert "JSON" in page.text_content('#channels tr[data-channel="ops"]')
        assert "Pw-S3cret" not in page.content()
        before = len(site.hook.received())
        page.locator('#channels tr[data-channel="ops"] button.test').click()
        page.wait_for_selector("#notify-message:has-text('Test delivered through ops')", timeout=20000)
        arrival = site.hook.wait_for(before + 1)[before]
        assert arrival.path == "/vigie-hook" and arrival.json()["title"] == "[INFO] Vigie: test of channel ops"

        page.fill('#rule-form [name="name"]', "network")
        page.select_option('#rule-form [name="min_severity"]', "ERROR")
        page.fill('#rule-form [name="server"]', "edge-*, core-*")
        page.click('#rule-form button[type="submit"]')          # no channel picked
        page.wait_for_selector("#rule-error:has-text('channel')")
        page.check('#rule-form input[name="channels1"][value="ops"]')
        page.fill('#rule-form [name="after2"]', "15")
        page.check('#rule-form input[name="channels2"][value="ops"]')
        page.click('#rule-form button[type="submit"]')
        row = page.wait_for_selector('#rules tr[data-rule="network"]')
        assert "ERROR and worse" in row.text_content() and "after 15 min: ops" in row.text_content()

        page.fill('#team-form [name="name"]', "acme")
        page.fill('#team-form [name="provider"]', "Acme")
        page.fill('#team-form [name="members"]', "viewer")
        page.click('#team-form button[type="submit"]')
        row = page.wait_for_selector('#teams tr[data-team="acme"]')
        assert "provider Acme" in row.text_content() and "viewer" in row.text_content()
        assert [e for e in wp.errors if "400 (Bad Request)" not in e] == []
        wp.close()


def test_admin_edits_a_rule_and_a_channel_with_channels_picked_from_the_existing_ones(chromium, site):
    import requests

    admin = site.admin.headers
    for name in ("mail-e", "pager-e"):
        requests.post(site.url + "/api/notify/channel", headers=admin, timeout=10,
                      json={"name": name, "url": "json://127.0.0.1:9/" + name}).raise_for_status()
    requests.post(site.url + "/api/notify/rule", headers=admin, timeout=10, json={
        "name": "db-e", "match": {"server": ["db-*"]}, "steps": [{"channels": ["mail-e"]}]}).raise_for_status()
    with new_context(chromium) as context:
        wp = open_as(context, site, site.admin, '#rules tr[data-rule="db-e"]')
        page = wp.page
        page.wait_for_selector('#rule-form input[name="channels1"][value="pager-e"]')   # a list, not a text box
        page.locator('#rules tr[data-rule="db-e"] button.edit').click()
        assert page.input_value('#rule-form [name="name"]') == "db-e"
        assert page.input_value('#rule-form [name="server"]') == "db-*"
        assert page.is_checked('#rule-form input[name="channels1"][value="mail-e"]')
        assert not page.is_checked('#rule-form input[name="channels1"][value="pager-e"]')
        page.check('#rule-form input[name="channels1"][value="pager-e"]')
        page.fill('#rule-form [name="server"]', "db-*, sql-*")
        page.click('#rule-form button[type="submit"]')
        page.wait_for_selector("#notify-message:has-text('Rule db-e saved')")
        rule = requests.get(site.url + "/api/notify/rule/db-e", headers=admin, timeout=10).json()
        assert [step["channels"] for step in rule["steps"]] == [["mail-e", "pager-e"]] and rule["match"]["server"] == ["db-*", "sql-*"]

        page.locator('#channels tr[data-channel="pager-e"] button.edit').click()
        assert page.input_value('#channel-form [name="name"]') == "pager-e"
        assert page.get_attribute('#channel-form [name="name"]', "readonly") is not None
        page.check('#channel-form [name="admin"]')          # the URL left empty: the stored one is kept
        page.click('#channel-form button[type="submit"]')
        page.wait_for_selector("#notify-message:has-text('Channel pager-e saved')")
        channel = requests.get(site.url + "/api/notify/channel/pager-e", headers=admin, timeout=10).json()
        assert channel["admin"] is True and channel["scheme"] == "json"
        assert [e for e in wp.errors if "400 (Bad Request)" not in e] == []
        wp.close()


def test_a_viewer_sees_no_notification_settings(chromium, site):
    with new_context(chromium) as context:
        wp = open_as(context, site, site.viewer, "#whoami:not([hidden])")
        wp.page.wait_for_timeout(300)
        assert wp.page.locator("#channels-section").is_hidden()
        assert wp.page.locator('nav a[href$="notify.html"]').is_hidden()
        assert "Notifications are managed by admins" in wp.page.content()
        wp.close()


def test_the_alerts_detail_shows_what_was_sent_where_and_a_link_opens_it(chromium, site):
    import requests

    admin = site.admin.headers
    requests.post(site.url + "/api/notify/channel", headers=admin, timeout=10,
                  json={"name": "detail-hook", "url": f"json://127.0.0.1:{site.hook.port}/detail"}).raise_for_status()
    requests.post(site.url + "/api/notify/channel", headers=admin, timeout=10,
                  json={"name": "down-hook", "url": "json://127.0.0.1:9/nobody"}).raise_for_status()
    requests.post(site.url + "/api/notify/rule", headers=admin, timeout=10, json={
        "name": "detail", "match": {"server": ["detail-*"]}, "group_wait_seconds": 0,
        "steps": [{"channels": ["detail-hook", "down-hook"]}]}).raise_for_status()
    time.sleep(0.5)
    made = requests.post(site.url + "/api/alert", headers=site.operator.headers, timeout=10, json={
        "timestamp": "2026-11-22T10:15:03+00:00", "server": "detail-01", "severity": "CRITICAL",
        "message": "Disk full", "provider": "", "application": "", "environment": ""}).json()
    arrival = site.hook.wait_for(len(site.hook.received()) + 1)[-1]
    link = arrival.json()["message"].split("http://127.0.0.1:8080", 1)[1].split()[0]
    assert link == f"/alerts.html?id={made['id']}"
    with new_context(chromium) as context:
        wp = open_as(context, site, site.operator, "#whoami:not([hidden])")  # the viewer is in team acme now
        wp.page.goto(site.url + link)
        wp.page.wait_for_selector("#notifications li.notify-delivered")
        text = wp.page.text_content("#notifications")
        assert "opened → detail-hook" in text and "delivered" in text
        wp.page.wait_for_selector("#notifications li.notify-pending")
        assert "opened → down-hook" in wp.page.text_content("#notifications")
        wp.close()
