"""Alerts as CSV, for the console's export (GET /api/alert?format=csv).

One header line, then one line per alert, written chunk by chunk as the rows are
read, so an export of a million alerts never holds them all. RFC 4180 quoting,
UTF-8, CRLF ends (what spreadsheets expect). A cell that a spreadsheet would take
for a formula (=, +, -, @ first) gets a leading apostrophe: an alert message is
text from outside and must not run as a formula when the file is opened.
"""

import csv
import io

COLUMNS = ("id", "timestamp", "server", "severity", "message", "provider", "application", "environment",
           "status", "acknowledged", "acknowledged_by", "acknowledged_at", "first_seen", "last_seen",
           "duplicate_count", "reopen_count", "resolved_at", "fingerprint")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def lines(chunks):
    """CSV text, a chunk of rows at a time, from an iterable of lists of alert dicts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([cell(alert.get(column)) for column in COLUMNS] for alert in chunk)
        yield buffer.getvalue()
