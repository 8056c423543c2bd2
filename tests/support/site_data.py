"""Sample files, machine configs and alerts for the web site tests and benchmarks,
in the formats the collector and the API write (docs/DESIGN.md)."""

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from vigie import db

ARCHIVE_STEPS = {"week": (1800, 336), "month": (7200, 372), "year": (86400, 730)}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def traffic(ts: float, peak: float, phase: float) -> float:
    """A day-shaped rate: low at night, high in the afternoon."""
    return peak * (0.55 + 0.4 * math.sin(2 * math.pi * (ts / 86400 + phase)))


def archive_rows(end: int, step: int, rows: int, peak: float, phase: float, rng) -> list:
    start = end - end % step - step * (rows - 1)
    out = []
    for i in range(rows):
        ts = start + i * step
        a_in, a_out = traffic(ts, peak, phase), traffic(ts, peak * 0.4, phase + 0.1)
        out.append([ts, round(a_in, 1), round(a_out, 1), round(a_in * (1 + rng.random() * 0.3), 1),
                    round(a_out * (1 + rng.random() * 0.3), 1)])
    return out


def make_samples(name: str, now: datetime, interfaces: int = 8, interval: int = 60, day_rows: int = 1440,
                 state: str = "up", seed: int = 1, oids: dict = None, aliases: dict = None, events=None) -> dict:
    rng = random.Random(seed)
    end = int(now.timestamp())
    ifaces, series = [], {}
    for index in range(1, interfaces + 1):
        peak = 1e6 * (index * 37 % 900 + 10)
        phase = rng.random()
        archives = {"day": [r[:3] + r[1:3] for r in archive_rows(end, interval, day_rows, peak, phase, rng)]}
        for archive, (step, rows) in ARCHIVE_STEPS.items():
            archives[archive] = archive_rows(end, step, rows, peak, phase, rng)
        last = archives["day"][-1]
        ifaces.append({"index": index, "name": f"eth{index - 1}", "descr": f"Ethernet port {index}",
                       "alias": (aliases or {}).get(index, f"uplink {index}"), "speed_bps": 10**9,
                       "oper_status": "up" if index % 4 else "down", "admin_status": "up", "counter_bits": 64,
                       "in_bps": last[1], "out_bps": last[2], "utilisation_percent": round(last[1] / 1e7, 2)})
        series[str(index)] = archives
    oid_data = {}
    for oid_name, unit in (oids or {}).items():
        rows = {a: [[r[0], r[1] / 1e6, r[3] / 1e6] for r in series["1"][a]] for a in ("day", "week", "month", "year")}
        oid_data[oid_name] = dict(rows, type="gauge", unit=unit, last=rows["day"][-1][1])
    since = iso(now - timedelta(days=3))
    return {
        "format": 1, "machine": name, "updated": iso(now),
        "status": {"state": state, "since": since, "last_seen": iso(now if state == "up" else now - timedelta(minutes=5)),
                   "uptime_seconds": 3 * 86400 + 1234, "consecutive_failures": 0 if state == "up" else 3,
                   "last_error": None if state == "up" else "timeout", "sys_name": name, "sys_descr": "Linux test"},
        "archives": {"day": {"step": interval, "rows": day_rows}, "week": {"step": 1800, "rows": 336},
                     "month": {"step": 7200, "rows": 372}, "year": {"step": 86400, "rows": 730}},
        "interfaces": ifaces, "series": series, "oids": oid_data,
        "events": events if events is not None else [
            {"time": since, "kind": "up", "interface": None, "message": f"{name} answers again"}],
        "state": {"private": True},
    }


def write_machine(machines_dir, name: str, host="127.0.0.1", community="s3cret-community", **extra) -> Path:
    path = Path(machines_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"host": host, "port": 1161, "snmp": {"version": "2c", "community": community}, "interval": 60}
    config.update(extra)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def write_samples(samples_dir, samples: dict) -> Path:
    path = Path(samples_dir) / f"{samples['machine']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(samples, separators=(",", ":")), encoding="utf-8")
    return path


def make_alerts(count: int, now: datetime, servers, seed: int = 1) -> list:
    rng = random.Random(seed)
    severities = ("CRITICAL", "ERROR", "WARNING", "INFO")
    return [{"timestamp": iso(now - timedelta(seconds=37 * i)), "server": servers[i % len(servers)],
             "severity": severities[rng.randrange(4)], "message": f"event {i} on {servers[i % len(servers)]}",
             "provider": ("Acme", "NetOps")[i % 2], "application": ("billing", "web", "dns")[i % 3],
             "environment": ("prod", "preprod", "dev")[i % 3]} for i in range(count)]


def write_alerts(db_path, alerts) -> list:
    conn = db.connect(db_path)
    try:
        return [i for i, _ in db.insert_alerts(conn, alerts)]
    finally:
        conn.close()
