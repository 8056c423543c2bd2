"""Generator speed: `python -m collector.generate` as a whole process, against a naive generator.

The naive peer is the obvious way to write it: one csv.writer.writerow per row,
random.choice per field and datetime formatting per row (same fleet size and
messages, sorted timestamps). Both write a CSV file. Prints the median wall
time and CPU time of a few runs, and the ratio. Goal: 1,000,000 alerts in 3 s or less.

    .venv/bin/python bench/bench_generate.py [--sizes 10000,1000000] [--runs 3]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from proc_stats import children_cpu  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

NAIVE = r'''
import csv, random, sys
from datetime import datetime, timedelta, timezone
from collector.generate import MESSAGES, PROVIDERS, ROLES
count, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
servers = [(f"{ROLES[i % 10][0]}-{i // 10 + 1:02d}", rng.choice(PROVIDERS), rng.choice(ROLES[i % 10][1]),
            rng.choice(["prod", "preprod", "testing", "dev"])) for i in range(20)]
severities = ["INFO"] * 60 + ["WARNING"] * 25 + ["ERROR"] * 11 + ["CRITICAL"] * 4
end = datetime.now(timezone.utc).replace(microsecond=0)
start = end - timedelta(days=7)
span = int((end - start).total_seconds())
offsets = sorted(rng.randrange(span) for _ in range(count))
with open(out, "w", encoding="utf-8", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["timestamp", "server", "severity", "message", "provider", "application", "environment"])
    for offset in offsets:
        server, provider, application, environment = rng.choice(servers)
        severity = rng.choice(severities)
        writer.writerow([(start + timedelta(seconds=offset)).isoformat(), server, severity,
                         rng.choice(MESSAGES[severity]), provider, application, environment])
'''

TOOLS = {
    "collector.generate": lambda n, out: [sys.executable, "-m", "collector.generate", "--count", str(n),
                                          "--seed", "1", "--out", str(out)],
    "naive csv.writer": lambda n, out: [sys.executable, "-c", NAIVE, str(n), str(out)],
}




def measure(command, out: Path, expected_lines: int) -> tuple:
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    wall = time.perf_counter() - start
    with out.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    if lines != expected_lines:
        raise SystemExit(f"bench: expected {expected_lines} lines in {out}, found {lines}")
    return wall, children_cpu() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="alert counts, comma-separated (default 10000,1000000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and size; the median is shown (default 3)")
    args = parser.parse_args(argv)
    print(f"generator: {args.runs} runs each, median wall time (CPU time), whole process")
    print(f"{'alerts':>10}  {'collector.generate':>20}  {'naive csv.writer':>20}  {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="vigie-bench-generate.") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            figures = {}
            for name, tool in TOOLS.items():
                out = Path(tmp) / "alerts.csv"
                runs = [measure(tool(size, out), out, size + 1) for _ in range(args.runs)]
                figures[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
            ours, naive = figures["collector.generate"], figures["naive csv.writer"]
            print(f"{size:>10,}  {ours[0]:>9.2f}s ({ours[1]:5.2f}s)  {naive[0]:>9.2f}s ({naive[1]:5.2f}s)  "
                  f"{naive[0] / ours[0]:>5.1f}x", flush=True)
            if size == 1_000_000:
                print(f"            goal: 1,000,000 alerts in 3 s or less: {'met' if ours[0] <= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
