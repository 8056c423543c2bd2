"""Alert files for what devices report themselves (syslog messages, SNMP traps).

Each alert carries a fingerprint, one per machine and condition, so the API
counts a repeat as a duplicate of the alert still open instead of adding a
row, and an "all clear" (a linkUp) resolves the problem it ends (the
linkDown). `fingerprint` is pure; `write_alert` drops one file in
alertfiles/ (vigie.alert_file.write), named for where it came from.
"""

import hashlib
from pathlib import Path

from vigie import alert_file
from vigie.alert import machine_record
from vigie.utc import iso_from_unix


def fingerprint(kind: str, machine: str, *parts: str) -> str:
    """`kind:machine:hash of parts`, stable across runs and processes."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:20]
    return f"{kind}:{machine}:{digest}"


def alert_record(machine: str, tags: dict, ts: float, severity: str, message: str, fingerprint: str) -> dict:
    """The shared alert record (vigie.alert FIELDS) plus its fingerprint; the device's text on
    one line, its runs of white space made one space."""
    message = " ".join(message.split()) or "(empty message)"
    return machine_record(machine, tags, iso_from_unix(ts), severity, message, fingerprint)


def write_alert(alertfiles_dir, kind: str, record: dict) -> Path:
    """Write the alert file; its name says where it came from, e.g. `syslog-rt1-20261122T101503-a1b2c3d4.txt`."""
    return alert_file.write(alertfiles_dir, f"{kind}-{record['server']}", record)
