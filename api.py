"""Vigie REST API: command line.

  python api.py serve [--host H] [--port P] [--db FILE] [--www DIR] [--machines DIR]
  python api.py adduser NAME --role viewer|operator|admin [--password-file FILE] [--db FILE]
  python api.py mktoken NAME --out FILE [--days N] [--db FILE]
  python api.py tokens [NAME] [--db FILE]
  python api.py revoke NAME [--token ID] [--db FILE]
  python api.py settings [--config FILE]

Every command reads the configuration (vigie/config.py: --config FILE, else the usual
file); its flags override it for one run.

The application itself is vigie.api.make_app; this file only parses the
command line and serves it under gunicorn.
"""

import argparse
import getpass
import os
import pwd
import sqlite3
import sys
from functools import partial

from vigie import config, db, safe_read
from vigie.api import auth
from vigie.errors import InputError
from vigie.roles import ROLES
from vigie.api.app import make_app
from vigie.api.routes_tokens import token_state
from vigie.api.settings import flat
from vigie.atomic import atomic_write_text
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging

__all__ = ["make_app", "main"]


FOLDER_FLAGS = tuple(Flag(f"--{key}", f"paths.{key}") for key in ("db", "www", "machines", "samples", "logs",
                                                                    "alertfiles"))
SERVE_FLAGS = (Flag("--host", "api.host"), Flag("--port", "api.port"), *FOLDER_FLAGS,
               Flag("--workers", "api.workers"), Flag("--threads", "api.threads"),
               Flag("--anonymous-read", "api.anonymous_read", const=True),
               Flag("--cors-origin", "api.cors_origins", dest="cors_origins", append=True, metavar="ORIGIN"),
               Flag("--access-log", "api.access_log", const=True),
               Flag("--metrics-open", "api.metrics_open", const=True))
DB_FLAG = (Flag("--db", "paths.db", metavar="FILE"),)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="api.py", description="Vigie REST API: alerts, users and machines over SQLite.")
    add_logging_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the API and the site under gunicorn",
                           description="Serve /api/... and the built site in --www behind one login.")
    config.add_options(serve, SERVE_FLAGS)
    serve.add_argument("--port-file", help="write the port actually listened on to this file (useful with --port 0)")

    adduser = sub.add_parser("adduser", help="create a user (or change one with --update)",
                             description="Create a user with a role; the password comes from a file or a prompt.")
    adduser.add_argument("name")
    adduser.add_argument("--role", required=True, choices=ROLES)
    adduser.add_argument("--password-file", help="file holding the password (first line); prompted when absent")
    adduser.add_argument("--update", action="store_true", help="change the role and password of an existing user")
    config.add_options(adduser, DB_FLAG)

    mktoken = sub.add_parser("mktoken", help="write a long-lived bearer token for a user to a file",
                             description="Create a bearer token for an existing user, written to --out (mode 0600).")
    mktoken.add_argument("name")
    mktoken.add_argument("--out", required=True, help="file to write the token to")
    mktoken.add_argument("--label", default="", help="a note saying what the token is for")
    config.add_options(mktoken, DB_FLAG + (Flag("--days", "api.token_days", metavar="N"),))

    tokens = sub.add_parser("tokens", help="list the bearer tokens (of one user, or of all)",
                            description="List bearer tokens: id, user, label, dates and state. "
                                        "The tokens themselves are not stored, only their hashes.")
    tokens.add_argument("name", nargs="?", help="only this user's tokens")
    config.add_options(tokens, DB_FLAG)

    revoke = sub.add_parser("revoke", help="revoke a user's tokens and sessions, or one token",
                            description="Revoke every token and login session of a user, or with "
                                        "--token only that token (its id from `api.py tokens`).")
    revoke.add_argument("name")
    revoke.add_argument("--token", type=int, metavar="ID", help="revoke only the token with this id")
    config.add_options(revoke, DB_FLAG)

    settings = sub.add_parser("settings", help="print the API's settings in force and where each comes from",
                              description="Print the [paths] and [api] settings in force, and where each value "
                                          "comes from (python -m vigie config prints them all).")
    config.add_options(settings, shown=False)
    return parser


def read_password(path) -> str:
    if path:
        lines = safe_read.read_text(path, safe_read.SMALL_FILE_MAX, what="a password file").splitlines()
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        raise ValueError("no --password-file given and no terminal to prompt on")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("the two passwords differ")
    return first


def cmd_serve(args, log) -> int:
    from vigie.api import server
    settings = flat(args.cfg)
    conn = db.connect(settings["db"])  # create or migrate the schema once, before the workers
    conn.close()
    server.ensure_admin(settings["db"], settings["password_cost"])
    factory = partial(make_app, settings["db"], settings["www"], settings["machines"], settings)
    return server.serve(factory, settings, port_file=args.port_file)


def cmd_adduser(args, log) -> int:
    try:
        auth.check_username(args.name)
        password = auth.check_password(read_password(args.password_file))
    except InputError as exc:
        log.error("%s", exc.message)
        return 2
    password_hash = auth.hash_password(password, args.cfg["api"]["password_cost"])
    conn = db.connect(args.db)
    exists = db.get_user(conn, args.name) is not None
    if exists and not args.update:
        log.error("user %r already exists (use --update to change it)", args.name)
        return 1
    if exists:
        db.set_user(conn, args.name, role=args.role, password_hash=password_hash)
        log.info("updated user %r (role %s)", args.name, args.role)
    else:
        db.create_user(conn, args.name, args.role, password_hash)
        log.info("created user %r (role %s)", args.name, args.role)
    db.record_audit(conn, command_line_actor(), "update" if exists else "create", "user", args.name,
                    {"role": args.role, "password": "changed" if exists else "set"})
    return 0


def command_line_actor() -> str:
    """Who changes things from the command line, for the audit: the Unix user."""
    try:
        name = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        name = str(os.geteuid())
    return f"{name} (command line)"


def cmd_mktoken(args, log) -> int:
    if args.days < 1:
        log.error("--days must be at least 1")
        return 2
    conn = db.connect(args.db)
    if db.get_user(conn, args.name) is None:
        log.error("no user %r: create it first with `api.py adduser`", args.name)
        return 1
    token, expires_at = auth.issue(conn, "tokens", args.name, args.days * 24, label=args.label)
    atomic_write_text(args.out, token + "\n", mode=0o600)
    log.info("token for %r written to %s (expires %s)", args.name, args.out, expires_at)
    return 0


def cmd_tokens(args, log) -> int:
    conn = db.connect(args.db)
    if args.name is not None and db.get_user(conn, args.name) is None:
        log.error("no user %r", args.name)
        return 1
    rows = [("ID", "USER", "LABEL", "CREATED", "EXPIRES", "STATE")]
    now = db.utc_now()
    for t in db.list_tokens(conn, args.name):
        rows.append((str(t["id"]), t["username"], t["label"] or "-", t["created_at"], t["expires_at"],
                     " ".join(filter(None, (token_state(t, now), t["revoked_at"])))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def cmd_revoke(args, log) -> int:
    conn = db.connect(args.db)
    if db.get_user(conn, args.name) is None:
        log.error("no user %r", args.name)
        return 1
    if args.token is not None:
        if not db.revoke_token(conn, args.name, args.token):
            log.error("user %r has no live token with id %d (see `api.py tokens %s`)", args.name, args.token,
                      args.name)
            return 1
        log.info("revoked token %d of %r", args.token, args.name)
        db.record_audit(conn, command_line_actor(), "revoke token", "user", args.name, {"token": args.token})
        return 0
    count = db.revoke_user_credentials(conn, args.name)
    log.info("revoked %d token(s) and session(s) of %r", count, args.name)
    db.record_audit(conn, command_line_actor(), "revoke all", "user", args.name, {"revoked": count})
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    log = setup_logging("vigie.api", verbose=args.verbose, quiet=args.quiet)
    try:
        cfg = config.from_args(args)
    except config.ConfigError as exc:
        log.error("%s", exc)
        return 2
    if args.command == "settings" or getattr(args, "show_config", False):
        print(config.describe(cfg, ("paths", "api")))
        return 0
    commands = {"serve": cmd_serve, "adduser": cmd_adduser, "mktoken": cmd_mktoken, "tokens": cmd_tokens,
                "revoke": cmd_revoke}
    try:
        return commands[args.command](args, log)
    except (ValueError, OSError, db.DatabaseError) as exc:
        log.error("%s", exc)
        return 1
    except sqlite3.Error as exc:  # e.g. a file that is not a database, or a corrupt one
        log.error("cannot use the database %s: %s", getattr(args, "db", None), exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
