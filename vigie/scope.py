"""Scopes: which alerts a team sees, and which alerts a notification rule is about.

A scope is a set of matchers on an alert's fields: `provider`, `application`,
`environment` (lists of exact values) and `server` (a list of names or globs with
`*` and `?`). An alert is in a scope when, for every key the scope names, its value
is one of those listed; a scope naming no key holds every alert. A user's scope is
the union of the scopes of their teams (a user in no team, or in a team whose
scope is empty, sees everything); admins see everything.

Pure functions: the matcher used in Python (notification rules, the notifier) and
the SQL condition the database module builds from the same definition agree,
because server globs are limited to what both `fnmatch.fnmatchcase` and SQLite's
GLOB read the same way (`*` and `?`; no `[...]`).
"""

import fnmatch
import hashlib
import json

from vigie.alert import AlertError, clean_text
from vigie.errors import InputError
from vigie.roles import role_allows

SCOPE_KEYS = ("provider", "application", "environment", "server")
# The site's pages that mix every team's alerts and machines: the builder writes a copy
# of each for every set of scopes a team member sees, in SCOPED_DIR/<scopes_key>/.
SCOPED_DIR = ".scoped"
SCOPED_PAGES = ("index.html", "alerts.html", "silences.html", "devices.html", "search.json", "map.json")
MAX_VALUES = 100  # values per key


class ScopeError(InputError):
    """A bad scope or matcher; `field` names it (e.g. "scope.server")."""


def normalize_scope(raw, field: str = "scope") -> dict:
    """{"provider": ["Acme"], "server": ["web-*"]} checked and normalised (a single
    string is taken as a list of one; empty lists are dropped)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScopeError(field, f"{field} must be an object such as {{\"provider\": [\"Acme\"]}}")
    scope = {}
    for key, value in raw.items():
        where = f"{field}.{key}"
        if key not in SCOPE_KEYS:
            raise ScopeError(where, f"unknown key {key!r} in {field}: expected one of {', '.join(SCOPE_KEYS)}")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or len(values) > MAX_VALUES:
            raise ScopeError(where, f"{where} must be a list of at most {MAX_VALUES} strings")
        cleaned = []
        for item in values:
            try:
                text = clean_text(where, item, required=(key == "server"))
            except AlertError as exc:
                raise ScopeError(where, exc.message) from None
            if key == "environment":
                text = text.lower()
            if key == "server" and "[" in text:
                raise ScopeError(where, f"server pattern {text!r}: use * and ? only (no [...])")
            if text not in cleaned:
                cleaned.append(text)
        if cleaned:
            scope[key] = cleaned
    return scope


def is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def in_scope(scope: dict, alert: dict) -> bool:
    """Whether the alert (a dict with provider, application, environment, server) is in
    the scope."""
    for key, values in scope.items():
        if key == "server":
            if not any(fnmatch.fnmatchcase(alert["server"], pattern) for pattern in values):
                return False
        elif alert[key] not in values:
            return False
    return True


def in_any_scope(scopes, alert: dict) -> bool:
    """Whether the alert is in one of the scopes; `scopes` None means no restriction."""
    return scopes is None or any(in_scope(scope, alert) for scope in scopes)


def user_scopes(role: str, team_scopes) -> list:
    """The scopes restricting a user, or None when the user sees everything: an admin,
    a user in no team, or in a team with an empty scope."""
    team_scopes = list(team_scopes)
    if role_allows(role, "admin") or not team_scopes or any(not scope for scope in team_scopes):
        return None
    return team_scopes


def scopes_key(scopes) -> str:
    """A short name for a set of scopes, the same for the same set in any order: the
    site builder names its per-scope pages with it and the API finds them by it."""
    canonical = sorted(json.dumps(s, sort_keys=True, ensure_ascii=False) for s in scopes)
    return hashlib.sha256(json.dumps(canonical).encode("utf-8")).hexdigest()[:16]


def machine_fields(name: str, config: dict) -> dict:
    """What a scope looks at, for a machine: its name as the server, and its tags."""
    tags = (config or {}).get("tags") or {}
    return {"server": name, "provider": tags.get("provider", ""), "application": tags.get("application", ""),
            "environment": str(tags.get("environment", "")).lower()}


def _equal_values(matcher) -> list:
    """The values a silence's matcher on one field requires it to equal: the string, or
    those of its "=" conditions (a regular or negative condition pins nothing: it only
    narrows what the others hold, or reaches outside)."""
    if isinstance(matcher, str):
        return [matcher]
    if isinstance(matcher, list):
        return [c["value"] for c in matcher if isinstance(c, dict) and c.get("op") == "="]
    return []


def _pins(key: str, value: str, allowed) -> bool:
    if key == "server":
        return value in allowed or (not is_glob(value) and any(fnmatch.fnmatchcase(value, p) for p in allowed))
    return value in allowed


def silence_inside(matchers: dict, scopes) -> bool:
    """Whether a silence's matchers hold it inside one of the scopes: every key of that
    scope matched exactly (for servers: by a name the scope's patterns cover, or by the
    very pattern the scope allows), so it can silence nothing outside. Every condition
    of a silence must hold, so its other conditions (regular, negative) only narrow it."""
    for one in scopes or ():
        if all(any(_pins(key, value, allowed) for value in _equal_values(matchers.get(key)))
               for key, allowed in one.items()):
            return True
    return False


def sql_condition(scopes):
    """(sql, params) of a WHERE condition holding the alerts in one of the scopes (on the
    columns provider, application, environment, server); ("", []) when unrestricted."""
    if scopes is None:
        return "", []
    if not scopes:
        return "0", []
    alternatives, params = [], []
    for scope in scopes:
        terms = []
        for key in SCOPE_KEYS:
            values = scope.get(key)
            if not values:
                continue
            if key == "server":
                terms.append("(" + " OR ".join("server GLOB ?" for _ in values) + ")")
            else:
                terms.append(f"{key} IN ({','.join('?' * len(values))})")
            params += values
        alternatives.append("(" + (" AND ".join(terms) or "1") + ")")
    return "(" + " OR ".join(alternatives) + ")", params
