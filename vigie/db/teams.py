"""Teams: a name, a scope (JSON matchers, see vigie/scope.py) and members."""

import json

from vigie.db.connection import rows_where_in, transaction, utc_now


def _team(row, members) -> dict:
    return {"id": row["id"], "name": row["name"], "scope": json.loads(row["scope"]),
            "members": members, "created_at": row["created_at"]}


def _members(conn, team_ids) -> dict:
    found = {i: [] for i in team_ids}
    rows = rows_where_in(conn, "SELECT m.team_id, u.username FROM team_members m JOIN users u ON u.id = m.user_id",
                         "m.team_id", team_ids)
    for team_id, username in rows:
        found[team_id].append(username)
    return {i: sorted(names) for i, names in found.items()}


def list_teams(conn) -> list:
    rows = conn.execute("SELECT id, name, scope, created_at FROM teams ORDER BY name").fetchall()
    members = _members(conn, [r["id"] for r in rows])
    return [_team(r, members[r["id"]]) for r in rows]


def get_team(conn, name: str):
    row = conn.execute("SELECT id, name, scope, created_at FROM teams WHERE name = ?", (name,)).fetchone()
    return _team(row, _members(conn, [row["id"]])[row["id"]]) if row else None


def unknown_users(conn, usernames) -> list:
    known = {r[0] for r in rows_where_in(conn, "SELECT username FROM users", "username", usernames)}
    return [u for u in usernames if u not in known]


def put_team(conn, name: str, scope: dict, members) -> dict:
    """Create the team or replace its scope and members (usernames that exist)."""
    with transaction(conn):
        row = conn.execute("SELECT id FROM teams WHERE name = ?", (name,)).fetchone()
        if row:
            team_id = row[0]
            conn.execute("UPDATE teams SET scope = ? WHERE id = ?", (json.dumps(scope, sort_keys=True), team_id))
            conn.execute("DELETE FROM team_members WHERE team_id = ?", (team_id,))
        else:
            team_id = conn.execute("INSERT INTO teams (name, scope, created_at) VALUES (?, ?, ?)",
                                   (name, json.dumps(scope, sort_keys=True), utc_now())).lastrowid
        conn.executemany("INSERT INTO team_members (team_id, user_id) SELECT ?, id FROM users WHERE username = ?",
                         [(team_id, u) for u in members])
    return get_team(conn, name)


def delete_team(conn, name: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM teams WHERE name = ?", (name,)).rowcount > 0


def scopes_of_user(conn, username: str) -> list:
    """The scopes of the teams the user is in (an empty list: in no team)."""
    rows = conn.execute("SELECT t.scope FROM teams t JOIN team_members m ON m.team_id = t.id"
                        " JOIN users u ON u.id = m.user_id WHERE u.username = ? ORDER BY t.id", (username,))
    return [json.loads(r[0]) for r in rows]


def team_scopes(conn) -> dict:
    """Team id -> scope, for the notifier's rules."""
    return {r[0]: json.loads(r[1]) for r in conn.execute("SELECT id, scope FROM teams")}


def scope_sets(conn) -> list:
    """The distinct sets of scopes that restrict some user (admins and users in no
    scoped team are restricted by none), each as a list of scopes."""
    from vigie.scope import scopes_key, user_scopes

    found = {}
    for user in conn.execute("SELECT username, role FROM users"):
        scopes = user_scopes(user[1], scopes_of_user(conn, user[0]))
        if scopes is not None:
            found.setdefault(scopes_key(scopes), scopes)
    return [found[k] for k in sorted(found)]
