"""IP addresses and networks as people and programs write them: a host in a URL or
in X-Forwarded-For (`192.0.2.1`, `192.0.2.1:25`, `[fe80::1]:25`, `fe80::1%eth0`),
a network in a setting (`10.0.0.0/8`, or one address). One reading for the channel
policy (vigie/notify/channels.py), the login throttle's proxies (vigie/api/throttle.py)
and the check of the settings that list networks (vigie/config.py). Pure functions,
tested on literal input.
"""

import ipaddress


def host_address(text: str):
    """The IP address a host text names (an IPv4-mapped IPv6 address as its IPv4
    address), or None when it names none (a host name, a token, garbage)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    mapped = address.ipv4_mapped if address.version == 6 else None
    return mapped or address


def network(text: str):
    """The network a setting's entry names (one address is a network of one)."""
    return ipaddress.ip_network(text.strip(), strict=False)
