"""The dependencies as the files say them now: the machine files and the topology file,
read again when one of them changes (their sizes and modification times), never more
than once every `recheck_seconds`. The API keeps one (the verdict of dependencies, the
machines' parents it shows); `python -m vigie parents` prints what it finds.

A machine file that cannot be read is left out (its own error is reported where machine
files are listed); a topology file that cannot be read counts as no topology, and says so
among the problems. A change of the problems is logged once, naming the files.
"""

import argparse
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from vigie import config
from vigie import dependencies as dp
from vigie import machines as mc
from vigie import topology as tp
from vigie.config import Flag

log = logging.getLogger("vigie.dependencies")


@dataclass(frozen=True)
class Snapshot:
    upstreams: dict = field(default_factory=dict)     # {machine: dependencies.Upstream}
    problems: tuple = ()
    network: dp.Network = field(default_factory=dp.Network)


def _stamp(path: Path):
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def read(machines_dir, topology_path, vantage=()) -> Snapshot:
    """Everything read now, once."""
    machines_dir = Path(machines_dir)
    configs = mc.load_all(machines_dir)[0] if machines_dir.is_dir() else []
    problems = []
    try:
        topology = tp.load(topology_path) if topology_path else tp.empty()
    except tp.TopologyError as exc:
        topology = tp.empty()
        problems.append(f"{exc}: parents are taken from the machine files only")
    found, more = dp.upstreams(configs, topology, vantage, source=lambda name: str(machines_dir / f"{name}.json"))
    return Snapshot(found, tuple(problems + more), dp.network(found, topology))


class NetworkFiles:
    def __init__(self, machines_dir, topology_path, vantage=(), recheck_seconds: float = 1.0, clock=time.monotonic):
        self.machines_dir = Path(machines_dir)
        self.topology_path = Path(topology_path) if topology_path else None
        self.vantage = tuple(vantage)
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self.lock = threading.Lock()
        self.stamps = None
        self.checked_at = None
        self.snapshot = Snapshot()

    def _stamps(self) -> tuple:
        files = mc.machine_files(self.machines_dir) if self.machines_dir.is_dir() else []
        topology = _stamp(self.topology_path) if self.topology_path else None
        return tuple((p.name, _stamp(p)) for p in files) + (("", topology),)

    def current(self, force: bool = False) -> Snapshot:
        """What the files say: read again when they changed since the last look (looked at
        again after `recheck_seconds`, or at once with `force`)."""
        with self.lock:
            now = self.clock()
            if not force and self.checked_at is not None and now - self.checked_at < self.recheck_seconds:
                return self.snapshot
            self.checked_at = now
            stamps = self._stamps()
            if stamps != self.stamps:
                before = set(self.snapshot.problems)
                self.snapshot = read(self.machines_dir, self.topology_path, self.vantage)
                self.stamps = stamps
                for problem in self.snapshot.problems:
                    if problem not in before:
                        log.warning("%s", problem)
            return self.snapshot

    def network(self, force: bool = False) -> dp.Network:
        return self.current(force).network


# --- python -m vigie parents --------------------------------------------------------------

FLAGS = (Flag("--machines", "paths.machines", metavar="DIR"), Flag("--topology", "paths.topology", metavar="FILE"),
         Flag("--vantage", "dependencies.vantage", metavar="NAMES"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vigie parents",
        description="Each machine's parents toward the collector, as the API decides with them: from the machine "
                    "files' \"parents\", else from the topology (LLDP, CDP, the files' links) walked from the vantage "
                    "machines. A machine whose parents are all down is unreachable behind them: its alerts are "
                    "suppressed. Problems with parents set by hand are listed last (exit status 1).",
        epilog="--vantage takes names separated by commas.")
    config.add_options(p, FLAGS)
    p.add_argument("--json", action="store_true", help="one JSON object: machines and problems")
    return p


def table(found: dict) -> str:
    rows = [("machine", "parents", "source", "hops")] + [
        (name, ", ".join(up.parents) or "-", up.source, "-" if up.hops is None else str(up.hops))
        for name, up in sorted(found.items())]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{r[0]:{widths[0]}}  {r[1]:{widths[1]}}  {r[2]:{widths[2]}}  {r[3]}".rstrip() for r in rows)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    status = config.start(args, ("paths", "dependencies"))
    if status is not None:
        return status
    cfg = args.cfg
    snapshot = read(args.machines, args.topology, args.vantage)
    if args.json:
        print(json.dumps({"machines": {name: up.as_dict() for name, up in sorted(snapshot.upstreams.items())},
                          "problems": list(snapshot.problems)}, indent=1))
    else:
        print(table(snapshot.upstreams))
        for problem in snapshot.problems:
            print(f"problem: {problem}", file=sys.stderr)
    return 1 if snapshot.problems else 0
