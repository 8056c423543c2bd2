"""Watcher daemon latency: from an alert file's close to its row visible through the API.

1,000 files are written in place at a steady rate into the folder of a running
`python -m collector.watch`; a reader polls GET /api/alert and notes when each
alert first shows. Goal: p99 <= 1 s. Side by side: the same reader's latency
for alerts POSTed straight to the API, the floor of this measurement.

    .venv/bin/python bench/bench_watch_latency.py [--count N] [--rate PER_SECOND]
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from vigie.alert_file import render  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from tests.support.watcher import WatcherProcess, record  # noqa: E402

GOAL_P99_SECONDS = 1.0


class Reader(threading.Thread):
    """Polls the newest alerts and notes the first time each message is seen."""

    def __init__(self, server, interval=0.01):
        super().__init__(daemon=True)
        self.session = requests.Session()
        self.session.headers.update(server.viewer.headers)
        self.url = server.url + "/api/alert"
        self.interval = interval
        self.seen = {}
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            answer = self.session.get(self.url, params={"ordering": "-id", "limit": 200}, timeout=30)
            now = time.time()
            for alert in answer.json()["results"]:
                self.seen.setdefault(alert["message"], now)
            time.sleep(self.interval)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(server, count, rate, send) -> list:
    reader = Reader(server)
    reader.start()
    closed = {}
    try:
        for i in range(count):
            started = time.time()
            message = send(i)
            closed[message] = time.time()
            time.sleep(max(0.0, 1 / rate - (time.time() - started)))
        deadline = time.time() + 60
        while len(reader.seen.keys() & closed.keys()) < count and time.time() < deadline:
            time.sleep(0.05)
    finally:
        reader.stopping.set()
        reader.join()
    missing = [m for m in closed if m not in reader.seen]
    if missing:
        raise SystemExit(f"{len(missing)} alerts never showed, e.g. {missing[:3]}")
    return [reader.seen[m] - closed[m] for m in closed]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="alert files (default %(default)s)")
    parser.add_argument("--rate", type=float, default=100.0, help="files per second (default %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-watch-latency-") as tmp:
        root = Path(tmp)
        server = start_api(root)
        drop = root / "alertfiles"
        drop.mkdir()
        token = root / "token"
        token.write_text(server.operator.token + "\n")
        watcher = WatcherProcess(drop, server.url, token, log_path=root / "watch.log")
        try:
            watcher.start()
            def drop_file(i):
                with open(drop / f"lat-{i:06d}.txt", "w", encoding="utf-8") as f:
                    f.write(render(record(i, "lat")))
                return f"lat-{i}"

            via_watcher = measure(server, args.count, args.rate, drop_file)

            session = requests.Session()
            session.headers.update(server.operator.headers)

            def post(i):
                session.post(server.url + "/api/alert", json=[record(i, "direct")], timeout=30).raise_for_status()
                return f"direct-{i}"

            direct = measure(server, args.count, args.rate, post)
        finally:
            if watcher.process is not None:
                watcher.stop()
            server.stop()
    print(f"watcher daemon latency: {args.count} files at {args.rate:g}/s, file close -> row seen via GET /api/alert")
    print(f"  {'':32} {'median ms':>9} {'p99 ms':>8} {'max ms':>8}")
    for name, values in (("file -> watcher -> API", via_watcher), ("POST straight to the API (floor)", direct)):
        print(f"  {name:32} {statistics.median(values) * 1000:9.0f} {percentile(values, 0.99) * 1000:8.0f} "
              f"{max(values) * 1000:8.0f}")
    p99 = percentile(via_watcher, 0.99)
    print(f"  goal p99 <= {GOAL_P99_SECONDS * 1000:.0f} ms: {'met' if p99 <= GOAL_P99_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
