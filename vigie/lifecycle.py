"""The life of an alert: fingerprint, deduplication, states, deadlines and flapping.

Pure functions on plain dicts (an alert row, as the database keeps it) and ISO 8601
UTC strings, tested on literal times. The database module reads rows, calls these
rules and writes back what they return, with the events they produce (its history).

One row per fingerprint. An alert arriving with the fingerprint of a row that is not
resolved counts on it (`duplicate_count` + 1, `last_seen`, the latest text); one
arriving after the row was resolved opens it again (`reopen_count` + 1). INFO is
information: an INFO alert never opens anything. When it carries the fingerprint of
an open problem it resolves it ("back to normal"); otherwise it is kept as a row that
is resolved from the start.

Time-based state needs no timer: a row keeps its deadlines (`ack_until`,
`shelved_until`, `expires_at` for a `timeout`, `flapping_until`) and `effective`
says what they mean at a given "now". Before a row changes, `settle` writes down
what its passed deadlines did, as events dated at the deadline, so a later change
never hides an earlier expiry.

Times are compared as text: every time here is UTC ISO 8601 as written by
`vigie.utc.iso_exact` (`2026-11-22T10:15:03+00:00`, fractions of a second
only when present), whose text order is time order.
"""

import functools
import hashlib
from dataclasses import dataclass

from vigie import severity
from vigie.errors import InputError
from vigie.scope import SCOPE_KEYS
from vigie.utc import plus_seconds

STATUSES = ("open", "acknowledged", "shelved", "resolved")
DEFAULT_FINGERPRINT_FIELDS = ("server", "application", "environment", "severity", "message")
FINGERPRINT_CHOICES = DEFAULT_FINGERPRINT_FIELDS + ("provider",)  # what the fingerprint_fields setting may name
MAX_FLAP_CHANGES = 50  # recent changes kept per row: enough to count, bounded in size
SYSTEM = "system"      # the actor of changes nobody made by hand
CLEAR_SEVERITY = severity.LEAST_SEVERE  # "back to normal", or information

# Events that a passed deadline causes; dated at the deadline, written by `settle`.
DEADLINE_EVENTS = ("ack_expired", "shelve_expired", "timed_out", "flapping_ended")


@dataclass(frozen=True)
class Flapping:
    """More than `threshold` changes (open <-> resolved) within `window_seconds` make a
    row flapping, until it stays put for `window_seconds`."""
    threshold: int = 5
    window_seconds: int = 1800


def fingerprint(record: dict, fields=DEFAULT_FINGERPRINT_FIELDS) -> str:
    """The default deduplication key: a hash of the chosen fields of the record."""
    text = "\x1f".join([f"{name}={record[name]}" for name in fields])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_key(text: str) -> int:
    """A signed 64-bit integer made from a text: what the database looks fingerprints
    and source ids up by (an index of integers is about a fifth the size of one of
    the texts, and a batch dirties that many fewer pages). Two texts may share a key;
    the text itself decides which row is which."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# the fingerprints of open alerts come back again and again; a source id, once
fingerprint_key = functools.lru_cache(maxsize=1 << 16)(text_key)
source_key = text_key


def is_stale(moment: str, latest: str) -> bool:
    """Whether something that happened at `moment` comes too late to change what was
    seen at `latest`: only when it is strictly older. Times often have one-second
    precision (alert files, the collector's events), so a problem, its clearing and
    the problem again may share one second: at equal times, the order of arrival is
    the order of events."""
    return moment < latest


def in_time_order(entries, at=lambda entry: entry["at"]) -> list:
    """Entries sorted by their time (`at` reads it), those at the same time left in the
    order they arrived in (a stable sort): the one order of history everywhere."""
    return sorted(entries, key=at)


def event(kind: str, at: str, actor: str = SYSTEM, note: str = "", **detail) -> dict:
    return {"kind": kind, "at": at, "actor": actor, "note": note, "detail": detail or None}


# ---------------------------------------------------------------- reading a row at a given time

def is_resolved(row: dict, now: str) -> bool:
    return row["resolved_at"] is not None or (row["expires_at"] is not None and row["expires_at"] <= now)


def is_acknowledged(row: dict, now: str) -> bool:
    return bool(row["acknowledged"]) and (row["ack_until"] is None or row["ack_until"] > now)


def is_shelved(row: dict, now: str) -> bool:
    return row["shelved_until"] is not None and row["shelved_until"] > now


def is_flapping(row: dict, now: str) -> bool:
    return row["flapping_until"] is not None and row["flapping_until"] > now


def status(row: dict, now: str) -> str:
    """resolved, else shelved, else acknowledged, else open."""
    if is_resolved(row, now):
        return "resolved"
    if is_shelved(row, now):
        return "shelved"
    if is_acknowledged(row, now):
        return "acknowledged"
    return "open"


def effective(row: dict, now: str) -> dict:
    """The state fields of a row as they are at `now` (what the API shows)."""
    acked = is_acknowledged(row, now)
    view = {
        "status": status(row, now),
        "acknowledged": acked,
        "acknowledged_by": row["acknowledged_by"] if acked else None,
        "acknowledged_at": row["acknowledged_at"] if acked else None,
        "ack_until": row["ack_until"] if acked else None,
        "shelved_until": row["shelved_until"] if is_shelved(row, now) else None,
        "flapping": is_flapping(row, now),
        "resolved_at": row["resolved_at"], "resolved_by": row["resolved_by"], "resolution": row["resolution"],
    }
    if row["resolved_at"] is None and row["expires_at"] is not None and row["expires_at"] <= now:
        view.update(resolved_at=row["expires_at"], resolved_by=SYSTEM, resolution=timed_out_text(row["timeout"]))
    return view


def timed_out_text(timeout) -> str:
    return f"timed out: not seen again within {duration_text(timeout)}"


def duration_text(seconds) -> str:
    seconds = int(seconds or 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


# ---------------------------------------------------------------- deadlines that passed

def _deadlines(row: dict):
    """(time, kind) of every deadline the row holds, earliest first."""
    found = []
    if row["acknowledged"] and row["ack_until"] is not None:
        found.append((row["ack_until"], "ack_expired"))
    if row["shelved_until"] is not None:
        found.append((row["shelved_until"], "shelve_expired"))
    if row["resolved_at"] is None and row["expires_at"] is not None:
        found.append((row["expires_at"], "timed_out"))
    if row["flapping_until"] is not None:
        found.append((row["flapping_until"], "flapping_ended"))
    return sorted(found)


def settle(row: dict, now: str, flap: Flapping) -> tuple:
    """(row, events): the row with every deadline at or before `now` carried out, in
    time order (a timeout is a change that may start or extend flapping)."""
    row = dict(row)
    return row, _carry_out(row, now, flap)


def _carry_out(row: dict, now: str, flap: Flapping) -> list:
    """settle, on `row` itself: its deadlines up to `now` carried out; the events."""
    if (row["ack_until"] is None and row["shelved_until"] is None and row["expires_at"] is None
            and row["flapping_until"] is None):
        return []  # none of the columns _deadlines reads is set, as in most rows: no call, no sort
    events = []
    while True:
        due = [d for d in _deadlines(row) if d[0] <= now]
        if not due:
            return events
        at, kind = due[0]
        if kind == "ack_expired":
            events.append(event(kind, at, note=f"acknowledgement by {row['acknowledged_by']} expired"))
            row.update(_NO_ACK)
        elif kind == "shelve_expired":
            events.append(event(kind, at, note="shelved time is over"))
            row["shelved_until"] = None
        elif kind == "timed_out":
            text = timed_out_text(row["timeout"])
            row.update(resolved_at=at, resolved_by=SYSTEM, resolution=text, expires_at=None)
            events.append(event(kind, at, note=text))
            events += _count_change(row, at, flap)
        else:
            events.append(event(kind, at, note=f"no change for {duration_text(flap.window_seconds)}"))
            row["flapping_until"] = None


_NO_ACK = {"acknowledged": 0, "acknowledged_by": None, "acknowledged_at": None, "ack_until": None}
# Whether the alert is the doing of another machine (vigie/dependencies.py): decided by the
# database for the down alerts, anew for each spell of the alert.
NOT_SUPPRESSED = {"suppressed_by": None, "suppressed_by_alert": None}


def _count_change(row: dict, at: str, flap: Flapping) -> list:
    """Record one open <-> resolved change at `at`; return a `flapping` event when it
    starts a flapping spell (extending one in progress says nothing new)."""
    start = plus_seconds(at, -flap.window_seconds)
    changes = in_time_order([c for c in row["flap_changes"] if c > start] + [at], at=str)[-MAX_FLAP_CHANGES:]
    row["flap_changes"] = changes
    until = plus_seconds(at, flap.window_seconds)
    if row["flapping_until"] is not None and row["flapping_until"] > at:
        row["flapping_until"] = max(until, row["flapping_until"])
        return []
    if len(changes) > flap.threshold:
        row["flapping_until"] = until
        return [event("flapping", at, note=f"{len(changes)} changes within {duration_text(flap.window_seconds)}",
                      changes=len(changes))]
    return []


# ---------------------------------------------------------------- an alert arrives

def new_row(alert: dict, actor: str, now: str, flap: Flapping) -> tuple:
    """(row, events) for the first alert of a fingerprint (an INFO one is resolved at once)."""
    t, timeout = alert["timestamp"], alert.get("timeout")
    clear = alert["severity"] == CLEAR_SEVERITY
    row = {"timestamp": t, "server": alert["server"], "severity": alert["severity"], "message": alert["message"],
           "provider": alert["provider"], "application": alert["application"], "environment": alert["environment"],
           "fingerprint": alert["fingerprint"], "first_seen": t, "last_seen": t, "duplicate_count": 0,
           "reopen_count": 0, "source_id": alert.get("source_id"), "timeout": timeout,
           "expires_at": _expiry(t, timeout) if timeout and not clear else None,
           "shelved_until": None, "shelved_by": None, "flap_changes": [], "flapping_until": None,
           "resolved_at": t if clear else None, "resolved_by": actor if clear else None,
           "resolution": INFORMATION if clear else None,
           "acknowledged": 0, "acknowledged_by": None, "acknowledged_at": None, "ack_until": None,
           **NOT_SUPPRESSED}
    events = [{"kind": "created", "at": t, "actor": actor, "note": alert["message"], "detail": None}]
    return row, events + _carry_out(row, now, flap)  # its only possible deadline is its timeout


INFORMATION = "information: nothing to do"


def row_to_count_on(rows, alert: dict):
    """Of the rows holding the alert's fingerprint that its sender may see (oldest
    first), the one it counts on: the newest that says the same provider, application,
    environment and server, else the newest; None when there is none. So a row made
    by a sender of another team with the same key never takes over the alerts of the
    row it copied."""
    if len(rows) < 2:
        return rows[0] if rows else None
    same = [row for row in rows if all(row[key] == alert[key] for key in SCOPE_KEYS)]
    return (same or rows)[-1]


def _expiry(t: str, timeout):
    return plus_seconds(t, timeout) if timeout else None


def arrive(row: dict, alert: dict, actor: str, now: str, flap: Flapping) -> tuple:
    """(row, events, outcome) when `alert` arrives with the fingerprint of `row`.

    outcome is "duplicate" (counted on the row), "reopened", "resolved" (an INFO that
    resolved the problem) or "kept" (an INFO about a row already resolved, or one older
    than the problem's last sighting: recorded, nothing changes).

    The row's deadlines are carried out up to the alert's own time first, then up to
    `now`: an alert sent late but seen before a timeout still counts as seen in time."""
    t = alert["timestamp"]
    row = dict(row)
    events = _carry_out(row, min(t, now), flap)
    clear = alert["severity"] == CLEAR_SEVERITY
    if clear and row["severity"] != CLEAR_SEVERITY:
        row, changed, outcome = _clear(row, alert, actor, flap)
    elif not clear and row["resolved_at"] is not None and not is_stale(t, row["resolved_at"]):
        row, changed, outcome = _reopen(row, alert, actor, flap)
    else:
        row, changed, outcome = _duplicate(row, alert, actor)
    return row, events + changed + _carry_out(row, now, flap), outcome


def _duplicate(row: dict, alert: dict, actor: str) -> tuple:
    t = alert["timestamp"]
    row["duplicate_count"] += 1
    row["first_seen"] = min(row["first_seen"], t)
    resolved = row["resolved_at"] is not None
    if is_stale(t, row["last_seen"]) or (resolved and is_stale(t, row["resolved_at"])
                                         and alert["severity"] != CLEAR_SEVERITY):
        return row, [event("duplicate", t, actor, alert["message"] + " (seen before the latest change: "
                                                                     "counted, text kept)")], "duplicate"
    events = [event("duplicate", t, actor, alert["message"])]
    return row, events + _take_latest(row, alert, actor), "duplicate"


def _take_latest(row: dict, alert: dict, actor: str) -> list:
    """The latest sighting's text, severity, time and timeout become the row's."""
    events = []
    if alert["severity"] != row["severity"]:
        events.append(event("severity", alert["timestamp"], actor, f"{row['severity']} -> {alert['severity']}",
                            before=row["severity"], after=alert["severity"]))
    row.update(message=alert["message"], severity=alert["severity"], last_seen=alert["timestamp"],
               timeout=alert.get("timeout"))
    if row["resolved_at"] is None:
        row["expires_at"] = _expiry(alert["timestamp"], alert.get("timeout"))
    return events


def _clear(row: dict, alert: dict, actor: str, flap: Flapping) -> tuple:
    """An INFO alert carrying the fingerprint of a problem: back to normal."""
    t = alert["timestamp"]
    if row["resolved_at"] is not None:
        return row, [event("clear", t, actor, alert["message"] + " (already resolved)")], "kept"
    if is_stale(t, row["last_seen"]):
        note = f"{alert['message']} (older than the last sighting at {row['last_seen']}: not resolved)"
        return row, [event("clear", t, actor, note)], "kept"
    text = f"back to normal: {alert['message']}"
    row.update(resolved_at=t, resolved_by=actor, resolution=text, expires_at=None)
    events = [event("resolved", t, actor, text, by="alert")]
    return row, events + _count_change(row, t, flap), "resolved"


def _reopen(row: dict, alert: dict, actor: str, flap: Flapping) -> tuple:
    """A problem seen again after it was resolved: a new spell of the same alert."""
    t = alert["timestamp"]
    row.update(resolved_at=None, resolved_by=None, resolution=None, shelved_until=None, shelved_by=None,
               timestamp=t, reopen_count=row["reopen_count"] + 1, duplicate_count=row["duplicate_count"] + 1,
               **_NO_ACK, **NOT_SUPPRESSED)
    events = [event("reopened", t, actor, alert["message"], reopen_count=row["reopen_count"])]
    events += _take_latest(row, alert, actor)
    return row, events + _count_change(row, t, flap), "reopened"


# ---------------------------------------------------------------- what a person does

class TransitionError(ValueError):
    """The change asked makes no sense for the alert as it is (the API answers 409)."""


def acknowledge(row: dict, user: str, now: str, until=None, note: str = "") -> tuple:
    """Acknowledged by `user` until `until` (None: until it is resolved). A second
    acknowledgement takes over: its author and time are the acknowledgement's from then
    on (whom the list names and an expiry blames), with the new deadline."""
    if until is not None and until <= now:
        raise InputError("until", f"until ({until}) is not in the future")
    row = dict(row, acknowledged=1, acknowledged_by=user, acknowledged_at=now, ack_until=until)
    text = f"until {until}" if until else "until resolved"
    return row, [event("acknowledged", now, user, _joined(text, note), until=until)]


def unacknowledge(row: dict, user: str, now: str, note: str = "") -> tuple:
    if not is_acknowledged(row, now):
        return dict(row), []
    return dict(row, **_NO_ACK), [event("unacknowledged", now, user, note)]


def shelve(row: dict, user: str, now: str, until: str, note: str = "") -> tuple:
    if until <= now:
        raise InputError("until", f"until ({until}) is not in the future")
    if is_resolved(row, now):
        raise TransitionError("the alert is resolved: there is nothing to shelve")
    row = dict(row, shelved_until=until, shelved_by=user)
    return row, [event("shelved", now, user, _joined(f"until {until}", note), until=until)]


def unshelve(row: dict, user: str, now: str, note: str = "") -> tuple:
    if not is_shelved(row, now):
        return dict(row), []
    return dict(row, shelved_until=None, shelved_by=None), [event("unshelved", now, user, note)]


def resolve(row: dict, user: str, now: str, flap: Flapping = Flapping(), note: str = "") -> tuple:
    """Resolved by hand; resolving a resolved alert changes nothing."""
    if is_resolved(row, now):
        return dict(row), []
    row = dict(row, resolved_at=now, resolved_by=user, resolution=_joined("resolved by hand", note),
               expires_at=None)
    events = [event("resolved", now, user, row["resolution"], by="hand")]
    return row, events + _count_change(row, now, flap)


def edit(row: dict, changes: dict, user: str, now: str) -> tuple:
    """Some of the seven fields changed by hand (the fingerprint stays: it names where the
    alert comes from, and an edit corrects what it says)."""
    changed = {k: [row[k], v] for k, v in changes.items() if row[k] != v}
    if not changed:
        return dict(row), []
    row = dict(row, **{k: v for k, (_, v) in changed.items()})
    note = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
    return row, [event("edited", now, user, note, changes=changed)]


def _joined(text: str, note: str) -> str:
    return f"{text}: {note}" if note else text
