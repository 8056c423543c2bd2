"""A machine page in headless Chromium: how soon it is first shown and how soon its first
graph is interactive (drawn by Plotly, not only the first look), for a 48-port switch and
a 1,000-port chassis with a year of samples, side by side with an earlier commit.

    .venv/bin/python bench/bench_machine_page.py [--runs 5] [--peer 13f7a70] [--ports 48,1000]

Each code (this checkout, and the peer exported with `git archive`) builds the same
samples into its own site with its own `python -m site_builder`, served by the API
(gunicorn) on 127.0.0.1. Each run opens a fresh browser context (empty cache), logs in,
and loads the page twice: cold (everything fetched) then warm (from the browser's cache).
Runs are interleaved, so both codes meet the same load. The page is opened at its first
interface's graph, as the search box opens an interface. Printed: medians of "first
shown" (first contentful paint), "interactive" (navigation to that graph drawn by Plotly)
and the bytes on the wire, with the commit and the load average.

The peer builds with the Python packages of this checkout's .venv: a commit before the
vendored Plotly bundle (13f7a70 and older) takes the whole plotly.js from the plotly
Python package, which requirements.txt still pins.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.bench_lifecycle import export  # noqa: E402  (a commit's checkout, by git archive)
from tests.support import site_data as sd  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from tests.support.browser import CHROMIUM, browser, new_context  # noqa: E402


def git(*args) -> str:
    return subprocess.run(["git", "-C", str(REPO_ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def this_commit() -> str:
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


def build_with(checkout: Path, machines: Path, samples: Path, api) -> float:
    """Build the site with the code in `checkout`; its wall time."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "site_builder", "-q", "--machines", str(machines),
                           "--samples", str(samples), "--db", str(api.db_path), "--out", str(api.www_dir),
                           "--jobs", "2"], cwd=checkout, env=dict(os.environ, PYTHONPATH=str(checkout)),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the site builder of {checkout} failed:\n{done.stderr[-2000:]}")
    return time.monotonic() - started


PAINT = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime / 1000"
# where the time goes: the page's own stages (graphs.js marks them; an older code may not),
# the HTML parsed, the Plotly script received; seconds from the navigation
STAGES = ("html", "live", "data", "first-look", "plotly-received", "plotly", "interactive")
TIMELINE = """() => {
  const at = {html: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd};
  performance.getEntriesByType('mark').forEach(m => { if (m.name.startsWith('vigie:')) at[m.name.slice(6)] = m.startTime; });
  const plotly = performance.getEntriesByType('resource').find(r => r.name.includes('/static/plotly-'));
  if (plotly) at['plotly-received'] = plotly.responseEnd;
  return Object.fromEntries(Object.entries(at).map(([k, v]) => [k, v / 1000]));
}"""


# the moment a graph is marked drawn by Plotly (data-rendered), seen by the page itself: the
# same measure for any code, without the test driver's polling
WATCH = """new MutationObserver((changes, observer) => {
  if (changes.some(c => c.target.dataset && c.target.dataset.rendered)) {
    window.__interactive = performance.now() / 1000;
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-rendered']});"""


def load(page, url) -> dict:
    """One navigation: first contentful paint and first interactive graph, in seconds."""
    wire = []
    listener = lambda r: wire.append(r.sizes()["responseBodySize"])   # noqa: E731
    page.goto("about:blank")
    page.on("requestfinished", listener)
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".graph[data-rendered]", timeout=120_000)
    page.wait_for_load_state("load")
    shown, interactive = page.evaluate(PAINT), page.evaluate("() => window.__interactive")
    stages = page.evaluate(TIMELINE)
    page.remove_listener("requestfinished", listener)
    return dict({f"at {k}": stages.get(k, float("nan")) for k in STAGES},
                shown=shown, interactive=interactive, bytes=sum(wire))


def one_run(chromium, api, machine: str) -> dict:
    with new_context(chromium) as context:
        context.request.post(api.url + "/api/login", data={"username": "viewer", "password": api.viewer.password})
        context.add_init_script(WATCH)
        page = context.new_page()
        url = f"{api.url}/machines/{machine}.html#graph-if-eth0"   # as the search box opens an interface
        return {"cold": load(page, url), "warm": load(page, url)}


def median(runs, when, what):
    return statistics.median(r[when][what] for r in runs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--peer", metavar="REV", help="an earlier commit measured beside this checkout")
    p.add_argument("--ports", default="48,1000", help="interfaces of each machine measured (default: %(default)s)")
    args = p.parse_args(argv)
    ports = [int(n) for n in args.ports.split(",")]
    machines = {n: f"sw-{n}p" for n in ports}
    load_start = os.getloadavg()
    results, builds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        now = datetime.now(timezone.utc)
        print(f"writing a year of samples for {', '.join(str(n) for n in ports)} interfaces ...", flush=True)
        for n, name in machines.items():
            sd.write_machine(root / "machines", name)
            sd.write_samples(root / "samples", sd.make_samples(name, now, interfaces=n))
        codes = {this_commit(): REPO_ROOT}
        if args.peer:
            folder = root / "peer"
            folder.mkdir()
            codes[export(args.peer, folder)] = folder
        servers = {}
        try:
            for code, checkout in codes.items():
                servers[code] = start_api(root / f"site-{len(servers)}")
                builds[code] = build_with(checkout, root / "machines", root / "samples", servers[code])
                print(f"  {code}: site built in {builds[code]:.1f} s", flush=True)
            with browser(CHROMIUM) as chromium:
                for n in range(args.runs):
                    for code in codes:
                        for ports_count, name in machines.items():
                            results.setdefault((code, ports_count), []).append(one_run(chromium, servers[code], name))
                    print(f"\r  run {n + 1}/{args.runs} done", end="", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    load_end = os.getloadavg()
    print(f"\n\nmachine page, a year of samples, median of {args.runs} runs; headless Chromium, "
          f"{os.cpu_count()} cores, load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end\n")
    print("| code | interfaces | first shown, cold / warm | interactive, cold / warm | bytes on the wire, cold |")
    print("| --- | --- | --- | --- | --- |")
    figures = {}
    for (code, ports_count), runs in results.items():
        row = {f"{what}_{when}": round(median(runs, when, what), 3) for what in ("shown", "interactive")
               for when in ("cold", "warm")}
        row["bytes_cold"] = int(median(runs, "cold", "bytes"))
        figures.setdefault(code, {})[ports_count] = row
        print(f"| {code} | {ports_count:,} | {row['shown_cold']:.2f} s / {row['shown_warm']:.2f} s "
              f"| {row['interactive_cold']:.2f} s / {row['interactive_warm']:.2f} s "
              f"| {row['bytes_cold'] / 1e6:.2f} MB |")
    print("\nwhere the time goes, cold (s from navigation: " + ", ".join(STAGES) + "):")
    for (code, ports_count), runs in results.items():
        print(f"  {code} {ports_count:>5,}: " + "  ".join(f"{median(runs, 'cold', 'at ' + k):5.2f}" for k in STAGES))
    print(json.dumps({"load": [load_start[0], load_end[0]], "builds": builds, "figures": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
