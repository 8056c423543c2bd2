"""The real server (api.py serve, as shipped) against misbehaving clients: it keeps
answering a normal client, refuses what is too large or too slow with a clear
status, and accepts chunked bodies in linear time.

The latency bounds are generous on purpose (a shared 2-core machine): they tell
a server that answers from one that stalls, which is what failed before (every
request of the normal client timed out)."""

import json
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.support.abuse import attack, chunked_request, probe
from tests.support.api_server import REPO_ROOT, start_api
from tests.support.api_wsgi import alert
from vigie.api import limits

pytestmark = pytest.mark.slow

P99_BOUND_MS = 2000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_api(tmp_path_factory.mktemp("abuse"), workers=1, threads=4,
                       settings={"header_seconds": 2.0, "body_seconds": 2.0})
    yield server
    server.stop()


def normal_client(server, seconds=4.0) -> dict:
    return probe(server.url + "/api/alert?limit=10", seconds, server.viewer.headers)


def assert_answered(figures):
    assert figures["failed"] == 0 and figures["p99"] < P99_BOUND_MS, figures


def test_slow_header_clients_do_not_stall_the_others(server):
    with attack("SlowHeaders", "127.0.0.1", server.port, connections=16, interval=0.5):
        time.sleep(0.5)
        assert_answered(normal_client(server))


def test_a_connection_whose_headers_never_end_is_closed(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    started = time.monotonic()
    sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    closed = False
    try:
        for n in range(40):  # 10 s of one header line every 0.25 s
            sock.sendall(f"X-Line-{n}: {n}\r\n".encode())
            time.sleep(0.25)
    except OSError:
        closed = True
    if not closed:
        sock.settimeout(5)
        closed = sock.recv(1024) == b""
    sock.close()
    assert closed and time.monotonic() - started < 6  # header_seconds is 2 here


def test_oversize_request_lines_are_refused_and_do_not_stall_the_others(server):
    answer = requests.get(server.url + "/api/alert?q=" + "a" * (1024 * 1024), headers=server.viewer.headers)
    assert answer.status_code == 414
    with attack("LongRequestLines", "127.0.0.1", server.port, connections=8):
        time.sleep(0.5)
        assert_answered(normal_client(server))


def read_head(sock) -> bytes:
    """The status line and headers of an answer (b"" when the server closes first)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    return answer


def test_a_head_not_complete_past_the_head_limit_gets_431_at_once(server):
    field = b"X-Filler-%d: " + b"a" * 8000 + b"\r\n"  # each field under its own limit, fewer than 100
    fields = b"".join(field % n for n in range(limits.HEAD_MAX // 8000 + 2))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + fields)  # and never the empty line
        assert read_head(sock).startswith(b"HTTP/1.1 431")  # was: nothing, then closed at the head's deadline
    finally:
        sock.close()


def test_a_refused_request_line_is_answered_at_once_and_nothing_more_is_read(tmp_path):
    held = start_api(tmp_path, settings={"header_seconds": 60.0})
    sock = socket.create_connection(("127.0.0.1", held.port), timeout=30)
    try:
        sock.sendall(b"GET /" + b"a" * (limits.REQUEST_LINE_MAX + 2))  # the line's end never comes
        assert read_head(sock).startswith(b"HTTP/1.1 414")
        # The server neither reads on nor closes before the head's deadline: a client
        # sending 10 MiB lines again and again waits there (it got a reset at once before)
        sock.settimeout(3.0)
        sent, block = 0, b"a" * 65536
        with pytest.raises(socket.timeout):
            while sent < 64 * 1024 * 1024:
                sock.sendall(block)
                sent += len(block)
        assert sent < 10 * 1024 * 1024  # what the kernel's buffers hold, never the whole line
    finally:
        sock.close()
        held.stop()


def test_slow_bodies_do_not_stall_the_others(server):
    with attack("SlowBodies", "127.0.0.1", server.port, connections=16, interval=0.5):
        time.sleep(0.5)
        assert_answered(normal_client(server))


def test_a_body_that_does_not_arrive_in_time_gets_408(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{")
    started = time.monotonic()
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408") and b'"error"' in answer
    assert time.monotonic() - started < 6


def test_a_small_chunked_login_is_accepted(server):
    body = json.dumps({"username": "viewer", "password": server.viewer.password}).encode()
    status, answer, _ = chunked_request("127.0.0.1", server.port, "/api/login", body, chunk=7)
    assert status == 200, answer[:300]


def test_a_chunked_batch_is_read_in_linear_time(server):
    body = json.dumps([alert(message=f"{i} " + "x" * 900, source_id=f"chunked-{i}") for i in range(2200)]).encode()
    assert len(body) > 2 * 1024 * 1024
    status, answer, seconds = chunked_request("127.0.0.1", server.port, "/api/alert", body,
                                              server.operator.headers, chunk=1024, timeout=60)
    assert status == 201, answer[:300]
    assert seconds < 20  # was 51 s for 2 MiB, one byte at a time
    assert b'"created": 2200' in answer


def test_a_chunked_body_over_the_limit_gets_413(tmp_path):
    server = start_api(tmp_path, settings={"max_body_bytes": 100_000})
    try:
        status, answer, _ = chunked_request("127.0.0.1", server.port, "/api/alert", b"[" + b" " * 200_000 + b"]",
                                            server.operator.headers, chunk=4096)
        assert status == 413 and b"over the limit of 100000" in answer
        assert requests.get(server.url + "/api/health").status_code == 200
    finally:
        server.stop()


# ---- bad input gets a clear 4xx, never a 500

BIG_INTEGER = "1" * 4301


@pytest.mark.parametrize("method, path, body, who, field", [
    ("POST", "/api/login", '{"username": "admin", "password": ' + BIG_INTEGER + '}', None, None),
    ("POST", "/api/alert", '{"server": ' + BIG_INTEGER + '}', "operator", None),
    ("POST", "/api/token", '{"days": ' + BIG_INTEGER + '}', "viewer", None),
    ("POST", "/api/token", '{"days": NaN}', "viewer", None),
    ("POST", "/api/token", '{"days": Infinity}', "viewer", None),
    ("POST", "/api/token", '{"days": 1e999}', "viewer", "days"),
])
def test_bodies_that_python_parses_but_json_does_not_allow_are_400(server, method, path, body, who, field):
    headers = {"Content-Type": "application/json", **(getattr(server, who).headers if who else {})}
    answer = requests.request(method, server.url + path, data=body.encode(), headers=headers)
    assert answer.status_code == 400 and answer.json()["field"] == field, answer.text[:300]


@pytest.mark.parametrize("params, field", [
    ({"ordering": ",".join(["-timestamp"] * 2000)}, "ordering"),
    ({"ordering": "--timestamp"}, "ordering"),
    ({"ordering": "timestamp,,id"}, "ordering"),
    ({"q": "a" * 49_999}, "q"),
])
def test_list_parameters_over_what_sqlite_takes_are_400(server, params, field):
    answer = requests.get(server.url + "/api/alert", params=params, headers=server.viewer.headers)
    assert answer.status_code == 400 and answer.json()["field"] == field, answer.text[:300]


def test_an_ordering_naming_a_field_twice_keeps_the_first(server):
    answer = requests.get(server.url + "/api/alert", params={"ordering": "-severity,timestamp,severity"},
                          headers=server.viewer.headers)
    assert answer.status_code == 200


def test_a_corrupt_database_is_one_clear_line_and_a_non_zero_exit(tmp_path):
    database = tmp_path / "vigie.db"
    database.write_bytes(b"this is not a database, it only has the name of one\n" * 100)
    run = subprocess.run([sys.executable, str(REPO_ROOT / "api.py"), "serve", "--port", "0", "--db", str(database),
                          "--www", str(tmp_path), "--machines", str(tmp_path)], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert str(database) in run.stderr and "not a database" in run.stderr


# ---- the database: another process's write lock, a read-only file

def test_an_external_write_lock_leaves_reads_and_health_alone_and_writes_get_503(tmp_path):
    import sqlite3
    import threading

    server = start_api(tmp_path, settings={"busy_seconds": 2.0})
    holder = sqlite3.connect(server.db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # as a backup tool or a stray sqlite3 shell would
        writes = []

        def write():
            writes.append(requests.post(server.url + "/api/alert", json=alert(), headers=server.operator.headers,
                                        timeout=30))

        writers = [threading.Thread(target=write) for _ in range(8)]
        for writer in writers:
            writer.start()
        time.sleep(0.3)
        assert_answered(normal_client(server, seconds=2.0))
        health = requests.get(server.url + "/api/health", timeout=5)
        assert health.status_code == 200 and health.json()["writes"].startswith("busy")
        for writer in writers:
            writer.join(30)
        assert [w.status_code for w in writes] == [503] * 8
        assert all(w.headers["Retry-After"].isdigit() and "busy" in w.json()["error"] for w in writes)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        after = requests.post(server.url + "/api/alert", json=alert(), headers=server.operator.headers, timeout=10)
        assert after.status_code == 201
    finally:
        server.stop()


WITHOUT_ROOTS_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def test_a_read_only_database_is_503_naming_the_cause_and_recovers_without_a_restart(tmp_path):
    server = start_api(tmp_path)
    server.stop()
    files = [server.db_path] + [server.db_path.with_name(server.db_path.name + s) for s in ("-wal", "-shm")]
    for path in files:
        if path.exists():
            path.chmod(0o444)
    server.wrapper = WITHOUT_ROOTS_OVERRIDE  # root ignores file modes; the service user does not
    server.start(healthy=False)
    try:
        health = requests.get(server.url + "/api/health")
        assert health.status_code == 503 and "read-only" in health.json()["database"]
        assert str(tmp_path) not in health.text
        write = requests.post(server.url + "/api/alert", json=alert(), headers=server.operator.headers)
        assert write.status_code == 503 and "read-only" in write.json()["error"]
        assert str(tmp_path) not in write.text
        login = requests.post(server.url + "/api/login", json={"username": "viewer",
                                                                "password": server.viewer.password})
        assert login.status_code == 503
        assert requests.get(server.url + "/api/alert", headers=server.viewer.headers).status_code == 200
        for path in files:
            if path.exists():
                path.chmod(0o640)
        assert requests.get(server.url + "/api/health").status_code == 200
        statuses = [requests.post(server.url + "/api/alert", json=alert(message=f"m{i}"),
                                  headers=server.operator.headers).status_code for i in range(8)]
        assert statuses == [201] * 8  # every thread's connection, not only the first
        assert "readonly database" in server.log_text() and str(server.db_path) in server.log_text()
    finally:
        server.stop()


def test_the_database_and_its_wal_files_are_not_world_readable(server):
    import stat
    requests.post(server.url + "/api/alert", json=alert(message="for the wal"), headers=server.operator.headers)
    for suffix in ("", "-wal", "-shm"):
        path = server.db_path.with_name(server.db_path.name + suffix)
        assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0, (path, oct(path.stat().st_mode))


# ---- password guessing

def login_status(server, username, password, **kw):
    return requests.post(server.url + "/api/login", json={"username": username, "password": password}, **kw)


@pytest.mark.parametrize("password", ["password123", "Qwertyuiop", "12345678", "P@ssw0rd"])
def test_the_most_common_passwords_are_refused(server, password):
    body = {"username": "operator-2", "role": "viewer", "password": password}
    answer = requests.post(server.url + "/api/user", json=body, headers=server.admin.headers)
    assert answer.status_code == 400 and answer.json()["field"] == "password"


def test_control_characters_never_reach_the_alerts_page_raw(tmp_path):
    from site_builder.build import build

    server = start_api(tmp_path)
    try:
        hostile = alert(server="web\x00-01\x07", message="disk\x00full\x1b[31m", application="bill\x0bing")
        assert requests.post(server.url + "/api/alert", json=hostile, headers=server.operator.headers).ok
        build(server.machines_dir, tmp_path / "samples", server.db_path, server.www_dir)
        for page in ("alerts.html", "index.html"):
            data = (server.www_dir / page).read_bytes()
            assert not any(b < 0x20 and b not in b"\t\n\r" or b == 0x7F for b in data), page
    finally:
        server.stop()
