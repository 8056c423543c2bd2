"""Rules and scopes: checked at the boundary (errors name the field), matched as pure functions."""

import sqlite3

import pytest

from vigie import scope
from vigie.notify.rules import RuleError, normalize_rule, rule_matches
from vigie.scope import ScopeError, in_scope, normalize_scope, sql_condition, user_scopes

ALERT = {"id": 1, "timestamp": "2026-11-22T10:00:00+00:00", "server": "edge-rt-02", "severity": "ERROR",
         "message": "Interface ge-0/0/1 is down", "provider": "Acme", "application": "network",
         "environment": "prod"}


def test_rule_defaults():
    r = normalize_rule({"name": " ops ", "steps": [{"channels": ["mail"]}]})
    assert r == {"name": "ops", "team": None, "enabled": True, "match": {},
                 "events": ["opened", "reopened", "escalated", "resolved", "flapping"],
                 "steps": [{"after_minutes": 0, "channels": ["mail"]}], "group_wait_seconds": 30,
                 "repeat_minutes": 240}


@pytest.mark.parametrize("body, field", [
    ({"steps": [{"channels": ["m"]}]}, "name"),
    ({"name": "x"}, "steps"),
    ({"name": "x", "steps": []}, "steps"),
    ({"name": "x", "steps": [{"channels": []}]}, "steps[0].channels"),
    ({"name": "x", "steps": [{"channels": ["m"], "after_minutes": 5}]}, "steps[0].after_minutes"),
    ({"name": "x", "steps": [{"channels": ["m"]}, {"channels": ["p"], "after_minutes": 0}]}, "steps[1].after_minutes"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "events": ["exploded"]}, "events"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "match": {"min_severity": "PANIC"}}, "match.min_severity"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "match": {"colour": ["red"]}}, "match.colour"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "match": {"server": ["web-[12]"]}}, "match.server"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "group_wait_seconds": -1}, "group_wait_seconds"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "repeat_minutes": True}, "repeat_minutes"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "enabled": "yes"}, "enabled"),
    ({"name": "x", "steps": [{"channels": ["m"]}], "colour": 1}, "colour"),
])
def test_bad_rules_name_the_field(body, field):
    with pytest.raises(RuleError) as caught:
        normalize_rule(body)
    assert caught.value.field == field


@pytest.mark.parametrize("match, expected", [
    ({}, True),
    ({"min_severity": "WARNING"}, True), ({"min_severity": "ERROR"}, True), ({"min_severity": "CRITICAL"}, False),
    ({"server": ["edge-*"]}, True), ({"server": ["core-*", "edge-rt-0?"]}, True), ({"server": ["EDGE-*"]}, False),
    ({"provider": ["Acme", "Other"]}, True), ({"provider": ["Other"]}, False),
    ({"environment": ["PROD"]}, True),  # stored lower case, matched lower case
    ({"application": ["network"], "min_severity": "critique"}, False),
])
def test_rule_matchers(match, expected):
    r = normalize_rule({"name": "x", "steps": [{"channels": ["m"]}], "match": match})
    assert rule_matches(r, ALERT) is expected


def test_a_teams_rule_sees_only_the_teams_scope():
    r = normalize_rule({"name": "x", "steps": [{"channels": ["m"]}]})
    assert rule_matches(r, ALERT, {"provider": ["Acme"]})
    assert not rule_matches(r, ALERT, {"provider": ["Globex"]})


def test_scope_checks():
    assert normalize_scope({"provider": "Acme", "environment": ["Prod", "prod"], "application": []}) == \
        {"provider": ["Acme"], "environment": ["prod"]}
    with pytest.raises(ScopeError) as caught:
        normalize_scope({"server": [""]})
    assert caught.value.field == "scope.server"
    with pytest.raises(ScopeError):
        normalize_scope(["Acme"])


def test_user_scopes():
    assert user_scopes("admin", [{"provider": ["A"]}]) is None
    assert user_scopes("viewer", []) is None
    assert user_scopes("viewer", [{"provider": ["A"]}, {}]) is None  # one unscoped team: everything
    assert user_scopes("viewer", [{"provider": ["A"]}]) == [{"provider": ["A"]}]


SCOPES = [
    [{"provider": ["Acme"]}],
    [{"server": ["edge-*"]}],
    [{"server": ["web-0?"], "environment": ["prod"]}, {"provider": ["Globex"]}],
    [{"application": ["network"], "provider": ["Acme", "Globex"]}],
    [],
]
ROWS = [("edge-rt-02", "Acme", "network", "prod"), ("web-01", "Globex", "shop", "dev"),
        ("web-01", "Acme", "shop", "prod"), ("web-10", "Acme", "shop", "prod"), ("db_1", "Initech", "", ""),
        ("edge%", "Globex", "network", "prod")]


@pytest.mark.parametrize("scopes", SCOPES)
def test_sql_condition_agrees_with_the_python_matcher(scopes):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE alerts (id INTEGER PRIMARY KEY, server, provider, application, environment)")
    conn.executemany("INSERT INTO alerts (server, provider, application, environment) VALUES (?, ?, ?, ?)", ROWS)
    where, params = sql_condition(scopes)
    got = {r[0] for r in conn.execute("SELECT id FROM alerts WHERE " + where, params)}
    expected = {i + 1 for i, (server, provider, application, environment) in enumerate(ROWS)
                if scope.in_any_scope(scopes, {"server": server, "provider": provider,
                                               "application": application, "environment": environment})}
    assert got == expected
    assert sql_condition(None) == ("", [])


def test_a_misspelt_rule_field_is_refused_with_the_nearest_known_one():
    with pytest.raises(RuleError) as caught:
        normalize_rule({"name": "x", "step": [{"channels": ["m"]}]})
    assert (caught.value.field, caught.value.message) == ("step", "unknown field 'step'; did you mean 'steps'?")
