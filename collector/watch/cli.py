"""Ingest the alert files dropped in a folder into the API, losing nothing.

Two modes:
  --once   take every file now in the folder and exit (what the systemd timer runs);
  default  a daemon: a watchdog observer on the folder, an initial scan for files
           that were there before it started, and a periodic rescan, because
           inotify drops events under a burst.

Each file is claimed (collector.watch.drop_folder), parsed (vigie.alert_file), sent in
batches to POST /api/alert with a `source_id` so a resend after a crash makes no
duplicate, then moved to done/ (or deleted) once the API confirms. A file that
does not parse, or that the API refuses, goes to rejected/ with a reason. When
the API is down nothing is rejected: files wait and the watcher retries with
back-off. If the observer thread dies the daemon exits non-zero so systemd
restarts it.
"""

import argparse
import logging
import os
import queue
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from collector.watch import api_client
from collector.watch.api_client import ACCEPTED, ITEM_REFUSED, SETUP, SPLIT, AlertClient
from vigie.alert_file import AlertFileError, parse_bytes, source_id
from collector.watch.drop_folder import DropFolder, is_alert_file_name, open_for_writing, read_limited
from vigie import paths
from vigie.logs import setup_logging

log = logging.getLogger("vigie.watch")

EXIT_OK = 0
EXIT_FILES_LEFT = 1   # the API could not take them: they stay for the next run
EXIT_USAGE = 2

# name: (default, help). Flags override these; the token never comes from a flag.
DEFAULTS = {
    "dir": (paths.ALERTFILES_DIR, "drop folder of alert files (*.txt)"),
    "api": (paths.API_URL, "base URL of the Vigie API"),
    "token_file": (paths.TOKEN_FILE, "file holding an operator token (default: $VIGIE_TOKEN if set, else %(default)s)"),
    "batch_size": (500, "alerts per POST /api/alert"),
    "keep_days": (7.0, "days to keep ingested files in done/; 0 deletes them once the API has them"),
    "rescan": (10.0, "daemon: seconds between full rescans of the folder"),
    "settle": (1.0, "seconds a file must be left untouched before a scan takes it, when it cannot be told "
                    "whether a writer still has it open"),
    "timeout": (30.0, "HTTP timeout in seconds"),
    "max_backoff": (30.0, "longest wait between retries while the API is unavailable"),
}


@dataclass
class Stats:
    files: int = 0
    sent: int = 0
    rejected: int = 0
    left: int = 0
    busy: int = 0


class Backoff:
    """Delays of 0.5 s doubling up to a ceiling, with a little jitter so watchers do not march in step."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0):
        self.first = first
        self.ceiling = ceiling
        self.failures = 0
        self.since = None

    def next_delay(self) -> float:
        if self.failures == 0:
            self.since = time.monotonic()
        self.failures += 1
        delay = min(self.ceiling, self.first * 2 ** (self.failures - 1))
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.failures = 0
        self.since = None


class Ingestor:
    """Claimed files -> parsed records -> POST in batches -> done/ or rejected/."""

    def __init__(self, folder: DropFolder, client: AlertClient, keep_days: float):
        self.folder = folder
        self.client = client
        self.keep_days = keep_days
        self.stats = Stats()
        self.last_failure = None

    def prepare(self, claimed) -> list:
        """(path, alert) for each claimed file that parses; the others go to rejected/."""
        items = []
        for path in claimed:
            self.stats.files += 1
            try:
                record = parse_bytes(read_limited(path))
            except (AlertFileError, ValueError) as exc:
                self._reject(path, str(exc))
                continue
            except FileNotFoundError:
                continue
            except OSError as exc:
                self._reject(path, f"cannot read the file: {exc.strerror}")
                continue
            record["source_id"] = source_id(record, path.name)
            items.append((path, record))
        return items

    def _reject(self, path: Path, reason: str) -> None:
        target = self.folder.reject(path, reason)
        self.stats.rejected += 1
        log.warning("rejected %s: %s (see %s.reason)", path.name, reason, target)

    def send(self, items: list) -> list:
        """Send items; returns those still waiting because the API could not take them."""
        if not items:
            return []
        started = time.monotonic()
        sent_before, rejected_before = self.stats.sent, self.stats.rejected
        left = self._send(list(items))
        sent = self.stats.sent - sent_before
        rejected = self.stats.rejected - rejected_before
        if sent or rejected:
            log.info(
                "batch of %d: %d in, %d rejected by the API, %d waiting, %.2f s",
                len(items), sent, rejected, len(left), time.monotonic() - started,
            )
        return left

    def _send(self, items: list) -> list:
        while items:
            outcome = self.client.post([record for _, record in items])
            if outcome.kind == ACCEPTED:
                for path, _ in items:
                    self.folder.finish(path, self.keep_days)
                self.stats.sent += len(items)
                return []
            if outcome.kind == ITEM_REFUSED:
                path, _ = items.pop(outcome.index)
                self._reject(path, f"the API refused it: {outcome.message}")
                continue
            if outcome.kind == SPLIT:
                if len(items) == 1:
                    self._reject(items[0][0], f"the API refused it: {outcome.message}")
                    return []
                half = len(items) // 2
                left = self._send(items[:half])
                if left:
                    return left + items[half:]
                items = items[half:]
                continue
            self.last_failure = outcome
            return items
        return []


def summary_line(stats: Stats, seconds: float) -> str:
    rate = stats.files / seconds if seconds > 0 else 0.0
    return (
        f"{stats.files} file(s): {stats.sent} in, {stats.rejected} rejected, "
        f"{stats.left} left for the next run, {stats.busy} still being written; "
        f"{seconds:.2f} s ({rate:.0f} files/s)"
    )


def scan_ready(path: Path, settle: float, now: float) -> tuple[bool, float | None]:
    """Whether a file found by a scan or a created event can be taken: (take, recheck_at)."""
    busy = open_for_writing(path)
    if busy is False:
        return True, None
    if busy is True:
        return False, None
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return False, None
    return (True, None) if now - mtime >= settle else (False, mtime + settle)


def run_once(config, folder: DropFolder, client: AlertClient, attempts: int = 3) -> int:
    """Take every file now in the folder; 0 when all went in or were rejected, 1 when some wait."""
    started = time.monotonic()
    ingestor = Ingestor(folder, client, config.keep_days)
    adopted = folder.open()
    code = EXIT_OK
    try:
        pruned = folder.prune_done(config.keep_days)
        if pruned:
            log.info("pruned %d file(s) older than %g days from %s", pruned, config.keep_days, folder.done)
        pending = list(adopted)
        files = folder.scan()
        if files:
            log.info("%d file(s) to ingest from %s", len(files) + len(adopted), folder.root)
        position = 0
        while pending or position < len(files):
            while len(pending) < config.batch_size and position < len(files):
                path = files[position]
                position += 1
                take, _ = scan_ready(path, config.settle, time.time())
                if not take:
                    ingestor.stats.busy += 1
                    continue
                claimed = folder.claim(path)
                if claimed:
                    pending.append(claimed)
            left = send_with_retries(ingestor, ingestor.prepare(pending), attempts, config.max_backoff)
            pending = []
            if left:
                log.error("giving up for now: %s; files stay in %s for the next run",
                          ingestor.last_failure.message, folder.root)
                code = EXIT_FILES_LEFT
                break
    finally:
        ingestor.stats.left = len(folder.claimed())
        folder.close(give_back=True)
    if ingestor.stats.left:
        code = EXIT_FILES_LEFT
    log.info("once: %s", summary_line(ingestor.stats, time.monotonic() - started))
    return code


def send_with_retries(ingestor: Ingestor, items: list, attempts: int, ceiling: float) -> list:
    backoff = Backoff(ceiling=ceiling)
    for attempt in range(attempts):
        items = ingestor.send(items)
        if not items:
            return []
        if attempt + 1 < attempts:
            delay = backoff.next_delay()
            log.warning("API unavailable (%s); retrying in %.1f s", ingestor.last_failure.message, delay)
            time.sleep(delay)
    return items


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
    def __init__(self, config, folder: DropFolder, client: AlertClient,
                 make_observer=default_observer, make_handler=EventHandler, linger: float = 0.02):
        self.config = config
        self.folder = folder
        self.ingestor = Ingestor(folder, client, config.keep_days)
        self.client = client
        self.make_observer = make_observer
        self.make_handler = make_handler
        self.linger = linger
        self.events = queue.Queue()
        self.candidates = {}   # path -> (kind, not_before)
        self.stopping = threading.Event()
        self.overflow = OverflowListener()
        self.backoff = Backoff(ceiling=config.max_backoff)
        self.observer = None
        self.backlog = []

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> int:
        from watchdog.events import FileClosedEvent, FileCreatedEvent, FileMovedEvent

        adopted = self.folder.open()
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
            return self._loop(adopted)
        finally:
            watchdog_log.removeFilter(self.overflow)
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=5)
            returned = self.folder.close(give_back=True)
            self.client.close()
            stats = self.ingestor.stats
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

    def _loop(self, adopted) -> int:
        self.backlog = list(adopted)  # claimed by a watcher that stopped: first in line
        waiting = []
        retry_at = next_rescan = next_prune = 0.0
        while not self.stopping.is_set():
            trouble = self.observer_trouble()
            if trouble:
                log.error("%s: exiting so the service manager restarts the watcher", trouble)
                return EXIT_FILES_LEFT
            now = time.monotonic()
            if waiting:
                if now >= retry_at:
                    waiting = self._send(waiting)
                    if waiting:
                        retry_at = time.monotonic() + self.backoff.next_delay()
                    else:
                        next_rescan = 0.0  # catch up on what arrived meanwhile
                else:
                    self._collect(min(0.2, retry_at - now))
                continue
            if now >= next_prune:
                pruned = self.folder.prune_done(self.config.keep_days)
                if pruned:
                    log.info("pruned %d file(s) older than %g days from done/", pruned, self.config.keep_days)
                next_prune = now + 3600
            if now >= next_rescan or self.overflow.heard.is_set():
                if self.overflow.heard.is_set():
                    self.overflow.heard.clear()
                    log.warning("file events were lost (inotify queue overflow); rescanning the folder")
                for path in self.folder.scan():
                    self.candidates.setdefault(path, ("scan", 0.0))
                next_rescan = time.monotonic() + self.config.rescan
            claimed = self._claim_ready()
            if claimed:
                waiting = self._send(self.ingestor.prepare(claimed))
                if waiting:
                    retry_at = time.monotonic() + self.backoff.next_delay()
            else:
                self._collect(min(0.2, max(0.0, next_rescan - time.monotonic())))
        return EXIT_OK

    def _send(self, items: list) -> list:
        was_failing = self.backoff.failures > 0
        left = self.ingestor.send(items)
        failure = self.ingestor.last_failure
        if left and not was_failing:
            level = logging.ERROR if failure.kind == SETUP else logging.WARNING
            log.log(level, "API unavailable (%s); %d file(s) wait in %s, retrying with back-off",
                    failure.message, len(left), self.folder.mine)
        elif not left and was_failing:
            log.info("API reachable again after %.0f s", time.monotonic() - self.backoff.since)
            self.backoff.reset()
        return left

    def _collect(self, timeout: float) -> None:
        """Move queued events into candidates, waiting up to timeout for the first."""
        try:
            kind, path = self.events.get(timeout=max(0.0, timeout))
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

    def _note(self, kind: str, path: Path) -> None:
        previous = self.candidates.get(path)
        if previous is None or kind in ("closed", "moved"):
            self.candidates[path] = (kind, 0.0)

    def _claim_ready(self) -> list:
        claimed = self.backlog[: self.config.batch_size]
        del self.backlog[: self.config.batch_size]
        now = time.time()
        for path, (kind, not_before) in list(self.candidates.items()):
            if len(claimed) >= self.config.batch_size:
                break
            if not_before > now:
                continue
            if kind in ("closed", "moved"):
                take, recheck = True, None
            else:
                take, recheck = scan_ready(path, self.config.settle, now)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collector.watch",
        description="Ingest alert files dropped in a folder into the Vigie API "
                    "(drop -> processing/ -> done/ | rejected/ + .reason).",
    )
    parser.add_argument("--once", action="store_true", help="ingest the files now in the folder and exit")
    for name, (default, text) in DEFAULTS.items():
        flag = "--" + name.replace("_", "-")
        kind = type(default) if isinstance(default, (int, float)) else str
        parser.add_argument(flag, dest=name, type=kind, default=None if name == "token_file" else default,
                            metavar=name.upper(), help=text.replace("%(default)s", str(default)) +
                            ("" if name == "token_file" else " (default: %(default)s)"))
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    return parser


def check_config(config) -> str | None:
    if config.batch_size < 1:
        return "--batch-size must be at least 1"
    for name in ("keep_days", "rescan", "settle", "timeout", "max_backoff"):
        if getattr(config, name) < 0:
            return f"--{name.replace('_', '-')} must not be negative"
    if config.rescan < 0.1:
        return "--rescan must be at least 0.1 s"
    return None


def token_source(config, environ=None):
    """A callable reading the token afresh each time, so a rotated token is picked up."""
    environ = os.environ if environ is None else environ
    token_file = config.token_file
    if token_file is None and not environ.get("VIGIE_TOKEN"):
        token_file = DEFAULTS["token_file"][0]
    return lambda: api_client.read_token(token_file, environ)


def main(argv=None) -> int:
    config = build_parser().parse_args(argv)
    setup_logging("vigie.watch", verbose=config.verbose, quiet=config.quiet)
    problem = check_config(config)
    if problem:
        log.error("%s", problem)
        return EXIT_USAGE
    source = token_source(config)
    try:
        source()
        client = AlertClient(config.api, source, timeout=config.timeout)
    except ValueError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    warn_if_token_file_is_readable(config.token_file)
    folder = DropFolder(Path(config.dir).resolve())
    if not folder.root.is_dir():
        log.error("drop folder %s does not exist", folder.root)
        return EXIT_USAGE
    try:
        if config.once:
            return run_once(config, folder, client)
        daemon = Daemon(config, folder, client)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: daemon.stop())
        return daemon.run()
    except OSError as exc:
        log.error("cannot use the drop folder %s: %s", folder.root, exc)
        return EXIT_FILES_LEFT


def warn_if_token_file_is_readable(token_file) -> None:
    try:
        mode = Path(token_file).stat().st_mode if token_file else 0
    except OSError:
        return
    if mode & 0o077:
        log.warning("token file %s can be read by other users (mode %o): chmod 600 it",
                    token_file, mode & 0o777)


if __name__ == "__main__":
    sys.exit(main())
