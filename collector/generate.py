"""Fake alerts for demos, tests and benchmarks, as CSV (docs/DESIGN.md).

A fleet of named servers (web-01, db-02, ...), each tied to one application,
environment and provider, some noisier than others. Severities are weighted
(mostly INFO, few CRITICAL), messages come from the severity's list, and
timestamps are sorted, busier in working hours than at night or at weekends.

Built for speed: every constant field is CSV-quoted once up front, timestamps
come from per-day and per-second string tables, rows are drawn in chunks with
`random.choices` and written in large blocks (1,000,000 rows in about a second).
The same `--seed` with the same span gives byte-identical output.
"""

import argparse
import functools
import io
import itertools
import os
import random
import re
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from vigie import config
from vigie.alert import AlertError, FIELDS, parse_timestamp
from vigie.config import Flag
from vigie.utc import moment_from_unix

HEADER = ",".join(FIELDS) + "\n"

MESSAGES = {
    "INFO": ("System running smoothly.", "Routine check completed.", "Backup successful.",
             "Restart performed successfully", "Update was successful"),
    "WARNING": ("Disk space running low.", "High memory usage detected.", "Unusual login activity detected.",
                "Load average running high", "MySQL response time slow"),
    "ERROR": ("Application crashed.", "Service unavailable.", "Database connection lost.",
              "FileSystem saturated", "Server unresponsive"),
    "CRITICAL": ("System overload imminent.", "Critical security vulnerability detected.",
                 "Data corruption detected.", "System bricked", "Server is on fire"),
}
SEVERITY_WEIGHTS = {"INFO": 60, "WARNING": 25, "ERROR": 11, "CRITICAL": 4}

# role -> the applications a server of that role may serve
ROLES = (
    ("web", ("shop", "intranet", "customer-portal")),
    ("db", ("billing", "crm", "shop")),
    ("app", ("billing", "crm", "payroll", "erp")),
    ("api", ("customer-portal", "shop", "mobile")),
    ("cache", ("shop", "customer-portal")),
    ("mq", ("erp", "billing")),
    ("lb", ("shop", "intranet")),
    ("mail", ("messagerie",)),
    ("files", ("intranet", "ged")),
    ("backup", ("sauvegarde",)),
)
ENVIRONMENTS = (("prod", 55), ("preprod", 15), ("testing", 15), ("dev", 15))
PROVIDERS = ("Acme Infogérance", "Durand, Martin & Fils", "NetOps", "Hexagone Services", "Nordique Hébergement")

# alerts per hour of day (UTC), relative: quiet nights, busy working hours
HOUR_WEIGHTS = (3, 2, 2, 2, 2, 3, 5, 8, 12, 14, 13, 12, 10, 12, 14, 13, 12, 10, 8, 6, 5, 4, 4, 3)
WEEKEND_FACTOR = 0.5

# the fleet is the same on every run, so web-01 keeps its application and provider
FLEET_SEED = "vigie-fleet"
CHUNK_ROWS = 100_000
PROGRESS_MIN_ROWS = 100_000
TABLE_MIN_ROWS = 50_000
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_field(value: str) -> str:
    """One CSV field, quoted as Python's csv module does by default (RFC 4180)."""
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def build_fleet(rng: random.Random, servers) -> list:
    """Servers as dicts (server, application, environment, provider, weight).

    `servers` is a count (names web-01, db-01, ... by role in turn) or a list of names.
    """
    names = servers if isinstance(servers, list) else [
        f"{ROLES[i % len(ROLES)][0]}-{i // len(ROLES) + 1:02d}" for i in range(servers)
    ]
    envs, env_weights = zip(*ENVIRONMENTS)
    fleet = []
    for i, name in enumerate(names):
        role_apps = dict(ROLES).get(name.split("-")[0], ROLES[i % len(ROLES)][1])
        fleet.append({
            "server": name,
            "application": rng.choice(role_apps),
            "environment": rng.choices(envs, env_weights)[0],
            "provider": rng.choice(PROVIDERS),
            "weight": round(rng.lognormvariate(0, 0.8), 3),
        })
    return fleet


def hour_slots(rng: random.Random, start: int, end: int) -> tuple:
    """([(first_second, end_second)], [cumulative weight]) covering [start, end) hour by hour.

    Each hour weighs its HOUR_WEIGHTS entry (halved at weekends) times a little
    random noise, so no two days look quite alike.
    """
    slots, cumulative, total = [], [], 0.0
    hour = start - start % 3600
    while hour < end:
        lo, hi = max(hour, start), min(hour + 3600, end)
        moment = moment_from_unix(hour)
        weight = HOUR_WEIGHTS[moment.hour] * (WEEKEND_FACTOR if moment.weekday() >= 5 else 1.0)
        total += weight * rng.uniform(0.7, 1.3) * (hi - lo) / 3600
        slots.append((lo, hi))
        cumulative.append(total)
        hour += 3600
    return slots, cumulative


def counts_per_slot(rng: random.Random, count: int, cumulative: list) -> list:
    """Split `count` over the slots in proportion to their weight (systematic sampling).

    Each slot gets its expected share rounded up or down at random, and the
    counts add up to `count` exactly; cost is one step per slot, not per row.
    """
    total, offset = cumulative[-1], rng.random()
    counts, previous = [], 0
    for upto in cumulative:
        reached = int(count * upto / total + offset)
        counts.append(reached - previous)
        previous = reached
    counts[-1] += count - previous
    return counts


def day_prefix(unix_seconds: int) -> str:
    return moment_from_unix(unix_seconds).strftime("%Y-%m-%dT")


def second_text(second_of_day: int) -> str:
    s = second_of_day
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00,"


@functools.cache
def seconds_of_day() -> list:
    """second_text for every second of a day: worth building for large counts only."""
    return [second_text(s) for s in range(86400)]


class SecondsOnDemand(dict):
    """second_text looked up like seconds_of_day(), computed for the seconds asked only."""

    def __missing__(self, second_of_day: int) -> str:
        text = self[second_of_day] = second_text(second_of_day)
        return text


def timestamp_chunks(rng: random.Random, count: int, start: int, end: int):
    """Yield lists of sorted 'YYYY-MM-DDTHH:MM:SS+00:00,' texts in [start, end), `count` in all."""
    slots, cumulative = hour_slots(rng, start, end)
    buffer, texts = [], seconds_of_day() if count >= TABLE_MIN_ROWS else SecondsOnDemand()
    for (lo, hi), n in zip(slots, counts_per_slot(rng, count, cumulative)):
        if not n:
            continue
        prefix, base = day_prefix(lo), lo - lo % 86400
        seconds = sorted(rng.choices(range(lo - base, hi - base), k=n))
        buffer.extend([prefix + texts[s] for s in seconds])
        if len(buffer) >= CHUNK_ROWS:
            yield buffer
            buffer = []
    if buffer:
        yield buffer


def row_tails(fleet: list) -> tuple:
    """Every 'server,SEVERITY,message,provider,application,environment' line, CSV-quoted once, and its weight.

    A row is then a timestamp text followed by one of these, drawn in one step.
    """
    messages = [
        (f"{severity},{csv_field(text)},", SEVERITY_WEIGHTS[severity] / len(texts))
        for severity, texts in MESSAGES.items()
        for text in texts
    ]
    tails, weights = [], []
    for s in fleet:
        server = csv_field(s["server"]) + ","
        end = ",".join(csv_field(s[f]) for f in ("provider", "application", "environment")) + "\n"
        for message, weight in messages:
            tails.append(server + message + end)
            weights.append(s["weight"] * weight)
    return tails, weights


def generate(out, count: int, start: int, end: int, seed=None, servers=20, progress=None) -> int:
    """Write the header and `count` rows to the text stream `out`; return the count written."""
    rng = random.Random(seed)
    tails, weights = row_tails(build_fleet(random.Random(FLEET_SEED), servers))
    cumulative = list(itertools.accumulate(weights))
    out.write(HEADER)
    written = 0
    for stamps in timestamp_chunks(rng, count, start, end):
        rows = [None] * (2 * len(stamps))
        rows[0::2] = stamps
        rows[1::2] = rng.choices(tails, cum_weights=cumulative, k=len(stamps))
        out.write("".join(rows))
        written += len(stamps)
        if progress:
            progress(written, count)
    return written


class ProgressBar:
    """A one-line bar on a terminal: [#####.....]  45%  450,000/1,000,000 alerts."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width = stream, width

    def __call__(self, done: int, total: int):
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\rgenerate: [{bar}] {100 * done // max(total, 1):3d}%  {done:,}/{total:,} alerts")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def parse_moment(value: str, now: datetime) -> int:
    """'now', a relative '-7d' / '-12h' / '-30m' / '-45s', a date, or ISO 8601 -> unix seconds."""
    text = value.strip()
    relative = re.fullmatch(r"([+-]?)(\d+)([smhdw])", text)
    if text == "now":
        return int(now.timestamp())
    if relative:
        sign, amount, unit = relative.groups()
        seconds = int(amount) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
        return int(now.timestamp()) + (seconds if sign == "+" else -seconds)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        return int(parse_timestamp(text).timestamp())
    except AlertError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected ISO 8601 with an offset, a date (YYYY-MM-DD), 'now' or e.g. -7d, -12h ({exc.message})"
        ) from None


def servers_option(value: str):
    if value.isdigit():
        if int(value) < 1:
            raise argparse.ArgumentTypeError("needs at least one server")
        return int(value)
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a count or a comma-separated list of names")
    return names


def count_option(value: str) -> int:
    try:
        count = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: the count cannot be negative")
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collector.generate",
        description="Write fake but realistic alerts as CSV (header "
        "timestamp,server,severity,message,provider,application,environment), sorted by time.",
    )
    parser.add_argument("--count", type=count_option, default=10000, help="number of alerts (default 10000)")
    parser.add_argument("--out", default="-", help="CSV file to write atomically (default: standard output)")
    parser.add_argument("--seed", help="seed for reproducible output (same seed, same span: same bytes)")
    parser.add_argument("--start", default="-7d",
                        help="start of the time span: ISO 8601, YYYY-MM-DD, 'now' or relative like -7d (default -7d)")
    parser.add_argument("--end", default="now", help="end of the time span, same forms (default now)")
    config.add_options(parser, (Flag("--servers", "generate.servers", metavar="LIST"),))
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: for large counts when stderr is a terminal)")
    return parser


def write_atomically(path: Path, write) -> int:
    """Call write(stream) on a temp file beside `path`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with io.open(fd, "w", encoding="utf-8", newline="", buffering=1 << 20) as stream:
            result = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return result
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def join_relative_times(argv: list) -> list:
    """'--start -7d' as '--start=-7d': argparse would take '-7d' for an option."""
    joined, pending = [], None
    for arg in argv:
        if pending:
            joined[-1] = f"{pending}={arg}"
            pending = None
        else:
            joined.append(arg)
            pending = arg if arg in ("--start", "--end") else None
    return joined


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(join_relative_times(list(sys.argv[1:] if argv is None else argv)))
    try:
        config.from_args(args)
    except config.ConfigError as exc:
        parser.error(str(exc))
    try:
        args.servers = servers_option(args.servers or "20")
    except argparse.ArgumentTypeError as exc:
        parser.error(f"{args.cfg.where('generate.servers')}: {exc}")
    if args.show_config:
        print(config.describe(args.cfg, ("generate",)))
        return 0
    now = datetime.now(timezone.utc)
    try:
        start, end = parse_moment(args.start, now), parse_moment(args.end, now)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"--start/--end: {exc}")
    if end <= start:
        parser.error(f"--end must come after --start ({args.end!r} is not after {args.start!r})")
    show = args.progress if args.progress is not None else (args.count >= PROGRESS_MIN_ROWS and sys.stderr.isatty())
    progress = ProgressBar(sys.stderr) if show else None

    def write(stream):
        return generate(stream, args.count, start, end, args.seed, args.servers, progress)

    try:
        if args.out == "-":
            sys.stdout.reconfigure(encoding="utf-8", newline="")
            write(sys.stdout)
            sys.stdout.flush()
        else:
            write_atomically(Path(args.out), write)
    except BrokenPipeError:
        sys.stderr.close()
        return 141
    except OSError as exc:
        print(f"generate: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
