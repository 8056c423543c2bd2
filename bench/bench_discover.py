"""Time `python -m collector.discover` sweeping loopback subnets, beside onesixtyone.

    python bench/bench_discover.py [--runs 3] [--rate 100]

Two sweeps, with the discovery's default timeout and retries:
- a /24 of loopback addresses (127.77.x.0/24) where 20 snmpsim agents answer, each a
  device with 3 interfaces: every answer costs the discovery its system group, its
  interface table and its LLDP and CDP tables, and a machine file;
- a /22 (127.78.x.0/22) where nothing answers: the cost of the pace and the timeouts.

Figures, for the whole process (start-up included), median of --runs: wall time and
CPU seconds (user + system of the process and its children). The peer is onesixtyone
(Debian), the classic SNMP sweeper, asking sysDescr.0 of the same addresses at the same
pace (-w: milliseconds between packets), one community. Only 127.0.0.0/8 is probed.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.snmp_agents import SnmpsimAgent, free_udp_port  # noqa: E402
from vigie import simulated_devices as sim  # noqa: E402

COMMUNITY = "bench"


def timed(cmd: list) -> tuple:
    """(wall seconds, CPU seconds of the children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def discover(subnet: str, port: int, rate: float, workdir: Path) -> tuple:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    wall, cpu, out = timed([sys.executable, "-m", "collector.discover", "--subnet", subnet, "--port", str(port),
                            "--community", COMMUNITY, "--rate", f"{rate:g}", "--machines", str(workdir / "machines"),
                            "--samples", str(workdir / "samples"), "-q"])
    return wall, cpu, json.loads(out.strip().splitlines()[-1])


def peer(subnet: str, port: int, rate: float, workdir: Path) -> tuple:
    communities = workdir / "communities.txt"
    communities.write_text(COMMUNITY + "\n")
    wait_ms = max(1, int(round(1000 / rate)))
    wall, cpu, out = timed(["onesixtyone", "-c", str(communities), "-p", str(port), "-w", str(wait_ms), subnet])
    return wall, cpu, sum(1 for line in out.splitlines() if f"[{COMMUNITY}]" in line)


def run_both(name: str, subnet: str, port: int, rate: float, runs: int, root: Path) -> list:
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(discover(subnet, port, rate, root / "ours"))
        theirs.append(peer(subnet, port, rate, root))
    found = ours[-1][2]
    return [(name, "collector.discover", median([w for w, _, _ in ours]), median([c for _, c, _ in ours]),
             f"{found['answered']} answered, {len(found['added'])} added"),
            (name, "onesixtyone", median([w for w, _, _ in theirs]), median([c for _, c, _ in theirs]),
             f"{theirs[-1][2]} answered")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="probes per second, both tools (default: 100)")
    args = parser.parse_args(argv)
    if shutil.which("onesixtyone") is None:
        print("onesixtyone is not installed (Debian package onesixtyone, in requirements-apt-test.txt)", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-discover-"))
    port = free_udp_port()
    net, empty = f"127.77.{random.randrange(1, 250)}", f"127.78.{random.randrange(0, 63) * 4}"
    hosts = sorted(random.sample(range(1, 255), 20))
    agents = [SnmpsimAgent(root / f"sim{h}", {COMMUNITY: sim.device_snmprec(
        f"bench-{h}", [sim.interface(i, name=f"ge-0/0/{i}") for i in (1, 2, 3)])}, hosts=(f"{net}.{h}",),
        port=port).launch() for h in hosts]
    try:
        for agent in agents:
            agent.wait(timeout=300)
        rows = run_both("/24, 20 agents", f"{net}.0/24", port, args.rate, args.runs, root)
        rows += run_both("/22, none answers", f"{empty}.0/22", port, args.rate, args.runs, root)
    finally:
        for agent in agents:
            agent.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"sweeps at {args.rate:g} probes/s, median of {args.runs} runs, on {os.cpu_count()} cores")
    print(f"{'sweep':20} {'tool':20} {'wall s':>8} {'CPU s':>8}  found")
    for name, tool, wall, cpu, found in rows:
        print(f"{name:20} {tool:20} {wall:8.2f} {cpu:8.2f}  {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
