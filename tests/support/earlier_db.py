"""A database as an earlier version of the code made it, for migration tests."""

import sqlite3
from contextlib import contextmanager

from vigie import db


@contextmanager
def made_up_to(path, version: int):
    """A connection to a new database at `path` with the migrations up to `version`
    applied, as the code of that version left it; what the block writes through it
    is committed when the block ends."""
    raw = sqlite3.connect(path)
    try:
        db.migrate(raw, upto=version)
        yield raw
        raw.commit()
    finally:
        raw.close()
