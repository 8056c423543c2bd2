"""The Vigie database: the only package that speaks SQL.

SQLite in WAL mode so the site builder and scripts read while the API writes.
Only the API writes; other parts open it with `connect(path, readonly=True)`
and call `list_alerts` / `get_stats` / `get_alert`. Every statement is
parameterised.

One module per concern: `schema` (the migrations), `connection` (opening,
migrating, transactions), `checkpoint` (the API workers' background copy of the
write-ahead log into the database file), `rows` (alert rows and their history, as the lifecycle
rules see them), `alerts` (ingest, reads, filters, changes, counts), `silences`,
`history` (an alert's history, time-based changes, what changed since),
`audit` (who changed silences, machines, users), `users` (users, tokens,
sessions). The names below are the package's interface:
`from vigie import db; db.connect(...)`; the silences are `db.silences.*`.
"""

from vigie.db.connection import (  # noqa: F401
    MAX_ROWID, DatabaseError, can_write, connect, fits_rowid, migrate, rows_where_in, transaction, utc_now,
)
from vigie.db.schema import INDEX_COLUMNS, LIVE_INDEX, MIGRATIONS, TIME_INDEX  # noqa: F401
from vigie.db.alerts import (  # noqa: F401
    ALERT_COLUMNS, DEFAULT_FLAP, DEFAULT_ORDERING, EXACT_FILTERS, ORDERING_COLUMNS, acknowledge, act,
    acknowledge_matching, add_note, build_where, count_alerts, covering_index, delete_alert, get_alert, get_alerts,
    get_stats, insert_alerts, iter_alerts, list_alerts, order_by, resolve, set_acknowledged, shelve, unacknowledge, unshelve,
    update_alert,
)
from vigie.db.audit import list_audit, record as record_audit  # noqa: F401
from vigie.db.history import alert_history, changes_since, delete_silence, events_since, settle_due  # noqa: F401
from vigie.db import silences  # noqa: F401,E402
from vigie.db.users import (  # noqa: F401
    ROLES, add_credential, count_live_credentials, count_users, create_user, delete_user, find_credential, find_token, get_token,
    get_user, list_tokens, list_users, revoke_credential, revoke_token, revoke_user_credentials, revoke_user_sessions,
    set_user,
)
from vigie.db import dependencies, logins, notify, teams  # noqa: F401,E402  (db.dependencies.*, db.logins.*, ...)
