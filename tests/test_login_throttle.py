"""The login throttle slows password guessing down without locking the owner out: counts
per user name and address, and per address, kept in the database for every worker;
waits that double past a few free failures; a user who logged in from an address
lately is never refused there; the client address from X-Forwarded-For only when
the peer is a proxy in forwarded_allow_ips. The rules on literal input, then two
apps on one database (two workers), then the real server behind a pretend proxy."""

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.api_wsgi import Api
from tests.support.earlier_db import made_up_to
from vigie import db
from vigie.api.app import make_app


@pytest.fixture
def throttle():
    from vigie.api import throttle as module  # imported here: the real-server tests need none of it
    return module


@pytest.mark.parametrize("failures, last, now, wait", [
    (4, 100.0, 100.0, 0.0), (5, 100.0, 100.0, 1.0), (5, 100.0, 101.0, 0.0), (6, 100.0, 100.5, 1.5),
    (7, 100.0, 100.0, 4.0), (40, 100.0, 100.0, 900.0), (40, 100.0, 1000.0, 0.0),
])
def test_waits_double_past_the_free_failures(throttle, failures, last, now, wait):
    rules = throttle.Rules()
    assert throttle.wait_after(failures, last, now, rules.free_per_user, rules) == wait


def test_a_trusted_pair_is_never_made_to_wait(throttle):
    hammered = throttle.State(pair_failures=50, pair_last=100.0, address_failures=500, address_last=100.0)
    assert throttle.login_wait(hammered, 100.0) == 900
    assert throttle.login_wait(throttle.State(address_failures=20, address_last=100.0), 100.2) == 1
    assert throttle.login_wait(throttle.State(50, 100.0, 500, 100.0, trusted=True), 100.0) == 0


@pytest.mark.parametrize("peer, forwarded, client", [
    ("127.0.0.1", "203.0.113.9", "203.0.113.9"),                       # one trusted proxy
    ("127.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),              # what the client wrote is not believed
    ("127.0.0.1", "203.0.113.9, 10.1.2.3", "203.0.113.9"),             # two trusted proxies in a row
    ("198.51.100.7", "203.0.113.9", "198.51.100.7"),                   # not a proxy: its header is ignored
    ("127.0.0.1", "not-an-address", "127.0.0.1"), ("127.0.0.1", None, "127.0.0.1"),
    ("::1", "2001:db8::5", "2001:db8::5"), ("127.0.0.1", "10.1.0.4", "10.1.0.4"),
    ("127.0.0.1", "203.0.113.9:4711", "203.0.113.9"), ("::1", "[2001:db8::5]:443", "2001:db8::5"),  # with a port
])
def test_the_client_address_believes_only_trusted_proxies(throttle, peer, forwarded, client):
    networks = throttle.trusted_networks(["127.0.0.1", "::1", "10.1.0.0/16"])
    assert throttle.client_address(peer, forwarded, networks) == client
    assert throttle.client_address("198.51.100.7", "1.1.1.1", throttle.trusted_networks(["*"])) == "1.1.1.1"


def login(app_client, username, password, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return app_client.post("/api/login", json={"username": username, "password": password}, headers=headers)


def test_counts_are_shared_by_the_workers(tmp_path):
    api = Api(tmp_path)
    other = type(api.client)(make_app(api.db_path, api.www_dir, api.machines_dir,
                                      {k: str(tmp_path / k) for k in ("samples", "logs", "alertfiles")}))
    workers = [api.client, other]
    statuses = [login(workers[i % 2], "viewer", f"wrong-{i}").status for i in range(5)]
    assert statuses == [401] * 5
    refused = login(other, "viewer", "wrong-again")
    assert refused.status == 429 and refused.header("Retry-After") == "1"
    count = api.conn.execute("SELECT failures FROM login_failures WHERE username = 'viewer'").fetchone()[0]
    assert count == 5


def test_the_tables_come_with_a_migration_and_stay_small(tmp_path):
    path = tmp_path / "old.db"
    with made_up_to(path, 7) as raw:
        raw.execute("INSERT INTO meta (key, value) VALUES ('kept', 'yes')")
    conn = db.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key = 'kept'").fetchone()[0] == "yes"
    for i in range(50):
        db.logins.failed(conn, f"name-{i}", "203.0.113.9", 1000.0 + i, 3600)
    db.logins.failed(conn, "late", "203.0.113.9", 1000.0 + 3700, 3600)  # the old ones are forgotten
    assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 1 + sum(
        1 for i in range(50) if 1000.0 + i > 1000.0 + 3700 - 3600)
    db.logins.failed(conn, "x" * 10_000, "203.0.113.9", 5000.0, 3600)
    assert max(len(r[0]) for r in conn.execute("SELECT username FROM login_failures")) == db.logins.KEY_MAX


def attempt(server, username, password, forwarded=None):
    headers = {"X-Forwarded-For": forwarded, "Connection": "close"} if forwarded else {"Connection": "close"}
    return requests.post(server.url + "/api/login", json={"username": username, "password": password},
                         headers=headers, timeout=30)


def hammer(server, username, forwarded=None, most=14):
    """Wrong passwords until refused; the 429 answer."""
    for i in range(most):
        answer = attempt(server, username, f"wrong-{i}", forwarded)
        if answer.status_code == 429:
            return answer
        assert answer.status_code == 401
    pytest.fail(f"{most} wrong passwords and never refused")


def test_behind_a_trusted_proxy_attackers_lock_nobody_out(tmp_path):
    server = start_api(tmp_path, workers=2)  # forwarded_allow_ips: 127.0.0.1 and ::1 by default
    try:
        owner, attacker = "10.0.0.7", "203.0.113.66"
        assert attempt(server, "viewer", server.viewer.password, owner).status_code == 200
        refused = hammer(server, "viewer", attacker)
        assert int(refused.headers["Retry-After"]) >= 1 and "too many failed logins" in refused.json()["error"]
        assert attempt(server, "viewer", server.viewer.password, attacker).status_code == 429  # not even checked
        assert attempt(server, "viewer", server.viewer.password, owner).status_code == 200
        assert attempt(server, "viewer", server.viewer.password, "10.0.0.8").status_code == 200  # a new place too
        for i in range(44):  # random names from one address: that address waits, nobody else
            attempt(server, f"random-{i}", "wrong-password", attacker)
        assert attempt(server, "operator", server.operator.password, attacker).status_code == 429
        assert attempt(server, "operator", server.operator.password, "10.0.0.9").status_code == 200
        basic = requests.get(server.url + "/api/me", auth=("viewer", server.viewer.password),
                             headers={"X-Forwarded-For": attacker})
        assert basic.status_code == 401 and "too many failed logins" in basic.json()["error"]
        assert basic.headers["Retry-After"].isdigit()
        assert requests.get(server.url + "/api/me", auth=("viewer", server.viewer.password),
                            headers={"X-Forwarded-For": owner}).status_code == 200
    finally:
        server.stop()


def test_an_untrusted_peer_cannot_choose_its_address_and_the_owner_still_gets_in(tmp_path):
    server = start_api(tmp_path, settings={"forwarded_allow_ips": []})
    try:
        assert attempt(server, "viewer", server.viewer.password).status_code == 200  # the owner, from here
        for i in range(30):  # each claiming another address: all are 127.0.0.1
            attempt(server, "viewer", f"wrong-{i}", forwarded=f"198.51.100.{i}")
        assert attempt(server, "operator", server.operator.password, "198.51.100.200").status_code == 429
        assert attempt(server, "viewer", server.viewer.password, "198.51.100.201").status_code == 200
    finally:
        server.stop()
