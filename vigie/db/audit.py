"""Who changed what outside the alerts: silences, machines, users (GET /api/audit)."""

import json

from vigie.db.connection import utc_now

AUDIT_COLUMNS = ("id", "at", "actor", "action", "target_kind", "target", "detail")


def record(conn, actor: str, action: str, target_kind: str, target: str, detail=None, at: str = None) -> None:
    """One audit entry, inside the caller's transaction (or on its own)."""
    conn.execute("INSERT INTO audit (at, actor, action, target_kind, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
                 (at or utc_now(), actor, action, target_kind, target,
                  json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail is not None else None))


def list_audit(conn, target_kind: str = None, limit: int = 100, offset: int = 0) -> tuple:
    """(count, entries newest first), of one kind of target or all."""
    where, params = (" WHERE target_kind = ?", [target_kind]) if target_kind else ("", [])
    count = conn.execute("SELECT COUNT(*) FROM audit" + where, params).fetchone()[0]
    found = conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                         params + [int(limit), int(offset)])
    entries = []
    for row in found:
        entry = dict(zip(AUDIT_COLUMNS, row))
        entry["detail"] = json.loads(entry["detail"]) if entry["detail"] else None
        entries.append(entry)
    return count, entries
