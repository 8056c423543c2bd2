"""Alert queries: ingest with deduplication, reads at a given time, filters and pages,
the changes a person makes, and counts.

Every change runs the rules of `vigie.lifecycle` on the rows concerned and writes the
rows and their history in one transaction. Reads take a "now" (default: the clock):
an alert's status, acknowledgement, silence and flapping are what its deadlines and
the silences say at that moment, in Python for the rows shown and in SQL for filters
and counts (tests/test_alert_lifecycle_db.py checks that both agree).

The few identifiers that vary in these statements (ordering columns, filter
columns, index names) come from the fixed tables below, never from a request.
"""


from operator import itemgetter

from vigie import lifecycle as lc
from vigie import scope, severity
from vigie.alert import FIELDS, SEVERITIES
from vigie.db import dependencies as dependency_db
from vigie.db import notify, rows
from vigie.db import silences as silence_db
from vigie.db.connection import MAX_ROWID, DatabaseError, rows_where_in, transaction, utc_now
from vigie.db.schema import INDEX_COLUMNS, LIVE_INDEX, TIME_INDEX

# What an alert looks like to clients, in this order.
ALERT_COLUMNS = ("id",) + FIELDS + (
    "acknowledged", "acknowledged_by", "acknowledged_at", "source_id", "fingerprint", "status",
    "duplicate_count", "first_seen", "last_seen", "reopen_count", "ack_until", "shelved_until", "shelved_by",
    "resolved_at", "resolved_by", "resolution", "timeout", "expires_at", "flapping", "flap_count", "silenced",
    "silence_id", "suppressed", "suppressed_by", "suppressed_by_alert", "suppressing")
DEFAULT_FLAP = lc.Flapping()

# Columns a client may filter on by exact value, and sort on.
EXACT_FILTERS = ("server", "environment", "application", "provider")
ORDERING_COLUMNS = {
    "id": "id", "timestamp": "timestamp", "server": "server", "environment": "environment",
    "application": "application", "provider": "provider", "acknowledged": "acknowledged",
    "acknowledged_at": "acknowledged_at", "first_seen": "first_seen", "last_seen": "last_seen",
    "duplicate_count": "duplicate_count", "resolved_at": "resolved_at",
    # by gravity: ordering=-severity puts CRITICAL first
    "severity": severity.sql_rank("severity"),
}
DEFAULT_ORDERING = "-timestamp"
MATCHED_FIELDS = tuple(f for f in FIELDS if f != "timestamp")  # what silences look at
_MATCHED_VALUES = itemgetter(*MATCHED_FIELDS)


def to_alert(row: dict, now: str, silenced_by=(), suppressing: int = 0) -> dict:
    """A row as clients see it at `now`; `suppressing`: how many open alerts are its doing."""
    view = lc.effective(row, now)
    alert = {name: row[name] for name in ("id",) + FIELDS}
    alert.update({name: view[name] for name in ("acknowledged", "acknowledged_by", "acknowledged_at")})
    alert.update(
        source_id=row["source_id"], fingerprint=row["fingerprint"], status=view["status"],
        duplicate_count=row["duplicate_count"], first_seen=row["first_seen"], last_seen=row["last_seen"],
        reopen_count=row["reopen_count"], ack_until=view["ack_until"], shelved_until=view["shelved_until"],
        shelved_by=row["shelved_by"] if view["shelved_until"] else None, resolved_at=view["resolved_at"],
        resolved_by=view["resolved_by"], resolution=view["resolution"], timeout=row["timeout"],
        expires_at=None if view["status"] == "resolved" else row["expires_at"], flapping=view["flapping"],
        flap_count=len(row["flap_changes"]), silenced=bool(silenced_by),
        silence_id=silenced_by[0] if silenced_by else None, suppressed=row["suppressed_by"] is not None,
        suppressed_by=row["suppressed_by"], suppressed_by_alert=row["suppressed_by_alert"], suppressing=suppressing)
    return alert


# ---------------------------------------------------------------- ingest

def insert_alerts(conn, records, actor: str = lc.SYSTEM, now: str = None, flap: lc.Flapping = DEFAULT_FLAP,
                  fingerprint_fields=lc.DEFAULT_FINGERPRINT_FIELDS, scopes=None, network=None) -> list:
    """Ingest normalised records (the seven fields, and optional source_id, fingerprint,
    timeout) in one transaction. Return [(id, created)] in order: created is True when
    the alert made a new row; otherwise id is the row it counted on (a duplicate, a
    reopen, an INFO that resolved it) or the one a known source_id already gave.

    A known source_id changes nothing at all, whether it made a row or counted on one,
    and so does a source_id seen earlier in the same batch. With `scopes` (a team
    member's, vigie/scope.py), the source_id and fingerprint look-ups see only the
    alerts in them: what lies outside is neither returned nor touched, and the record
    makes an alert of its own, as if nothing held that key. The rows of the batch's
    fingerprints are read in one query; new rows go in with one executemany under
    ids chosen here (BEGIN IMMEDIATE keeps every other writer out), changed rows with
    one UPDATE per set of changed columns. With `network` (vigie.db.dependencies.Network),
    a batch holding a down condition, or met by files that changed, makes the verdict of
    dependencies again in the same transaction."""
    records = list(records)
    now = now or utc_now()
    with transaction(conn):
        return _ingest(conn, records, actor, now, flap, fingerprint_fields, scopes, network)


def _ingest(conn, records, actor, now, flap, fingerprint_fields, scopes=None, network=None) -> list:
    for record in records:
        if not record.get("fingerprint"):
            record["fingerprint"] = lc.fingerprint(record, fingerprint_fields)
    known = _known_sources(conn, {r.get("source_id") for r in records} - {None}, scopes)
    current = _rows_by_fingerprint(conn, {r["fingerprint"] for r in records if r.get("source_id") not in known},
                                   scopes)
    ids = _free_ids(conn, len(records))
    originals, created, relink, final = {}, set(), {}, {}
    results, events, sources = [], [], []
    for record in records:
        source_id = record.get("source_id")
        if source_id is not None and source_id in known:
            results.append((known[source_id], False))
            continue
        fp = record["fingerprint"]
        held = current.get(fp)
        row = lc.row_to_count_on(held, record) if held else None
        if row is None:
            new, changes = lc.new_row(record, actor, now, flap)
            new["id"] = new_id = next(ids)
            new["created_at"] = now
            created.add(new_id)
            relink[new_id] = False
            results.append((new_id, True))
        else:
            if row["id"] not in created:
                originals.setdefault(row["id"], row)
            new, changes, outcome = lc.arrive(row, record, actor, now, flap)
            said_otherwise = _MATCHED_VALUES(row) != _MATCHED_VALUES(new)
            if outcome == "reopened" or said_otherwise:
                relink[row["id"]] = relink.get(row["id"], False) or said_otherwise
            results.append((row["id"], False))
        final[new["id"]] = new
        if held is None:
            current[fp] = [new]
        elif row is None:
            held.append(new)
        else:
            held[held.index(row)] = new
        if source_id is not None:
            known[source_id] = new["id"]
            sources.append((lc.source_key(source_id), source_id, new["id"]))
        for change in changes:
            events.append((new["id"], change))
    rows.insert_rows(conn, [final[i] for i in sorted(created)])
    rows.update_rows(conn, [(old, final[i]) for i, old in originals.items()])
    conn.executemany("INSERT INTO alert_source_keys (key, source_id, alert_id) VALUES (?, ?, ?)", sources)
    events += silence_db.link_rows(conn, [(final[i], changed) for i, changed in relink.items()], now, actor)
    if network is not None and (dependency_db.concerns(records) or dependency_db.stale(conn, network)):
        events += dependency_db.apply(conn, network, now)
    rows.write_events(conn, events, now)
    return results


def _known_sources(conn, source_ids, scopes=None) -> dict:
    """source id -> the alert it made or counted on, for the ones already sent, found
    by their integer keys; with `scopes`, only those whose alert is in them. The ids
    sent to an alert since deleted count as never sent (deleting an alert leaves them,
    rather than search every id ever sent for its own). An id sent twice (by senders
    of other scopes) gives the alert it was first sent to."""
    keys = {lc.source_key(source_id) for source_id in source_ids}
    condition, params = scope.sql_condition(scopes)
    sent = rows_where_in(conn, "SELECT k.source_id, k.alert_id FROM alert_source_keys k JOIN alerts"
                               " ON alerts.id = k.alert_id" + (f" AND {condition}" if condition else ""),
                         "k.key", keys, params=params, order="k.rowid")
    found = {}
    for source_id, alert_id in sent:
        if source_id in source_ids:
            found.setdefault(source_id, alert_id)
    return found


def _rows_by_fingerprint(conn, fingerprints, scopes=None) -> dict:
    """fingerprint -> its rows, oldest first (several when rows from before
    deduplication, or senders of other scopes, share one), found by the fingerprints'
    integer keys; with `scopes`, only the rows in them."""
    found = {}
    keys = {lc.fingerprint_key(fp) for fp in fingerprints}
    for raw in rows_where_in(conn, rows.SELECT_ROWS, "fingerprint_key", keys):
        row = rows.from_db(raw)
        if row["fingerprint"] in fingerprints and scope.in_any_scope(scopes, row):
            found.setdefault(row["fingerprint"], []).append(row)
    for held in found.values():
        held.sort(key=itemgetter("id"))
    return found


def _free_ids(conn, count: int):
    """Ids for up to `count` new rows: after the largest ever used (a deleted alert's id,
    whose history is kept, is never given again), or below the smallest when the top of
    SQLite's 64-bit range is reached."""
    top = conn.execute("SELECT max(coalesce((SELECT max(id) FROM alerts), 0),"
                       " coalesce((SELECT max(alert_id) FROM alert_events), 0))").fetchone()[0]
    if top <= MAX_ROWID - count:
        return iter(range(top + 1, top + count + 1))
    bottom = conn.execute("SELECT min(id) FROM alerts").fetchone()[0] or 1
    if bottom - count < 1:
        raise DatabaseError("no free alert ids left")
    return iter(range(bottom - count, bottom))


# ---------------------------------------------------------------- reading

def get_alert(conn, alert_id: int, now: str = None):
    found = get_alerts(conn, [alert_id], now)
    return found[0] if found else None


def get_alerts(conn, ids, now: str = None) -> list:
    """Alerts by id, in the order given (missing ones skipped), as they are at `now`."""
    now = now or utc_now()
    ids = list(ids)
    found = {r[0]: rows.from_db(r) for r in rows_where_in(conn, rows.SELECT_ROWS, "id", ids)}
    silenced = silence_db.silenced_map(conn, list(found), now)
    behind = dependency_db.suppressing(conn, [i for i, row in found.items() if row["resolved_at"] is None])
    return [to_alert(found[i], now, silenced.get(i, ()), behind.get(i, 0)) for i in ids if i in found]


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# A status at a moment, in SQL; each "?" is the moment. Must say what lifecycle.status says.
_LIVE = "resolved_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
_STATUS_SQL = {
    "open": "(shelved_until IS NULL OR shelved_until <= ?) AND (acknowledged = 0 OR ack_until <= ?)",
    "acknowledged": "(shelved_until IS NULL OR shelved_until <= ?) AND acknowledged = 1"
                    " AND (ack_until IS NULL OR ack_until > ?)",
    "shelved": "shelved_until > ?",
    "resolved": "(resolved_at IS NOT NULL OR expires_at <= ?)",
}
# The alerts a silence active now is linked to, held by the connection's own table
# (vigie.db.silences.silenced_table): each row is one lookup of its key.
_SILENCED_SQL = f"id IN (SELECT alert_id FROM {silence_db.SILENCED_TABLE})"


def _status_clauses(statuses, now):
    """Clauses for a list of statuses; when none is "resolved" they start with the
    partial index's own condition, so alerts_live can serve them."""
    statuses = [s for s in lc.STATUSES if s in statuses]
    if "resolved" in statuses:
        parts = [_STATUS_SQL["resolved"]] + [f"({_LIVE} AND {_STATUS_SQL[s]})" for s in statuses if s != "resolved"]
        return [f"({' OR '.join(parts)})"], [now] * sum(part.count("?") for part in parts)
    clauses, params = ["resolved_at IS NULL", "(expires_at IS NULL OR expires_at > ?)"], [now]
    if len(statuses) < 3:
        clauses.append("(" + " OR ".join(f"({_STATUS_SQL[s]})" for s in statuses) + ")")
        params += [now] * sum(_STATUS_SQL[s].count("?") for s in statuses)
    return clauses, params


def build_where(filters: dict, now: str = None, silences_active: bool = False):
    """(sql, params) for the filters: severity/server/.../fingerprint lists of values,
    acknowledged, flapping, silenced and suppressed booleans, status list, silence id, the
    id of the alert suppressing them (suppressed_by_alert), q text,
    since/until ISO UTC strings, all as they are at `now`; `silences_active` says whether
    a silence is active then (the connection's table of silenced alerts is ready: see
    _active). Values are already checked by the caller."""
    now = now or utc_now()
    clauses, params = [], []
    for column in ("severity",) + EXACT_FILTERS + ("fingerprint",):
        values = filters.get(column)
        if values:
            values = [values] if isinstance(values, str) else list(values)
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params += values
            if column == "fingerprint":  # found through the index of their keys
                clauses.append(f"fingerprint_key IN ({','.join('?' * len(values))})")
                params += [lc.fingerprint_key(v) for v in values]
    if filters.get("status"):
        more, values = _status_clauses(filters["status"], now)
        clauses += more
        params += values
    if filters.get("acknowledged") is not None:
        clauses.append("acknowledged = 1 AND (ack_until IS NULL OR ack_until > ?)" if filters["acknowledged"]
                       else "(acknowledged = 0 OR ack_until <= ?)")
        params.append(now)
    if filters.get("flapping") is not None:
        clauses.append("flapping_until > ?" if filters["flapping"] else "(flapping_until IS NULL OR flapping_until <= ?)")
        params.append(now)
    if filters.get("silenced") is not None:
        if silences_active:
            clauses.append(_SILENCED_SQL if filters["silenced"] else _SILENCED_SQL.replace("id IN", "id NOT IN", 1))
        elif filters["silenced"]:
            clauses.append("id < 0")  # no silence is active: nothing is silenced (callers skip the query)
    if filters.get("silence") is not None:
        clauses.append("id IN (SELECT alert_id FROM alert_silences WHERE silence_id = ?)")
        params.append(filters["silence"])
    if filters.get("suppressed") is not None:
        clauses.append("suppressed_by IS NOT NULL" if filters["suppressed"] else "suppressed_by IS NULL")
    if filters.get("suppressed_by_alert") is not None:
        clauses.append("suppressed_by_alert = ?")
        params.append(filters["suppressed_by_alert"])
    if filters.get("q"):
        clauses.append("message LIKE ? ESCAPE '\\'")
        params.append(_like_pattern(filters["q"]))
    if filters.get("scopes") is not None:  # a team member's view: the alerts in one of their scopes
        sql, values = scope.sql_condition(filters["scopes"])
        clauses.append(sql)
        params += values
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


def live_only(filters: dict) -> bool:
    """Whether the filters keep only alerts not resolved (the partial index's rows)."""
    statuses = filters.get("status")
    return bool(statuses) and "resolved" not in statuses


def covering_index(filters: dict):
    """The index that can answer these filters (every filtered column in it where it
    can), led by the most specific equality filter; the live alerts' index when only
    alerts not resolved are asked for; the timestamp index for time ranges or when no
    other fits; None for text search (the message is in no index), a fingerprint, or the
    alerts one suppresses (their own index serves them)."""
    if filters.get("q") or filters.get("fingerprint") or filters.get("suppressed_by_alert") is not None:
        return None
    columns = {c for c in ("severity",) + EXACT_FILTERS if filters.get(c)}
    if filters.get("acknowledged") is not None:
        columns.add("acknowledged")
    if "server" in columns:
        return "alerts_server"  # a few thousand rows at most per server, even if some need the table
    if live_only(filters):
        return LIVE_INDEX
    if filters.get("since") or filters.get("until"):
        return TIME_INDEX
    best, best_prefix = TIME_INDEX, 0
    for name, held in INDEX_COLUMNS.items():
        if held[0] in columns and columns <= set(held):
            prefix = next((i for i, c in enumerate(held) if c not in columns), len(held))
            if prefix > best_prefix:
                best, best_prefix = name, prefix
    return best


def _nothing_silenced(filters, active) -> bool:
    return filters.get("silenced") is True and not active


def count_alerts(conn, filters: dict = None, now: str = None) -> int:
    filters = filters or {}
    now = now or utc_now()
    active = _active(conn, filters, now)
    if _nothing_silenced(filters, active):
        return 0
    where, params = build_where(filters, now, active)
    index = covering_index(filters) if where else None
    return conn.execute("SELECT COUNT(*) FROM alerts" + (f" INDEXED BY {index}" if index else "") + where,
                        params).fetchone()[0]


def _active(conn, filters, now) -> bool:
    """Whether a silence is active at `now`, its silenced alerts made ready for the filters."""
    return silence_db.silenced_table(conn, now) if filters.get("silenced") is not None else False


def list_alerts(conn, filters: dict = None, ordering: str = DEFAULT_ORDERING, limit: int = 100, offset: int = 0,
                now: str = None):
    """(count of matching alerts, [alert dicts] of the page), as they are at `now`."""
    filters = filters or {}
    now = now or utc_now()
    active = _active(conn, filters, now)
    if _nothing_silenced(filters, active):
        return 0, []
    where, params = build_where(filters, now, active)
    index = covering_index(filters) if where else None
    count_from = f" INDEXED BY {index}" if index else ""
    count = conn.execute("SELECT COUNT(*) FROM alerts" + count_from + where, params).fetchone()[0]
    page_from = ""
    if (ordering or DEFAULT_ORDERING).lstrip("-").startswith("timestamp") and index:
        if index == LIVE_INDEX:
            page_from = f" INDEXED BY {LIVE_INDEX}"  # in time order already, and only live rows
        else:
            # Many matches: walking the timestamp index newest-first finds a page long before
            # sorting every match would; few: the covering index gives them all, to sort.
            total = conn.execute("SELECT MAX(id) FROM alerts").fetchone()[0] or 0
            dense = count * count > (int(offset) + int(limit)) * total
            page_from = f" INDEXED BY {TIME_INDEX if dense else index}"
    # ids first: only the page's own rows are then read from the table.
    ids = [row[0] for row in conn.execute("SELECT id FROM alerts" + page_from + where + order_by(ordering)
                                          + " LIMIT ? OFFSET ?", params + [int(limit), int(offset)])]
    return count, get_alerts(conn, ids, now)


def iter_alerts(conn, filters: dict = None, ordering: str = DEFAULT_ORDERING, now: str = None,
                chunk: int = 1000, limit: int = None):
    """Every matching alert, in `ordering`, `chunk` at a time: a list of up to `chunk`
    alert dicts per step, so an export of a million rows holds one chunk at a time.
    The ids are read from one cursor walking the matches; each chunk's rows after."""
    filters = filters or {}
    now = now or utc_now()
    active = _active(conn, filters, now)
    if _nothing_silenced(filters, active):
        return
    where, params = build_where(filters, now, active)
    sql = "SELECT id FROM alerts" + where + order_by(ordering)
    if limit is not None:
        sql, params = sql + " LIMIT ?", params + [int(limit)]
    cursor = conn.execute(sql, params)
    while True:
        ids = [row[0] for row in cursor.fetchmany(chunk)]
        if not ids:
            return
        yield get_alerts(conn, ids, now)


# ---------------------------------------------------------------- changes a person makes

def _change(conn, alert_id: int, rule, now: str, flap: lc.Flapping, relink_by: str = None, network=None):
    """Apply rule(row) -> (row, events) to one alert, its passed deadlines carried out
    first; return the alert as it is now, or None when there is no such alert.
    lifecycle.TransitionError and InputError from the rule pass through, nothing written.
    With `relink_by`, what the alert says changed: its silences are looked at again.
    With `network`, a down alert that was resolved makes the verdict of dependencies again."""
    now = now or utc_now()
    with transaction(conn):
        if _apply(conn, alert_id, rule, now, flap, relink_by, network) is None:
            return None
    return get_alert(conn, alert_id, now)


def _apply(conn, alert_id, rule, now, flap, relink_by=None, network=None):
    """_change's work inside the caller's transaction; the id of the last history entry
    written (0 when none), or None when there is no such alert."""
    row = rows.read_row(conn, alert_id)
    if row is None:
        return None
    settled, events = lc.settle(row, now, flap)
    new, more = rule(settled)
    rows.update_rows(conn, [(row, new)])
    pairs = [(alert_id, e) for e in events + more]
    if relink_by:
        pairs += silence_db.link_rows(conn, [(new, True)], now, relink_by)
    if network is not None and dependency_db.concerns([new]) and lc.is_resolved(new, now) != lc.is_resolved(row, now):
        pairs += dependency_db.apply(conn, network, now)
    rows.write_events(conn, pairs, now)
    return conn.execute("SELECT last_insert_rowid()").fetchone()[0] if pairs else 0


_BY_HAND = {"acknowledge": lc.acknowledge, "unacknowledge": lc.unacknowledge, "shelve": lc.shelve,
            "unshelve": lc.unshelve, "resolve": lc.resolve}


def act(conn, alert_id: int, action: str, user: str, now: str = None, flap: lc.Flapping = DEFAULT_FLAP,
        network=None, **args):
    """What a person does to one alert: one of _BY_HAND, with its arguments (`until`,
    `note`); the alert as it is now, or None when there is no such alert."""
    now = now or utc_now()
    rule = _BY_HAND[action]
    if action == "resolve":
        args["flap"] = flap
    return _change(conn, alert_id, lambda row: rule(row, user, now, **args), now, flap, network=network)


def acknowledge(conn, alert_id: int, user: str, until: str = None, note: str = "", **kw):
    return act(conn, alert_id, "acknowledge", user, until=until, note=note, **kw)


def unacknowledge(conn, alert_id: int, user: str, note: str = "", **kw):
    return act(conn, alert_id, "unacknowledge", user, note=note, **kw)


def shelve(conn, alert_id: int, user: str, until: str, note: str = "", **kw):
    return act(conn, alert_id, "shelve", user, until=until, note=note, **kw)


def unshelve(conn, alert_id: int, user: str, note: str = "", **kw):
    return act(conn, alert_id, "unshelve", user, note=note, **kw)


def resolve(conn, alert_id: int, user: str, note: str = "", **kw):
    return act(conn, alert_id, "resolve", user, note=note, **kw)


def add_note(conn, alert_id: int, user: str, note: str, now: str = None, flap: lc.Flapping = DEFAULT_FLAP):
    """A note in the alert's history; return the entry (None: no such alert)."""
    now = now or utc_now()
    entry = lc.event("note", now, user, note)
    with transaction(conn):
        entry_id = _apply(conn, alert_id, lambda row: (dict(row), [entry]), now, flap)
    if entry_id is None:
        return None
    return dict(entry, id=entry_id, alert_id=alert_id, recorded_at=now, pending=False)


def update_alert(conn, alert_id: int, changes: dict, user: str = None, now: str = None,
                 flap: lc.Flapping = DEFAULT_FLAP):
    """Change some of the seven fields by hand, and maybe `acknowledged` (true: as
    POST .../ack without an end; false: as .../unack); return the alert or None."""
    now = now or utc_now()
    user = user or lc.SYSTEM
    fields = {k: v for k, v in changes.items() if k in FIELDS}

    def rule(row):
        row, events = lc.edit(row, fields, user, now)
        if changes.get("acknowledged") is True and not lc.is_acknowledged(row, now):
            row, more = lc.acknowledge(row, user, now)
            events += more
        elif changes.get("acknowledged") is False:
            row, more = lc.unacknowledge(row, user, now)
            events += more
        return row, events
    relink = any(f in fields for f in MATCHED_FIELDS)
    return _change(conn, alert_id, rule, now, flap, relink_by=user if relink else None)


def set_acknowledged(conn, alert_id: int, acknowledged: bool, user: str = None, now: str = None):
    return update_alert(conn, alert_id, {"acknowledged": acknowledged}, user, now)


def delete_alert(conn, alert_id: int, user: str = None, now: str = None, network=None) -> bool:
    """Delete an alert; its history is kept, ending with who deleted it. With `network`,
    deleting a down alert makes the verdict of dependencies again."""
    now = now or utc_now()
    with transaction(conn):
        row = rows.read_row(conn, alert_id)
        if row is None:
            return False
        conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,))
        conn.execute("DELETE FROM alert_silences WHERE alert_id = ?", (alert_id,))
        notify.forget_alert(conn, alert_id)
        note = f"{row['severity']} {row['server']}: {row['message']}"
        entries = [(alert_id, lc.event("deleted", now, user or lc.SYSTEM, note))]
        if network is not None and dependency_db.concerns([row]):
            entries += dependency_db.apply(conn, network, now)
        rows.write_events(conn, entries, now)
        return True


def acknowledge_matching(conn, filters: dict, user: str, now: str = None, flap: lc.Flapping = DEFAULT_FLAP) -> int:
    """Acknowledge (with no end) every alert matching the filters that is not
    acknowledged now; return how many."""
    now = now or utc_now()
    filters = dict(filters or {}, acknowledged=False)
    with transaction(conn):
        where, params = build_where(filters, now, _active(conn, filters, now))
        ids = [r[0] for r in conn.execute("SELECT id FROM alerts" + where, params)]
        pairs, events = [], []
        for raw in rows_where_in(conn, rows.SELECT_ROWS, "id", ids):
            row = rows.from_db(raw)
            settled, settle_events = lc.settle(row, now, flap)
            new, more = lc.acknowledge(settled, user, now)
            pairs.append((row, new))
            events += [(row["id"], e) for e in settle_events + more]
        rows.update_rows(conn, pairs)
        rows.write_events(conn, events, now)
        return len(pairs)


# ---------------------------------------------------------------- counts

# What needs a person: open, not silenced, and not the doing of another machine.
NEEDS_ATTENTION = {"status": ["open"], "silenced": False, "suppressed": False}


def get_stats(conn, now: str = None, scopes=None) -> dict:
    """Counts for the dashboard at `now`: total, unacknowledged, by each grouping column,
    by status, what needs a person (open, not silenced, not suppressed) by severity, and
    how many alerts not resolved are silenced, suppressed, flapping. With
    `scopes` (a team member's, see vigie/scope.py), only the alerts in them count."""
    now = now or utc_now()
    mine = {} if scopes is None else {"scopes": scopes}
    where, params = build_where(mine, now)
    stats = {"total": conn.execute("SELECT COUNT(*) FROM alerts" + where, params).fetchone()[0]}
    stats["unacknowledged"] = count_alerts(conn, dict(mine, acknowledged=False), now)
    stats["by_severity"] = {s: 0 for s in SEVERITIES}
    for column in ("severity",) + EXACT_FILTERS:
        key = f"by_{column}"
        stats.setdefault(key, {})
        for value, n in conn.execute(f"SELECT {column}, COUNT(*) FROM alerts{where} GROUP BY {column}", params):
            stats[key][value] = n
    stats["by_acknowledged"] = {"true": stats["total"] - stats["unacknowledged"], "false": stats["unacknowledged"]}
    stats["unacknowledged_by_severity"] = _by_severity(conn, dict(mine, acknowledged=False), now)
    stats["by_status"] = {s: count_alerts(conn, dict(mine, status=[s]), now) for s in lc.STATUSES}
    stats["needs_attention_by_severity"] = _by_severity(conn, dict(mine, **NEEDS_ATTENTION), now)
    stats["needs_attention"] = sum(stats["needs_attention_by_severity"].values())
    stats["silenced"] = count_alerts(conn, dict(mine, status=["open", "acknowledged", "shelved"], silenced=True), now)
    stats["suppressed"] = count_alerts(conn, dict(mine, status=["open", "acknowledged", "shelved"], suppressed=True), now)
    stats["flapping"] = count_alerts(conn, dict(mine, flapping=True), now)
    row = conn.execute("SELECT MIN(timestamp), MAX(timestamp) FROM alerts" + where, params).fetchone()
    stats["oldest"], stats["newest"] = row[0], row[1]
    return stats


def _by_severity(conn, filters: dict, now: str) -> dict:
    counts = {s: 0 for s in SEVERITIES}
    active = _active(conn, filters, now)
    if _nothing_silenced(filters, active):
        return counts
    where, params = build_where(filters, now, active)
    index = covering_index(filters)
    indexed = f" INDEXED BY {index}" if index else ""
    for value, n in conn.execute(f"SELECT severity, COUNT(*) FROM alerts{indexed}{where} GROUP BY severity", params):
        counts[value] = n
    return counts


def count_by_status_and_severity(conn, now: str = None) -> dict:
    """{(status, severity): count} at `now`, every pair present (0 when none): for /metrics."""
    now = now or utc_now()
    return {(status, severity): n for status in lc.STATUSES
            for severity, n in _by_severity(conn, {"status": [status]}, now).items()}


def count_suppressed(conn, now: str = None) -> int:
    """How many alerts not resolved are the doing of another machine at `now`: for /metrics."""
    return count_alerts(conn, {"status": ["open", "acknowledged", "shelved"], "suppressed": True}, now)
