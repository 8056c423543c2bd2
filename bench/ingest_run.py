"""One timed batch ingest through the real server of whichever checkout is first on
PYTHONPATH: bench_lifecycle.py runs it for this checkout and for an earlier one (its
--peer), so both are measured by the same client in the same way.

    PYTHONPATH=CHECKOUT:CHECKOUT/bench python bench/ingest_run.py ALERTS.json BATCH [--in-process]

ALERTS.json holds {"preload": [...], "alerts": [...]}: the preload goes in untimed,
then the alerts are timed, sent as the watcher sends them (compact JSON, one batch at
a time on one kept-alive connection). Prints one JSON line: alerts/s of wall time, alerts per
CPU second of the server's workers, and the number of alerts stored after. With
--in-process, no server: the alerts (checked by vigie.alert.normalize_alert) go
straight to vigie.db.insert_alerts in this process, and its CPU is counted.
"""

import http.client
import json
import sys
import tempfile
import time
from pathlib import Path

import requests

from proc_stats import children_pids, cpu_seconds
from tests.support.api_server import start_api


def encode(alerts) -> bytes:
    """What the watcher sends: compact JSON in UTF-8, as collector/watch/api_client.py
    encodes it. Written here rather than imported: the code under test is first on the
    path, and the earlier codes compared have no such function, while every code must
    be fed by the same client."""
    return json.dumps(alerts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_all(conn, headers, alerts, batch):
    """One batch at a time on one kept-alive connection, as the watcher sends them."""
    for i in range(0, len(alerts), batch):
        conn.request("POST", "/api/alert", encode(alerts[i:i + batch]), headers)
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 201:
            raise SystemExit(f"POST /api/alert: HTTP {answer.status}: {text[:300]!r}")


def run(preload, alerts, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_api(Path(tmp) / "api")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            headers = dict(server.operator.headers, **{"Content-Type": "application/json"})
            post_all(conn, headers, preload, batch)
            workers = children_pids(server.process.pid)
            cpu_before = cpu_seconds(workers)
            start = time.perf_counter()
            post_all(conn, headers, alerts, batch)
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(workers) - cpu_before
            conn.close()
            count = requests.get(server.url + "/api/alert", params={"limit": 1},
                                 headers=server.operator.headers).json()["count"]
        finally:
            server.stop()
    return {"rate": len(alerts) / elapsed, "cpu_rate": len(alerts) / cpu, "count": count}


def run_in_process(preload, alerts, batch: int) -> dict:
    from vigie import db
    from vigie.alert import normalize_alert

    def insert_all(conn, items):
        for i in range(0, len(items), batch):
            db.insert_alerts(conn, [dict(normalize_alert(a), source_id=a.get("source_id")) for a in items[i:i + batch]])

    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Path(tmp) / "vigie.db")
        insert_all(conn, preload)
        cpu_before, start = time.process_time(), time.perf_counter()
        insert_all(conn, alerts)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_before
        count = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        conn.close()
    return {"rate": len(alerts) / elapsed, "cpu_rate": len(alerts) / cpu, "count": count}


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] in ("-h", "--help") or args[2:] not in ([], ["--in-process"]):
        print(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    data = json.loads(Path(args[0]).read_text())
    measure = run_in_process if args[2:] else run
    print(json.dumps(measure(data["preload"], data["alerts"], int(args[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
