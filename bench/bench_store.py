"""Samples store: the cost of one poll after a year of history, and the size of that year.

    python bench/bench_store.py [--interfaces 1,8,48] [--polls 200]

For each machine size, a year of samples is written first (as the collector
would have left it, tests/support/samples_history.py), then POLLS polls 60 s
apart go through the real store (vigie.samples.SamplesStore.save): one fine
line appended, now.json rewritten, the head when it changed, and the coarse
buckets and trims that fall due in that time. Figures: bytes handed to
write(2) per poll, CPU and wall time per poll (median and max), and the
family's size on disk. Goals: the cost does not grow with the history kept;
about 1 kB per interface per poll at most.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.support import samples_history as history
from vigie import samples as sl


def family_bytes(samples_dir: Path, machine: str) -> int:
    fam = sl.Family(samples_dir, machine)
    return fam.head.stat().st_size + sum(p.stat().st_size for p in fam.dir.iterdir())


def time_polls(samples_dir: Path, machine: str, identities: list, start: int, polls: int) -> list:
    store = sl.SamplesStore(samples_dir)
    record = store.load(machine, 60)
    rng = random.Random(2)
    runs = []
    for n in range(polls):
        t = start + 60 * (n + 1)
        values = {i["key"]: [sl.compact_number(rng.uniform(1e6, 9e8)), sl.compact_number(rng.uniform(1e5, 9e7))]
                  for i in identities}
        wall, cpu = time.perf_counter(), time.process_time()
        record.now["time"] = t
        record.fine.append({"t": t, "if": values, "oid": {}})
        written = store.save(record, now_ts=t)
        runs.append({"bytes": written, "wall_ms": (time.perf_counter() - wall) * 1000,
                     "cpu_ms": (time.process_time() - cpu) * 1000})
    return runs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--interfaces", default="1,8,48", help="machine sizes to try (default: %(default)s)")
    p.add_argument("--polls", type=int, default=200, help="polls timed on each (default: %(default)s)")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vigie-bench-store-", dir=os.environ.get("TMPDIR", "/var/tmp")) as tmp:
        for count in [int(x) for x in args.interfaces.split(",")]:
            samples_dir = Path(tmp) / f"s{count}"
            identities = history.interfaces(count)
            now = int(time.time()) // 60 * 60
            started = time.perf_counter()
            history.write_history(samples_dir, "bench", identities, now, days=365)
            print(f"{count} interface(s): a year of samples written in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
            size = family_bytes(samples_dir, "bench")
            runs = time_polls(samples_dir, "bench", identities, now, args.polls)
            rows.append((count, size, runs))
    print(f"\n### Samples store: one poll after a year of history ({os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, {args.polls} polls 60 s apart)\n")
    print("| interfaces | samples on disk | per interface | written per poll, median (max) | CPU per poll, median (max) "
          "| wall per poll, median |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count, size, runs in rows:
        written = [r["bytes"] for r in runs]
        cpu = [r["cpu_ms"] for r in runs]
        print(f"| {count} | {size / 1e6:.2f} MB | {size / count / 1e3:.0f} kB | {statistics.median(written) / 1e3:.1f} kB "
              f"({max(written) / 1e3:.1f} kB) | {statistics.median(cpu):.2f} ms ({max(cpu):.1f} ms) "
              f"| {statistics.median(r['wall_ms'] for r in runs):.2f} ms |")
    print("\nThe max is a poll that closed a bucket or trimmed a file; the median is every other poll.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
