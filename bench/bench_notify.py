"""Notifications: latency from an alert's POST to the mail at a real SMTP server, and a
storm of 10,000 alerts in one minute.

    .venv/bin/python bench/bench_notify.py [--latency-alerts 60] [--storm 10000]

Latency: the real API (gunicorn), the notifier process (`python -m vigie.notify`) and
aiosmtpd as its own process; a rule with group wait 0 sends each alert to a mailto://
channel. Measured from the moment POST /api/alert answers to the moment the mail is
in the SMTP server's Maildir, side by side with the same mail sent straight by the
channel layer (the floor). Goal: p99 <= 2 s.

Storm: 10,000 alerts posted in batches of 100 over one minute, with no rule and then
with two rules matching them (group wait 30 s): the API's ingest rate side by side
(goal: within 1.5x), then the messages the notifier makes of them (goal: at most one
per rule and group window).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from bench_api_ingest import make_alerts  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from tests.support.notifier import NotifierProcess  # noqa: E402
from tests.support.smtp_server import SmtpServer  # noqa: E402
from vigie import db  # noqa: E402
from vigie.notify import channels  # noqa: E402

GOAL_P99_SECONDS = 2.0
GOAL_RATIO = 1.5


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def wait_for_mail(maildir: Path, count: int, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = maildir / "new"
        if new.exists() and len(os.listdir(new)) >= count:
            return time.monotonic()
        time.sleep(0.002)
    raise RuntimeError(f"mail {count} did not arrive")


def latency(tmp: Path, count: int):
    smtp = SmtpServer(tmp / "smtp").start()
    server = start_api(tmp / "api")
    notifier = NotifierProcess(server.db_path, tmp, site_url=server.url,
                               extra_args=["--tick", "0.1"]).start()
    try:
        admin = requests.Session()
        admin.headers.update(server.admin.headers)
        admin.post(f"{server.url}/api/notify/channel", json={"name": "mail", "url": smtp.mailto()}).raise_for_status()
        admin.post(f"{server.url}/api/notify/rule", json={"name": "now", "steps": [{"channels": ["mail"]}],
                                                          "group_wait_seconds": 0}).raise_for_status()
        time.sleep(1.0)  # the notifier has taken its first look
        seconds = []
        for i, alert in enumerate(make_alerts(count, seed=11, with_source_id=False)):
            alert["severity"] = "CRITICAL"
            response = admin.post(f"{server.url}/api/alert", json=alert)
            answered = time.monotonic()
            response.raise_for_status()
            seconds.append(wait_for_mail(smtp.maildir, i + 1) - answered)
            time.sleep(0.1)
        floor = []
        for i in range(count // 3):
            started = time.monotonic()
            assert channels.deliver(smtp.mailto(), {"title": "t", "body": "b", "type": "info"}).ok
            floor.append(time.monotonic() - started)
        return seconds, floor
    finally:
        notifier.stop()
        server.stop()
        smtp.stop()


def ingest_rate(tmp: Path, alerts, rules: bool, pace_seconds: float, notify: bool = True):
    """(alerts/s while posting, messages per rule, alerts told): the batches paced over
    a minute, the notifier running beside the API when there are rules."""
    server = start_api(tmp)
    notifier = None
    try:
        admin = requests.Session()
        admin.headers.update(server.admin.headers)
        if rules:
            admin.post(f"{server.url}/api/notify/channel",
                       json={"name": "hook", "url": "json://127.0.0.1:9/hook"}).raise_for_status()
            for name in ("all", "critical"):
                admin.post(f"{server.url}/api/notify/rule", json={
                    "name": name, "steps": [{"channels": ["hook"]}],
                    "match": {"min_severity": "CRITICAL" if name == "critical" else "INFO"}}).raise_for_status()
            if notify:
                notifier = NotifierProcess(server.db_path, tmp, site_url=server.url).start()
                time.sleep(1.0)
        session = requests.Session()
        session.headers.update(server.operator.headers)
        batches = [alerts[i:i + 100] for i in range(0, len(alerts), 100)]
        busy = 0.0
        started = time.monotonic()
        for index, batch in enumerate(batches):
            before = time.perf_counter()
            session.post(f"{server.url}/api/alert", json=batch).raise_for_status()
            busy += time.perf_counter() - before
            wait = started + (index + 1) * pace_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        messages, told = {}, 0
        if notifier:
            time.sleep(32)  # the last group window closes
            conn = db.connect(server.db_path, readonly=True)
            messages = dict(conn.execute(
                "SELECT r.name, COUNT(*) FROM notify_messages m JOIN notify_rules r ON r.id = m.rule_id"
                " GROUP BY r.name").fetchall())
            told = conn.execute("SELECT COUNT(DISTINCT alert_id) FROM notify_message_alerts").fetchone()[0]
            conn.close()
        return len(alerts) / busy, messages, told
    finally:
        if notifier:
            notifier.stop()
        server.stop()


def storm(tmp: Path, count: int, rounds: int = 3):
    """Ingest rates as fast as the API takes them (median of `rounds`, with and without
    rules, alternating), then one storm paced over a minute with the notifier running."""
    alerts = make_alerts(count, seed=5)
    plain, ruled = [], []
    for i in range(rounds):
        plain.append(ingest_rate(tmp / f"plain{i}", alerts, rules=False, pace_seconds=0)[0])
        ruled.append(ingest_rate(tmp / f"rules{i}", alerts, rules=True, pace_seconds=0, notify=False)[0])
    pace = 60.0 / (count / 100)  # the batches spread over one minute
    _, messages, told = ingest_rate(tmp / "storm", alerts, rules=True, pace_seconds=pace)
    return statistics.median(plain), statistics.median(ruled), messages, told


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-alerts", type=int, default=60)
    parser.add_argument("--storm", type=int, default=10000)
    args = parser.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, floor = latency(Path(tmp) / "latency", args.latency_alerts)
        p50, p99 = statistics.median(seconds), percentile(seconds, 0.99)
        print(f"POST -> mail at the SMTP server ({len(seconds)} alerts, group wait 0): "
              f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms "
              f"(goal p99 <= {GOAL_P99_SECONDS:g} s: {'met' if p99 <= GOAL_P99_SECONDS else 'MISSED'})")
        print(f"  same mail sent straight by the channel layer: p50 {statistics.median(floor) * 1000:.0f} ms")
        plain, ruled, messages, told = storm(Path(tmp) / "storm", args.storm)
        ratio = plain / ruled
        print(f"ingest of {args.storm} alerts in batches of 100, median of 3: {plain:,.0f} alerts/s "
              f"without rules, {ruled:,.0f} with two rules matching them (x{ratio:.2f}, goal within "
              f"x{GOAL_RATIO:g}: {'met' if ratio <= GOAL_RATIO else 'MISSED'})")
        windows = 3  # a minute of arrivals meets at most three 30 s windows
        print(f"  the same {args.storm} alerts spread over one minute, notifier running: messages per rule "
              f"(group wait 30 s): {messages}, at most {windows} allowed "
              f"({'met' if messages and max(messages.values()) <= windows else 'MISSED'}); "
              f"{told} distinct alerts told (INFO ones are resolved from the start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
