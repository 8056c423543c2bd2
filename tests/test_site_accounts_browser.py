"""The users page (admins) and My account (everyone) in headless Chromium, against the
real API under gunicorn."""

import time

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = start_api(tmp_path_factory.mktemp("accounts"))
    try:
        build(server.machines_dir, server.root / "samples", server.db_path, server.www_dir, workers=1)
        yield server
    finally:
        server.stop()


def login(context, site, username, password):
    answer = context.request.post(site.url + "/api/login", data={"username": username, "password": password})
    assert answer.status == 200, answer.text()


def can_log_in(site, username, password) -> bool:
    return requests.get(site.url + "/api/me", auth=(username, password), timeout=10).status_code == 200


def role_of(site, username) -> str:
    users = requests.get(site.url + "/api/user", headers=site.admin.headers, timeout=10).json()["results"]
    return {u["username"]: u["role"] for u in users}.get(username)


def script_errors(wp) -> list:
    """Errors of the page's own code (refusals the test provoked on purpose aside)."""
    return [e for e in wp.errors if "Failed to load resource" not in e]


def wait_text(page, selector, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (page.text_content(selector) or ""):
            return
        time.sleep(0.1)
    raise AssertionError(f"{selector} never said {text!r}: {page.text_content(selector)!r}")


def test_admin_adds_a_user_changes_the_role_resets_the_password_and_removes_the_user(chromium, site):
    with new_context(chromium) as context:
        login(context, site, "admin", site.admin.password)
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/users.html")
        page.wait_for_selector('#users tr[data-user="admin"]')
        assert page.is_visible('nav a[href="users.html"]')
        assert page.is_disabled('#users tr[data-user="admin"] select.role'), "not your own role"

        page.fill('#user-form input[name="username"]', "carol")
        page.fill('#user-form input[name="password"]', "short")
        page.click('#user-form button[type="submit"]')
        wait_text(page, "#user-error", "at least 8 characters")
        page.fill('#user-form input[name="password"]', "carol-first-pw")
        page.click('#user-form button[type="submit"]')
        page.wait_for_selector('#users tr[data-user="carol"]')
        assert role_of(site, "carol") == "viewer" and can_log_in(site, "carol", "carol-first-pw")

        page.fill('#user-form input[name="username"]', "carol")
        page.fill('#user-form input[name="password"]', "another-pw-1")
        page.click('#user-form button[type="submit"]')
        wait_text(page, "#user-error", "A user named carol already exists.")

        page.select_option('#users tr[data-user="carol"] select.role', "operator")
        wait_text(page, "#users-message", "carol is now operator.")
        assert role_of(site, "carol") == "operator"

        page.click('#users tr[data-user="carol"] button.reset')
        page.fill(".reset-row input[name=password]", "carol-second-pw")
        page.click(".reset-row button[type=submit]")
        wait_text(page, "#users-message", "Password of carol reset")
        assert can_log_in(site, "carol", "carol-second-pw") and not can_log_in(site, "carol", "carol-first-pw")

        page.click('#users tr[data-user="carol"] button.remove')   # the confirm() is accepted
        page.wait_for_selector('#users tr[data-user="carol"]', state="detached")
        assert role_of(site, "carol") is None
        assert script_errors(wp) == []


def test_a_viewer_changes_their_own_password(chromium, site):
    user = site.add_user("dora", "viewer", "dora-first-pw")
    with new_context(chromium) as context:
        login(context, site, user.username, user.password)
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/index.html")
        page.wait_for_selector("#whoami:not([hidden])")
        assert page.is_hidden('nav a[href="users.html"]'), "users are an admin's page"
        page.click("#whoami")
        page.wait_for_url("**/account.html")
        page.wait_for_selector("#change-password:not([hidden])")
        wait_text(page, "#account-who", "Logged in as dora (viewer).")

        form = "#password-form"
        page.fill(f"{form} input[name=current]", "not-my-password")
        page.fill(f"{form} input[name=new]", "dora-second-pw")
        page.fill(f"{form} input[name=again]", "dora-other-pw")
        page.click(f"{form} button[type=submit]")
        wait_text(page, "#password-error", "The two new passwords differ.")
        page.fill(f"{form} input[name=again]", "dora-second-pw")
        page.click(f"{form} button[type=submit]")
        wait_text(page, "#password-error", "The current password is wrong.")
        page.fill(f"{form} input[name=current]", "dora-first-pw")
        page.fill(f"{form} input[name=new]", "short")
        page.fill(f"{form} input[name=again]", "short")
        page.click(f"{form} button[type=submit]")
        wait_text(page, "#password-error", "The new password must be")
        assert "/api/" not in page.text_content("#password-error")
        page.fill(f"{form} input[name=new]", "dora-second-pw")
        page.fill(f"{form} input[name=again]", "dora-second-pw")
        page.click(f"{form} button[type=submit]")
        wait_text(page, "#password-done", "Password changed.")
        assert can_log_in(site, "dora", "dora-second-pw") and not can_log_in(site, "dora", "dora-first-pw")
        page.goto(site.url + "/index.html")   # the session goes on with the rotated cookie
        page.wait_for_selector("#whoami:not([hidden])")
        assert script_errors(wp) == []


def test_a_viewer_on_the_users_page_is_told_it_is_an_admins(chromium, site):
    with new_context(chromium) as context:
        login(context, site, "viewer", site.viewer.password)
        wp = WatchedPage(context)
        wp.page.goto(site.url + "/users.html")
        wait_text(wp.page, "#users-message", "Only an admin")
        assert wp.page.locator("#users tbody tr").count() == 0


def test_the_watchers_service_account_has_no_remove_button_and_says_what_it_is(chromium, site):
    site.add_user("watcher", "operator")
    with new_context(chromium) as context:
        login(context, site, "admin", site.admin.password)
        wp = WatchedPage(context)
        page = wp.page
        page.goto(site.url + "/users.html")
        row = '#users tr[data-user="watcher"]'
        page.wait_for_selector(row)
        assert page.locator(f"{row} button.remove").count() == 0
        assert "service account" in page.text_content(row)
        assert page.locator('#users tr[data-user="viewer"] button.remove').count() == 1
        assert script_errors(wp) == []
