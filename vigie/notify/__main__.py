"""`python -m vigie.notify`: the notifier process (see vigie/notify/daemon.py)."""

import argparse
import logging
import signal
import sys
import threading

from vigie import config, db
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging
from vigie.notify import channels
from vigie.notify.daemon import Notifier, Settings

log = logging.getLogger("vigie.notify")


FLAGS = (Flag("--db", "paths.db", metavar="FILE"), Flag("--site-url", "notify.site_url", metavar="URL"),
         Flag("--heartbeat-dir", "paths.heartbeat", metavar="DIR"),
         Flag("--stale-minutes", "notify.stale_minutes", metavar="N"),
         Flag("--recheck", "notify.recheck_seconds", dest="recheck", metavar="SECONDS"),
         Flag("--give-up-hours", "notify.give_up_hours", metavar="H"),
         Flag("--keep-days", "notify.keep_days", metavar="D"), Flag("--workers", "notify.workers", metavar="N"),
         Flag("--tick", "notify.tick_seconds", dest="tick", metavar="SECONDS"),
         Flag("--hold", "dependencies.hold_seconds", dest="hold", metavar="SECONDS"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vigie.notify",
        description="Deliver Vigie's notifications: read the outbox the API writes with each alert change, "
                    "apply the rules (grouping, repeats, escalation), send to the channels with retries, "
                    "and tell the admins' channels when a part of Vigie stops reporting.",
        epilog="--heartbeat-dir '' turns the heartbeat check off.")
    config.add_options(parser, FLAGS)
    parser.add_argument("--once", action="store_true",
                        help="one pass: plan, deliver what is due, then exit (status 1 if a delivery failed)")
    add_logging_options(parser)
    return parser


def settings_of(cfg: config.Config) -> Settings:
    """The notifier's settings from the configuration; the channel policy is the one the API
    applies when a channel is saved (api.channel_refused_networks, api.channel_headers)."""
    section = cfg["notify"]
    return Settings(site_url=section["site_url"], recheck_seconds=section["recheck_seconds"],
                    give_up_hours=section["give_up_hours"], keep_days=section["keep_days"],
                    stale_minutes=section["stale_minutes"], heartbeat_dir=cfg["paths"]["heartbeat"] or None,
                    workers=section["workers"], hold_seconds=cfg["dependencies"]["hold_seconds"],
                    channel_policy=channels.Policy.from_settings(cfg["api"]["channel_refused_networks"],
                                                                 cfg["api"]["channel_headers"]))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("vigie.notify", verbose=args.verbose, quiet=args.quiet)
    status = config.start(args, ("paths", "notify", "dependencies"), log.error)
    if status is not None:
        return status
    cfg = args.cfg
    settings = settings_of(cfg)
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
