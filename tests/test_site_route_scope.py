"""The site route decides on the path it opens: a member of a scoped team cannot reach
another team's pages through an escaped `..` (`/static/..%2findex.html`), gets the
graph data of the machines in scope, and cannot learn from a redirect that a folder
it may not see exists. In-process, and through the real server for the paths a
client writes on the wire."""

import http.client
from datetime import datetime, timezone

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.api_wsgi import Api, alert
from tests.support.site_data import make_samples, write_machine, write_samples
from vigie.api import routes_site

MARKERS = ("globex-rt", "GLOBEX-SECRET-MESSAGE")
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def make_world(post, machines_dir, samples_dir, db_path, www_dir):
    """Two teams' alerts and machines (with samples), the viewer in team acme, the site built."""
    post("/api/alert", alert(server="acme-web-1", provider="Acme", message="ACME-VISIBLE"))
    post("/api/alert", alert(server="globex-db-9", provider="Globex Corp", message="GLOBEX-SECRET-MESSAGE"))
    for name, provider in (("acme-sw", "Acme"), ("globex-rt", "Globex Corp")):
        write_machine(machines_dir, name, tags={"provider": provider})
        write_samples(samples_dir, make_samples(name, NOW, interfaces=1, days=2))
    post("/api/team", {"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["viewer"]})
    build(machines_dir, samples_dir, db_path, www_dir)


@pytest.fixture
def world(tmp_path):
    api = Api(tmp_path / "site")

    def post(path, body):
        assert api.call("POST", path, "admin", json=body).status == 201
    make_world(post, api.machines_dir, tmp_path / "samples", api.db_path, api.www_dir)
    return api


@pytest.mark.parametrize("raw, expected", [
    ("", ""), ("index.html", "index.html"), ("static//vigie.css", "static/vigie.css"),
    ("static/./x/../y", None), ("static/../index.html", None), ("machines/a/", "machines/a"),
    ("a\\..\\b", None), ("a\0b", None), ("/x/./y", "x/y"), ("..", None),
])
def test_site_path_normalises_or_refuses(raw, expected):
    assert routes_site.site_path(raw) == expected


ESCAPES = ["/static/../index.html", "/static/../alerts.html", "/static/../search.json",
           "/static/../machines/globex-rt.html", "/static/./../machines/globex-rt.html",
           "/static//../alerts.html", "/static/..//index.html"]


@pytest.mark.parametrize("path", ESCAPES)
def test_a_member_gets_nothing_outside_the_scope_through_dot_dot(world, path):
    answer = world.call("GET", path, "viewer")
    text = answer.body.decode("utf-8", "replace").replace(path, "")  # an error may repeat what was asked
    assert answer.status == 404, (path, answer.status)
    assert not any(marker in text for marker in MARKERS)


def test_escaped_dot_dot_through_the_real_server(tmp_path):
    server = start_api(tmp_path)
    try:
        def post(path, body):
            answer = requests.post(server.url + path, json=body, headers=server.admin.headers, timeout=10)
            assert answer.status_code == 201, answer.text
        make_world(post, server.machines_dir, tmp_path / "samples", server.db_path, server.www_dir)
        for raw in ("/static/..%2findex.html", "/static/%2e%2e/alerts.html", "/static/..%2Fsearch.json",
                    "/static/../machines/globex-rt.html", "/static/%2e%2e%2fmachines%2fglobex-rt.html"):
            status, body = _raw_get(server, raw, server.viewer.token)
            assert status == 404, (raw, status)
            assert b"GLOBEX-SECRET-MESSAGE" not in body and b"<html" not in body.lower(), raw
        status, body = _raw_get(server, "/alerts.html", server.viewer.token)
        assert status == 200 and b"ACME-VISIBLE" in body and b"GLOBEX" not in body
    finally:
        server.stop()


def _raw_get(server, raw_path, token):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", raw_path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_a_member_gets_the_graph_data_of_its_machines_only(world):
    mine = sorted(p.relative_to(world.www_dir).as_posix() for p in (world.www_dir / "machines" / "acme-sw").rglob("*")
                  if p.is_file())
    assert "machines/acme-sw/live.json" in mine
    for path in mine:
        assert world.call("GET", "/" + path, "viewer").status == 200, path
    theirs = [p.relative_to(world.www_dir).as_posix() for p in (world.www_dir / "machines" / "globex-rt").rglob("*")
              if p.is_file()]
    assert theirs
    for path in theirs:
        assert world.call("GET", "/" + path, "viewer").status == 404, path
        assert world.call("GET", "/" + path, "admin").status == 200, path


def test_a_folder_answers_as_a_page_that_does_not_exist_when_it_may_not_be_seen(world):
    assert (world.www_dir / "machines" / "globex-rt").is_dir()
    hidden = world.call("GET", "/machines/globex-rt", "viewer")
    missing = world.call("GET", "/machines/no-such-machine", "viewer")
    assert hidden.status == missing.status == 404
    assert hidden.body.replace(b"globex-rt", b"X") == missing.body.replace(b"no-such-machine", b"X")
    assert world.call("GET", "/machines/globex-rt/", "viewer").status == 404
    assert world.call("GET", "/static", "viewer").status == 404  # no page inside: nothing to redirect to
