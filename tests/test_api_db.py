"""vigie.db: whichever index a list query is steered to, it returns exactly what a
plain filter-and-sort in Python returns; migrations apply once and keep the data."""

import itertools
import logging
import sqlite3
import subprocess
import sys
import random

import pytest

from tests.support.earlier_db import made_up_to
from tests.support.api_wsgi import REPO_ROOT
from vigie import db

VALUES = {
    "severity": ["CRITICAL", "ERROR", "WARNING", "INFO"],
    "server": [f"srv-{i}" for i in range(6)],
    "environment": ["prod", "dev", "testing"],
    "application": ["billing", "shop", "crm"],
    "provider": ["Acme", "NetOps"],
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "alerts.db"
    conn = db.connect(path)
    rnd = random.Random(5)
    records = []
    for i in range(600):
        record = {k: rnd.choice(v) for k, v in VALUES.items()}
        record.update(timestamp=f"2026-11-{1 + rnd.randrange(28):02d}T{rnd.randrange(24):02d}:00:00+00:00",
                      message=f"event {i} {'disk full' if i % 7 == 0 else 'ok'}")
        records.append(record)
    db.insert_alerts(conn, records)
    conn.execute("UPDATE alerts SET acknowledged = 1 WHERE id % 3 = 0")
    alerts = db.list_alerts(conn, {}, "id", 1000, 0)[1]
    assert len(alerts) == 600
    return conn, alerts


def expected(alerts, filters, limit, offset):
    def keep(a):
        for column in VALUES:
            if filters.get(column) and a[column] not in filters[column]:
                return False
        if filters.get("acknowledged") is not None and a["acknowledged"] != filters["acknowledged"]:
            return False
        if filters.get("since") and a["timestamp"] < filters["since"]:
            return False
        if filters.get("q") and filters["q"] not in a["message"]:
            return False
        return True
    matches = sorted((a for a in alerts if keep(a)), key=lambda a: (a["timestamp"], a["id"]), reverse=True)
    return len(matches), [a["id"] for a in matches[offset:offset + limit]]


FILTERS = {
    "severity": ["ERROR"], "server": ["srv-2"], "environment": ["prod"], "application": ["shop"],
    "provider": ["Acme"], "acknowledged": False, "since": "2026-11-15T00:00:00+00:00", "q": "disk",
}
COMBOS = [{}] + [{k: FILTERS[k]} for k in FILTERS] + [
    {a: FILTERS[a], b: FILTERS[b]} for a, b in itertools.combinations(FILTERS, 2)] + [
    {"provider": ["Acme", "NetOps"], "acknowledged": True}, {"severity": ["ERROR", "INFO"], "environment": ["dev"]}]


@pytest.mark.parametrize("filters", COMBOS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("limit, offset", [(100, 0), (20, 40), (100, 550)])
def test_list_matches_a_plain_filter_whatever_the_index(filled, filters, limit, offset):
    conn, alerts = filled
    count, rows = db.list_alerts(conn, filters, "-timestamp", limit, offset)
    assert (count, [r["id"] for r in rows]) == expected(alerts, filters, limit, offset)


def test_each_filter_set_is_steered_to_an_index_that_exists(filled):
    conn, _ = filled
    assert db.covering_index({"severity": ["ERROR"], "environment": ["prod"]}) == "alerts_severity"
    assert db.covering_index({"server": ["x"], "provider": ["y"]}) == "alerts_server"
    assert db.covering_index({"since": "2026-01-01T00:00:00+00:00"}) == "alerts_timestamp"
    assert db.covering_index({"q": "disk"}) is None
    # every index named in the table exists in the schema
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(db.INDEX_COLUMNS) | {db.TIME_INDEX} <= names


def test_migrations_run_once_and_keep_rows(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="vigie.db")
    path = tmp_path / "old.db"
    with made_up_to(path, 1) as raw:
        raw.execute("INSERT INTO alerts (timestamp, server, severity, message, created_at)"
                    " VALUES ('2026-11-22T10:00:00+00:00', 'a', 'INFO', 'm', '2026-11-22T10:00:00+00:00')")
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    assert [r.getMessage() for r in caplog.records] == [
        f"upgrading the database schema from version 1 to {len(db.MIGRATIONS)}"]
    assert db.list_alerts(conn, {"severity": ["INFO"]})[0] == 1
    assert db.migrate(conn) == len(db.MIGRATIONS)  # nothing left to do
    assert len(caplog.records) == 1  # and nothing said
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_from_a_newer_schema_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "newer.db"
    db.connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={len(db.MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(db.DatabaseError, match=f"{path}: its schema is version {len(db.MIGRATIONS) + 1}, newer"):
        db.connect(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS) + 1
    raw.close()


def test_the_api_refuses_to_start_on_a_newer_database(tmp_path):
    path = tmp_path / "newer.db"
    db.connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={len(db.MIGRATIONS) + 1}")
    raw.close()
    done = subprocess.run([sys.executable, str(REPO_ROOT / "api.py"), "serve", "--db", str(path), "--port", "0",
                           "--www", str(tmp_path), "--machines", str(tmp_path)], capture_output=True, text=True,
                          timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 1 and "newer than this version of Vigie knows" in done.stderr


def test_readonly_connection_to_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(db.DatabaseError, match="does not exist"):
        db.connect(tmp_path / "nope.db", readonly=True)


def _record(i, source_id=None):
    return {"timestamp": f"2026-11-22T10:{i % 60:02d}:00+00:00", "server": f"srv-{i}", "severity": "INFO",
            "message": f"event {i}", "provider": "", "application": "", "environment": "",
            "source_id": source_id}


def _stored_ids(conn, results):
    """Each returned id's row, by message, so a wrong id shows as a wrong message."""
    return [conn.execute("SELECT message FROM alerts WHERE id = ?", (i,)).fetchone()[0] for i, _ in results]


def test_insert_returns_each_rows_own_id_after_deletions(tmp_path):
    conn = db.connect(tmp_path / "alerts.db")
    db.insert_alerts(conn, [_record(i) for i in range(10)])
    conn.execute("DELETE FROM alerts WHERE id IN (3, 9, 10)")  # a gap, and the largest ids gone
    results = db.insert_alerts(conn, [_record(i, f"sid-{i}") for i in range(100, 110)])
    assert all(created for _, created in results)
    assert _stored_ids(conn, results) == [f"event {i}" for i in range(100, 110)]
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 17


def test_insert_known_and_repeated_source_ids_give_the_first_rows_id(tmp_path):
    conn = db.connect(tmp_path / "alerts.db")
    (first, _), = db.insert_alerts(conn, [_record(1, "a")])
    results = db.insert_alerts(conn, [_record(2, "b"), _record(3, "a"), _record(4), _record(5, "b"), _record(6)])
    assert [c for _, c in results] == [True, False, True, False, True]
    assert results[1][0] == first and results[3][0] == results[0][0]
    assert _stored_ids(conn, results) == ["event 2", "event 1", "event 4", "event 2", "event 6"]


def test_insert_near_the_top_of_the_id_range_still_returns_the_right_ids(tmp_path):
    conn = db.connect(tmp_path / "alerts.db")
    top = db.MAX_ROWID - 2
    conn.execute("INSERT INTO alerts (id, timestamp, server, severity, message, created_at) "
                 "VALUES (?, '2026-11-22T10:00:00+00:00', 'srv', 'INFO', 'edited by hand', '')", (top,))
    results = db.insert_alerts(conn, [_record(i, f"sid-{i % 4}") for i in range(6)])
    assert [c for _, c in results] == [True] * 4 + [False] * 2
    assert _stored_ids(conn, results) == ["event 0", "event 1", "event 2", "event 3", "event 0", "event 1"]
    assert len({i for i, _ in results}) == 4
