"""`python -m collector.watch`: options, the token, and which way to run the watcher.

Two ways:
  --once   take every file now in the folder and exit (what the systemd timer runs):
           collector.watch.ingest.run_once;
  default  a daemon fed by file events and rescans: collector.watch.daemon.

Either way each file is claimed, parsed, sent in batches to POST /api/alert
with a `source_id` so a resend after a crash makes no duplicate, then moved to
done/ (or deleted) once the API confirms, or to rejected/ with a reason
(collector.watch.ingest and collector.watch.drop_folder).
"""

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from collector.watch import api_client
from collector.watch.api_client import AlertClient
from collector.watch.daemon import Daemon
from collector.watch.drop_folder import DropFolder
from collector.watch.ingest import run_once
from vigie import config as settings
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging

log = logging.getLogger("vigie.watch")

EXIT_OK = 0
EXIT_FILES_LEFT = 1   # --once: the API could not take them, they stay for the next run; daemon: restart me
EXIT_USAGE = 2

# The watcher's flags, each overriding one setting of the configuration (vigie/config.py);
# `dest` is the name the watcher's code reads. The token itself never comes from a flag.
FLAGS = (Flag("--dir", "paths.alertfiles", dest="dir"), Flag("--api", "api.url", dest="api"),
         Flag("--token-file", "watch.token_file", metavar="FILE"), Flag("--batch-size", "watch.batch_size"),
         Flag("--batch-bytes", "watch.batch_bytes"), Flag("--keep-days", "watch.keep_days"),
         Flag("--rescan", "watch.rescan_seconds", metavar="SECONDS"),
         Flag("--settle", "watch.settle_seconds", metavar="SECONDS"),
         Flag("--timeout", "watch.timeout_seconds", metavar="SECONDS"),
         Flag("--max-backoff", "watch.max_backoff_seconds", metavar="SECONDS"))
CREDENTIAL = "watcher.token"   # the systemd credential (LoadCredential=) holding the token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collector.watch",
        description="Ingest alert files dropped in a folder into the Vigie API "
                    "(drop -> processing/ -> done/ | rejected/ + .reason).",
        epilog="The token: --token-file (or the setting watch.token_file) when given, else $VIGIE_TOKEN, else "
               f"the systemd credential {CREDENTIAL}, else the default file under paths.data.",
    )
    parser.add_argument("--once", action="store_true", help="ingest the files now in the folder and exit")
    settings.add_options(parser, FLAGS)
    add_logging_options(parser)
    return parser


def token_source(config, environ=None):
    """A callable reading the token afresh each time, so a rotated token is picked up."""
    environ = os.environ if environ is None else environ
    token_file = config.token_file
    if not token_file_chosen(config):
        credential = Path(environ.get("CREDENTIALS_DIRECTORY") or "/nonexistent", CREDENTIAL)
        token_file = None if environ.get("VIGIE_TOKEN") else credential if credential.is_file() else token_file
    return lambda: api_client.read_token(token_file, environ)


def token_file_chosen(config) -> bool:
    """Whether --token-file or the configuration file named the token file; its default
    waits behind $VIGIE_TOKEN and the systemd credential."""
    if "token_file" in getattr(config, "_given", ()):
        return True
    return hasattr(config, "cfg") and not config.cfg.origin("watch.token_file").startswith("default")


def main(argv=None) -> int:
    config = build_parser().parse_args(argv)
    setup_logging("vigie.watch", verbose=config.verbose, quiet=config.quiet)
    status = settings.start(config, ("paths", "api", "watch"), log.error)
    if status is not None:
        return status
    config.heartbeat = config.cfg["paths"]["heartbeat"]
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
            return EXIT_OK if run_once(config, folder, client) else EXIT_FILES_LEFT
        daemon = Daemon(config, folder, client)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: daemon.stop())
        return EXIT_OK if daemon.run() else EXIT_FILES_LEFT
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
