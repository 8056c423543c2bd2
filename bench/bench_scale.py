"""One tick at scale: N devices x I interfaces with a year of history, beside today's
format and rrdtool.

    python bench/bench_scale.py --devices 500 --interfaces 48 [--ticks 5] [--interval 60]

As root, Debian's snmpd answers for every device (one community each) inside a
network namespace holding exactly I interfaces: lo and I-1 veth ends whose peers
sit in a second namespace, with a little UDP traffic both ways on every link, so
counters move and rates are real numbers. A year of samples is written for every
device first (tests/support/samples_history.py), then one warm-up tick, then
TICKS measured ticks, INTERVAL seconds apart as in production (so the work done
once an hour or once a day per machine falls in at its real rate):

    poll   python -m collector.poll --once   (SNMP, then the samples store)
    site   python -m site_builder            (graph files, live.json, pages, dashboard)

Each stage is one process tree, measured from outside: CPU (user + system, its
workers included), wall time, bytes written (wchar: handed to write(2);
write_bytes: sent to the disk, from /proc/<pid>/io, children included once
reaped) and peak RSS of its largest process. The collector also reports the
part of its CPU spent in the samples store.

Side by side, in the same run:
  - today's format: the same tick run by the code of the commit before the
    samples store that appends (a git worktree of it), on a year of samples
    written by that code's own functions (--baseline-ticks, 0 to skip);
  - rrdtool update of the same interfaces (Debian rrdtool, one RRD per
    interface with the same four archives, every update through one
    `rrdtool -` process): the in-place floor.
  - a machine page in Chromium served by a plain static server: first load
    without plotly.js, and the time until the first graph is drawn.

Goal (500 x 48, 60 s): tick <= 20 s CPU and <= 25 MB written, peak RSS <= 300 MB
a process, graphs within 1 s, first load <= 300 KB. The last line on stdout is
one JSON object with the figures.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import samples_history as history
from vigie import samples as sl

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HISTORY_DAYS = 365

_spec = importlib.util.spec_from_file_location("bench_poll", Path(__file__).with_name("bench_poll.py"))
bench_poll = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_poll)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ measuring a process

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


def measure(cmd, env=None, cwd=None) -> dict:
    """Run one process tree to its end: wall, CPU (it and its reaped children), bytes written,
    peak RSS of its largest process, and its standard error."""
    settle()
    io_before = self_io()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    io_after = self_io()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[-8:]))} failed ({proc.returncode}): {err[-1500:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "wchar": io_after["wchar"] - io_before["wchar"],
            "write_bytes": io_after["write_bytes"] - io_before["write_bytes"], "stderr": err}


def collector_store_figures(stderr: str) -> dict:
    found = re.search(r"samples: ([0-9.]+) kB written, ([0-9.]+) s of CPU", stderr)
    return {"store_kb": float(found.group(1)), "store_cpu": float(found.group(2))} if found else {}


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
        return self

    def _batch(self, commands, namespace=None):
        args = ["ip"] + (["-n", namespace] if namespace else []) + ["-batch", "-"]
        subprocess.run(args, input="\n".join(commands) + "\n", text=True, check=True, capture_output=True)

    def __exit__(self, *exc):
        for proc in self.senders:
            proc.terminate()
            proc.wait()
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# ------------------------------------------------------------------ Vigie, today's format, rrdtool

def write_machines(root: Path, port: int, communities: list) -> Path:
    machines = root / "machines"
    machines.mkdir()
    for c in communities:
        (machines / f"{c}.json").write_text(json.dumps(
            {"host": "127.0.0.1", "port": port, "snmp": {"version": "2c", "community": c},
             "interval": 60, "timeout": 5, "retries": 1}))
    return machines


class Tick:
    """The commands of one tick for one code tree (this one, or today's format in a worktree)."""

    def __init__(self, code: Path, root: Path, machines: Path, prefix: list, label: str):
        self.code, self.root, self.label = code, root, label
        self.samples, self.www = root / "samples", root / "www"
        self.env = {**os.environ, "PYTHONPATH": str(code), "MIBS": "",
                    "VIGIE_HEARTBEAT_DIR": str(root / "heartbeat")}     # not the checkout's data/
        self.poll_cmd = prefix + [PYTHON, "-m", "collector.poll", "--once", "--machines", str(machines),
                                  "--samples", str(self.samples), "--alertfiles", str(root / "alertfiles")]
        self.site_cmd = [PYTHON, "-m", "site_builder", "--machines", str(machines), "--samples", str(self.samples),
                         "--db", str(root / "vigie.db"), "--out", str(self.www)]

    def poll(self) -> dict:
        figures = measure(self.poll_cmd, env=self.env, cwd=self.code)
        figures.update(collector_store_figures(figures["stderr"]))
        return figures

    def site(self) -> dict:
        return measure(self.site_cmd, env=self.env, cwd=self.code)

    def run(self) -> dict:
        poll, site = self.poll(), self.site()
        return {"poll": poll, "site": site}


def write_history(tick: Tick, devices: list, now: float) -> float:
    """A year of samples for every device, from the interfaces the warm-up poll found."""
    started = time.perf_counter()
    identities = sl.read_head(tick.samples, devices[0])["interfaces"]
    first = history.write_history(tick.samples, devices[0], identities, now, days=HISTORY_DAYS)
    for name in devices[1:]:
        history.copy_history(first, tick.samples, name)
    return time.perf_counter() - started


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


def baseline_commit() -> str:
    """The commit before the samples store that appends."""
    first = subprocess.run(["git", "-C", str(REPO), "log", "--format=%H", "--diff-filter=A", "--",
                            "vigie/samples/store.py"], capture_output=True, text=True, check=True).stdout.split()
    if not first:
        raise RuntimeError("cannot find the commit that added vigie/samples/store.py; give --baseline REF")
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
        with open(script) as commands:
            figures = measure_stdin(["rrdtool", "-"], commands)
        script.unlink()
        return figures

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def measure_stdin(cmd, stdin) -> dict:
    settle()
    io_before = self_io()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    io_after = self_io()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0 or "ERROR" in err:
        raise RuntimeError(f"rrdtool: {err[-500:]}")
    return {"wall": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "wchar": io_after["wchar"] - io_before["wchar"],
            "write_bytes": io_after["write_bytes"] - io_before["write_bytes"]}


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
    from tests.support.browser import WatchedPage, browser, new_context, static_server
    out = {}
    graph_data = (".fine.json", ".coarse.json", "recent.jsonl")
    with static_server(www) as url, browser() as chromium, new_context(chromium) as context:
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


def run_new(args, network, port, communities, root) -> dict:
    machines = write_machines(root, port, communities)
    tick = Tick(REPO, root / "new", machines, network.prefix, "vigie")
    tick.root.mkdir()
    log("new format: discovery poll")
    tick.poll()
    log(f"new format: writing a year of samples for {len(communities)} devices")
    made = write_history(tick, communities, time.time())
    size = sum(p.stat().st_size for p in tick.samples.rglob("*") if p.is_file())
    log(f"  {size / 1e9:.2f} GB in {made:.0f} s; warm-up ticks")
    tick.poll()
    first_build = tick.site()
    log(f"  first build (every graph file): {first_build['wall']:.1f} s wall, {first_build['cpu']:.1f} s CPU")
    measured = []
    start = time.monotonic()
    for n in range(args.ticks):
        due = start + n * args.interval
        time.sleep(max(0.0, due - time.monotonic()))
        result = tick.run()
        cuts = re.search(r"graph files: (\d+) machines? cut", result["site"]["stderr"])
        result["cuts"] = int(cuts.group(1)) if cuts else None
        measured.append(result)
        log(f"  tick {n + 1}: poll {result['poll']['cpu']:.1f} s CPU / {result['poll']['wall']:.1f} s, "
            f"site {result['site']['cpu']:.1f} s CPU / {result['site']['wall']:.1f} s, "
            f"{(result['poll']['write_bytes'] + result['site']['write_bytes']) / 1e6:.1f} MB to disk")
    www_size = sum(p.stat().st_size for p in tick.www.rglob("*") if p.is_file())
    return {"summary": tick_summary(measured), "ticks": measured, "first_build": first_build,
            "samples_bytes": size, "www_bytes": www_size, "tick": tick}


def run_baseline(args, network, port, communities, root) -> dict:
    ref = args.baseline or baseline_commit()
    code = root / "baseline-code"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(code), ref], check=True,
                   capture_output=True)
    try:
        commit = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        tick = Tick(code, root / "old", root / "machines", network.prefix, "today")
        tick.root.mkdir()
        log(f"today's format ({commit}): discovery poll, then a year of samples by its own functions")
        tick.poll()
        env = {**os.environ, "PYTHONPATH": str(code)}
        subprocess.run([PYTHON, "-c", FORMAT1_HISTORY, str(tick.samples), str(time.time())], cwd=code, env=env,
                       check=True, capture_output=True)
        size = sum(p.stat().st_size for p in tick.samples.rglob("*") if p.is_file())
        log(f"  {size / 1e9:.2f} GB; warm-up tick")
        tick.poll()
        tick.site()
        measured = []
        for n in range(args.baseline_ticks):
            measured.append(tick.run())
            log(f"  tick {n + 1}: poll {measured[-1]['poll']['cpu']:.1f} s CPU, site {measured[-1]['site']['cpu']:.1f} s CPU")
        return {"summary": tick_summary(measured), "commit": commit, "samples_bytes": size}
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(code)], capture_output=True)


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
    return f"{n / 1e6:.1f} MB"


def print_report(args, new, old, rrd, page) -> None:
    s = new["summary"]
    print(f"\n### A tick at scale: {args.devices} devices x {args.interfaces} interfaces, a year of history "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; medians of {args.ticks} ticks "
          f"{args.interval} s apart)\n")
    print("| stage | CPU (user+sys) | wall | written (write(2)) | to disk (write_bytes) | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = [("poll: `collector.poll --once` (SNMP + samples store)", s["poll"]), ("site: `python -m site_builder`", s["site"]),
            ("whole tick", s["tick"])]
    for label, f in rows:
        print(f"| {label} | {f['cpu']:.2f} s | {f['wall']:.2f} s | {mb(f['wchar'])} | {mb(f['write_bytes'])} "
              f"| {f['rss_mb']:.0f} MB |")
    if "store" in s:
        print(f"\nOf the poll, the samples store: {s['store']['cpu']:.2f} s of CPU and {s['store']['kb'] / 1e3:.1f} MB "
              f"written; the rest is SNMP and start-up.")
    cuts = [t["cuts"] for t in new["ticks"] if t["cuts"] is not None]
    if cuts:
        print(f"Machines whose graph files were cut (every 2 h, each at its own minute) in the measured ticks: {cuts}.")
    print(f"First build after the history was written (every graph file): {new['first_build']['wall']:.1f} s wall, "
          f"{new['first_build']['cpu']:.1f} s CPU, {mb(new['first_build']['write_bytes'])} to disk.")
    print(f"Samples on disk: {new['samples_bytes'] / 1e9:.2f} GB; www/: {new['www_bytes'] / 1e9:.2f} GB.\n")
    print("| the same tick | CPU | wall | written (write(2)) | to disk | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| Vigie, samples that append | {s['tick']['cpu']:.2f} s | {s['tick']['wall']:.2f} s | "
          f"{mb(s['tick']['wchar'])} | {mb(s['tick']['write_bytes'])} | {s['tick']['rss_mb']:.0f} MB |")
    if old:
        o = old["summary"]["tick"]
        print(f"| today's format ({old['commit']}, {args.baseline_ticks} ticks) | {o['cpu']:.2f} s | {o['wall']:.2f} s | "
              f"{mb(o['wchar'])} | {mb(o['write_bytes'])} | {o['rss_mb']:.0f} MB |")
        print(f"| of which its poll / site | {old['summary']['poll']['cpu']:.2f} / {old['summary']['site']['cpu']:.2f} s "
              f"| | {mb(old['summary']['poll']['wchar'])} / {mb(old['summary']['site']['wchar'])} | | |")
    if rrd:
        r = rrd["summary"]
        print(f"| `rrdtool update`, {rrd['files']} RRDs, one `rrdtool -` (storage only, no SNMP, no page) "
              f"| {r['cpu']:.2f} s | {r['wall']:.2f} s | {mb(r['wchar'])} | {mb(r['write_bytes'])} | {r['rss_mb']:.0f} MB |")
    if page:
        for visit, p in page.items():
            print(f"\nMachine page ({visit} browser cache, plain static server): first graph's first look (the last "
                  f"day, plain SVG) {p['first_look_s']:.2f} s after navigation, interactive (Plotly) "
                  f"{p['first_graph_s']:.2f} s; a graph further down {p['scrolled_graph_s']:.2f} s "
                  f"after being scrolled to; first load {p['first_load_bytes'] / 1e3:.0f} KB without plotly.js "
                  f"({p['plotly_bytes'] / 1e6:.1f} MB for it); graph data of the two graphs "
                  f"{p['graph_data_bytes'] / 1e3:.0f} KB; console errors: {p['console_errors']}.")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=500)
    p.add_argument("--interfaces", type=int, default=48, help="per device, lo included (default: %(default)s)")
    p.add_argument("--ticks", type=int, default=5, help="measured ticks (default: %(default)s)")
    p.add_argument("--interval", type=float, default=60, help="seconds from one tick's start to the next")
    p.add_argument("--baseline", metavar="REF", help="commit of today's format (default: the one before the store)")
    p.add_argument("--baseline-ticks", type=int, default=2, help="ticks of today's format; 0 skips it")
    p.add_argument("--rrd-ticks", type=int, default=3, help="measured rrdtool updates; 0 skips rrdtool")
    p.add_argument("--no-page", action="store_true", help="skip the Chromium page figures")
    p.add_argument("--workdir", default="/var/tmp", help="where the data goes (a disk, not tmpfs)")
    p.add_argument("--keep", action="store_true", help="keep the data folder")
    args = p.parse_args(argv)
    if not 2 <= args.interfaces <= sl.MAX_INTERFACES:
        p.error(f"--interfaces must be 2 to {sl.MAX_INTERFACES}")
    communities = [f"dev{i:04d}" for i in range(args.devices)]
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-scale-", dir=args.workdir))
    new = old = rrd = page = None
    try:
        with Network(args.interfaces) as network:
            snmpd, port = bench_poll.start_snmpd(root, network.prefix, communities)
            try:
                new = run_new(args, network, port, communities, root)
                if not args.no_page:
                    try:
                        page = page_figures(new["tick"].www, new["tick"].samples, communities[0])
                    except Exception as exc:     # the other figures still count
                        log(f"page figures failed: {type(exc).__name__}: {exc}")
                if args.baseline_ticks:
                    old = run_baseline(args, network, port, communities, root)
            finally:
                snmpd.terminate()
                snmpd.wait()
        if args.rrd_ticks and shutil.which("rrdtool"):
            rrd = run_rrd(args, communities, root, new["tick"].samples)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print_report(args, new, old, rrd, page)
    s = new["summary"]
    result = {"devices": args.devices, "interfaces": args.interfaces, "history_days": HISTORY_DAYS,
              "ticks": args.ticks, "cpu_seconds_per_tick": round(s["tick"]["cpu"], 2),
              "bytes_written_per_tick": s["tick"]["write_bytes"], "peak_rss_mb": round(s["tick"]["rss_mb"], 1),
              "wall_seconds_per_tick": round(s["tick"]["wall"], 2), "wchar_per_tick": s["tick"]["wchar"],
              "stages": {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in s.items()},
              "page": page,
              "today": old and {"commit": old["commit"], "cpu_seconds_per_tick": round(old["summary"]["tick"]["cpu"], 2),
                                "bytes_written_per_tick": old["summary"]["tick"]["write_bytes"],
                                "wchar_per_tick": old["summary"]["tick"]["wchar"],
                                "peak_rss_mb": round(old["summary"]["tick"]["rss_mb"], 1)},
              "rrdtool": rrd and {k: round(v, 3) for k, v in rrd["summary"].items()}}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
