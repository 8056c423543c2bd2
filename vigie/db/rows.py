"""Alert rows as the lifecycle rules see them, and the history they write.

`read_rows` gives plain dicts with every column (the flapping changes as a list);
`insert_rows` and `update_rows` write back what `vigie.lifecycle` returned, changing
only the columns whose value changed (an unchanged indexed column costs nothing);
`write_events` appends history entries. The `fingerprint_key` column (what lookups
by fingerprint use) is written here from the fingerprint, never read into a row.
Every change of an alert goes through these, inside the caller's transaction, so a
change and its history are written together or not at all.
"""

import json
from operator import itemgetter

from vigie import lifecycle
from vigie.alert import FIELDS
from vigie.db import notify

ROW_COLUMNS = ("id",) + FIELDS + (
    "acknowledged", "acknowledged_by", "acknowledged_at", "source_id", "created_at", "fingerprint",
    "first_seen", "last_seen", "duplicate_count", "reopen_count", "ack_until", "shelved_until", "shelved_by",
    "resolved_at", "resolved_by", "resolution", "timeout", "expires_at", "flap_changes", "flapping_until",
    "suppressed_by", "suppressed_by_alert")
MUTABLE = ROW_COLUMNS[1:]  # what an UPDATE may set (never the id)
SELECT_ROWS = "SELECT " + ", ".join(ROW_COLUMNS) + " FROM alerts"
_INSERT_COLUMNS = ROW_COLUMNS  # ids are chosen by the caller (see alerts.ingest)


def _insert_statement(columns) -> str:
    """An INSERT of these columns and the fingerprint key, the values bound in order."""
    return (f"INSERT INTO alerts ({', '.join(columns)}, fingerprint_key) "
            f"VALUES ({', '.join('?' * (len(columns) + 1))})")


INSERT_ROW = _insert_statement(_INSERT_COLUMNS)
INSERT_EVENT = ("INSERT INTO alert_events (alert_id, at, recorded_at, kind, actor, note, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)")


def from_db(row) -> dict:
    data = dict(zip(ROW_COLUMNS, row))
    data["flap_changes"] = json.loads(data["flap_changes"]) if data["flap_changes"] else []
    return data


def _to_db(column, value):
    if column == "flap_changes":
        return json.dumps(value) if value else None
    return value


def read_row(conn, alert_id: int):
    found = conn.execute(SELECT_ROWS + " WHERE id = ?", (alert_id,)).fetchone()
    return from_db(found) if found else None


_ROW_VALUES = itemgetter(*_INSERT_COLUMNS)
_MUTABLE_VALUES = itemgetter(*MUTABLE)
_FLAP = _INSERT_COLUMNS.index("flap_changes")


def _row_values(row: dict) -> tuple:
    values = _ROW_VALUES(row)
    key = (lifecycle.fingerprint_key(row["fingerprint"]),)
    if values[_FLAP]:
        return values[:_FLAP] + (_to_db("flap_changes", values[_FLAP]),) + values[_FLAP + 1:] + key
    return values[:_FLAP] + (None,) + values[_FLAP + 1:] + key


# What a new alert that is still open holds in none of these columns (nothing
# acknowledged, shelved, resolved, timed or flapping yet): the most common new row is
# written without them, left to their NULL default instead of bound one by one.
_UNSET_WHEN_FRESH = ("acknowledged_by", "acknowledged_at", "ack_until", "shelved_until", "shelved_by",
                     "resolved_at", "resolved_by", "resolution", "timeout", "expires_at", "flapping_until",
                     "suppressed_by", "suppressed_by_alert")
_UNSET_VALUES = itemgetter(*_UNSET_WHEN_FRESH)
_NOTHING_SET = (None,) * len(_UNSET_WHEN_FRESH)
_FRESH_COLUMNS = tuple(c for c in _INSERT_COLUMNS if c not in _UNSET_WHEN_FRESH + ("flap_changes",))
_FRESH_VALUES = itemgetter(*_FRESH_COLUMNS)
INSERT_FRESH_ROW = _insert_statement(_FRESH_COLUMNS)


def insert_rows(conn, rows) -> None:
    fresh, other = [], []
    for row in rows:
        if _UNSET_VALUES(row) == _NOTHING_SET and not row["flap_changes"]:
            fresh.append(_FRESH_VALUES(row) + (lifecycle.fingerprint_key(row["fingerprint"]),))
        else:
            other.append(_row_values(row))
    if fresh:
        conn.executemany(INSERT_FRESH_ROW, fresh)
    if other:
        conn.executemany(INSERT_ROW, other)


def update_rows(conn, pairs) -> None:
    """[(old, new)]: one UPDATE per set of changed columns, for the rows that changed."""
    groups = {}
    for old, new in pairs:
        before, after = _MUTABLE_VALUES(old), _MUTABLE_VALUES(new)
        changed = tuple(c for c, b, a in zip(MUTABLE, before, after) if b != a) if before != after else ()
        if changed:
            values = tuple(_to_db(c, new[c]) for c in changed)
            if "fingerprint" in changed:
                key = lifecycle.fingerprint_key(new["fingerprint"])
                changed, values = changed + ("fingerprint_key",), values + (key,)
            groups.setdefault(changed, []).append(values + (new["id"],))
    for columns, values in groups.items():
        conn.executemany("UPDATE alerts SET " + ", ".join(f"{c} = ?" for c in columns) + " WHERE id = ?", values)


def write_events(conn, pairs, recorded_at: str) -> None:
    """[(alert_id, event)] appended to the history, in this order, with the notifier's
    outbox entries for the changes it tells of."""
    pairs = list(pairs)
    notify.add_events_for_history(conn, pairs, recorded_at)
    conn.executemany(INSERT_EVENT, [
        (alert_id, e["at"], recorded_at, e["kind"], e["actor"], e["note"],
         json.dumps(e["detail"], ensure_ascii=False, sort_keys=True) if e["detail"] else None)
        for alert_id, e in pairs])
