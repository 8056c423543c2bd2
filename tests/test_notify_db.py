"""The notification and team tables: their migration on a database made by the code
before it, and the channel, rule and team records."""

import pytest

from tests.support.earlier_db import made_up_to
from vigie import db
from vigie.db import schema
from vigie.notify.rules import normalize_rule

NOTIFY_STEP = db.MIGRATIONS.index(schema._NOTIFY_SQL)


def database_before_notifications(path):
    """A database as the code before the notification tables made it, with rows."""
    with made_up_to(path, NOTIFY_STEP) as raw:
        raw.execute("INSERT INTO alerts (timestamp, server, severity, message, created_at)"
                    " VALUES ('2026-11-22T10:00:00+00:00', 'web-01', 'ERROR', 'Disk full', '2026-11-22T10:00:00+00:00')")
        raw.execute("INSERT INTO users (username, role, password_hash, created_at)"
                    " VALUES ('alice', 'viewer', 'x', '2026-11-22T10:00:00+00:00')")


def test_migration_adds_the_tables_and_keeps_every_row(tmp_path):
    path = tmp_path / "old.db"
    database_before_notifications(path)
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"teams", "team_members", "notify_channels", "notify_rules", "notify_events", "notify_tracks",
            "notify_messages", "notify_message_alerts", "notify_attempts", "notify_parts"} <= tables
    assert db.get_alert(conn, 1)["message"] == "Disk full"
    assert db.get_user(conn, "alice")["role"] == "viewer"
    team = db.teams.put_team(conn, "acme", {"provider": ["Acme"]}, ["alice"])
    assert team["members"] == ["alice"]
    assert db.teams.scopes_of_user(conn, "alice") == [{"provider": ["Acme"]}]


def test_channels_rules_and_teams_round_trip(tmp_path):
    conn = db.connect(tmp_path / "vigie.db")
    db.teams.put_team(conn, "netops", {"server": ["edge-*"]}, [])
    channel = db.notify.put_channel(conn, "ops-mail", "mailto://u:pw@example.org", team="netops", admin=True)
    assert (channel["team"], channel["admin"]) == ("netops", True)
    rule = db.notify.put_rule(conn, normalize_rule({"name": "edge", "team": "netops",
                                                    "steps": [{"channels": ["ops-mail"]}]}))
    assert rule["team"] == "netops" and rule["steps"] == [{"after_minutes": 0, "channels": ["ops-mail"]}]
    assert db.notify.rules_using_channel(conn, "ops-mail") == ["edge"]
    with pytest.raises(KeyError):
        db.notify.put_channel(conn, "x", "json://h/p", team="nobody")
    assert db.teams.delete_team(conn, "netops")
    assert db.notify.get_rule(conn, "edge") is None  # a team's rules go with it
    assert db.notify.get_channel(conn, "ops-mail")["team"] is None  # its channels stay


def test_a_deleted_user_leaves_the_team(tmp_path):
    conn = db.connect(tmp_path / "vigie.db")
    db.create_user(conn, "bob", "viewer", "x")
    db.teams.put_team(conn, "acme", {"provider": ["Acme"]}, ["bob"])
    db.delete_user(conn, "bob")
    assert db.teams.get_team(conn, "acme")["members"] == []


def test_deleting_an_alert_ends_what_the_rules_tracked_of_it(tmp_path):
    """The notifier looks again at every tracked alert at each pass; an alert an admin
    deleted must leave no track behind to be read again for ever."""
    conn = db.connect(tmp_path / "vigie.db")
    db.notify.put_channel(conn, "ops-mail", "mailto://u:pw@example.org")
    rule = db.notify.put_rule(conn, normalize_rule({"name": "all", "steps": [{"channels": ["ops-mail"]}]}))
    (gone, _), (kept, _) = db.insert_alerts(conn, [
        {"timestamp": "2026-11-22T10:00:00+00:00", "server": f"web-0{n}", "severity": "ERROR", "message": "Disk full",
         "provider": "", "application": "", "environment": ""} for n in (1, 2)])
    with db.transaction(conn):
        for alert_id in (gone, kept):
            db.notify.put_track(conn, rule["id"], alert_id, "2026-11-22T10:00:00+00:00", 0, None, "needs_human",
                                "2026-11-22T11:00:00+00:00")
    assert db.delete_alert(conn, gone, user="admin")
    tracked = [t["alert_id"] for t in db.notify.tracks_in_state(conn, "needs_human")]
    assert tracked == [kept]
    assert [t["alert_id"] for t in db.notify.due_tracks(conn, "2026-11-22T12:00:00+00:00")] == [kept]
    assert db.alert_history(conn, gone)[-1]["kind"] == "deleted"  # its history stays
