"""The hand-written v1/v2c GET codec (collector/snmp/fastget.py) against pysnmp's own
encoder and decoder, on literal and generated messages."""

import pytest
from hypothesis import given, settings, strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from collector.snmp import fastget
from collector.snmp.session import python_value

OIDS = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.1.0", "1.3.6.1.2.1.31.1.1.1.6.1000001", "1.3.6.1.4.1.2021.10.1.3.1",
        "2.999.4294967295.0"]


def pysnmp_message(version: int, community: str, pdu) -> bytes:
    mod = api.PROTOCOL_MODULES[version]
    message = mod.Message()
    mod.apiMessage.set_defaults(message)
    mod.apiMessage.set_community(message, community)
    mod.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def pysnmp_get(version: int, community: str, request_id: int, oids) -> bytes:
    mod = api.PROTOCOL_MODULES[version]
    pdu = mod.GetRequestPDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_varbinds(pdu, [(oid, mod.Null("")) for oid in oids])
    return pysnmp_message(version, community, pdu)


def pysnmp_response(version: int, community: str, request_id: int, varbinds, status=0, index=0) -> bytes:
    mod = api.PROTOCOL_MODULES[version]
    pdu = mod.GetResponsePDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_error_status(pdu, status)
    mod.apiPDU.set_error_index(pdu, index)
    mod.apiPDU.set_varbinds(pdu, varbinds)
    return pysnmp_message(version, community, pdu)


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("request_id", [1, 127, 128, 255, 256, 2 ** 31 - 1])
def test_a_get_request_is_byte_for_byte_what_pysnmp_sends(version, request_id):
    assert fastget.encode_get(version, b"s3cret", request_id, OIDS) == pysnmp_get(version, "s3cret", request_id, OIDS)


def test_a_get_of_forty_values_needs_long_lengths_and_still_matches():
    oids = [f"1.3.6.1.2.1.31.1.1.1.6.{i}" for i in range(40)]
    assert fastget.encode_get(1, b"c" * 300, 77, oids) == pysnmp_get(1, "c" * 300, 77, oids)


def test_every_value_type_reads_as_pysnmp_reads_it():
    varbinds = [("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(123456)), ("1.3.6.1.2.1.2.1.0", rfc1902.Integer(-5)),
                ("1.3.6.1.2.1.31.1.1.1.6.1", rfc1902.Counter64(2 ** 64 - 1)),
                ("1.3.6.1.2.1.2.2.1.10.1", rfc1902.Counter32(2 ** 32 - 1)),
                ("1.3.6.1.2.1.2.2.1.5.1", rfc1902.Gauge32(10 ** 9)),
                ("1.3.6.1.2.1.2.2.1.2.1", rfc1902.OctetString(b"GigabitEthernet0/1\x00")),
                ("1.3.6.1.2.1.2.2.1.6.1", rfc1902.OctetString(b"\x00\x1b\xff\x10")),
                ("1.3.6.1.2.1.4.20.1.1.1", rfc1902.IpAddress("192.0.2.7")),
                ("1.3.6.1.2.1.1.2.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.8072.3.2.10")),
                ("1.3.6.1.2.1.1.9.0", rfc1905.NoSuchObject("")), ("1.3.6.1.2.1.1.9.1", rfc1905.NoSuchInstance("")),
                ("1.3.6.1.2.1.1.9.2", rfc1905.EndOfMibView(""))]
    data = pysnmp_response(1, "public", 4242, varbinds)
    version, community, request_id, status, index, got = fastget.decode_response(data)
    assert (version, community, request_id, status, index) == (1, b"public", 4242, 0, 0)
    decoded, _ = decoder.decode(data, asn1Spec=api.PROTOCOL_MODULES[1].Message())
    expected = [(str(n), python_value(v)) for n, v in
                api.PROTOCOL_MODULES[1].apiPDU.get_varbinds(api.PROTOCOL_MODULES[1].apiMessage.get_pdu(decoded))]
    assert got == expected
    assert got[2][1] == 2 ** 64 - 1 and got[1][1] == -5 and got[9][1] is None


def test_an_error_status_comes_back_with_its_index():
    data = pysnmp_response(0, "public", 9, [("1.3.6.1.2.1.1.3.0", rfc1902.Integer(0))], status=2, index=1)
    assert fastget.decode_response(data)[3:5] == (2, 1)
    assert fastget.error_name(2) == "noSuchName" and fastget.error_name(99) == "error 99"


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x03\x02\x01", b"\x04\x00", b"not snmp at all",
                                  b"\x30\x84\xff\xff\xff\xff"])
def test_what_is_not_a_response_is_malformed(data):
    with pytest.raises(fastget.MalformedError):
        fastget.decode_response(data)


def test_a_response_cut_short_anywhere_is_malformed_never_another_error():
    data = pysnmp_response(1, "public", 1, [(oid, rfc1902.Counter64(7)) for oid in OIDS])
    for cut in range(len(data)):
        with pytest.raises(fastget.MalformedError):
            fastget.decode_response(data[:cut])


def test_a_request_is_not_a_response():
    with pytest.raises(fastget.MalformedError, match="0xa0"):
        fastget.decode_response(fastget.encode_get(1, b"public", 1, OIDS))


values = st.one_of(st.builds(rfc1902.Counter64, st.integers(0, 2 ** 64 - 1)),
                   st.builds(rfc1902.Counter32, st.integers(0, 2 ** 32 - 1)),
                   st.builds(rfc1902.Integer, st.integers(-2 ** 31, 2 ** 31 - 1)),
                   st.builds(rfc1902.OctetString, st.binary(max_size=300)))
oids = st.lists(st.integers(0, 2 ** 32 - 1), min_size=1, max_size=12).map(lambda a: "1.3." + ".".join(map(str, a)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(oids, values), max_size=40), st.integers(0, 2 ** 31 - 1))
def test_generated_responses_read_as_pysnmp_reads_them(varbinds, request_id):
    data = pysnmp_response(1, "c", request_id, varbinds)
    got = fastget.decode_response(data)
    assert got[2] == request_id
    assert got[5] == [(oid, python_value(value)) for oid, value in varbinds]


def test_the_v3_discovery_message_reads_as_pysnmp_reads_an_snmpv3_message():
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

    message, rest = decoder.decode(fastget.encode_v3_discovery(4242), asn1Spec=SNMPv3Message())
    assert rest == b""
    assert int(message["msgVersion"]) == 3
    header = message["msgGlobalData"]
    assert int(header["msgID"]) == 4242 and int(header["msgSecurityModel"]) == 3
    assert bytes(header["msgFlags"]) == b"\x04"          # reportable, no authentication, no privacy
    usm, _ = decoder.decode(bytes(message["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(usm["msgAuthoritativeEngineId"]) == b"" and bytes(usm["msgUserName"]) == b""
    scoped = message["msgData"]["plaintext"]
    pdu = scoped["data"].getComponent()
    assert bytes(scoped["contextEngineId"]) == b"" and len(pdu["variable-bindings"]) == 0
    assert int(pdu["request-id"]) == 4242
