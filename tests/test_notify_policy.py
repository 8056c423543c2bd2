"""Grouping, repeats, escalation and resolves as pure rules, on literal times."""

import pytest

from vigie import utc
from vigie.notify import policy
from vigie.notify.policy import FLAPPING, MUTED, NEEDS_HUMAN, RESOLVED, Item, Track, advance
from vigie.notify.rules import normalize_rule

T0 = "2026-11-22T10:00:00+00:00"


def at(minutes: float) -> str:
    return utc.plus_seconds(T0, minutes * 60)


def rule(**overrides):
    body = {"name": "ops", "steps": [{"channels": ["mail"]}, {"after_minutes": 15, "channels": ["phone"]}],
            "repeat_minutes": 240}
    body.update(overrides)
    return normalize_rule(body)


def test_a_new_alert_is_told_to_the_first_step_at_once():
    track, items, check = advance(None, NEEDS_HUMAN, rule(), T0, "opened")
    assert items == [Item(0, "opened")]
    assert track == Track(since=T0, step=0, last_told_at=T0, state=NEEDS_HUMAN)
    assert check == at(15)  # the next step, before the repeat


def test_still_open_after_the_steps_delay_escalates_to_the_next_step_once():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    same, items, _ = advance(track, NEEDS_HUMAN, rule(), at(14.9))
    assert items == [] and same == track
    track, items, check = advance(track, NEEDS_HUMAN, rule(), at(15))
    assert items == [Item(1, "escalated")]
    assert track.step == 1
    assert check == at(15 + 240)  # no step left: the repeat
    _, items, _ = advance(track, NEEDS_HUMAN, rule(), at(16))
    assert items == []


def test_a_late_look_tells_every_step_reached_in_order():
    r = rule(steps=[{"channels": ["a"]}, {"after_minutes": 5, "channels": ["b"]},
                    {"after_minutes": 10, "channels": ["c"]}])
    track, _, _ = advance(None, NEEDS_HUMAN, r, T0)
    track, items, _ = advance(track, NEEDS_HUMAN, r, at(30))
    assert items == [Item(1, "escalated"), Item(2, "escalated")]


def test_repeat_every_interval_to_the_step_reached():
    r = rule(steps=[{"channels": ["mail"]}], repeat_minutes=60)
    track, _, check = advance(None, NEEDS_HUMAN, r, T0)
    assert check == at(60)
    track, items, check = advance(track, NEEDS_HUMAN, r, at(60))
    assert items == [Item(0, "repeat")]
    assert check == at(120)
    _, items, _ = advance(track, NEEDS_HUMAN, r, at(119))
    assert items == []


def test_no_repeat_when_the_interval_is_zero():
    r = rule(steps=[{"channels": ["mail"]}], repeat_minutes=0)
    track, _, check = advance(None, NEEDS_HUMAN, r, T0)
    assert check is None
    _, items, _ = advance(track, NEEDS_HUMAN, r, at(10000))
    assert items == []


def test_acknowledged_alert_is_not_repeated_nor_escalated():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    track, items, check = advance(track, MUTED, rule(), at(5))
    assert items == [] and check is None
    _, items, _ = advance(track, MUTED, rule(), at(500))
    assert items == []


def test_an_expired_acknowledgement_tells_again_and_resumes_escalation():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    track, _, _ = advance(track, MUTED, rule(), at(5))
    track, items, check = advance(track, NEEDS_HUMAN, rule(), at(65))
    assert items == [Item(0, "reopened")]
    assert check == at(65 + 15)  # the next step after the same delay as from the start


def test_silenced_from_the_start_is_told_as_opened_when_the_silence_ends():
    track, items, _ = advance(None, MUTED, rule(), T0)
    assert items == [] and track.step == -1
    track, items, _ = advance(track, NEEDS_HUMAN, rule(), at(120))
    assert items == [Item(0, "opened")]


def test_resolve_is_told_once_to_every_step_that_was_told():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    track, _, _ = advance(track, NEEDS_HUMAN, rule(), at(15))
    track, items, check = advance(track, RESOLVED, rule(), at(20))
    assert items == [Item(0, "resolved"), Item(1, "resolved")]
    assert check is None
    _, items, _ = advance(track, RESOLVED, rule(), at(21))
    assert items == []


def test_resolve_of_an_alert_never_told_tells_nothing():
    track, items, _ = advance(None, MUTED, rule(), T0)
    _, items, _ = advance(track, RESOLVED, rule(), at(1))
    assert items == []
    _, items, _ = advance(None, RESOLVED, rule(), at(1))
    assert items == []


def test_reopened_after_resolve_is_told_as_reopened_from_the_first_step():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    track, _, _ = advance(track, NEEDS_HUMAN, rule(), at(15))
    track, _, _ = advance(track, RESOLVED, rule(), at(20))
    track, items, check = advance(track, NEEDS_HUMAN, rule(), at(30), "reopened")
    assert items == [Item(0, "reopened")]
    assert track.step == 0 and check == at(45)


def test_flapping_is_told_once_then_nothing_until_it_settles():
    track, _, _ = advance(None, NEEDS_HUMAN, rule(), T0)
    track, items, _ = advance(track, FLAPPING, rule(), at(1))
    assert items == [Item(0, "flapping")]
    for minute in (2, 3, 50, 500):
        _, items, _ = advance(track, FLAPPING, rule(), at(minute))
        assert items == []
    _, items, _ = advance(track, RESOLVED, rule(), at(600))
    assert items == [Item(0, "resolved")]


def test_items_of_kinds_the_rule_does_not_tell_are_dropped_but_the_track_moves_on():
    r = rule(events=["resolved"])
    track, items, _ = advance(None, NEEDS_HUMAN, r, T0)
    assert items == [] and track.step == 0
    _, items, _ = advance(track, RESOLVED, r, at(3))
    assert items == [Item(0, "resolved")]


@pytest.mark.parametrize("status, silenced, flapping, expected", [
    ("open", False, False, NEEDS_HUMAN), ("acknowledged", False, False, MUTED), ("shelved", False, False, MUTED),
    ("open", True, False, MUTED), ("resolved", False, False, RESOLVED), ("resolved", False, True, FLAPPING),
    ("open", True, True, FLAPPING),
])
def test_condition_from_the_lifecycle(status, silenced, flapping, expected):
    assert policy.condition(status, silenced, flapping) == expected


def test_retry_back_off_doubles_up_to_ten_minutes():
    assert [policy.retry_delay_seconds(n) for n in (1, 2, 3, 4, 8, 100)] == [5, 10, 20, 40, 600, 600]
