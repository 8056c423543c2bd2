"""/metrics for 500 machines x 48 interfaces: bytes and milliseconds to answer, and Prometheus'
scrape duration.

    python bench/bench_metrics.py [--machines 500] [--interfaces 48]

Writes machine files and samples files holding each machine's current state (status, 48
interfaces with rates and counters; no history: what the exposition reads is the current
poll), starts the API (gunicorn, 2 workers x 4 threads), times `GET /metrics` with a
viewer's token (the first call, then with the samples cache warm; plain and gzip), times
`python -m vigie.metrics` writing the file, and lets Debian's Prometheus scrape the API
every 5 s to read its own scrape_duration_seconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.api_server import start_api  # noqa: E402
from tests.support.prometheus import Prometheus, Target  # noqa: E402
from vigie.samples import empty_samples, samples_path, write_samples  # noqa: E402

NOW = time.time()


def write_fleet(machines: Path, samples: Path, count: int, interfaces: int) -> None:
    machines.mkdir(parents=True)
    for m in range(count):
        name = f"sw-{m:04d}"
        (machines / f"{name}.json").write_text(json.dumps({
            "host": f"10.{m // 250}.{m % 250}.1", "snmp": {"version": "2c", "community": "bench-secret"},
            "tags": {"application": "campus", "environment": "prod", "provider": "NetOps"}}))
        s = empty_samples(name)
        s["status"].update(state="up", since="2026-01-01T00:00:00+00:00", last_seen="2026-11-28T10:00:00+00:00",
                           uptime_seconds=86400 * 40, sys_name=name, poll_seconds=0.4)
        s["interfaces"] = [{"index": i, "name": f"ge-0/0/{i}", "descr": f"GigabitEthernet0/0/{i}",
                            "alias": f"port {i} to room {m % 40}", "speed_bps": 10 ** 9, "type": 6,
                            "oper_status": "up" if i % 7 else "down", "admin_status": "up", "counter_bits": 64,
                            "in_bps": 1_234_567.8 + i, "out_bps": 234_567.8 + i, "utilisation_percent": 0.12}
                           for i in range(1, interfaces + 1)]
        s["state"]["last"] = {"time": NOW, "uptime_ticks": 8640000 * 40,
                              "counters": {str(i): {"in": 10 ** 12 + i * 7919, "out": 10 ** 11 + i * 104729,
                                                    "descr": f"GigabitEthernet0/0/{i}", "bits": 64}
                                           for i in range(1, interfaces + 1)}}
        write_samples(samples_path(samples, name), s)


def timed_get(url: str, headers: dict) -> tuple:
    started = time.perf_counter()
    answer = requests.get(url, headers=headers, timeout=120)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text[:200]
    return elapsed * 1000, len(answer.content), answer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--interfaces", type=int, default=48)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-metrics-"))
    machines, samples = root / "machines", root / "samples"
    write_fleet(machines, samples, args.machines, args.interfaces)
    api = start_api(root, workers=2, threads=4,
                    extra_args=["--machines", str(machines), "--samples", str(samples)])
    results = {}
    try:
        url, viewer = api.url + "/metrics", api.viewer.headers
        results["first_ms"], plain_bytes, answer = timed_get(url, viewer)
        assert "bench-secret" not in answer.text
        warm = [timed_get(url, viewer) for _ in range(5)]
        zipped = [timed_get(url, dict(viewer, **{"Accept-Encoding": "gzip"})) for _ in range(5)]
        results["warm_ms"] = statistics.median(w[0] for w in warm)
        results["gzip_ms"] = statistics.median(z[0] for z in zipped)
        results["bytes"] = plain_bytes
        raw = requests.get(url, headers=dict(viewer, **{"Accept-Encoding": "gzip"}), timeout=120, stream=True)
        results["gzip_bytes"] = len(raw.raw.read())
        results["samples"] = sum(1 for line in answer.text.splitlines() if line and not line.startswith("#"))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vigie.metrics", "--machines", str(machines), "--samples",
                        str(samples), "--out", str(root / "metrics")], check=True, timeout=300)
        results["file_s"] = time.perf_counter() - started
        token = root / "viewer.token"
        token.write_text(api.viewer.token)
        prometheus = Prometheus(root, [Target(api.url, token_file=token, job="api")], scrape_interval="5s").start()
        try:
            deadline = time.monotonic() + 90
            durations = []
            while time.monotonic() < deadline and len(durations) < 4:
                value = prometheus.query('scrape_duration_seconds{job="api"}')
                if value and (not durations or value[0]["value"][0] != durations[-1][0]):
                    durations.append((value[0]["value"][0], float(value[0]["value"][1])))
                time.sleep(1)
            scraped = prometheus.query('scrape_samples_scraped{job="api"}')
            results["scrape_s"] = statistics.median(d for _, d in durations)
            results["scraped_samples"] = int(float(scraped[0]["value"][1]))
            results["target_up"] = prometheus.query('up{job="api"}')[0]["value"][1]
        finally:
            prometheus.stop()
    finally:
        api.stop()
        subprocess.run(["rm", "-rf", str(root)])
    load = os.getloadavg()[0]
    print(f"/metrics, {args.machines} machines x {args.interfaces} interfaces, load average {load:.1f}")
    print(f"  API, first scrape (reads every samples file)  {results['first_ms']:8.0f} ms")
    print(f"  API, samples cached, plain                     {results['warm_ms']:8.0f} ms  {results['bytes']:>12,} bytes")
    print(f"  API, samples cached, gzip                      {results['gzip_ms']:8.0f} ms  "
          f"{results['gzip_bytes']:>12,} bytes")
    print(f"  series in the answer                           {results['samples']:>8,}")
    print(f"  python -m vigie.metrics writing the file       {results['file_s']:8.2f} s")
    print(f"  Prometheus scrape_duration_seconds (median)    {results['scrape_s']:8.2f} s   "
          f"({results['scraped_samples']:,} samples, up={results['target_up']})")
    print(json.dumps(dict(results, load=round(load, 1))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
