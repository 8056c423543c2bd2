"""Threshold rules with patience and hysteresis, on literal sequences (no network)."""

import pytest

from collector.snmp import events, thresholds
from collector.snmp.thresholds import CLEAR, RAISE

UTIL = thresholds.rule(39, above=True, polls=2, hysteresis=10)


def run(rule, values, state=None):
    changes = []
    for value in values:
        state, change = thresholds.step(state, value, rule)
        changes.append(change)
    return changes, state


def test_one_poll_over_is_not_an_alert():
    assert run(UTIL, [41, 30, 45, 20])[0] == [None] * 4


def test_raised_after_polls_in_a_row_then_once():
    assert run(UTIL, [41, 42, 50, 60])[0] == [None, RAISE, None, None]


def test_hovering_around_the_limit_raises_once_and_never_clears():
    # the link seen in the field: around 39 % for three minutes of 15 s polls
    hovering = [38.6, 39.2, 40.1, 38.9, 39.5, 41.0, 37.8, 39.9, 38.2, 40.3, 36.5, 39.1]
    changes, state = run(UTIL, hovering)
    assert changes.count(RAISE) == 1 and CLEAR not in changes
    assert state["raised"] is True


def test_cleared_only_under_the_limit_minus_hysteresis():
    changes, state = run(UTIL, [45, 45, 35, 29.5, 29, 28.9, 20])
    assert changes == [None, RAISE, None, None, None, CLEAR, None]
    assert state == {"count": 0, "raised": False}


def test_missing_value_changes_nothing():
    assert run(UTIL, [45, None, 45])[0] == [None, None, RAISE]
    assert run(UTIL, [45, 45, None, 10])[0] == [None, RAISE, None, CLEAR]


def test_below_rule_mirrors_above():
    low_disk = thresholds.rule(5, above=False, polls=3, hysteresis=1)
    assert run(low_disk, [4, 4, 5, 5.5, 6, 6.1])[0] == [None, None, RAISE, None, None, CLEAR]


def test_polls_of_one_raises_on_the_first_poll():
    assert run(thresholds.rule(90, polls=1), [95, 10])[0] == [RAISE, CLEAR]


@pytest.mark.parametrize("value, side, level, text", [
    (38.6, "<", 39, "38.6"),       # rounding to 39 would read "back under 39% (39%)"
    (28.99, "<", 29, "28.99"),
    (28.999, "<", 29, "28.99"),    # cut, not rounded, past two decimals
    (21.4, "<", 29, "21"),         # only as precise as needed
    (39.0, ">=", 39, "39"),        # at the limit: written as the limit
    (39.2, ">=", 39, "39.2"),      # over it: never written as the limit
    (85.64, ">=", 85.6, "86"),
    (4.6, "<=", 5, "4.6"),
    (4.96, "<=", 5, "4.96"),
    (5.04, ">", 5, "5.04"),
])
def test_values_are_written_on_the_side_they_are(value, side, level, text):
    assert thresholds.shown(value, side, level) == text


def view(util, oper="up"):
    return {"oper_status": oper, "admin_status": "up", "utilisation_percent": util}


def test_interface_messages_agree_with_their_numbers():
    rule = events.utilisation_rule(events.resolve_rules({"threshold_percent": 39}))
    state, found = {}, []
    for util in [39.4, 39.0, 38.6, 31.0, 28.96]:
        got, state = events.interface_events("eth0", state, view(util), rule, 0)
        found += got
    assert [(e["kind"], e["message"]) for e in found] == [
        ("util_high", "Interface eth0 at 39% of its speed for 2 polls (threshold 39%)"),   # 39.0 exactly
        ("util_ok", "Interface eth0 back under 29% of its speed (28.96%; threshold 39%)"),
    ]


def test_machine_settings_and_interface_overrides():
    config = {"threshold_percent": 80, "threshold_polls": 3, "threshold_hysteresis": 5,
              "interface_thresholds": {"uplink": {"threshold_percent": 60}, "7": {"threshold_polls": 1}}}
    rules = events.resolve_rules(config)
    assert events.utilisation_rule(rules, {"name": "eth0", "index": 1}) == thresholds.rule(80, True, 3, 5)
    assert events.utilisation_rule(rules, {"name": "uplink", "index": 2}) == thresholds.rule(60, True, 3, 5)
    assert events.utilisation_rule(rules, {"name": "ge-7", "descr": "x", "index": 7}) == \
        thresholds.rule(80, True, 1, 5)
    assert events.utilisation_rule(events.resolve_rules({})) == thresholds.rule(90, True, 2, 10)   # the defaults
    assert [events.interface_rule(rules, {"name": n})["errors_per_second"] for n in ("eth0", "uplink")] == [1, 1]
    errors = events.resolve_rules(dict(config, errors_per_second=5, interface_thresholds={"wan": {"errors_per_second": 0.5}}))
    assert [events.interface_rule(errors, {"name": n})["errors_per_second"] for n in ("eth0", "wan")] == [5, 0.5]


def test_the_poll_rules_are_resolved_once_when_the_machine_files_are_loaded(tmp_path):
    from collector.poll import Reporter, load_machines
    (tmp_path / "edge.json").write_text('{"host": "127.0.0.1", "snmp": {"version": "2c", "community": "public"}, '
                                        '"threshold_percent": 70, "interface_thresholds": {"wan": {"threshold_polls": 4}}}')
    configs, _ = load_machines(tmp_path, Reporter())
    rules = configs["edge"]["poll_rules"]
    assert rules["machine"]["utilisation"] == thresholds.rule(70, True, 2, 10)
    assert rules["interfaces"]["wan"]["utilisation"] == thresholds.rule(70, True, 4, 10)
    assert events.machine_rules(configs["edge"]) is rules
