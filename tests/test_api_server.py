"""The real thing: `python api.py serve` under gunicorn on 127.0.0.1 port 0, spoken to
over HTTP: first start, restarts, browser login, limits, and many writers at once."""

import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.support.api_server import REPO_ROOT, start_api
from tests.support.api_wsgi import alert

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reading_server(tmp_path_factory):
    """One server for the tests that only read from it."""
    server = start_api(tmp_path_factory.mktemp("reading"))
    yield server
    server.stop()


def test_first_start_creates_admin_with_a_private_password_file(reading_server):
    api_server = reading_server
    path = api_server.db_path.parent / "admin.password"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = path.read_text().strip()
    assert len(password) >= 16
    me = requests.get(api_server.url + "/api/me", auth=("admin", password))
    assert me.json() == {"username": "admin", "role": "admin"}
    log = api_server.log_text()
    assert password not in log and "admin.password" in log  # shown on a terminal only, never logged
    assert "vigie.api.worker.Worker" in log  # gunicorn, never a development server


def test_health_and_spec_answer_anonymous_clients(reading_server):
    api_server = reading_server
    health = requests.get(api_server.url + "/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = requests.get(api_server.url + "/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/alert" in spec["paths"]
    assert requests.get(api_server.url + "/api/alert").status_code == 401


def test_alerts_survive_a_restart_on_the_same_port(api_server):
    created = requests.post(api_server.url + "/api/alert", json=alert(source_id="keep-me"),
                            headers=api_server.operator.headers)
    assert created.status_code == 201
    port = api_server.port
    api_server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(api_server.url + "/api/health", timeout=2)
    api_server.start()
    assert api_server.port == port
    again = requests.post(api_server.url + "/api/alert", json=alert(source_id="keep-me"),
                          headers=api_server.operator.headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert requests.get(api_server.url + "/api/me", headers=api_server.viewer.headers).status_code == 200


def test_browser_flow_login_page_cookie_csrf_and_site(api_server):
    (api_server.www_dir / "index.html").write_text("<h1>Vigie dashboard</h1>")
    browser = requests.Session()
    first = browser.get(api_server.url + "/", allow_redirects=False)
    assert first.status_code == 303 and first.headers["Location"].startswith("/login")
    page = browser.get(api_server.url + first.headers["Location"])
    assert page.status_code == 200 and "<form" in page.text
    login = browser.post(api_server.url + "/api/login", json={"username": "operator",
                                                              "password": api_server.operator.password})
    assert login.status_code == 200
    raw = login.headers["Set-Cookie"].lower()
    assert "httponly" in raw and "samesite=strict" in raw
    assert browser.get(api_server.url + "/").text == "<h1>Vigie dashboard</h1>"
    no_csrf = browser.post(api_server.url + "/api/alert", json=alert())
    assert no_csrf.status_code == 403
    ok = browser.post(api_server.url + "/api/alert", json=alert(),
                      headers={"X-CSRF-Token": browser.cookies["vigie_csrf"]})
    assert ok.status_code == 201
    browser.post(api_server.url + "/api/logout", headers={"X-CSRF-Token": browser.cookies["vigie_csrf"]})
    assert browser.get(api_server.url + "/", allow_redirects=False).status_code == 303


def test_limits_over_http(api_server):
    big = requests.post(api_server.url + "/api/alert", data=b"[" + b" " * (9 * 1024 * 1024) + b"]",
                        headers=dict(api_server.operator.headers, **{"Content-Type": "application/json"}))
    assert big.status_code == 413 and big.json()["error"]
    batch = [alert(message=f"m{i}", source_id=f"s{i}") for i in range(1000)]
    ok = requests.post(api_server.url + "/api/alert", json=batch, headers=api_server.operator.headers)
    assert ok.status_code == 201 and len(set(ok.json()["ids"])) == 1000
    wrong = requests.delete(api_server.url + "/api/stats", headers=api_server.admin.headers)
    assert wrong.status_code == 405 and wrong.headers["Content-Type"].startswith("application/json")
    long_url = requests.get(api_server.url + "/api/alert", params={"server": ["x" * 100] * 100},
                            headers=api_server.viewer.headers)
    assert long_url.status_code == 200


def test_many_clients_writing_at_once_lose_nothing(tmp_path):
    server = start_api(tmp_path, workers=2, threads=4)
    try:
        clients, per_client = 16, 25
        errors, ids = [], []
        lock = threading.Lock()

        def writer(n):
            session = requests.Session()
            for i in range(per_client):
                body = alert(message=f"client {n} alert {i}", source_id=f"c{n}-{i}")
                if i % 5 == 0:  # some batches, some single alerts, some repeats
                    answer = session.post(server.url + "/api/alert", json=[body, alert(message=f"b{n}-{i}")],
                                          headers=server.operator.headers)
                    got = answer.json().get("ids", []) if answer.status_code == 201 else []
                else:
                    answer = session.post(server.url + "/api/alert", json=body, headers=server.operator.headers)
                    got = [answer.json().get("id")] if answer.status_code == 201 else []
                    again = session.post(server.url + "/api/alert", json=body, headers=server.operator.headers)
                    if again.status_code != 200 or again.json()["id"] != got[0]:
                        errors.append(("repeat", again.status_code))
                with lock:
                    if answer.status_code != 201:
                        errors.append((answer.status_code, answer.text))
                    ids.extend(got)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        expected = clients * (per_client + per_client // 5)
        assert len(ids) == len(set(ids)) == expected
        listed = requests.get(server.url + "/api/alert", params={"limit": 1},
                              headers=server.viewer.headers).json()["count"]
        assert listed == expected
    finally:
        server.stop()


def test_serve_reports_a_busy_port_and_exits_non_zero(reading_server, tmp_path):
    api_server = reading_server
    run = subprocess.run([sys.executable, str(REPO_ROOT / "api.py"), "serve", "--port", str(api_server.port),
                          "--db", str(tmp_path / "other.db"), "--www", str(tmp_path), "--machines", str(tmp_path)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1 and "cannot listen" in run.stderr


def test_sigterm_stops_the_server_cleanly(tmp_path):
    server = start_api(tmp_path)
    pid = server.process.pid
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while server.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.process.returncode == 0
    server.stop()


def test_settings_file_and_flags(tmp_path):
    server = start_api(tmp_path, settings={"anonymous_read": True, "cors_origins": ["http://dash.example"]})
    try:
        answer = requests.get(server.url + "/api/alert", headers={"Origin": "http://dash.example"})
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == "http://dash.example"
        assert requests.post(server.url + "/api/alert", json=alert()).status_code == 401
    finally:
        server.stop()
    bad = tmp_path / "bad.toml"
    bad.write_text("[api]\ncolour = 'red'\n")
    run = subprocess.run([sys.executable, str(REPO_ROOT / "api.py"), "serve", "--config", str(bad)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and f"{bad}: [api] unknown key 'colour'" in run.stderr
