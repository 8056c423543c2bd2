"""The background checkpoint (vigie/db/checkpoint.py) on real SQLite files, and in the
real server: what a write committed reaches the database file itself soon after,
without waiting for a commit to fill the write-ahead log.

"In the database file itself" is read through SQLite's `immutable=1`, which ignores
the write-ahead log: a row shows there only once a checkpoint copied it."""

import logging
import sqlite3
import time

import pytest
import requests

from tests.support import databases
from tests.support.api_server import start_api
from tests.support.api_wsgi import alert
from vigie import db
from vigie.db.checkpoint import Checkpointer


def in_file(path, sql):
    """`sql` answered from the database file alone, the write-ahead log ignored (None
    while a checkpoint is halfway through writing the pages it reads)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def wait_for(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def writer(tmp_path):
    """A connection that never checkpoints by itself, and its database holding one table."""
    path = databases.migrated(tmp_path / "vigie.db")
    conn = db.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE marks (text TEXT)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the table itself is in the file
    yield path, conn
    conn.close()


def test_a_poke_copies_what_was_committed_into_the_database_file(writer):
    path, conn = writer
    conn.execute("INSERT INTO marks VALUES ('first')")
    assert in_file(path, "SELECT text FROM marks") == []  # only in the log so far
    checkpointer = Checkpointer(path).start()
    try:
        checkpointer.poke()
        # its count goes up once the checkpoint and its figures are done (the file shows the row a moment before)
        assert wait_for(lambda: checkpointer.runs > 0)
        assert in_file(path, "SELECT text FROM marks") == [("first",)]
        busy, logged, copied = checkpointer.last
        assert busy == 0 and logged == copied > 0
        conn.execute("INSERT INTO marks VALUES ('second')")
        runs = checkpointer.runs
        checkpointer.poke()
        assert wait_for(lambda: checkpointer.runs > runs)
        assert sorted(in_file(path, "SELECT text FROM marks")) == [("first",), ("second",)]
    finally:
        checkpointer.stop()
    assert not checkpointer.thread.is_alive()


def test_the_writes_of_one_interval_are_copied_together(writer):
    path, conn = writer
    checkpointer = Checkpointer(path, interval=0.5).start()
    try:
        checkpointer.poke()
        assert wait_for(lambda: checkpointer.runs == 1)
        for n in range(5):  # within the half second after that run
            conn.execute("INSERT INTO marks VALUES (?)", (f"burst {n}",))
            checkpointer.poke()
        assert wait_for(lambda: checkpointer.runs == 2)
        time.sleep(0.7)
        assert checkpointer.runs == 2
        assert len(in_file(path, "SELECT text FROM marks")) == 5
    finally:
        checkpointer.stop()


def test_without_a_poke_nothing_runs(writer):
    path, conn = writer
    checkpointer = Checkpointer(path).start()
    try:
        conn.execute("INSERT INTO marks VALUES ('unannounced')")
        time.sleep(0.3)
        assert checkpointer.runs == 0
        assert in_file(path, "SELECT text FROM marks") == []
    finally:
        checkpointer.stop()


def test_it_never_holds_up_a_writer(writer):
    """A writer in the middle of a transaction: the checkpoint copies what was committed
    before it (PASSIVE), and the writer commits at once afterwards."""
    path, conn = writer
    conn.execute("INSERT INTO marks VALUES ('committed')")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO marks VALUES ('pending')")
    checkpointer = Checkpointer(path)
    try:
        assert checkpointer.run_once() is not None
        assert in_file(path, "SELECT text FROM marks") == [("committed",)]
        conn.execute("COMMIT")
    finally:
        checkpointer.stop()
    assert db.connect(path).execute("SELECT count(*) FROM marks").fetchone()[0] == 2


def test_a_failure_is_told_once_and_its_end_too(tmp_path, caplog):
    path = tmp_path / "later.db"
    checkpointer = Checkpointer(path)
    with caplog.at_level(logging.INFO, logger="vigie.db"):
        assert checkpointer.run_once() is None  # no database yet: never created here
        assert checkpointer.run_once() is None
        assert not path.exists()
        db.connect(path).close()
        assert checkpointer.run_once() is not None
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "failed" in m]) == 1
    assert any("works again" in m for m in messages)
    checkpointer.stop()


def test_none_is_still_stored_as_null(tmp_path):
    """vigie.db.connection registers an adapter for None (a shortcut in Python's
    sqlite3): what gets stored must still be SQL NULL, never a text or a zero."""
    conn = db.connect(tmp_path / "vigie.db")
    conn.execute("CREATE TABLE t (v)")
    conn.executemany("INSERT INTO t VALUES (?)", [(None,), (0,), ("",)])
    assert [tuple(r) for r in conn.execute("SELECT v IS NULL, typeof(v) FROM t ORDER BY rowid")] == [
        (1, "null"), (0, "integer"), (0, "text")]
    conn.close()


@pytest.mark.slow
def test_the_server_copies_each_write_into_the_database_file(tmp_path):
    """A small batch is far below the size at which a commit checkpoints by itself
    (10,000 pages): it reaches the database file only through the worker's
    background checkpoint."""
    server = start_api(tmp_path)
    try:
        batch = [alert(message=f"copied {i}", source_id=f"copy-{i}") for i in range(20)]
        answer = requests.post(server.url + "/api/alert", json=batch, headers=server.operator.headers)
        assert answer.status_code == 201
        assert wait_for(lambda: in_file(server.db_path, "SELECT count(*) FROM alerts WHERE message LIKE 'copied %'")
                        == [(20,)])
    finally:
        server.stop()
