"""An alert's history, the time-based changes, and what changed since a point.

Every change of an alert is an `alert_events` row written in the same transaction as
the change (vigie.db.rows.write_events). Changes that only time makes (an
acknowledgement or a shelving that ends, a timeout, the end of flapping, a silence
window that starts or ends) need no write to be true: reads compute them. They are
written down when the alert next changes, or by `settle_due`, dated when they
happened.

For a process that acts on changes (the notifier): call `changes_since(conn,
after_id)` in a loop. It writes down every time-based change due by now
(`settle_due`), then returns the history entries after `after_id` in the order they
were written, each once: keep the last id returned and pass it next time. Nothing is
missed when the process was stopped: the time-based changes are written with the
time they happened, when it next asks.
"""

import json
from datetime import timedelta

from vigie import lifecycle as lc
from vigie import silences as rules
from vigie.db import rows
from vigie.db import silences as silence_db
from vigie.db.connection import rows_where_in, transaction, utc_now
from vigie.utc import iso_exact

EVENT_COLUMNS = ("id", "alert_id", "at", "recorded_at", "kind", "actor", "note", "detail")
SELECT_EVENTS = "SELECT " + ", ".join(EVENT_COLUMNS) + " FROM alert_events"
LEGACY_NOTE = "recorded before alerts had a history"
_INSTANT = timedelta(microseconds=1)


def _event(row) -> dict:
    entry = dict(zip(EVENT_COLUMNS, row))
    entry["detail"] = json.loads(entry["detail"]) if entry["detail"] else None
    entry["pending"] = False
    return entry


def alert_history(conn, alert_id: int, now: str = None, flap: lc.Flapping = lc.Flapping()):
    """The alert's history at `now`, oldest first, or None when the alert never existed.
    Entries that time has made but nobody wrote down yet come last, with "pending": true
    (and no id); a deleted alert keeps its history, ending with who deleted it."""
    now = now or utc_now()
    stored = [_event(r) for r in conn.execute(SELECT_EVENTS + " WHERE alert_id = ? ORDER BY id", (alert_id,))]
    row = rows.read_row(conn, alert_id)
    if row is None:
        return stored or None
    if not any(e["kind"] == "created" for e in stored):
        stored = _legacy(row) + stored
    pending = lc.settle(row, now, flap)[1] + _silence_changes(conn, [row], _settled_until(conn), now).get(alert_id, [])
    pending = lc.in_time_order(pending)
    return stored + [dict(e, id=None, alert_id=alert_id, recorded_at=None, pending=True) for e in pending]


def _legacy(row: dict) -> list:
    """What a row made before histories were kept says about itself."""
    made = [dict(lc.event("created", row["first_seen"] or row["timestamp"], lc.SYSTEM, LEGACY_NOTE),
                 id=None, alert_id=row["id"], recorded_at=row["created_at"], pending=False)]
    if row["acknowledged"] and row["acknowledged_at"]:
        made.append(dict(lc.event("acknowledged", row["acknowledged_at"], row["acknowledged_by"] or lc.SYSTEM,
                                  "until resolved"), id=None, alert_id=row["id"], recorded_at=None, pending=False))
    return made


# ---------------------------------------------------------------- time-based changes

_DUE = ("SELECT id FROM alerts WHERE expires_at <= ? AND resolved_at IS NULL"
        " UNION SELECT id FROM alerts WHERE ack_until <= ? AND acknowledged = 1"
        " UNION SELECT id FROM alerts WHERE shelved_until <= ?"
        " UNION SELECT id FROM alerts WHERE flapping_until <= ?")


def settle_due(conn, now: str = None, flap: lc.Flapping = lc.Flapping()) -> int:
    """Write down every time-based change due by `now` (deadlines passed, silence
    windows started or ended), dated when it happened; return how many entries."""
    now = now or utc_now()
    with transaction(conn):
        return settle_in(conn, now, flap)


def settle_in(conn, now: str, flap: lc.Flapping = lc.Flapping()) -> int:
    """settle_due inside the caller's transaction."""
    ids = [r[0] for r in conn.execute(_DUE, (now,) * 4)]
    pairs, events = [], []
    for raw in rows_where_in(conn, rows.SELECT_ROWS, "id", ids):
        row = rows.from_db(raw)
        new, made = lc.settle(row, now, flap)
        pairs.append((row, new))
        events += [(row["id"], e) for e in made]
    rows.update_rows(conn, pairs)
    since = _settled_until(conn)
    if since < now:
        linked = _linked_rows(conn, since, now)
        for alert_id, made in sorted(_silence_changes(conn, linked, since, now).items()):
            events += [(alert_id, e) for e in made]
    conn.execute("INSERT INTO meta (key, value) VALUES ('settled_until', ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (now,))
    rows.write_events(conn, lc.in_time_order(events, at=lambda pair: pair[1]["at"]), now)
    return len(events)


def _settled_until(conn) -> str:
    """Up to when silence windows have been written down (from the start: the first time)."""
    found = conn.execute("SELECT value FROM meta WHERE key = 'settled_until'").fetchone()
    return found[0] if found else BEGINNING


BEGINNING = "0001-01-01T00:00:00+00:00"


def _silences_with_changes(conn, since: str, now: str) -> list:
    """(silence, [(moment, 'start'|'end')]) of the silences whose windows start or end
    within (since, now]; a start before the silence was made, or an end made by
    someone ending it early, was written down then."""
    found = []
    low, high = silence_db.moment(since), silence_db.moment(now)
    for raw in conn.execute(silence_db.SELECT_SILENCES + " WHERE (ends_at IS NULL OR ends_at > ?) AND starts_at <= ?",
                            (since, now)):
        silence = silence_db.from_db(raw)
        made = silence_db.moment(silence["created_at"])
        early = silence_db.moment(silence["ended_at"]) if silence["ended_at"] else None
        changes = [(t, kind) for t, kind in rules.boundaries(silence, low, high)
                   if not (kind == "start" and t <= made) and not (kind == "end" and early is not None and t == early)]
        if changes:
            found.append((silence, changes))
    return found


def _linked_rows(conn, since: str, now: str) -> list:
    ids = set()
    for silence, _ in _silences_with_changes(conn, since, now):
        ids.update(r[0] for r in conn.execute("SELECT alert_id FROM alert_silences WHERE silence_id = ?",
                                              (silence["id"],)))
    return [rows.from_db(r) for r in rows_where_in(conn, rows.SELECT_ROWS, "id", sorted(ids))]


def _silence_changes(conn, alert_rows, since, now: str) -> dict:
    """{alert_id: [silenced / unsilenced events]} for the windows of their silences that
    started or ended within (since, now], while the alert was not resolved."""
    if since >= now or not alert_rows:
        return {}
    changing = {s["id"]: (s, changes) for s, changes in _silences_with_changes(conn, since, now)}
    if not changing:
        return {}
    found = {}
    for row in alert_rows:
        links = conn.execute("SELECT silence_id, linked_at FROM alert_silences WHERE alert_id = ?", (row["id"],))
        linked = [(silence_db.get(conn, sid), silence_db.moment(at)) for sid, at in links]
        moments = sorted({t for s, _ in linked if s["id"] in changing for t, _ in changing[s["id"]][1]})
        for t in moments:
            stamp = iso_exact(t)
            if row["timestamp"] > stamp or (row["resolved_at"] is not None and row["resolved_at"] <= stamp):
                continue  # not in its present spell, or resolved by then
            before = _on(linked, t - _INSTANT)
            after = _on(linked, t)
            if bool(before) != bool(after):
                silence = after[0] if after else before[0]
                kind = "silenced" if after else "unsilenced"
                note = f"silence {silence['id']} {'started' if after else 'ended'}: {silence['comment']}"
                found.setdefault(row["id"], []).append(
                    lc.event(kind, stamp, lc.SYSTEM, note, silences=[s["id"] for s in (after or before)]))
    return found


def _on(linked, moment) -> list:
    return [s for s, linked_at in linked if linked_at <= moment and rules.active_window(s, moment)]


# ---------------------------------------------------------------- what changed since

def events_since(conn, after_id: int = 0, limit: int = 1000) -> list:
    """History entries written after `after_id`, in the order written (at most `limit`)."""
    return [_event(r) for r in conn.execute(SELECT_EVENTS + " WHERE id > ? ORDER BY id LIMIT ?",
                                            (int(after_id), int(limit)))]


def changes_since(conn, after_id: int = 0, now: str = None, limit: int = 1000,
                  flap: lc.Flapping = lc.Flapping()) -> tuple:
    """(entries, last_id): every change after `after_id`, the time-based ones due by
    `now` written down first. Pass last_id back next time; each entry comes once."""
    settle_due(conn, now, flap)
    entries = events_since(conn, after_id, limit)
    return entries, (entries[-1]["id"] if entries else int(after_id))


def delete_silence(conn, silence_id: int, user: str, now, flap: lc.Flapping = lc.Flapping()) -> bool:
    """Delete a silence: what its windows did until now is written down first (the
    alerts' histories keep it), the alerts it silences now are "unsilenced" by `user`,
    then the silence and its links go. False when there is no such silence."""
    moment = silence_db.moment(now)
    stamp = iso_exact(moment)
    with transaction(conn):
        silence = silence_db.get(conn, silence_id)
        if silence is None:
            return False
        settle_in(conn, stamp, flap)
        silence_db.end_in(conn, silence, user, moment, "deleted")
        conn.execute("DELETE FROM alert_silences WHERE silence_id = ?", (silence_id,))
        conn.execute("DELETE FROM silences WHERE id = ?", (silence_id,))
        silence_db._bump_version(conn, "links_version")
    return True
