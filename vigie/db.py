"""The alerts database: schema, migrations and every query Vigie runs on it.

SQLite in WAL mode so the site builder and scripts read while the API writes.
Only the API writes; other parts open it with `connect(path, readonly=True)`
and call `list_alerts` / `get_stats` / `get_alert`. Every statement is
parameterised; the few identifiers that vary (ordering columns, filter
columns) come from fixed tables below, never from the request.
"""

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from vigie.alert import FIELDS, SEVERITIES

ALERT_COLUMNS = ("id",) + FIELDS + ("acknowledged", "acknowledged_by", "acknowledged_at", "source_id")
ROLES = ("viewer", "operator", "admin")

MIGRATIONS = [
    # 1: alerts, users, tokens, sessions
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        timestamp TEXT NOT NULL,
        server TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('CRITICAL','ERROR','WARNING','INFO')),
        message TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT '',
        application TEXT NOT NULL DEFAULT '',
        environment TEXT NOT NULL DEFAULT '',
        acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
        acknowledged_by TEXT NULL,
        acknowledged_at TEXT NULL,
        source_id TEXT UNIQUE NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX alerts_timestamp ON alerts (timestamp);
    CREATE INDEX alerts_severity ON alerts (severity, timestamp);
    CREATE INDEX alerts_server ON alerts (server, timestamp);
    CREATE INDEX alerts_environment ON alerts (environment, severity, timestamp);
    CREATE INDEX alerts_application ON alerts (application, timestamp);
    CREATE INDEX alerts_provider ON alerts (provider, timestamp);
    CREATE INDEX alerts_acknowledged ON alerts (acknowledged, timestamp);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT NULL
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT NULL
    );
    """,
    # 2: indexes shaped for counting and paging filtered lists over millions of alerts.
    # Each filter column leads one index that also holds the other filter columns, so a
    # COUNT(*) with any two filters reads one index only (no table lookups); the
    # timestamp index holds them too, so scanning newest-first for a page, or counting
    # a since/until range, never touches the table for rows that do not match.
    """
    DROP INDEX alerts_timestamp;
    DROP INDEX alerts_severity;
    DROP INDEX alerts_server;
    DROP INDEX alerts_environment;
    DROP INDEX alerts_application;
    DROP INDEX alerts_provider;
    DROP INDEX alerts_acknowledged;
    CREATE INDEX alerts_timestamp ON alerts (timestamp, severity, acknowledged, environment, application, provider, server);
    CREATE INDEX alerts_server ON alerts (server, severity, acknowledged, timestamp);
    CREATE INDEX alerts_severity ON alerts (severity, environment, acknowledged, application, provider, timestamp);
    CREATE INDEX alerts_environment ON alerts (environment, application, provider, acknowledged, severity, timestamp);
    CREATE INDEX alerts_application ON alerts (application, provider, environment, acknowledged, severity, timestamp);
    CREATE INDEX alerts_provider ON alerts (provider, environment, application, acknowledged, severity, timestamp);
    """,
    # 3: narrower indexes (inserts into six wide ones cost about twice as much) that still
    # hold every pair of the few-valued columns (severity, environment, application,
    # provider, acknowledged) under one leading column; server is selective on its own.
    # list_alerts picks, for each filter set, an index holding every filtered column.
    """
    DROP INDEX alerts_server;
    DROP INDEX alerts_severity;
    DROP INDEX alerts_environment;
    DROP INDEX alerts_application;
    DROP INDEX alerts_provider;
    CREATE INDEX alerts_server ON alerts (server, severity, acknowledged, timestamp);
    CREATE INDEX alerts_severity ON alerts (severity, environment, application, acknowledged, timestamp);
    CREATE INDEX alerts_environment ON alerts (environment, application, provider, acknowledged, timestamp);
    CREATE INDEX alerts_application ON alerts (application, provider, acknowledged, timestamp);
    CREATE INDEX alerts_provider ON alerts (provider, severity, acknowledged, timestamp);
    """,
]

# Index name -> the filter columns it holds, in order (each also ends with timestamp,
# and alerts_timestamp holds them all). Must match the last migration above.
INDEX_COLUMNS = {
    "alerts_server": ("server", "severity", "acknowledged"),
    "alerts_severity": ("severity", "environment", "application", "acknowledged"),
    "alerts_environment": ("environment", "application", "provider", "acknowledged"),
    "alerts_application": ("application", "provider", "acknowledged"),
    "alerts_provider": ("provider", "severity", "acknowledged"),
}
TIME_INDEX = "alerts_timestamp"  # (timestamp, severity, acknowledged, environment, application, provider, server)

# Columns a client may filter on by exact value, and sort on.
EXACT_FILTERS = ("server", "environment", "application", "provider")
ORDERING_COLUMNS = {
    "id": "id", "timestamp": "timestamp", "server": "server", "environment": "environment",
    "application": "application", "provider": "provider", "acknowledged": "acknowledged",
    "acknowledged_at": "acknowledged_at",
    # by gravity: ordering=-severity puts CRITICAL first
    "severity": "CASE severity WHEN 'INFO' THEN 0 WHEN 'WARNING' THEN 1 WHEN 'ERROR' THEN 2 ELSE 3 END",
}
DEFAULT_ORDERING = "-timestamp"


class DatabaseError(RuntimeError):
    pass


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path, readonly: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection in WAL mode; readonly ones cannot write, writable ones get the schema."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise DatabaseError(f"database {path} does not exist")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout,
                               check_same_thread=False, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    conn.execute("PRAGMA cache_size=-8192")  # 8 MiB of pages per connection (default 2 MiB)
    return conn


def migrate(conn) -> int:
    """Apply the missing migrations in one transaction each; return the schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current < number:  # another process may have migrated meanwhile
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


class transaction:
    """`with transaction(conn):` BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind, value, tb):
        self.conn.execute("ROLLBACK" if kind else "COMMIT")
        return False


# ---------------------------------------------------------------- alerts

def row_to_alert(row) -> dict:
    alert = {name: row[name] for name in ALERT_COLUMNS}
    alert["acknowledged"] = bool(alert["acknowledged"])
    return alert


_SELECT = "SELECT " + ", ".join(ALERT_COLUMNS) + " FROM alerts"
_INSERT = ("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
           " source_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
MAX_ROWID = 2 ** 63 - 1


def fits_rowid(value: int) -> bool:
    """Whether an id from a URL fits SQLite's 64-bit rowid (a larger one matches no row)."""
    return -MAX_ROWID - 1 <= value <= MAX_ROWID


def insert_alerts(conn, records) -> list:
    """Insert normalised records (dicts with the seven fields, optional source_id) in one
    transaction. Return [(id, created)] in order; a known source_id gives the existing id,
    and so does a source_id seen earlier in the same batch.

    Known source_ids are read first and the new rows go in with one executemany. SQLite
    gives a row inserted without an id the largest id so far plus one (no AUTOINCREMENT),
    and BEGIN IMMEDIATE keeps every other writer out, so the new rows take the ids that
    follow the largest one read here; last_insert_rowid() checks it."""
    records = list(records)
    now = utc_now()
    with transaction(conn):
        known = _ids_of_source_ids(conn, {r.get("source_id") for r in records} - {None})
        top = conn.execute("SELECT max(id) FROM alerts").fetchone()[0] or 0
        if top > MAX_ROWID - len(records):  # ids past the largest: SQLite picks them at random
            return [_insert_one(conn, record, now) for record in records]
        results, rows = [], []
        for record in records:
            source_id = record.get("source_id")
            if source_id in known:
                results.append((known[source_id], False))
                continue
            top += 1
            if source_id is not None:
                known[source_id] = top
            rows.append(tuple(record[f] for f in FIELDS) + (source_id, now))
            results.append((top, True))
        if rows:
            conn.executemany(_INSERT, rows)
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            if last != top:
                raise DatabaseError(f"new alerts got ids up to {last}, expected {top}: batch rolled back")
    return results


def _rows_where_in(conn, select: str, column: str, values):
    """Rows of `select WHERE column IN (values)`, in chunks under SQLite's variable limit."""
    values = list(values)
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        yield from conn.execute(f"{select} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk)


def _ids_of_source_ids(conn, source_ids) -> dict:
    return dict(_rows_where_in(conn, "SELECT source_id, id FROM alerts", "source_id", source_ids))


def _insert_one(conn, record, now) -> tuple:
    """One row at a time, for a table whose ids reach the top of their range."""
    source_id = record.get("source_id")
    if source_id is not None:
        row = conn.execute("SELECT id FROM alerts WHERE source_id = ?", (source_id,)).fetchone()
        if row:
            return row[0], False
    cursor = conn.execute(_INSERT, tuple(record[f] for f in FIELDS) + (source_id, now))
    return cursor.lastrowid, True


def get_alert(conn, alert_id: int):
    row = conn.execute(_SELECT + " WHERE id = ?", (alert_id,)).fetchone()
    return row_to_alert(row) if row else None


def get_alerts(conn, ids) -> list:
    """Alerts by id, in the order given (missing ones skipped)."""
    ids = list(ids)
    found = {row["id"]: row_to_alert(row) for row in _rows_where_in(conn, _SELECT, "id", ids)}
    return [found[i] for i in ids if i in found]


def update_alert(conn, alert_id: int, changes: dict, user: str = None):
    """Apply changes (some of the seven fields, maybe `acknowledged`); return the alert or None."""
    sets, values = [], []
    for field in FIELDS:
        if field in changes:
            sets.append(f"{field} = ?")
            values.append(changes[field])
    if "acknowledged" in changes:
        if changes["acknowledged"]:
            sets.append("acknowledged_by = CASE acknowledged WHEN 1 THEN acknowledged_by ELSE ? END")
            sets.append("acknowledged_at = CASE acknowledged WHEN 1 THEN acknowledged_at ELSE ? END")
            sets.append("acknowledged = 1")
            values += [user, utc_now()]
        else:
            sets.append("acknowledged = 0, acknowledged_by = NULL, acknowledged_at = NULL")
    with transaction(conn):
        if sets:
            conn.execute("UPDATE alerts SET " + ", ".join(sets) + " WHERE id = ?", values + [alert_id])
        return get_alert(conn, alert_id)


def delete_alert(conn, alert_id: int) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,)).rowcount > 0


def set_acknowledged(conn, alert_id: int, acknowledged: bool, user: str = None):
    return update_alert(conn, alert_id, {"acknowledged": acknowledged}, user)


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def build_where(filters: dict):
    """(sql, params) for the filters: severity/server/... lists of values, acknowledged bool,
    q text, since/until ISO UTC strings. Values are already checked by the caller."""
    clauses, params = [], []
    for column in ("severity",) + EXACT_FILTERS:
        values = filters.get(column)
        if values:
            if isinstance(values, str):
                values = [values]
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params += list(values)
    if filters.get("acknowledged") is not None:
        clauses.append("acknowledged = ?")
        params.append(1 if filters["acknowledged"] else 0)
    if filters.get("q"):
        clauses.append("message LIKE ? ESCAPE '\\'")
        params.append(_like_pattern(filters["q"]))
    if filters.get("since"):
        clauses.append("timestamp >= ?")
        params.append(filters["since"])
    if filters.get("until"):
        clauses.append("timestamp <= ?")
        params.append(filters["until"])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order_by(ordering: str) -> str:
    """ORDER BY clause from 'field,-field'; raise ValueError naming an unknown field."""
    terms = []
    for name in (ordering or DEFAULT_ORDERING).split(","):
        descending = name.startswith("-")
        key = name.lstrip("-")
        if key not in ORDERING_COLUMNS:
            raise ValueError(f"cannot order by {key!r}: expected one of {', '.join(sorted(ORDERING_COLUMNS))}")
        terms.append(ORDERING_COLUMNS[key] + (" DESC" if descending else " ASC"))
    last = " DESC" if terms[-1].endswith("DESC") else " ASC"
    return " ORDER BY " + ", ".join(terms) + ", id" + last


def covering_index(filters: dict):
    """The index that can answer these filters alone (every filtered column in it), led by
    the most specific equality filter; the timestamp index for time ranges or when no
    other fits; None for text search (the message is in no index)."""
    if filters.get("q"):
        return None
    columns = {c for c in ("severity",) + EXACT_FILTERS if filters.get(c)}
    if filters.get("acknowledged") is not None:
        columns.add("acknowledged")
    if "server" in columns:
        return "alerts_server"  # a few thousand rows at most per server, even if some need the table
    if filters.get("since") or filters.get("until"):
        return TIME_INDEX
    best, best_prefix = TIME_INDEX, 0
    for name, held in INDEX_COLUMNS.items():
        if held[0] in columns and columns <= set(held):
            prefix = next((i for i, c in enumerate(held) if c not in columns), len(held))
            if prefix > best_prefix:
                best, best_prefix = name, prefix
    return best


def list_alerts(conn, filters: dict = None, ordering: str = DEFAULT_ORDERING, limit: int = 100, offset: int = 0):
    """(count of matching alerts, [alert dicts] of the page)."""
    filters = filters or {}
    where, params = build_where(filters)
    index = covering_index(filters) if where else None
    count_from = f" INDEXED BY {index}" if index else ""
    count = conn.execute("SELECT COUNT(*) FROM alerts" + count_from + where, params).fetchone()[0]
    page_from = ""
    if (ordering or DEFAULT_ORDERING).lstrip("-").startswith("timestamp") and index:
        # Many matches: walking the timestamp index newest-first finds a page long before
        # sorting every match would; few: the covering index gives them all, to sort.
        total = conn.execute("SELECT MAX(id) FROM alerts").fetchone()[0] or 0
        dense = count * count > (int(offset) + int(limit)) * total
        page_from = f" INDEXED BY {TIME_INDEX if dense else index}"
    # ids first: the indexes hold every filter column and the timestamp, so the page's ids
    # come from an index alone; only the page's own rows are then read from the table.
    ids = [row[0] for row in conn.execute("SELECT id FROM alerts" + page_from + where + order_by(ordering)
                                          + " LIMIT ? OFFSET ?", params + [int(limit), int(offset)])]
    return count, get_alerts(conn, ids)


def acknowledge_matching(conn, filters: dict, user: str) -> int:
    """Acknowledge every unacknowledged alert matching the filters; return how many."""
    where, params = build_where(dict(filters or {}, acknowledged=False))
    with transaction(conn):
        cursor = conn.execute("UPDATE alerts SET acknowledged = 1, acknowledged_by = ?, acknowledged_at = ?"
                              + where, [user, utc_now()] + params)
        return cursor.rowcount


def get_stats(conn) -> dict:
    """Counts for the dashboard: total, unacknowledged, and by each grouping column."""
    stats = {"total": conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]}
    stats["unacknowledged"] = conn.execute("SELECT COUNT(*) FROM alerts WHERE acknowledged = 0").fetchone()[0]
    stats["by_severity"] = {s: 0 for s in SEVERITIES}
    for column in ("severity",) + EXACT_FILTERS:
        key = f"by_{column}"
        stats.setdefault(key, {})
        for value, n in conn.execute(f"SELECT {column}, COUNT(*) FROM alerts GROUP BY {column}"):
            stats[key][value] = n
    stats["by_acknowledged"] = {"true": 0, "false": 0}
    for value, n in conn.execute("SELECT acknowledged, COUNT(*) FROM alerts GROUP BY acknowledged"):
        stats["by_acknowledged"]["true" if value else "false"] = n
    stats["unacknowledged_by_severity"] = {s: 0 for s in SEVERITIES}
    for value, n in conn.execute("SELECT severity, COUNT(*) FROM alerts WHERE acknowledged = 0 GROUP BY severity"):
        stats["unacknowledged_by_severity"][value] = n
    row = conn.execute("SELECT MIN(timestamp), MAX(timestamp) FROM alerts").fetchone()
    stats["oldest"], stats["newest"] = row[0], row[1]
    return stats


# ---------------------------------------------------------------- users and tokens

def create_user(conn, username: str, role: str, password_hash: str) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    with transaction(conn):
        return conn.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                            (username, role, password_hash, utc_now())).lastrowid


def set_user(conn, username: str, role: str = None, password_hash: str = None) -> bool:
    with transaction(conn):
        n = 0
        if role is not None:
            n = conn.execute("UPDATE users SET role = ? WHERE username = ?", (role, username)).rowcount
        if password_hash is not None:
            n = conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                             (password_hash, username)).rowcount
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
