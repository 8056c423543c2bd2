"""Notification tables: channels, rules, the outbox, tracks, messages and attempts.

The outbox (`notify_events`) is written with `add_events` inside the transaction of
the alert change it tells of, so a change is never kept without its notification,
nor a notification without its change. The notifier (vigie/notify/daemon.py) is
the only other writer: functions marked "in the caller's transaction" expect it to
hold one (`with transaction(conn):`), so that taking an event and writing what it
caused, or finishing an attempt and marking its message, happen all at once.
"""

import json

from vigie.db.connection import rows_where_in, transaction, utc_now

# ---------------------------------------------------------------- channels

_CHANNEL = "SELECT c.id, c.name, c.url, c.admin, c.created_at, c.updated_at, t.name AS team" \
           " FROM notify_channels c LEFT JOIN teams t ON t.id = c.team_id"


def _channel(row) -> dict:
    return dict(row, admin=bool(row["admin"]))


def list_channels(conn) -> list:
    """Every channel, its URL included: callers mask it before it leaves."""
    return [_channel(r) for r in conn.execute(_CHANNEL + " ORDER BY c.name")]


def get_channel(conn, name: str = None, channel_id: int = None):
    if channel_id is not None:
        row = conn.execute(_CHANNEL + " WHERE c.id = ?", (channel_id,)).fetchone()
    else:
        row = conn.execute(_CHANNEL + " WHERE c.name = ?", (name,)).fetchone()
    return _channel(row) if row else None


def put_channel(conn, name: str, url: str, team: str = None, admin: bool = False) -> dict:
    """Create the channel or replace its URL, team and admin flag."""
    now = utc_now()
    with transaction(conn):
        team_id = _team_id(conn, team)
        if conn.execute("SELECT 1 FROM notify_channels WHERE name = ?", (name,)).fetchone():
            conn.execute("UPDATE notify_channels SET url = ?, team_id = ?, admin = ?, updated_at = ? WHERE name = ?",
                         (url, team_id, int(admin), now, name))
        else:
            conn.execute("INSERT INTO notify_channels (name, url, team_id, admin, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (name, url, team_id, int(admin), now, now))
    return get_channel(conn, name)


def delete_channel(conn, name: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM notify_channels WHERE name = ?", (name,)).rowcount > 0


def rules_using_channel(conn, name: str) -> list:
    return [r["name"] for r in list_rules(conn) if any(name in s["channels"] for s in r["steps"])]


def _team_id(conn, team):
    if team is None:
        return None
    row = conn.execute("SELECT id FROM teams WHERE name = ?", (team,)).fetchone()
    if row is None:
        raise KeyError(team)
    return row[0]


# ---------------------------------------------------------------- rules

_RULE = "SELECT r.id, r.name, r.enabled, r.spec, r.team_id, r.created_at, r.updated_at, t.name AS team" \
        " FROM notify_rules r LEFT JOIN teams t ON t.id = r.team_id"


def _rule(row) -> dict:
    spec = json.loads(row["spec"])
    return dict(spec, id=row["id"], name=row["name"], enabled=bool(row["enabled"]), team=row["team"],
                team_id=row["team_id"], created_at=row["created_at"], updated_at=row["updated_at"])


def list_rules(conn, enabled_only: bool = False) -> list:
    where = " WHERE r.enabled = 1" if enabled_only else ""
    return [_rule(r) for r in conn.execute(_RULE + where + " ORDER BY r.name")]


def get_rule(conn, name: str = None, rule_id: int = None):
    if rule_id is not None:
        row = conn.execute(_RULE + " WHERE r.id = ?", (rule_id,)).fetchone()
    else:
        row = conn.execute(_RULE + " WHERE r.name = ?", (name,)).fetchone()
    return _rule(row) if row else None


SPEC_KEYS = ("match", "events", "steps", "group_wait_seconds", "repeat_minutes")


def put_rule(conn, rule: dict) -> dict:
    """Create or replace a rule (as vigie.notify.rules.normalize_rule returns it)."""
    spec = json.dumps({k: rule[k] for k in SPEC_KEYS}, sort_keys=True)
    now = utc_now()
    with transaction(conn):
        team_id = _team_id(conn, rule["team"])
        if conn.execute("SELECT 1 FROM notify_rules WHERE name = ?", (rule["name"],)).fetchone():
            conn.execute("UPDATE notify_rules SET team_id = ?, enabled = ?, spec = ?, updated_at = ? WHERE name = ?",
                         (team_id, int(rule["enabled"]), spec, now, rule["name"]))
        else:
            conn.execute("INSERT INTO notify_rules (name, team_id, enabled, spec, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (rule["name"], team_id, int(rule["enabled"]), spec, now, now))
    return get_rule(conn, rule["name"])


def delete_rule(conn, name: str) -> bool:
    with transaction(conn):
        row = conn.execute("SELECT id FROM notify_rules WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM notify_tracks WHERE rule_id = ?", (row[0],))
        conn.execute("DELETE FROM notify_rules WHERE id = ?", (row[0],))
        return True


def forget_alert(conn, alert_id: int) -> None:
    """In the caller's transaction (the alert's deletion): what the rules tracked of it
    goes too, so that the notifier stops looking at it again at each pass. The
    messages already sent, and its history, stay. Tracks are keyed (rule_id, alert_id):
    naming the rules makes it one key look-up per rule, not a read of every track."""
    conn.execute("DELETE FROM notify_tracks WHERE rule_id IN (SELECT id FROM notify_rules) AND alert_id = ?",
                 (alert_id,))


def any_rule_enabled(conn) -> bool:
    return conn.execute("SELECT 1 FROM notify_rules WHERE enabled = 1 LIMIT 1").fetchone() is not None


# ---------------------------------------------------------------- the outbox

# History kinds that change whether an alert needs telling -> the outbox kind. The
# others (acknowledged, shelved, silenced, expiries...) reach the notifier through
# the history (vigie.db.history.changes_since).
OUTBOX_KINDS = {"created": "opened", "reopened": "reopened", "resolved": "resolved", "clear": "resolved",
                "timed_out": "resolved", "flapping": "flapping"}


def add_events_for_history(conn, pairs, at: str) -> None:
    """In the caller's transaction (the alert change's): the outbox entries for these
    history entries [(alert_id, event)], when some rule may want them."""
    wanted = [(alert_id, OUTBOX_KINDS[e["kind"]], at) for alert_id, e in pairs if e["kind"] in OUTBOX_KINDS]
    if wanted and any_rule_enabled(conn):
        add_events(conn, wanted)


def add_events(conn, events) -> None:
    """[(alert_id, kind, at)] into the outbox, in the caller's transaction."""
    conn.executemany("INSERT INTO notify_events (alert_id, kind, at) VALUES (?, ?, ?)", list(events))


def first_events(conn, limit: int = 1000) -> list:
    return [dict(r) for r in conn.execute("SELECT id, alert_id, kind, at FROM notify_events ORDER BY id LIMIT ?",
                                          (limit,))]


def drop_events_up_to(conn, last_id: int) -> None:
    """In the caller's transaction: the events up to last_id are taken."""
    conn.execute("DELETE FROM notify_events WHERE id <= ?", (last_id,))


def outbox_size(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM notify_events").fetchone()[0]


# ---------------------------------------------------------------- tracks

_TRACK_COLUMNS = "rule_id, alert_id, since, step, last_told_at, state, check_at, held_until"


def get_tracks(conn, rule_id: int, alert_ids) -> dict:
    """alert_id -> track row (dict) of this rule."""
    alert_ids, found = list(alert_ids), {}
    for start in range(0, len(alert_ids), 500):
        chunk = alert_ids[start:start + 500]
        for row in conn.execute(f"SELECT {_TRACK_COLUMNS} FROM notify_tracks WHERE rule_id = ? AND alert_id IN"
                                f" ({','.join('?' * len(chunk))})", [rule_id] + chunk):
            found[row["alert_id"]] = dict(row)
    return found


def put_track(conn, rule_id: int, alert_id: int, since, step, last_told_at, state, check_at,
              held_until=None) -> None:
    """In the caller's transaction."""
    conn.execute(f"INSERT OR REPLACE INTO notify_tracks ({_TRACK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (rule_id, alert_id, since, step, last_told_at, state, check_at, held_until))


def due_tracks(conn, now: str, limit: int = 1000) -> list:
    return [dict(r) for r in conn.execute(f"SELECT {_TRACK_COLUMNS} FROM notify_tracks WHERE check_at <= ?"
                                          " ORDER BY check_at LIMIT ?", (now, limit))]


def tracks_in_state(conn, state: str, after=(0, 0), limit: int = 1000) -> list:
    """Tracks in a state, by (rule_id, alert_id) after `after`: a page of them."""
    return [dict(r) for r in conn.execute(
        f"SELECT {_TRACK_COLUMNS} FROM notify_tracks WHERE state = ? AND (rule_id, alert_id) > (?, ?)"
        " ORDER BY rule_id, alert_id LIMIT ?", (state, after[0], after[1], limit))]


def told_unresolved(conn, rule_ids) -> list:
    """Ids of the alerts these rules told of and did not tell resolved."""
    rule_ids = list(rule_ids)
    if not rule_ids:
        return []
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT alert_id FROM notify_tracks WHERE rule_id IN ({','.join('?' * len(rule_ids))})"
        " AND step >= 0 AND state != 'resolved' ORDER BY alert_id", rule_ids)]


# ---------------------------------------------------------------- messages

def add_to_group(conn, rule_id: int, channel_id: int, alert_id: int, kind: str, now: str, due_at: str) -> int:
    """In the caller's transaction: the alert joins the rule's open message for the
    channel (made now, closing at due_at, if there is none); a later kind for the same
    alert replaces the earlier one. Returns the message id."""
    row = conn.execute("SELECT id FROM notify_messages WHERE state = 'grouping' AND rule_id = ? AND channel_id = ?",
                       (rule_id, channel_id)).fetchone()
    if row is None:
        message_id = conn.execute("INSERT INTO notify_messages (rule_id, channel_id, kind, state, created_at, due_at)"
                                  " VALUES (?, ?, 'alerts', 'grouping', ?, ?)",
                                  (rule_id, channel_id, now, due_at)).lastrowid
    else:
        message_id = row[0]
    conn.execute("INSERT INTO notify_message_alerts (message_id, alert_id, kind, seq) VALUES (?, ?, ?,"
                 " (SELECT COUNT(*) FROM notify_message_alerts WHERE message_id = ?))"
                 " ON CONFLICT (message_id, alert_id) DO UPDATE SET kind = excluded.kind",
                 (message_id, alert_id, kind, message_id))
    return message_id


def add_message(conn, channel_id: int, kind: str, title: str, body: str, payload, now: str, rule_id=None) -> int:
    """In the caller's transaction: a message ready to send (a test, a heartbeat)."""
    return conn.execute("INSERT INTO notify_messages (rule_id, channel_id, kind, state, created_at, due_at, title,"
                        " body, payload) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                        (rule_id, channel_id, kind, now, now, title, body,
                         None if payload is None else json.dumps(payload))).lastrowid


def closed_groups(conn, now: str) -> list:
    """Messages still grouping whose group wait is over."""
    return [dict(r) for r in conn.execute("SELECT id, rule_id, channel_id, created_at FROM notify_messages"
                                          " WHERE state = 'grouping' AND due_at <= ? ORDER BY id", (now,))]


def message_alerts(conn, message_id: int) -> list:
    """[(alert_id, kind)] of a message, in the order they joined it."""
    return [(r[0], r[1]) for r in conn.execute("SELECT alert_id, kind FROM notify_message_alerts"
                                               " WHERE message_id = ? ORDER BY seq", (message_id,))]


def seal_message(conn, message_id: int, title: str, body: str, payload, now: str) -> None:
    """In the caller's transaction: the group is closed, its text fixed, ready to send."""
    conn.execute("UPDATE notify_messages SET state = 'pending', title = ?, body = ?, payload = ?, due_at = ?"
                 " WHERE id = ?", (title, body, None if payload is None else json.dumps(payload), now, message_id))


def drop_message(conn, message_id: int) -> None:
    conn.execute("DELETE FROM notify_messages WHERE id = ?", (message_id,))


_MESSAGE = ("SELECT id, rule_id, channel_id, kind, state, created_at, due_at, title, body, payload, attempts,"
            " delivered_at, last_error FROM notify_messages")


def _message(row) -> dict:
    message = dict(row)
    message["payload"] = json.loads(message["payload"]) if message["payload"] else None
    return message


def due_messages(conn, now: str, limit: int = 100) -> list:
    """Pending messages whose time has come, oldest first."""
    return [_message(r) for r in conn.execute(_MESSAGE + " WHERE state = 'pending' AND due_at <= ?"
                                              " ORDER BY due_at, id LIMIT ?", (now, limit))]


def get_message(conn, message_id: int):
    row = conn.execute(_MESSAGE + " WHERE id = ?", (message_id,)).fetchone()
    return _message(row) if row else None


# ---------------------------------------------------------------- attempts

def start_attempt(conn, message_id: int, now: str) -> int:
    """Recorded (and committed) before the message leaves."""
    with transaction(conn):
        return conn.execute("INSERT INTO notify_attempts (message_id, started_at) VALUES (?, ?)",
                            (message_id, now)).lastrowid


def finish_attempt(conn, attempt_id: int, message_id: int, ok: bool, answer: str, now: str,
                   retry_at: str = None, channel_id: int = None) -> None:
    """The attempt's answer and the message's new state, at once: delivered; or
    pending again at retry_at (and the channel's other pending messages not before
    it); or failed for good when retry_at is None."""
    with transaction(conn):
        conn.execute("UPDATE notify_attempts SET finished_at = ?, ok = ?, answer = ? WHERE id = ?",
                     (now, int(ok), answer, attempt_id))
        if ok:
            conn.execute("UPDATE notify_messages SET state = 'delivered', delivered_at = ?, attempts = attempts + 1,"
                         " last_error = NULL WHERE id = ?", (now, message_id))
        elif retry_at is not None:
            conn.execute("UPDATE notify_messages SET due_at = ?, attempts = attempts + 1, last_error = ?"
                         " WHERE id = ?", (retry_at, answer, message_id))
            if channel_id is not None:
                conn.execute("UPDATE notify_messages SET due_at = ? WHERE state = 'pending' AND channel_id = ?"
                             " AND due_at < ?", (retry_at, channel_id, retry_at))
        else:
            conn.execute("UPDATE notify_messages SET state = 'failed', attempts = attempts + 1, last_error = ?"
                         " WHERE id = ?", (answer, message_id))


def failed_attempts(conn, message_id: int) -> int:
    return conn.execute("SELECT COUNT(*) FROM notify_attempts WHERE message_id = ? AND ok = 0",
                        (message_id,)).fetchone()[0]


def close_interrupted_attempts(conn, now: str) -> int:
    """Attempts that were started but never answered (the notifier was killed during
    them): closed as interrupted. Their messages are still pending and go again."""
    with transaction(conn):
        return conn.execute("UPDATE notify_attempts SET finished_at = ?, ok = 0, answer = 'interrupted: the notifier"
                            " stopped before the channel answered; sent again' WHERE finished_at IS NULL",
                            (now,)).rowcount


def attempts_of(conn, message_ids) -> dict:
    found = {i: [] for i in message_ids}
    for row in rows_where_in(conn, "SELECT id, message_id, started_at, finished_at, ok, answer FROM notify_attempts",
                             "message_id", message_ids):
        attempt = dict(row)
        attempt["ok"] = None if attempt["ok"] is None else bool(attempt["ok"])
        found[row["message_id"]].append(attempt)
    for attempts in found.values():
        attempts.sort(key=lambda a: a["id"])
    return found


def notifications_of_alert(conn, alert_id: int, limit: int = 200) -> list:
    """What was told of this alert, where and when, and what failed: newest first."""
    rows = conn.execute(
        "SELECT m.id, m.kind AS message_kind, a.kind, m.state, m.created_at, m.due_at, m.title, m.attempts,"
        " m.delivered_at, m.last_error, c.name AS channel, r.name AS rule"
        " FROM notify_message_alerts a JOIN notify_messages m ON m.id = a.message_id"
        " LEFT JOIN notify_channels c ON c.id = m.channel_id LEFT JOIN notify_rules r ON r.id = m.rule_id"
        " WHERE a.alert_id = ? ORDER BY m.id DESC LIMIT ?", (alert_id, limit)).fetchall()
    attempts = attempts_of(conn, [r["id"] for r in rows])
    return [dict(r, attempts=attempts[r["id"]]) for r in rows]


def prune_messages(conn, before: str) -> int:
    """Delivered or failed messages older than `before` go (with their attempts)."""
    with transaction(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM notify_messages WHERE state IN ('delivered', 'failed')"
                                          " AND created_at < ? LIMIT 10000", (before,))]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            conn.execute(f"DELETE FROM notify_attempts WHERE message_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM notify_message_alerts WHERE message_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM notify_messages WHERE id IN ({marks})", chunk)
        return len(ids)


def message_counts(conn) -> dict:
    return {state: n for state, n in conn.execute("SELECT state, COUNT(*) FROM notify_messages GROUP BY state")}


# ---------------------------------------------------------------- the history cursor

CURSOR_KEY = "notify_history_cursor"


def history_cursor(conn):
    """The id of the last history entry the notifier has looked at (None: never)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return int(row[0]) if row else None


def set_history_cursor(conn, last_id: int) -> None:
    """In the caller's transaction."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (CURSOR_KEY, str(int(last_id))))


def last_history_id(conn) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM alert_events").fetchone()[0]


# ---------------------------------------------------------------- Vigie's own parts

def part_states(conn) -> dict:
    return {r[0]: {"state": r[1], "since": r[2]} for r in conn.execute("SELECT part, state, since FROM notify_parts")}


def set_part_state(conn, part: str, state: str, since: str) -> None:
    """In the caller's transaction."""
    conn.execute("INSERT OR REPLACE INTO notify_parts (part, state, since) VALUES (?, ?, ?)", (part, state, since))
