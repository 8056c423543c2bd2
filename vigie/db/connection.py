"""Opening the database: WAL mode, the schema brought up to date, transactions."""

import logging
import os
import sqlite3
from pathlib import Path

from vigie.db.schema import MIGRATIONS, run_script
from vigie.utc import now_iso as utc_now


log = logging.getLogger("vigie.db")

FILE_MODE = 0o640  # SQLite gives its -wal and -shm files the mode of the database file
# A commit copies the write-ahead log back into the database (two fsyncs) once the log
# holds this many pages. SQLite's 1,000 (4 MiB) made nearly every batch of 1,000 alerts
# (about 1,400 pages) pay for a checkpoint of its own; at 10,000 (40 MiB) one in seven
# does, and a page written by several batches is copied once. In the API, the workers'
# background checkpoint (checkpoint.py) has copied most of the log by then.
WAL_CHECKPOINT_PAGES = 10_000


# Python's sqlite3 binds None as NULL, but first looks for an adapter of it: two
# failing attribute lookups per NULL parameter, 4% of an ingest's instructions (a new
# alert row has a dozen NULL columns). A registered adapter is found at once; NULL
# is still what gets bound.
sqlite3.register_adapter(type(None), lambda value: value)


class DatabaseError(RuntimeError):
    pass


def create_private(path: Path):
    """Create an empty database file readable by its owner and group only (a new
    file would otherwise get the umask's mode, often world-readable)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass


def connect(path, readonly: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection in WAL mode; readonly ones cannot write, writable ones get the schema."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise DatabaseError(f"database {path} does not exist")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout,
                               check_same_thread=False, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            create_private(path)
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        conn.execute("PRAGMA foreign_keys=ON")
        try:
            migrate(conn)
        except DatabaseError as exc:
            conn.close()
            raise DatabaseError(f"database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    conn.execute("PRAGMA cache_size=-8192")  # 8 MiB of pages per connection (default 2 MiB)
    return conn


def migrate(conn, upto: int = None) -> int:
    """Apply the missing migrations in one transaction each, all of them or up to
    version `upto` (a database as an earlier version of the code made it); return the
    schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    refuse_newer(version)
    target = len(MIGRATIONS[:upto])
    if 0 < version < target:  # a rebuild of a large table takes a while: say what is going on
        log.info("upgrading the database schema from version %d to %d", version, target)
    for number, script in enumerate(MIGRATIONS[version:upto], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current < number:  # another process may have migrated meanwhile
                if callable(script):  # a step that needs Python (computed values)
                    script(conn)
                else:
                    run_script(conn, script)
                conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return conn.execute("PRAGMA user_version").fetchone()[0]


def refuse_newer(version: int) -> None:
    """A database whose schema is newer than this code knows (written by a later
    version of Vigie) is never used: its tables may mean what this code cannot tell."""
    if version > len(MIGRATIONS):
        raise DatabaseError(f"its schema is version {version}, newer than this version of Vigie knows "
                            f"({len(MIGRATIONS)}): it was written by a later Vigie. Run that version, "
                            "or restore a backup made by this one")


def can_write(conn, wait_seconds: float = 0.2) -> bool:
    """Whether a write could start now: False while another connection holds the write
    lock (after waiting `wait_seconds`); raises sqlite3.Error when the database cannot be
    written at all (read-only file or folder, I/O error). Nothing is written: the
    transaction is rolled back."""
    before = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={before}")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version={version}")  # a write of the header, never committed
    finally:
        conn.execute("ROLLBACK")
    return True


class transaction:
    """`with transaction(conn):` BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind, value, tb):
        self.conn.execute("ROLLBACK" if kind else "COMMIT")
        return False


MAX_ROWID = 2 ** 63 - 1


def fits_rowid(value: int) -> bool:
    """Whether an id from a URL fits SQLite's 64-bit rowid (a larger one matches no row)."""
    return -MAX_ROWID - 1 <= value <= MAX_ROWID


def rows_where_in(conn, select: str, column: str, values, params=(), order: str = None):
    """Rows of `select WHERE column IN (values)`, in chunks under SQLite's variable limit
    (`params`: those of `select` itself; `order`: each chunk's ORDER BY)."""
    values = list(values)
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        sql = f"{select} WHERE {column} IN ({','.join('?' * len(chunk))})" + (f" ORDER BY {order}" if order else "")
        yield from conn.execute(sql, list(params) + chunk)
