"""Log a problem when it appears or changes, not on every run.

A bad machine file is a state: the poller and the builder meet it on every
cycle, and under a timer every cycle is a new process. `Reported` remembers
what was last said about each problem, in memory and, given a file, across
runs: a problem is logged when it first appears, again only when its message
changes, and its end is logged once. The file is small JSON written
atomically; losing it costs at most one repeated line.
"""

import json
import logging
from pathlib import Path

from vigie.atomic import atomic_write_json


class Reported:
    def __init__(self, logger: logging.Logger, path=None):
        self.log = logger
        self.path = path
        self.seen = {}
        self.changed = False
        if path is not None:
            self.seen = self._read(path)

    @staticmethod
    def _read(path) -> dict:
        try:
            with open(path, encoding="utf-8") as f:
                stored = json.load(f)
            return {tuple(json.loads(key)): message for key, message in stored.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def problem(self, key: tuple, message: str, level=logging.ERROR) -> None:
        if self.seen.get(key) != message:
            self.seen[key] = message
            self.changed = True
            self.log.log(level, "%s", message)

    def clear(self, key: tuple, message: str = None) -> None:
        if self.seen.pop(key, None) is not None:
            self.changed = True
            if message:
                self.log.info("%s", message)

    def keep_only(self, kind: str, keys, message) -> None:
        """Clear every problem of this kind (keys starting with `kind`) not in `keys`;
        `message(key)` says it is over."""
        for key in [k for k in self.seen if k[0] == kind and k not in keys]:
            self.clear(key, message(key))

    def save(self) -> None:
        """Write what is known, if it changed (nothing without a file)."""
        if self.path is None or not self.changed:
            return
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, {json.dumps(list(k)): m for k, m in sorted(self.seen.items())})
            self.changed = False
        except OSError as exc:
            self.log.debug("cannot keep what was reported in %s: %s", self.path, exc)
