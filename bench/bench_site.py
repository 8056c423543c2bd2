"""Web site build: full build, rebuild with nothing changed, and machine page weight.

    .venv/bin/python bench/bench_site.py [--machines 100] [--alerts 100000]

Data: N machines x 8 interfaces with a year of samples (a day and an hour of
60 s polls, then week/month/year lines, as the collector writes them) and
100,000 alerts in the SQLite database. The build runs as `python -m
site_builder` in a child process so its peak RSS is measured alone.
Goals: full build <= 10 s and <= 400 MB, no-change rebuild <= 2 s,
machine page <= 300 KB without the shared plotly.js.
"""

import argparse
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from tests.support import site_data as sd  # noqa: E402


def make_inputs(root: Path, machines: int, alerts: int) -> list:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    names = [f"dev-{i:03d}" for i in range(machines)]
    for i, name in enumerate(names):
        sd.write_machine(root / "machines", name, oids={"load": "1.3.6.1.4.1.2021.10.1.3.1"})
        sd.write_samples(root / "samples", sd.make_samples(name, now, interfaces=8, seed=i, oids={"load": "load"}))
    sd.write_alerts(root / "vigie.db", sd.make_alerts(alerts, now, names))
    return names


def run_build(root: Path, *extra) -> tuple:
    """(wall seconds, CPU seconds, peak RSS in MB of the builder and its worker processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "site_builder", "-q", "--machines", root / "machines", "--samples",
                    root / "samples", "--db", root / "vigie.db", "--out", root / "www", *extra], cwd=REPO, check=True)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_utime + usage.ru_stime - cpu_before, max(usage.ru_maxrss, before) / 1024


def row(what, value, goal, unit):
    ok = "ok" if value <= goal else "OVER"
    print(f"{what:<38} {value:>10.2f} {unit:<4} goal <= {goal:g} {unit:<4} {ok}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=100)
    parser.add_argument("--alerts", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vigie-bench-site-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        names = make_inputs(root, args.machines, args.alerts)
        samples_mb = sum(p.stat().st_size for p in (root / "samples").rglob("*") if p.is_file()) / 1e6
        print(f"inputs: {args.machines} machines x 8 interfaces, a year of samples ({samples_mb:.0f} MB of JSON),"
              f" {args.alerts} alerts; made in {time.perf_counter() - started:.1f} s")
        load = os.getloadavg()[0]
        full, full_cpu, rss = run_build(root)
        again, again_cpu, _ = run_build(root)
        page = (root / "www" / "machines" / f"{names[0]}.html").read_bytes()
        plotly = (root / "www" / "static" / "plotly.min.js").stat().st_size
        print(f"{'measure':<38} {'value':>10}      goal")
        print(f"(machine load average before: {load:.1f} on {os.cpu_count()} cores; CPU time is less noisy)")
        row("full build", full, 10, "s")
        row("full build, CPU time (all processes)", full_cpu, 10, "s")
        row("full build peak RSS", rss, 400, "MB")
        row("rebuild, nothing changed", again, 2, "s")
        row("rebuild, nothing changed, CPU time", again_cpu, 2, "s")
        row("machine page (8 interfaces + 1 OID)", len(page) / 1024, 300, "KB")
        row("machine page gzip-compressed", len(gzip.compress(page)) / 1024, 300, "KB")
        print(f"shared plotly.min.js (once per site, cached): {plotly / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
