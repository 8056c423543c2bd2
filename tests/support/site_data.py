"""Sample files, machine configs and alerts for the web site tests and benchmarks,
in the formats the collector and the API write (docs/DESIGN.md)."""

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support import databases
from tests.support import samples_history as history
from vigie import db


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def make_samples(name: str, now: datetime, interfaces: int = 8, interval: int = 60, day_rows: int = None,
                 state: str = "up", seed: int = 1, oids: dict = None, aliases: dict = None, events=None,
                 days: int = 365) -> dict:
    """What write_samples writes: a machine's samples as the collector would hold them
    after `days` of polls (`day_rows` of them kept at the poll step), interfaces eth0..."""
    return {"machine": name, "now": now, "identities": history.interfaces(interfaces, "eth", aliases),
            "interval": interval, "fine_rows": day_rows, "state": state, "seed": seed, "oids": oids or {},
            "events": events, "days": days}


def write_machine(machines_dir, name: str, host="127.0.0.1", community="s3cret-community", **extra) -> Path:
    path = Path(machines_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"host": host, "port": 1161, "snmp": {"version": "2c", "community": community}, "interval": 60}
    config.update(extra)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def write_samples(samples_dir, samples: dict) -> Path:
    """Write the samples make_samples described; return the head file's path."""
    fam = history.write_history(samples_dir, samples["machine"], samples["identities"], samples["now"].timestamp(),
                                days=samples["days"], interval=samples["interval"], oids=samples["oids"],
                                seed=samples["seed"], state=samples["state"], fine_rows=samples["fine_rows"],
                                events=samples["events"])
    return fam.head


def make_alerts(count: int, now: datetime, servers, seed: int = 1) -> list:
    rng = random.Random(seed)
    severities = ("CRITICAL", "ERROR", "WARNING", "INFO")
    return [{"timestamp": iso(now - timedelta(seconds=37 * i)), "server": servers[i % len(servers)],
             "severity": severities[rng.randrange(4)], "message": f"event {i} on {servers[i % len(servers)]}",
             "provider": ("Acme", "NetOps")[i % 2], "application": ("billing", "web", "dns")[i % 3],
             "environment": ("prod", "preprod", "dev")[i % 3]} for i in range(count)]


def write_alerts(db_path, alerts) -> list:
    conn = db.connect(databases.migrated(db_path))
    try:
        return [i for i, _ in db.insert_alerts(conn, alerts)]
    finally:
        conn.close()
