"""Alert queries: insert (idempotent on source_id), read, filter and page, change, count.

The few identifiers that vary in these statements (ordering columns, filter
columns, index names) come from the fixed tables below, never from a request.
"""

from vigie import severity
from vigie.alert import FIELDS, SEVERITIES
from vigie.db.connection import MAX_ROWID, DatabaseError, rows_where_in, transaction, utc_now
from vigie.db.schema import INDEX_COLUMNS, TIME_INDEX

ALERT_COLUMNS = ("id",) + FIELDS + ("acknowledged", "acknowledged_by", "acknowledged_at", "source_id")

# Columns a client may filter on by exact value, and sort on.
EXACT_FILTERS = ("server", "environment", "application", "provider")
ORDERING_COLUMNS = {
    "id": "id", "timestamp": "timestamp", "server": "server", "environment": "environment",
    "application": "application", "provider": "provider", "acknowledged": "acknowledged",
    "acknowledged_at": "acknowledged_at",
    # by gravity: ordering=-severity puts CRITICAL first
    "severity": severity.sql_rank("severity"),
}
DEFAULT_ORDERING = "-timestamp"


def row_to_alert(row) -> dict:
    alert = {name: row[name] for name in ALERT_COLUMNS}
    alert["acknowledged"] = bool(alert["acknowledged"])
    return alert


_SELECT = "SELECT " + ", ".join(ALERT_COLUMNS) + " FROM alerts"
_INSERT = ("INSERT INTO alerts (timestamp, server, severity, message, provider, application, environment,"
           " source_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


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


def _ids_of_source_ids(conn, source_ids) -> dict:
    return dict(rows_where_in(conn, "SELECT source_id, id FROM alerts", "source_id", source_ids))


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
    found = {row["id"]: row_to_alert(row) for row in rows_where_in(conn, _SELECT, "id", ids)}
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
