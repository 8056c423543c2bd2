"""Alert files for what devices report themselves (syslog messages, SNMP traps).

Each alert carries a fingerprint, one per machine and condition, so the API
counts a repeat as a duplicate of the alert still open instead of adding a
row, and an "all clear" (a linkUp) resolves the problem it ends (the
linkDown). `fingerprint` is pure; `write_alert` drops one file in
alertfiles/ atomically, named so that two alerts never share a file.
"""

import hashlib
import secrets
from pathlib import Path

from vigie.alert import MAX_TEXT
from vigie.alert_file import render
from vigie.atomic import atomic_write_text
from vigie.utc import iso_from_unix


def fingerprint(kind: str, machine: str, *parts: str) -> str:
    """`kind:machine:hash of parts`, stable across runs and processes."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:20]
    return f"{kind}:{machine}:{digest}"


def alert_record(machine: str, tags: dict, ts: float, severity: str, message: str, fingerprint: str) -> dict:
    """The shared alert record (vigie.alert FIELDS) plus its fingerprint."""
    message = " ".join(message.split()) or "(empty message)"
    if len(message) > MAX_TEXT:
        message = message[: MAX_TEXT - 1] + "…"
    return {
        "timestamp": iso_from_unix(ts),
        "server": machine, "severity": severity, "message": message,
        "provider": tags.get("provider", ""), "application": tags.get("application", ""),
        "environment": tags.get("environment", ""), "fingerprint": fingerprint,
    }


def file_text(record: dict) -> str:
    return render(record)


def write_alert(alertfiles_dir, kind: str, record: dict) -> Path:
    """Write the alert file; its name says where it came from, e.g. `syslog-rt1-20261122T101503-a1b2c3.txt`."""
    directory = Path(alertfiles_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = record["timestamp"][:19].replace("-", "").replace(":", "")
    path = directory / f"{kind}-{record['server']}-{stamp}-{secrets.token_hex(4)}.txt"
    atomic_write_text(path, file_text(record), mode=0o644)
    return path
