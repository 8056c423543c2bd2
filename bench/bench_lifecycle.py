"""The alert lifecycle's costs, side by side with what they compare to.

1. Batch ingest through the real server (POST /api/alert, batches of 1,000 with
   source_id): all new alerts, beside a run where half are duplicates of open alerts
   (counted on them: duplicate_count, last_seen, history).
   Goal: the half-duplicate run within 1.5x of the all-new one, and >= 20,000 alerts/s.
2. Listing what needs a person (GET /api/alert?status=open&silenced=false: count and
   the first page) over 1,000,000 alerts with 1,000 active silences, through the real
   server and straight on SQLite, beside the same listing with no silence active.
   Goal: p95 <= 50 ms.

    .venv/bin/python bench/bench_lifecycle.py [--alerts 50000] [--rows 1000000] [--requests 60]
    .venv/bin/python bench/bench_lifecycle.py --only ingest --peer REV [--peer REV2]

The 1,000,000-row database is built once into bench/out/ (git-ignored) and reused.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from bench.bench_api_filter import api_on_a_copy, percentile  # noqa: E402
from bench.bench_api_ingest import make_alerts  # noqa: E402
from vigie import db  # noqa: E402
from vigie import lifecycle as lc  # noqa: E402
from vigie import silences as sil  # noqa: E402
from vigie.alert_file import source_id  # noqa: E402
from vigie.db import rows as db_rows  # noqa: E402
from vigie.utc import iso  # noqa: E402

GOAL_RATE = 20000
GOAL_RATIO = 1.5
GOAL_P95_MS = 50
OUT = REPO_ROOT / "bench" / "out"
SERVERS = 4000
LIVE_SHARE = 0.05  # alerts not resolved among the rows: one row per fingerprint, most of them resolved long ago


# ---------------------------------------------------------------- 1. ingest

def export(rev: str, into: Path) -> str:
    """The checkout at git revision `rev`, written into `into`; its short id."""
    short = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", rev], check=True,
                           capture_output=True, text=True).stdout.strip()
    archive = subprocess.Popen(["git", "-C", str(REPO_ROOT), "archive", short], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {rev} failed")
    return short


def ingest_run(checkout: Path, data_file: Path, batch: int, in_process: bool = False) -> tuple:
    """(alerts/s wall, alerts/s per server CPU second, alerts stored after): one run of
    bench/ingest_run.py against the server of `checkout` (or its db.insert_alerts, in
    the process, with `in_process`)."""
    env = dict(os.environ, PYTHONPATH=f"{checkout}{os.pathsep}{checkout / 'bench'}")
    done = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "ingest_run.py"), str(data_file), str(batch)]
                          + (["--in-process"] if in_process else []),
                          cwd=checkout, env=env, check=True, capture_output=True, text=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return found["rate"], found["cpu_rate"], found["count"]


def half_duplicates(count: int) -> tuple:
    """(preload, alerts): `count` alerts, every other one a later sighting (new source_id,
    same seven fields) of one of the preloaded open alerts, the others new."""
    preload = [a for a in make_alerts(count // 2, seed=11, first=10_000_000) if a["severity"] != "INFO"]
    fresh = make_alerts(count - count // 2, seed=3)
    alerts, rnd = [], random.Random(5)
    for i in range(count):
        if i % 2 == 0 and preload:
            seen = dict(rnd.choice(preload), timestamp=iso(datetime(2026, 11, 20, tzinfo=timezone.utc)
                                                               + timedelta(seconds=i)))
            seen["source_id"] = source_id(seen, f"sighting-{i}.txt")
            alerts.append(seen)
        else:
            alerts.append(fresh[i // 2])
    return preload, alerts


def bench_ingest(count: int, batch: int, runs: int, peers=(), in_process: bool = False) -> dict:
    """{(code, kind): [runs]} for this checkout ("this") and each peer revision, the
    runs interleaved so that every code meets the same load; kind is "new" (all new
    alerts) or "dup" (half_duplicates)."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        preload, alerts = half_duplicates(count)
        inputs = {"new": tmp / "new.json", "dup": tmp / "dup.json"}
        inputs["new"].write_text(json.dumps({"preload": [], "alerts": make_alerts(count)}))
        inputs["dup"].write_text(json.dumps({"preload": preload, "alerts": alerts}))
        codes = {"this": REPO_ROOT}
        for rev in peers:
            folder = tmp / f"peer-{len(codes)}"
            folder.mkdir()
            codes[export(rev, folder)] = folder
        for n in range(runs):
            for code, checkout in codes.items():
                for kind, data_file in inputs.items():
                    results.setdefault((code, kind), []).append(ingest_run(checkout, data_file, batch, in_process))
                    print(f"\r  run {n + 1}/{runs}: {code} {kind} done", end="", flush=True)
        results["preloaded"] = len(preload)
    return results


def print_ingest(found: dict, args) -> None:
    def median(key):
        return sorted(found[key])[len(found[key]) // 2]

    codes = list(dict.fromkeys(code for code, _ in (k for k in found if isinstance(k, tuple))))
    where = ("db.insert_alerts in one process (no server, no HTTP)" if args.in_process
             else "through the real server")
    print(f"\n\n{args.alerts:,} alerts in batches of {args.batch:,} with source_id, {where}, "
          f"median of {args.runs} interleaved runs:\n")
    print(f"{'code':10}{'alerts':46}{'alerts/s':>10}{'per CPU s':>11}{'rows added':>12}   runs (alerts/s)")
    dup_label = f"half duplicates of {found['preloaded']:,} open alerts"
    for code in codes:
        for kind, label in (("new", "all new"), (("dup", dup_label))):
            rate, cpu_rate, rows = median((code, kind))
            added = rows - (found["preloaded"] if kind == "dup" else 0)
            runs = ", ".join(f"{r[0]:,.0f}" for r in found[(code, kind)])
            print(f"{code:10}{label:46}{rate:>10,.0f}{cpu_rate:>11,.0f}{added:>12,}   {runs}")
    new, dup = median(("this", "new")), median(("this", "dup"))
    print(f"\nthis code, all new / half duplicates: {new[0] / dup[0]:.2f}x of wall time, "
          f"{new[1] / dup[1]:.2f}x per CPU second")
    for code in codes[1:]:
        peer = median((code, "new"))
        print(f"{code} all new / this code half duplicates: {peer[0] / dup[0]:.2f}x of wall time, "
              f"{peer[1] / dup[1]:.2f}x per CPU second")
    if args.in_process:
        print("the goal is through the server: run without --in-process")
        return
    met = dup[0] >= GOAL_RATE and new[0] / dup[0] <= GOAL_RATIO
    print(f"goal: half duplicates within {GOAL_RATIO}x of all new and >= {GOAL_RATE:,} alerts/s: "
          f"{'met' if met else 'NOT met'} ({dup[0]:,.0f}/s)")


# ---------------------------------------------------------------- 2. listing over 1,000,000 rows

def live_state(rnd, moment: datetime) -> dict:
    """The state of an alert that is not resolved by hand: open mostly; some acknowledged
    (some of those acknowledgements ended), shelved, or timed out by now."""
    roll, now = rnd.random(), datetime.now(timezone.utc)
    if roll < 0.60:
        return {}
    if roll < 0.80:
        return {"acknowledged": 1, "acknowledged_by": "bench", "acknowledged_at": iso(moment)}
    if roll < 0.88:
        return {"acknowledged": 1, "acknowledged_by": "bench", "acknowledged_at": iso(moment),
                "ack_until": iso(now + timedelta(hours=rnd.choice((-2, 3))))}
    if roll < 0.94:
        return {"shelved_until": iso(now + timedelta(hours=rnd.choice((-1, 5)))), "shelved_by": "bench"}
    return {"timeout": 3600, "expires_at": iso(moment + timedelta(hours=1))}


def build(path: Path, count: int, silences: int):
    """`count` rows, one per fingerprint over a year, LIVE_SHARE of them not resolved;
    loaded first, indexed after; then `silences` active silences made through the API's
    own code (each linked to the live alerts of one server)."""
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    conn = db.connect(tmp)
    named = list(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
    for name, _ in named:
        conn.execute(f'DROP INDEX "{name}"')
    rnd = random.Random(17)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=365)
    severities = ("CRITICAL", "ERROR", "WARNING", "INFO")
    step = 50_000
    for first in range(0, count, step):
        batch = []
        for i in range(first, min(count, first + step)):
            moment = start + timedelta(seconds=i * 365 * 86400 // count)
            t = iso(moment)
            severity = rnd.choice(severities)
            row = dict.fromkeys(db_rows.ROW_COLUMNS)   # every column the store has, NULL unless set here
            row.update({"id": i + 1, "timestamp": t, "server": f"srv-{rnd.randrange(SERVERS):04d}", "severity": severity,
                   "message": f"Event {i}: disk usage at {rnd.randrange(100)}% on /var",
                   "provider": rnd.choice(("Acme", "NetOps", "CloudCo")),
                   "application": rnd.choice(("billing", "shop", "crm", "mail")),
                   "environment": rnd.choice(("prod", "preprod", "testing", "dev")),
                   "acknowledged": 0, "acknowledged_by": None, "acknowledged_at": None, "source_id": None,
                   "created_at": t, "fingerprint": None, "first_seen": t, "last_seen": t,
                   "duplicate_count": rnd.choice((0, 0, 0, 1, 4)), "reopen_count": 0, "ack_until": None,
                   "shelved_until": None, "shelved_by": None, "resolved_at": iso(moment + timedelta(minutes=20)),
                   "resolved_by": "system", "resolution": "back to normal", "timeout": None, "expires_at": None,
                   "flap_changes": [], "flapping_until": None})
            row["fingerprint"] = lc.fingerprint(row)  # the default one, as the API makes it
            if severity != "INFO" and rnd.random() < LIVE_SHARE / 0.75:
                row.update(resolved_at=None, resolved_by=None, resolution=None, **live_state(rnd, moment))
            batch.append(row)
        with db.transaction(conn):
            db_rows.insert_rows(conn, batch)
        print(f"\r  loading {first + len(batch):,}/{count:,}", end="", flush=True)
    print("\n  building indexes", flush=True)
    for _, statement in named:
        conn.execute(statement)
    conn.execute("ANALYZE")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for k in range(silences):
        silence = sil.normalize_silence({"matchers": {"server": f"srv-{k:04d}"}, "comment": f"maintenance {k}",
                                         "ends_at": iso(now + timedelta(days=365))}, now)
        db.silences.create(conn, silence, "bench", now)
        if k % 100 == 99:
            print(f"\r  silences {k + 1:,}/{silences:,}", end="", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)
    print()


QUERIES = [
    ("open, not silenced (the console)", {"status": "open", "silenced": "false"}),
    ("the same, CRITICAL only", {"status": "open", "silenced": "false", "severity": "CRITICAL"}),
    ("silenced (not resolved)", {"status": "open,acknowledged,shelved", "silenced": "true"}),
    ("open, by gravity", {"status": "open", "ordering": "-severity,-timestamp"}),
]


def as_filters(params: dict) -> tuple:
    filters = {}
    for key, value in params.items():
        if key == "status":
            filters[key] = value.split(",")
        elif key in ("silenced", "flapping"):
            filters[key] = value == "true"
        elif key != "ordering":
            filters[key] = [value]
    return filters, params.get("ordering", "-timestamp")


def bench_listing(source: Path, requests_per_query: int, page: int) -> list:
    results = []
    with api_on_a_copy(source, OUT / "lifecycle-run") as server:
        session = requests.Session()
        session.headers.update(server.viewer.headers)
        direct = db.connect(server.db_path, readonly=True)
        active = len(db.silences.active_ids(direct, db.utc_now()))
        for label, params in QUERIES:
            http_ms, sql_ms, counts = [], [], []
            filters, ordering = as_filters(params)
            for _ in range(requests_per_query):
                start = time.perf_counter()
                answer = session.get(server.url + "/api/alert", params=dict(params, limit=page))
                http_ms.append((time.perf_counter() - start) * 1000)
                answer.raise_for_status()
                counts.append(answer.json()["count"])
                start = time.perf_counter()
                db.list_alerts(direct, filters, ordering, page, 0)
                sql_ms.append((time.perf_counter() - start) * 1000)
            results.append((label, counts[-1], statistics.median(http_ms), percentile(http_ms, 95),
                            percentile(sql_ms, 95)))
        direct.close()
    return active, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50000, help="alerts sent per ingest run (default 50,000)")
    parser.add_argument("--batch", type=int, default=1000, help="alerts per request (default 1,000)")
    parser.add_argument("--runs", type=int, default=3, help="ingest runs of each kind; the median is shown (3)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the listing database (1,000,000)")
    parser.add_argument("--silences", type=int, default=1000, help="active silences in it (1,000)")
    parser.add_argument("--requests", type=int, default=60, help="requests per listing (60)")
    parser.add_argument("--page", type=int, default=50, help="page size, as the console asks (50)")
    parser.add_argument("--rebuild", action="store_true", help="build the listing database again")
    parser.add_argument("--only", choices=("ingest", "listing"), help="run one half only")
    parser.add_argument("--peer", action="append", default=[], metavar="REV",
                        help="also run the ingest of the code at this git revision (its own server, the same "
                             "client and input, runs interleaved), e.g. the commit before a change; repeatable")
    parser.add_argument("--in-process", action="store_true",
                        help="time the ingest of db.insert_alerts in one process instead of through the server")
    args = parser.parse_args(argv)

    if args.only != "listing":
        print(f"ingest: {args.runs} x 2 runs of {args.alerts:,} alerts for this code"
              + "".join(f" and {rev}" for rev in args.peer) + " ...", flush=True)
        print_ingest(bench_ingest(args.alerts, args.batch, args.runs, args.peer, args.in_process), args)

    if args.only != "ingest":
        OUT.mkdir(parents=True, exist_ok=True)
        source = OUT / f"lifecycle-{args.rows}-{args.silences}.db"
        if source.exists() and not args.rebuild:
            with sqlite3.connect(source) as old:
                args.rebuild = old.execute("PRAGMA user_version").fetchone()[0] != len(db.MIGRATIONS)
        if args.rebuild or not source.exists():
            print(f"\nbuilding {source} ...", flush=True)
            build(source, args.rows, args.silences)
        active, results = bench_listing(source, args.requests, args.page)
        conn = sqlite3.connect(source)
        live = conn.execute("SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL").fetchone()[0]
        links = conn.execute("SELECT COUNT(*) FROM alert_silences").fetchone()[0]
        conn.close()
        print(f"\nGET /api/alert (count + first page of {args.page}, newest first) over {args.rows:,} rows "
              f"({live:,} not resolved), {active:,} active silences linked to {links:,} alerts; "
              f"{args.requests} requests each, ms\n")
        print(f"{'listing':36}{'matches':>9}{'HTTP p50':>10}{'HTTP p95':>10}{'SQL p95':>9}")
        for label, count, p50, p95, sql95 in results:
            print(f"{label:36}{count:>9,}{p50:>10.1f}{p95:>10.1f}{sql95:>9.1f}")
        goal = results[0][3]
        print(f"\nthe console's listing: p95 {goal:.1f} ms (goal <= {GOAL_P95_MS} ms: "
              f"{'met' if goal <= GOAL_P95_MS else 'NOT met'})")
    print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
