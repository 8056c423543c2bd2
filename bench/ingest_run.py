"""One timed batch ingest through the real server of whichever checkout is first on
PYTHONPATH: bench_lifecycle.py runs it for this checkout and for an earlier one (its
--peer), so both are measured by the same client in the same way.

    PYTHONPATH=CHECKOUT:CHECKOUT/bench python bench/ingest_run.py ALERTS.json BATCH

ALERTS.json holds {"preload": [...], "alerts": [...]}: the preload goes in untimed,
then the alerts are timed. Prints one JSON line: alerts/s of wall time, alerts per
CPU second of the server's workers, and the number of alerts stored after.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import requests

from proc_stats import children_pids, cpu_seconds
from tests.support.api_server import start_api


def post_all(session, url, alerts, batch):
    for i in range(0, len(alerts), batch):
        session.post(url, json=alerts[i:i + batch]).raise_for_status()


def run(preload, alerts, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_api(Path(tmp) / "api")
        try:
            session = requests.Session()
            session.headers.update(server.operator.headers)
            url = server.url + "/api/alert"
            post_all(session, url, preload, batch)
            workers = children_pids(server.process.pid)
            cpu_before = cpu_seconds(workers)
            start = time.perf_counter()
            post_all(session, url, alerts, batch)
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(workers) - cpu_before
            count = session.get(url, params={"limit": 1}).json()["count"]
        finally:
            server.stop()
    return {"rate": len(alerts) / elapsed, "cpu_rate": len(alerts) / cpu, "count": count}


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    data = json.loads(Path(args[0]).read_text())
    print(json.dumps(run(data["preload"], data["alerts"], int(args[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
