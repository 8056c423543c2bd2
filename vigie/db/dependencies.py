"""The verdict of dependencies (vigie/dependencies.py), written on the alerts.

Whenever a machine's reachability alert or an interface-down alert changes (opened,
reopened, resolved, deleted), the API calls `apply` in the same transaction: the open
down alerts are read (a small set, through their own index), the verdict is made from
the machines that are down, and each alert whose verdict changed gets its
`suppressed_by` (the root-cause machine) and `suppressed_by_alert` (its alert) with a
history entry ("suppressed", "unsuppressed"). The console, "needs attention", the
metrics and the notifier all read that one stored truth. A resolved alert keeps what
it was when it resolved; a new spell of it is decided anew.

A `vigie.dependencies.Network` is what the verdict needs from the files (everyone's
parents, the far end of every cabled port), with a version that changes with them: a
change of the files alone is applied at the next ingest (`stale`), or at once by
`refresh` (the API calls it when it writes a machine file).
"""

from vigie import dependencies as dp
from vigie import lifecycle as lc
from vigie.db import rows
from vigie.db.connection import transaction, utc_now
from vigie.down_alerts import is_down_condition, is_interface_down, reachability_machine

VERSION_KEY = "dependencies_version"
# The down alerts not resolved, through the partial index alerts_down_conditions (its
# WHERE clause, word for word, so that SQLite takes it).
_LIVE_DOWN = rows.SELECT_ROWS + " WHERE resolved_at IS NULL AND fingerprint LIKE 'snmp:%'"


def concerns(records) -> bool:
    """Whether a batch of alert records holds a down condition (the verdict may change)."""
    return any(is_down_condition(r.get("fingerprint") or "") for r in records)


def stale(conn, network: dp.Network) -> bool:
    """Whether the stored verdict was made from other files than `network`'s."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()
    return (row[0] if row else "") != network.version


def _live_down_rows(conn, now: str) -> list:
    found = (rows.from_db(r) for r in conn.execute(_LIVE_DOWN))
    return [r for r in found if is_down_condition(r["fingerprint"]) and not lc.is_resolved(r, now)]


def verdict(network: dp.Network, live: list) -> dict:
    """{alert id: (root cause, its alert id)} of the open down alerts `live` (rows)."""
    down, interfaces = {}, {}
    for row in sorted(live, key=lambda r: r["id"]):
        machine = reachability_machine(row["fingerprint"])
        if machine is not None:
            down.setdefault(machine, row["id"])   # rows sharing a fingerprint: the oldest stands for it
        elif is_interface_down(row["fingerprint"]):
            interfaces[row["id"]] = row["fingerprint"]
    return dp.suppression(network.parents, network.ends, down, interfaces)


def _entry(row: dict, before: tuple, after: tuple, now: str) -> dict:
    if after[0] is None:
        return lc.event("unsuppressed", now, lc.SYSTEM, f"no longer behind {before[0]}, which is not down in front "
                                                        "of it any more: a fault of its own if it lasts",
                        machine=before[0], alert_id=before[1])
    if reachability_machine(row["fingerprint"]) is not None:
        note = f"unreachable behind {after[0]} (alert #{after[1]}): every path to it goes through a machine that is down"
    else:
        note = f"the cable of this port leads to a machine that is down; root cause {after[0]} (alert #{after[1]})"
    return lc.event("suppressed", now, lc.SYSTEM, note, machine=after[0], alert_id=after[1])


def apply(conn, network: dp.Network, now: str) -> list:
    """In the caller's transaction: the verdict written on the open down alerts whose
    verdict changed; returns their history entries [(alert id, entry)], for the caller to
    write with the rest of its change."""
    live = _live_down_rows(conn, now)
    decided = verdict(network, live)
    pairs, entries = [], []
    for row in live:
        before = (row["suppressed_by"], row["suppressed_by_alert"])
        after = decided.get(row["id"], (None, None))
        if before != after:
            pairs.append((row, dict(row, suppressed_by=after[0], suppressed_by_alert=after[1])))
            entries.append((row["id"], _entry(row, before, after, now)))
    rows.update_rows(conn, pairs)
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (VERSION_KEY, network.version))
    return entries


def refresh(conn, network: dp.Network, now: str = None) -> int:
    """The verdict made again from `network` (the files changed), in its own transaction;
    returns how many alerts changed."""
    now = now or utc_now()
    with transaction(conn):
        entries = apply(conn, network, now)
        rows.write_events(conn, entries, now)
    return len(entries)


def suppressing(conn, alert_ids) -> dict:
    """{alert id: how many open alerts it suppresses} of these alerts (those suppressing none left out)."""
    ids, found = list(alert_ids), {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(conn.execute(
            f"SELECT suppressed_by_alert, COUNT(*) FROM alerts WHERE suppressed_by_alert IN ({','.join('?' * len(chunk))})"
            " AND resolved_at IS NULL GROUP BY suppressed_by_alert", chunk).fetchall())
    return found


BEHIND_COLUMNS = ("id", "server", "message", "fingerprint", "provider", "application", "environment")


def behind(conn, alert_id: int, limit: int = None) -> list:
    """The open alerts suppressed by alert `alert_id`: [{"id", "server", "message", "fingerprint", and the fields
    a scope looks at}], reachability alerts first, then by server."""
    found = [dict(zip(BEHIND_COLUMNS, r)) for r in conn.execute(
        f"SELECT {', '.join(BEHIND_COLUMNS)} FROM alerts WHERE suppressed_by_alert = ? AND resolved_at IS NULL",
        (alert_id,))]
    found.sort(key=lambda a: (reachability_machine(a["fingerprint"]) is None, a["server"], a["id"]))
    return found[:limit] if limit is not None else found
