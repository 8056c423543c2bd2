"""Notification rules: who is told of what.

A rule has matchers (the alert's severity at least X, and a scope: provider,
application, environment, server globs), the events it tells (opened, reopened,
escalated, resolved, flapping), steps (channels told at once, then further channels
when the alert is still open and unacknowledged after N minutes), a group wait and a
repeat interval. A rule may belong to a team: it then only ever sees the alerts in
the team's scope, so no notification tells a team what its pages would hide.

Pure functions: `normalize_rule` checks a rule as sent to the API (raising RuleError
naming the field), `rule_matches` says whether an alert is the rule's business.
"""

from vigie import severity
from vigie.alert import AlertError, normalize_severity
from vigie.scope import ScopeError, in_scope, normalize_scope
from vigie.errors import InputError, refuse_unknown_fields

EVENTS = ("opened", "reopened", "escalated", "resolved", "flapping")
RULE_FIELDS = ("name", "team", "enabled", "match", "events", "steps", "group_wait_seconds", "repeat_minutes")
DEFAULT_GROUP_WAIT_SECONDS = 30
DEFAULT_REPEAT_MINUTES = 240
MAX_GROUP_WAIT_SECONDS = 3600
MAX_REPEAT_MINUTES = 7 * 24 * 60
MAX_STEPS = 10
MAX_STEP_MINUTES = 7 * 24 * 60
NAME_MAX = 100


class RuleError(InputError):
    """A bad rule; `field` names the field (e.g. "steps[1].after_minutes")."""


def check_name(value, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > NAME_MAX:
        raise RuleError(field, f"{field} must be a non-empty string of at most {NAME_MAX} characters")
    return value.strip()


def _whole_number(body: dict, key: str, default: int, largest: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 0 <= value <= largest:
        raise RuleError(key, f"{key} must be a whole number from 0 to {largest}")
    return int(value)


def normalize_match(raw) -> dict:
    """The matchers: min_severity plus a scope (provider, application, environment, server)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleError("match", 'match must be an object such as {"min_severity": "ERROR", "server": ["web-*"]}')
    raw = dict(raw)
    match = {}
    if "min_severity" in raw:
        try:
            match["min_severity"] = normalize_severity(raw.pop("min_severity"))
        except AlertError as exc:
            raise RuleError("match.min_severity", exc.message) from None
    try:
        match.update(normalize_scope(raw, "match"))
    except ScopeError as exc:
        raise RuleError(exc.field, exc.message) from None
    return match


def normalize_steps(raw) -> list:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STEPS:
        raise RuleError("steps", f"steps must be a list of 1 to {MAX_STEPS} steps such as "
                                 '[{"channels": ["ops-mail"]}, {"after_minutes": 15, "channels": ["on-call"]}]')
    steps, previous = [], None
    for index, step in enumerate(raw):
        where = f"steps[{index}]"
        if not isinstance(step, dict) or set(step) - {"channels", "after_minutes"}:
            raise RuleError(where, f"{where} must be an object with channels and after_minutes")
        after = step.get("after_minutes", 0)
        if isinstance(after, bool) or not isinstance(after, (int, float)) or after != int(after) \
                or not 0 <= after <= MAX_STEP_MINUTES:
            raise RuleError(f"{where}.after_minutes", f"after_minutes must be a whole number from 0 to {MAX_STEP_MINUTES}")
        after = int(after)
        if previous is None and after != 0:
            raise RuleError(f"{where}.after_minutes", "the first step is told at once: its after_minutes is 0")
        if previous is not None and after <= previous:
            raise RuleError(f"{where}.after_minutes", "each step comes later than the one before it")
        channels = step.get("channels")
        if not isinstance(channels, list) or not channels:
            raise RuleError(f"{where}.channels", "channels must be a non-empty list of channel names")
        names = []
        for channel in channels:
            name = check_name(channel, f"{where}.channels")
            if name not in names:
                names.append(name)
        steps.append({"after_minutes": after, "channels": names})
        previous = after
    return steps


def normalize_events(raw) -> list:
    if raw is None:
        return list(EVENTS)
    if not isinstance(raw, list) or not raw or any(e not in EVENTS for e in raw):
        raise RuleError("events", f"events must be a non-empty list of: {', '.join(EVENTS)}")
    return [e for e in EVENTS if e in raw]


def normalize_rule(body) -> dict:
    """A rule as the API receives it, checked; defaults filled in."""
    if not isinstance(body, dict):
        raise RuleError(None, "a rule is a JSON object with at least name and steps")
    refuse_unknown_fields(body, RULE_FIELDS, RuleError)
    if "steps" not in body:
        raise RuleError("steps", "missing field 'steps'")
    team = body.get("team")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError("enabled", "enabled must be true or false")
    return {
        "name": check_name(body.get("name")),
        "team": None if team is None else check_name(team, "team"),
        "enabled": enabled,
        "match": normalize_match(body.get("match")),
        "events": normalize_events(body.get("events")),
        "steps": normalize_steps(body["steps"]),
        "group_wait_seconds": _whole_number(body, "group_wait_seconds", DEFAULT_GROUP_WAIT_SECONDS,
                                            MAX_GROUP_WAIT_SECONDS),
        "repeat_minutes": _whole_number(body, "repeat_minutes", DEFAULT_REPEAT_MINUTES, MAX_REPEAT_MINUTES),
    }


def rule_matches(rule: dict, alert: dict, team_scope: dict = None) -> bool:
    """Whether the alert is this rule's business: its matchers, and its team's scope."""
    match = rule["match"]
    least = match.get("min_severity")
    if least is not None and severity.RANK[alert["severity"]] < severity.RANK[least]:
        return False
    scope = {k: v for k, v in match.items() if k != "min_severity"}
    if not in_scope(scope, alert):
        return False
    return team_scope is None or in_scope(team_scope, alert)
