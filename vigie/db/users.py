"""Users, their roles, bearer tokens and browser sessions (stored as hashes only)."""

from vigie.db.connection import transaction, utc_now
from vigie.roles import ROLES


def create_user(conn, username: str, role: str, password_hash: str) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    with transaction(conn):
        return conn.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                            (username, role, password_hash, utc_now())).lastrowid


def set_user(conn, username: str, role: str = None, password_hash: str = None) -> bool:
    """Change a user's role and/or password. A new password ends every token and session
    of the user: whoever held the old one keeps nothing it gave."""
    with transaction(conn):
        n = 0
        if role is not None:
            n = conn.execute("UPDATE users SET role = ? WHERE username = ?", (role, username)).rowcount
        if password_hash is not None:
            n = conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                             (password_hash, username)).rowcount
            for table in ("tokens", "sessions"):
                conn.execute(f"UPDATE {table} SET revoked_at = ? WHERE revoked_at IS NULL AND user_id ="
                             " (SELECT id FROM users WHERE username = ?)", (utc_now(), username))
        return n > 0


def get_user(conn, username: str):
    row = conn.execute("SELECT id, username, role, password_hash, created_at FROM users WHERE username = ?",
                       (username,)).fetchone()
    return dict(row) if row else None


def list_users(conn) -> list:
    return [dict(r) for r in conn.execute("SELECT username, role, created_at FROM users ORDER BY username")]


def delete_user(conn, username: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount > 0


def count_users(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def _credential_table(kind: str) -> str:
    if kind not in ("tokens", "sessions"):
        raise ValueError(kind)
    return kind


def add_credential(conn, kind: str, user_id: int, token_hash: str, expires_at: str, label: str = "") -> int:
    table = _credential_table(kind)
    with transaction(conn):
        if table == "tokens":
            return conn.execute("INSERT INTO tokens (user_id, token_hash, label, created_at, expires_at)"
                                " VALUES (?, ?, ?, ?, ?)", (user_id, token_hash, label, utc_now(), expires_at)).lastrowid
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (utc_now(),))
        return conn.execute("INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
                            (user_id, token_hash, utc_now(), expires_at)).lastrowid


def find_credential(conn, kind: str, token_hash: str):
    """The user ({username, role}) owning a live token or session, else None."""
    table = _credential_table(kind)
    row = conn.execute(f"SELECT u.username, u.role FROM {table} t JOIN users u ON u.id = t.user_id"
                       " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?",
                       (token_hash, utc_now())).fetchone()
    return dict(row) if row else None


def revoke_credential(conn, kind: str, token_hash: str) -> bool:
    table = _credential_table(kind)
    with transaction(conn):
        return conn.execute(f"UPDATE {table} SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                            (utc_now(), token_hash)).rowcount > 0


def revoke_user_credentials(conn, username: str) -> int:
    now = utc_now()
    n = 0
    with transaction(conn):
        for table in ("tokens", "sessions"):
            n += conn.execute(f"UPDATE {table} SET revoked_at = ? WHERE revoked_at IS NULL AND user_id ="
                              " (SELECT id FROM users WHERE username = ?)", (now, username)).rowcount
    return n


def count_live_credentials(conn, kind: str, username: str, keep: str = None) -> int:
    """How many live tokens or sessions a user has (the one whose hash is `keep` aside)."""
    table = _credential_table(kind)
    return conn.execute(f"SELECT COUNT(*) FROM {table} WHERE revoked_at IS NULL AND expires_at > ?"
                        " AND token_hash IS NOT ? AND user_id = (SELECT id FROM users WHERE username = ?)",
                        (utc_now(), keep, username)).fetchone()[0]


def revoke_user_sessions(conn, username: str, keep: str = None) -> int:
    """End a user's live browser sessions, except the one whose hash is `keep`; how many."""
    with transaction(conn):
        return conn.execute("UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND expires_at > ?"
                            " AND token_hash IS NOT ? AND user_id = (SELECT id FROM users WHERE username = ?)",
                            (utc_now(), utc_now(), keep, username)).rowcount


_TOKEN_SELECT = ("SELECT t.id, u.username, t.label, t.created_at, t.expires_at, t.revoked_at"
                 " FROM tokens t JOIN users u ON u.id = t.user_id")


def list_tokens(conn, username: str = None) -> list:
    """Bearer tokens (never their hashes), oldest first; one user's when `username` is given."""
    if username is None:
        rows = conn.execute(_TOKEN_SELECT + " ORDER BY t.id")
    else:
        rows = conn.execute(_TOKEN_SELECT + " WHERE u.username = ? ORDER BY t.id", (username,))
    return [dict(r) for r in rows]


def get_token(conn, token_id: int):
    row = conn.execute(_TOKEN_SELECT + " WHERE t.id = ?", (token_id,)).fetchone()
    return dict(row) if row else None


def find_token(conn, token_hash: str):
    row = conn.execute(_TOKEN_SELECT + " WHERE t.token_hash = ?", (token_hash,)).fetchone()
    return dict(row) if row else None


def revoke_token(conn, username: str, token_id: int) -> bool:
    """Revoke one live token of `username`; False when it has no such live token."""
    with transaction(conn):
        return conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND user_id ="
                            " (SELECT id FROM users WHERE username = ?)",
                            (utc_now(), token_id, username)).rowcount > 0
