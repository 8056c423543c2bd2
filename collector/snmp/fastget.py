"""SNMP v1/v2c GET, encoded and decoded by hand: the collector's hot path.

A steady-state poll is one GET per device for each 40 values; pysnmp decodes
the answers with pyasn1's generic BER decoder, about 150 us of CPU a value,
which at 500 devices of 48 ports is most of a tick. A GET request and its
response have a fixed, small shape (RFC 1157, RFC 3416):

    Message ::= SEQUENCE { version INTEGER, community OCTET STRING, pdu }
    pdu     ::= [0] GetRequest / [2] Response IMPLICIT SEQUENCE {
                  request-id INTEGER, error-status INTEGER, error-index INTEGER,
                  variable-bindings SEQUENCE OF SEQUENCE { name OID, value } }

so this module encodes the request (an OID's encoding is computed once) and
walks the response's TLVs directly, ten times cheaper. Values come back as
the collector's plain values (session.python_value's rules: int, str, None
for noSuchObject / noSuchInstance / endOfMibView). Anything that is not a
well-formed response raises MalformedError. GETBULK walks (discovery, once an
hour) and SNMPv3 still go through pysnmp.

`GetClient` sends requests over one UDP socket per address family shared by
every device of the event loop, matches answers by request-id and sender,
and resends on timeout `retries` times, as pysnmp does.
"""

import asyncio
import ipaddress
import itertools
import random
import socket
from functools import lru_cache

SEQUENCE, INTEGER, OCTET_STRING, NULL, OID = 0x30, 0x02, 0x04, 0x05, 0x06
GET_REQUEST, RESPONSE = 0xA0, 0xA2
IP_ADDRESS, COUNTER32, GAUGE32, TIME_TICKS, OPAQUE, COUNTER64, UINTEGER32 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x47
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82
UNSIGNED = (COUNTER32, GAUGE32, TIME_TICKS, COUNTER64, UINTEGER32)
TEXT = (OCTET_STRING, IP_ADDRESS, OPAQUE)
MISSING = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW)
ERROR_NAMES = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
               "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
               "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
               "inconsistentName")
VERSIONS = {"1": 0, "2c": 1}
TIMEOUT_MESSAGE = "No SNMP response received before timeout"


class MalformedError(ValueError):
    """A datagram that is not a well-formed SNMP v1/v2c response."""


# ---------------------------------------------------------------- encoding

def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(value: int) -> bytes:
    return _tlv(INTEGER, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    arcs = [int(part) for part in oid.strip(".").split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise ValueError(f"not an OID: {oid!r}")
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(OID, bytes(body))


@lru_cache(maxsize=65536)
def _varbind(oid: str) -> bytes:
    return _tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00")


def encode_get(version: int, community: bytes, request_id: int, oids) -> bytes:
    """A GetRequest message asking for `oids` (dotted strings)."""
    varbinds = _tlv(SEQUENCE, b"".join(_varbind(oid) for oid in oids))
    pdu = _tlv(GET_REQUEST, _integer(request_id) + b"\x02\x01\x00\x02\x01\x00" + varbinds)
    return _tlv(SEQUENCE, _integer(version) + _tlv(OCTET_STRING, community) + pdu)


# ---------------------------------------------------------------- decoding

def _header(data: bytes, pos: int, end: int):
    """(tag, start of the value, end of the value) of the TLV at pos."""
    if pos + 2 > end:
        raise MalformedError("truncated")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        size = first & 0x7F
        if size == 0 or size > 4 or pos + size > end:
            raise MalformedError("bad length")
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        length = first
    if pos + length > end:
        raise MalformedError("truncated value")
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, tag: int):
    got, start, stop = _header(data, pos, end)
    if got != tag:
        raise MalformedError(f"tag 0x{got:02x} where 0x{tag:02x} belongs")
    return start, stop


def _int(data: bytes, start: int, stop: int, signed: bool = True) -> int:
    if start == stop:
        raise MalformedError("empty integer")
    return int.from_bytes(data[start:stop], "big", signed=signed)


@lru_cache(maxsize=65536)       # a poll asks the same OIDs every time
def decode_oid(body: bytes) -> str:
    if not body:
        raise MalformedError("empty OID")
    arcs, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if body[-1] & 0x80:
        raise MalformedError("OID cut short")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + arcs[1:]))


def text_value(raw: bytes) -> str:
    """An OCTET STRING as session.python_value shows it: UTF-8 text, else hex."""
    try:
        return raw.decode("utf-8").rstrip("\x00")
    except UnicodeDecodeError:
        return raw.hex(":")


def _value(data: bytes, tag: int, start: int, stop: int):
    if tag in UNSIGNED:
        return _int(data, start, stop, signed=False)
    if tag == INTEGER:
        return _int(data, start, stop)
    if tag in TEXT:
        return text_value(bytes(data[start:stop]))
    if tag in MISSING:
        return None
    if tag == OID:
        return decode_oid(bytes(data[start:stop]))
    if tag == NULL:
        return ""
    raise MalformedError(f"value of unknown type 0x{tag:02x}")


def decode_response(data: bytes) -> tuple:
    """(version, community, request-id, error-status, error-index, [(oid, value)]) of a Response."""
    end = len(data)
    start, stop = _expect(data, 0, end, SEQUENCE)
    v0, v1 = _expect(data, start, stop, INTEGER)
    version = _int(data, v0, v1)
    c0, c1 = _expect(data, v1, stop, OCTET_STRING)
    community = bytes(data[c0:c1])
    p0, p1 = _expect(data, c1, stop, RESPONSE)
    r0, r1 = _expect(data, p0, p1, INTEGER)
    s0, s1 = _expect(data, r1, p1, INTEGER)
    i0, i1 = _expect(data, s1, p1, INTEGER)
    b0, b1 = _expect(data, i1, p1, SEQUENCE)
    varbinds, pos = [], b0
    while pos < b1:
        e0, e1 = _expect(data, pos, b1, SEQUENCE)
        n0, n1 = _expect(data, e0, e1, OID)
        tag, x0, x1 = _header(data, n1, e1)
        varbinds.append((decode_oid(bytes(data[n0:n1])), _value(data, tag, x0, x1)))
        pos = e1
    return version, community, _int(data, r0, r1), _int(data, s0, s1), _int(data, i0, i1), varbinds


def error_name(status: int) -> str:
    return ERROR_NAMES[status] if 0 <= status < len(ERROR_NAMES) else f"error {status}"


# ---------------------------------------------------------------- the client

class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client):
        self.client = client

    def datagram_received(self, data, address):
        self.client.received(data, address)

    def error_received(self, exc):   # an ICMP error from some device: its request times out
        pass


async def until_answered(send, future, timeout: float, retries: int):
    """Call `send()` and wait up to `timeout` seconds for `future`, 1 + retries times: its
    result, or TimeoutError when no try got one."""
    for _ in range(retries + 1):
        send()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            continue
    raise asyncio.TimeoutError


class GetClient:
    """GET requests over one UDP socket per address family, shared by every device."""

    def __init__(self, malformed=None, receive_buffer_bytes: int = 4 * 1024 * 1024):
        self.malformed = malformed           # called with (address, exc) for a datagram not understood
        self.receive_buffer_bytes = receive_buffer_bytes
        self.transports = {}
        self.pending = {}                    # request-id -> (future, address, version, community)
        self.ids = itertools.count(random.randrange(1, 2 ** 30))

    async def _transport(self, family: int):
        if family not in self.transports:
            loop = asyncio.get_running_loop()
            local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=local,
                                                               family=family)
            sock = transport.get_extra_info("socket")
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
            except OSError:
                pass
            self.transports[family] = transport
        return self.transports[family]

    def _next_id(self) -> int:
        request_id = next(self.ids) & 0x7FFFFFFF
        return request_id or self._next_id()

    def received(self, data: bytes, address) -> None:
        try:
            version, community, request_id, status, index, varbinds = decode_response(data)
        except (MalformedError, IndexError, ValueError) as exc:
            if self.malformed is not None:
                self.malformed(address, exc)
            return
        waiting = self.pending.get(request_id)
        if waiting is None:
            return                              # a late answer to a request already retried or given up
        future, expected, wanted_version, wanted_community = waiting
        # an answer from another address, or for another community or version, is not this one's
        if (_same_address(address, expected) and version == wanted_version and community == wanted_community
                and not future.done()):
            future.set_result((status, index, varbinds))

    async def get(self, family: int, address: tuple, version: int, community: bytes, oids: list,
                  timeout: float, retries: int) -> tuple:
        """(error-status, error-index, [(oid, value)]) of one GET; TimeoutError when no answer came
        after 1 + retries tries of `timeout` seconds each."""
        transport = await self._transport(family)
        request_id = self._next_id()
        message = encode_get(version, community, request_id, oids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = (future, address, version, community)
        try:
            return await until_answered(lambda: transport.sendto(message, address), future, timeout, retries)
        finally:
            self.pending.pop(request_id, None)
            if not future.done():
                future.cancel()

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.transports = {}


def encode_v3_discovery(message_id: int) -> bytes:
    """The SNMPv3 message a manager sends first (RFC 3414, 4): no engine ID, no user, no
    authentication, an empty GET, reportable. Any v3 agent answers it with a Report
    naming its engine ID; it reveals nothing and needs no secret."""
    usm = _tlv(SEQUENCE, _tlv(OCTET_STRING, b"") + _integer(0) + _integer(0) + _tlv(OCTET_STRING, b"") * 3)
    header = _tlv(SEQUENCE, _integer(message_id) + _integer(65507) + _tlv(OCTET_STRING, b"\x04") + _integer(3))
    pdu = _tlv(GET_REQUEST, _integer(message_id) + b"\x02\x01\x00\x02\x01\x00" + _tlv(SEQUENCE, b""))
    scoped = _tlv(SEQUENCE, _tlv(OCTET_STRING, b"") * 2 + pdu)
    return _tlv(SEQUENCE, _integer(3) + header + _tlv(OCTET_STRING, usm) + scoped)


async def exchange(family: int, address: tuple, message: bytes, answer, timeout: float, retries: int):
    """Send `message` to a device over a socket of its own connected to it, until
    `answer(datagram)` (called on each datagram from the device) returns something else
    than None, which is returned; TimeoutError after 1 + retries tries of `timeout`
    seconds. On a connected socket the kernel reports what the network answers: OSError
    at once when no route leads to the device (ENETUNREACH, EHOSTUNREACH), and
    ConnectionRefusedError when the device answers ICMP port unreachable (nothing
    listens on that port). For a single question a person waits for; a poll shares
    GetClient's socket."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    class Connected(asyncio.DatagramProtocol):
        def datagram_received(self, data, _):
            found = answer(data)
            if found is not None and not future.done():
                future.set_result(found)

        def error_received(self, exc):
            if not future.done():
                future.set_exception(exc)

    transport, _ = await loop.create_datagram_endpoint(Connected, remote_addr=address, family=family)
    try:
        return await until_answered(lambda: transport.sendto(message), future, timeout, retries)
    finally:
        transport.close()
        if not future.done():
            future.cancel()


def response_to(version: int, community: bytes, request_id: int):
    """For `exchange`: (error-status, error-index, [(oid, value)]) of the response to that
    GET, None for any other datagram."""
    def answer(data: bytes):
        try:
            got_version, got_community, got_id, status, index, varbinds = decode_response(data)
        except (MalformedError, IndexError, ValueError):
            return None
        return (status, index, varbinds) if (got_version, got_community, got_id) == (version, community, request_id) \
            else None
    return answer


def _same_address(got, expected) -> bool:
    if got[1] != expected[1]:
        return False
    if got[0] == expected[0]:
        return True
    try:
        return ipaddress.ip_address(got[0].split("%")[0]) == ipaddress.ip_address(expected[0].split("%")[0])
    except ValueError:
        return False
