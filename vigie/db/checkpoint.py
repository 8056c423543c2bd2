"""Copying the write-ahead log back into the database file beside the writers.

In WAL mode a commit only appends pages to the log; once the log holds
`WAL_CHECKPOINT_PAGES` pages, the commit that got there copies the log into the
database file (a checkpoint, with two fsyncs) before its own answer can go out.
At a batch ingest's pace that is one request in six or seven waiting on about
40 MiB of copying and syncing.

A `Checkpointer` is a thread with its own connection that copies what was
committed once it is told a write happened (`poke`), in PASSIVE mode: it never
waits for, nor holds up, a reader or a writer, and SQLite lets only one
checkpoint run at a time, so a busy one is simply skipped. It runs at most once
per `interval` (a fifth of a second): the writes of that time are copied together,
a page that several of them changed once. The commit that reaches the limit still
runs its own checkpoint, which then finds almost everything copied and synced
already, and starts the log again from its beginning: the log stays as small as
before. Losing the thread (or the process) loses nothing: a checkpoint is an
optimisation SQLite can always do later.
"""

import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("vigie.db")


class Checkpointer:
    def __init__(self, path, interval: float = 0.2):
        self.path = Path(path)
        self.interval = interval
        self.wake = threading.Event()
        self.stopping = False
        self.thread = None
        self.conn = None
        self.runs = 0      # checkpoints run (for tests and curiosity)
        self.last = None   # (busy, frames in the log, frames copied) of the last one
        self.failing = None

    def start(self) -> "Checkpointer":
        self.thread = threading.Thread(target=self._loop, name="vigie-checkpoint", daemon=True)
        self.thread.start()
        return self

    def poke(self) -> None:
        """Something was committed: copy it back soon."""
        self.wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self):
        ran = time.monotonic() - self.interval
        while True:
            self.wake.wait()
            pause = ran + self.interval - time.monotonic()
            if pause > 0 and not self.stopping:
                time.sleep(pause)  # the pokes meanwhile are for the same run
            self.wake.clear()
            if self.stopping:
                break
            self.run_once()
            ran = time.monotonic()
        if self.conn is not None:
            self.conn.close()

    def run_once(self):
        """One PASSIVE checkpoint; (busy, log frames, copied frames), or None when it failed."""
        try:
            if self.conn is None:
                # the database exists (the app made it); never create one here
                self.conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, isolation_level=None,
                                            check_same_thread=False, timeout=1.0)
            self.last = tuple(self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        except sqlite3.Error as exc:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            if str(exc) != self.failing:  # said once, not at every write
                log.warning("background checkpoint of %s failed (commits will do it themselves): %s",
                            self.path, exc)
                self.failing = str(exc)
            return None
        if self.failing is not None:
            log.info("background checkpoint of %s works again", self.path)
            self.failing = None
        self.runs += 1
        return self.last
