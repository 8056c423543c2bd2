"""Read stage: machine configs, sample files and the alerts database (read-only).

Everything here does I/O and returns plain data; nothing is rendered.
An unreadable input folder or database raises UnreadableInput (the build stops
with a clear message); one bad machine or sample file is reported beside the
others and only that machine is affected.
"""

import os
from pathlib import Path

from vigie import machines, samples, utc, volume
from vigie.samples import Family, samples_path
from vigie import db

RECENT_ALERTS_PER_MACHINE = 30
SNAPSHOT_ALERTS = 500
SNAPSHOT_SILENCES = 200


class UnreadableInput(RuntimeError):
    """An input the whole build depends on cannot be read."""


def read_machines(machines_dir):
    """(configs, errors) from machines/*.json; a missing folder is an UnreadableInput."""
    machines_dir = Path(machines_dir)
    if not machines_dir.is_dir():
        raise UnreadableInput(f"machines folder {machines_dir} does not exist or is not a folder")
    try:
        return machines.load_all(machines_dir)
    except OSError as exc:
        raise UnreadableInput(f"cannot read machines folder {machines_dir}: {exc.strerror}") from None


def samples_signature(samples_dir, name):
    """Changes when the machine's current view may have (vigie.samples.current_signature)."""
    return samples.current_signature(samples_dir, name)


def events_signature(samples_dir, name):
    """[mtime_ns, size] of the machine's events, so a page is rendered again when they change."""
    try:
        st = os.stat(Family(samples_dir, name).events)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def read_current(samples_dir, name):
    """(the machine's current view (vigie.samples.read_current) or None, error text or None)."""
    if not samples_path(samples_dir, name).exists():
        return None, None
    try:
        return samples.read_current(samples_dir, name), None
    except (OSError, ValueError) as exc:
        return None, f"cannot read samples: {exc}"


def volumes_signature(samples_dir, name, now: float) -> list:
    """What the volumes depend on: the year archive's [mtime_ns, size] (it gains a line a
    day) and the day they end at. A page is rendered again, and the archive read, only
    when these change."""
    try:
        st = os.stat(Family(samples_dir, name).archive("year"))
        found = [st.st_mtime_ns, st.st_size]
    except OSError:
        found = None
    return [found, volume.yesterday(now)]


def with_volumes(samples_dir, name, view: dict, now: float) -> dict:
    """The view with each interface's traffic volume, yesterday and this month
    (vigie.volume: {"day": [in, out], "month": [in, out]} in bytes), from the few lines of
    the year archive they need."""
    try:
        lines = samples.read_archive(samples_dir, name, "year", since=volume.since(now))
    except (OSError, ValueError):
        lines = []
    found = volume.volumes(lines, now)
    nothing = {"day": [None, None], "month": [None, None]}
    return dict(view, interfaces=[dict(i, volume=found.get(i.get("key")) or nothing)
                                  for i in view.get("interfaces") or ()])


def read_events(samples_dir, name) -> list:
    try:
        return samples.read_events(samples_dir, name)
    except (OSError, ValueError):
        return []


def open_alerts(db_path):
    """A read-only connection, or None when the database does not exist yet."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    try:
        conn = db.connect(db_path, readonly=True)
        conn.execute("SELECT 1 FROM alerts LIMIT 1").fetchall()
        return conn
    except (db.DatabaseError, OSError) as exc:
        raise UnreadableInput(f"cannot read database {db_path}: {exc}") from None
    except Exception as exc:  # sqlite3.DatabaseError: not a database, no alerts table
        raise UnreadableInput(f"cannot read database {db_path}: {exc}") from None


def machine_alerts(conn, name, limit=RECENT_ALERTS_PER_MACHINE):
    """(count, recent alerts) for one server, newest first."""
    if conn is None:
        return 0, []
    return db.list_alerts(conn, {"server": [name]}, "-timestamp", limit, 0)


def alert_stats(conn, now=None, scopes=None):
    return db.get_stats(conn, now, scopes=scopes) if conn is not None else None


def alert_snapshot(conn, limit=SNAPSHOT_ALERTS, now=None, scopes=None):
    """(count, newest alerts, as they are at `now`) for the console's offline view (only
    those in `scopes`, when given)."""
    if conn is None:
        return 0, []
    return db.list_alerts(conn, {} if scopes is None else {"scopes": scopes}, "-timestamp", limit, 0, now=now)


def silence_snapshot(conn, now, limit=SNAPSHOT_SILENCES) -> list:
    """The newest silences, as the API shows them at `now`, for the silences page."""
    if conn is None:
        return []
    return db.silences.list_public(conn, now, "all", limit)


def silences_for_graphs(conn, now) -> list:
    """Every silence (maintenance windows included) with its times as datetimes, for the
    graphs' annotations (context.maintenance_windows)."""
    if conn is None:
        return []
    return [dict(s, starts_at=utc.parse(s["starts_at"]), ends_at=utc.parse(s["ends_at"]) if s["ends_at"] else None)
            for s in db.silences.list_silences(conn, now, "all")]


def scope_sets(conn) -> list:
    """The sets of scopes some team member sees (vigie/scope.py)."""
    return db.teams.scope_sets(conn) if conn is not None else []
