"""The ingest pump: claimed files -> parsed records -> batches -> done/ or rejected/.

One pump serves both ways of running the watcher. What changes between them is
only where claimed files come from, a *source*:

- `--once` uses `FolderScan`: the files the folder held at start, then gives up
  after a few failed sends, leaving the files for the next run;
- the daemon (collector.watch.daemon) feeds it from file events and rescans,
  and never gives up.

Whatever the source, the pump prunes done/, takes up to `batch_size` claimed
files, parses them (a file that does not parse goes to rejected/ with its
reason), sends them to the API and, while the API cannot take them, keeps them
claimed and retries with one back-off. A file leaves processing/ only for
done/ (or deletion) once the API confirms, or for rejected/ with a reason.
"""

import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from collector.watch.api_client import ACCEPTED, CUT, ITEM_REFUSED, SETUP, SPLIT, AlertClient, encode
from collector.watch.drop_folder import DropFolder, read_limited, ready
from vigie import heartbeat
from vigie.alert_file import AlertFileError, parse_bytes, source_id

log = logging.getLogger("vigie.watch")

PRUNE_EVERY_SECONDS = 3600
TICK_SECONDS = 0.2  # longest wait between two looks at the source and the stop flag


@dataclass
class Stats:
    files: int = 0
    sent: int = 0
    rejected: int = 0
    left: int = 0
    busy: int = 0


def summary_line(stats: Stats, seconds: float) -> str:
    rate = stats.files / seconds if seconds > 0 else 0.0
    return (
        f"{stats.files} file(s): {stats.sent} in, {stats.rejected} rejected, "
        f"{stats.left} left for the next run, {stats.busy} still being written; "
        f"{seconds:.2f} s ({rate:.0f} files/s)"
    )


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


def batch_bounds(sizes: list[int], max_count: int, max_bytes: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive batches of at most max_count items whose JSON array stays
    within max_bytes, given each item's encoded size. An item larger than that goes alone."""
    bounds = []
    start, total = 0, 2  # the brackets
    for i, size in enumerate(sizes):
        if i > start and (i - start >= max_count or total + 1 + size > max_bytes):
            bounds.append((start, i))
            start, total = i, 2
        total += size + (1 if i > start else 0)  # and a comma before every item but the first
    if sizes:
        bounds.append((start, len(sizes)))
    return bounds


class Pump:
    """Claimed files -> parsed records -> POST in batches -> done/ or rejected/, with retries.

    `config` holds keep_days, batch_size, batch_bytes and max_backoff (the command line's options).
    """

    def __init__(self, config, folder: DropFolder, client: AlertClient):
        self.config = config
        self.folder = folder
        self.client = client
        self.stats = Stats()
        self.backoff = Backoff(ceiling=config.max_backoff)
        self.last_failure = None
        self.waiting = []    # parsed items the API has not taken yet
        self.backlog = []    # files adopted from a watcher that stopped: first in line
        self.retry_at = 0.0
        self.next_prune = 0.0
        self.told_too_large = False

    # -- the folder ------------------------------------------------------------

    def open(self) -> int:
        """Take this watcher's claim folder and adopt what stopped watchers left. Returns that count."""
        self.backlog = self.folder.open()
        return len(self.backlog)

    def close(self) -> int:
        """Put every file not settled back in the drop folder. Returns that count."""
        self.stats.left = len(self.folder.claimed()) if self.folder.mine.is_dir() else 0
        returned = self.folder.close(give_back=True)
        self.client.close()
        return returned

    def prune_if_due(self) -> None:
        now = time.monotonic()
        if now < self.next_prune:
            return
        self.next_prune = now + PRUNE_EVERY_SECONDS
        pruned = self.folder.prune_done(self.config.keep_days)
        if pruned:
            log.info("pruned %d file(s) older than %g days from %s", pruned, self.config.keep_days, self.folder.done)

    # -- the loop --------------------------------------------------------------

    def run(self, source, stopping: threading.Event | None = None, attempts: int | None = None) -> bool:
        """Pump files from `source` until it runs dry or `stopping` is set.

        `attempts` is how many sends of one batch may fail before giving up
        (None: never give up). Returns True when nothing is left waiting.
        """
        stopping = stopping or threading.Event()
        while not stopping.is_set():
            self.prune_if_due()
            if not self.waiting:  # nothing held back: idle, or the last batch went in
                heartbeat.beat("watch", getattr(self.config, "heartbeat", None))
            if self.waiting:
                delay = self.retry_at - time.monotonic()
                if delay > 0:
                    source.wait(min(TICK_SECONDS, delay))
                    continue
                self._send_waiting(source)
                if self.waiting and attempts is not None and self.backoff.failures >= attempts:
                    return False
                continue
            claimed = self._take(source)
            if claimed:
                self.waiting = self.prepare(claimed)
                self._send_waiting(source)
            elif source.exhausted():
                return True
            else:
                source.wait(TICK_SECONDS)
        return not self.waiting

    def _take(self, source) -> list[Path]:
        limit = self.config.batch_size
        claimed = self.backlog[:limit]
        del self.backlog[:limit]
        if len(claimed) < limit:
            claimed += source.take(limit - len(claimed))
        return claimed

    def _send_waiting(self, source) -> None:
        was_failing = self.backoff.failures > 0
        self.waiting = self.send(self.waiting)
        if self.waiting:
            delay = self.backoff.next_delay()
            self.retry_at = time.monotonic() + delay
            failure = self.last_failure
            level = logging.DEBUG if was_failing else logging.ERROR if failure.kind == SETUP else logging.WARNING
            log.log(level, "API unavailable (%s); %d file(s) wait in %s, retrying in %.1f s",
                    failure.message, len(self.waiting), self.folder.mine, delay)
        elif was_failing:
            log.info("API reachable again after %.0f s", time.monotonic() - self.backoff.since)
            self.backoff.reset()
            source.after_outage()

    # -- one batch -------------------------------------------------------------

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
        """Send items in batches sized by count and bytes; returns those the API could not take yet."""
        body = encode([record for _, record in items])
        if len(items) <= self.config.batch_size and len(body) <= self.config.batch_bytes:
            return self._send_logged(items, body)  # the usual case: one batch, encoded once
        sizes = [len(encode(record)) for _, record in items]
        for start, end in batch_bounds(sizes, self.config.batch_size, self.config.batch_bytes):
            left = self._send_logged(items[start:end])
            if left:
                return left + items[end:]
        return []

    def _send_logged(self, items: list, body: bytes | None = None) -> list:
        started = time.monotonic()
        sent_before, rejected_before = self.stats.sent, self.stats.rejected
        left = self._send(list(items), body)
        sent = self.stats.sent - sent_before
        rejected = self.stats.rejected - rejected_before
        if sent or rejected:
            log.info(
                "batch of %d: %d in, %d rejected by the API, %d waiting, %.2f s",
                len(items), sent, rejected, len(left), time.monotonic() - started,
            )
        return left

    def _send(self, items: list, body: bytes | None = None) -> list:
        """Post items, `body` being their encoding when already known; returns those left waiting."""
        while items:
            outcome = self.client.post([record for _, record in items], body)
            body = None
            if outcome.kind == ACCEPTED:
                for path, _ in items:
                    self.folder.finish(path, self.config.keep_days)
                self.stats.sent += len(items)
                return []
            if outcome.kind == ITEM_REFUSED:
                path, _ = items.pop(outcome.index)
                self._reject(path, f"the API refused it: {outcome.message}")
                continue
            if outcome.kind == SPLIT and len(items) == 1:
                self._reject(items[0][0], f"the API refused it: {outcome.message}")
                return []
            if outcome.kind in (SPLIT, CUT) and len(items) > 1:
                self._tell_halving(len(items), outcome)
                half = len(items) // 2
                left = self._send(items[:half])
                if left:
                    return left + items[half:]
                items = items[half:]
                continue
            self.last_failure = outcome
            return items
        return []

    def _tell_halving(self, count: int, outcome) -> None:
        too_large = outcome.kind == CUT or outcome.message.startswith("HTTP 413")
        if too_large and not self.told_too_large:
            self.told_too_large = True
            log.warning("the API refused a batch of %d alert(s) as too large (%s); sending it in halves. "
                        "Lower --batch-bytes (%d) or --batch-size (%d) below the API's limits",
                        count, outcome.message, self.config.batch_bytes, self.config.batch_size)
        else:
            log.debug("halving a batch of %d alert(s): %s", count, outcome.message)


class FolderScan:
    """The source of `--once`: the files in the drop folder when it starts, each claimed when taken."""

    def __init__(self, folder: DropFolder, settle: float):
        self.folder = folder
        self.settle = settle
        self.files = folder.scan()
        self.position = 0
        self.busy = 0

    def take(self, limit: int) -> list[Path]:
        claimed = []
        while len(claimed) < limit and self.position < len(self.files):
            path = self.files[self.position]
            self.position += 1
            take, _ = ready(path, self.settle, time.time())
            if not take:
                self.busy += 1
                continue
            got = self.folder.claim(path)
            if got:
                claimed.append(got)
        return claimed

    def exhausted(self) -> bool:
        return self.position >= len(self.files)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def after_outage(self) -> None:
        pass


def run_once(config, folder: DropFolder, client: AlertClient, attempts: int = 3) -> bool:
    """Take every file now in the folder. True when all went in or were rejected; False when some wait."""
    started = time.monotonic()
    pump = Pump(config, folder, client)
    adopted = pump.open()
    source = None
    try:
        pump.prune_if_due()
        source = FolderScan(folder, config.settle)
        if source.files or adopted:
            log.info("%d file(s) to ingest from %s", len(source.files) + adopted, folder.root)
        if not pump.run(source, attempts=attempts):
            log.error("giving up for now: %s; files stay in %s for the next run",
                      pump.last_failure.message, folder.root)
    finally:
        pump.stats.busy = source.busy if source else 0
        pump.close()
    log.info("once: %s", summary_line(pump.stats, time.monotonic() - started))
    return pump.stats.left == 0
