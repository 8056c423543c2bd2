"""Requests per second and p99 latency with 16 concurrent clients (wrk), side by side:
the API as `api.py serve` runs it (gunicorn) and the same app under Bottle's
development server (wsgiref). Also the peak RSS of each gunicorn worker.

    .venv/bin/python bench/bench_api_requests.py [--seconds 10] [--connections 16]

Goals: GET /api/alert/<id> >= 2,000 req/s on 2 cores; peak RSS per worker <= 80 MB.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from tests.support.api_server import start_api  # noqa: E402
from tests.support.api_wsgi import alert  # noqa: E402
from proc_stats import cpu_seconds, worker_peak_rss_mb  # noqa: E402

GET_GOAL = 2000
RSS_GOAL_MB = 80

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = '%s'
"""

DEV_SERVER = """
import bottle
from vigie.api.app import make_app
app = make_app(%r, %r, %r, {})
bottle.run(app, host="127.0.0.1", port=%d, server="wsgiref", quiet=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, seconds, connections, token, script=None):
    """(requests/s, p99 ms, non-2xx count) from one wrk run."""
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
           "-H", f"Authorization: Bearer {token}", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rate, p99, int(bad.group(1)) if bad else 0, errors.group(0) if errors else ""






def server_pids(master_pid, workers: bool) -> list:
    if not workers:
        return [master_pid]
    return [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]


def measure(base, token, alert_id, seconds, connections, tmp, pids):
    """[(req/s, p99 ms, non-2xx, socket errors, server CPU ms per request)] for GET then POST."""
    script = Path(tmp) / f"post-{free_port()}.lua"
    body = json.dumps(alert(message="bench single post"))
    script.write_text(POST_LUA % (token, body))
    results = []
    for url, lua in ((f"{base}/api/alert/{alert_id}", None), (f"{base}/api/alert", str(script))):
        before = cpu_seconds(pids)
        rate, p99, bad, errors = wrk(url, seconds, connections, token, lua)
        used = cpu_seconds(pids) - before
        results.append((rate, p99, bad, errors, used * 1000 / max(1, rate * seconds)))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk (see requirements-apt-test.txt)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        server = start_api(Path(tmp) / "g", workers=args.workers, threads=args.threads)
        try:
            token = server.operator.token
            alert_id = requests.post(server.url + "/api/alert", json=alert(),
                                     headers=server.operator.headers).json()["id"]
            print(f"api.py serve {args.workers}x{args.threads} ... ", end="", flush=True)
            g_get, g_post = measure(server.url, token, alert_id, args.seconds, args.connections, tmp,
                                    server_pids(server.process.pid, True))
            rss = worker_peak_rss_mb(server.process.pid)
            print("done")
        finally:
            server.stop()
        port = free_port()
        dev = subprocess.Popen([sys.executable, "-c", DEV_SERVER % (str(server.db_path),
                                                                     str(server.www_dir), str(server.machines_dir),
                                                                     port)], stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    requests.get(base + "/api/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            print("bottle wsgiref dev server ... ", end="", flush=True)
            d_get, d_post = measure(base, token, alert_id, args.seconds, args.connections, tmp, [dev.pid])
            print("done")
        finally:
            dev.terminate()
            dev.wait()
    print(f"\n{args.connections} concurrent clients, {args.seconds} s per run (wrk)\n")
    print(f"{'':34}{'api.py serve':>22}{'bottle dev server':>22}")
    for name, g, d in (("GET /api/alert/<id>", g_get, d_get), ("POST /api/alert (one alert)", g_post, d_post)):
        print(f"{name + '  req/s':34}{g[0]:>22,.0f}{d[0]:>22,.0f}")
        print(f"{name + '  p99 ms':34}{g[1]:>22.1f}{d[1]:>22.1f}")
        print(f"{name + '  server CPU ms/req':34}{g[4]:>22.2f}{d[4]:>22.2f}")
        if g[2] or d[2] or g[3] or d[3]:
            print(f"{name + '  errors':34}{g[2]:>22}{d[2]:>22}  {g[3]} {d[3]}")
    cores = os.cpu_count()
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {cores} cores (other work shares them)")
    print(f"capacity from CPU cost, GET on {cores} cores: gunicorn {cores * 1000 / g_get[4]:,.0f} req/s, "
          f"dev server {1000 / d_get[4]:,.0f} req/s (one thread, one core at most)")
    print(f"peak RSS per gunicorn worker: {', '.join(f'{r:.1f} MB' for r in rss)} (goal <= {RSS_GOAL_MB} MB)")
    print(f"GET goal >= {GET_GOAL} req/s: {'met' if g_get[0] >= GET_GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
