"""The text of a notification: a title and a plain-text body, for one alert or a group.

A title names the gravest severity and, for one alert, its server and message:
`[CRITICAL] opened: edge-rt-02: Machine is not answering SNMP` (`opened: core (12 machines
unreachable behind it): ...` for a root cause); for a group, the
counts: `[CRITICAL] 3 opened, 1 resolved (rule core-network)`. A message telling only
resolutions is titled `[RESOLVED] edge-rt-02: ...` (`[RESOLVED] 3 alerts (rule ...)`). The body has one
block per alert (at most MAX_LISTED, then a count of the others) with its fields,
what happened, and a link to it on the site. An alert that is the root cause of others
(a machine down with devices unreachable behind it: vigie/dependencies.py) carries them
as `behind`: its title counts them and its block names them, at most BEHIND_LISTED.
Pure functions.
"""

from vigie import severity
from vigie.down_alerts import reachability_machine

MAX_LISTED = 20
BEHIND_LISTED = 20
TITLE_MAX = 200
KIND_WORDS = {
    "opened": "opened", "reopened": "reopened", "escalated": "escalated", "repeat": "still open",
    "resolved": "resolved", "flapping": "flapping",
}
KIND_ORDER = ("opened", "reopened", "escalated", "repeat", "flapping", "resolved")


def alert_link(site_url: str, alert_id: int) -> str:
    return f"{site_url.rstrip('/')}/alerts.html?id={alert_id}"


def gravest(alerts) -> str:
    return max((a["severity"] for a in alerts), key=lambda s: severity.RANK[s], default=severity.LEAST_SEVERE)


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def split_behind(alert: dict) -> tuple:
    """(machines unreachable behind the alert, its other alerts: ports toward them), as
    the notifier attached them (`behind`: [{"server", "message", "fingerprint"}])."""
    behind = alert.get("behind") or ()
    machines = [b["server"] for b in behind if reachability_machine(b["fingerprint"]) is not None]
    return machines, [b for b in behind if reachability_machine(b["fingerprint"]) is None]


def behind_lines(alert: dict) -> list:
    """What is unreachable behind a root cause, named up to BEHIND_LISTED."""
    machines, others = split_behind(alert)
    lines = []
    if machines:
        named = ", ".join(machines[:BEHIND_LISTED])
        more = f" and {len(machines) - BEHIND_LISTED} more" if len(machines) > BEHIND_LISTED else ""
        lines.append(f"  {_plural(len(machines), 'machine')} unreachable behind it: {named}{more}")
    if others:
        named = "; ".join(f"{b['server']}: {b['message']}" for b in others[:BEHIND_LISTED])
        more = f"; and {len(others) - BEHIND_LISTED} more" if len(others) > BEHIND_LISTED else ""
        lines.append(f"  {_plural(len(others), 'more alert')} of its doing: {named}{more}")
    return lines


def all_resolved(entries) -> bool:
    return bool(entries) and all(kind == "resolved" for _, kind in entries)


def title(entries, rule_name: str = None) -> str:
    """entries: [(alert, kind)] in the order they joined the message. A message telling
    only resolutions is titled [RESOLVED], not with the severity the alerts had."""
    alerts = [a for a, _ in entries]
    resolved = all_resolved(entries)
    head = "[RESOLVED]" if resolved else f"[{gravest(alerts)}]"
    suffix = f" (rule {rule_name})" if rule_name else ""
    if len(entries) == 1:
        alert, kind = entries[0]
        machines = split_behind(alert)[0]
        behind = f" ({_plural(len(machines), 'machine')} unreachable behind it)" if machines else ""
        what = "" if resolved else f" {KIND_WORDS[kind]}:"
        return _clip(f"{head}{what} {alert['server']}{behind}: {alert['message']}", TITLE_MAX)
    if resolved:
        return _clip(f"{head} {_plural(len(entries), 'alert')}{suffix}", TITLE_MAX)
    counts = {}
    for _, kind in entries:
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{counts[k]} {KIND_WORDS[k]}" for k in KIND_ORDER if k in counts]
    return _clip(f"{head} {', '.join(parts)}{suffix}", TITLE_MAX)


def alert_block(alert: dict, kind: str, site_url: str) -> str:
    where = ", ".join(f"{name} {alert[name]}" for name in ("application", "environment", "provider") if alert[name])
    lines = [f"{alert['severity']} {KIND_WORDS[kind]}: {alert['server']}: {alert['message']}",
             f"  at {alert['timestamp']}" + (f" ({where})" if where else "")]
    lines += behind_lines(alert) + [f"  {alert_link(site_url, alert['id'])}"]
    return "\n".join(lines)


def body(entries, site_url: str, rule_name: str = None) -> str:
    blocks = [alert_block(alert, kind, site_url) for alert, kind in entries[:MAX_LISTED]]
    if len(entries) > MAX_LISTED:
        blocks.append(f"... and {len(entries) - MAX_LISTED} more: {site_url.rstrip('/')}/alerts.html")
    if rule_name:
        blocks.append(f"-- Vigie, rule {rule_name}")
    return "\n\n".join(blocks)


def notify_type(entries) -> str:
    """Apprise's message type: success when everything is resolved, else by gravity."""
    if all_resolved(entries):
        return "success"
    top = gravest([a for a, _ in entries])
    return {"CRITICAL": "failure", "ERROR": "failure", "WARNING": "warning"}.get(top, "info")
