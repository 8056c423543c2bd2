"""`python -m site_builder`: build www/ from the machines, their samples and the alerts.

    python -m site_builder --machines machines/ --samples data/samples/ \\
        --db data/vigie.db --out www/ [--api-url URL]

Exit status 0 when the site is written, 2 on bad usage, 1 when an input the
whole site depends on cannot be read (the machines folder, the database).
One bad machine file or sample file only affects that machine.
"""

import argparse
import functools
import gzip
import hashlib
import logging
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from vigie.machines import public_view
from site_builder import context, inputs, render, topology_map
from site_builder.graphs import LIVE, MachineGraphs
from site_builder.writer import Files, SiteWriter, signature
from vigie.samples import journal
from vigie import config, dependencies, device_log, heartbeat, metrics, scope, topology, utc
from vigie.atomic import atomic_write_bytes
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging
from vigie.reported import Reported
from vigie.roles import ROLE_RANK

log = logging.getLogger("vigie.site")

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
PLOTLY_ASSET = "static/plotly.min.js"
REFRESH_SECONDS = 30  # how often an open dashboard or machine page looks for a newer build
REPORTED_FILE = ".vigie-reported.json"  # what the builder has logged about lasting problems


PLOTLY_BUNDLE = PACKAGE_DIR / "vendor" / "plotly-basic.min.js"   # scripts/update-plotly.sh writes it


def pinned_plotly_version() -> str:
    """The plotly.js release bundled by the pinned plotly package: the release whose
    partial bundle is vendored (scripts/update-plotly.sh)."""
    from importlib.resources import files
    with files("plotly").joinpath("package_data", "plotly.min.js").open("rb") as f:
        head = f.read(200).decode("ascii", "replace")
    return re.search(r"plotly\.js v([0-9][0-9.]*)", head).group(1)


def vendored_plotly_version() -> str:
    """The release named by the vendored bundle's own banner."""
    with PLOTLY_BUNDLE.open("rb") as f:
        head = f.read(200).decode("ascii", "replace")
    return re.search(r"plotly\.js \(basic - minified\) v([0-9][0-9.]*)", head).group(1)


def plotly_js() -> bytes:
    """Plotly's official "basic" partial bundle (scatter traces and every layout part the
    graphs use), vendored: 1.2 MB instead of the whole library's 4.8 MB."""
    return PLOTLY_BUNDLE.read_bytes()


@functools.lru_cache(maxsize=1)
def gzipped(data: bytes) -> bytes:
    """The gzip copy of an asset, compressed once per process for the same content."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def code_version() -> str:
    """Changes whenever the builder, its templates, its static files or the roles change."""
    digest = hashlib.sha256(render.json_data(ROLE_RANK).encode("utf-8"))
    for path in sorted(list(PACKAGE_DIR.glob("*.py")) + list((PACKAGE_DIR / "templates").glob("*"))
                       + list(STATIC_DIR.glob("*"))):   # the Plotly bundle counts by its hashed name
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def hashed_name(relpath: str, digest: str) -> str:
    """static/plotly.min.js -> static/plotly-<digest>.min.js: a name that changes with the
    content, so the file can be cached for good (the API and the nginx example do)."""
    folder, _, name = relpath.rpartition("/")
    stem, _, rest = name.partition(".")
    return f"{folder}/{stem}-{digest}.{rest}"


def write_plotly(writer: SiteWriter) -> str:
    """The Plotly bundle (1.2 MB) under its content-hashed name, beside a gzip copy (0.4 MB)
    for servers that send it compressed; older copies are removed. Returns its name."""
    data = plotly_js()
    relpath = hashed_name(PLOTLY_ASSET, hashlib.sha256(data).hexdigest()[:12])
    writer.asset(relpath, data)
    gz = writer.out_dir / (relpath + ".gz")
    if not gz.is_file():
        writer.asset(relpath + ".gz", gzipped(data))
    else:
        writer.new[relpath + ".gz"] = {"sha256": "gzip"}
    keep = {relpath, relpath + ".gz"}
    for old in sorted((writer.out_dir / "static").glob("plotly*.js*")):
        if f"static/{old.name}" not in keep:
            os.unlink(old)
            writer.removed.append(f"static/{old.name}")
    return relpath


def write_assets(writer: SiteWriter) -> dict:
    """Static files first, so no page ever links to a file not yet written. {relpath: link
    suffix}: "?v=<hash>" for the small files, the hashed name for plotly."""
    (writer.out_dir / "static").mkdir(parents=True, exist_ok=True)
    versions = {PLOTLY_ASSET: {"name": write_plotly(writer)}}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            relpath = f"static/{path.name}"
            versions[relpath] = writer.asset(relpath, path.read_bytes())
    return versions


class Site:
    """What every page shares: the Jinja2 environment, asset versions, policy."""

    def __init__(self, versions: dict, api_url: str, built_at: str):
        self.env = render.make_environment()
        self.versions = versions
        self.api_url = api_url.rstrip("/")
        self.built_at = built_at
        self.csp = render.content_security_policy(self.api_url)

    def render(self, template: str, root: str, page: str, **ctx) -> bytes:
        assets = {rel: f"{root}{v['name']}" if isinstance(v, dict) else f"{root}{rel}?v={v}"
                  for rel, v in self.versions.items()}
        return render.render(self.env, template, dict(ctx, root=root, page=page, assets=assets,
                                                      csp=self.csp, api_url=self.api_url,
                                                      role_rank=ROLE_RANK))


class MachineJob:
    """One machine's part of a build: its graph files, its live.json, its page when
    what the page shows changed, its dashboard row. Runs in a worker process when
    there are many; writes its own files and returns what the manifest keeps."""

    def __init__(self, config, alerts, alert_count, previous: dict, windows=(), neighbours=(), upstream=None):
        self.config, self.alerts, self.alert_count, self.previous = config, alerts, alert_count, previous
        self.windows = list(windows)     # its maintenance windows, for the graphs to shade
        self.neighbours = list(neighbours)
        self.upstream = upstream         # its parents toward the collector (context.upstream_view)

    def run(self, site, code, samples_dir, out_dir, now: float) -> dict:
        name = self.config["name"]
        relpath = f"machines/{name}.html"
        files = Files(out_dir)
        samples_sig = inputs.samples_signature(samples_dir, name)     # before reading: a newer poll shows next time
        view, error = inputs.read_current(samples_dir, name)
        graph_state, graph_info, cut = self.previous.get("graphs"), {}, False
        if view is not None:
            try:
                graphs = MachineGraphs(out_dir, samples_dir, name, graph_state, files)
                if self.previous.get("samples") != samples_sig or not graph_state \
                        or graphs.due(view, now):
                    graph_state = graphs.refresh(view, now)
                graph_info, cut = graphs.info(), graphs.cut_done
                files.write(f"machines/{name}/{LIVE}", journal.dumps(context.live_data(view, graph_info)), often=True)
            except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
                view, error = None, f"cannot use samples: {type(exc).__name__}: {exc}"
        sig = signature(code, site.api_url, public_view(self.config), context.page_facts(view, error),
                        inputs.volumes_signature(samples_dir, name, now), inputs.events_signature(samples_dir, name),
                        self.alert_count, self.alerts, self.windows, self.neighbours, self.upstream)
        current = self.previous.get("inputs") == sig and (Path(out_dir) / relpath).is_file()
        if not current:
            events = inputs.read_events(samples_dir, name) if view is not None else []
            if view is not None:
                view = inputs.with_volumes(samples_dir, name, view, now)
            page = context.machine_page(self.config, view, error, events, self.alerts, self.alert_count, self.windows,
                                        self.neighbours, self.upstream)
            files.write(relpath, site.render("machine.html", "../", "machine", m=page, refresh=REFRESH_SECONDS,
                                             device_severities=device_log.SEVERITIES))
        entry = {"inputs": sig, "graphs": graph_state, "samples": samples_sig}
        return {"relpath": relpath, "entry": entry, "row": context.dashboard_row(self.config, view, error),
                "skipped": current, "cut": cut,
                "files": {"written": files.written, "unchanged": files.unchanged, "removed": files.removed,
                          "bytes": files.bytes}}


_worker = {}


def _worker_init(versions, api_url, built_at, code, samples_dir, out_dir, now):
    _worker.update(site=Site(versions, api_url, built_at), code=code, samples_dir=samples_dir, out_dir=out_dir,
                   now=now)


def _worker_run(job):
    return job.run(_worker["site"], _worker["code"], _worker["samples_dir"], _worker["out_dir"], _worker["now"])


def run_jobs(site, code, samples_dir, out_dir, jobs, workers, now) -> list:
    """MachineJob.run for each job, over `workers` processes when there is enough work."""
    if workers <= 1 or len(jobs) < 8:
        return [job.run(site, code, samples_dir, out_dir, now) for job in jobs]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                             initargs=(site.versions, site.api_url, site.built_at, code, samples_dir, out_dir,
                                       now)) as pool:
        return list(pool.map(_worker_run, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 4)))))


def build_machines(site, writer, code, samples_dir, conn, configs, workers, now: float, topo=None,
                   upstreams=None) -> list:
    """Bring every machine's files up to date; return every machine's dashboard row."""
    jobs = []
    until = utc.moment_from_unix(now)
    silences = inputs.silences_for_graphs(conn, until)
    names = {c["name"] for c in configs}
    every = topology.all_neighbours(topo or topology.empty())
    for config in configs:
        alert_count, alerts = inputs.machine_alerts(conn, config["name"])
        windows = context.maintenance_windows(silences, config["name"], until)
        neighbours = topology_map.machine_neighbours(every, config["name"], names)
        upstream = context.upstream_view((upstreams or {}).get(config["name"]), names)
        jobs.append(MachineJob(config, alerts, alert_count, writer.previous(f"machines/{config['name']}.html"),
                               windows, neighbours, upstream))
    results = run_jobs(site, code, samples_dir, writer.out_dir, jobs, workers, now)
    rendered = sum(1 for r in results if not r["skipped"])
    if rendered:
        log.info("rendering %d of %d machine pages", rendered, len(configs))
    log.info("graph files: %d machines cut, the others given their new polls", sum(1 for r in results if r["cut"]))
    for result in results:
        writer.keep(result["relpath"], result["entry"], result["files"], result["skipped"])
    return [r["row"] for r in results]


def report_samples_errors(reported, rows) -> None:
    """A samples file the builder cannot use is logged when that first happens, not every build."""
    for row in rows:
        if row.get("error"):
            reported.problem(("samples", row["name"]), f"machine {row['name']}: {row['error']}", logging.WARNING)
        else:
            reported.clear(("samples", row["name"]))
    reported.keep_only("samples", {("samples", row["name"]) for row in rows}, lambda key: None)


def read_topology(reported, path) -> dict:
    """The topology file, or an empty topology (said once) when it cannot be read."""
    try:
        found = topology.load(path)
    except topology.TopologyError as exc:
        reported.problem(("topology",), f"{exc}: the map and the neighbours are left empty", logging.WARNING)
        return topology.empty()
    reported.clear(("topology",))
    return found


def read_upstreams(reported, machines_dir, configs, topo, vantage) -> dict:
    """Every machine's parents toward the collector (vigie/dependencies.py); a problem with
    the parents a machine file sets is said once."""
    found, problems = dependencies.upstreams(configs, topo, vantage,
                                             source=lambda name: str(Path(machines_dir) / f"{name}.json"))
    for problem in problems:
        reported.problem(("parents", problem), problem, logging.WARNING)
    reported.keep_only("parents", {("parents", p) for p in problems}, lambda key: None)
    return found


def build(machines_dir, samples_dir, db_path, out_dir, api_url: str = "", now: datetime = None, force: bool = False,
          workers: int = 1, topology_path=None, vantage=()) -> dict:
    """Build the site; return what was written. Raises inputs.UnreadableInput on unreadable inputs.
    `vantage`: the machines nearest the collector ([dependencies] vantage)."""
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    built_at = utc.iso(now)
    reported = Reported(log, Path(out_dir) / REPORTED_FILE)
    configs, errors = inputs.read_machines(machines_dir)
    for error in errors:
        reported.problem(("file", error.source), f"skipping machine file {error}", logging.WARNING)
    reported.keep_only("file", {("file", e.source) for e in errors},
                       lambda key: f"machine file {key[1]} is valid again")
    conn = inputs.open_alerts(db_path)
    if conn is None:
        reported.problem(("db",), f"no alerts database at {db_path} yet: alert pages will be empty", logging.WARNING)
    else:
        reported.clear(("db",))
    if not Path(samples_dir).is_dir():
        reported.problem(("samples-folder",), f"no samples folder at {samples_dir} yet: machines have no data",
                         logging.WARNING)
    else:
        reported.clear(("samples-folder",))
    topo = read_topology(reported, topology_path or topology.path_beside(samples_dir))
    upstreams = read_upstreams(reported, machines_dir, configs, topo, vantage)
    writer = SiteWriter(out_dir)
    if force:
        writer.old = {}
    try:
        site = Site(write_assets(writer), api_url, built_at)
        code = signature(code_version(), site.versions[PLOTLY_ASSET])   # pages link plotly by its hashed name
        rows = build_machines(site, writer, code, samples_dir, conn, configs, workers, now.timestamp(), topo, upstreams)
        report_samples_errors(reported, rows)
        build_lists(site, writer, code, conn, configs, errors, rows, topo, upstreams)
        build_scoped_lists(site, writer, code, conn, configs, rows, topo, upstreams)
    finally:
        if conn is not None:
            conn.close()
    writer.remove_stale("machines", {f"machines/{c['name']}.html" for c in configs})
    writer.finish()
    reported.save()
    report = dict(writer.report(), machines=len(configs), config_errors=len(errors),
                  seconds=round(time.monotonic() - started, 3))
    return report


def write_map(site, writer, code, base: str, topo: dict, rows: list, upstreams=None) -> None:
    """map.json: the map's nodes and links for the machines of `rows`."""
    data = render.json_data(topology_map.map_data(topo, rows, upstreams)).encode("utf-8")
    writer.page(f"{base}map.json", signature(code, data.decode("utf-8")), lambda: data)


def build_lists(site, writer, code, conn, configs, errors, rows, topo=None, upstreams=None) -> None:
    """The pages that link to machine pages, written after them."""
    stats = inputs.alert_stats(conn, site.built_at)
    count, snapshot = inputs.alert_snapshot(conn, now=site.built_at)
    names = [c["name"] for c in configs]
    alerts_sig = signature(code, site.api_url, count, snapshot, stats, names)
    writer.page("alerts.html", alerts_sig, lambda: site.render(
        "alerts.html", "", "alerts", a=context.alerts_page(count, snapshot, stats, site.built_at, names)))
    silences = context.silences_page(inputs.silence_snapshot(conn, site.built_at), site.built_at)
    writer.page("silences.html", signature(code, site.api_url, silences["snapshot"]["results"]),
                lambda: site.render("silences.html", "", "silences", s=silences))
    devices = context.devices_page(configs, errors, rows)
    writer.page("devices.html", signature(code, site.api_url, devices),
                lambda: site.render("devices.html", "", "devices", d=devices))
    notify = context.notify_page()
    writer.page("notify.html", signature(code, site.api_url, notify),
                lambda: site.render("notify.html", "", "notify", n=notify))
    writer.page("reports.html", signature(code, site.api_url), lambda: site.render("reports.html", "", "reports"))
    write_map(site, writer, code, "", topo or topology.empty(), rows, upstreams)
    writer.page("map.html", signature(code, site.api_url), lambda: site.render("map.html", "", "map"))
    writer.page("login.html", signature(code, site.api_url), lambda: site.render("login.html", "", "login"))
    writer.page("users.html", signature(code, site.api_url), lambda: site.render("users.html", "", "users"))
    writer.page("account.html", signature(code, site.api_url), lambda: site.render("account.html", "", "account"))
    # served at any depth: its links start at /
    writer.page("404.html", signature(code, site.api_url), lambda: site.render("404.html", "/", "not-found"))
    search = render.json_data(context.search_index(rows)).encode("utf-8")
    writer.page("search.json", signature(code, search.decode("utf-8")), lambda: search)
    dash = context.dashboard(rows, [context.config_error_row(e) for e in errors], stats, site.built_at)
    writer.page("index.html", signature(code, site.api_url, dash),
                lambda: site.render("index.html", "", "dashboard", d=dash,
                                                     refresh=REFRESH_SECONDS))


def build_scoped_lists(site, writer, code, conn, configs, rows, topo=None, upstreams=None) -> None:
    """The pages that mix every team's alerts and machines (dashboard, console, silences, devices),
    once more for each set of scopes a team member sees, in .scoped/<key>/; the API
    serves them to those members at the usual address. A copy per scope set costs a few
    small pages per team, where cutting a page per user as it is served would mean
    parsing it; a plain web server serving www/ has no users, so it shows the full
    pages to whoever it lets in."""
    kept = set()
    for scopes in inputs.scope_sets(conn):
        key = scope.scopes_key(scopes)
        kept.add(key)
        mine = [(c, r) for c, r in zip(configs, rows) if scope.in_any_scope(scopes, scope.machine_fields(c["name"], c))]
        base = f"{scope.SCOPED_DIR}/{key}"
        stats = inputs.alert_stats(conn, site.built_at, scopes)
        count, snapshot = inputs.alert_snapshot(conn, now=site.built_at, scopes=scopes)
        silences = context.silences_page([s for s in inputs.silence_snapshot(conn, site.built_at)
                                          if scope.silence_inside(s["matchers"], scopes)], site.built_at)
        writer.page(f"{base}/silences.html", signature(code, site.api_url, silences["snapshot"]["results"]),
                    lambda: site.render("silences.html", "", "silences", s=silences))
        names = [c["name"] for c, _ in mine]
        writer.page(f"{base}/alerts.html", signature(code, site.api_url, count, snapshot, stats, names),
                    lambda: site.render("alerts.html", "", "alerts",
                                        a=context.alerts_page(count, snapshot, stats, site.built_at, names)))
        devices = context.devices_page([c for c, _ in mine], [], [r for _, r in mine])
        writer.page(f"{base}/devices.html", signature(code, site.api_url, devices),
                    lambda: site.render("devices.html", "", "devices", d=devices))
        search = render.json_data(context.search_index([r for _, r in mine])).encode("utf-8")
        writer.page(f"{base}/search.json", signature(code, search.decode("utf-8")), lambda: search)
        write_map(site, writer, code, f"{base}/", topo or topology.empty(), [r for _, r in mine], upstreams)
        dash = context.dashboard([r for _, r in mine], [], stats, site.built_at)
        writer.page(f"{base}/index.html", signature(code, site.api_url, dash),
                    lambda: site.render("index.html", "", "dashboard", d=dash, refresh=REFRESH_SECONDS))
    folder = writer.out_dir / scope.SCOPED_DIR
    for stale in sorted(folder.iterdir()) if folder.is_dir() else ():
        if stale.is_dir() and stale.name not in kept:
            writer.remove_stale(f"{scope.SCOPED_DIR}/{stale.name}", set())
            try:
                stale.rmdir()
            except OSError:
                pass


FLAGS = (Flag("--machines", "paths.machines", metavar="DIR"), Flag("--samples", "paths.samples", metavar="DIR"),
         Flag("--topology", "paths.topology", metavar="FILE"),
         Flag("--db", "paths.db", metavar="FILE"), Flag("--out", "paths.www", metavar="DIR"),
         Flag("--api-url", "build.api_url", metavar="URL"), Flag("--jobs", "build.jobs", metavar="N"),
         Flag("--metrics", "build.metrics", const=True))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m site_builder",
        description="Build the static web site (www/) from machine configs, samples and the alerts database.",
        epilog="With --metrics, the exposition counts the watcher's backlog (paths.alertfiles) and the syslog "
               "intake's messages (paths.logs) too.")
    config.add_options(parser, FLAGS)
    parser.add_argument("--force", action="store_true", help="render every page even if its inputs did not change")
    add_logging_options(parser)
    args = parser.parse_args(argv)
    config.from_args(args)
    for name in ("machines", "samples", "db", "out", "topology"):
        setattr(args, name, Path(getattr(args, name)))
    return args


def main(argv=None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except config.ConfigError as exc:
        setup_logging("vigie.site")
        log.error("%s", exc)
        return 2
    setup_logging("vigie.site", verbose=args.verbose, quiet=args.quiet)
    if args.show_config:
        print(config.describe(args.cfg, ("paths", "build", "dependencies")))
        return 0
    try:
        report = build(args.machines, args.samples, args.db, args.out, args.api_url, force=args.force,
                       workers=max(1, args.jobs), topology_path=args.topology,
                       vantage=args.cfg["dependencies"]["vantage"])
    except inputs.UnreadableInput as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:
        log.error("cannot write the site to %s: %s", args.out, exc)
        return 1
    if args.metrics:
        try:
            folders = args.cfg["paths"]
            atomic_write_bytes(args.out / "metrics", metrics.exposition(
                args.machines, args.samples, folders["alertfiles"], folders["logs"], db_path=args.db))
        except OSError as exc:
            log.error("cannot write %s: %s", args.out / "metrics", exc)
            return 1
    heartbeat.beat("build", args.cfg["paths"]["heartbeat"])
    log.info("site built in %s: %d machines, %d pages written, %d unchanged, %d skipped, %d removed (%.2f s)",
             args.out, report["machines"], report["written"], report["unchanged"], report["skipped"],
             report["removed"], report["seconds"])
    return 0
