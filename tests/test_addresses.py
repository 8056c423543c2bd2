"""Addresses and networks as URLs, proxies and settings write them (vigie/addresses.py)."""

import pytest

from vigie import addresses


@pytest.mark.parametrize("text, address", [
    ("192.0.2.1", "192.0.2.1"), ("192.0.2.1:25", "192.0.2.1"), ("fe80::1", "fe80::1"), ("fe80::1%eth0", "fe80::1"),
    ("[fe80::1]", "fe80::1"), ("[fd00:ec2::254]:587", "fd00:ec2::254"), ("[::ffff:169.254.169.254]", "169.254.169.254"),
    (" 10.0.0.1 ", "10.0.0.1"), ("mail.example.org", None), ("mail.example.org:25", None), ("T1JJ3T3L2", None),
    ("", None),
])
def test_the_address_a_host_text_names(text, address):
    found = addresses.host_address(text)
    assert (str(found) if found else None) == address


@pytest.mark.parametrize("text, network", [
    ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), (" 192.0.2.1 ", "192.0.2.1/32"), ("fe80::/10", "fe80::/10"),
])
def test_the_network_a_setting_names(text, network):
    assert str(addresses.network(text)) == network


@pytest.mark.parametrize("text", ["10.0.0.0/33", "intranet", "*", ""])
def test_what_is_no_network(text):
    with pytest.raises(ValueError):
        addresses.network(text)
