"""Which machine sent this? Matching syslog messages and SNMP traps to machine files.

A message is matched, in this order, by
1. its source address: the machine's `host` (an address, or a name resolved
   when the machine files are read) or one of its `syslog_hosts`;
2. the host name it carries: the machine's name or its `host`, whole or up to
   the first dot (`rt1` matches `rt1.example.net`);
3. that host name among the machine's `aliases` or `syslog_hosts`.
An address or a name claimed by two machines identifies neither (on a test
bench every simulated device is 127.0.0.1): the next rule decides. What
matches nothing goes to the "unknown" log, under a per-sender rate limit.
"""

import ipaddress
import socket
import time
from collections import OrderedDict
from functools import lru_cache


@lru_cache(maxsize=4096)
def normalize_address(address: str) -> str:
    """One spelling per address: IPv6 compressed, IPv4-mapped IPv6 as IPv4, no zone or brackets."""
    text = (address or "").strip().strip("[]").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False


def resolve_host(name: str) -> list:
    """Every address a DNS name has now (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_UDP)
    except (OSError, UnicodeError):
        return []
    return sorted({normalize_address(info[4][0]) for info in infos})


def _names_of(text: str) -> set:
    text = text.strip().lower().rstrip(".")
    return {text, text.split(".", 1)[0]} if text and not is_address(text) else {text} if text else set()


class _Table:
    """key -> machine, where a key claimed by two machines is dropped (ambiguous)."""

    def __init__(self):
        self.owner, self.ambiguous = {}, set()

    def add(self, key: str, machine: str) -> None:
        if not key or key in self.ambiguous:
            return
        if self.owner.setdefault(key, machine) != machine:
            del self.owner[key]
            self.ambiguous.add(key)

    def get(self, key: str):
        return self.owner.get(key)


class SenderIndex:
    """Built from machine configs (vigie.machines), answers `match(source, hostname)`."""

    def __init__(self, configs, resolve=resolve_host):
        self.by_address, self.by_name, self.by_alias = _Table(), _Table(), _Table()
        for config in configs:
            name = config["name"]
            host = config.get("host", "")
            addresses = [host] if is_address(host) else resolve(host) if host else []
            for extra in config.get("syslog_hosts", []):
                if is_address(extra):
                    addresses.append(extra)
            for address in addresses:
                self.by_address.add(normalize_address(address), name)
            for key in _names_of(name) | (_names_of(host) if not is_address(host) else set()):
                self.by_name.add(key, name)
            for extra in list(config.get("aliases", [])) + list(config.get("syslog_hosts", [])):
                key = normalize_address(extra) if is_address(extra) else extra.strip().lower().rstrip(".")
                self.by_alias.add(key, name)
        self.size = len({c["name"] for c in configs})

    def match(self, source: str, hostname: str = ""):
        """The machine's name, or None."""
        found = self.by_address.get(normalize_address(source)) if source else None
        if found:
            return found
        host = (hostname or "").strip().lower().rstrip(".")
        if not host:
            return None
        key = normalize_address(host) if is_address(host) else host
        return (self.by_name.get(key) or self.by_name.get(key.split(".", 1)[0])
                or self.by_alias.get(key) or self.by_alias.get(key.split(".", 1)[0]))


class RateLimit:
    """A token bucket per key (`rate` per second, up to `burst`), for at most `max_keys` keys;
    counts what it refused per key until `take_refused` collects it."""

    def __init__(self, rate: float, burst: float, max_keys: int = 4096, clock=time.monotonic):
        self.rate, self.burst, self.max_keys, self.clock = rate, burst, max_keys, clock
        self.buckets = OrderedDict()
        self.refused = {}

    def allow(self, key) -> bool:
        now = self.clock()
        tokens, last = self.buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        else:
            counted = key if key in self.refused or len(self.refused) < self.max_keys else "(others)"
            self.refused[counted] = self.refused.get(counted, 0) + 1
        self.buckets[key] = (tokens, now)
        while len(self.buckets) > self.max_keys:
            self.buckets.popitem(last=False)
        return allowed

    def take_refused(self) -> dict:
        refused, self.refused = self.refused, {}
        return refused
