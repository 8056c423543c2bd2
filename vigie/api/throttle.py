"""Slowing down password guessing without locking out the owner of the password.

Failed logins are counted per user name and client address, and per address, in the
database (vigie/db/logins.py), so every worker of the API sees the same counts.
Past a few free failures, each further attempt of that pair (or from that address)
waits twice as long as the one before, up to `max_wait_seconds`; what arrives
sooner is refused (429, Retry-After) without the password being checked. Counts
are forgotten after `forget_seconds` without a failure.

A user who logged in from an address within `trust_days` is never refused there:
the password is checked, the right one lets them in whatever others tried from
elsewhere (or, behind a proxy whose address every client shares, from there).

The client address is the peer's, or, when the peer is a proxy listed in
`forwarded_allow_ips` (gunicorn's setting, which the API shares), the address that
proxy wrote last in X-Forwarded-For. Pure functions, tested on literal input.
"""

import math
from dataclasses import dataclass

from vigie.addresses import host_address, network


@dataclass(frozen=True)
class Rules:
    free_per_user: int = 5          # failures of one user name from one address before waits begin
    free_per_address: int = 20      # failures from one address (any name) before waits begin
    first_wait_seconds: float = 1.0
    max_wait_seconds: float = 900.0
    forget_seconds: float = 3600.0  # a count with no failure for this long starts again from zero
    trust_days: float = 30.0        # a success from an address lets the user in from there for this long


RULES = Rules()


@dataclass(frozen=True)
class State:
    """What the database holds for one login attempt (times: Unix seconds)."""
    pair_failures: int = 0
    pair_last: float = 0.0
    address_failures: int = 0
    address_last: float = 0.0
    trusted: bool = False


def wait_after(failures: int, last: float, now: float, free: int, rules: Rules = RULES) -> float:
    """Seconds still to wait after `failures` failures, the last at `last` (0: none)."""
    if failures < free:
        return 0.0
    wait = min(rules.first_wait_seconds * 2 ** min(failures - free, 30), rules.max_wait_seconds)
    return max(0.0, last + wait - now)


def login_wait(state: State, now: float, rules: Rules = RULES) -> int:
    """Whole seconds before this attempt may be checked (0: check the password now)."""
    if state.trusted:
        return 0
    wait = max(wait_after(state.pair_failures, state.pair_last, now, rules.free_per_user, rules),
               wait_after(state.address_failures, state.address_last, now, rules.free_per_address, rules))
    return math.ceil(wait) if wait > 0 else 0


def trusted_networks(entries) -> tuple:
    """forwarded_allow_ips entries as networks; ("*",) trusts every peer."""
    if "*" in entries:
        return ("*",)
    return tuple(network(entry) for entry in entries if entry.strip())


def _trusted(address, networks) -> bool:
    return address is not None and ("*" in networks or any(address in net for net in networks))


def client_address(peer: str, forwarded_for, networks) -> str:
    """The client's address: the peer, unless it is a trusted proxy; then, walking
    X-Forwarded-For from its end, the first address that is not a trusted proxy (the
    entries before it are the client's own word, never believed)."""
    current = host_address(peer)
    if not forwarded_for or not _trusted(current, networks):
        return peer
    for entry in reversed(forwarded_for.split(",")):
        hop = host_address(entry)
        if hop is None:
            break  # a malformed entry: the last trusted hop is all that is known
        current = hop
        if not _trusted(hop, networks):
            break
    return str(current)
