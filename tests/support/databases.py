"""Databases with the current schema in a couple of milliseconds, for tests.

Running every migration (`vigie.db.connect` on a new file) takes 40 to 70 ms; the
tests need hundreds of fresh databases. The first call in a process migrates one
template database and keeps its bytes; each call then writes a copy:

    path = databases.migrated(tmp_path / "vigie.db")    # then db.connect(path), make_app(path, ...)
    databases.copy(template_path, tmp_path / "vigie.db")  # a database some fixture filled once

A copy is what `db.connect` would have made: the same schema and version, WAL mode,
mode 0640, and its own instance id (the `meta` row the in-process caches are keyed by,
so two copies never share a cached silence list). A migration that stores another value
meant to differ between databases must have it drawn again in `_write`.
Migration tests start from `tests/support/earlier_db.py` instead.
"""

import functools
import os
import secrets
import sqlite3
import tempfile
from pathlib import Path

from vigie import db
from vigie.db.connection import FILE_MODE


def image(path) -> tuple:
    """(bytes, instance id) of a database: its whole content, write-ahead log copied in."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise RuntimeError(f"{path} is being written: its log cannot be copied in")
        instance = conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]
    finally:
        conn.close()
    return Path(path).read_bytes(), instance


@functools.cache
def _template() -> tuple:
    """The image of a database every migration of this code was applied to, made once."""
    with tempfile.TemporaryDirectory(prefix="vigie-template-") as folder:
        path = Path(folder) / "template.db"
        db.connect(path).close()
        return image(path)


def _write(path, source: tuple) -> Path:
    """A new file holding the image `source` under an instance id of its own, with the
    mode db.connect gives a database it creates. The id is a random value of 32 hex
    digits stored once, in the `meta` table: its bytes are replaced by another value of
    the same length, which leaves every page valid (an UPDATE would cost 10 to 20 ms)."""
    data, instance = source
    assert data.count(instance.encode()) == 1, "the instance id is not where it was expected"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as file:
        file.write(data.replace(instance.encode(), secrets.token_hex(16).encode()))
    return path


def migrated(path) -> Path:
    """A new database at `path` with every migration applied (a copy of this process's
    template); an existing file is left as it is, as db.connect would."""
    path = Path(path)
    return path if path.exists() else _write(path, _template())


def copy(source, dest) -> Path:
    """A new database at `dest` holding what `source` holds, with its own instance id.
    What `source`'s writers committed is copied, their log included."""
    return _write(dest, image(source))
