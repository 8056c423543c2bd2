"""The alertmanager:// channel against Debian's prometheus-alertmanager: an alert Vigie
tells of shows in Alertmanager's API as active, is posted again while it fires, and
ends when Vigie resolves it."""

import shutil
import subprocess
import time

import pytest
import requests

from tests.support.smtp_server import free_tcp_port
from vigie import db
from vigie.notify.daemon import Notifier
from vigie.notify.rules import normalize_rule

ALERTMANAGER = shutil.which("prometheus-alertmanager")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(ALERTMANAGER is None, reason="prometheus-alertmanager is not installed")]

CONFIG = """
route:
  receiver: nobody
  group_wait: 1h
receivers:
  - name: nobody
"""


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alertmanager")
    (folder / "alertmanager.yml").write_text(CONFIG)
    port = free_tcp_port()
    log = open(folder / "alertmanager.log", "wb")
    process = subprocess.Popen([ALERTMANAGER, f"--config.file={folder / 'alertmanager.yml'}",
                                f"--storage.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                "--cluster.listen-address="], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError((folder / "alertmanager.log").read_text())
    yield url
    process.terminate()
    process.wait(10)
    log.close()


def vigie_alerts(url, active=True):
    found = requests.get(f"{url}/api/v2/alerts", params={"filter": 'alertname="Vigie"', "active": str(active).lower()},
                         timeout=5).json()
    return found


def test_an_alert_fires_in_alertmanager_is_resent_and_ends_when_resolved(alertmanager, tmp_path):
    conn = db.connect(tmp_path / "vigie.db")
    port = alertmanager.rsplit(":", 1)[1]
    db.notify.put_channel(conn, "am", f"alertmanager://127.0.0.1:{port}")
    db.notify.put_rule(conn, normalize_rule({"name": "to-am", "steps": [{"channels": ["am"]}],
                                             "group_wait_seconds": 0}))
    notifier = Notifier(tmp_path / "vigie.db")
    notifier.plan()
    [(alert_id, _)] = db.insert_alerts(conn, [{
        "timestamp": db.utc_now(), "server": "edge-rt-02", "severity": "CRITICAL",
        "message": "Machine is not answering SNMP", "provider": "Acme", "application": "network",
        "environment": "prod"}])
    notifier.plan()
    assert notifier.deliver_due() == 1
    [fired] = vigie_alerts(alertmanager)
    assert fired["labels"] == {"alertname": "Vigie", "vigie_id": str(alert_id), "server": "edge-rt-02",
                               "severity": "critical", "provider": "Acme", "application": "network",
                               "environment": "prod"}
    assert fired["annotations"]["summary"] == "Machine is not answering SNMP"
    assert fired["status"]["state"] == "active"
    first_end = fired["endsAt"]
    time.sleep(1.1)
    assert notifier.resend_to_alertmanagers() == 1  # still firing: posted again, its end pushed back
    [again] = vigie_alerts(alertmanager)
    assert again["endsAt"] > first_end and again["fingerprint"] == fired["fingerprint"]
    db.resolve(conn, alert_id, "alice")
    notifier.plan()
    assert notifier.deliver_due() == 1
    assert vigie_alerts(alertmanager) == []
    assert notifier.resend_to_alertmanagers() == 0  # resolved: nothing more to say
