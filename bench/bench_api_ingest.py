"""Batch ingest: alerts per second through POST /api/alert in batches of 1,000 (the
real server: gunicorn, HTTP, JSON, checks, idempotency lookups), side by side with raw
sqlite3 executemany into the same schema (the limit).

    .venv/bin/python bench/bench_api_ingest.py [--alerts 50000] [--batch 1000]

Goal: >= 20,000 alerts/s, within 5x of raw.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from tests.support.api_server import start_api  # noqa: E402
from vigie import db  # noqa: E402
from vigie.alert import FIELDS  # noqa: E402
from vigie.alert_file import source_id  # noqa: E402
from proc_stats import cpu_seconds  # noqa: E402

GOAL_PER_SECOND = 20000
GOAL_RATIO = 5.0
START = datetime(2026, 11, 1, tzinfo=timezone.utc)


def make_alerts(count: int, seed: int = 3, with_source_id: bool = True, first: int = 0) -> list:
    """`count` varied alerts, two seconds apart from START + 2 * first seconds."""
    rnd = random.Random(seed)
    severities = ("CRITICAL", "ERROR", "WARNING", "INFO")
    alerts = []
    for i in range(first, first + count):
        moment = START + timedelta(seconds=i * 2)  # alerts arrive roughly in time order
        record = {"timestamp": moment.isoformat(),
                  "server": f"srv-{rnd.randrange(200):03d}", "severity": rnd.choice(severities),
                  "message": f"Event {i}: disk usage at {rnd.randrange(100)}% on /var",
                  "provider": rnd.choice(("Acme", "NetOps", "CloudCo")),
                  "application": rnd.choice(("billing", "shop", "crm", "mail")),
                  "environment": rnd.choice(("prod", "preprod", "testing", "dev"))}
        if with_source_id:
            # the watcher's key, a hash: each lands at a place of its own in the index of
            # keys, as real ones do (counting keys would all land at its end)
            record["source_id"] = source_id(record, f"alert-{i}.txt")
        alerts.append(record)
    return alerts


def api_rate(tmp, alerts, batch: int) -> float:
    server = start_api(Path(tmp) / "api")
    try:
        session = requests.Session()
        session.headers.update(server.operator.headers)
        workers = [int(p) for p in Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
                   .read_text().split()]
        cpu_before = cpu_seconds(workers)
        start = time.perf_counter()
        for i in range(0, len(alerts), batch):
            answer = session.post(server.url + "/api/alert", json=alerts[i:i + batch])
            answer.raise_for_status()
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(workers) - cpu_before
        count = session.get(server.url + "/api/alert", params={"limit": 1}).json()["count"]
        assert count == len(alerts), (count, len(alerts))
        return len(alerts) / elapsed, len(alerts) / cpu
    finally:
        server.stop()


def raw_rate(tmp, alerts, batch: int) -> float:
    conn = db.connect(Path(tmp) / "raw.db")
    rows = [tuple(a[f] for f in FIELDS) + (a.get("source_id"), db.utc_now()) for a in alerts]
    sql = ("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
           " source_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    cpu_before = time.process_time()
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        with db.transaction(conn):
            conn.executemany(sql, rows[i:i + batch])
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    conn.close()
    return len(rows) / elapsed, len(rows) / cpu




def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50000, help="alerts to send (default 50,000)")
    parser.add_argument("--batch", type=int, default=1000, help="alerts per request (default 1,000)")
    args = parser.parse_args(argv)
    rows = []
    for label, with_id in (("with source_id (as the watcher sends)", True), ("without source_id", False)):
        alerts = make_alerts(args.alerts, with_source_id=with_id)
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{label}: API ... ", end="", flush=True)
            api = api_rate(tmp, alerts, args.batch)
            print("raw ... ", end="", flush=True)
            raw = raw_rate(tmp, alerts, args.batch)
            print("done")
        rows.append((label, api, raw))
    print(f"\n{args.alerts:,} alerts in batches of {args.batch:,}; alerts per second of wall time, and per "
          f"CPU second used by the server (API) or the process (raw)\n")
    print(f"{'':40}{'POST /api/alert':>18}{'raw executemany':>18}{'raw / API':>12}")
    for label, api, raw in rows:
        print(f"{label + ' (wall)':40}{api[0]:>18,.0f}{raw[0]:>18,.0f}{raw[0] / api[0]:>12.1f}x")
        print(f"{label + ' (per CPU s)':40}{api[1]:>18,.0f}{raw[1]:>18,.0f}{raw[1] / api[1]:>12.1f}x")
    print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares them)")
    api, raw = rows[0][1][0], rows[0][2][0]
    met = api >= GOAL_PER_SECOND and raw / api <= GOAL_RATIO
    print(f"\ngoal >= {GOAL_PER_SECOND:,}/s and within {GOAL_RATIO:.0f}x of raw: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
