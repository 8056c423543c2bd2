"""Splitter speed: collector/split_alerts.sh against naive bash `while read` loops.

On the same generated CSV (10,000 and 100,000 alerts), each into a fresh folder:
  split_alerts.sh   one awk pass, finished files renamed into place in batches meanwhile
  ... --sync        the same, each batch flushed to disk before its renames
  while read + mv   the naive loop made atomic: printf to a temp name, then one mv per file
  while read        the plainest loop: printf straight to the final name (not atomic,
                    and wrong on quoted fields holding commas)
Prints the median wall time of a few runs and the ratios. Goal: 10,000 files in 1 s or less.

    .venv/bin/python bench/bench_split.py [--sizes 10000,100000] [--runs N] [--dir DIR]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from proc_stats import children_cpu  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SPLIT = REPO / "collector" / "split_alerts.sh"

NAIVE_ATOMIC = r'''
n=0
{ read -r header
  while IFS=, read -r ts server severity message provider application environment; do
    n=$((n + 1))
    printf 'Date : %s\nServeur : %s\nCriticité : %s\nMessage : %s\nInfogerant : %s\nApplication : %s\nEnvironnement : %s\n' \
      "$ts" "$server" "$severity" "$message" "$provider" "$application" "$environment" > "$2/.alert_$n.tmp"
    mv "$2/.alert_$n.tmp" "$2/alert_$n.txt"
  done; } < "$1"
'''
NAIVE_PLAIN = NAIVE_ATOMIC.replace('> "$2/.alert_$n.tmp"\n    mv "$2/.alert_$n.tmp" "$2/alert_$n.txt"', '> "$2/alert_$n.txt"')

TOOLS = {
    "split_alerts.sh": lambda csv, out: ["bash", str(SPLIT), str(csv), str(out)],
    "... --sync": lambda csv, out: ["bash", str(SPLIT), "--sync", str(csv), str(out)],
    "while read + mv": lambda csv, out: ["bash", "-c", NAIVE_ATOMIC, "naive", str(csv), str(out)],
    "while read": lambda csv, out: ["bash", "-c", NAIVE_PLAIN, "naive", str(csv), str(out)],
}




def timed_run(command, out: Path) -> tuple:
    """(wall seconds, CPU seconds) of one run into a fresh, empty `out`."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    subprocess.run(["sync"], check=True)
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu


def median_seconds(command_for, csv: Path, work: Path, runs: int, expected: int) -> tuple:
    walls, cpus = [], []
    for _ in range(runs):
        out = work / "out"
        wall, cpu = timed_run(command_for(csv, out), out)
        walls.append(wall)
        cpus.append(cpu)
        written = sum(1 for p in out.iterdir() if p.name.endswith(".txt"))
        if written != expected:
            raise SystemExit(f"bench: expected {expected} files, found {written}")
    shutil.rmtree(work / "out")
    return statistics.median(walls), statistics.median(cpus)


def rerun_seconds(csv: Path, work: Path) -> float:
    out = work / "out"
    timed_run(TOOLS["split_alerts.sh"](csv, out), out)
    start = time.perf_counter()
    subprocess.run(TOOLS["split_alerts.sh"](csv, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="alert counts, comma-separated (default 10000,100000)")
    parser.add_argument("--runs", type=int,
                        help="runs per tool and size; the median is shown (default 3, and 1 from 100,000 alerts)")
    parser.add_argument("--dir", help="folder to work in (default: a temporary folder); its file system matters")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="vigie-bench-split.", dir=args.dir) as tmp:
        work = Path(tmp)
        print(f"splitter: median wall time (CPU time) of {args.runs or '3 (1 from 100,000)'} runs, in {work}")
        print(f"{'alerts':>8}  " + "  ".join(f"{name:>17}" for name in TOOLS)
              + f"  {'ratio +mv':>9}  {'ratio plain':>11}  {'re-run':>7}")
        for size in sizes:
            csv = work / f"alerts-{size}.csv"
            subprocess.run([sys.executable, "-m", "collector.generate", "--count", str(size), "--seed", "1",
                            "--out", str(csv)], cwd=REPO, check=True)
            runs = args.runs or (3 if size < 100_000 else 1)
            figures = {name: median_seconds(tool, csv, work, runs, size) for name, tool in TOOLS.items()}
            cells = "  ".join(f"{wall:>7.2f}s ({cpu:5.2f}s)" for wall, cpu in figures.values())
            ours = figures["split_alerts.sh"][0]
            atomic, plain = figures["while read + mv"][0], figures["while read"][0]
            print(f"{size:>8,}  {cells}  {atomic / ours:>8.1f}x  {plain / ours:>10.1f}x  "
                  f"{rerun_seconds(csv, work):>6.2f}s", flush=True)
            if size == 10000:
                print(f"          goal: 10,000 files in 1 s or less: {'met' if ours <= 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
