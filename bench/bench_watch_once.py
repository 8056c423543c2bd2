"""Watcher --once throughput: 10,000 alert files into an empty database.

The files come from the real chain (collector.generate -> collector/split_alerts.sh).
Side by side: the same 10,000 alerts posted to the API as one batch, the API's
ceiling for this much data. Goal: the watcher run takes <= 5 s end to end
(interpreter start, claiming, parsing, sending, moving every file to done/).

    .venv/bin/python bench/bench_watch_once.py [--count N] [--batch-size N]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from vigie.alert_file import parse_bytes, source_id  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402

GOAL_SECONDS = 5.0


def make_files(root: Path, count: int) -> Path:
    csv = root / "alerts.csv"
    drop = root / "alertfiles"
    subprocess.run([sys.executable, "-m", "collector.generate", "--count", str(count), "--seed", "4",
                    "--out", str(csv), "--no-progress"], cwd=REPO_ROOT, check=True)
    subprocess.run(["bash", "collector/split_alerts.sh", str(csv), str(drop)], cwd=REPO_ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return drop


def count_rows(server) -> int:
    answer = requests.get(server.url + "/api/alert", params={"limit": 1}, headers=server.viewer.headers, timeout=30)
    return answer.json()["count"]


def time_watcher(root: Path, drop: Path, batch_size: int) -> tuple:
    server = start_api(root / "watcher-api")
    try:
        token = root / "watcher.token"
        token.write_text(server.operator.token + "\n")
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "collector.watch", "--once", "--dir", str(drop),
                              "--api", server.url, "--token-file", str(token), "--batch-size", str(batch_size),
                              "--quiet"], cwd=REPO_ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if run.returncode != 0:
            raise SystemExit(f"watcher failed ({run.returncode}):\n{run.stderr}")
        return seconds, count_rows(server)
    finally:
        server.stop()


def time_one_batch(root: Path, alerts: list) -> tuple:
    server = start_api(root / "batch-api")
    try:
        body = json.dumps(alerts).encode()
        headers = dict(server.operator.headers, **{"Content-Type": "application/json"})
        started = time.perf_counter()
        answer = requests.post(server.url + "/api/alert", data=body, headers=headers, timeout=300)
        seconds = time.perf_counter() - started
        answer.raise_for_status()
        return seconds, count_rows(server)
    finally:
        server.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="alert files (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=500, help="watcher batch size (default %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        root = Path(tmp)
        drop = make_files(root, args.count)
        files = sorted(drop.glob("*.txt"))
        alerts = []
        for path in files:
            record = parse_bytes(path.read_bytes())
            record["source_id"] = source_id(record, path.name)
            alerts.append(record)
        batch_s, batch_rows = time_one_batch(root, alerts)
        watch_s, watch_rows = time_watcher(root, drop, args.batch_size)
        done = len(list((drop / "done").glob("*.txt")))
    print(f"watcher --once: {len(files)} alert files from the splitter into an empty database")
    print(f"  {'':34} {'seconds':>8} {'alerts/s':>9} {'rows':>6}")
    print(f"  {'watcher --once (end to end)':34} {watch_s:8.2f} {len(files) / watch_s:9.0f} {watch_rows:6d}")
    print(f"  {'one POST of every alert (ceiling)':34} {batch_s:8.2f} {len(files) / batch_s:9.0f} {batch_rows:6d}")
    print(f"  ratio watcher / one batch: {watch_s / batch_s:.1f}x; files in done/: {done}")
    verdict = "met" if watch_s <= GOAL_SECONDS else "MISSED"
    print(f"  goal <= {GOAL_SECONDS:.0f} s for the watcher: {verdict}")
    return 0 if watch_rows == batch_rows == len(files) == done else 1


if __name__ == "__main__":
    sys.exit(main())
