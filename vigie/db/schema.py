"""The schema of the Vigie database, as numbered migrations applied in order.

`PRAGMA user_version` holds the number of migrations applied; `connection.migrate`
applies the missing ones, one transaction each. A migration is never edited once
released: a change is a new migration, tested on a database made by the code
before it.
"""

from vigie import roles, severity

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
