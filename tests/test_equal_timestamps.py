"""Times have one-second precision (alert files, the collector's events): a problem, its
clearing INFO and the problem again may share one second. At equal times the order
of arrival is the order of events; only a strictly older event is stale. The rule on
literal input, then the lifecycle, the history, flapping and the notifier."""

import pytest

from vigie import db
from vigie import lifecycle as lc
from vigie.notify.daemon import Notifier
from vigie.notify.rules import normalize_rule

T = "2026-11-22T10:15:03+00:00"
FLAP = lc.Flapping(threshold=1, window_seconds=1800)


def record(severity="CRITICAL", timestamp=T):
    return {"timestamp": timestamp, "server": "edge-rt-02", "severity": severity, "message": "down",
            "provider": "Acme", "application": "network", "environment": "prod", "fingerprint": "edge-rt-02:down"}


@pytest.mark.parametrize("moment, latest, stale", [
    (T, T, False), ("2026-11-22T10:15:02+00:00", T, True), ("2026-11-22T10:15:04+00:00", T, False),
    ("2026-11-22T10:15:03.5+00:00", T, False),
])
def test_only_a_strictly_older_moment_is_stale(moment, latest, stale):
    assert lc.is_stale(moment, latest) is stale


def test_entries_at_the_same_time_keep_their_order_of_arrival():
    entries = [{"at": T, "kind": "created"}, {"at": T, "kind": "resolved"}, {"at": "2026-11-22T10:15:01+00:00",
                                                                             "kind": "earlier"},
               {"at": T, "kind": "reopened"}]
    assert [e["kind"] for e in lc.in_time_order(entries)] == ["earlier", "created", "resolved", "reopened"]


def test_problem_clear_problem_in_one_second_ends_open():
    row, _ = lc.new_row(record(), "watcher", T, FLAP)
    row, _, outcome = lc.arrive(row, record("INFO"), "watcher", T, FLAP)
    assert outcome == "resolved"
    row, events, outcome = lc.arrive(row, record(), "watcher", T, FLAP)
    assert outcome == "reopened" and lc.status(row, T) == "open"
    assert [e["kind"] for e in events][:1] == ["reopened"]
    assert len(row["flap_changes"]) == 2 and lc.is_flapping(row, T)  # two changes, counted


def test_a_strictly_older_problem_still_leaves_the_resolution_alone():
    row, _ = lc.new_row(record(), "watcher", T, FLAP)
    row, _, _ = lc.arrive(row, record("INFO"), "watcher", T, FLAP)
    row, _, outcome = lc.arrive(row, record(timestamp="2026-11-22T10:15:02+00:00"), "watcher", T, FLAP)
    assert outcome == "duplicate" and lc.status(row, T) == "resolved"


def test_in_one_batch_the_history_flapping_and_the_notifier_follow_arrival(tmp_path):
    conn = db.connect(tmp_path / "vigie.db")
    db.notify.put_channel(conn, "hook", "json://127.0.0.1:9/hook")
    db.notify.put_rule(conn, normalize_rule({"name": "ops", "steps": [{"channels": ["hook"]}],
                                             "group_wait_seconds": 0}))
    notifier = Notifier(tmp_path / "vigie.db")
    now = "2026-11-22T10:15:05+00:00"
    [(alert_id, _), _, _] = db.insert_alerts(conn, [record(), record("INFO"), record()], now=now)
    alert = db.get_alert(conn, alert_id, now)
    assert alert["status"] == "open" and alert["reopen_count"] == 1
    kinds = [e["kind"] for e in db.alert_history(conn, alert_id, now)]
    assert kinds[:3] == ["created", "resolved", "reopened"]
    assert notifier.plan(now)["told"] == 1
    track = conn.execute("SELECT state FROM notify_tracks WHERE alert_id = ?", (alert_id,)).fetchone()
    assert track[0] == "needs_human"
    conn.close()
