"""vigie.lifecycle: deduplication, states, deadlines and flapping on literal alerts and times."""

import pytest

from vigie import lifecycle as lc

FLAP = lc.Flapping(threshold=5, window_seconds=1800)
DOWN = {"timestamp": "2026-11-22T10:00:00+00:00", "server": "edge-rt-02", "severity": "CRITICAL",
        "message": "Machine is not answering SNMP", "provider": "NetOps", "application": "core-network",
        "environment": "prod", "fingerprint": "reachability:edge-rt-02", "timeout": None}


def at(clock, day="2026-11-22"):
    return f"{day}T{clock}+00:00"


def sighting(clock, **changes):
    return dict(DOWN, timestamp=at(clock), **changes)


def up(clock):
    return sighting(clock, severity="INFO", message="Machine is answering SNMP again")


def opened(clock="10:00:00", **changes):
    row, events = lc.new_row(sighting(clock, **changes), "watcher", at(clock), FLAP)
    return row


def kinds(events):
    return [e["kind"] for e in events]


# ---- fingerprint

def test_the_default_fingerprint_is_a_hash_of_the_chosen_fields():
    base = lc.fingerprint(DOWN)
    assert base == lc.fingerprint(dict(DOWN, timestamp=at("11:00:00"), provider="Other"))  # not among the fields
    assert base != lc.fingerprint(dict(DOWN, message="Machine is down"))
    assert len(base) == 64 and int(base, 16) >= 0
    assert lc.fingerprint(DOWN, ("server",)) == lc.fingerprint(dict(DOWN, message="x", severity="INFO"), ("server",))


def test_the_fingerprint_key_is_a_fixed_signed_64_bit_integer_of_the_text():
    # fixed values: a database keeps them, so they may never change
    assert lc.fingerprint_key("reach:edge-rt-02") == -8127111315549418633
    assert lc.fingerprint_key("é") == -3811523526868657873
    keys = {lc.fingerprint_key(lc.fingerprint(dict(DOWN, message=f"m{i}"))) for i in range(1000)}
    assert len(keys) == 1000 and all(-2 ** 63 <= k < 2 ** 63 for k in keys)


# ---- arrival

def test_a_first_problem_opens_a_row_and_a_first_info_is_resolved_at_once():
    row, events = lc.new_row(sighting("10:00:00"), "watcher", at("10:00:05"), FLAP)
    assert lc.status(row, at("10:00:05")) == "open"
    assert (row["duplicate_count"], row["first_seen"], row["last_seen"]) == (0, at("10:00:00"), at("10:00:00"))
    assert kinds(events) == ["created"] and events[0]["actor"] == "watcher"
    info, events = lc.new_row(up("10:00:00"), "watcher", at("10:00:05"), FLAP)
    assert lc.status(info, at("10:00:05")) == "resolved" and info["resolved_at"] == at("10:00:00")
    assert info["resolution"] == lc.INFORMATION


def test_a_duplicate_counts_updates_last_seen_and_takes_the_latest_text():
    row, events, outcome = lc.arrive(opened(), sighting("10:05:00", message="Still not answering"), "watcher",
                                     at("10:05:01"), FLAP)
    assert outcome == "duplicate" and kinds(events) == ["duplicate"]
    assert (row["duplicate_count"], row["last_seen"], row["message"]) == (1, at("10:05:00"), "Still not answering")
    assert row["timestamp"] == at("10:00:00") and row["first_seen"] == at("10:00:00")  # the spell began then


def test_a_late_duplicate_is_counted_but_does_not_replace_newer_text():
    row, _, _ = lc.arrive(opened("10:05:00"), sighting("09:00:00", message="older"), "watcher", at("10:06:00"), FLAP)
    assert (row["duplicate_count"], row["message"], row["last_seen"]) == (1, DOWN["message"], at("10:05:00"))
    assert row["first_seen"] == at("09:00:00")


def test_a_severity_change_is_its_own_event():
    row, events, _ = lc.arrive(opened(severity="WARNING"), sighting("10:01:00"), "watcher", at("10:01:00"), FLAP)
    assert row["severity"] == "CRITICAL" and kinds(events) == ["duplicate", "severity"]
    assert events[1]["detail"] == {"before": "WARNING", "after": "CRITICAL"}


def test_back_to_normal_resolves_the_open_problem_with_the_same_fingerprint():
    row, events, outcome = lc.arrive(opened(), up("10:07:00"), "watcher", at("10:07:01"), FLAP)
    assert outcome == "resolved" and kinds(events) == ["resolved"]
    assert lc.status(row, at("10:07:01")) == "resolved"
    assert (row["resolved_at"], row["resolved_by"]) == (at("10:07:00"), "watcher")
    assert row["resolution"] == "back to normal: Machine is answering SNMP again"
    assert row["severity"] == "CRITICAL" and row["message"] == DOWN["message"]  # the problem, as it was
    assert row["duplicate_count"] == 0


def test_back_to_normal_older_than_the_last_sighting_resolves_nothing():
    row, events, outcome = lc.arrive(opened("10:05:00"), up("10:01:00"), "watcher", at("10:06:00"), FLAP)
    assert outcome == "kept" and kinds(events) == ["clear"] and lc.status(row, at("10:06:00")) == "open"
    resolved, _, _ = lc.arrive(opened(), up("10:07:00"), "watcher", at("10:07:00"), FLAP)
    again, events, outcome = lc.arrive(resolved, up("10:08:00"), "watcher", at("10:08:00"), FLAP)
    assert outcome == "kept" and again["resolved_at"] == at("10:07:00")


def test_seen_again_after_being_resolved_reopens_the_same_row():
    resolved, _, _ = lc.arrive(opened(), up("10:07:00"), "watcher", at("10:07:00"), FLAP)
    acked, _ = lc.acknowledge(resolved, "alice", at("10:07:30"))
    row, events, outcome = lc.arrive(acked, sighting("10:20:00"), "watcher", at("10:20:00"), FLAP)
    assert outcome == "reopened" and kinds(events) == ["reopened"]
    assert lc.status(row, at("10:20:00")) == "open"
    assert (row["reopen_count"], row["duplicate_count"], row["timestamp"]) == (1, 1, at("10:20:00"))
    assert row["resolved_at"] is None and not row["acknowledged"]  # a new spell needs a new acknowledgement
    assert row["first_seen"] == at("10:00:00")


def test_a_problem_dated_before_its_resolve_is_counted_without_reopening():
    resolved, _, _ = lc.arrive(opened(), up("10:07:00"), "watcher", at("10:07:00"), FLAP)
    row, _, outcome = lc.arrive(resolved, sighting("10:06:00"), "watcher", at("10:08:00"), FLAP)
    assert outcome == "duplicate" and lc.status(row, at("10:08:00")) == "resolved"
    assert row["duplicate_count"] == 1 and row["reopen_count"] == 0


def test_up_before_down_in_the_queue_still_ends_resolved():
    info_first, _ = lc.new_row(up("10:07:00"), "watcher", at("10:08:00"), FLAP)
    row, _, outcome = lc.arrive(info_first, sighting("10:00:00"), "watcher", at("10:08:00"), FLAP)
    assert lc.status(row, at("10:08:00")) == "resolved" and outcome == "duplicate"


# ---- timeout

def test_a_timeout_resolves_an_alert_not_seen_again_with_no_timer():
    row = opened(timeout=3600)
    assert row["expires_at"] == at("11:00:00")
    assert lc.status(row, at("10:59:59")) == "open" and lc.status(row, at("11:00:00")) == "resolved"
    view = lc.effective(row, at("12:00:00"))
    assert (view["resolved_at"], view["resolved_by"]) == (at("11:00:00"), "system")
    assert view["resolution"] == "timed out: not seen again within 1 h"
    again, events, outcome = lc.arrive(row, sighting("10:30:00", timeout=3600), "watcher", at("10:30:00"), FLAP)
    assert again["expires_at"] == at("11:30:00") and outcome == "duplicate"


def test_settle_writes_the_timeout_at_its_deadline_then_a_new_sighting_reopens():
    row, events, outcome = lc.arrive(opened(timeout=600), sighting("12:00:00", timeout=600), "watcher",
                                     at("12:00:00"), FLAP)
    assert kinds(events) == ["timed_out", "reopened"] and events[0]["at"] == at("10:10:00")
    assert events[0]["actor"] == "system" and outcome == "reopened" and row["reopen_count"] == 1


def test_a_sighting_sent_late_but_dated_before_the_timeout_keeps_the_alert_open():
    row, events, _ = lc.arrive(opened(timeout=600), sighting("10:09:00", timeout=600), "watcher",
                               at("10:15:00"), FLAP)
    assert kinds(events) == ["duplicate"] and row["expires_at"] == at("10:19:00")
    assert lc.status(row, at("10:15:00")) == "open"


# ---- acknowledgement and shelving

def test_an_acknowledgement_with_an_end_expires_by_itself():
    row, events = lc.acknowledge(opened(), "alice", at("10:01:00"), until=at("10:16:00"), note="on it")
    assert events[0]["note"] == f"until {at('10:16:00')}: on it"
    assert lc.status(row, at("10:15:59")) == "acknowledged" and lc.is_acknowledged(row, at("10:15:59"))
    assert lc.status(row, at("10:16:00")) == "open"
    view = lc.effective(row, at("10:16:00"))
    assert view["acknowledged"] is False and view["acknowledged_by"] is None and view["ack_until"] is None
    settled, events = lc.settle(row, at("10:30:00"), FLAP)
    assert kinds(events) == ["ack_expired"] and events[0]["at"] == at("10:16:00")
    assert settled["acknowledged"] == 0 and settled["acknowledged_by"] is None


def test_a_second_acknowledgement_makes_its_author_the_acknowledger_with_the_new_end():
    row, _ = lc.acknowledge(opened(), "alice", at("10:01:00"), until=at("10:16:00"))
    row, _ = lc.acknowledge(row, "bob", at("10:10:00"), until=at("11:10:00"))
    assert (row["acknowledged_by"], row["acknowledged_at"], row["ack_until"]) == ("bob", at("10:10:00"), at("11:10:00"))
    settled, events = lc.settle(row, at("12:00:00"), FLAP)
    assert [e["note"] for e in events] == ["acknowledgement by bob expired"]
    row, _ = lc.acknowledge(row, "carol", at("10:11:00"))
    assert row["acknowledged_by"] == "carol" and row["ack_until"] is None
    assert lc.status(row, "2027-01-01T00:00:00+00:00") == "acknowledged"


def test_until_in_the_past_is_refused():
    with pytest.raises(ValueError):
        lc.acknowledge(opened(), "alice", at("10:01:00"), until=at("10:00:59"))
    with pytest.raises(ValueError):
        lc.shelve(opened(), "alice", at("10:01:00"), until=at("10:01:00"))


def test_unacknowledge_reopens_and_says_so_once():
    row, _ = lc.acknowledge(opened(), "alice", at("10:01:00"))
    row, events = lc.unacknowledge(row, "bob", at("10:02:00"))
    assert lc.status(row, at("10:02:00")) == "open" and kinds(events) == ["unacknowledged"]
    assert lc.unacknowledge(row, "bob", at("10:03:00"))[1] == []


def test_shelving_mutes_until_a_time_then_the_acknowledgement_underneath_shows_again():
    row, _ = lc.acknowledge(opened(), "alice", at("10:01:00"))
    row, events = lc.shelve(row, "bob", at("10:02:00"), until=at("12:00:00"))
    assert lc.status(row, at("11:59:59")) == "shelved" and kinds(events) == ["shelved"]
    assert lc.status(row, at("12:00:00")) == "acknowledged"
    row, _ = lc.unshelve(row, "bob", at("10:03:00"))
    assert lc.status(row, at("10:03:00")) == "acknowledged"
    with pytest.raises(lc.TransitionError):
        lc.shelve(lc.resolve(opened(), "bob", at("10:04:00"), FLAP)[0], "bob", at("10:05:00"), at("11:00:00"))


def test_resolving_by_hand_is_recorded_once():
    row, events = lc.resolve(opened(), "alice", at("10:30:00"), FLAP, note="rebooted")
    assert lc.status(row, at("10:30:00")) == "resolved" and row["resolution"] == "resolved by hand: rebooted"
    assert kinds(events) == ["resolved"] and row["resolved_by"] == "alice"
    assert lc.resolve(row, "bob", at("10:31:00"), FLAP)[1] == []


def test_an_edit_changes_the_fields_and_keeps_the_fingerprint():
    row, events = lc.edit(opened(), {"message": "Router rebooting", "server": "edge-rt-02"}, "alice", at("10:01:00"))
    assert row["message"] == "Router rebooting" and row["fingerprint"] == DOWN["fingerprint"]
    assert events[0]["detail"] == {"changes": {"message": [DOWN["message"], "Router rebooting"]}}
    assert lc.edit(row, {"server": "edge-rt-02"}, "alice", at("10:02:00"))[1] == []


# ---- flapping

def flap_sequence(row, start_minute, count, step_minutes=2):
    """Alternate down/up sightings every step, from start_minute; return the row and all events."""
    events = []
    for i in range(count):
        clock = f"10:{start_minute + i * step_minutes:02d}:00"
        alert = up(clock) if i % 2 == 0 else sighting(clock)
        row, more, _ = lc.arrive(row, alert, "watcher", at(clock), FLAP)
        events += more
    return row, events


def test_more_than_five_changes_in_thirty_minutes_is_flapping_until_it_stays_put():
    row, events = flap_sequence(opened("10:00:00"), 2, 6)    # up, down, up, down, up, down: 10:02 .. 10:12
    assert kinds(events).count("flapping") == 1
    assert lc.is_flapping(row, at("10:12:00")) and row["flapping_until"] == at("10:42:00")
    assert lc.effective(row, at("10:30:00"))["flapping"] is True
    assert len(row["flap_changes"]) == 6 and row["reopen_count"] == 3
    row, more, _ = lc.arrive(row, up("10:20:00"), "watcher", at("10:20:00"), FLAP)
    assert row["flapping_until"] == at("10:50:00") and "flapping" not in kinds(more)  # still the same spell
    assert not lc.is_flapping(row, at("10:50:00"))
    settled, ended = lc.settle(row, at("11:00:00"), FLAP)
    assert kinds(ended) == ["flapping_ended"] and ended[0]["at"] == at("10:50:00")
    assert settled["flapping_until"] is None


def test_five_changes_are_not_flapping_nor_are_six_spread_over_more_than_the_window():
    row, events = flap_sequence(opened("10:00:00"), 2, 5)
    assert "flapping" not in kinds(events) and not lc.is_flapping(row, at("10:11:00"))
    row, events = flap_sequence(opened("10:00:00"), 0, 6, step_minutes=7)  # 10:00 .. 10:35
    assert "flapping" not in kinds(events)


# ---- settle puts passed deadlines in time order

def test_settle_carries_out_every_passed_deadline_in_time_order():
    row = opened(timeout=7200)
    row, _ = lc.acknowledge(row, "alice", at("10:01:00"), until=at("10:30:00"))
    row, _ = lc.shelve(row, "alice", at("10:02:00"), until=at("10:20:00"))
    settled, events = lc.settle(row, at("13:00:00"), FLAP)
    assert [(e["kind"], e["at"]) for e in events] == [
        ("shelve_expired", at("10:20:00")), ("ack_expired", at("10:30:00")), ("timed_out", at("12:00:00"))]
    assert lc.settle(settled, at("14:00:00"), FLAP)[1] == []
    assert lc.status(settled, at("13:00:00")) == lc.status(row, at("13:00:00")) == "resolved"
