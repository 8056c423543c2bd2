"""How the API keeps answering a normal client while others misbehave, side by side
for the server models considered (each serving the same app and database):

  - gthread:  gunicorn gthread, 2 workers x 4 threads, limit_request_line 0 (the
              model before; Bottle de-chunks bodies gunicorn already de-chunked)
  - gevent:   gunicorn gevent workers, 2 workers (needs `pip install gevent`)
  - waitress: waitress, one process, 4 threads (needs `pip install waitress`)
  - vigie:    `api.py serve` as shipped: gunicorn asyncio workers, 2 x 4 threads,
              requests read whole on the event loop (vigie/api/worker.py, wsgi_bridge.py)

For each: a client asks GET /api/alert?limit=10 (bearer token, a new connection
each time) for a few seconds, alone, then during each attack; p50 / p99 latency in
ms, a request failing or over 5 s counted as 5,000 ms. Then the time a 1 MiB
chunked body takes, and requests per second with wrk (16 connections) when no
one misbehaves: what the model costs.

    .venv/bin/python bench/bench_api_abuse.py [--seconds 8] [--only vigie,gthread]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from tests.support.abuse import attack, chunked_request, probe  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from tests.support.api_wsgi import alert  # noqa: E402

PEER = """
import sys
from vigie.api.app import make_app
from vigie.api.server import GunicornApp, bind_socket
kind, db, www, machines, port = sys.argv[1:6]
factory = lambda: make_app(db, www, machines, {})
if kind == "waitress":
    import waitress
    waitress.serve(factory(), host="127.0.0.1", port=int(port), threads=4, _quiet=True)
else:
    sock = bind_socket("127.0.0.1", int(port))
    options = {"bind": [f"fd://{sock.fileno()}"], "workers": 2, "timeout": 30, "keepalive": 5,
               "control_socket_disable": True, "loglevel": "warning"}
    if kind == "gthread":
        options.update(worker_class="gthread", threads=4, limit_request_line=0)
    else:
        options.update(worker_class="gevent", worker_connections=1000, limit_request_line=8190)
    GunicornApp(factory, options).run()
"""

PEERS = ("gthread", "gevent", "waitress", "vigie")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available(kind) -> bool:
    module = {"gevent": "gevent", "waitress": "waitress"}.get(kind)
    if module is None:
        return True
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


class Peer:
    """A peer server on the same database as the Vigie server (idle meanwhile)."""

    def __init__(self, kind, vigie):
        self.kind, self.vigie = kind, vigie
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-c", PEER, self.kind, str(self.vigie.db_path), str(self.vigie.www_dir),
             str(self.vigie.machines_dir), str(self.port)], cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not start")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def wrk_rate(url, token, seconds=5) -> float:
    if not shutil.which("wrk"):
        return float("nan")
    out = subprocess.run(["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "-H", f"Authorization: Bearer {token}",
                          url], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return float("nan")


def measure(url, token, writer_token, seconds) -> dict:
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1])
    target = url + "/api/alert?limit=10"
    headers = {"Authorization": f"Bearer {token}"}
    figures = {"alone": probe(target, seconds, headers)}
    attacks = {
        "64 slow-header clients": ("SlowHeaders", {"connections": 64, "interval": 2.0}),
        "8 clients sending 10 MiB request lines": ("LongRequestLines", {"connections": 8}),
        "32 slow-body clients": ("SlowBodies", {"connections": 32, "interval": 1.0}),
    }
    for name, (kind, options) in attacks.items():
        with attack(kind, host, port, **options):
            time.sleep(1.0)
            figures[name] = probe(target, seconds, headers)
    body = json.dumps([alert(message="x" * 900)] * 1000).encode()
    status, _, taken = chunked_request(host, port, "/api/alert", body, {"Authorization": f"Bearer {writer_token}"},
                                       chunk=1024, timeout=120)
    figures["chunked"] = {"status": status, "seconds": taken, "size": len(body)}
    figures["rate"] = wrk_rate(url + "/api/alert/1", token)
    return figures


def cell(figure) -> str:
    fails = f" ({figure['failed']} failed)" if figure["failed"] else ""
    return f"{figure['p50']:.0f} / {figure['p99']:.0f}{fails}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="probe time per scenario (default: 8)")
    parser.add_argument("--only", default=",".join(PEERS), help="comma-separated peers (default: all)")
    args = parser.parse_args(argv)
    kinds = [k for k in args.only.split(",") if k in PEERS]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        vigie = start_api(tmp, workers=2, threads=4)
        try:
            requests.post(vigie.url + "/api/alert", json=[alert(message=f"m{i}") for i in range(200)],
                          headers=vigie.operator.headers).raise_for_status()
            token = vigie.viewer.token
            for kind in kinds:
                if not available(kind):
                    print(f"{kind}: not installed, skipped", flush=True)
                    continue
                print(f"{kind} ... ", end="", flush=True)
                if kind == "vigie":
                    results[kind] = measure(vigie.url, token, vigie.operator.token, args.seconds)
                else:
                    with Peer(kind, vigie) as peer:
                        results[kind] = measure(peer.url, token, vigie.operator.token, args.seconds)
                print("done", flush=True)
        finally:
            vigie.stop()
    kinds = list(results)
    print(f"\nload average {os.getloadavg()[0]:.1f}; GET /api/alert?limit=10, p50 / p99 ms (failed of the requests)")
    print(f"{'':42}" + "".join(f"{k:>24}" for k in kinds))
    for scenario in ("alone", "64 slow-header clients", "8 clients sending 10 MiB request lines", "32 slow-body clients"):
        print(f"{scenario:42}" + "".join(f"{cell(results[k][scenario]):>24}" for k in kinds))
    print(f"{'1 MiB chunked batch: status, seconds':42}"
          + "".join(f"{results[k]['chunked']['status']:>16} {results[k]['chunked']['seconds']:6.2f} s" for k in kinds))
    print(f"{'GET /api/alert/1, req/s (wrk, 16 conns)':42}" + "".join(f"{results[k]['rate']:>24.0f}" for k in kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
