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
from vigie import paths
from vigie.logs import add_logging_options, setup_logging

log = logging.getLogger("vigie.watch")

EXIT_OK = 0
EXIT_FILES_LEFT = 1   # --once: the API could not take them, they stay for the next run; daemon: restart me
EXIT_USAGE = 2
MIN_BATCH_BYTES = 1024

# name: (default, help). Flags override these; the token never comes from a flag.
DEFAULTS = {
    "dir": (paths.ALERTFILES_DIR, "drop folder of alert files (*.txt)"),
    "api": (paths.API_URL, "base URL of the Vigie API"),
    "token_file": (paths.TOKEN_FILE, "file holding an operator token (default: $VIGIE_TOKEN if set, else %(default)s)"),
    "batch_size": (500, "alerts per POST /api/alert"),
    "batch_bytes": (4 * 1024 * 1024, "most bytes of JSON per POST /api/alert; keep it under the API's "
                                     "max_body_bytes (8 MiB by default)"),
    "keep_days": (7.0, "days to keep ingested files in done/; 0 deletes them once the API has them"),
    "rescan": (10.0, "daemon: seconds between full rescans of the folder"),
    "settle": (1.0, "seconds a file must be left untouched before a scan takes it, when it cannot be told "
                    "whether a writer still has it open"),
    "timeout": (30.0, "HTTP timeout in seconds"),
    "max_backoff": (30.0, "longest wait between retries while the API is unavailable"),
}


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
    add_logging_options(parser)
    return parser


def check_config(config) -> str | None:
    if config.batch_size < 1:
        return "--batch-size must be at least 1"
    if config.batch_bytes < MIN_BATCH_BYTES:
        return f"--batch-bytes must be at least {MIN_BATCH_BYTES}"
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
