"""Senders that match no machine: the real syslog intake puts their messages in the unknown
log, the real API lists them (to admins and users in no scoped team only), and one added as
a machine leaves the list and gets its own log."""

import json
import socket
import time

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import login, new_context, open_page
from tests.support.syslog import SyslogIntake, send_logger, wait_until

pytestmark = pytest.mark.slow


def send_from(address: str, port: int, message: bytes) -> None:
    """One UDP datagram from a loopback address of our choosing (a device of its own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        sock.sendto(message, ("127.0.0.1", port))


@pytest.fixture
def world(tmp_path):
    api = start_api(tmp_path, settings={"logs": str(tmp_path / "syslog" / "logs")})
    intake = SyslogIntake(tmp_path, args=["--machines", str(api.machines_dir), "--rescan", "1"])
    try:
        intake.start()
        yield api, intake
    finally:
        intake.stop()
        api.stop()


def senders(api, user):
    return requests.get(api.url + "/api/unknown-senders", headers=user.headers, timeout=10)


def test_unknown_senders_are_listed_for_unscoped_users_and_leave_the_list_once_added(world):
    api, intake = world
    (api.machines_dir / "rt1.json").write_text(json.dumps({"host": "127.0.0.3", "snmp": {"version": "2c",
                                                                                          "community": "c"}}))
    send_logger(intake.udp_port, "first from this host", tag="cron")
    send_logger(intake.udp_port, "second from this host", tag="cron")
    send_from("127.0.0.2", intake.udp_port, b"<11>Nov 22 10:15:03 gw-9 fan: fan 2 failed")
    send_from("127.0.0.3", intake.udp_port, b"<14>Nov 22 10:15:04 rt1 kernel: a known machine's message")
    listed = wait_until(lambda: (lambda r: r.json()["count"] == 2 and r.json())(senders(api, api.admin)),
                        what="two unknown senders")
    by_address = {s["address"]: s for s in listed["results"]}
    assert set(by_address) == {"127.0.0.1", "127.0.0.2"}, "the machine's own message is no unknown sender"
    assert by_address["127.0.0.1"]["count"] == 2 and by_address["127.0.0.1"]["hosts"] == [socket.gethostname()]
    assert by_address["127.0.0.1"]["last"]["message"] == "second from this host"
    gw = by_address["127.0.0.2"]
    assert (gw["count"], gw["hosts"], gw["last"]["app"], gw["last"]["severity"]) == (1, ["gw-9"], "fan", "err")
    assert gw["last_seen"].endswith("Z") and gw["first_seen"] == gw["last_seen"]
    assert senders(api, api.viewer).status_code == 200, "a viewer in no team sees them"

    # a member of a scoped team: unknown senders are in no team's scope
    member = api.add_user("acme-viewer", "viewer")
    team = requests.post(api.url + "/api/team", headers=api.admin.headers, timeout=10, json={
        "name": "acme", "scope": {"provider": ["Acme"]}, "members": ["acme-viewer"]})
    assert team.status_code == 201, team.text
    refused = senders(api, member)
    assert refused.status_code == 403 and "127.0.0.2" not in refused.text
    assert requests.get(api.url + "/api/unknown-senders", timeout=10).status_code == 401

    # added as a device: it leaves the list, and its next message lands in its own log
    added = requests.post(api.url + "/api/machine", headers=api.admin.headers, timeout=10, json={
        "name": "gw-9", "host": "127.0.0.2", "snmp": {"version": "2c", "community": "c"}})
    assert added.status_code == 201, added.text
    assert [s["address"] for s in senders(api, api.admin).json()["results"]] == ["127.0.0.1"]
    deadline = time.monotonic() + 30   # the intake reads the folder again every second
    while not intake.entries("gw-9") and time.monotonic() < deadline:
        send_from("127.0.0.2", intake.udp_port, b"<11>Nov 22 10:16:00 gw-9 fan: again")
        time.sleep(0.5)
    assert intake.entries("gw-9")[-1]["message"] == "again"


def test_the_devices_page_lists_unknown_senders_and_an_admin_adds_one_as_a_device(chromium, world):
    api, intake = world
    member = api.add_user("acme-viewer", "viewer")
    assert requests.post(api.url + "/api/team", headers=api.admin.headers, timeout=10, json={
        "name": "acme", "scope": {"provider": ["Acme"]}, "members": ["acme-viewer"]}).status_code == 201
    build(api.machines_dir, api.root / "samples", api.db_path, api.www_dir, workers=1)  # with the team's pages
    send_from("127.0.0.2", intake.udp_port, b"<11>Nov 22 10:15:03 gw-9.lab fan: fan 2 failed")
    wait_until(lambda: senders(api, api.admin).json()["count"] == 1, what="the unknown sender")
    row = '#senders tr[data-address="127.0.0.2"]'
    with new_context(chromium) as context:
        login(context, api, api.viewer)
        wp = open_page(context, api.url + "/devices.html", row)
        assert "gw-9.lab" in wp.page.text_content(row) and "err fan: fan 2 failed" in wp.page.text_content(row)
        assert wp.page.locator(f"{row} a.add-sender").count() == 0, "only an admin adds devices"
        wp.close()
    with new_context(chromium) as context:
        login(context, api, member)
        wp = open_page(context, api.url + "/devices.html", "#devices")
        wp.wait_for_quiet()
        assert wp.page.locator("#unknown-senders").is_hidden(), "unknown senders are in no team's scope"
        assert "127.0.0.2" not in wp.page.content()
        wp.close()
    with new_context(chromium) as context:
        login(context, api, api.admin)
        wp = open_page(context, api.url + "/devices.html", f"{row} a.add-sender")
        page = wp.page
        page.click(f"{row} a.add-sender")
        assert page.input_value('#device-form [name="host"]') == "127.0.0.2"
        assert page.input_value('#device-form [name="name"]') == "gw-9"
        page.fill('#device-form [name="community"]', "gw-community")
        page.click("#save-device")
        page.wait_for_selector('#devices tr[data-machine="gw-9"]')
        page.wait_for_selector(row, state="detached")
        assert json.loads((api.machines_dir / "gw-9.json").read_text())["host"] == "127.0.0.2"
        assert wp.errors == []
        wp.close()
        # the same form from a link (a sender named elsewhere)
        wp = open_page(context, api.url + "/devices.html?host=2001:db8::9&name=edge-9#add-device",
                       "#add-device:not([hidden])")
        wait_until(lambda: wp.page.input_value('#device-form [name="host"]') == "2001:db8::9", what="the link's host")
        assert wp.page.input_value('#device-form [name="name"]') == "edge-9"
        wp.close()
