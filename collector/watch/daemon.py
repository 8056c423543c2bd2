"""The watcher as a daemon: file events and rescans feed the ingest pump.

A watchdog observer reports files closed after writing, renamed in or created;
an initial scan takes what was there before the start, and a full rescan runs
every `rescan` seconds, and at once when inotify reports that its queue
overflowed, because the kernel drops events under a burst. The daemon is the
pump's source (collector.watch.ingest): it hands over the files that are
ready, claimed. If the observer thread dies, its watch ends or the drop folder
disappears, the daemon stops with a non-zero status so systemd restarts it.
"""

import logging
import os
import queue
import threading
import time
from pathlib import Path

from collector.watch.api_client import AlertClient
from collector.watch.drop_folder import DropFolder, is_alert_file_name, ready
from collector.watch.ingest import Pump

log = logging.getLogger("vigie.watch")


class EventHandler:
    """Turns watchdog events into (kind, path) on a queue; never raises into the observer."""

    KINDS = {"closed": "closed", "moved": "moved", "created": "created"}

    def __init__(self, root: Path, sink: queue.Queue):
        self.root = root
        self.sink = sink

    def dispatch(self, event) -> None:
        try:
            kind = self.KINDS.get(event.event_type)
            if kind is None or event.is_directory:
                return
            path = Path(os.fsdecode(event.dest_path if kind == "moved" else event.src_path))
            if path.parent == self.root and is_alert_file_name(path.name):
                self.sink.put((kind, path))
        except Exception:  # an exception here would kill the observer thread
            log.exception("cannot handle file event %r", event)


class OverflowListener(logging.Filter):
    """watchdog reports a kernel queue overflow only as a log line; hearing it triggers a rescan."""

    def __init__(self):
        super().__init__()
        self.heard = threading.Event()

    def filter(self, record) -> bool:
        if "overflow" in record.getMessage().lower():
            self.heard.set()
        return True


# watchdog holds every IN_MOVED_FROM for 0.5 s, waiting for its IN_MOVED_TO,
# and the events queued behind it wait too. Each claim is a rename out of the
# watched folder, so under that default every file dropped while a batch is
# being claimed would wait half a second. The kernel queues the two halves of
# a rename back to back, so a short wait pairs them just as well; an unpaired
# rename in simply shows as a created file, which the watcher takes too.
MOVE_PAIRING_SECONDS = 0.05


def default_observer():
    from watchdog.observers import Observer

    try:
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
    except ImportError:  # not on Linux: another observer, no pairing delay to shorten
        pass
    else:
        InotifyMoveEventGrouper.delay = MOVE_PAIRING_SECONDS
    return Observer()


class Daemon:
    """Runs the pump on file events until stop() or trouble with the observer."""

    def __init__(self, config, folder: DropFolder, client: AlertClient,
                 make_observer=default_observer, make_handler=EventHandler, linger: float = 0.02):
        self.config = config
        self.folder = folder
        self.pump = Pump(config, folder, client)
        self.client = client
        self.make_observer = make_observer
        self.make_handler = make_handler
        self.linger = linger
        self.events = queue.Queue()
        self.candidates = {}   # path -> (kind, not_before)
        self.stopping = threading.Event()
        self.overflow = OverflowListener()
        self.observer = None
        self.trouble = None
        self.next_rescan = 0.0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> bool:
        """True when stopped by stop(); False when the observer failed and a restart is needed."""
        from watchdog.events import FileClosedEvent, FileCreatedEvent, FileMovedEvent

        self.pump.open()
        watchdog_log = logging.getLogger("watchdog.observers.inotify_c")
        watchdog_log.addFilter(self.overflow)
        observer = self.make_observer()
        try:
            observer.schedule(
                self.make_handler(self.folder.root, self.events), str(self.folder.root), recursive=False,
                event_filter=[FileClosedEvent, FileCreatedEvent, FileMovedEvent],
            )
            observer.start()
            self.observer = observer
            log.info("watching %s, sending to %s", self.folder.root, self.client.base_url)
            self.pump.run(self, self.stopping)
            return self.trouble is None
        finally:
            watchdog_log.removeFilter(self.overflow)
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=5)
            returned = self.pump.close()
            stats = self.pump.stats
            log.info("stopped: %d in, %d rejected since start%s", stats.sent, stats.rejected,
                     f"; {returned} file(s) put back in the drop folder" if returned else "")

    def observer_trouble(self) -> str | None:
        if not self.observer.is_alive():
            return "the file-event observer thread stopped"
        emitters = list(self.observer.emitters)
        if not emitters or not all(e.is_alive() for e in emitters):
            return "the file-event watch ended"
        if not self.folder.root.is_dir():
            return f"the drop folder {self.folder.root} is gone"
        return None

    def _healthy(self) -> bool:
        trouble = self.observer_trouble()
        if trouble:
            log.error("%s: exiting so the service manager restarts the watcher", trouble)
            self.trouble = trouble
            self.stopping.set()
        return trouble is None

    # -- the pump's source -------------------------------------------------------

    def take(self, limit: int) -> list[Path]:
        """Claimed files ready to send, at most `limit`, after a rescan when one is due."""
        if not self._healthy():
            return []
        if time.monotonic() >= self.next_rescan or self.overflow.heard.is_set():
            if self.overflow.heard.is_set():
                self.overflow.heard.clear()
                log.warning("file events were lost (inotify queue overflow); rescanning the folder")
            for path in self.folder.scan():
                self.candidates.setdefault(path, ("scan", 0.0))
            self.next_rescan = time.monotonic() + self.config.rescan
        return self._claim_ready(limit)

    def exhausted(self) -> bool:
        return False

    def wait(self, seconds: float) -> None:
        """Move queued events into candidates, waiting up to `seconds` for the first."""
        if not self._healthy():
            return
        until_rescan = self.next_rescan - time.monotonic()
        try:
            kind, path = self.events.get(timeout=min(seconds, until_rescan) if until_rescan > 0 else seconds)
        except queue.Empty:
            return
        self._note(kind, path)
        deadline = time.monotonic() + self.linger
        while True:
            try:
                kind, path = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            self._note(kind, path)

    def after_outage(self) -> None:
        self.next_rescan = 0.0  # catch up on what arrived meanwhile

    def _note(self, kind: str, path: Path) -> None:
        previous = self.candidates.get(path)
        if previous is None or kind in ("closed", "moved"):
            self.candidates[path] = (kind, 0.0)

    def _claim_ready(self, limit: int) -> list[Path]:
        claimed = []
        now = time.time()
        for path, (kind, not_before) in list(self.candidates.items()):
            if len(claimed) >= limit:
                break
            if not_before > now:
                continue
            if kind in ("closed", "moved"):
                take, recheck = True, None
            else:
                take, recheck = ready(path, self.config.settle, now)
            if not take:
                if recheck is None:
                    del self.candidates[path]
                else:
                    self.candidates[path] = (kind, recheck)
                continue
            del self.candidates[path]
            got = self.folder.claim(path)
            if got:
                claimed.append(got)
        return claimed
