"""The state history (vigie/samples/states.py): what a poll adds to it, and how it
stays bounded on disk; pure rules on literal times, and the real store."""

import pytest

from vigie import availability as av
from vigie import samples as samples_lib
from vigie.samples import states

T0 = 1_767_225_600          # 2026-01-01T00:00:00Z


def line(t, s, interface=None):
    return states.mark(t, s, interface)


# ---------------------------------------------------------------- what a poll adds

GAP = states.no_data_after_seconds(60)


def poll(held, last, ts, state, answered, interfaces=None):
    return states.poll_marks(held, last, ts, state, answered, interfaces, GAP)


def test_the_first_answer_writes_the_machine_and_each_interface():
    lines, held = poll(states.empty_held(), None, T0, "up", True, {"ge-0": "up", "ge-1": "off"})
    assert lines == [line(T0, "up"), line(T0, "up", "ge-0"), line(T0, "off", "ge-1")]
    again, _ = poll(held, T0, T0 + 60, "up", True, {"ge-0": "up", "ge-1": "off"})
    assert again == []


def test_a_machine_declared_down_is_down_from_its_first_failed_poll():
    _, held = poll(states.empty_held(), None, T0, "up", True, {})
    first, held = poll(held, T0, T0 + 60, "up", False)          # down_after 2: not down yet
    assert first == []
    second, held = poll(held, T0 + 60, T0 + 120, "down", False)
    assert second == [line(T0 + 60, "down")]
    back, held = poll(held, T0 + 120, T0 + 180, "up", True, {})
    assert back == [line(T0 + 180, "up")]


def test_one_failed_poll_under_down_after_writes_nothing():
    _, held = poll(states.empty_held(), None, T0, "up", True, {})
    failed, held = poll(held, T0, T0 + 60, "up", False)
    answered, held = poll(held, T0 + 60, T0 + 120, "up", True, {})
    assert failed == answered == [] and held["failing_since"] is None


def test_a_poll_after_a_long_silence_marks_the_gap_from_the_last_poll():
    _, held = poll(states.empty_held(), None, T0, "up", True, {"ge-0": "up"})
    lines, held = poll(held, T0, T0 + 3600, "up", True, {"ge-0": "up"})
    assert lines == [line(T0, "none"), line(T0 + 3600, "up")]


def test_a_run_of_failures_does_not_reach_back_over_a_gap():
    _, held = poll(states.empty_held(), None, T0, "up", True, {})
    _, held = poll(held, T0, T0 + 60, "up", False)
    lines, held = poll(held, T0 + 60, T0 + 3600, "down", False)
    assert lines == [line(T0 + 60, "none"), line(T0 + 3600, "down")]


def test_a_machine_never_answering_has_no_data_until_declared_down():
    first, held = poll(states.empty_held(), None, T0, "unknown", False)
    second, held = poll(held, T0, T0 + 60, "down", False)
    assert first == [] and second == [line(T0, "down")]


def test_an_interface_no_longer_watched_has_no_data_from_then_on():
    _, held = poll(states.empty_held(), None, T0, "up", True, {"ge-0": "up", "ge-1": "up"})
    lines, held = poll(held, T0, T0 + 60, "up", True, {"ge-0": "down"})
    assert lines == [line(T0 + 60, "down", "ge-0"), line(T0 + 60, "none", "ge-1")]
    assert held["if"] == {"ge-0": "down"}


@pytest.mark.parametrize("oper, admin, state", [
    ("up", "up", "up"), ("down", "up", "down"), ("lowerLayerDown", "up", "down"), ("notPresent", "up", "down"),
    ("down", "down", "off"), ("dormant", "up", "none"), ("testing", "up", "none"), (None, None, "none")])
def test_interface_state_from_its_statuses(oper, admin, state):
    assert states.interface_state(oper, admin) == state


def test_a_cut_history_measures_the_same_after_the_cut():
    lines = [line(T0, "up"), line(T0, "up", "ge-0"), line(T0 + 100, "down", "ge-0"), line(T0 + 200, "none", "ge-1"),
             line(T0 + 300, "down"), line(T0 + 400, "up")]
    cut = states.compact(lines, T0 + 150)
    assert cut == [line(T0 + 150, "up"), line(T0 + 150, "down", "ge-0")] + lines[3:]
    for subject in (None, "ge-0"):
        before = av.timelines(lines, T0 + 500)
        after = av.timelines(cut, T0 + 500)
        pick = (lambda t: t[0]) if subject is None else (lambda t: t[1][subject])
        measured = [av.report(pick(t), T0 + 150, T0 + 500, T0 + 500) for t in (before, after)]
        assert measured[0]["seconds"] == measured[1]["seconds"]
        assert measured[0]["availability_percent"] == measured[1]["availability_percent"]
        assert len(measured[0]["outages"]) == len(measured[1]["outages"])


# ---------------------------------------------------------------- the history on disk stays bounded

def test_the_history_is_cut_past_the_time_kept_and_keeps_each_state(tmp_path):
    store = samples_lib.SamplesStore(tmp_path)
    record = store.load("m", 60)
    old = T0 - states.KEEP_SECONDS - states.TRIM_SLACK_SECONDS - 86400
    record.states = [line(old, "up"), line(old, "up", "ge-0"), line(old + 10, "down", "ge-0")]
    store.save(record, now_ts=old)
    record.states = [line(T0, "down")]
    store.save(record, now_ts=T0)
    kept = samples_lib.read_states(tmp_path, "m")["lines"]
    cut = T0 - states.KEEP_SECONDS
    assert kept == [line(cut, "up"), line(cut, "down", "ge-0"), line(T0, "down")]


def test_the_history_is_bounded_in_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(states, "MAX_BYTES", 4000)
    store = samples_lib.SamplesStore(tmp_path)
    record = store.load("m", 60)
    for n in range(400):
        record.states = [line(T0 + n * 60, "up" if n % 2 else "down", "ge-0")]
        store.save(record, now_ts=T0 + n * 60)
        assert (tmp_path / "m" / "states.jsonl").stat().st_size <= 4000 + 60
    kept = samples_lib.read_states(tmp_path, "m")["lines"]
    assert kept[-1] == line(T0 + 399 * 60, "up", "ge-0") and len(kept) < 100
    assert [x["t"] for x in kept] == sorted(x["t"] for x in kept)
