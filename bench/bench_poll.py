"""One `python -m collector.poll --once` over 100 devices x 8 interfaces, beside net-snmp.

    python bench/bench_poll.py [--devices 100] [--runs 3]

The agent is Debian's snmpd with one community per simulated device (snmpsim
would spend more CPU than the collector). As root, snmpd and both pollers run
in a network namespace holding exactly 8 interfaces (lo, three veth pairs, a
bridge); otherwise they use the host's interfaces, whatever their number.

Figures, for the whole process (start-up included): wall time, CPU seconds
(user + system, from wait4) and peak RSS. The peer is net-snmp's
`snmpbulkget`, one process per device, all in parallel, asking the same
values (sysUpTime, ifNumber, then ifDescr, ifHCInOctets, ifHCOutOctets,
ifOperStatus for every interface). With --exporter, Prometheus'
snmp_exporter (Debian prometheus-snmp-exporter) scrapes the same devices
with an equivalent hand-written module.
Goals: <= 1.5 s wall, within 3x net-snmp's CPU, <= 150 MB peak RSS.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from proc_stats import median  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PEER_OIDS = ["1.3.6.1.2.1.1.3", "1.3.6.1.2.1.2.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.6",
             "1.3.6.1.2.1.31.1.1.1.10", "1.3.6.1.2.1.2.2.1.8"]


def free_port(kind=socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Namespace:
    """A network namespace with lo + 3 veth pairs + a bridge = 8 interfaces (root only)."""

    def __init__(self):
        self.name = f"vigie-bench-{os.getpid()}"
        self.prefix = []

    def __enter__(self):
        if os.geteuid() != 0 or shutil.which("ip") is None:
            return self
        try:
            subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
            cmds = [["link", "set", "lo", "up"], ["link", "add", "br0", "type", "bridge"]]
            for i in range(3):
                cmds += [["link", "add", f"va{i}", "type", "veth", "peer", "name", f"vb{i}"],
                         ["link", "set", f"va{i}", "up"], ["link", "set", f"vb{i}", "up"]]
            for cmd in cmds:
                subprocess.run(["ip", "-n", self.name, *cmd], check=True, capture_output=True)
            self.prefix = ["ip", "netns", "exec", self.name]
        except subprocess.CalledProcessError as exc:
            print(f"no network namespace ({exc.stderr.decode().strip()}); using the host's interfaces",
                  file=sys.stderr)
            self.__exit__()
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        self.prefix = []


def measure(cmd, env=None, stdout=subprocess.DEVNULL) -> dict:
    """Wall seconds, CPU seconds (the process and the children it waited for) and peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:6]} failed ({proc.returncode}): {err[-500:]}")
    found = re.search(r"polled \d+ machine\(s\) in ([0-9.]+) s", err)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "cycle": float(found.group(1)) if found else None}


def write_machines(root, port, communities):
    """One machine file per community, all on the one snmpd; returns the folder."""
    machines = root / "machines"
    machines.mkdir()
    for c in communities:
        (machines / f"{c}.json").write_text(json.dumps(
            {"host": "127.0.0.1", "port": port, "snmp": {"version": "2c", "community": c},
             "timeout": 2, "retries": 1}))
    return machines


def start_snmpd(root: Path, prefix: list, communities: list, extra: str = ""):
    """Debian's snmpd answering every community on 127.0.0.1 (inside the namespace of
    `prefix`); `extra` lines are added to its configuration. (process, port)."""
    port = free_port()
    conf = root / "snmpd.conf"
    conf.write_text("".join(f"rocommunity {c} 127.0.0.1\n" for c in communities) + extra)
    env = {**os.environ, "MIBS": ""}
    proc = subprocess.Popen(prefix + ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf),
                                      "-p", str(root / "snmpd.pid"), f"udp:127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    probe = prefix + ["snmpget", "-v2c", "-c", communities[0], "-t", "0.3", "-r", "0", f"127.0.0.1:{port}",
                      "1.3.6.1.2.1.1.3.0"]
    for _ in range(100):
        if subprocess.run(probe, capture_output=True, env=env).returncode == 0:
            return proc, port
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("snmpd did not start")


def netsnmp_script(port: int, communities: list, out: Path) -> str:
    calls = [f"snmpbulkget -v2c -c {c} -Cn2 -Cr8 -t 2 -r 1 -On 127.0.0.1:{port} {' '.join(PEER_OIDS)} "
             f">> {out} &" for c in communities]
    return "\n".join(calls) + "\nwait\n"


def exporter_config(communities: list) -> str:
    """snmp_exporter 0.21 modules, one per community, polling what the collector polls."""
    metrics = [("ifDescr", "1.3.6.1.2.1.2.2.1.2", "DisplayString"), ("ifOperStatus", "1.3.6.1.2.1.2.2.1.8", "gauge"),
               ("ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", "counter"),
               ("ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", "counter")]
    lines = []
    for c in communities:
        lines += [f"if_mib_{c}:", "  version: 2", "  auth:", f"    community: {c}", "  get:",
                  "  - 1.3.6.1.2.1.1.3.0", "  - 1.3.6.1.2.1.2.1.0", "  walk:"]
        lines += [f"  - {oid}" for _, oid, _ in metrics]
        lines += ["  metrics:", "  - name: sysUpTime", "    oid: 1.3.6.1.2.1.1.3", "    type: gauge",
                  "  - name: ifNumber", "    oid: 1.3.6.1.2.1.2.1", "    type: gauge"]
        for name, oid, kind in metrics:
            lines += [f"  - name: {name}", f"    oid: {oid}", f"    type: {kind}", "    indexes:",
                      "    - labelname: ifIndex", "      type: gauge"]
    return "\n".join(lines) + "\n"


def pid_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_exporter(root: Path, prefix: list, port: int, communities: list, runs: int):
    exe = shutil.which("prometheus-snmp-exporter")
    if exe is None:
        return None, "prometheus-snmp-exporter not installed"
    (root / "snmp.yml").write_text(exporter_config(communities))
    http_port = free_port(socket.SOCK_STREAM)
    proc = subprocess.Popen(prefix + [exe, f"--config.file={root / 'snmp.yml'}",
                                      f"--web.listen-address=127.0.0.1:{http_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{http_port}"
        if prefix:
            return None, "runs outside the namespace only (its HTTP port is inside it)"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        results = []
        for _ in range(runs):
            cpu0 = pid_cpu_seconds(proc.pid)
            errors, started = [], time.perf_counter()

            def scrape(c):
                url = f"{base}/snmp?target=127.0.0.1:{port}&module=if_mib_{c}"
                body = urllib.request.urlopen(url, timeout=30).read().decode()
                if "ifHCInOctets{" not in body:
                    errors.append(c)

            threads = [threading.Thread(target=scrape, args=(c,)) for c in communities]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            results.append({"wall": time.perf_counter() - started, "cpu": pid_cpu_seconds(proc.pid) - cpu0,
                            "rss_mb": pid_rss_mb(proc.pid)})
            if errors:
                return None, f"{len(errors)} scrapes without interface metrics"
        return results, None
    finally:
        proc.terminate()
        proc.wait()




def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=100, help="simulated devices (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="runs of each poller; medians are shown (default: %(default)s)")
    p.add_argument("--exporter", action="store_true", help="also time Prometheus' snmp_exporter (host network only)")
    p.add_argument("--no-netns", action="store_true", help="use the host's interfaces even as root")
    args = p.parse_args(argv)
    communities = [f"dev{i:03d}" for i in range(args.devices)]
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-poll-"))
    ns = Namespace()
    try:
        if not args.no_netns and not args.exporter:
            ns.__enter__()
        prefix = ns.prefix
        snmpd, port = start_snmpd(root, prefix, communities)
        try:
            machines = write_machines(root, port, communities)
            env = {**os.environ, "PYTHONPATH": str(REPO), "MIBS": ""}
            poll = prefix + [PYTHON, "-m", "collector.poll", "--once", "--machines", str(machines),
                             "--samples", str(root / "samples"), "--alertfiles", str(root / "alerts")]
            print(f"{args.devices} devices on snmpd 127.0.0.1:{port}"
                  f"{' in namespace ' + ns.name if prefix else ' (host network)'}", file=sys.stderr)
            first = measure(poll, env=env)                       # discovery + poll
            samples = json.loads((root / "samples" / "dev000.json").read_text())
            interfaces = len(samples["interfaces"])
            states = {json.loads(f.read_text())["status"]["state"] for f in (root / "samples").glob("*.json")}
            if states != {"up"}:
                bad = [(f.stem, json.loads(f.read_text())["status"]["last_error"]) for f in (root / "samples").glob("*.json")
                       if json.loads(f.read_text())["status"]["state"] != "up"]
                udp = subprocess.run(prefix + ["grep", "Udp:", "/proc/net/snmp"], capture_output=True, text=True).stdout
                raise RuntimeError(f"not every device answered: {len(bad)} {bad[:3]}\n{udp}")
            steady = [measure(poll, env=env) for _ in range(args.runs)]
            answers = root / "netsnmp.out"
            script = root / "netsnmp.sh"
            script.write_text(netsnmp_script(port, communities, answers))
            peer = [measure(prefix + ["bash", str(script)], env=env) for _ in range(args.runs)]
            lines = len(answers.read_text().splitlines()) // args.runs
            one = root / "one"
            one.mkdir()
            shutil.copy(machines / "dev000.json", one / "dev000.json")
            one_cmd = prefix + [PYTHON, "-m", "collector.poll", "--once", "-q", "--machines", str(one),
                                "--samples", str(root / "one-samples"), "--alertfiles", str(root / "alerts")]
            measure(one_cmd, env=env)
            cold = [measure(one_cmd, env=env) for _ in range(args.runs)]
            imports = [measure([PYTHON, "-c", "import collector.poll, collector.snmp.session"], env=env)
                       for _ in range(args.runs)]
            exporter, why = (bench_exporter(root, prefix, port, communities, args.runs) if args.exporter
                             else (None, "not run (--exporter)"))
        finally:
            snmpd.terminate()
            snmpd.wait()
    finally:
        ns.__exit__()
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n### One poll cycle: {args.devices} devices x {interfaces} interfaces "
          f"(snmpd, median of {args.runs}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})\n")
    print("| poller | wall | CPU (user+sys) | peak RSS | requests |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| `collector.poll --once`, first run (discovery) | {first['wall']:.2f} s | {first['cpu']:.2f} s "
          f"| {first['rss_mb']:.0f} MB | GETs + GETBULK walks |")
    print(f"| `collector.poll --once`, steady state | {median(steady, 'wall'):.2f} s | {median(steady, 'cpu'):.2f} s "
          f"| {max(r['rss_mb'] for r in steady):.0f} MB | 1 GET per device |")
    print(f"| net-snmp `snmpbulkget` x {args.devices} in parallel | {median(peer, 'wall'):.2f} s "
          f"| {median(peer, 'cpu'):.2f} s | {max(r['rss_mb'] for r in peer):.0f} MB (largest process) "
          f"| 1 GETBULK per device ({lines} values) |")
    if exporter:
        print(f"| Prometheus snmp_exporter 0.21, {args.devices} scrapes in parallel | {median(exporter, 'wall'):.2f} s "
              f"| {median(exporter, 'cpu'):.2f} s | {max(r['rss_mb'] for r in exporter):.0f} MB "
              f"| 2 GETs + 4 walks per device |")
    else:
        print(f"| Prometheus snmp_exporter | - | - | - | {why} |")
    ratio = median(steady, "cpu") / max(median(peer, "cpu"), 1e-9)
    print(f"\nInside the collector process, the steady-state cycle itself (after start-up and imports) took "
          f"{median(steady, 'cycle'):.2f} s; snmp_exporter is a resident daemon, so its figures have no start-up.")
    print(f"Collector CPU / net-snmp CPU: {ratio:.1f}x (goal: within 3x). Goals: <= 1.5 s wall, <= 150 MB RSS.")
    print(f"Cold start, one device (`--once`, interpreter + imports + one poll): {median(cold, 'wall'):.2f} s wall, "
          f"{median(cold, 'cpu'):.2f} s CPU; imports alone {median(imports, 'wall'):.2f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
