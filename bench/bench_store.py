"""Samples store: size after a simulated year of 60 s polls, and the cost of one append.

    python bench/bench_store.py [--interfaces 8]

Goals (issue): under 1 MB per interface after a year; appending one sample
(fold into every archive, serialise, atomic write with fsync) within 5 ms.
"""

import argparse
import copy
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


from vigie import samples as samples_lib  # noqa: E402

START = 1_767_225_600
MINUTES_PER_YEAR = 365 * 1440


def simulated_year(interfaces: int) -> dict:
    """One interface fed a year of minutes, copied to the others (same size, 8x faster)."""
    rng = random.Random(1)
    samples = samples_lib.empty_samples("bench", 60)
    for minute in range(MINUTES_PER_YEAR):
        samples_lib.add_interface_point(samples, 1, START + minute * 60, rng.uniform(0, 1e9), rng.uniform(0, 1e9))
    for index in range(2, interfaces + 1):
        samples["series"][str(index)] = copy.deepcopy(samples["series"]["1"])
        samples["state"]["consolidation"][f"if:{index}"] = copy.deepcopy(samples["state"]["consolidation"]["if:1"])
    samples["interfaces"] = [{"index": i, "name": f"eth{i}"} for i in range(1, interfaces + 1)]
    return samples


def time_appends(samples: dict, path: Path, interfaces: int, count: int = 50) -> list:
    times = []
    ts = START + MINUTES_PER_YEAR * 60
    for n in range(count):
        started = time.perf_counter()
        for index in range(1, interfaces + 1):
            samples_lib.add_interface_point(samples, index, ts + n * 60, 5e8, 2e8)
        samples_lib.write_samples(path, samples)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--interfaces", type=int, default=8, help="interfaces of the machine (default: %(default)s)")
    args = p.parse_args(argv)
    print(f"simulating a year of 60 s polls ({MINUTES_PER_YEAR} samples per interface)...", file=sys.stderr)
    started = time.perf_counter()
    one = simulated_year(1)
    fold_us = (time.perf_counter() - started) / MINUTES_PER_YEAR * 1e6
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for count, samples in ((1, one), (args.interfaces, simulated_year(args.interfaces) if args.interfaces > 1 else one)):
            path = Path(tmp) / f"bench{count}.json"
            samples_lib.write_samples(path, samples)
            size = os.path.getsize(path)
            appends = time_appends(samples, path, count)
            serialise = []
            for _ in range(20):
                started = time.perf_counter()
                samples_lib.dumps(samples)
                serialise.append((time.perf_counter() - started) * 1000)
            rows.append((count, size, statistics.median(appends), max(appends), statistics.median(serialise)))
    print(f"\n### Samples store after a simulated year (60 s polls, load average {os.getloadavg()[0]:.1f})\n")
    print("| interfaces | file size | size per interface | append one poll (median) | (max of 50) "
          "| of which serialising | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for count, size, median, worst, serialise in rows:
        print(f"| {count} | {size / 1e3:.0f} kB | {size / count / 1e3:.0f} kB | {median:.2f} ms | {worst:.2f} ms "
              f"| {serialise:.2f} ms | < 1 MB per interface, <= 5 ms |")
    print("\nThe rest of an append is the atomic write: temp file, fsync, rename (vigie/atomic.py).")
    print(f"\nFolding one sample into the four archives: {fold_us:.1f} µs (pure Python, no I/O).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
