"""The notifier on a real SQLite file: grouping, storms, repeats, escalation on literal
times; delivery to real receivers with retries while a channel is down for an hour;
the notifier process killed with -9 in the middle of deliveries."""

import time

import pytest

from tests.support import databases
from tests.support.notifier import NotifierProcess
from tests.support.receivers import Receiver
from vigie import db, utc
from vigie.notify.daemon import Notifier, Settings
from vigie.notify.rules import normalize_rule

T0 = "2026-11-22T10:00:00+00:00"


def at(seconds: float) -> str:
    return utc.plus_seconds(T0, seconds)


@pytest.fixture(scope="module")
def hook():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(databases.migrated(tmp_path / "vigie.db"))
    yield connection
    connection.close()


def add_alerts(conn, count, server="edge-rt-02", severity="CRITICAL", provider="Acme", start=0):
    records = [{"timestamp": T0, "server": f"{server}" if count == 1 else f"{server}-{start + i}",
                "severity": severity, "message": f"Machine is not answering SNMP ({start + i})",
                "provider": provider, "application": "network", "environment": "prod"} for i in range(count)]
    return [i for i, _ in db.insert_alerts(conn, records, now=T0)]


def add_rule(conn, hook, **overrides):
    db.notify.put_channel(conn, "hook", f"json://127.0.0.1:{hook.port}/hook")
    db.notify.put_channel(conn, "phone", f"ntfy://127.0.0.1:{hook.port}/phone")
    body = {"name": "ops", "steps": [{"channels": ["hook"]}, {"after_minutes": 15, "channels": ["phone"]}]}
    body.update(overrides)
    return db.notify.put_rule(conn, normalize_rule(body))


def messages(conn, state=None):
    rows = conn.execute("SELECT id FROM notify_messages" + (" WHERE state = ?" if state else "") + " ORDER BY id",
                        (state,) if state else ()).fetchall()
    return [db.notify.get_message(conn, r[0]) for r in rows]


def test_alerts_within_the_group_wait_go_out_as_one_message(conn, hook, tmp_path):
    add_rule(conn, hook)
    notifier = Notifier(tmp_path / "vigie.db", Settings(site_url="http://vigie.example"))
    add_alerts(conn, 2)
    notifier.plan(T0)
    add_alerts(conn, 1, server="core-sw1", severity="ERROR", start=2)
    notifier.plan(at(29))
    assert messages(conn, "pending") == []
    notifier.plan(at(30))
    [message] = messages(conn, "pending")
    assert message["title"] == "[CRITICAL] 3 opened (rule ops)"
    assert message["body"].count("http://vigie.example/alerts.html?id=") == 3
    before = len(hook.received())
    assert notifier.deliver_due(at(30)) == 1
    arrival = hook.wait_for(before + 1)[before]
    assert arrival.json()["title"] == "[CRITICAL] 3 opened (rule ops)"
    assert db.notify.get_message(conn, message["id"])["state"] == "delivered"
    assert db.notify.outbox_size(conn) == 0


def test_group_wait_zero_sends_at_once_and_one_alert_gets_its_own_title(conn, hook, tmp_path):
    add_rule(conn, hook, group_wait_seconds=0)
    notifier = Notifier(tmp_path / "vigie.db")
    [alert_id] = add_alerts(conn, 1)
    notifier.plan(T0)
    [message] = messages(conn, "pending")
    assert message["title"] == "[CRITICAL] opened: edge-rt-02: Machine is not answering SNMP (0)"
    notifications = db.notify.notifications_of_alert(conn, alert_id)
    assert [(n["channel"], n["rule"], n["kind"], n["state"]) for n in notifications] == \
        [("hook", "ops", "opened", "pending")]


@pytest.mark.slow
def test_a_storm_of_ten_thousand_alerts_in_a_minute_is_one_message_per_group_window(conn, hook, tmp_path):
    add_rule(conn, hook)
    notifier = Notifier(tmp_path / "vigie.db")
    for second in range(0, 60, 2):  # 10,000 alerts over one minute, a batch every 2 s
        add_alerts(conn, 10000 // 30 + (1 if second < 10000 % 30 * 2 else 0), start=second * 1000)
        notifier.plan(at(second))
    notifier.plan(at(120))
    sealed = messages(conn, "pending")
    assert len(sealed) == 2  # windows [0 s, 30 s) and [30 s, 60 s)
    told = conn.execute("SELECT COUNT(*), COUNT(DISTINCT alert_id) FROM notify_message_alerts").fetchone()
    assert tuple(told) == (10000, 10000)
    assert "... and" in sealed[0]["body"] and sealed[0]["body"].count("alerts.html?id=") == 20


def test_repeat_every_interval_unless_acknowledged(conn, hook, tmp_path):
    add_rule(conn, hook, steps=[{"channels": ["hook"]}], group_wait_seconds=0, repeat_minutes=60)
    notifier = Notifier(tmp_path / "vigie.db")
    first, second = add_alerts(conn, 2)
    notifier.plan(T0)
    db.set_acknowledged(conn, first, True, "alice")
    notifier.plan(at(3600))
    repeats = [m for m in messages(conn, "pending") if m["created_at"] == at(3600)]
    assert len(repeats) == 1
    assert db.notify.message_alerts(conn, repeats[0]["id"]) == [(second, "repeat")]
    assert repeats[0]["title"].startswith("[CRITICAL] still open: ")


def test_escalation_to_the_next_step_after_its_delay(conn, hook, tmp_path):
    add_rule(conn, hook, group_wait_seconds=0)
    notifier = Notifier(tmp_path / "vigie.db")
    [alert_id] = add_alerts(conn, 1)
    notifier.plan(T0)
    notifier.plan(at(14 * 60))
    assert len(messages(conn)) == 1
    notifier.plan(at(15 * 60))
    latest = messages(conn)[-1]
    phone = db.notify.get_channel(conn, "phone")
    assert latest["channel_id"] == phone["id"]
    assert db.notify.message_alerts(conn, latest["id"]) == [(alert_id, "escalated")]


def test_a_channel_down_for_an_hour_gets_the_message_once_when_it_is_back(conn, tmp_path):
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()  # down
    db.notify.put_channel(conn, "hook", f"json://127.0.0.1:{port}/hook")
    channel = db.notify.get_channel(conn, "hook")
    with db.transaction(conn):
        message_id = db.notify.add_message(conn, channel["id"], "test", "hello", "body", {"type": "info"}, T0)
    notifier = Notifier(tmp_path / "vigie.db")
    for second in range(0, 3600, 5):
        notifier.deliver_due(at(second))
    failed = db.notify.attempts_of(conn, [message_id])[message_id]
    assert 8 <= len(failed) <= 14  # 5 s, 10 s, 20 s ... then every 10 minutes
    assert not any(a["ok"] for a in failed)
    assert db.notify.get_message(conn, message_id)["state"] == "pending"
    receiver = Receiver(port).start()  # back
    try:
        for second in range(3600, 3600 + 700, 5):
            notifier.deliver_due(at(second))
        assert len(receiver.wait_for(1)) == 1
        time.sleep(0.2)
        assert len(receiver.received()) == 1
    finally:
        receiver.stop()
    final = db.notify.get_message(conn, message_id)
    assert final["state"] == "delivered" and final["attempts"] == len(failed) + 1


def test_gives_up_after_the_limit_and_says_so(conn, tmp_path):
    db.notify.put_channel(conn, "hook", "json://127.0.0.1:9/hook")
    channel = db.notify.get_channel(conn, "hook")
    with db.transaction(conn):
        message_id = db.notify.add_message(conn, channel["id"], "test", "hello", "body", {"type": "info"}, T0)
    notifier = Notifier(tmp_path / "vigie.db", Settings(give_up_hours=1))
    for second in range(0, 4000, 60):
        notifier.deliver_due(at(second))
    message = db.notify.get_message(conn, message_id)
    assert message["state"] == "failed" and message["last_error"]


def test_an_attempt_left_unanswered_by_a_killed_notifier_is_closed_and_sent_again(conn, hook, tmp_path):
    db.notify.put_channel(conn, "hook", f"json://127.0.0.1:{hook.port}/hook")
    channel = db.notify.get_channel(conn, "hook")
    with db.transaction(conn):
        message_id = db.notify.add_message(conn, channel["id"], "test", "hello", "body", {"type": "info"}, T0)
    db.notify.start_attempt(conn, message_id, T0)  # the process died here
    notifier = Notifier(tmp_path / "vigie.db")
    assert notifier.recover(at(5)) == 1
    [attempt] = db.notify.attempts_of(conn, [message_id])[message_id]
    assert attempt["ok"] is False and attempt["answer"].startswith("interrupted")
    assert notifier.deliver_due(at(6)) == 1


@pytest.mark.slow
def test_the_outbox_is_written_with_the_alert_change_and_only_when_a_rule_may_want_it(conn, hook):
    add_alerts(conn, 1, server="before-any-rule")
    assert db.notify.outbox_size(conn) == 0  # no rule: ingest pays nothing
    add_rule(conn, hook)
    [alert_id] = add_alerts(conn, 1)
    assert db.notify.first_events(conn)[-1]["alert_id"] == alert_id
    add_alerts(conn, 1)  # the same alert again: a duplicate, nothing to tell
    assert db.notify.outbox_size(conn) == 1
    with pytest.raises(KeyError):  # a batch that fails half-way leaves no outbox entry behind
        db.insert_alerts(conn, [{"timestamp": T0, "server": "x", "severity": "ERROR", "message": "m",
                                 "provider": "", "application": "", "environment": ""}, {"server": "broken"}])
    assert db.notify.outbox_size(conn) == 1


def lifecycle_setup(conn, hook, tmp_path, **rule):
    add_rule(conn, hook, **dict({"steps": [{"channels": ["hook"]}], "group_wait_seconds": 0,
                                 "repeat_minutes": 60}, **rule))
    notifier = Notifier(tmp_path / "vigie.db")
    notifier.plan(T0)  # the first look sets the history cursor
    return notifier


def told(conn, alert_id):
    return [(n["kind"], n["created_at"]) for n in reversed(db.notify.notifications_of_alert(conn, alert_id))]


def test_acknowledged_for_a_while_then_told_again_when_the_acknowledgement_expires(conn, hook, tmp_path):
    notifier = lifecycle_setup(conn, hook, tmp_path)
    [alert_id] = add_alerts(conn, 1)
    notifier.plan(at(1))
    db.acknowledge(conn, alert_id, "alice", until=at(15 * 60), now=at(60))
    for minute in (2, 10, 14):
        notifier.plan(at(minute * 60))
    assert told(conn, alert_id) == [("opened", at(1))]
    notifier.plan(at(16 * 60))  # the acknowledgement ran out and the alert is still open
    assert told(conn, alert_id) == [("opened", at(1)), ("reopened", at(16 * 60))]


def test_acknowledged_until_resolved_gets_no_repeat_then_one_resolved(conn, hook, tmp_path):
    notifier = lifecycle_setup(conn, hook, tmp_path)
    [alert_id] = add_alerts(conn, 1)
    notifier.plan(at(1))
    db.acknowledge(conn, alert_id, "alice", now=at(30))
    for minute in (1, 61, 121, 241):
        notifier.plan(at(minute * 60))
    assert told(conn, alert_id) == [("opened", at(1))]
    db.resolve(conn, alert_id, "alice", now=at(300 * 60))
    notifier.plan(at(300 * 60))
    notifier.plan(at(301 * 60))
    assert told(conn, alert_id) == [("opened", at(1)), ("resolved", at(300 * 60))]


def test_an_alert_arriving_under_a_silence_is_not_told(conn, hook, tmp_path):
    from datetime import datetime
    from vigie import silences

    notifier = lifecycle_setup(conn, hook, tmp_path)
    moment = datetime.fromisoformat(T0)
    silence = silences.normalize_silence({"matchers": {"server": "edge-*"}, "starts_at": T0,
                                          "ends_at": at(3600), "comment": "planned work"}, moment)
    db.silences.create(conn, silence, "alice", moment)
    [alert_id] = add_alerts(conn, 1)
    notifier.plan(at(5))
    notifier.plan(at(600))
    assert told(conn, alert_id) == []
    notifier.plan(at(3601))  # the window is over and the alert still open: now it is told
    assert [kind for kind, _ in told(conn, alert_id)] == ["opened"]


@pytest.mark.slow
def test_kill_9_in_the_middle_of_deliveries_loses_nothing(conn, tmp_path):
    receiver = Receiver().start()
    receiver.delay = 0.3  # each delivery is in flight for a while
    db.notify.put_channel(conn, "hook", f"json://127.0.0.1:{receiver.port}/hook")
    channel = db.notify.get_channel(conn, "hook")
    now = db.utc_now()
    with db.transaction(conn):
        ids = [db.notify.add_message(conn, channel["id"], "test", f"message {i}", "body", {"type": "info"}, now)
               for i in range(12)]
    notifier = NotifierProcess(tmp_path / "vigie.db", tmp_path)
    kills = 0
    try:
        for _ in range(3):
            notifier.start()
            before = len(receiver.received())
            receiver.wait_for(before + 2, timeout=20)
            time.sleep(0.1)  # the next one is in flight now
            notifier.kill()
            kills += 1
        notifier.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(messages(conn, "delivered")) < len(ids):
            time.sleep(0.1)
    finally:
        notifier.stop()
        receiver.stop()
    assert len(messages(conn, "delivered")) == len(ids), notifier.log_text()
    keys = [a.key for a in receiver.received()]
    assert set(keys) == {f"vigie-{i}" for i in ids}  # none lost
    interrupted = conn.execute("SELECT COUNT(*) FROM notify_attempts WHERE answer LIKE 'interrupted%'").fetchone()[0]
    assert 1 <= interrupted <= kills
    # a message goes twice only when the process died before the channel's answer reached it
    assert len(keys) - len(set(keys)) <= interrupted
    ok_twice = conn.execute("SELECT message_id FROM notify_attempts WHERE ok = 1 GROUP BY message_id"
                            " HAVING COUNT(*) > 1").fetchall()
    assert ok_twice == []


def test_a_flapping_alert_is_told_once_as_flapping_then_nothing_while_it_flaps(conn, hook, tmp_path):
    notifier = lifecycle_setup(conn, hook, tmp_path)
    problem = {"timestamp": T0, "server": "edge-rt-02", "severity": "CRITICAL", "message": "Link down",
               "provider": "", "application": "", "environment": "", "fingerprint": "edge-rt-02 link"}
    clear = dict(problem, severity="INFO", message="Link up again")
    alert_id = None
    for minute in range(12):  # down and up again every minute
        record = problem if minute % 2 == 0 else clear
        [(found, _)] = db.insert_alerts(conn, [dict(record, timestamp=at(minute * 60))], now=at(minute * 60))
        alert_id = alert_id or found
        notifier.plan(at(minute * 60 + 1))
    kinds = [kind for kind, _ in told(conn, alert_id)]
    assert kinds.count("flapping") == 1
    assert kinds[-1] == "flapping"  # and nothing after it while it flaps
    assert kinds[:2] == ["opened", "resolved"]
