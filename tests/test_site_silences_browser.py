"""The silences page in headless Chromium against the real API: negative and regular
conditions chosen in the form with the preview of what they match, a bad regular
expression named, editing a silence (a new one replaces it), extending one, and making
one again from an expired one."""

import time
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
    root = tmp_path_factory.mktemp("silences")
    server = start_api(root)
    try:
        server.ids = {}
        for name, message in (("web-1", "Disk full"), ("web-2", "Disk full"), ("web-3", "test alert, ignore"),
                              ("db-1", "Disk full")):
            alert = {"timestamp": (NOW - timedelta(minutes=5)).isoformat(), "server": name, "severity": "WARNING",
                     "message": message, "provider": "Acme", "application": "shop", "environment": "prod"}
            answer = requests.post(server.url + "/api/alert", json=alert, headers=server.admin.headers, timeout=10)
            assert answer.status_code == 201, answer.text
            server.ids[name] = answer.json()["id"]
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir)
        yield server
    finally:
        server.stop()


def api(site, method, path, **kw):
    answer = requests.request(method, site.url + path, headers=site.admin.headers, timeout=10, **kw)
    assert answer.status_code < 300, answer.text
    return answer.json()


def silenced(site):
    return sorted(a["server"] for a in api(site, "GET", "/api/alert?silenced=true")["results"])


def said(page, start):
    return text_when(page, "#silence-message", start)


def silences_page(context, site):
    wp = open_page(context, site.url + "/silences.html", "#silence-form:not([hidden])")
    wp.page.wait_for_selector('body[data-mode="live"]', state="attached")
    return wp


def test_conditions_from_the_form_with_their_preview_then_edit_and_extend(chromium, site):
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = silences_page(context, site)
        page = wp.page
        page.select_option('#silence-form [name="op-server"]', "=~")
        page.fill('#silence-form [name="server"]', "web-(")
        page.wait_for_selector("#silence-preview:has-text('Not valid yet')")
        assert "bad regular expression" in page.text_content("#silence-preview")
        page.fill('#silence-form [name="comment"]', "disk swap")
        page.click("#silence-save")
        page.wait_for_selector("#silence-error:has-text('(matchers.server)')")

        page.fill('#silence-form [name="server"]', "web-.*")
        page.select_option('#silence-form [name="op-message"]', "!~")
        page.fill('#silence-form [name="message"]', ".*test.*")
        page.wait_for_selector("#silence-preview:has-text('It would silence 2 alerts not resolved now')")
        preview = page.text_content("#silence-preview")
        assert "web-1: Disk full" in preview and "web-2: Disk full" in preview and "web-3" not in preview
        page.click("#silence-save")
        text = said(page, "Silence ")
        assert text.endswith("made: it matches 2 alert(s) now.")
        first = int(text.split()[1])
        assert silenced(site) == ["web-1", "web-2"]
        row = f"#silence-{first}"
        assert 'message!~".*test.*", server=~"web-.*"' in page.text_content(row)

        page.click(f"{row} button.edit")
        assert page.text_content("#silence-form-title") == f"Edit silence {first}"
        assert page.input_value('#silence-form [name="op-server"]') == "=~"
        assert page.input_value('#silence-form [name="server"]') == "web-.*"
        page.select_option('#silence-form [name="op-server"]', "!=")
        page.fill('#silence-form [name="server"]', "web-2")
        page.fill('#silence-form [name="environment"]', "prod")
        page.click("#silence-save")
        text = said(page, f"Silence {first} replaced by silence ")
        second = int(text.split()[5].rstrip(":"))
        assert silenced(site) == ["db-1", "web-1"]
        assert api(site, "GET", f"/api/silence/{first}")["state"] == "expired"
        made = api(site, "GET", f"/api/silence/{second}")
        assert made["matchers"] == {"server": [{"op": "!=", "value": "web-2"}], "environment": "prod",
                                    "message": [{"op": "!~", "value": ".*test.*"}]}
        assert page.text_content("#silence-form-title") == "New silence"

        ends = datetime.fromisoformat(made["ends_at"])
        page.click(f"#silence-{second} button.extend:has-text('+1 h')")
        said(page, f"Silence {second} extended by 1 h")
        assert datetime.fromisoformat(api(site, "GET", f"/api/silence/{second}")["ends_at"]) == ends + timedelta(hours=1)
        assert [e for e in wp.errors if "400 (Bad Request)" not in e] == []   # the refused bad expression


def test_a_silence_is_made_again_from_an_expired_one(chromium, site):
    ends = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3)
    body = {"matchers": {"server": [{"op": "=~", "value": "db-.*"}]}, "comment": "db patching",
            "starts_at": (ends - timedelta(hours=2)).isoformat(), "ends_at": ends.isoformat()}
    old = requests.post(site.url + "/api/silence", json=body, headers=site.operator.headers, timeout=10).json()
    while datetime.now(timezone.utc) < ends + timedelta(seconds=1):   # two hours long, over by itself
        time.sleep(0.2)
    assert api(site, "GET", f"/api/silence/{old['id']}")["state"] == "expired"
    with new_context(chromium) as context:
        login(context, site, site.operator)
        wp = silences_page(context, site)
        page = wp.page
        page.select_option("#silence-state", "expired")
        page.click(f"#silence-{old['id']} button.recreate")
        assert page.input_value('#silence-form [name="op-server"]') == "=~"
        assert page.input_value('#silence-form [name="server"]') == "db-.*"
        assert page.input_value('#silence-form [name="comment"]') == "db patching"
        assert page.input_value('#silence-form [name="duration"]') == "120", "as long as it lasted"
        assert page.text_content("#silence-form-title") == "New silence"
        page.wait_for_selector("#silence-preview:has-text('It would silence 1 alert not resolved now')")
        page.click("#silence-save")
        text = said(page, "Silence ")
        again = api(site, "GET", f"/api/silence/{int(text.split()[1])}")
        assert again["id"] != old["id"] and again["matchers"] == body["matchers"] and again["state"] == "active"
        assert again["comment"] == "db patching"
        assert timedelta(minutes=119) < datetime.fromisoformat(again["ends_at"]) - datetime.now(timezone.utc) \
            <= timedelta(minutes=120)
        assert wp.errors == []
