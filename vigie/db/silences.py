"""Silences in the database: stored, linked to the alerts they match, active or not now.

A silence is linked to every alert it matches when either is written (`alert_silences`,
with the time of the link); whether the alert is silenced at a moment is then a
matter of which linked silences are active at that moment, which `vigie.silences`
answers from their windows. So a silence that starts or ends needs no write: the
next read sees it. The silences that are not over are parsed once per change of the
silences table (a version kept in `meta`) and shared by the connections of a process.
"""

import json
import threading
from datetime import datetime

from vigie import lifecycle as lc
from vigie import silences as rules
from vigie import utc
from vigie.db import audit, rows
from vigie.db.connection import rows_where_in, transaction

SELECT_SILENCES = ("SELECT id, matchers, starts_at, ends_at, schedule, comment, created_by, created_at, ended_by,"
                   " ended_at FROM silences")
_CACHE = {}
_LOCK = threading.Lock()


def from_db(row) -> dict:
    (sid, matchers, starts, ends, schedule, comment, created_by, created_at, ended_by, ended_at) = row
    return {"id": sid, "matchers": json.loads(matchers), "starts_at": utc.parse(starts),
            "ends_at": utc.parse(ends) if ends else None,
            "schedule": json.loads(schedule) if schedule else None, "comment": comment,
            "created_by": created_by, "created_at": created_at, "ended_by": ended_by, "ended_at": ended_at}


def moment(now) -> datetime:
    return utc.parse(now) if isinstance(now, str) else now


class Live:
    """The silences not over when it was built, their matcher index, and the set of
    those active now (kept until the next start or end of a window)."""

    def __init__(self, silences, built: datetime):
        self.silences = silences
        self.by_id = {s["id"]: s for s in silences}
        self.index = rules.MatcherIndex(silences)
        ends = [s["ends_at"] for s in silences if s["ends_at"] is not None]
        self.good_until = min(ends) if ends else None  # past the first end, build again
        self.built = built
        self._active = (None, None, ())
        self._lock = threading.Lock()

    def fresh(self, now: datetime) -> bool:
        return now >= self.built and (self.good_until is None or now < self.good_until)

    def active_ids(self, now: datetime) -> tuple:
        with self._lock:
            since, until, ids = self._active
            if since is not None and since <= now and (until is None or now < until):
                return ids
            ids = tuple(sorted(s["id"] for s in self.silences if rules.active_window(s, now)))
            changes = [b for b in (rules.next_boundary(s, now) for s in self.silences) if b is not None]
            self._active = (now, min(changes) if changes else None, ids)
            return ids


def live(conn, now) -> Live:
    now = moment(now)
    key = conn.execute("SELECT (SELECT value FROM meta WHERE key = 'instance'),"
                       " (SELECT value FROM meta WHERE key = 'silences_version')").fetchone()
    key = (key[0], key[1])
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached.fresh(now):
        return cached
    found = [from_db(r) for r in conn.execute(SELECT_SILENCES + " WHERE ends_at IS NULL OR ends_at > ? ORDER BY id",
                                              (utc.iso_exact(now),))]
    built = Live(found, now)
    with _LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = built
    return built


def active_ids(conn, now) -> tuple:
    """Ids of the silences active at `now`."""
    return live(conn, now).active_ids(moment(now))


SILENCED_TABLE = "temp.vigie_silenced"


def silenced_table(conn, now) -> bool:
    """Make temp.vigie_silenced (this connection's own) hold the ids of the alerts that a
    silence active at `now` is linked to; False when no silence is active. Filled again
    only when the active silences or the links changed since it was last filled, so a
    listing probes a table's key instead of gathering the links on every query."""
    active = active_ids(conn, now)
    if not active:
        return False
    versions = conn.execute("SELECT group_concat(key || '=' || value, ',') FROM meta WHERE key IN"
                            " ('instance', 'silences_version', 'links_version')").fetchone()[0]
    key = f"{versions};{','.join(map(str, active))}"
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS vigie_silenced (alert_id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS vigie_silenced_key (key TEXT NOT NULL)")
    held = conn.execute("SELECT key FROM temp.vigie_silenced_key").fetchone()
    if held is None or held[0] != key:
        conn.execute("DELETE FROM temp.vigie_silenced")
        conn.execute("INSERT OR IGNORE INTO temp.vigie_silenced SELECT alert_id FROM alert_silences"
                     " WHERE silence_id IN (SELECT value FROM json_each(?))", (json.dumps(list(active)),))
        conn.execute("DELETE FROM temp.vigie_silenced_key")
        conn.execute("INSERT INTO temp.vigie_silenced_key (key) VALUES (?)", (key,))
    return True


def _bump_version(conn, key: str = "silences_version") -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')"
                 " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", (key,))


# ---------------------------------------------------------------- links

def link_rows(conn, alert_rows, now, actor: str) -> list:
    """Link each alert row (new, reopened or changed: [(row, changed)]) with the silences
    not over that match it now; return [(alert_id, event)]: "silenced" for the rows that
    a silence active now silences (those not resolved)."""
    current = live(conn, now)
    if not current.index:
        return []
    active = set(current.active_ids(moment(now)))
    stamp, links, events = utc.iso_exact(moment(now)), [], []
    for row, changed in alert_rows:
        found = current.index.matching(row)
        if changed:  # what it says changed: the silences it no longer matches let go of it
            conn.execute(f"DELETE FROM alert_silences WHERE alert_id = ? AND silence_id NOT IN "
                         f"({','.join('?' * len(found))})", [row["id"]] + [s["id"] for s in found])
        links += [(row["id"], s["id"], stamp) for s in found]
        on = sorted(s["id"] for s in found if s["id"] in active)
        if on and not lc.is_resolved(row, stamp):
            events.append((row["id"], silenced_event(current.by_id[on[0]], stamp, actor, on)))
    if links or any(changed for _, changed in alert_rows):
        conn.executemany("INSERT OR IGNORE INTO alert_silences (alert_id, silence_id, linked_at) VALUES (?, ?, ?)",
                         links)
        _bump_version(conn, "links_version")
    return events


def silenced_event(silence: dict, at: str, actor: str, ids) -> dict:
    return lc.event("silenced", at, actor, f"silence {silence['id']}: {silence['comment']}", silences=list(ids))


def silenced_map(conn, alert_ids, now) -> dict:
    """{alert_id: [ids of the active silences silencing it]} for these alerts."""
    active = set(active_ids(conn, now))
    if not active or not alert_ids:
        return {}
    found = {}
    for alert_id, silence_id in rows_where_in(conn, "SELECT alert_id, silence_id FROM alert_silences", "alert_id",
                                              alert_ids):
        if silence_id in active:
            found.setdefault(alert_id, []).append(silence_id)
    return {k: sorted(v) for k, v in found.items()}


# ---------------------------------------------------------------- create, read, end

def create(conn, silence: dict, user: str, now) -> int:
    """Store a silence checked by `vigie.silences.normalize_silence`, link the alerts it
    matches (those not resolved), and record "silenced" on those it silences now."""
    with transaction(conn):
        return create_in(conn, silence, user, moment(now))


def create_in(conn, silence: dict, user: str, now: datetime) -> int:
    """create's work inside the caller's transaction."""
    stamp = utc.iso_exact(now)
    silence_id = conn.execute(
        "INSERT INTO silences (matchers, starts_at, ends_at, schedule, comment, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (json.dumps(silence["matchers"], sort_keys=True), utc.iso_exact(silence["starts_at"]),
         utc.iso_exact(silence["ends_at"]) if silence["ends_at"] else None,
         json.dumps(silence["schedule"], sort_keys=True) if silence["schedule"] else None,
         silence["comment"], user, stamp)).lastrowid
    _bump_version(conn)
    stored = dict(silence, id=silence_id, created_by=user, created_at=stamp, ended_by=None, ended_at=None)
    active = rules.active_window(stored, now) is not None
    matched = matching_rows(conn, silence["matchers"])
    conn.executemany("INSERT OR IGNORE INTO alert_silences (alert_id, silence_id, linked_at) VALUES (?, ?, ?)",
                     [(r["id"], silence_id, stamp) for r in matched])
    _bump_version(conn, "links_version")
    if active:
        others = silenced_map(conn, [r["id"] for r in matched], now)
        already = {a for a, ids in others.items() if set(ids) - {silence_id}}  # by another silence: no news
        rows.write_events(conn, [(r["id"], silenced_event(stored, stamp, user, [silence_id])) for r in matched
                                 if not lc.is_resolved(r, stamp) and r["id"] not in already], stamp)
    shown = _public(stored, now)
    audit.record(conn, user, "create", "silence", str(silence_id),
                 {k: shown[k] for k in ("matchers", "starts_at", "ends_at", "schedule", "comment")}, stamp)
    return silence_id


def matching_rows(conn, matchers: dict) -> list:
    """The rows of the alerts not resolved (by hand or by an INFO) that the matchers
    hold, oldest first: what a silence made now is linked to."""
    server = rules.exact_server(matchers)
    where, params = " WHERE resolved_at IS NULL", []
    if server is not None:
        where, params = " WHERE server = ? AND resolved_at IS NULL", [server]
    candidates = [rows.from_db(r) for r in conn.execute(rows.SELECT_ROWS + where + " ORDER BY id", params)]
    return [r for r in candidates if rules.matches(matchers, r)]


def get(conn, silence_id: int):
    found = conn.execute(SELECT_SILENCES + " WHERE id = ?", (silence_id,)).fetchone()
    return from_db(found) if found else None


def end(conn, silence_id: int, user: str, now) -> bool:
    """End a silence now (its windows stop here); False when there is no such silence or
    it was already over. The alerts it was silencing and no other silence does are
    "unsilenced" by `user`."""
    now = moment(now)
    with transaction(conn):
        silence = get(conn, silence_id)
        if silence is None or (silence["ends_at"] is not None and silence["ends_at"] <= now):
            return False
        end_in(conn, silence, user, now, "ended")
    return True


def replace(conn, old: dict, silence: dict, user: str, now) -> int:
    """Edit a silence the way Alertmanager does: the new one is made and the old one ends
    now, in one transaction (the alerts both silence see no change: neither "silenced"
    nor "unsilenced" is written for them). Returns the new silence's id; the old one
    stays listed as expired, ended by `user`."""
    now = moment(now)
    with transaction(conn):
        new_id = create_in(conn, silence, user, now)
        end_in(conn, old, user, now, f"replaced by silence {new_id}")
    return new_id


def extend(conn, silence: dict, ends_at: datetime, user: str, now) -> bool:
    """Move the end of a silence not over to `ends_at` (later or sooner, after now); False
    when it is over meanwhile. What it is linked to does not change: only when it ends."""
    now, stamp = moment(now), utc.iso_exact(moment(now))
    with transaction(conn):
        current = get(conn, silence["id"])
        if current is None or (current["ends_at"] is not None and current["ends_at"] <= now):
            return False
        conn.execute("UPDATE silences SET ends_at = ? WHERE id = ?", (utc.iso_exact(ends_at), silence["id"]))
        _bump_version(conn)
        audit.record(conn, user, "extend", "silence", str(silence["id"]),
                     {"ends_at": utc.iso_exact(ends_at), "was": utc.iso_exact(current["ends_at"])
                      if current["ends_at"] else None, "comment": current["comment"]}, stamp)
    return True


AUDIT_ACTIONS = {"ended": "end", "deleted": "delete"}   # end_in's verb -> the audit's action (else "replace")


def end_in(conn, silence: dict, user: str, now: datetime, verb: str) -> None:
    """end's work inside the caller's transaction (also used to delete a silence)."""
    stamp = utc.iso_exact(now)
    silence_id = silence["id"]
    was_active = rules.active_window(silence, now) is not None
    linked = [r[0] for r in conn.execute("SELECT alert_id FROM alert_silences WHERE silence_id = ?", (silence_id,))]
    before = silenced_map(conn, linked, now) if was_active else {}
    if silence["ends_at"] is None or silence["ends_at"] > now:
        conn.execute("UPDATE silences SET ends_at = ?, ended_by = ?, ended_at = ? WHERE id = ?",
                     (stamp, user, stamp, silence_id))
    _bump_version(conn)
    if was_active:
        after = silenced_map(conn, linked, now)
        freed = [a for a in before if a not in after]
        live_rows = [r for r in (rows.read_row(conn, a) for a in freed) if r and not lc.is_resolved(r, stamp)]
        note = f"silence {silence_id} {verb} by {user}: {silence['comment']}"
        rows.write_events(conn, [(r["id"], lc.event("unsilenced", stamp, user, note, silences=[silence_id]))
                                 for r in live_rows], stamp)
    audit.record(conn, user, AUDIT_ACTIONS.get(verb, "replace"), "silence", str(silence_id),
                 {"comment": silence["comment"], "matchers": silence["matchers"]}, stamp)


def list_silences(conn, now, state: str = "current") -> list:
    """Silences as shown: "current" (active or to come), "active", "pending", "expired" or "all"."""
    now = moment(now)
    found = [from_db(r) for r in conn.execute(SELECT_SILENCES + " ORDER BY id DESC")]
    shown = [_public(s, now) for s in found]
    if state == "current":
        return [s for s in shown if s["state"] in ("active", "pending")]
    return shown if state == "all" else [s for s in shown if s["state"] == state]


STATES = ("current", "active", "pending", "expired", "all")


def preview(silence: dict, now) -> dict:
    """A silence not made yet as `public` would show it (no id, no author)."""
    return _public(silence, moment(now))


def _public(silence: dict, now: datetime) -> dict:
    window = rules.next_window(silence, now)
    active = window is not None and window[0] <= now
    over = window is None
    return {
        "id": silence.get("id"), "matchers": silence["matchers"], "described": rules.describe(silence["matchers"]),
        "comment": silence["comment"],
        "starts_at": utc.iso_exact(silence["starts_at"]),
        "ends_at": utc.iso_exact(silence["ends_at"]) if silence["ends_at"] else None,
        "schedule": silence["schedule"], "created_by": silence.get("created_by"),
        "created_at": silence.get("created_at"), "ended_by": silence.get("ended_by"),
        "ended_at": silence.get("ended_at"),
        "state": "expired" if over else "active" if active else "pending", "active": active,
        "window": None if over else {"starts_at": utc.iso_exact(window[0]),
                                     "ends_at": utc.iso_exact(window[1]) if window[1] else None},
    }


def list_public(conn, now, state: str = "current", limit: int = None) -> list:
    """list_silences, each as `public` shows it (with its counts)."""
    found = list_silences(conn, now, state)[:limit]
    return [public(conn, get(conn, s["id"]), now) for s in found]


def public(conn, silence: dict, now) -> dict:
    """A silence as the API shows it, with how many alerts not resolved it matches
    (`matching`) and how many of them it silences now (`silencing`)."""
    now = moment(now)
    shown = _public(silence, now)
    stamp = utc.iso_exact(now)
    shown["matching"] = conn.execute(
        "SELECT COUNT(*) FROM alert_silences l JOIN alerts a ON a.id = l.alert_id WHERE l.silence_id = ?"
        " AND a.resolved_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > ?)", (silence["id"], stamp)).fetchone()[0]
    shown["silencing"] = shown["matching"] if shown["active"] else 0
    return shown


def overlapping(conn, since: datetime, until: datetime) -> list:
    """The silences (ended early or not; a deleted one is gone) whose time may reach
    into [since, until): begun before `until`, not over before `since`. Their windows
    are `vigie.silences.windows`."""
    return [from_db(r) for r in conn.execute(
        SELECT_SILENCES + " WHERE starts_at < ? AND (ends_at IS NULL OR ends_at > ?) ORDER BY id",
        (utc.iso_exact(until), utc.iso_exact(since)))]
