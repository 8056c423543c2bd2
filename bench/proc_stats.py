"""Process figures the benches print: CPU seconds and peak memory read from /proc."""

import os
import re
import resource
import statistics
from pathlib import Path


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by these processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def children_pids(master_pid) -> list:
    return [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]


def worker_peak_rss_mb(master_pid) -> list:
    """Peak resident memory (VmHWM) of each child of master_pid, in MB."""
    return [int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
            for pid in children_pids(master_pid)]


def children_cpu() -> float:
    """User + system CPU time of this process's waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(runs, key):
    return statistics.median(r[key] for r in runs)
