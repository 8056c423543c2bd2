"""Logging in, in real Chromium against the real server: after login the browser goes
back to a page of this site only, whatever `next` says, and a login form posted from
another site's page logs nobody in."""

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import new_context, static_server

pytestmark = pytest.mark.slow

EVIL = "evil.example"
REDIRECTS = ["%2F%09%2Fevil.example%2F", "%2F%5Cevil.example%2F", "%2F%2Fevil.example%2F",
             "%2F%0A%2Fevil.example%2F", "https%3A%2F%2Fevil.example%2F", "%2F%5C%09evil.example"]


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    """The API serving the built site, open to anonymous readers (so the site's own
    login page is reachable), and another site: a plain static server."""
    root = tmp_path_factory.mktemp("login")
    (root / "other").mkdir()
    server = start_api(root, settings={"anonymous_read": True})
    try:
        build(server.machines_dir, root / "samples", server.db_path, server.www_dir)
        with static_server(root / "other") as other_url:
            server.other_url = other_url.replace("127.0.0.1", "localhost")  # another site for the browser
            server.other_dir = root / "other"
            yield server
    finally:
        server.stop()


def log_in_on(page, user):
    """/login answers the site's own login page once the site is built."""
    page.fill("form [name=username]", user.username)
    page.fill("form [name=password]", user.password)
    page.click("form button[type=submit]")


@pytest.mark.parametrize("target", REDIRECTS)
def test_the_api_login_page_never_sends_the_browser_to_another_site(chromium, www, target):
    with new_context(chromium) as context:
        page = context.new_page()
        page.goto(f"{www.url}/login?next={target}")
        log_in_on(page, www.viewer)
        page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
        assert page.url.startswith(www.url + "/") and EVIL not in page.url, page.url


@pytest.mark.parametrize("target", REDIRECTS)
def test_the_site_login_page_never_sends_the_browser_to_another_site(chromium, www, target):
    with new_context(chromium) as context:
        page = context.new_page()
        page.goto(f"{www.url}/login.html?next={target}")
        page.fill("#login-form [name=username]", www.viewer.username)
        page.fill("#login-form [name=password]", www.viewer.password)
        page.click("#login-form button")
        page.wait_for_url(lambda url: "login.html" not in url, timeout=10_000)
        assert page.url.startswith(www.url + "/") and EVIL not in page.url, page.url


@pytest.mark.parametrize("target", [t.replace("%2F", "/").replace("%09", "\t").replace("%5C", "\\")
                                    .replace("%0A", "\n").replace("%3A", ":") for t in REDIRECTS])
def test_the_form_login_redirects_only_to_a_path_of_this_site(www, target):
    answer = requests.post(www.url + "/login", data={"username": "viewer", "password": www.viewer.password,
                                                     "next": target}, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_a_login_form_posted_from_another_site_logs_nobody_in(chromium, www):
    """Login CSRF: the attacker's page posts its own credentials to /login in a hidden form."""
    (www.other_dir / "csrf.html").write_text(
        f'<form id="f" method="post" action="{www.url}/login">'
        f'<input name="username" value="viewer"><input name="password" value="{www.viewer.password}">'
        f'<input name="next" value="/"></form><script>document.getElementById("f").submit()</script>')
    with new_context(chromium) as context:
        page = context.new_page()
        with page.expect_response(f"{www.url}/login") as posted:
            page.goto(f"{www.other_url}/csrf.html")
        assert posted.value.status == 403
        assert not [c for c in context.cookies() if c["name"] == "vigie_session"]
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = requests.post(www.url + "/api/login", json={"username": "viewer", "password": www.viewer.password},
                                headers=headers)
        assert refused.status_code == 403 and refused.json()["field"] == "Origin"
    assert requests.post(www.url + "/api/login", json={"username": "viewer", "password": www.viewer.password},
                         headers={"Origin": www.url}).status_code == 200
