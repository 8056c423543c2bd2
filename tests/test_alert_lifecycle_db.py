"""The alert lifecycle in the database: migration of a database made before it,
deduplication and idempotency, state at any moment (SQL filters agree with the Python
rules), silences, history, and what changed since a point."""

import itertools
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support import databases
from tests.support.earlier_db import made_up_to
from vigie import db
from vigie import lifecycle as lc
from vigie import silences as sil
from vigie.db import rows as db_rows, schema

SCHEMA3 = Path(__file__).parent / "data" / "db_schema3.sql"
T0 = "2026-11-22T10:00:00+00:00"


def at(clock, day="2026-11-22"):
    return f"{day}T{clock}+00:00"


def record(clock="10:00:00", **overrides):
    base = {"timestamp": at(clock), "server": "edge-rt-02", "severity": "CRITICAL",
            "message": "Machine is not answering SNMP", "provider": "NetOps", "application": "core-network",
            "environment": "prod"}
    base.update(overrides)
    return base


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(databases.migrated(tmp_path / "vigie.db"))
    yield connection
    connection.close()


def one(conn, alert_id, now):
    return db.get_alert(conn, alert_id, now)


# ---- migration

def old_database(path):
    raw = sqlite3.connect(path)
    raw.executescript(SCHEMA3.read_text())
    raw.close()


def test_a_database_made_before_the_lifecycle_is_upgraded_in_place_and_loses_nothing(tmp_path):
    path = tmp_path / "old.db"
    old_database(path)
    before = sqlite3.connect(path).execute("SELECT * FROM alerts ORDER BY id").fetchall()
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    now = at("12:00:00", "2026-11-28")
    alerts = db.list_alerts(conn, {}, "id", 100, 0, now=now)[1]
    seven = ("timestamp", "server", "severity", "message", "provider", "application", "environment")
    assert [tuple(a[k] for k in ("id",) + seven + ("acknowledged", "acknowledged_by", "acknowledged_at", "source_id"))
            for a in alerts] == [tuple(bool(v) if i == 8 else v for i, v in enumerate(row[:12])) for row in before]
    assert [a["status"] for a in alerts] == ["open", "open", "open", "acknowledged", "resolved", "acknowledged",
                                             "open", "resolved"]
    assert alerts[0]["fingerprint"] == alerts[1]["fingerprint"] == alerts[2]["fingerprint"]
    assert alerts[0]["fingerprint"] == lc.fingerprint(alerts[0]) and alerts[3]["fingerprint"] != alerts[0]["fingerprint"]
    assert all(a["first_seen"] == a["last_seen"] == a["timestamp"] and a["duplicate_count"] == 0 for a in alerts)
    assert alerts[4]["resolution"] == lc.INFORMATION
    # the old source_ids still make a resend change nothing; a new sighting counts on the newest equal row
    assert db.insert_alerts(conn, [dict(record(), **{k: alerts[1][k] for k in seven}, source_id="f2")],
                            now=now) == [(2, False)]
    assert db.insert_alerts(conn, [dict({k: alerts[0][k] for k in seven}, timestamp=at("09:00:00", "2026-11-28"))],
                            now=now) == [(3, False)]
    assert one(conn, 3, now)["duplicate_count"] == 1 and one(conn, 2, now)["duplicate_count"] == 0
    history = db.alert_history(conn, 4, now)
    assert [(e["kind"], e["actor"]) for e in history] == [("created", "system"), ("acknowledged", "alice")]
    assert history[0]["note"] == "recorded before alerts had a history"
    assert [u["username"] for u in db.list_users(conn)] == ["admin", "alice"]
    assert db.list_tokens(conn)[0]["label"] == "watcher"
    assert db.migrate(conn) == len(db.MIGRATIONS)  # nothing left to do
    conn.close()


def database_before_fingerprint_keys(path):
    """A database as the code before the fingerprint keys made it (every migration up to
    there), with rows that share a default fingerprint and one with a sender's own."""
    sightings = [(lc.fingerprint(record()), "10:00:00"), (lc.fingerprint(record()), "10:05:00"),
                 ("reach:edge-rt-02", "10:10:00"), (lc.fingerprint(record(message="x")), "10:20:00")]
    with made_up_to(path, KEYS_STEP) as raw:
        for i, (fp, clock) in enumerate(sightings):
            t = at(clock)
            raw.execute("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
                        " source_id, created_at, fingerprint, first_seen, last_seen) VALUES (?, 'edge-rt-02',"
                        " 'CRITICAL', ?, 'NetOps', 'core-network', 'prod', ?, ?, ?, ?, ?)",
                        (t, "x" if i == 3 else "Machine is not answering SNMP", f"file-{i}", t, fp, t, t))


KEYS_STEP = db.MIGRATIONS.index(schema._fingerprint_keys)


def test_fingerprint_keys_are_added_to_a_database_made_before_them_and_deduplication_still_finds_its_rows(tmp_path):
    path = tmp_path / "before-keys.db"
    database_before_fingerprint_keys(path)
    before = sqlite3.connect(path).execute("SELECT * FROM alerts ORDER BY id").fetchall()
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = len(before[0])   # the columns it had come first, then the keys and the columns of later steps
    assert [tuple(r)[:kept] for r in conn.execute("SELECT * FROM alerts ORDER BY id")] == before  # nothing lost
    keys = conn.execute("SELECT fingerprint, fingerprint_key FROM alerts ORDER BY id").fetchall()
    assert [k for _, k in keys] == [lc.fingerprint_key(fp) for fp, _ in keys]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "alerts_fingerprint_key" in indexes and "alerts_fingerprint" not in indexes
    plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE fingerprint_key = 1"))
    assert "alerts_fingerprint_key" in plan
    now = at("11:00:00")
    # a new sighting counts on the newest row of its fingerprint; a sender's own one finds its row
    assert db.insert_alerts(conn, [record("10:30:00")], now=now) == [(2, False)]
    assert db.insert_alerts(conn, [record("10:31:00", fingerprint="reach:edge-rt-02")], now=now) == [(3, False)]
    assert db.insert_alerts(conn, [record("10:32:00", fingerprint="reach:edge-rt-03")], now=now) == [(5, True)]
    assert [a["id"] for a in db.list_alerts(conn, {"fingerprint": ["reach:edge-rt-02"]}, now=now)[1]] == [3]
    assert [a["id"] for a in db.list_alerts(conn, {"fingerprint": [keys[0][0]]}, "id", now=now)[1]] == [1, 2]
    assert one(conn, 2, now)["duplicate_count"] == 1 and one(conn, 3, now)["duplicate_count"] == 1
    conn.close()


def test_fingerprints_sharing_a_key_stay_apart(conn, monkeypatch):
    """Two fingerprints may share a key: the text decides which row an alert counts on."""
    monkeypatch.setattr(lc, "fingerprint_key", lambda fp: 7)
    now = at("11:00:00")
    assert db.insert_alerts(conn, [record(fingerprint="a"), record(fingerprint="b")], now=now) == [(1, True), (2, True)]
    assert db.insert_alerts(conn, [record("10:01:00", fingerprint="b")], now=now) == [(2, False)]
    assert db.insert_alerts(conn, [record("10:02:00", fingerprint="a")], now=now) == [(1, False)]
    assert [tuple(r) for r in conn.execute("SELECT DISTINCT fingerprint_key FROM alerts")] == [(7,)]
    assert [a["id"] for a in db.list_alerts(conn, {"fingerprint": ["b"]}, now=now)[1]] == [2]


SOURCES_STEP = db.MIGRATIONS.index(schema._source_keys)


def database_before_source_keys(path):
    """A database as the code before the source keys made it: source ids of the
    sightings that made alerts in alerts.source_id, of later ones in alert_sources."""
    with made_up_to(path, SOURCES_STEP) as raw:
        for i, source_id in enumerate(["file-a", None]):
            t = at(f"10:0{i}:00")
            raw.execute("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
                        " source_id, created_at, fingerprint, first_seen, last_seen, duplicate_count, fingerprint_key)"
                        " VALUES (?, 'edge-rt-02', 'CRITICAL', ?, 'NetOps', 'core-network', 'prod', ?, ?, ?, ?, ?, 1, ?)",
                        (t, f"message {i}", source_id, t, f"fp-{i}", t, t, lc.fingerprint_key(f"fp-{i}")))
        raw.executemany("INSERT INTO alert_sources (source_id, alert_id) VALUES (?, ?)",
                        [("file-b", 1), ("file-c", 2)])


def indexes_of_later_steps(tmp_path) -> set:
    """The indexes that the migrations after the source keys' step add, whatever they are."""
    names = []
    for step, name in ((SOURCES_STEP + 1, "at-source-keys.db"), (len(db.MIGRATIONS), "latest.db")):
        with made_up_to(tmp_path / name, step) as raw:
            names.append({r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")})
    return names[1] - names[0]


def test_source_keys_replace_the_indexes_of_source_id_texts_and_every_id_sent_still_changes_nothing(tmp_path):
    path = tmp_path / "before-source-keys.db"
    database_before_source_keys(path)
    old = sqlite3.connect(path)
    before = old.execute("SELECT * FROM alerts ORDER BY id").fetchall()
    indexes_before = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    old.close()
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = len(before[0])   # the columns it had come first, then those of later steps
    assert [tuple(r)[:kept] for r in conn.execute("SELECT * FROM alerts ORDER BY id")] == before  # nothing lost
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert indexes - indexes_of_later_steps(tmp_path) == indexes_before - {
        "sqlite_autoindex_alerts_1", "sqlite_autoindex_alert_sources_1"} | {"alert_source_keys_key"}
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alert_sources'").fetchall()
    assert sorted(map(tuple, conn.execute("SELECT key, source_id, alert_id FROM alert_source_keys"))) == sorted(
        (lc.source_key(s), s, a) for s, a in [("file-a", 1), ("file-b", 1), ("file-c", 2)])
    plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN SELECT alert_id FROM alert_source_keys WHERE key = 1"))
    assert "alert_source_keys_key" in plan
    now = at("11:00:00")
    # every id sent before changes nothing; a new one counts, and then it is known too
    resent = [record(source_id=s, fingerprint="fp-0") for s in ("file-a", "file-b", "file-c")]
    assert db.insert_alerts(conn, resent, now=now) == [(1, False), (1, False), (2, False)]
    assert [one(conn, i, now)["duplicate_count"] for i in (1, 2)] == [1, 1]
    assert db.insert_alerts(conn, [record("10:30:00", source_id="file-d", fingerprint="fp-0")], now=now) == [(1, False)]
    assert db.insert_alerts(conn, [record("10:31:00", source_id="file-d", fingerprint="fp-0")], now=now) == [(1, False)]
    assert [one(conn, i, now)["duplicate_count"] for i in (1, 2)] == [2, 1]
    assert one(conn, 1, now)["source_id"] == "file-a"  # the one that made it, as before
    conn.close()


def test_source_ids_sharing_a_key_stay_apart(conn, monkeypatch):
    """Two source ids may share a key: the text decides whether one was sent before."""
    monkeypatch.setattr(lc, "source_key", lambda source_id: 7)
    now = at("11:00:00")
    assert db.insert_alerts(conn, [record(source_id="a")], now=now) == [(1, True)]
    assert db.insert_alerts(conn, [record("10:01:00", source_id="b", message="other")], now=now) == [(2, True)]
    assert db.insert_alerts(conn, [record("10:02:00", source_id="b"), record(source_id="a")], now=now) \
        == [(2, False), (1, False)]
    assert [one(conn, i, now)["duplicate_count"] for i in (1, 2)] == [0, 0]


def test_a_row_whose_fingerprint_changes_is_found_by_the_new_one(conn):
    now = at("11:00:00")
    db.insert_alerts(conn, [record(fingerprint="old")], now=now)
    old = db_rows.read_row(conn, 1)
    with db.transaction(conn):
        db_rows.update_rows(conn, [(old, dict(old, fingerprint="new"))])
    assert db.insert_alerts(conn, [record("10:01:00", fingerprint="new")], now=now) == [(1, False)]


# ---- deduplication and idempotency

def test_one_row_per_fingerprint_and_a_resent_file_changes_nothing_not_even_the_count(conn):
    first = db.insert_alerts(conn, [record(source_id="a"), record("10:01:00", source_id="b"),
                                    record("10:02:00", source_id="c", message="Still down")], actor="watcher", now=T0)
    assert [c for _, c in first] == [True, False, True] and first[0][0] == first[1][0] != first[2][0]
    alert = one(conn, first[0][0], at("10:05:00"))
    assert alert["duplicate_count"] == 1 and alert["message"] == DOWN_MESSAGE  # "Still down" has its own fingerprint
    again = db.insert_alerts(conn, [record("10:01:00", source_id="b"), record(source_id="a")], now=at("10:06:00"))
    assert again == [(first[0][0], False), (first[0][0], False)]
    assert one(conn, first[0][0], at("10:06:00"))["duplicate_count"] == 1
    assert db.count_alerts(conn, {}, at("10:06:00")) == 2
    kinds = [e["kind"] for e in db.alert_history(conn, first[0][0], at("10:06:00"))]
    assert kinds == ["created", "duplicate"]


DOWN_MESSAGE = "Machine is not answering SNMP"


def test_down_then_up_then_down_in_one_batch_is_one_row_reopened(conn):
    fp = "reachability:edge-rt-02"
    results = db.insert_alerts(conn, [
        record(fingerprint=fp), record("10:05:00", severity="INFO", message="Machine is answering SNMP again",
                                       fingerprint=fp),
        record("10:30:00", fingerprint=fp)], actor="watcher", now=at("10:31:00"))
    assert results == [(1, True), (1, False), (1, False)]
    alert = one(conn, 1, at("10:31:00"))
    assert (alert["status"], alert["reopen_count"], alert["timestamp"]) == ("open", 1, at("10:30:00"))
    assert [e["kind"] for e in db.alert_history(conn, 1, at("10:31:00"))] == ["created", "resolved", "reopened"]


def test_a_deleted_alert_keeps_its_history_and_its_id_is_never_given_again(conn):
    (alert_id, _), = db.insert_alerts(conn, [record()], actor="watcher", now=T0)
    assert db.delete_alert(conn, alert_id, "admin", now=at("10:01:00"))
    (new_id, created), = db.insert_alerts(conn, [record("10:02:00")], now=at("10:02:00"))
    assert created and new_id != alert_id
    assert [(e["kind"], e["actor"]) for e in db.alert_history(conn, alert_id)] == [("created", "watcher"),
                                                                                   ("deleted", "admin")]
    assert db.alert_history(conn, 999) is None


def test_the_source_ids_of_a_deleted_alert_count_as_never_sent(conn):
    first = db.insert_alerts(conn, [record(source_id="a"), record("10:01:00", source_id="b")], now=T0)
    assert first == [(1, True), (1, False)]
    assert db.delete_alert(conn, 1, "admin", now=at("10:02:00"))
    # sent again (a file put back by hand, say): a new alert, and then that one is known
    assert db.insert_alerts(conn, [record("10:03:00", source_id="b")], now=at("10:03:00")) == [(2, True)]
    assert db.insert_alerts(conn, [record("10:04:00", source_id="b"), record("10:05:00", source_id="a")],
                            now=at("10:05:00")) == [(2, False), (2, False)]
    assert one(conn, 2, at("10:05:00"))["duplicate_count"] == 1  # "b" again changed nothing, "a" counted


# ---- state at any moment: SQL and Python say the same

def varied_alerts(conn):
    """One alert per kind of state, with deadlines at 11:00 and 12:00."""
    made = {}
    for name in ("open", "acked", "acked_until", "shelved", "timeout", "resolved", "acked_shelved", "flapping"):
        (made[name], _), = db.insert_alerts(conn, [record(message=name, timeout=3600 if name == "timeout" else None)],
                                            now=T0)
    db.acknowledge(conn, made["acked"], "alice", now=at("10:01:00"))
    db.acknowledge(conn, made["acked_until"], "alice", until=at("11:00:00"), now=at("10:01:00"))
    db.shelve(conn, made["shelved"], "alice", until=at("12:00:00"), now=at("10:01:00"))
    db.resolve(conn, made["resolved"], "alice", now=at("10:01:00"))
    db.acknowledge(conn, made["acked_shelved"], "alice", until=at("12:00:00"), now=at("10:01:00"))
    db.shelve(conn, made["acked_shelved"], "alice", until=at("11:00:00"), now=at("10:01:00"))
    fp = "flap"
    for minute in range(1, 8):  # INFO first, then six changes: 10:02 .. 10:07
        severity = "INFO" if minute % 2 else "CRITICAL"
        db.insert_alerts(conn, [record(f"10:{minute:02d}:00", severity=severity, message="flap", fingerprint=fp)],
                         now=at(f"10:{minute:02d}:00"))
    made["flapping"] = db.list_alerts(conn, {"fingerprint": [fp]}, now=at("10:08:00"))[1][0]["id"]
    return made


@pytest.mark.parametrize("clock", ["10:30:00", "11:00:00", "11:30:00", "12:00:00", "12:40:00"])
def test_every_filter_agrees_with_the_rules_at_any_moment(conn, clock):
    varied_alerts(conn)
    now = at(clock)
    alerts = db.list_alerts(conn, {}, "id", 100, 0, now=now)[1]
    rows = {a["id"]: a for a in alerts}
    for statuses in itertools.chain.from_iterable(itertools.combinations(lc.STATUSES, n) for n in (1, 2, 3, 4)):
        expected = sorted(i for i, a in rows.items() if a["status"] in statuses)
        count, page = db.list_alerts(conn, {"status": list(statuses)}, "id", 100, 0, now=now)
        assert (count, [a["id"] for a in page]) == (len(expected), expected), statuses
    for name in ("acknowledged", "flapping"):
        for value in (True, False):
            expected = sorted(i for i, a in rows.items() if a[name] is value)
            assert [a["id"] for a in db.list_alerts(conn, {name: value}, "id", 100, 0, now=now)[1]] == expected


def test_deadlines_read_right_without_any_write(conn):
    made = varied_alerts(conn)
    status = {name: lambda clock, i=i: one(conn, i, at(clock))["status"] for name, i in made.items()}
    assert [status["acked_until"](c) for c in ("10:59:59", "11:00:00")] == ["acknowledged", "open"]
    assert [status["shelved"](c) for c in ("11:59:59", "12:00:00")] == ["shelved", "open"]
    assert [status["timeout"](c) for c in ("10:59:59", "11:00:00")] == ["open", "resolved"]
    assert [status["acked_shelved"](c) for c in ("10:59:59", "11:00:00", "12:00:00")] == \
        ["shelved", "acknowledged", "open"]
    assert one(conn, made["flapping"], at("10:36:59"))["flapping"] is True
    assert one(conn, made["flapping"], at("10:37:00"))["flapping"] is False


# ---- silences

def silence(conn, now, user="alice", **body):
    body.setdefault("comment", "planned reboot")
    return db.silences.create(conn, sil.normalize_silence(body, sil.parse_time("now", now)), user, now)


def test_an_alert_arriving_in_a_maintenance_window_is_kept_counted_and_silenced_until_it_ends(conn):
    window = silence(conn, at("09:00:00"), matchers={"server": "edge-*"}, ends_at=at("11:00:00"))
    (inside, _), = db.insert_alerts(conn, [record(source_id="x")], actor="watcher", now=T0)
    (other, _), = db.insert_alerts(conn, [record(server="web-01")], now=T0)
    alert = one(conn, inside, at("10:30:00"))
    assert (alert["status"], alert["silenced"], alert["silence_id"]) == ("open", True, window)
    assert db.list_alerts(conn, {"status": ["open"], "silenced": False}, now=at("10:30:00"))[0] == 1
    assert db.count_alerts(conn, {"silenced": True}, at("10:30:00")) == 1
    assert db.get_stats(conn, at("10:30:00"))["needs_attention"] == 1
    history = db.alert_history(conn, inside, at("10:30:00"))
    assert [e["kind"] for e in history] == ["created", "silenced"] and "planned reboot" in history[1]["note"]
    # the window ends: still open, no longer silenced, and needing a person
    after = one(conn, inside, at("11:00:00"))
    assert (after["status"], after["silenced"]) == ("open", False)
    assert db.get_stats(conn, at("11:00:00"))["needs_attention"] == 2
    assert db.list_alerts(conn, {"status": ["open"], "silenced": False}, "id", now=at("11:00:00"))[0] == 2
    pending = db.alert_history(conn, inside, at("11:30:00"))[-1]
    assert (pending["kind"], pending["pending"], pending["at"]) == ("unsilenced", True, at("11:00:00"))
    assert other != inside


def test_a_silence_made_while_alerts_are_open_silences_them_and_ending_it_early_says_who(conn):
    (alert_id, _), = db.insert_alerts(conn, [record()], now=T0)
    silence_id = silence(conn, at("10:10:00"), matchers={"server": "edge-rt-02", "severity": ["critical"]},
                         ends_at=at("14:00:00"))
    assert one(conn, alert_id, at("10:11:00"))["silence_id"] == silence_id
    assert db.silences.public(conn, db.silences.get(conn, silence_id), at("10:11:00"))["silencing"] == 1
    assert db.silences.end(conn, silence_id, "bob", at("10:20:00"))
    assert not db.silences.end(conn, silence_id, "bob", at("10:21:00"))
    assert one(conn, alert_id, at("10:21:00"))["silenced"] is False
    assert [(e["kind"], e["actor"]) for e in db.alert_history(conn, alert_id, at("10:21:00"))] == [
        ("created", "system"), ("silenced", "alice"), ("unsilenced", "bob")]
    assert [(e["action"], e["actor"]) for e in db.list_audit(conn)[1]] == [("end", "bob"), ("create", "alice")]


def test_a_weekly_window_silences_on_sunday_nights_only(conn):
    silence(conn, at("10:00:00", "2026-03-20"), matchers={"server": "edge-rt-02"},
            schedule={"days": ["sun"], "start": "02:00", "end": "04:00", "timezone": "Europe/Paris"})
    (alert_id, _), = db.insert_alerts(conn, [record(timestamp=at("10:00:00", "2026-03-20"))],
                                      now=at("10:00:00", "2026-03-20"))
    silenced = {moment: one(conn, alert_id, moment)["silenced"] for moment in (
        at("00:59:59", "2026-03-29"), at("01:00:00", "2026-03-29"), at("01:59:59", "2026-03-29"),
        at("02:00:00", "2026-03-29"), at("00:30:00", "2026-04-05"))}
    assert list(silenced.values()) == [False, True, True, False, True]


# ---- what changed since: every change once, time-based ones dated when they happened

def test_changes_since_gives_each_change_once_with_expiries_dated_at_their_deadline(conn):
    (alert_id, _), = db.insert_alerts(conn, [record()], actor="watcher", now=T0)
    entries, cursor = db.changes_since(conn, 0, now=T0)
    assert [e["kind"] for e in entries] == ["created"]
    db.acknowledge(conn, alert_id, "alice", until=at("10:15:00"), now=at("10:00:30"))
    silence(conn, at("10:00:40"), matchers={"server": "edge-rt-02"}, starts_at=at("10:20:00"), ends_at=at("10:40:00"))
    entries, cursor = db.changes_since(conn, cursor, now=at("10:10:00"))
    assert [e["kind"] for e in entries] == ["acknowledged"]
    entries, cursor = db.changes_since(conn, cursor, now=at("11:00:00"))  # nobody asked for 50 minutes
    assert [(e["kind"], e["at"], e["actor"]) for e in entries] == [
        ("ack_expired", at("10:15:00"), "system"), ("silenced", at("10:20:00"), "system"),
        ("unsilenced", at("10:40:00"), "system")]
    assert db.changes_since(conn, cursor, now=at("11:30:00")) == ([], cursor)
    assert one(conn, alert_id, at("11:30:00"))["status"] == "open"
    # written down now: the history no longer calls them pending
    assert not any(e["pending"] for e in db.alert_history(conn, alert_id, at("11:30:00")))


def test_a_timeout_passed_while_nobody_looked_is_one_resolve_then_a_reopen(conn):
    (alert_id, _), = db.insert_alerts(conn, [record(timeout=600)], now=T0)
    _, cursor = db.changes_since(conn, 0, now=T0)
    db.insert_alerts(conn, [record("11:00:00", timeout=600)], now=at("11:00:00"))
    entries, cursor = db.changes_since(conn, cursor, now=at("11:00:01"))
    assert [(e["kind"], e["at"]) for e in entries] == [("timed_out", at("10:10:00")), ("reopened", at("11:00:00"))]
    assert one(conn, alert_id, at("11:00:01"))["reopen_count"] == 1


def test_every_kind_of_new_row_reads_back_as_written(conn):
    """insert_rows writes the most common new row (open, nothing set yet) with a
    shorter statement: each kind of new row must read back exactly as given."""
    made = [lc.new_row(dict(record(), fingerprint=f"fp-{n}", source_id=f"src-{n}", **extra), "watcher", T0,
                       lc.Flapping())[0]
            for n, extra in enumerate([
                {},                                              # open, nothing set: the short statement
                {"severity": "INFO", "message": "back to normal"},  # resolved at once
                {"timeout": 600},                                # with a deadline
            ])]
    flapping = dict(made[0], fingerprint="fp-3", source_id="src-3", flap_changes=[T0], flapping_until=at("10:30:00"))
    acked = dict(made[0], fingerprint="fp-4", source_id="src-4", acknowledged=1, acknowledged_by="alice",
                 acknowledged_at=T0, ack_until=at("11:00:00"))
    given = made + [flapping, acked]
    for n, row in enumerate(given, start=1):
        row.update(id=n, created_at=T0)
    with db.transaction(conn):
        db_rows.insert_rows(conn, given)
    for row in given:
        assert db_rows.read_row(conn, row["id"]) == row
    assert made[1]["resolved_at"] == T0 and made[2]["expires_at"] is not None  # the other statement's kinds
    key = conn.execute("SELECT fingerprint_key FROM alerts WHERE id = 1").fetchone()[0]
    assert key == lc.fingerprint_key("fp-0")
