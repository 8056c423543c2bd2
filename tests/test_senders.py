"""Matching a sender to a machine (vigie/senders.py) and the per-sender rate limit."""

import pytest

from vigie.senders import RateLimit, SenderIndex, normalize_address


def machine(name, host, **extra):
    return dict({"name": name, "host": host}, **extra)


FLEET = [
    machine("core-rt1", "192.0.2.1"),
    machine("edge-sw2", "edge-sw2.example.net", aliases=["sw2-old", "SW2.Paris"], syslog_hosts=["198.51.100.7"]),
    machine("fw-1", "2001:db8::1"),
    machine("sim-a", "127.0.0.1"),
    machine("sim-b", "127.0.0.1"),
]


def fake_resolve(name):
    return {"edge-sw2.example.net": ["192.0.2.2", "2001:db8::2"]}.get(name, [])


@pytest.fixture
def index():
    return SenderIndex(FLEET, resolve=fake_resolve)


@pytest.mark.parametrize("source, hostname, expected", [
    ("192.0.2.1", "", "core-rt1"),                   # by source address
    ("192.0.2.1", "edge-sw2", "core-rt1"),           # the address wins over the name it claims
    ("192.0.2.2", "", "edge-sw2"),                   # an address the host name resolves to
    ("::ffff:192.0.2.2", "", "edge-sw2"),            # IPv4-mapped IPv6
    ("2001:db8:0:0::2", "", "edge-sw2"),             # another spelling of the same IPv6 address
    ("198.51.100.7", "", "edge-sw2"),                # a syslog_hosts address
    ("[2001:db8::1]", "", "fw-1"),
    ("203.0.113.9", "edge-sw2.example.net.", "edge-sw2"),  # by host name, trailing dot
    ("203.0.113.9", "EDGE-SW2", "edge-sw2"),         # by the name's first label, any case
    ("203.0.113.9", "core-rt1.lab.example", "core-rt1"),   # the machine's name, first label
    ("203.0.113.9", "sw2-old", "edge-sw2"),          # an alias
    ("203.0.113.9", "sw2.paris", "edge-sw2"),
    ("203.0.113.9", "198.51.100.7", "edge-sw2"),     # a host field that holds an address
    ("127.0.0.1", "", None),                         # claimed by two machines: no match by address
    ("127.0.0.1", "sim-b", "sim-b"),                 # ... the name decides
    ("203.0.113.9", "stranger", None),
    ("", "", None),
])
def test_match_order(index, source, hostname, expected):
    assert index.match(source, hostname) == expected


def test_an_alias_claimed_twice_matches_neither():
    index = SenderIndex([machine("a", "192.0.2.10", aliases=["shared"]), machine("b", "192.0.2.11", aliases=["shared"])],
                        resolve=fake_resolve)
    assert index.match("203.0.113.1", "shared") is None


@pytest.mark.parametrize("given, expected", [("::FFFF:10.0.0.1", "10.0.0.1"), ("[::1]", "::1"),
                                             ("fe80::1%eth0", "fe80::1"), ("Router.Example", "router.example")])
def test_normalize_address(given, expected):
    assert normalize_address(given) == expected


def test_rate_limit_is_per_key_and_refills_with_time():
    now = [0.0]
    limit = RateLimit(rate=1.0, burst=3, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert limit.allow("b")
    now[0] = 2.0
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]
    assert limit.take_refused() == {"a": 3} and limit.take_refused() == {}


def test_rate_limit_holds_a_bounded_number_of_keys():
    limit = RateLimit(rate=0.0, burst=1, max_keys=10, clock=lambda: 0.0)
    for i in range(1000):
        limit.allow(i)
        limit.allow(i)
    assert len(limit.buckets) == 10 and len(limit.take_refused()) <= 11


def test_machine_file_keys_are_checked():
    from vigie.machines import MachineConfigError, parse_machine

    base = '{"host": "192.0.2.1", "snmp": {"version": "2c", "community": "c"}, %s}'
    config = parse_machine("rt1", base % '"aliases": ["rt1.old"], "syslog_hosts": ["198.51.100.1"]')
    assert SenderIndex([config]).match("198.51.100.1") == "rt1"
    for bad, field in (('"aliases": "rt1.old"', "aliases"), ('"syslog_hosts": ["bad host"]', "syslog_hosts.0")):
        with pytest.raises(MachineConfigError) as info:
            parse_machine("rt1", base % bad)
        assert info.value.field == field
