"""Silence matchers as Alertmanager writes them: "=", "!=", "=~", "!~" conditions on a
field, all of which must hold; pure rules tested on literal input (vigie/silences.py),
what needs an admin, and what keeps a team member's silence inside the team's scope
(vigie/scope.py): a negative or regular condition never pins it, so it never widens it."""

import pytest

from vigie import scope
from vigie import silences as rules


def alert(**fields):
    base = {"server": "web-1", "severity": "CRITICAL", "message": "Disk full on /var", "provider": "Acme",
            "application": "shop", "environment": "prod", "timestamp": "2026-11-22T10:00:00+00:00"}
    return dict(base, **fields)


def cond(op, value):
    return {"op": op, "value": value}


@pytest.mark.parametrize("matchers, server, expected", [
    ({"server": "web-*"}, "web-1", True),                                # a string reads as before: a glob
    ({"server": "web-1"}, "web-10", False),                              # ... or exact
    ({"server": [cond("!=", "web-1")]}, "web-1", False),
    ({"server": [cond("!=", "web-1")]}, "web-2", True),
    ({"server": [cond("!=", "web-*")]}, "web-2", False),                 # the opposite of "=": globs too
    ({"server": [cond("=~", "web-.*")]}, "web-12", True),
    ({"server": [cond("=~", "web-")]}, "web-12", False),                 # anchored, as in Alertmanager
    ({"server": [cond("=~", "WEB-.*")]}, "web-12", False),               # case-sensitive
    ({"server": [cond("!~", "web-[0-9]+")]}, "web-12", False),
    ({"server": [cond("!~", "web-[0-9]+")]}, "db-1", True),
    ({"server": [cond("=~", "web-.*"), cond("!=", "web-1")]}, "web-1", False),   # every condition holds
    ({"server": [cond("=~", "web-.*"), cond("!=", "web-1")]}, "web-2", True),
])
def test_server_conditions(matchers, server, expected):
    assert rules.matches(matchers, alert(server=server)) is expected


def test_message_conditions_read_equal_as_containing_and_regex_as_the_whole_message():
    assert rules.matches({"message": "disk FULL"}, alert())
    assert not rules.matches({"message": [cond("!=", "disk full")]}, alert())
    assert rules.matches({"message": [cond("=~", "Disk full on /.*")]}, alert())
    assert not rules.matches({"message": [cond("=~", "Disk")]}, alert())
    assert rules.matches({"message": [cond("!~", ".*test.*")], "severity": ["CRITICAL"]}, alert())


def test_a_single_equal_condition_is_kept_as_the_string_stored_silences_hold():
    assert rules.normalize_matchers({"server": [cond("=", "web-*")]}) == {"server": "web-*"}
    assert rules.normalize_matchers({"server": cond("=", "web-*")}) == {"server": "web-*"}
    assert rules.normalize_matchers({"server": "web-*", "severity": "crit"}) == {"server": "web-*",
                                                                                  "severity": ["CRITICAL"]}
    assert rules.normalize_matchers({"environment": [cond("!=", "PROD"), "prod"]}) == {
        "environment": [cond("!=", "prod"), cond("=", "prod")]}


@pytest.mark.parametrize("raw, field, words", [
    ({"server": [cond("=~", "web-(")]}, "matchers.server", "bad regular expression 'web-('"),
    ({"message": [cond("!~", "[z-a]")]}, "matchers.message", "bad regular expression"),
    ({"server": [cond("=~", "(?=web)web-1")]}, "matchers.server", "RE2 syntax"),     # no look-around
    ({"message": [cond("=~", r"(disk)\1")]}, "matchers.message", "bad regular expression"),   # nor back-references
    ({"server": [cond("==", "web-1")]}, "matchers.server", "unknown op '=='"),
    ({"server": [{"op": "=~"}]}, "matchers.server", "conditions"),
    ({"server": [cond("=~", "x" * 300)]}, "matchers.server", "at most 256"),
    ({"server": []}, "matchers.server", "from 1 to 10"),
    ({"server": [cond("!=", " ")]}, "matchers.server", "must not be empty"),
    ({"server": [cond("!=", "a")] * 2 + [cond("!=", str(i)) for i in range(10)]}, "matchers.server", "from 1 to 10"),
])
def test_bad_conditions_name_the_field(raw, field, words):
    with pytest.raises(rules.SilenceError) as caught:
        rules.normalize_matchers(raw)
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize("matchers, everything", [
    ({"server": "*"}, True),
    ({"server": [cond("=~", ".*")]}, True),
    ({"server": [cond("=~", ".+")]}, True),
    ({"server": [cond("!=", "web-1")]}, True),                 # all but one: as wide as every alert
    ({"message": [cond("!~", ".*test.*")]}, True),
    ({"server": [cond("=~", "web-.*")]}, False),
    ({"server": [cond("!=", "web-1")], "provider": "Acme"}, False),
    ({"severity": ["CRITICAL"], "server": [cond("!=", "web-1")]}, False),
])
def test_what_matches_every_alert_needs_an_admin(matchers, everything):
    assert rules.matches_everything(matchers) is everything


ACME = [{"provider": ["Acme"]}]
WEB = [{"server": ["web-*"]}]


@pytest.mark.parametrize("matchers, scopes, inside", [
    ({"provider": "Acme", "server": [cond("!=", "web-1")]}, ACME, True),        # narrowed inside
    ({"provider": [cond("=", "Acme"), cond("!=", "x")]}, ACME, True),
    ({"provider": [cond("!=", "Globex")]}, ACME, False),                        # would reach every other team
    ({"provider": [cond("=~", "Acme")]}, ACME, False),                          # a regex pins nothing
    ({"provider": [cond("=~", "Acme|Globex")]}, ACME, False),
    ({"server": [cond("=~", "web-.*")]}, WEB, False),
    ({"server": [cond("=", "web-*"), cond("=~", "web-[0-9]+")]}, WEB, True),
    ({"server": [cond("=", "web-3"), cond("!~", "web-3")]}, WEB, True),
    ({"server": [cond("!=", "db-*")]}, WEB, False),
])
def test_a_team_silence_is_inside_only_when_an_equal_condition_pins_each_scope_key(matchers, scopes, inside):
    assert scope.silence_inside(matchers, scopes) is inside
    if inside:   # and then it matches nothing outside, whatever else it says
        outside = alert(provider="Globex", server="db-9")
        assert not rules.matches(matchers, outside) or scope.in_any_scope(scopes, outside)


def test_the_index_compares_conditions_on_the_server_with_every_alert():
    silences = [{"id": 1, "matchers": {"server": "web-1"}}, {"id": 2, "matchers": {"server": [cond("!=", "web-1")]}},
                {"id": 3, "matchers": {"server": [cond("=~", "web-[12]")]}}]
    index = rules.MatcherIndex(silences)
    assert [s["id"] for s in index.matching(alert(server="web-1"))] == [1, 3]
    assert [s["id"] for s in index.matching(alert(server="web-2"))] == [2, 3]
    assert [s["id"] for s in index.matching(alert(server="db-1"))] == [2]


def test_matchers_are_described_as_alertmanager_writes_them():
    assert rules.describe({"server": [cond("=~", "web-.*"), cond("!=", "web-2")], "severity": ["CRITICAL", "ERROR"],
                           "message": "disk"}) == \
        'message="disk", server=~"web-.*", server!="web-2", severity="CRITICAL|ERROR"'


def test_an_expression_that_backtracks_forever_elsewhere_is_matched_at_once():
    """RE2 matches in time linear in the text; Python's re backtracks here in time exponential in it."""
    matchers = rules.normalize_matchers({"message": [cond("=~", "(a|aa)*b")]})
    assert not rules.matches(matchers, alert(message="a" * 2000))
    assert rules.matches(matchers, alert(message="a" * 1999 + "b"))


@pytest.mark.parametrize("matchers, server", [
    ({"server": "web-1"}, "web-1"), ({"server": "web-*"}, None), ({"environment": "prod"}, None),
    ({"server": [{"op": "=~", "value": "web-.*"}]}, None)])
def test_a_silence_is_looked_up_by_server_only_when_it_names_one_exactly(matchers, server):
    assert rules.exact_server(matchers) == server
