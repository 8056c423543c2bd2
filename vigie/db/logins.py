"""Failed and successful logins, shared by the API's workers (vigie/api/throttle.py
has the rules). Times are Unix seconds; stale rows are removed as new ones come,
so the tables stay small whatever names and addresses are tried."""

from vigie.db.connection import transaction

KEY_MAX = 200  # a user name or address longer than any real one is kept to this


def _key(text) -> str:
    return str(text)[:KEY_MAX]


def state(conn, username, address, now: float, forget_seconds: float, trust_seconds: float,
          refresh_seconds: float = 3600.0):
    """(pair failures, last, address failures, last, trusted, success to refresh) at `now`."""
    username, address = _key(username), _key(address)
    since = now - forget_seconds
    pair = conn.execute("SELECT failures, last_at FROM login_failures WHERE address = ? AND username = ?"
                        " AND last_at > ?", (address, username, since)).fetchone()
    total = conn.execute("SELECT coalesce(sum(failures), 0), coalesce(max(last_at), 0) FROM login_failures"
                         " WHERE address = ? AND last_at > ?", (address, since)).fetchone()
    success = conn.execute("SELECT at FROM login_successes WHERE username = ? AND address = ?",
                           (username, address)).fetchone()
    trusted = success is not None and success[0] > now - trust_seconds
    stale_success = success is None or success[0] <= now - refresh_seconds
    return (pair[0] if pair else 0, pair[1] if pair else 0.0, total[0], total[1], trusted, stale_success)


def failed(conn, username, address, now: float, forget_seconds: float) -> None:
    """One more failure of this pair (a count older than forget_seconds starts again)."""
    username, address = _key(username), _key(address)
    since = now - forget_seconds
    with transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE last_at <= ?", (since,))
        conn.execute("INSERT INTO login_failures (address, username, failures, last_at) VALUES (?, ?, 1, ?)"
                     " ON CONFLICT (address, username) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at",
                     (address, username, now))


def succeeded(conn, username, address, now: float, trust_seconds: float) -> None:
    """The pair logged in: its failures go, and the address is trusted for the user."""
    username, address = _key(username), _key(address)
    with transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE address = ? AND username = ?", (address, username))
        conn.execute("DELETE FROM login_successes WHERE at <= ?", (now - trust_seconds,))
        conn.execute("INSERT INTO login_successes (username, address, at) VALUES (?, ?, ?)"
                     " ON CONFLICT (username, address) DO UPDATE SET at = excluded.at", (username, address, now))
