"""One whole tick (poll + site build) for 100 devices, beside MRTG on the same agents.

    .venv/bin/python bench/bench_site_tick.py [--devices 100] [--runs 3]

The agents are Debian's snmpd, one community per simulated device, as in
bench_poll.py (as root, inside a network namespace holding 8 interfaces).
Vigie's tick is `python -m collector.poll --once` then `python -m
site_builder`. MRTG's tick is one `mrtg` run over a config made by
`cfgmaker` for the same devices: it polls them, updates its logs and draws
its day/week/month/year PNG graphs and HTML pages. Both are measured after
warm-up runs (Vigie's first poll discovers interfaces; MRTG's first runs
create their logs). Figures: wall time, CPU seconds (user + system,
children included) and the ratio Vigie / MRTG.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from proc_stats import median  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

_spec = importlib.util.spec_from_file_location("bench_poll", Path(__file__).with_name("bench_poll.py"))
bench_poll = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_poll)




def mrtg_config(root: Path, prefix: list, port: int, communities: list, env: dict) -> tuple:
    """(config path, number of graphed targets) from cfgmaker over every device."""
    work = root / "mrtg"
    work.mkdir()
    cfg = root / "mrtg.cfg"
    targets = [f"{c}@127.0.0.1:{port}::::2" for c in communities]
    subprocess.run(prefix + ["cfgmaker", "--global", f"WorkDir: {work}", "--global", "Options[_]: bits",
                             "--show-op-down", "--output", str(cfg), *targets],
                   check=True, capture_output=True, env=env)
    cfg.write_text(unique_target_names(cfg.read_text()))
    graphed = len(re.findall(r"^Target\[", cfg.read_text(), re.M))
    return cfg, graphed


def unique_target_names(text: str) -> str:
    """cfgmaker names targets <host>_<if>; every device here is 127.0.0.1, so use the community."""
    out, device = [], None
    for line in text.splitlines(keepends=True):
        found = re.match(r"#?Target\[[^]]*\]:.*?:?([A-Za-z0-9_]+)@127\.0\.0\.1", line)
        if found:
            device = found.group(1)
        if device:
            line = line.replace("[127.0.0.1_", f"[{device}_")
        out.append(line)
    return "".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=100)
    p.add_argument("--runs", type=int, default=3, help="measured ticks of each (medians shown)")
    args = p.parse_args(argv)
    if not shutil.which("mrtg") or not shutil.which("cfgmaker"):
        print("mrtg is not installed (Debian package mrtg): nothing to compare with", file=sys.stderr)
        return 1
    communities = [f"dev{i:03d}" for i in range(args.devices)]
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-tick-"))
    ns = bench_poll.Namespace()
    try:
        ns.__enter__()
        prefix = ns.prefix
        snmpd, port = bench_poll.start_snmpd(root, prefix, communities)
        try:
            machines = bench_poll.write_machines(root, port, communities)
            env = {**os.environ, "PYTHONPATH": str(REPO), "MIBS": "", "LANG": "C", "LC_ALL": "C"}
            poll = prefix + [PYTHON, "-m", "collector.poll", "--once", "-q", "--machines", str(machines),
                             "--samples", str(root / "samples"), "--alertfiles", str(root / "alerts")]
            site = [PYTHON, "-m", "site_builder", "-q", "--machines", str(machines), "--samples",
                    str(root / "samples"), "--db", str(root / "vigie.db"), "--out", str(root / "www")]
            bench_poll.measure(poll, env=env)
            bench_poll.measure(site, env=env)
            vigie = []
            for _ in range(args.runs):
                a, b = bench_poll.measure(poll, env=env), bench_poll.measure(site, env=env)
                vigie.append({"wall": a["wall"] + b["wall"], "cpu": a["cpu"] + b["cpu"],
                              "poll": a["wall"], "build": b["wall"]})
            interfaces = len(json.loads((root / "samples" / "dev000.json").read_text())["interfaces"])
            cfg, graphed = mrtg_config(root, prefix, port, communities, env)
            mrtg = prefix + ["mrtg", "--lock-file", str(root / "mrtg.lock"), "--confcache-file",
                             str(root / "mrtg.ok"), str(cfg)]
            for _ in range(3):  # the first runs create the logs and complain about it
                subprocess.run(mrtg, env=env, capture_output=True)
            peer = [bench_poll.measure(mrtg, env=env) for _ in range(args.runs)]
            pngs = len(list((root / "mrtg").glob("*.png")))
        finally:
            snmpd.terminate()
            snmpd.wait()
    finally:
        ns.__exit__()
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n### One tick: {args.devices} devices x {interfaces} interfaces "
          f"(snmpd{' in a network namespace' if prefix else ''}, median of {args.runs}, {os.cpu_count()} CPUs)\n")
    print("| tick | wall | CPU (user+sys) |")
    print("| --- | --- | --- |")
    print(f"| Vigie: `collector.poll --once` + `site_builder` | {median(vigie, 'wall'):.2f} s "
          f"(poll {median(vigie, 'poll'):.2f} s + build {median(vigie, 'build'):.2f} s) | {median(vigie, 'cpu'):.2f} s |")
    print(f"| MRTG: one `mrtg` run, {graphed} targets from `cfgmaker`, {pngs} PNG graphs | "
          f"{median(peer, 'wall'):.2f} s | {median(peer, 'cpu'):.2f} s |")
    print(f"\nratio Vigie / MRTG: wall {median(vigie, 'wall') / median(peer, 'wall'):.2f}x, "
          f"CPU {median(vigie, 'cpu') / max(median(peer, 'cpu'), 1e-9):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
