"""The pages the API serves around the site: one login page (the site's own), and a
404 that is a page to a browser and the API's JSON error to any other client."""

import gzip
import hashlib

import pytest
import requests

from site_builder import build as site_build
from tests.support.api_server import start_api

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    api = start_api(tmp_path_factory.mktemp("pages"))
    yield api
    api.stop()


def build_site(server):
    site_build.build(server.machines_dir, server.root / "samples", server.db_path, server.www_dir, workers=1)


def test_login_before_the_first_build_is_a_plain_form(server):
    page = requests.get(server.url + "/login")
    assert page.status_code == 200 and 'action="/login"' in page.text and "not been built" in page.text


def test_login_is_the_sites_own_page(server):
    build_site(server)
    anonymous = requests.get(server.url + "/machines/x.html", allow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login?next=")
    page = requests.get(server.url + "/login")
    assert page.status_code == 200 and page.content == (server.www_dir / "login.html").read_bytes()
    assert page.headers["Cache-Control"] == "no-store"
    # what the page loads is open to an anonymous browser too
    for asset in ("static/vigie.css", "static/common.js", "static/login.js"):
        assert requests.get(f"{server.url}/{asset}").status_code == 200, asset
    assert requests.get(server.url + "/index.html", allow_redirects=False).status_code == 303
    (server.www_dir / "secret.txt").write_text("viewers only")
    for sneaky in ("/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt"):
        answer = requests.get(server.url + sneaky, allow_redirects=False)
        assert "viewers only" not in answer.text, sneaky


def test_the_login_form_works_without_javascript(server):
    build_site(server)
    browser = requests.Session()
    wrong = browser.post(server.url + "/login", data={"username": "viewer", "password": "nope", "next": "/alerts.html"},
                         allow_redirects=False)
    assert wrong.status_code == 303 and wrong.headers["Location"].startswith("/login?failed=1")
    right = browser.post(server.url + "/login", allow_redirects=False,
                         data={"username": "viewer", "password": server.viewer.password, "next": "/alerts.html"})
    assert right.status_code == 303 and right.headers["Location"] == "/alerts.html"
    assert browser.get(server.url + "/alerts.html").status_code == 200


def test_unknown_page_is_a_page_to_a_browser_and_json_to_a_client(server):
    build_site(server)
    browser = requests.Session()
    browser.post(server.url + "/api/login", json={"username": "viewer", "password": server.viewer.password})
    page = browser.get(server.url + "/machines/no-such-machine.html", headers=HTML)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "No page at this address" in page.text and 'href="/static/vigie.css' in page.text
    client = browser.get(server.url + "/machines/no-such-machine.html", headers=JSON)
    assert client.status_code == 404 and client.json()["error"].startswith("no page /machines/no-such-machine.html")
    api = browser.get(server.url + "/api/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.headers["Content-Type"].startswith("application/json")


def test_plotly_is_sent_compressed_under_its_content_hash_and_cached_for_good(server):
    build_site(server)
    browser = requests.Session()
    browser.post(server.url + "/api/login", json={"username": "viewer", "password": server.viewer.password})
    [path] = server.www_dir.glob("static/plotly-*.min.js")
    name = path.relative_to(server.www_dir).as_posix()
    raw = (server.www_dir / name).read_bytes()
    assert name.split("-")[1][:12] == hashlib.sha256(raw).hexdigest()[:12]
    packed = browser.get(f"{server.url}/{name}", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert int(packed.headers["Content-Length"]) < len(raw) / 2
    assert packed.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    assert "immutable" in packed.headers["Cache-Control"] and "max-age=31536000" in packed.headers["Cache-Control"]
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.raw.read()) == raw
    plain = browser.get(f"{server.url}/{name}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.content == raw
    other = browser.get(f"{server.url}/static/vigie.css")
    assert other.headers["Cache-Control"] == "no-cache", "files without a hashed name are checked each time"
