"""The schema of the Vigie database, as numbered migrations applied in order.

`PRAGMA user_version` holds the number of migrations applied; `connection.migrate`
applies the missing ones, one transaction each. A step is an SQL script, or a
function of the connection when it needs Python (computed values). A migration is
never edited once released: a change is a new migration, tested on a database made
by the code before it.
"""

from vigie import roles, severity


def run_script(conn, script: str) -> None:
    """Each statement of `script` in turn, inside the caller's transaction (sqlite3's
    executescript would commit first)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _lifecycle(conn):
    """4: the alert lifecycle. Every alert gets a fingerprint (the default one, from
    server, application, environment, severity and message), first and last seen,
    counts, the deadlines of its states, and a history; silences, the audit of admin
    changes, and the small `meta` table. Existing rows keep everything they had: an
    acknowledged one stays acknowledged (with no end), an INFO one is information and
    resolved from the start, as a new INFO alert is; rows that share a fingerprint stay
    separate rows, and a new alert counts on the newest of them."""
    from vigie import lifecycle

    run_script(conn, _LIFECYCLE_SQL)
    conn.create_function("vigie_fingerprint", 5, lambda *values: lifecycle.fingerprint(
        dict(zip(lifecycle.DEFAULT_FINGERPRINT_FIELDS, values))), deterministic=True)
    conn.execute("UPDATE alerts SET fingerprint = vigie_fingerprint(server, application, environment, severity, message),"
                 " first_seen = timestamp, last_seen = timestamp")
    conn.execute("UPDATE alerts SET resolved_at = timestamp, resolved_by = 'system', resolution = ?"
                 " WHERE severity = ?", (lifecycle.INFORMATION, lifecycle.CLEAR_SEVERITY))
    run_script(conn, _LIFECYCLE_INDEXES)
    conn.execute("INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16)))),"
                 " ('silences_version', '0')")


_LIFECYCLE_SQL = """
    ALTER TABLE alerts ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
    ALTER TABLE alerts ADD COLUMN first_seen TEXT NULL;
    ALTER TABLE alerts ADD COLUMN last_seen TEXT NULL;
    ALTER TABLE alerts ADD COLUMN duplicate_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alerts ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alerts ADD COLUMN ack_until TEXT NULL;
    ALTER TABLE alerts ADD COLUMN shelved_until TEXT NULL;
    ALTER TABLE alerts ADD COLUMN shelved_by TEXT NULL;
    ALTER TABLE alerts ADD COLUMN resolved_at TEXT NULL;
    ALTER TABLE alerts ADD COLUMN resolved_by TEXT NULL;
    ALTER TABLE alerts ADD COLUMN resolution TEXT NULL;
    ALTER TABLE alerts ADD COLUMN timeout INTEGER NULL;
    ALTER TABLE alerts ADD COLUMN expires_at TEXT NULL;
    ALTER TABLE alerts ADD COLUMN flap_changes TEXT NULL;
    ALTER TABLE alerts ADD COLUMN flapping_until TEXT NULL;
    CREATE TABLE alert_sources (
        source_id TEXT PRIMARY KEY,
        alert_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        detail TEXT NULL
    );
    CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
    CREATE TABLE silences (
        id INTEGER PRIMARY KEY,
        matchers TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NULL,
        schedule TEXT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_by TEXT NULL,
        ended_at TEXT NULL
    );
    CREATE TABLE alert_silences (
        alert_id INTEGER NOT NULL,
        silence_id INTEGER NOT NULL,
        linked_at TEXT NOT NULL,
        PRIMARY KEY (alert_id, silence_id)
    ) WITHOUT ROWID;
    CREATE INDEX alert_silences_silence ON alert_silences (silence_id, alert_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target_kind TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID
"""

# The alerts that are not resolved by hand or by an INFO (the live ones, few beside the
# resolved ones), by time, with every column their state at a given moment depends on:
# "open, not silenced" is read from this index alone, newest first.
_LIFECYCLE_INDEXES = """
    CREATE INDEX alerts_fingerprint ON alerts (fingerprint);
    CREATE INDEX alerts_live ON alerts (timestamp, acknowledged, ack_until, shelved_until, expires_at, severity)
        WHERE resolved_at IS NULL;
    CREATE INDEX alerts_flapping ON alerts (flapping_until) WHERE flapping_until IS NOT NULL;
    CREATE INDEX alerts_deadlines ON alerts (expires_at) WHERE expires_at IS NOT NULL AND resolved_at IS NULL;
    CREATE INDEX alerts_ack_deadlines ON alerts (ack_until) WHERE ack_until IS NOT NULL;
    CREATE INDEX alerts_shelve_deadlines ON alerts (shelved_until) WHERE shelved_until IS NOT NULL
"""


# Notifications and teams. The outbox (notify_events) is written by the API in the
# same transaction as the alert change it tells of; the notifier reads and deletes
# it, keeps what each rule told of each alert (notify_tracks), groups what is to be
# told into messages and records every delivery attempt. Channel URLs are secrets.
_NOTIFY_SQL = """
    CREATE TABLE teams (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE TABLE team_members (
        team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (team_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX team_members_user ON team_members (user_id, team_id);
    CREATE TABLE notify_channels (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        team_id INTEGER NULL REFERENCES teams (id) ON DELETE SET NULL,
        admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE notify_rules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        team_id INTEGER NULL REFERENCES teams (id) ON DELETE CASCADE,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE notify_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE notify_tracks (
        rule_id INTEGER NOT NULL,
        alert_id INTEGER NOT NULL,
        since TEXT NOT NULL,
        step INTEGER NOT NULL,
        last_told_at TEXT NULL,
        state TEXT NOT NULL,
        check_at TEXT NULL,
        PRIMARY KEY (rule_id, alert_id)
    ) WITHOUT ROWID;
    CREATE INDEX notify_tracks_check ON notify_tracks (check_at) WHERE check_at IS NOT NULL;
    CREATE INDEX notify_tracks_state ON notify_tracks (state, rule_id);
    CREATE TABLE notify_messages (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER NULL,
        channel_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('grouping', 'pending', 'delivered', 'failed')),
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        title TEXT NULL,
        body TEXT NULL,
        payload TEXT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at TEXT NULL,
        last_error TEXT NULL
    );
    CREATE INDEX notify_messages_due ON notify_messages (state, due_at, id);
    CREATE INDEX notify_messages_group ON notify_messages (rule_id, channel_id) WHERE state = 'grouping';
    CREATE TABLE notify_message_alerts (
        message_id INTEGER NOT NULL REFERENCES notify_messages (id) ON DELETE CASCADE,
        alert_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (message_id, alert_id)
    ) WITHOUT ROWID;
    CREATE INDEX notify_message_alerts_alert ON notify_message_alerts (alert_id, message_id);
    CREATE TABLE notify_attempts (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES notify_messages (id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        finished_at TEXT NULL,
        ok INTEGER NULL,
        answer TEXT NULL
    );
    CREATE INDEX notify_attempts_message ON notify_attempts (message_id, id);
    CREATE TABLE notify_parts (
        part TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        since TEXT NOT NULL
    ) WITHOUT ROWID
"""


def _fingerprint_keys(conn):
    """6: alerts are looked up by an integer key of their fingerprint
    (`lifecycle.fingerprint_key`) instead of the text: the index of 64-character
    hashes was the largest of the table, and a batch of new alerts, spread at random
    over it, rewrote most of its pages. Every existing row gets its key."""
    from vigie import lifecycle

    conn.execute("ALTER TABLE alerts ADD COLUMN fingerprint_key INTEGER NOT NULL DEFAULT 0")
    conn.create_function("vigie_fingerprint_key", 1, lifecycle.fingerprint_key, deterministic=True)
    conn.execute("UPDATE alerts SET fingerprint_key = vigie_fingerprint_key(fingerprint)")
    conn.execute("DROP INDEX alerts_fingerprint")
    conn.execute("CREATE INDEX alerts_fingerprint_key ON alerts (fingerprint_key)")


def _source_keys(conn):
    """7: every source id sent (the one that made an alert, and each one counted on it)
    is one row of `alert_source_keys`, looked up by an integer key of the text
    (`lifecycle.source_key`). Before, a source id was found in the unique index of
    `alerts.source_id` or in `alert_sources`, two indexes of 70-character texts where
    each new id (a hash, as the watcher makes them) landed at a random place: the
    largest share of the pages a batch wrote. The alerts table is rebuilt without
    that unique index (its source_id stays, as the API shows it), with every other
    index as it was; alert_sources is replaced."""
    from vigie import lifecycle

    table = conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'alerts'").fetchone()[0]
    indexes = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'index'"
                                              " AND tbl_name = 'alerts' AND sql IS NOT NULL")]
    columns = ", ".join(name for _, name, *_ in conn.execute("PRAGMA table_info(alerts)"))
    rebuilt = table.replace("CREATE TABLE alerts", "CREATE TABLE alerts_rebuilt", 1)
    rebuilt = rebuilt.replace("source_id TEXT UNIQUE NULL", "source_id TEXT NULL", 1)
    conn.execute(rebuilt)
    conn.execute(f"INSERT INTO alerts_rebuilt ({columns}) SELECT {columns} FROM alerts")
    conn.execute("DROP TABLE alerts")
    conn.execute("ALTER TABLE alerts_rebuilt RENAME TO alerts")
    for sql in indexes:
        conn.execute(sql)
    conn.create_function("vigie_source_key", 1, lifecycle.source_key, deterministic=True)
    conn.execute("CREATE TABLE alert_source_keys (key INTEGER NOT NULL, source_id TEXT NOT NULL,"
                 " alert_id INTEGER NOT NULL)")
    conn.execute("INSERT INTO alert_source_keys (key, source_id, alert_id)"
                 " SELECT vigie_source_key(source_id), source_id, id FROM alerts WHERE source_id IS NOT NULL"
                 " UNION ALL SELECT vigie_source_key(source_id), source_id, alert_id FROM alert_sources")
    conn.execute("DROP TABLE alert_sources")
    conn.execute("CREATE INDEX alert_source_keys_key ON alert_source_keys (key)")


# 8: failed and successful logins, counted in the database so that every worker of the
# API sees the same (vigie/api/throttle.py); times are Unix seconds.
_LOGINS_SQL = """
    CREATE TABLE login_failures (
        address TEXT NOT NULL,
        username TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_at REAL NOT NULL,
        PRIMARY KEY (address, username)
    ) WITHOUT ROWID;
    CREATE INDEX login_failures_last ON login_failures (last_at);
    CREATE TABLE login_successes (
        username TEXT NOT NULL,
        address TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (username, address)
    ) WITHOUT ROWID;
    CREATE INDEX login_successes_at ON login_successes (at)
"""


# 9: dependencies. An alert that is the doing of another machine (a device unreachable
# behind a machine that is down, a port whose cable leads to it: vigie/dependencies.py)
# names that machine and its alert; the down alerts not resolved are found through a
# small index of their own, those suppressed by an alert through another. The notifier
# keeps, for each rule, until when an alert's first telling is held back.
_DEPENDENCIES_SQL = """
    ALTER TABLE alerts ADD COLUMN suppressed_by TEXT NULL;
    ALTER TABLE alerts ADD COLUMN suppressed_by_alert INTEGER NULL;
    CREATE INDEX alerts_down_conditions ON alerts (fingerprint) WHERE resolved_at IS NULL AND fingerprint LIKE 'snmp:%';
    CREATE INDEX alerts_suppressed ON alerts (suppressed_by_alert) WHERE suppressed_by_alert IS NOT NULL
        AND resolved_at IS NULL;
    ALTER TABLE notify_tracks ADD COLUMN held_until TEXT NULL
"""


MIGRATIONS = [
    # 1: alerts, users, tokens, sessions. The severity and role CHECKs come from their
    # one definition (vigie/severities.txt, vigie/roles.py); changing either needs a new
    # migration that rebuilds the table (tests/test_severity.py and
    # tests/test_api_structure.py check the text released).
    f"""
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        timestamp TEXT NOT NULL,
        server TEXT NOT NULL,
        severity TEXT NOT NULL CHECK ({severity.sql_check('severity')}),
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
        role TEXT NOT NULL CHECK ({roles.sql_check('role')}),
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
    _lifecycle,  # 4
    _NOTIFY_SQL,  # notifications and teams
    _fingerprint_keys,  # 6
    _source_keys,  # 7
    _LOGINS_SQL,  # 8
    _DEPENDENCIES_SQL,  # 9
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

LIVE_INDEX = "alerts_live"
