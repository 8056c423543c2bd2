"""One tick at scale: N devices x I interfaces with a year of history, beside a reference
commit, Debian's net-snmp and rrdtool, in the same run.

    python bench/bench_scale.py --devices 500 --interfaces 48 [--ticks 5] [--interval 60]
    python bench/bench_scale.py --devices 2000 --interfaces 48 --shards 2 --against 500.json

As root, Debian's snmpd answers for every device (one community each) inside a
network namespace holding exactly I interfaces: lo and I-1 veth ends whose peers
sit in a second namespace, with a little UDP traffic both ways on every link, so
counters move and rates are real numbers; snmpd also answers its own
HOST-RESOURCES and UCD-SNMP tables, so each device has health metrics. A year of
samples is written for every device first (tests/support/samples_history.py, with
the interfaces, extra values and health metrics the first poll found), then one
warm-up tick, then TICKS measured ticks, INTERVAL seconds apart as in production
(so the work done once an hour or once a day per machine falls in at its real rate):

    poll   python -m collector.poll --once   (SNMP, then the samples store; with
                                              --shards N, N collectors --shard K/N at once)
    site   python -m site_builder            (graph files, live.json, pages, dashboard)

Each stage is measured from outside its process tree: CPU (user + system, its
workers included), wall time, bytes written (wchar: handed to write(2);
write_bytes: sent to the disk, from /proc/<pid>/io, children included once
reaped) and peak RSS of its largest process. The collector also reports the
part of its CPU spent in the samples store. Every device must have answered
every measured poll, or the run stops.

Side by side, in the same run:
  - the reference commit (--reference, fd3c44f by default: the code docs/performance.md's
    first scale table measured): the same devices, the same history written by
    that code's own functions into its own folders, its ticks interleaved with
    this code's (the order alternating), so both meet the same load;
  - net-snmp: for each device one `snmpbulkget` (the interface columns, with
    sysUpTime and ifNumber) and one `snmpget` (the health metrics' values),
    asking exactly the values the poll asks (checked answer by answer), 32
    processes at a time like the collector's concurrency; its CPU is the sum of
    those processes' own;
  - rrdtool update of the same interfaces (Debian rrdtool, one RRD per
    interface with the same four archives, every update through one
    `rrdtool -` process): the in-place floor;
  - optionally the older samples format (--format-ticks; the commit before the
    samples store that appends), on a year written by that code's own functions;
  - a machine page in Chromium served by a plain static server.

Goals: 500 x 48: tick CPU <= 0.5x the reference's, <= 20 MB to disk,
<= 200 MB peak RSS, <= 15 s wall; 2,000 x 48 (shards allowed): tick CPU <= 4.2x the
500 x 48 figure (--against its JSON line), <= 60 MB, <= 300 MB RSS, <= 45 s wall; the
poll's CPU per value within 1.5x of net-snmp's. The report says which goals hold; the
last line on stdout is one JSON object with the figures, the commit measured and the
load average at the start and the end. --profile also runs one more tick of each
stage under py-spy and prints the profile's top lines.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vigie import samples as sl  # noqa: E402

PYTHON = sys.executable
HISTORY_DAYS = 365
REFERENCE = "fd3c44f"        # the code docs/performance.md's first scale table measured
PEER_CONCURRENCY = 32        # net-snmp processes at a time: the collector's default concurrency
MAX_CMDLINE_OIDS = 128       # net-snmp's limit of OIDs on one command line
MB = 1e6
# The goals of the table, by fleet size (48 interfaces a device)
GOALS = {500: {"reference_ratio": 0.5, "write_mb": 20, "rss_mb": 200, "wall_s": 15},
         2000: {"against_ratio": 4.2, "write_mb": 60, "rss_mb": 300, "wall_s": 45}}
NETSNMP_RATIO = 1.5
# snmpd cuts a GETBULK answer at 100 values by default; net-snmp asks a poll's ~400 in one
SNMPD_EXTRA = "maxGetbulkResponses 100000\nmaxGetbulkRepeats 100000\n"

_spec = importlib.util.spec_from_file_location("bench_poll", Path(__file__).with_name("bench_poll.py"))
bench_poll = importlib.util.module_from_spec(_spec)
sys.path.insert(0, str(Path(__file__).parent))
_spec.loader.exec_module(bench_poll)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def git(*args, cwd=REPO) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout.strip()


def measured_commit() -> str:
    """This checkout's commit, marked when tracked files differ from it."""
    changed = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def load_average() -> list:
    return [round(x, 2) for x in os.getloadavg()]


# ------------------------------------------------------------------ measuring process trees

def self_io() -> dict:
    """This process's I/O counters, its reaped children's included."""
    found = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, _, value = line.partition(": ")
        found[key] = int(value)
    return found


def settle() -> None:
    """Write out what is dirty first, so write_bytes counts what this stage makes dirty."""
    os.sync()


def measure(cmds: list, env=None, cwd=None, stdin_path=None) -> dict:
    """Run process trees at once to their end: wall (until the last ends), CPU (each and its
    reaped children, added up), bytes written, peak RSS of the largest process, and their
    standard errors (one a command)."""
    settle()
    io_before = self_io()
    started = time.perf_counter()
    running = []
    for cmd in cmds:
        err = tempfile.TemporaryFile()
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        running.append((cmd, subprocess.Popen(cmd, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL,
                                              stderr=err), err))
    cpu, rss, errs, failed = 0.0, 0.0, [], []
    for cmd, proc, err in running:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss / 1024)
        err.seek(0)
        errs.append(err.read().decode(errors="replace"))
        err.close()
        if proc.returncode != 0:
            failed.append(f"{' '.join(map(str, cmd[-8:]))} failed ({proc.returncode}): {errs[-1][-1500:]}")
    wall = time.perf_counter() - started
    io_after = self_io()
    if failed:
        raise RuntimeError("\n".join(failed))
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "wchar": io_after["wchar"] - io_before["wchar"],
            "write_bytes": io_after["write_bytes"] - io_before["write_bytes"], "stderr": "".join(errs)}


POLLED = re.compile(r"polled (\d+) machine\(s\) in ([0-9.]+) s: (\d+) up; samples: ([0-9.]+) kB written, "
                    r"([0-9.]+) s of CPU")


def collector_figures(stderr: str) -> dict:
    """What the collectors said of their cycle (added up over shards; the longest cycle)."""
    found = [m.groups() for m in POLLED.finditer(stderr)]
    if not found:
        return {}
    return {"polled": sum(int(f[0]) for f in found), "cycle_wall": max(float(f[1]) for f in found),
            "up": sum(int(f[2]) for f in found), "store_kb": sum(float(f[3]) for f in found),
            "store_cpu": sum(float(f[4]) for f in found)}


# ------------------------------------------------------------------ the simulated network

SENDER = r"""
import socket, sys, time
targets = [(a, int(r)) for a, r in (t.split("=") for t in sys.argv[1:])]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"v" * 1200
due = {a: 0.0 for a, _ in targets}
while True:
    now = time.monotonic()
    for address, rate in targets:
        if now >= due[address]:
            try:
                s.sendto(payload, (address, 9))
            except OSError:
                pass
            due[address] = now + 1.0 / rate
    time.sleep(0.005)
"""


class Network:
    """Namespace A (the agent's, I interfaces: lo + I-1 veth) and B (the veth peers), with traffic."""

    def __init__(self, interfaces: int):
        self.interfaces = interfaces
        self.a, self.b = f"vigie-scale-{os.getpid()}-a", f"vigie-scale-{os.getpid()}-b"
        self.senders = []

    @property
    def prefix(self) -> list:
        return ["ip", "netns", "exec", self.a]

    def ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    def __enter__(self):
        if os.geteuid() != 0 or shutil.which("ip") is None:
            raise SystemExit("bench_scale needs root and iproute2: it builds network namespaces")
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self):
        self.ip("netns", "add", self.a)
        self.ip("netns", "add", self.b)
        for ns in (self.a, self.b):
            self.ip("-n", ns, "link", "set", "lo", "up")
        links = self.interfaces - 1
        self._batch([f"link add va{i} netns {self.a} type veth peer name vb{i} netns {self.b}" for i in range(links)])
        batch_a, batch_b = [], []
        for i in range(links):
            net = f"10.{77 + i // 250}.{i % 250}"
            batch_a += [f"addr add {net}.1/24 dev va{i}", f"link set va{i} up"]
            batch_b += [f"addr add {net}.2/24 dev vb{i}", f"link set vb{i} up"]
        self._batch(batch_a, self.a)
        self._batch(batch_b, self.b)
        rates = [f"10.{77 + i // 250}.{i % 250}" for i in range(links)]
        for ns, end, other in ((self.a, ".2", 0), (self.b, ".1", 3)):
            targets = [f"{net}{end}={2 + (i * 7 + other) % 20}" for i, net in enumerate(rates)]
            self.senders.append(subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, "-c", SENDER, *targets],
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def _batch(self, commands, namespace=None):
        args = ["ip"] + (["-n", namespace] if namespace else []) + ["-batch", "-"]
        subprocess.run(args, input="\n".join(commands) + "\n", text=True, check=True, capture_output=True)

    def __exit__(self, *exc):
        for proc in self.senders:
            proc.terminate()
            proc.wait()
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# ------------------------------------------------------------------ a code tree's ticks

def write_machines(root: Path, port: int, communities: list) -> Path:
    machines = root / "machines"
    machines.mkdir()
    for c in communities:
        (machines / f"{c}.json").write_text(json.dumps(
            {"host": "127.0.0.1", "port": port, "snmp": {"version": "2c", "community": c},
             "interval": 60, "timeout": 5, "retries": 1}))
    return machines


def export(rev: str, into: Path) -> str:
    """The checkout at git revision `rev`, written into `into` (git archive); its short id."""
    short = git("rev-parse", "--short", rev)
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", short], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {rev} failed")
    return short


class Tick:
    """The commands of one tick for one code tree (this one, or another commit's export)."""

    def __init__(self, code: Path, root: Path, machines: Path, prefix: list, label: str, shards: int = 1):
        self.code, self.root, self.label, self.shards = code, root, label, shards
        self.samples, self.www = root / "samples", root / "www"
        self.env = {**os.environ, "PYTHONPATH": str(code), "MIBS": "", "VIGIE_CONFIG": "",
                    "VIGIE_HEARTBEAT_DIR": str(root / "heartbeat")}     # not the checkout's data/
        self.poll_cmd = prefix + [PYTHON, "-m", "collector.poll", "--once", "--machines", str(machines),
                                  "--samples", str(self.samples), "--alertfiles", str(root / "alertfiles")]
        self.site_cmd = [PYTHON, "-m", "site_builder", "--machines", str(machines), "--samples", str(self.samples),
                         "--db", str(root / "vigie.db"), "--out", str(self.www)]

    def poll_cmds(self) -> list:
        if self.shards == 1:
            return [self.poll_cmd]
        return [self.poll_cmd + ["--shard", f"{k}/{self.shards}"] for k in range(1, self.shards + 1)]

    def poll(self) -> dict:
        figures = measure(self.poll_cmds(), env=self.env, cwd=self.code)
        figures.update(collector_figures(figures["stderr"]))
        return figures

    def site(self) -> dict:
        return measure([self.site_cmd], env=self.env, cwd=self.code)

    def run(self) -> dict:
        poll, site = self.poll(), self.site()
        return {"poll": poll, "site": site}


HISTORY = r"""
import json, sys
from pathlib import Path
from tests.support import samples_history as history
from vigie import samples as sl
samples_dir, now, days, devices = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
head = sl.read_head(samples_dir, devices[0])
oids = {name: spec.get("unit") for name, spec in (head.get("oids") or {}).items()}
health = sorted(head.get("health") or {})
more = {"health": health} if health else {}
first = history.write_history(samples_dir, devices[0], head["interfaces"], now, days=days, oids=oids, **more)
for name in devices[1:]:
    history.copy_history(first, samples_dir, name)
print(json.dumps({"interfaces": len(head["interfaces"]), "oids": len(oids), "health": len(health)}))
"""


class Side:
    """One code tree measured: its folders, its year of history, its ticks."""

    def __init__(self, label: str, code: Path, commit: str, root: Path, machines: Path, prefix: list, shards: int):
        self.label, self.commit = label, commit
        root.mkdir()
        self.tick = Tick(code, root, machines, prefix, label, shards)
        self.measured, self.first_build, self.series, self.samples_bytes, self.www_bytes = [], None, {}, 0, 0

    def prepare(self, devices: list, now: float) -> None:
        """Discovery poll, a year of samples written by this code's own functions, a warm-up
        poll and the first build (every graph file)."""
        tick = self.tick
        log(f"{self.label} ({self.commit}): discovery poll")
        tick.poll()
        log(f"{self.label}: writing a year of samples for {len(devices)} devices")
        started = time.perf_counter()
        done = subprocess.run([PYTHON, "-c", HISTORY, str(tick.samples), str(now), str(HISTORY_DAYS), *devices],
                              cwd=tick.code, env=tick.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{self.label}: writing the history failed: {done.stderr[-1500:]}")
        self.series = json.loads(done.stdout.strip().splitlines()[-1])
        self.samples_bytes = folder_bytes(tick.samples)
        log(f"  {self.samples_bytes / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s "
            f"({self.series}); warm-up tick")
        tick.poll()
        self.first_build = tick.site()
        log(f"  first build (every graph file): {self.first_build['wall']:.1f} s wall, "
            f"{self.first_build['cpu']:.1f} s CPU")

    def run_tick(self, n: int, devices: int) -> dict:
        result = self.tick.run()
        poll = result["poll"]
        if poll.get("up") != devices:
            raise RuntimeError(f"{self.label}: {poll.get('up')} of {devices} devices answered tick {n}: "
                               f"{poll['stderr'][-1500:]}")
        cuts = re.search(r"graph files: (\d+) machines? cut", result["site"]["stderr"])
        result["cuts"] = int(cuts.group(1)) if cuts else None
        result["load"] = os.getloadavg()[0]
        self.measured.append(result)
        self.www_bytes = folder_bytes(self.tick.www)   # read now: the data folder is gone by the report
        log(f"  {self.label} tick {n}: poll {poll['cpu']:.1f} s CPU / {poll['wall']:.1f} s, "
            f"site {result['site']['cpu']:.1f} s CPU / {result['site']['wall']:.1f} s, "
            f"{(poll['write_bytes'] + result['site']['write_bytes']) / MB:.1f} MB to disk "
            f"(load {result['load']:.1f})")
        return result

    def summary(self) -> dict:
        return tick_summary(self.measured)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# ------------------------------------------------------------------ net-snmp asking what the poll asks

def poll_requests(samples_dir: Path, machines_dir: Path) -> list:
    """Per device, what this code's poll asks of it: {"community", "asked" (the OIDs),
    "columns" (the interface columns), "rows" (the interfaces), "scalars"}."""
    from collector.snmp import cycle, reading
    from vigie.machines import load_all
    configs, _ = load_all(machines_dir)
    store = sl.SamplesStore(samples_dir)
    out = []
    for config in configs:
        samples = store.load(config["name"], config["interval"])
        watched = cycle.watched_interfaces(samples, config)
        asked = reading.poll_oids(watched, {}, cycle.health_metrics(samples, config))
        per_interface = [reading.interface_oids(i) for i in watched]
        in_rows = {oid for oids in per_interface for oid in oids.values()}
        columns = [oid.rpartition(".")[0] for oid in per_interface[0].values()]
        scalars = [o for o in asked if o not in in_rows]
        out.append({"community": config["snmp"]["community"], "asked": asked, "columns": columns,
                    "rows": len(watched), "heads": [o for o in scalars if o in (reading.SYS_UPTIME, reading.IF_NUMBER)],
                    "scalars": [o for o in scalars if o not in (reading.SYS_UPTIME, reading.IF_NUMBER)]})
    return out


PEER_DRIVER = r"""
import json, os, subprocess, sys, time
jobs, width = json.load(sys.stdin), int(sys.argv[1])
cpu, running, started = 0.0, {}, time.perf_counter()
def reap():
    global cpu
    pid, status, usage = os.wait4(-1, 0)
    cpu += usage.ru_utime + usage.ru_stime
    proc, out = running.pop(pid)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.close()
for job in jobs:
    while len(running) >= width:
        reap()
    out = open(job["out"], "wb")
    proc = subprocess.Popen(job["cmd"], stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, MIBS=""))
    running[proc.pid] = (proc, out)
while running:
    reap()
print(json.dumps({"cpu": cpu, "wall": time.perf_counter() - started}))
"""


class NetSnmpPeer:
    """Per device, net-snmp asking exactly what the poll asks: one `snmpbulkget` for the
    interface columns (sysUpTime and ifNumber as its non-repeaters) and one `snmpget` for
    the other values (the health metrics'), each a process as net-snmp's tools are; CPU of
    those processes. (snmpbulkget's non-repeaters are GETNEXTs, which cannot ask the
    rows of some tables exactly: snmpd answers a GETNEXT inside hrProcessorTable with the
    next table.)"""

    def __init__(self, root: Path, prefix: list, port: int, requests: list):
        self.dir = root / "netsnmp"
        self.dir.mkdir()
        self.prefix, self.requests = prefix, requests
        self.jobs, self.outs = [], []
        common = ["-v2c", "-On", "-t", "5", "-r", "1"]
        for n, r in enumerate(requests):
            if len(r["scalars"]) > MAX_CMDLINE_OIDS or len(r["heads"]) + len(r["columns"]) > MAX_CMDLINE_OIDS:
                raise RuntimeError(f"{r['community']}: more OIDs than one net-snmp command takes")
            heads = [o.rpartition(".")[0] for o in r["heads"]]   # x.0 is GETNEXT(x)
            cmds = [["snmpbulkget", *common, "-c", r["community"], f"-Cn{len(heads)}", f"-Cr{r['rows']}",
                     f"127.0.0.1:{port}", *heads, *r["columns"]]]
            if r["scalars"]:
                cmds.append(["snmpget", *common, "-c", r["community"], f"127.0.0.1:{port}", *r["scalars"]])
            outs = [str(self.dir / f"{n}-{k}.out") for k in range(len(cmds))]
            self.jobs += [{"cmd": cmd, "out": out} for cmd, out in zip(cmds, outs)]
            self.outs.append(outs)
        self.values = sum(len(r["asked"]) for r in requests)
        self.processes = len(self.jobs)

    def run(self) -> dict:
        done = subprocess.run(self.prefix + [PYTHON, "-c", PEER_DRIVER, str(PEER_CONCURRENCY)],
                              input=json.dumps(self.jobs), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"net-snmp's driver failed: {done.stderr[-1500:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        self.check()
        figures["values"] = self.values
        figures["cpu_per_value_us"] = figures["cpu"] / self.values * 1e6
        return figures

    def check(self) -> None:
        """Each device answered exactly the values the poll asks, no more, no fewer."""
        for outs, r in zip(self.outs, self.requests):
            text = "".join(Path(out).read_text(errors="replace") for out in outs)
            got = [line.split(" = ", 1)[0].lstrip(".") for line in text.splitlines()
                   if line.startswith(".") and " = " in line]
            if sorted(got) != sorted(r["asked"]):
                missing = sorted(set(r["asked"]) - set(got))[:3]
                extra = sorted(set(got) - set(r["asked"]))[:3]
                raise RuntimeError(f"net-snmp did not get the poll's values from {r['community']}: "
                                   f"{len(got)} answers for {len(r['asked'])} asked; missing {missing}, "
                                   f"others {extra}: {text[-300:]}")


# ------------------------------------------------------------------ the older format, rrdtool

FORMAT1_HISTORY = r"""
import copy, json, random, sys, time
from pathlib import Path
from vigie import samples as s1
samples_dir, now = Path(sys.argv[1]), float(sys.argv[2])
MINUTES = 365 * 1440
rng = random.Random(1)
one = s1.empty_samples("year", 60)
start = int(now) // 60 * 60 - MINUTES * 60
for minute in range(MINUTES):
    ts = start + minute * 60
    s1.add_interface_point(one, 1, ts, rng.uniform(1e5, 9e8), rng.uniform(1e5, 9e8))
year, counts = one["series"]["1"], one["state"]["consolidation"]["if:1"]
for path in sorted(samples_dir.glob("*.json")):
    data = json.loads(path.read_text())
    indexes = [i["index"] for i in data["interfaces"]]
    data["series"] = {str(i): year for i in indexes}
    data["state"].setdefault("consolidation", {}).update({f"if:{i}": counts for i in indexes})
    s1.write_samples(path, data)
print("ok")
"""


def format1_commit() -> str:
    """The commit before the samples store that appends."""
    first = git("log", "--format=%H", "--diff-filter=A", "--", "vigie/samples/store.py").split()
    if not first:
        raise RuntimeError("cannot find the commit that added vigie/samples/store.py; give --format-ref REF")
    return first[-1] + "^"


class RrdFloor:
    """One RRD a interface, with the four archives of the samples (average and maximum)."""

    RRAS = ["RRA:AVERAGE:0.5:1:1440", "RRA:AVERAGE:0.5:30:336", "RRA:MAX:0.5:30:336", "RRA:AVERAGE:0.5:120:372",
            "RRA:MAX:0.5:120:372", "RRA:AVERAGE:0.5:1440:730", "RRA:MAX:0.5:1440:730"]

    def __init__(self, root: Path, devices: list, interfaces: int):
        self.dir = root / "rrd"
        self.dir.mkdir()
        self.files = [self.dir / f"{d}-{i}.rrd" for d in devices for i in range(interfaces)]

    def create(self, start: int) -> None:
        script = "".join(f"create {f} --start {start} --step 60 DS:in:GAUGE:120:0:U DS:out:GAUGE:120:0:U "
                         f"{' '.join(self.RRAS)}\n" for f in self.files)
        subprocess.run(["rrdtool", "-"], input=script, text=True, check=True, capture_output=True)

    def update(self, ts: int, values) -> dict:
        script = self.dir / f"update-{ts}.txt"
        script.write_text("".join(f"update {f} {ts}:{a:.1f}:{b:.1f}\n" for f, (a, b) in zip(self.files, values)))
        figures = measure([["rrdtool", "-"]], stdin_path=script)
        script.unlink()
        if "ERROR" in figures["stderr"]:
            raise RuntimeError(f"rrdtool: {figures['stderr'][-500:]}")
        return figures

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def current_rates(samples_dir: Path, devices: list, interfaces: int) -> list:
    values = []
    for name in devices:
        view = sl.read_current(samples_dir, name)
        rates = [(i["in_bps"] or 0.0, i["out_bps"] or 0.0) for i in view["interfaces"]]
        values += (rates + [(0.0, 0.0)] * interfaces)[:interfaces]
    return values


# ------------------------------------------------------------------ the page in Chromium

# When the page first shows a graph's first look (the last day as plain SVG) and its
# interactive Plotly graph, in seconds from navigation, as the page itself sees it.
MARKS = """
window.__marks = {};
new MutationObserver(function () {
  var m = window.__marks;
  if (!m.look && document.querySelector('.graph svg.preview, .graph[data-rendered]')) m.look = performance.now();
  if (!m.graph && document.querySelector('.graph[data-rendered]')) m.graph = performance.now();
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def page_figures(www: Path, samples: Path, machine: str) -> dict:
    """A machine page in Chromium, cold and warm browser cache: bytes of its first load
    without plotly.js; seconds from navigation to its first graph's first look and to its
    interactive graph when the person goes straight to it (the link of its row in the
    interface table, below which the graphs are); seconds to draw a graph further down
    once scrolled to."""
    from site_builder.graphs import graph_id
    first_id = "graph-" + graph_id("interface", sl.read_current(samples, machine)["interfaces"][0]["key"])
    from tests.support.browser import CHROMIUM, WatchedPage, browser, new_context, static_server
    out = {}
    graph_data = (".fine.json", ".coarse.json", "recent.jsonl")
    with static_server(www) as url, browser(CHROMIUM) as chromium, new_context(chromium) as context:
        context.add_init_script(MARKS)
        for visit in ("cold", "warm"):
            wp = WatchedPage(context)
            sizes = []

            def note(response):
                try:
                    sizes.append((response.url, len(response.body())))
                except Exception:     # a response the page navigated away from
                    pass

            wp.page.on("response", note)
            started = time.perf_counter()
            wp.page.goto(f"{url}/machines/{machine}.html#{first_id}", wait_until="domcontentloaded")
            wp.page.wait_for_selector(f"[id=\"{first_id}\"][data-rendered]", timeout=60_000)
            first_graph = time.perf_counter() - started
            marks = wp.page.evaluate("window.__marks")
            wp.page.wait_for_load_state("networkidle")
            far = wp.page.locator(".graph").nth(min(30, wp.page.locator(".graph").count() - 1))
            started = time.perf_counter()
            far.scroll_into_view_if_needed()
            wp.page.wait_for_selector(f"[id=\"{far.get_attribute('id')}\"][data-rendered]", timeout=60_000)
            out[visit] = {"first_look_s": round(marks["look"] / 1000, 3), "first_graph_s": round(marks["graph"] / 1000, 3),
                          "first_graph_wall_s": round(first_graph, 3),
                          "scrolled_graph_s": round(time.perf_counter() - started, 3),
                          "first_load_bytes": sum(n for u, n in sizes if "plotly" not in u
                                                  and not any(g in u for g in graph_data)),
                          "plotly_bytes": sum(n for u, n in sizes if "plotly" in u),
                          "graph_data_bytes": sum(n for u, n in sizes if any(g in u for g in graph_data)),
                          "console_errors": len([e for e in wp.errors if "/api/" not in e])}
            wp.close()
    return out


# ------------------------------------------------------------------ profile

def profile_tick(tick: Tick, out: Path) -> dict:
    """One more poll and one more build under py-spy (sampling, workers included): the
    functions that take the most samples, by their own time and with what they call."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(spy).exists():
        return {"error": "py-spy is not installed (requirements-test.txt)"}
    found = {}
    for stage, cmds in (("poll", tick.poll_cmds()), ("site", [tick.site_cmd])):
        files, wrapped = [], []
        for n, cmd in enumerate(cmds):
            files.append(out / f"{stage}-{n}.txt")
            at = cmd.index(PYTHON)      # after the network namespace's prefix
            wrapped.append(cmd[:at] + [spy, "record", "--format", "raw", "--rate", "250", "--subprocesses",
                                       "--nonblocking", "-o", str(files[-1]), "--"] + cmd[at:])
        measure(wrapped, env=tick.env, cwd=tick.code)
        found[stage] = top_lines(files)
    return found


STARTUP = "(start-up: imports)"


def frame_name(frame: str) -> str:
    """py-spy's "function (path/to/file.py:line)" as "function (folder/file.py)"."""
    function, _, where = frame.partition(" (")
    return f"{function} ({'/'.join(where.split(':')[0].split('/')[-2:])})" if where else function


def top_lines(files: list, count: int = 15) -> dict:
    """From py-spy's collapsed stacks: {"samples", "self": [(share, function)], "total": [...]};
    every sample taken while importing counts as start-up."""
    own, total, samples = {}, {}, 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = [frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
            samples += int(n)
            if any(f.startswith("_find_and_load ") for f in frames):
                frames = [STARTUP]
            frames = [f for f in frames if "<frozen" not in f] or [STARTUP]
            own[frames[-1]] = own.get(frames[-1], 0) + int(n)
            for f in set(frames):
                total[f] = total.get(f, 0) + int(n)

    def ranked(table):
        return [(round(100 * v / max(samples, 1), 1), k) for k, v in sorted(table.items(), key=lambda kv: -kv[1])[:count]]

    return {"samples": samples, "self": ranked(own), "total": ranked(total)}


# ------------------------------------------------------------------ the run

def tick_summary(ticks: list) -> dict:
    def per(stage, key):
        return statistics.median(t[stage][key] for t in ticks)

    out = {}
    for stage in ("poll", "site"):
        out[stage] = {k: per(stage, k) for k in ("cpu", "wall", "wchar", "write_bytes")}
        out[stage]["rss_mb"] = max(t[stage]["rss_mb"] for t in ticks)
    if all("store_cpu" in t["poll"] for t in ticks):
        out["store"] = {"cpu": per("poll", "store_cpu"), "kb": per("poll", "store_kb")}
    out["tick"] = {k: statistics.median(t["poll"][k] + t["site"][k] for t in ticks)
                   for k in ("cpu", "wall", "wchar", "write_bytes")}
    out["tick"]["rss_mb"] = max(out["poll"]["rss_mb"], out["site"]["rss_mb"])
    return out


def run_ticks(args, sides: list, peer, devices: int) -> list:
    """TICKS slots INTERVAL s apart; in each, every side's tick (the order alternating), then net-snmp."""
    peer_runs = []
    start = time.monotonic()
    for n in range(args.ticks):
        time.sleep(max(0.0, start + n * args.interval - time.monotonic()))
        for side in (sides if n % 2 == 0 else sides[::-1]):
            side.run_tick(n + 1, devices)
        if peer is not None:
            peer_runs.append(peer.run())
            log(f"  net-snmp: {peer_runs[-1]['cpu']:.2f} s CPU / {peer_runs[-1]['wall']:.1f} s for "
                f"{peer.values} values")
    return peer_runs


def run_format1(args, network, port, communities, root) -> dict:
    code = root / "format1-code"
    commit = export(args.format_ref or format1_commit(), code)
    tick = Tick(code, root / "format1", root / "machines", network.prefix, "format 1")
    tick.root.mkdir()
    log(f"older format ({commit}): discovery poll, then a year of samples by its own functions")
    tick.poll()
    subprocess.run([PYTHON, "-c", FORMAT1_HISTORY, str(tick.samples), str(time.time())], cwd=code, env=tick.env,
                   check=True, capture_output=True)
    size = folder_bytes(tick.samples)
    log(f"  {size / 1e9:.2f} GB; warm-up tick")
    tick.poll()
    tick.site()
    measured = []
    for n in range(args.format_ticks):
        measured.append(tick.run())
        log(f"  tick {n + 1}: poll {measured[-1]['poll']['cpu']:.1f} s CPU, site {measured[-1]['site']['cpu']:.1f} s CPU")
    shutil.rmtree(tick.samples, ignore_errors=True)
    return {"summary": tick_summary(measured), "commit": commit, "samples_bytes": size}


def run_rrd(args, communities, root, samples: Path) -> dict:
    floor = RrdFloor(root, communities, args.interfaces)
    log(f"rrdtool: creating {len(floor.files)} RRDs")
    now = int(time.time())
    floor.create(now - 120)
    values = current_rates(samples, communities, args.interfaces)
    floor.update(now - 60, values)                     # warm-up: every file read once
    runs = [floor.update(now + n, values) for n in range(args.rrd_ticks)]
    return {"summary": {k: statistics.median(r[k] for r in runs) for k in ("cpu", "wall", "wchar", "write_bytes")}
            | {"rss_mb": max(r["rss_mb"] for r in runs)}, "files": len(floor.files), "bytes": floor.size()}


def mb(n) -> str:
    return f"{n / MB:.1f} MB"


def goal_checks(args, new: dict, ref, per_value: dict, against) -> list:
    """[(goal, figure, met)] of the goals' table at this size, and the net-snmp ratio."""
    s = new["tick"]
    checks = []
    goals = GOALS.get(args.devices) if args.interfaces == 48 else None
    if goals:
        if "reference_ratio" in goals and ref:
            ratio = s["cpu"] / ref["tick"]["cpu"]
            checks.append((f"tick CPU <= {goals['reference_ratio']}x the reference's", f"{ratio:.2f}x",
                           ratio <= goals["reference_ratio"]))
        if "against_ratio" in goals and against:
            ratio = s["cpu"] / against["cpu_seconds_per_tick"]
            checks.append((f"tick CPU <= {goals['against_ratio']}x the {against['devices']} x "
                           f"{against['interfaces']} figure ({against['cpu_seconds_per_tick']:.2f} s at "
                           f"{against.get('commit', '?')})", f"{ratio:.2f}x", ratio <= goals["against_ratio"]))
        checks.append((f"written to disk <= {goals['write_mb']} MB", mb(s["write_bytes"]),
                       s["write_bytes"] <= goals["write_mb"] * MB))
        checks.append((f"peak RSS <= {goals['rss_mb']} MB, any process", f"{s['rss_mb']:.0f} MB",
                       s["rss_mb"] <= goals["rss_mb"]))
        checks.append((f"tick wall <= {goals['wall_s']} s", f"{s['wall']:.1f} s", s["wall"] <= goals["wall_s"]))
    if per_value.get("netsnmp"):
        ratio = per_value["poll"] / per_value["netsnmp"]
        checks.append((f"poll CPU per value <= {NETSNMP_RATIO}x net-snmp's", f"{ratio:.2f}x", ratio <= NETSNMP_RATIO))
    if per_value.get("interval"):
        share = new["poll"]["wall"] / per_value["interval"]
        checks.append(("poll wall within the interval (no device polled late)",
                       f"{new['poll']['wall']:.1f} s, {100 * share:.0f} % of {per_value['interval']:g} s", share < 1))
    return checks


def print_stage_table(label: str, s: dict) -> None:
    print(f"| {label} | CPU (user+sys) | wall | written (write(2)) | to disk (write_bytes) | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, f in (("poll (SNMP + samples store)", s["poll"]), ("site", s["site"]), ("whole tick", s["tick"])):
        print(f"| {name} | {f['cpu']:.2f} s | {f['wall']:.2f} s | {mb(f['wchar'])} | {mb(f['write_bytes'])} "
              f"| {f['rss_mb']:.0f} MB |")


def print_report(args, run: dict) -> None:
    new, ref = run["new"], run["reference"]
    s = new.summary()
    print(f"\n### A tick at scale: {args.devices} devices x {args.interfaces} interfaces, a year of history\n")
    print(f"Commit {run['commit']}; {os.cpu_count()} CPUs; load average {run['load_start']} at the start, "
          f"{run['load_end']} at the end; medians of {args.ticks} ticks {args.interval:g} s apart; "
          f"{args.shards} collector{'s' if args.shards > 1 else ''}"
          f"{' (--shard K/N, at once)' if args.shards > 1 else ''}; every default on "
          f"({new.series.get('oids', 0)} extra values and {new.series.get('health', 0)} health metrics a device).\n")
    print_stage_table(f"this code ({new.commit})", s)
    if "store" in s:
        print(f"\nOf the poll, the samples store: {s['store']['cpu']:.2f} s of CPU and {s['store']['kb'] / 1e3:.1f} MB "
              f"handed to write(2); the rest is SNMP, the rules and start-up.")
    cuts = [t["cuts"] for t in new.measured if t["cuts"] is not None]
    if cuts:
        print(f"Machines whose graph files were cut (every 2 h, each at its own minute) in the measured ticks: {cuts}.")
    print(f"First build after the history was written (every graph file): {new.first_build['wall']:.1f} s wall, "
          f"{new.first_build['cpu']:.1f} s CPU, {mb(new.first_build['write_bytes'])} to disk.")
    print(f"Samples on disk: {new.samples_bytes / 1e9:.2f} GB; www/: {new.www_bytes / 1e9:.2f} GB.\n")
    if ref:
        r = ref.summary()
        print_stage_table(f"reference ({ref.commit})", r)
        print(f"\nThis code / the reference: tick CPU {s['tick']['cpu'] / r['tick']['cpu']:.2f}x (poll "
              f"{s['poll']['cpu'] / r['poll']['cpu']:.2f}x, site {s['site']['cpu'] / r['site']['cpu']:.2f}x), "
              f"to disk {s['tick']['write_bytes'] / max(r['tick']['write_bytes'], 1):.2f}x.\n")
    pv = run["per_value"]
    if pv.get("netsnmp"):
        p = run["peer"]
        print(f"Values asked a poll: {pv['values']} ({pv['values'] // args.devices} a device). Poll CPU per value: "
              f"**{pv['poll']:.1f} µs** (the whole collector process: start-up, SNMP, rules, samples store); "
              f"net-snmp asking the same values ({run['peer']['processes']} `snmpbulkget` and `snmpget` processes, "
              f"{PEER_CONCURRENCY} at a time): "
              f"**{pv['netsnmp']:.1f} µs** ({p['cpu']:.2f} s of CPU, {p['wall']:.1f} s wall).\n")
    if run.get("format1"):
        o = run["format1"]["summary"]["tick"]
        print(f"Older samples format ({run['format1']['commit']}, {args.format_ticks} ticks): {o['cpu']:.2f} s CPU, "
              f"{mb(o['write_bytes'])} to disk, {o['rss_mb']:.0f} MB peak RSS a tick.")
    if run.get("rrd"):
        r = run["rrd"]["summary"]
        print(f"`rrdtool update` of the same interfaces ({run['rrd']['files']} RRDs, one `rrdtool -`, storage only): "
              f"{r['cpu']:.2f} s CPU, {r['wall']:.2f} s wall, {mb(r['write_bytes'])} to disk, {r['rss_mb']:.0f} MB.")
    for visit, p in (run.get("page") or {}).items():
        print(f"\nMachine page ({visit} browser cache, plain static server): first graph's first look (the last "
              f"day, plain SVG) {p['first_look_s']:.2f} s after navigation, interactive (Plotly) "
              f"{p['first_graph_s']:.2f} s; a graph further down {p['scrolled_graph_s']:.2f} s "
              f"after being scrolled to; first load {p['first_load_bytes'] / 1e3:.0f} KB without plotly.js "
              f"({p['plotly_bytes'] / 1e6:.1f} MB for it); graph data of the two graphs "
              f"{p['graph_data_bytes'] / 1e3:.0f} KB; console errors: {p['console_errors']}.")
    if run["checks"]:
        print("\n| goal | figure | |\n| --- | --- | --- |")
        for goal, figure, met in run["checks"]:
            print(f"| {goal} | {figure} | {'met' if met else '**missed**'} |")
    for stage, prof in (run.get("profile") or {}).items():
        if "error" in prof:
            print(f"\nProfile: {prof['error']}")
            continue
        print(f"\nProfile of one more {stage} (py-spy, {prof['samples']} samples; share of the samples):\n")
        print("| own time | function | | with callees | function |\n| --- | --- | --- | --- | --- |")
        for (a, f), (b, g) in zip(prof["self"], prof["total"]):
            print(f"| {a:.1f} % | `{f}` | | {b:.1f} % | `{g}` |")


def result_json(args, run: dict) -> dict:
    new, ref = run["new"], run["reference"]
    s = new.summary()

    def rounded(summary):
        return {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in summary.items()}

    return {"devices": args.devices, "interfaces": args.interfaces, "history_days": HISTORY_DAYS,
            "ticks": args.ticks, "interval": args.interval, "shards": args.shards, "commit": run["commit"],
            "load_average": {"start": run["load_start"], "end": run["load_end"]},
            "cpu_seconds_per_tick": round(s["tick"]["cpu"], 2), "bytes_written_per_tick": s["tick"]["write_bytes"],
            "peak_rss_mb": round(s["tick"]["rss_mb"], 1), "wall_seconds_per_tick": round(s["tick"]["wall"], 2),
            "wchar_per_tick": s["tick"]["wchar"], "stages": rounded(s),
            "values_per_poll": run["per_value"].get("values"),
            "poll_cpu_per_value_us": run["per_value"].get("poll") and round(run["per_value"]["poll"], 2),
            "netsnmp_cpu_per_value_us": run["per_value"].get("netsnmp") and round(run["per_value"]["netsnmp"], 2),
            "reference": ref and {"commit": ref.commit, "cpu_seconds_per_tick": round(ref.summary()["tick"]["cpu"], 2),
                                  "bytes_written_per_tick": ref.summary()["tick"]["write_bytes"],
                                  "peak_rss_mb": round(ref.summary()["tick"]["rss_mb"], 1),
                                  "wall_seconds_per_tick": round(ref.summary()["tick"]["wall"], 2),
                                  "stages": rounded(ref.summary())},
            "goals": [{"goal": g, "figure": f, "met": m} for g, f, m in run["checks"]],
            "page": run.get("page"),
            "format1": run.get("format1") and {
                "commit": run["format1"]["commit"],
                "cpu_seconds_per_tick": round(run["format1"]["summary"]["tick"]["cpu"], 2),
                "bytes_written_per_tick": run["format1"]["summary"]["tick"]["write_bytes"],
                "peak_rss_mb": round(run["format1"]["summary"]["tick"]["rss_mb"], 1)},
            "rrdtool": run.get("rrd") and {k: round(v, 3) for k, v in run["rrd"]["summary"].items()}}


def last_json(path: Path) -> dict:
    """The JSON object on the last line of a file this bench printed."""
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"{path}: no JSON line of bench_scale.py")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=500)
    p.add_argument("--interfaces", type=int, default=48, help="per device, lo included (default: %(default)s)")
    p.add_argument("--ticks", type=int, default=5, help="measured ticks (default: %(default)s)")
    p.add_argument("--interval", type=float, default=60, help="seconds from one tick's start to the next")
    p.add_argument("--shards", type=int, default=1, help="collectors polling at once, each --shard K/N")
    p.add_argument("--reference", default=REFERENCE, metavar="REF",
                   help="the commit run beside this code (default: %(default)s); 'none' skips it")
    p.add_argument("--against", type=Path, metavar="FILE",
                   help="the output of a 500 x 48 run: this run's tick CPU is given as a multiple of it")
    p.add_argument("--no-netsnmp", action="store_true", help="skip net-snmp asking the same values")
    p.add_argument("--format-ref", metavar="REF", help="commit of the older format (default: the one before the store)")
    p.add_argument("--format-ticks", type=int, help="ticks of the older format; 0 skips it (default: 2 up to "
                                                     "100 devices, else 0: it needs GBs of memory)")
    p.add_argument("--rrd-ticks", type=int, default=3, help="measured rrdtool updates; 0 skips rrdtool")
    p.add_argument("--no-page", action="store_true", help="skip the Chromium page figures")
    p.add_argument("--profile", action="store_true", help="one more tick of each stage under py-spy")
    p.add_argument("--workdir", default="/var/tmp", help="where the data goes (a disk, not tmpfs)")
    p.add_argument("--keep", action="store_true", help="keep the data folder")
    args = p.parse_args(argv)
    if not 2 <= args.interfaces <= sl.MAX_INTERFACES:
        p.error(f"--interfaces must be 2 to {sl.MAX_INTERFACES}")
    if args.shards < 1 or args.shards > args.devices:
        p.error("--shards must be 1 to --devices")
    if args.format_ticks is None:
        args.format_ticks = 2 if args.devices <= 100 else 0
    args.against = last_json(args.against) if args.against else None
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    communities = [f"dev{i:04d}" for i in range(args.devices)]
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-scale-", dir=args.workdir))
    run = {"commit": measured_commit(), "load_start": load_average(), "reference": None, "per_value": {}}
    try:
        with Network(args.interfaces) as network:
            snmpd, port = bench_poll.start_snmpd(root, network.prefix, communities, SNMPD_EXTRA)
            try:
                measure_all(args, run, network, port, communities, root)
            finally:
                snmpd.terminate()
                snmpd.wait()
        if args.rrd_ticks and shutil.which("rrdtool"):
            run["rrd"] = run_rrd(args, communities, root, run["new"].tick.samples)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"data kept in {root}")
    run["load_end"] = load_average()
    run["checks"] = goal_checks(args, run["new"].summary(), run["reference"] and run["reference"].summary(),
                                run["per_value"], args.against)
    print_report(args, run)
    print(json.dumps(result_json(args, run)))
    return 0


def measure_all(args, run, network, port, communities, root) -> None:
    machines = write_machines(root, port, communities)
    now = time.time()
    new = Side("this code", REPO, run["commit"], root / "new", machines, network.prefix, args.shards)
    sides = [new]
    if args.reference != "none":
        code = root / "reference-code"
        commit = export(args.reference, code)
        sides.append(Side("reference", code, commit, root / "reference", machines, network.prefix, args.shards))
    for side in sides:
        side.prepare(communities, now)
    peer = None
    if not args.no_netsnmp:
        peer = NetSnmpPeer(root, network.prefix, port, poll_requests(new.tick.samples, machines))
    log(f"{args.ticks} measured ticks, {args.interval:g} s apart")
    peer_runs = run_ticks(args, sides, peer, args.devices)
    run["new"], run["reference"] = new, sides[1] if len(sides) > 1 else None
    values = peer.values if peer else None
    if values:
        poll_cpu = new.summary()["poll"]["cpu"]
        peer_cpu = statistics.median(r["cpu"] for r in peer_runs)
        run["per_value"] = {"values": values, "poll": poll_cpu / values * 1e6, "netsnmp": peer_cpu / values * 1e6}
        run["peer"] = {"cpu": peer_cpu, "wall": statistics.median(r["wall"] for r in peer_runs),
                       "processes": peer.processes}
    run["per_value"]["interval"] = args.interval
    if args.profile:
        log("profile: one more tick of each stage under py-spy")
        run["profile"] = profile_tick(new.tick, root)
    if not args.no_page:
        try:
            run["page"] = page_figures(new.tick.www, new.tick.samples, communities[0])
        except Exception as exc:     # the other figures still count
            log(f"page figures failed: {type(exc).__name__}: {exc}")
    if args.format_ticks:
        run["format1"] = run_format1(args, network, port, communities, root)


if __name__ == "__main__":
    sys.exit(main())
