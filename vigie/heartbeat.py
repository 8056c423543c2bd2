"""Heartbeats of Vigie's own parts, so the supervision tool is itself supervised.

Each part that works in cycles says it is alive once per cycle with `beat(part)`:
the collector after a poll cycle, the watcher after a batch or an idle wait, the
site builder after a build. A beat is the modification time of the file
`<heartbeat dir>/<part>` (written atomically, holding the time as text).

The notifier reads the beats (`last_beats`) and, through `changes`, tells the
admins' channel when a part that has beaten before has not for N minutes, and when
it is back. Parts that never beat (not installed here) are not reported.
"""

import os
import time
from datetime import datetime, timezone
from pathlib import Path

from vigie.atomic import atomic_write_text
from vigie.utc import iso, iso_from_unix, plus_seconds

PARTS = {
    "poll": "the SNMP collector (no poll cycle)",
    "watch": "the watcher (no batch sent to the API, nor idle check)",
    "build": "the site builder (no site build)",
}
UP, DOWN = "up", "down"


MIN_BEAT_SECONDS = 10.0  # a part beating more often writes at most this often
_last_beat = {}


def beat(part: str, folder) -> None:
    """Record that `part` is alive now in `folder` (the setting paths.heartbeat; none: no
    beat), at most every MIN_BEAT_SECONDS per process. Never raises: a part must not fail
    because its heartbeat folder is missing or read-only."""
    if not folder:
        return
    folder = Path(folder)
    key, now = (str(folder), part), time.monotonic()
    if key in _last_beat and now - _last_beat[key] < MIN_BEAT_SECONDS:
        return
    _last_beat[key] = now
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / part, iso(datetime.now(timezone.utc)) + "\n")
    except OSError:
        pass


def last_beats(folder) -> dict:
    """part -> time of its last beat (UTC ISO text), for the parts that beat here."""
    beats = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return beats
    for entry in entries:
        if entry.name in PARTS:
            try:
                beats[entry.name] = iso_from_unix(entry.stat().st_mtime)
            except OSError:
                pass
    return beats


def changes(known: dict, beats: dict, now: str, stale_seconds: float) -> list:
    """[(part, state, since)] for the parts whose state differs from `known`
    (part -> {"state", "since"}): down when its last beat is older than stale_seconds,
    up again when it beats. A part seen for the first time is recorded as up silently
    (returned with state "up" only when it was known to be down)."""
    found = []
    for part, last in sorted(beats.items()):
        state = DOWN if plus_seconds(last, stale_seconds) <= now else UP
        before = known.get(part)
        if before is None:
            found.append((part, state, last if state == UP else plus_seconds(last, stale_seconds)))
        elif before["state"] != state:
            found.append((part, state, last if state == UP else plus_seconds(last, stale_seconds)))
    return found


def is_news(known: dict, change) -> bool:
    """Whether a change is worth telling: a part going down, or coming back after being
    down. A part first seen up is only recorded."""
    part, state, _ = change
    return state == DOWN or (part in known and known[part]["state"] == DOWN)


def message(part: str, state: str, since: str, last_beat: str, stale_minutes: float):
    """(title, body) telling the admins."""
    what = PARTS.get(part, part)
    if state == DOWN:
        title = f"[CRITICAL] Vigie: {part} stopped reporting"
        body = (f"{what}: no heartbeat for {stale_minutes:g} minutes (last at {last_beat}).\n"
                f"Check the service (journalctl -u vigie-{part}*) on the Vigie host.")
    else:
        title = f"[INFO] Vigie: {part} is reporting again"
        body = f"{what}: heartbeat again at {last_beat}."
    return title, body
