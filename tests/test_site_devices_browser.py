"""The devices page in headless Chromium against the real API and a real SNMP agent
(snmpsim): test a device before saving it, edit one, thresholds in the form, and the
API's refusals told in the form's words."""

import json
import time

import pytest

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context
from tests.support.snmp_agents import SnmpsimAgent
from vigie import simulated_devices as sim

LA_LOAD = "1.3.6.1.4.1.2021.10.1.3.1"
COMMUNITY = "s3cret-probe"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("devices")
    snmprec = sim.device_snmprec("lab-sw", [sim.interface(1, "ge-0/0/0", 1_000_000_000, 10, 10, alias="uplink"),
                                            sim.interface(2, "ge-0/0/1", 1_000_000_000, 10, 10)],
                                 extra={LA_LOAD: "4|0.12"}, location="Nantes, cabinet 1")
    agent = SnmpsimAgent(root / "snmpsim", {COMMUNITY: snmprec}).start()
    api = start_api(root)
    try:
        build(api.machines_dir, api.root / "samples", api.db_path, api.www_dir, workers=1)
        yield api, agent
    finally:
        api.stop()
        agent.stop()


def wait_text(page, selector, text, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (page.text_content(selector) or ""):
            return page.text_content(selector)
        time.sleep(0.1)
    raise AssertionError(f"{selector} never said {text!r}: {page.text_content(selector)!r}")


def admin_page(context, api):
    answer = context.request.post(api.url + "/api/login", data={"username": "admin", "password": api.admin.password})
    assert answer.status == 200
    wp = WatchedPage(context)
    wp.page.goto(api.url + "/devices.html")
    wp.page.wait_for_selector("#add-device:not([hidden])")
    return wp


def fill(page, **fields):
    for name, value in fields.items():
        page.fill(f'#device-form [name="{name}"]', str(value))


def test_test_snmp_says_what_the_device_is_or_why_it_does_not_answer(chromium, world):
    api, agent = world
    with new_context(chromium) as context:
        wp = admin_page(context, api)
        page = wp.page
        fill(page, name="lab-sw", host="127.0.0.1", port=agent.port, community="wrong-community",
             oids=f"load = {LA_LOAD}")
        page.fill('#device-form [name="interval"]', "5")   # quick to give up: timeout 2 s, 1 retry
        page.click("#test-device")
        wait_text(page, "#probe-result", "No answer:")
        assert "No SNMP response received before timeout" in page.text_content("#probe-result")
        fill(page, community=COMMUNITY)
        page.click("#test-device")
        text = wait_text(page, "#probe-result", "The device answered")
        assert "lab-sw" in text and "Nantes, cabinet 1" in text and "2 interface(s), 2 to be graphed" in text
        assert "uplink" in text and "load: 0.12" in text
        assert not (api.machines_dir / "lab-sw.json").exists(), "testing saves nothing"
        assert COMMUNITY not in page.content().replace(f'value="{COMMUNITY}"', "")
        assert [e for e in wp.errors if "Failed to load resource" not in e] == []


def test_edit_a_device_keeps_its_secret_and_sets_thresholds(chromium, world):
    api, agent = world
    with new_context(chromium) as context:
        wp = admin_page(context, api)
        page = wp.page
        fill(page, name="edit-me", host="127.0.0.1", port=agent.port, community=COMMUNITY)
        page.click("#save-device")
        page.wait_for_selector('#devices tr[data-machine="edit-me"] button.edit')
        page.click('#devices tr[data-machine="edit-me"] button.edit')
        wait_text(page, "#form-title", "Edit edit-me")
        assert page.input_value('#device-form [name="community"]') == ""   # never shown
        assert page.get_attribute('#device-form [name="name"]', "readonly") is not None
        fill(page, interval=30, threshold_percent=75, threshold_polls=3,
             interface_thresholds="ge-0/0/0 = 60 hysteresis 5\nuplink-2 = 95 polls 1",
             oids=f"load = {LA_LOAD} above 4 for 3 hysteresis 0.5\nfree = 1.3.6.1.4.1.2021.4.11.0 unit kB below 50000")
        page.click("#test-device")   # with the stored secret
        wait_text(page, "#probe-result", "The device answered")
        page.click("#save-device")
        wait_text(page, "#devices-message", "Device edit-me saved")
        saved = json.loads((api.machines_dir / "edit-me.json").read_text())
        assert saved["snmp"]["community"] == COMMUNITY and saved["interval"] == 30
        assert saved["threshold_percent"] == 75 and saved["threshold_polls"] == 3
        assert saved["interface_thresholds"] == {"ge-0/0/0": {"threshold_percent": 60, "threshold_hysteresis": 5},
                                                 "uplink-2": {"threshold_percent": 95, "threshold_polls": 1}}
        assert saved["oids"] == {"load": {"oid": LA_LOAD, "above": 4, "for": 3, "hysteresis": 0.5},
                                 "free": {"oid": "1.3.6.1.4.1.2021.4.11.0", "unit": "kB", "below": 50000}}
        page.click('#devices tr[data-machine="edit-me"] button.edit')   # the form shows what was saved
        wait_text(page, "#form-title", "Edit edit-me")
        assert page.input_value('#device-form [name="interface_thresholds"]') == \
            "ge-0/0/0 = 60 hysteresis 5\nuplink-2 = 95 polls 1"
        assert page.input_value('#device-form [name="threshold_percent"]') == "75"
        assert page.input_value('#device-form [name="oids"]') == \
            f"free = 1.3.6.1.4.1.2021.4.11.0 unit kB below 50000\nload = {LA_LOAD} above 4 for 3 hysteresis 0.5"
        assert [e for e in wp.errors if "Failed to load resource" not in e] == []


def test_refusals_speak_the_forms_words(chromium, world):
    api, agent = world
    with new_context(chromium) as context:
        wp = admin_page(context, api)
        page = wp.page
        fill(page, name="worded", host="127.0.0.1", port=agent.port, community=COMMUNITY, threshold_percent=0)
        page.click("#save-device")
        text = wait_text(page, "#form-error", "Utilisation threshold must be")
        assert "threshold_percent" not in text
        fill(page, threshold_percent=80)
        page.click("#save-device")
        page.wait_for_selector('#devices tr[data-machine="worded"]')
        page.click("#cancel-edit") if page.is_visible("#cancel-edit") else None
        fill(page, name="worded", host="127.0.0.1", community=COMMUNITY)
        page.click("#save-device")
        text = wait_text(page, "#form-error", "A device named worded already exists")
        assert "/api/" not in text and "PUT" not in text
