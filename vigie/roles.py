"""The roles a user may have, lowest first: each may do what the ones before it may.

Every use derives from ROLES: the users table's CHECK (a change of roles needs a
new migration: tests/test_api_structure.py checks the text released),
`api.py adduser --role`, the API's permission check and the pages' (which get
ROLE_RANK from the site builder as JSON).
"""

ROLES = ("viewer", "operator", "admin")

# Accounts the parts of Vigie use to reach the API (`make run` and systemd/install.sh make
# them), with what each does: an admin cannot remove one from the Users page or the API.
WATCHER_USER = "watcher"
SERVICE_ACCOUNTS = {WATCHER_USER: "the watcher's account: it sends the alert files to the API"}
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


def sql_check(column: str = "role") -> str:
    """The CHECK constraint body: role IN ('viewer',...)."""
    quoted = ",".join(f"'{role}'" for role in ROLES)
    return f"{column} IN ({quoted})"


def role_allows(role, needed: str) -> bool:
    """Whether a user with `role` may do what `needed` may (an unknown role: nothing)."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]
