"""Logging set-up that reads well in journald and on a terminal.

Under systemd (JOURNAL_STREAM set) lines carry no timestamp, since journald
adds one, and a syslog priority prefix (<3>, <4>, ...) so `journalctl -p err`
works. On a terminal they get a time and the level name.
"""

import logging
import os
import sys

_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    def format(self, record):
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
        return prefix + super().format(record)


def add_logging_options(parser) -> None:
    """-v/--verbose and -q/--quiet, the same on every command; `setup_logging` reads them."""
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")


def setup_logging(name: str, verbose: bool = False, quiet: bool = False) -> logging.Logger:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return logging.getLogger(name)
