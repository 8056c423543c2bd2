"""`python -m vigie.notify`: the notifier process (see vigie/notify/daemon.py)."""

import argparse
import logging
import signal
import sys
import threading

from vigie import db, paths
from vigie.logs import add_logging_options, setup_logging
from vigie.notify.daemon import Notifier, Settings

log = logging.getLogger("vigie.notify")


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m vigie.notify",
        description="Deliver Vigie's notifications: read the outbox the API writes with each alert change, "
                    "apply the rules (grouping, repeats, escalation), send to the channels with retries, "
                    "and tell the admins' channels when a part of Vigie stops reporting.")
    parser.add_argument("--db", default=str(paths.DB_PATH), help="SQLite database (default: %(default)s)")
    parser.add_argument("--site-url", default=paths.API_URL, metavar="URL",
                        help="address of the site, for the links in messages (default: %(default)s)")
    parser.add_argument("--heartbeat-dir", default=str(paths.HEARTBEAT_DIR), metavar="DIR",
                        help="where Vigie's parts record their heartbeats (default: %(default)s); "
                             "'' turns the heartbeat check off")
    parser.add_argument("--stale-minutes", type=float, default=defaults.stale_minutes, metavar="N",
                        help="a part with no heartbeat for N minutes is reported down (default: %(default)s)")
    parser.add_argument("--recheck", type=float, default=defaults.recheck_seconds, metavar="SECONDS",
                        help="how often every tracked alert is looked at again, for changes that come with "
                             "time (default: %(default)s)")
    parser.add_argument("--give-up-hours", type=float, default=defaults.give_up_hours, metavar="H",
                        help="a message not delivered after H hours of retries is marked failed "
                             "(default: %(default)s)")
    parser.add_argument("--keep-days", type=float, default=defaults.keep_days, metavar="D",
                        help="delivered and failed messages are kept D days (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=defaults.workers, metavar="N",
                        help="channels delivered to at once (default: %(default)s)")
    parser.add_argument("--tick", type=float, default=0.5, metavar="SECONDS",
                        help="how often the outbox is read (default: %(default)s)")
    parser.add_argument("--once", action="store_true",
                        help="one pass: plan, deliver what is due, then exit (status 1 if a delivery failed)")
    add_logging_options(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("vigie.notify", verbose=args.verbose, quiet=args.quiet)
    for name in ("stale_minutes", "recheck", "give_up_hours", "keep_days", "tick"):
        if getattr(args, name) <= 0:
            log.error("--%s must be more than 0", name.replace("_", "-"))
            return 2
    if args.workers < 1:
        log.error("--workers must be at least 1")
        return 2
    settings = Settings(site_url=args.site_url, recheck_seconds=args.recheck, give_up_hours=args.give_up_hours,
                        keep_days=args.keep_days, stale_minutes=args.stale_minutes,
                        heartbeat_dir=args.heartbeat_dir or None, workers=args.workers)
    try:
        notifier = Notifier(args.db, settings)
        notifier.conn()
    except (db.DatabaseError, OSError) as exc:
        log.error("cannot open the database %s: %s", args.db, exc)
        return 1
    if args.once:
        notifier.recover()
        notifier.plan()
        notifier.deliver_due()
        left = db.notify.message_counts(notifier.conn())
        return 1 if left.get("failed") else 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("notifier started: database %s, links to %s", args.db, args.site_url)
    notifier.run(stop, tick_seconds=args.tick)
    log.info("notifier stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
