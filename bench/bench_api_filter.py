"""GET /api/alert with two filters over 1,000,000 alerts: p50/p95 latency per filter pair,
through the real server (gunicorn, HTTP, count + first page), side by side with the
same query run straight on SQLite through vigie.db.list_alerts. Also the peak RSS of
each gunicorn worker after the run.

    .venv/bin/python bench/bench_api_filter.py [--alerts 1000000] [--requests 60]

The database is built once into bench/out/ (git-ignored) and reused.
Goal: p95 <= 50 ms.
"""

import argparse
import contextlib
import random
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from bench.bench_api_ingest import make_alerts  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from vigie import db  # noqa: E402
from vigie.alert import FIELDS  # noqa: E402
from proc_stats import worker_peak_rss_mb  # noqa: E402

GOAL_P95_MS = 50
OUT = REPO_ROOT / "bench" / "out"

PAIRS = [
    ("severity + server", lambda r: {"severity": "CRITICAL", "server": f"srv-{r.randrange(200):03d}"}),
    ("severity + environment", lambda r: {"severity": r.choice(("CRITICAL", "ERROR")),
                                          "environment": r.choice(("prod", "dev"))}),
    ("server + acknowledged", lambda r: {"server": f"srv-{r.randrange(200):03d}", "acknowledged": "false"}),
    ("application + provider", lambda r: {"application": r.choice(("billing", "shop")),
                                          "provider": r.choice(("Acme", "NetOps"))}),
    ("severity + since (last day)", lambda r: {"severity": "WARNING", "since": "2026-11-23T00:00:00+00:00"}),
]


def build(path: Path, count: int):
    """A database of `count` alerts: rows loaded first, indexes built after (much faster)."""
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    conn = db.connect(tmp)
    indexes = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
    for name in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]:
        conn.execute(f'DROP INDEX "{name}"')
    sql = ("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
           " source_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    now = db.utc_now()
    step = 100000
    for start in range(0, count, step):
        alerts = make_alerts(min(step, count - start), seed=start, with_source_id=False, first=start)
        rows = [tuple(a[f] for f in FIELDS) + (f"bench-{start + i}", now) for i, a in enumerate(alerts)]
        with db.transaction(conn):
            conn.executemany(sql, rows)
        print(f"\r  loading {start + len(rows):,}/{count:,}", end="", flush=True)
    with db.transaction(conn):
        conn.execute("UPDATE alerts SET acknowledged = 1, acknowledged_by = 'bench' WHERE id % 3 = 0")
    print("\n  building indexes", flush=True)
    for statement in indexes:
        conn.execute(statement)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)


@contextlib.contextmanager
def api_on_a_copy(source: Path, tmp: Path):
    """The real API (2 workers x 4 threads) on a copy of the database `source`, in `tmp`;
    both gone afterwards."""
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "api" / "data").mkdir(parents=True)
    shutil.copy(source, tmp / "api" / "data" / "vigie.db")
    server = start_api(tmp, workers=2, threads=4)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]




def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000, help="alerts in the database (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=60, help="requests per filter pair (default 60)")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"alerts-{args.alerts}.db"
    if source.exists() and not args.rebuild:
        with sqlite3.connect(source) as old:
            args.rebuild = old.execute("PRAGMA user_version").fetchone()[0] != len(db.MIGRATIONS)
    if args.rebuild or not source.exists():
        print(f"building {source} ...")
        build(source, args.alerts)
    rnd = random.Random(7)
    results = []
    with api_on_a_copy(source, OUT / "filter-run") as server:
        session = requests.Session()
        session.headers.update(server.viewer.headers)
        direct = db.connect(server.db_path, readonly=True)
        for label, make in PAIRS:
            http_ms, sql_ms, counts = [], [], []
            for _ in range(args.requests):
                params = make(rnd)
                start = time.perf_counter()
                answer = session.get(server.url + "/api/alert", params=params)
                http_ms.append((time.perf_counter() - start) * 1000)
                answer.raise_for_status()
                counts.append(answer.json()["count"])
                filters = {k: ([v] if k not in ("acknowledged", "since") else v) for k, v in params.items()}
                if "acknowledged" in filters:
                    filters["acknowledged"] = filters["acknowledged"] == "true"
                start = time.perf_counter()
                db.list_alerts(direct, filters, "-timestamp", 100, 0)
                sql_ms.append((time.perf_counter() - start) * 1000)
            results.append((label, statistics.median(http_ms), percentile(http_ms, 95), percentile(sql_ms, 95),
                            int(statistics.median(counts))))
        rss = worker_peak_rss_mb(server.process.pid)
    print(f"\nGET /api/alert (count + first page of 100) over {args.alerts:,} alerts, "
          f"{args.requests} requests per pair, ms\n")
    print(f"{'filters':30}{'matches':>10}{'HTTP p50':>10}{'HTTP p95':>10}{'SQL p95':>10}")
    for label, p50, p95, sql95, count in results:
        print(f"{label:30}{count:>10,}{p50:>10.1f}{p95:>10.1f}{sql95:>10.1f}")
    worst = max(r[2] for r in results)
    print(f"\nworst p95 {worst:.1f} ms (goal <= {GOAL_P95_MS} ms: {'met' if worst <= GOAL_P95_MS else 'NOT met'})")
    print(f"peak RSS per gunicorn worker: {', '.join(f'{r:.1f} MB' for r in rss)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
