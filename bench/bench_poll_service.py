"""The poller as a service or as a timer's `--once`: CPU for the same polls.

    .venv/bin/python bench/bench_poll_service.py [--devices 20] [--seconds 60] [--interval 10]

Starts snmpsim with DEVICES simulated devices, each polled every INTERVAL
seconds, then for SECONDS: (a) `python -m collector.poll` running as a
service would, and (b) `python -m collector.poll --once` started every
INTERVAL seconds as a timer would. Prints the CPU seconds of each side
(user + system) and the polls each made.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.proc_stats import children_cpu, cpu_seconds
from tests.support.snmp_agents import SnmpsimAgent
from vigie import simulated_devices as sim


def setup(root: Path, devices: int, interval: int):
    snmprec = {f"dev{i}": sim.lively_device(f"dev{i}", interface_count=4, seed=i) for i in range(devices)}
    agent = SnmpsimAgent(root / "snmpsim", snmprec).start()
    machines = root / "machines"
    machines.mkdir()
    for name in snmprec:
        (machines / f"{name}.json").write_text(json.dumps(dict(agent.machine(name), interval=interval)))
    return agent, machines


def args_for(root: Path, machines: Path, side: str) -> list:
    return [sys.executable, "-m", "collector.poll", "--machines", str(machines), "--samples", str(root / side),
            "--alertfiles", str(root / f"alerts-{side}"), "-q"]


def as_service(root, machines, seconds) -> float:
    proc = subprocess.Popen(args_for(root, machines, "service"))
    time.sleep(seconds)
    used = cpu_seconds([proc.pid])
    proc.terminate()
    proc.wait(timeout=30)
    return used


def as_timer(root, machines, seconds, interval) -> tuple:
    before, runs, started = children_cpu(), 0, time.monotonic()
    while time.monotonic() - started < seconds:
        tick = time.monotonic()
        subprocess.run(args_for(root, machines, "timer") + ["--once"], check=False, timeout=300)
        runs += 1
        time.sleep(max(0.0, interval - (time.monotonic() - tick)))
    return children_cpu() - before, runs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--interval", type=int, default=10)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        agent, machines = setup(root, args.devices, args.interval)
        try:
            service = as_service(root, machines, args.seconds)
            timer, runs = as_timer(root, machines, args.seconds, args.interval)
        finally:
            agent.stop()
    polls = args.devices * runs
    print(f"{args.devices} devices x 4 interfaces, every {args.interval} s, for {args.seconds:g} s "
          f"({polls} polls each way)")
    print(f"  poller as a service:             {service:6.2f} s CPU ({service / polls * 1000:.1f} ms per poll)")
    print(f"  `--once` every {args.interval} s (a timer):   {timer:6.2f} s CPU ({timer / polls * 1000:.1f} ms per poll)")
    print(f"  ratio timer / service:           {timer / service:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
