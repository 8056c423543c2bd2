"""The channel policy: no channel sends to link-local or cloud metadata addresses (when
saved, and again when a message leaves), none sets HTTP headers unless allowed, no
redirect is followed; and a viewer sees only that a delivery failed, never what the
channel answered."""

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.api_server import REPO_ROOT
from tests.support.api_wsgi import Api, alert
from tests.support.receivers import Receiver
from vigie import db
from vigie.notify import channels
from vigie.notify.rules import normalize_rule


@pytest.mark.parametrize("url, refused", [
    ("json://169.254.169.254/latest/meta-data", True), ("alertmanager://169.254.10.1:9093", True),
    ("json://[fe80::1]:8080/hook", True), ("json://metadata.google.internal/computeMetadata", True),
    ("json://100.100.100.200/latest", True), ("json://127.0.0.1:8080/hook?+Metadata-Flavor=Google", True),
    ("json://127.0.0.1:8080/hook", False), ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", False),
    ("alertmanager://127.0.0.1:9093", False),
])
def test_what_the_default_policy_refuses(url, refused):
    assert (channels.policy_problem(url) is not None) is refused


MAIL_TO_LITERALS = [
    "mailto://user:pw@[fe80::1]?to=ops@example.org", "mailto://user:pw@[fd00:ec2::254]:25?to=ops@example.org",
    "mailtos://user:pw@[fe80::1%25eth0]:587?to=ops@example.org", "mailto://[fd00:ec2::254]/ops@example.org?from=v@x.org",
    "mailto://user:pw@example.org?smtp=[fe80::1]:25&to=ops@example.org",
    "mailto://user:pw@example.org?smtp=[fd00:ec2::254]&to=ops@example.org",
    "mailto://user:pw@example.org?smtp=169.254.169.254:25&to=ops@example.org",
]


@pytest.mark.parametrize("url", MAIL_TO_LITERALS)
def test_mail_to_an_address_literal_is_refused_by_the_policy(url, tmp_path):
    assert channels.policy_problem(url) is not None
    outcome = channels.deliver(url, {"title": "t", "body": "b", "type": "info"})
    assert not outcome.ok and outcome.answer.startswith("not sent:") and "policy" in outcome.answer
    answer = Api(tmp_path).call("POST", "/api/notify/channel", json={"name": "c", "url": url})
    assert answer.status == 400 and answer.json["field"] == "url" and "policy" in answer.json["error"]


def test_a_refused_channel_is_never_sent_to():
    outcome = channels.deliver("json://169.254.169.254/latest", {"title": "t", "body": "b", "type": "info"})
    assert not outcome.ok and outcome.answer.startswith("not sent:")
    opened = channels.Policy(refused_networks=(), headers=True)
    assert channels.policy_problem("json://169.254.169.254/x?+Host=a", opened) is None


def test_saving_a_channel_keeps_to_the_policy_and_the_policy_is_a_setting(tmp_path):
    api = Api(tmp_path / "strict")
    for url in ("json://169.254.169.254/latest", "json://127.0.0.1:8080/hook?+Host=internal"):
        answer = api.call("POST", "/api/notify/channel", json={"name": "c", "url": url})
        assert answer.status == 400 and answer.json["field"] == "url" and "policy" in answer.json["error"]
        assert "169.254" not in answer.json["error"] and "internal" not in answer.json["error"]
    opened = Api(tmp_path / "open", channel_refused_networks=[], channel_headers=True)
    for url in ("json://169.254.169.254/latest", "json://127.0.0.1:8080/hook?+Host=internal"):
        assert opened.call("POST", "/api/notify/channel", json={"name": "c", "url": url}).status in (200, 201)


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.server.hits.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.redirect_to:
            self.send_response(307)
            self.send_header("Location", self.server.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(redirect_to=None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.hits, server.redirect_to = [], redirect_to
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("scheme", ["json", "alertmanager"])
def test_a_redirect_is_a_failure_and_never_followed(scheme):
    elsewhere = serve()
    hop = serve(redirect_to=f"http://127.0.0.1:{elsewhere.server_address[1]}/stolen")
    try:
        url = f"{scheme}://127.0.0.1:{hop.server_address[1]}/hook"
        message = {"title": "t", "body": "b", "type": "info", "alerts": []}
        outcome = channels.deliver(url, message)
        assert not outcome.ok and hop.hits and elsewhere.hits == []
    finally:
        for server in (hop, elsewhere):
            server.shutdown()
            server.server_close()


def test_a_viewer_sees_that_a_delivery_failed_not_the_channels_answer(tmp_path):
    api = Api(tmp_path)
    alert_id = api.call("POST", "/api/alert", json=alert()).json["id"]
    conn = api.conn
    channel = db.notify.put_channel(conn, "ops", "json://127.0.0.1:9/hook")
    now = db.utc_now()
    with db.transaction(conn):
        message_id = db.notify.add_to_group(conn, None, channel["id"], alert_id, "opened", now, now)
    attempt = db.notify.start_attempt(conn, message_id, now)
    db.notify.finish_attempt(conn, attempt, message_id, False, "Failed to send to secret-host.internal:9", now,
                             retry_at=now, channel_id=channel["id"])
    seen = api.call("GET", f"/api/alert/{alert_id}/notifications", "viewer").json["results"]
    assert seen and "secret-host" not in str(seen)
    assert seen[0]["attempts"][0]["answer"] == "delivery failed" and seen[0]["last_error"] == "delivery failed"
    admin = api.call("GET", f"/api/alert/{alert_id}/notifications", "admin").json["results"]
    assert "secret-host.internal" in admin[0]["attempts"][0]["answer"]


def notify_once(tmp_path, url, api_section) -> tuple:
    """An alert a rule sends to the channel `url`; `python -m vigie.notify --once` with the
    configuration file's [api] section holding `api_section`: (its exit status, the
    message's last error, what it logged)."""
    conn = db.connect(tmp_path / "vigie.db")
    try:
        db.notify.put_channel(conn, "hook", url)
        db.notify.put_rule(conn, normalize_rule({"name": "ops", "group_wait_seconds": 0,
                                                 "steps": [{"channels": ["hook"]}]}))
        db.insert_alerts(conn, [dict(alert(), severity="CRITICAL")])
        (tmp_path / "vigie.toml").write_text("[api]\n" + api_section)
        run = subprocess.run([sys.executable, "-m", "vigie.notify", "--config", str(tmp_path / "vigie.toml"),
                              "--db", str(tmp_path / "vigie.db"), "--once", "--heartbeat-dir", ""],
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        [message] = conn.execute("SELECT last_error FROM notify_messages").fetchall()
        return run.returncode, message[0], run.stderr
    finally:
        conn.close()


def test_a_message_leaves_under_the_channel_policy_of_the_configuration(tmp_path):
    hook = Receiver().start()
    try:
        # headers allowed: a channel the API saved under that policy is delivered, header and all
        opened = tmp_path / "opened"
        opened.mkdir()
        status, error, log = notify_once(opened, f"json://127.0.0.1:{hook.port}/hook?+X-Team=ops",
                                         "channel_headers = true\n")
        assert status == 0 and error is None, log
        assert [a.headers.get("X-Team") for a in hook.wait_for(1)] == ["ops"]
        # this network refused: nothing leaves, and the attempt says why
        strict = tmp_path / "strict"
        strict.mkdir()
        status, error, log = notify_once(strict, f"json://127.0.0.1:{hook.port}/hook",
                                         'channel_refused_networks = ["127.0.0.0/8"]\n')
        assert error.startswith("not sent:") and "channel_refused_networks" in error, log
        assert len(hook.received()) == 1
    finally:
        hook.stop()
