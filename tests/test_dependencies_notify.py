"""The notifier and dependencies: the hold (a down alert waits before its first telling),
suppressed alerts never told, the root cause's message naming what is unreachable behind
it, and a child told on its own once its parent answers again while it does not. On
literal times: the rules alone, then the notifier on a real SQLite file."""

import pytest

from vigie import db
from vigie import dependencies as dp
from vigie.down_alerts import MACHINE_DOWN_MESSAGE, reachability_fingerprint
from vigie.notify import policy, render
from vigie.notify.daemon import Notifier, Settings
from vigie.notify.rules import normalize_rule
from vigie.utc import plus_seconds

T0 = "2026-11-22T03:00:00+00:00"
HOLD = 75
RULE = normalize_rule({"name": "ops", "steps": [{"channels": ["mail"]}], "group_wait_seconds": 0,
                       "repeat_minutes": 0})


def at(seconds: float) -> str:
    return plus_seconds(T0, seconds)


# --- the rules alone --------------------------------------------------------------------

def test_a_down_alert_waits_the_hold_then_is_told_if_it_still_needs_a_human():
    track, items, check = policy.advance(None, policy.NEEDS_HUMAN, RULE, T0, hold_seconds=HOLD)
    assert (items, track.state, track.held_until, check) == ([], policy.HELD, at(HOLD), at(HOLD))
    track, items, check = policy.advance(track, policy.NEEDS_HUMAN, RULE, at(HOLD - 1), hold_seconds=HOLD)
    assert items == [] and check == at(HOLD)
    track, items, check = policy.advance(track, policy.NEEDS_HUMAN, RULE, at(HOLD), hold_seconds=HOLD)
    assert items == [policy.Item(0, "opened")] and track.held_until is None and check is None


def test_suppressed_when_the_hold_ends_it_is_never_told_nor_its_resolution():
    track, _, _ = policy.advance(None, policy.NEEDS_HUMAN, RULE, T0, hold_seconds=HOLD)
    track, items, check = policy.advance(track, policy.SUPPRESSED, RULE, at(HOLD), hold_seconds=HOLD)
    assert (items, track.state, check) == ([], policy.SUPPRESSED, None)
    track, items, _ = policy.advance(track, policy.RESOLVED, RULE, at(600), hold_seconds=HOLD)
    assert items == []


def test_no_longer_suppressed_it_waits_the_hold_again_and_is_told_only_if_still_down():
    track, _, _ = policy.advance(None, policy.SUPPRESSED, RULE, T0, hold_seconds=HOLD)
    track, items, check = policy.advance(track, policy.NEEDS_HUMAN, RULE, at(300), hold_seconds=HOLD)
    assert items == [] and check == at(300 + HOLD)
    answered, items, _ = policy.advance(track, policy.RESOLVED, RULE, at(320), hold_seconds=HOLD)
    assert items == [] and answered.held_until is None   # it answered within the hold: nothing to tell
    _, items, _ = policy.advance(track, policy.NEEDS_HUMAN, RULE, at(300 + HOLD), hold_seconds=HOLD)
    assert items == [policy.Item(0, "opened")]           # a fault of its own


def test_a_reopened_down_alert_is_held_and_then_told_as_reopened():
    told, _, _ = policy.advance(None, policy.NEEDS_HUMAN, RULE, T0)
    resolved, _, _ = policy.advance(told, policy.RESOLVED, RULE, at(60))
    held, items, check = policy.advance(resolved, policy.NEEDS_HUMAN, RULE, at(120), "reopened", HOLD)
    assert items == [] and check == at(120 + HOLD) and held.state == policy.RESOLVED
    _, items, _ = policy.advance(held, policy.NEEDS_HUMAN, RULE, at(120 + HOLD), hold_seconds=HOLD)
    assert items == [policy.Item(0, "reopened")]


def test_an_alert_told_then_acknowledged_is_told_again_at_once_when_the_acknowledgement_ends():
    told, _, _ = policy.advance(None, policy.NEEDS_HUMAN, RULE, T0)
    muted, _, _ = policy.advance(told, policy.MUTED, RULE, at(60), hold_seconds=HOLD)
    _, items, _ = policy.advance(muted, policy.NEEDS_HUMAN, RULE, at(120), hold_seconds=HOLD)
    assert items == [policy.Item(0, "reopened")]


def test_suppressed_wins_over_muted_and_flapping_but_not_over_resolved():
    assert policy.condition("open", suppressed=True) == policy.SUPPRESSED
    assert policy.condition("acknowledged", silenced=True, flapping=True, suppressed=True) == policy.SUPPRESSED
    assert policy.condition("resolved", suppressed=True) == policy.RESOLVED


def test_the_root_causes_message_names_the_machines_behind_it_up_to_a_limit():
    behind = [{"server": f"leaf-{i:02d}", "message": MACHINE_DOWN_MESSAGE,
               "fingerprint": reachability_fingerprint(f"leaf-{i:02d}")} for i in range(25)]
    behind.append({"server": "core", "message": "Interface ge-1 is down", "fingerprint": "snmp:oper-status:core:ge-1"})
    alert = {"id": 7, "server": "dist-1", "severity": "CRITICAL", "message": MACHINE_DOWN_MESSAGE,
             "timestamp": T0, "application": "", "environment": "prod", "provider": "", "behind": behind}
    assert render.title([(alert, "opened")]) == \
        f"[CRITICAL] opened: dist-1 (25 machines unreachable behind it): {MACHINE_DOWN_MESSAGE}"
    text = render.body([(alert, "opened")], "http://vigie.example")
    listed = ", ".join(f"leaf-{i:02d}" for i in range(render.BEHIND_LISTED))
    assert f"  25 machines unreachable behind it: {listed} and 5 more" in text
    assert "  1 more alert of its doing: core: Interface ge-1 is down" in text


# --- the notifier on a real database ------------------------------------------------------

PARENTS = {"core": (), "dist-1": ("core",), "dist-2": ("core",), "leaf-1": ("dist-1",), "leaf-2": ("dist-1",),
           "leaf-3": ("dist-2",)}
NETWORK = dp.Network(PARENTS, {}, "test")


@pytest.fixture
def world(tmp_path):
    conn = db.connect(tmp_path / "vigie.db")
    db.notify.put_channel(conn, "mail", "json://127.0.0.1:9/hook")
    db.notify.put_rule(conn, RULE)
    notifier = Notifier(tmp_path / "vigie.db", Settings(site_url="http://vigie.example", hold_seconds=HOLD))
    notifier.plan(T0)
    yield conn, notifier
    conn.close()


def change(conn, machine: str, seconds: float, up: bool = False):
    record = {"timestamp": at(seconds), "server": machine, "severity": "INFO" if up else "CRITICAL",
              "message": "Machine is answering SNMP again" if up else MACHINE_DOWN_MESSAGE, "provider": "NetOps",
              "application": "", "environment": "prod", "fingerprint": reachability_fingerprint(machine)}
    db.insert_alerts(conn, [record], now=at(seconds), network=NETWORK)


def told(conn) -> list:
    return [(m["title"], m["body"]) for m in (db.notify.get_message(conn, r[0]) for r in
                                              conn.execute("SELECT id FROM notify_messages ORDER BY id"))]


def test_the_core_and_its_children_in_any_order_give_one_message_for_the_core_naming_them(world):
    conn, notifier = world
    for seconds, machine in ((1, "leaf-1"), (5, "dist-1"), (20, "leaf-3"), (40, "core"), (50, "dist-2"),
                             (55, "leaf-2")):
        change(conn, machine, seconds)
        notifier.plan(at(seconds))
    notifier.plan(at(1 + HOLD))                 # leaf-1's hold is over: it is suppressed by now
    assert told(conn) == []
    notifier.plan(at(40 + HOLD))                # the core's
    [(title, body)] = told(conn)
    assert title == f"[CRITICAL] opened: core (5 machines unreachable behind it): {MACHINE_DOWN_MESSAGE}"
    assert "5 machines unreachable behind it: dist-1, dist-2, leaf-1, leaf-2, leaf-3" in body
    notifier.plan(at(400))
    assert len(told(conn)) == 1

    # back: the core first, then each device as it is polled again within the hold
    change(conn, "core", 500, up=True)
    notifier.plan(at(500))
    for seconds, machine in ((510, "dist-1"), (530, "leaf-1"), (540, "dist-2"), (550, "leaf-2"), (560, "leaf-3")):
        change(conn, machine, seconds, up=True)
        notifier.plan(at(seconds))
    notifier.plan(at(1000))
    assert [title for title, _ in told(conn)][1:] == [f"[RESOLVED] core: {MACHINE_DOWN_MESSAGE}"]


def test_a_child_still_down_when_its_parent_answers_again_is_told_as_a_fault_of_its_own(world):
    conn, notifier = world
    change(conn, "dist-2", 0)
    change(conn, "leaf-3", 10)
    notifier.plan(at(10))
    notifier.plan(at(10 + HOLD))
    assert [t for t, _ in told(conn)] == [f"[CRITICAL] opened: dist-2 (1 machine unreachable behind it): "
                                          f"{MACHINE_DOWN_MESSAGE}"]
    change(conn, "dist-2", 300, up=True)
    notifier.plan(at(300))
    notifier.plan(at(300 + HOLD - 1))
    assert len(told(conn)) == 2                 # dist-2's resolution; leaf-3 waits
    notifier.plan(at(300 + HOLD))
    assert [t for t, _ in told(conn)][2:] == [f"[CRITICAL] opened: leaf-3: {MACHINE_DOWN_MESSAGE}"]
    [leaf] = db.list_alerts(conn, {"server": ["leaf-3"]})[1]
    assert [e["kind"] for e in db.alert_history(conn, leaf["id"])][-2:] == ["suppressed", "unsuppressed"]


def test_a_device_behind_a_live_parent_is_told_after_the_hold(world):
    conn, notifier = world
    change(conn, "leaf-2", 0)
    notifier.plan(at(0))
    notifier.plan(at(HOLD - 1))
    assert told(conn) == []
    notifier.plan(at(HOLD))
    assert [t for t, _ in told(conn)] == [f"[CRITICAL] opened: leaf-2: {MACHINE_DOWN_MESSAGE}"]


def test_a_teams_rule_names_only_what_is_behind_the_root_cause_in_the_teams_scope(world):
    conn, notifier = world
    db.teams.put_team(conn, "netops", {"provider": ["NetOps"]}, [])
    db.notify.put_rule(conn, normalize_rule({"name": "netops", "team": "netops", "steps": [{"channels": ["mail"]}],
                                             "group_wait_seconds": 0, "repeat_minutes": 0}))
    db.notify.put_rule(conn, dict(RULE, enabled=False))   # the team's rule alone
    change(conn, "dist-1", 0)
    change(conn, "leaf-1", 1)
    record = {"timestamp": at(2), "server": "leaf-2", "severity": "CRITICAL", "message": MACHINE_DOWN_MESSAGE,
              "provider": "Acme", "application": "", "environment": "prod",
              "fingerprint": reachability_fingerprint("leaf-2")}
    db.insert_alerts(conn, [record], now=at(2), network=NETWORK)
    notifier.plan(at(2))
    notifier.plan(at(2 + HOLD))
    [(title, body)] = told(conn)
    assert title == f"[CRITICAL] opened: dist-1 (1 machine unreachable behind it): {MACHINE_DOWN_MESSAGE}"
    assert "leaf-2" not in body
