"""SNMP requests to one device: credentials, transport, GET and GETBULK.

A thin layer over pysnmp 7. A `Session` holds what the requests of one
machine share (the engine of the running event loop, credentials, transport
with its timeout and retries). Answers come back as plain Python values keyed
by dotted OID strings: ints for numbers, str for text, None for noSuchObject /
noSuchInstance / endOfMibView.

SNMP v1/v2c GETs, a poll's every request, go through collector/snmp/fastget.py,
which encodes and decodes them by hand at a tenth of pyasn1's CPU; GETBULK
walks go through pysnmp's v1arch API (`pysnmp.hlapi.v1arch.asyncio`, one
SnmpDispatcher per event loop) with numeric OIDs and no MIB lookup: it needs
no per-target configuration, and costs a tenth of the CPU of the SnmpEngine. SNMPv3 needs the SnmpEngine (USM):
its requests go through pysnmp's RFC 3413 command generators with numeric
OIDs (the layer under v3arch `get_cmd` / `bulk_cmd`, which would resolve
every OID through the MIB view), and the target is registered with the engine
(pysnmp's LCD) when the session opens, so opening every session before the
first request keeps pysnmp from rebuilding its tables while answers arrive.
"""

import asyncio
import ipaddress
import logging
import random
import socket
import sys
import time
from dataclasses import dataclass

# pysmi is installed for snmpsim; pysnmp would import it (and `requests`) at start-up
# to compile MIBs on the fly, which the collector never does: a third of the CPU of
# a `--once` start. An entry of None makes that import fail, and pysnmp then works
# with the MIBs it ships compiled.
if "pysmi" not in sys.modules:
    sys.modules["pysmi"] = None

from pyasn1.type.univ import Null
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.carrier.error import CarrierError
from pysnmp.entity import config as engine_config
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    ContextData, SnmpEngine, Udp6TransportTarget, UdpTransportTarget, UsmUserData, usm3DESEDEPrivProtocol, usmAesCfb128Protocol, usmAesCfb192Protocol,
    usmAesCfb256Protocol, usmDESPrivProtocol, usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol, usmHMAC256SHA384AuthProtocol, usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol, usmHMACSHAAuthProtocol, usmNoPrivProtocol,
)
from pysnmp.hlapi.v1arch import asyncio as v1arch
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902, rfc1905

from collector.snmp import fastget
from vigie.machines import resolve_secret

log = logging.getLogger("vigie.collector")

AUTH_PROTOCOLS = {
    "MD5": usmHMACMD5AuthProtocol, "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol, "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol, "SHA512": usmHMAC384SHA512AuthProtocol,
}
PRIV_PROTOCOLS = {
    "DES": usmDESPrivProtocol, "3DES": usm3DESEDEPrivProtocol, "AES": usmAesCfb128Protocol,
    "AES192": usmAesCfb192Protocol, "AES256": usmAesCfb256Protocol,
}
MAX_VARBINDS_PER_GET = 40
NO_SUCH_NAME = 2        # SNMPv1 error-status
# Answers of a hundred devices arrive together; the default socket buffer
# (~200 kB, a few kB per datagram) drops some of them while Python is busy.
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
_MISSING = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)


class MalformedLog:
    """Tells of datagrams that are not SNMP in one line per sender and per `every` seconds,
    with the count of those not told since; pysnmp would log a long traceback for each."""

    MAX_SENDERS = 1024

    def __init__(self, every: float = 60.0, clock=time.monotonic, logger=log):
        self.every, self.clock, self.logger = every, clock, logger
        self.last, self.untold = {}, {}

    def __call__(self, address, exc: BaseException) -> bool:
        """Note one malformed datagram from `address`; True when it was logged."""
        now, sender = self.clock(), tuple(address[:2])
        if sender in self.last and now - self.last[sender] < self.every:
            self.untold[sender] = self.untold.get(sender, 0) + 1
            return False
        if len(self.last) >= self.MAX_SENDERS:
            self.last = {s: t for s, t in self.last.items() if now - t < self.every}
        self.last[sender] = now
        untold = self.untold.pop(sender, 0)
        reason = (str(exc).splitlines() or [""])[0][:120]
        self.logger.warning("%s: malformed SNMP datagram ignored (%s%s)%s", endpoint(*sender), type(exc).__name__,
                            f": {reason}" if reason else "",
                            f"; {untold} more since the last report" if untold else "")
        return True


class _SnmpDispatcher(v1arch.SnmpDispatcher):
    """pysnmp's v1/v2c dispatcher, for which a datagram it cannot decode is one line in the log
    (rate-limited) instead of a traceback from the event loop. The v3 engine drops such
    datagrams itself."""

    def __init__(self, transports, malformed: MalformedLog):
        self.malformed = malformed
        super().__init__(transports)

    def _recv_callback(self, engine, domain, address, message):
        try:
            return super()._recv_callback(engine, domain, address, message)
        except Exception as exc:  # anything a datagram from the network can make the decoder raise
            self.malformed(address, exc)
            return None


class _NoMibCompiler:
    """Stands in for pysmi's MIB compiler: numeric OIDs need none, and building it costs ~1.5 s."""

    def compile(self, *names, **options):
        return {}


class _WideBuffer:
    """pysnmp's UDP client transports with a receive buffer sized for bursts of answers."""

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            except OSError:
                pass
        super().connection_made(transport)


class _WideUdpTransport(_WideBuffer, udp.UdpAsyncioTransport):
    pass


class _WideUdp6Transport(_WideBuffer, udp6.Udp6AsyncioTransport):
    pass


# Address family -> (transport domain, client transport, v1/v2c target, v3 target)
FAMILIES = {
    socket.AF_INET: (udp.DOMAIN_NAME, _WideUdpTransport, v1arch.UdpTransportTarget, UdpTransportTarget),
    socket.AF_INET6: (udp6.DOMAIN_NAME, _WideUdp6Transport, v1arch.Udp6TransportTarget, Udp6TransportTarget),
}


def endpoint(host: str, port: int) -> str:
    """host:port as people write it: [2001:db8::1]:161 for an IPv6 address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def resolve(host: str, port: int) -> tuple:
    """(family, address) of a machine's host: an address literal is itself; a name is
    reached at its first IPv4 address when it has one, else at its first IPv6 one.
    The address is handed to pysnmp as a literal, so the name is looked up once."""
    try:
        return (socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET), host
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise SnmpError(f"{endpoint(host, port)}: cannot resolve the name ({exc.strerror})") from None
    for wanted in (socket.AF_INET, socket.AF_INET6):
        for family, _, _, _, sockaddr in found:
            if family == wanted:
                return family, sockaddr[0]
    raise SnmpError(f"{endpoint(host, port)}: the name has no IPv4 or IPv6 address")


def new_engine() -> SnmpEngine:
    """The SnmpEngine of the running event loop, without on-the-fly MIB compilation.

    With pysmi installed (snmpsim needs it), pysnmp would build a MIB parser
    on the first request just to resolve numeric OIDs.
    """
    engine = SnmpEngine()
    mib_builder = engine.get_mib_builder()
    mib_builder.set_mib_compiler(_NoMibCompiler(), mib_builder.get_mib_sources()[0].full_path())
    return engine


class SnmpStack:
    """The SNMP machinery of one event loop, made on first use: an SnmpDispatcher for
    v1/v2c and an SnmpEngine for v3. Never share one across `asyncio.run` calls."""

    def __init__(self):
        self._engine = None
        self._dispatcher = None
        self._transports = None
        self._engine_families = set()
        self._dispatcher_families = set()
        self.malformed = MalformedLog()
        self._fast = None

    @property
    def fast(self) -> fastget.GetClient:
        """The v1/v2c GET client (fastget), made on first use."""
        if self._fast is None:
            self._fast = fastget.GetClient(self.malformed, RECEIVE_BUFFER_BYTES)
        return self._fast

    @property
    def engine(self):
        if self._engine is None:
            self._engine = new_engine()
        return self._engine

    @property
    def dispatcher(self):
        if self._dispatcher is None:
            self._transports = AsyncioDispatcher()
            self._dispatcher = _SnmpDispatcher(self._transports, self.malformed)
        return self._dispatcher

    def use_family(self, family: int, v3: bool) -> None:
        """Open the UDP socket of an address family the first time a machine needs it
        (an IPv4-only host never opens an IPv6 one)."""
        domain, transport_class = FAMILIES[family][:2]
        if v3:
            if family not in self._engine_families:
                engine_config.add_transport(self.engine, domain, transport_class().open_client_mode())
                self._engine_families.add(family)
        elif family not in self._dispatcher_families:
            self.dispatcher  # noqa: B018 - made on first use
            self._transports.register_transport(domain, transport_class().open_client_mode())
            self._dispatcher_families.add(family)

    async def close(self):
        """Stop reading, let answers already read be handled, then release the sockets."""
        if self._fast is not None:
            self._fast.close()
        dispatchers = []
        if self._dispatcher is not None:
            dispatchers.append(self._transports)
        if self._engine is not None and self._engine.transport_dispatcher is not None:
            dispatchers.append(self._engine.transport_dispatcher)
        for dispatcher in dispatchers:
            for domain, *_ in FAMILIES.values():
                try:
                    transport = dispatcher.get_transport(domain)
                except CarrierError:
                    continue
                if transport.transport is not None:
                    transport.transport.close()
        await asyncio.sleep(0)
        if self._dispatcher is not None:
            self._dispatcher.close()
            self._transports.close_dispatcher()
        if self._engine is not None and self._engine.transport_dispatcher is not None:
            self._engine.close_dispatcher()


class SnmpError(Exception):
    """The device did not answer, or answered with an error; the message says which."""


def auth_data(snmp: dict, source=None):
    """pysnmp credentials from a machine's "snmp" section (secrets resolved here, never logged)."""
    if snmp["version"] in ("1", "2c"):
        community = resolve_secret(snmp["community"], "snmp.community", source)
        return v1arch.CommunityData(community, mpModel=0 if snmp["version"] == "1" else 1)
    auth_key = resolve_secret(snmp["auth_key"], "snmp.auth_key", source)
    priv_protocol = snmp.get("priv_protocol")
    if priv_protocol:
        priv_key = resolve_secret(snmp["priv_key"], "snmp.priv_key", source)
        return UsmUserData(snmp["user"], auth_key, priv_key, authProtocol=AUTH_PROTOCOLS[snmp["auth_protocol"]],
                           privProtocol=PRIV_PROTOCOLS[priv_protocol])
    return UsmUserData(snmp["user"], auth_key, authProtocol=AUTH_PROTOCOLS[snmp["auth_protocol"]],
                       privProtocol=usmNoPrivProtocol)


def python_value(value, raw_octets: bool = False):
    """An SNMP value as int, str or None; an OCTET STRING as bytes with `raw_octets` (a MAC
    address or a chassis id is bytes, whatever UTF-8 makes of them)."""
    if isinstance(value, _MISSING):
        return None
    if isinstance(value, rfc1902.OctetString):
        raw = bytes(value)
        if raw_octets:
            return raw
        try:
            return raw.decode("utf-8").rstrip("\x00")
        except UnicodeDecodeError:
            return raw.hex(":")
    if isinstance(value, rfc1902.ObjectIdentifier):
        return str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _request(generator, *args) -> asyncio.Future:
    """Send one request through a pysnmp command generator; the future gets the answer."""
    future = asyncio.get_running_loop().create_future()

    def done(engine, handle, error_indication, error_status, error_index, var_binds, context):
        if not future.done():
            future.set_result((error_indication, error_status, error_index, var_binds))

    generator.send_varbinds(*args, done)
    return future


def _varbinds(oids):
    return [(rfc1902.ObjectName(oid), Null("")) for oid in oids]


@dataclass
class Session:
    stack: SnmpStack
    auth: object
    transport: object
    context: object
    host: str
    port: int
    target_name: str = ""
    family: int = None          # the address family and address resolved (v1/v2c GETs go there by fastget)
    address: str = None
    timeout: float = 2.0
    retries: int = 1

    @classmethod
    async def open(cls, stack: SnmpStack, config: dict, source=None) -> "Session":
        """A session for one machine; SnmpError when its address does not resolve,
        MachineConfigError when a secret cannot be read."""
        try:
            return await cls._open(stack, config, source)
        except PySnmpError as exc:
            raise SnmpError(f"{endpoint(config['host'], config['port'])}: {exc}") from None

    @classmethod
    async def _open(cls, stack: SnmpStack, config: dict, source=None) -> "Session":
        snmp = config["snmp"]
        auth = auth_data(snmp, source)
        family, address = await resolve(config["host"], config["port"])
        v3 = snmp["version"] == "3"
        stack.use_family(family, v3)
        target = FAMILIES[family][3 if v3 else 2]
        transport = await target.create((address, config["port"]), timeout=config["timeout"],
                                        retries=config["retries"])
        if not v3:
            return cls(stack, auth, transport, None, config["host"], config["port"], family=family, address=address,
                       timeout=config["timeout"], retries=config["retries"])
        context = ContextData(contextName=snmp.get("context", ""))
        session = cls(stack, auth, transport, context, config["host"], config["port"], family=family,
                      address=address)
        session.target_name, _ = LCD.configure(stack.engine, auth, transport, context.contextName)
        return session

    def _check(self, error_indication, error_status, error_index, var_binds):
        if error_indication:
            raise SnmpError(f"{endpoint(self.host, self.port)}: {error_indication}")
        if error_status:
            where = ""
            if error_index and int(error_index) <= len(var_binds):
                where = f" at {var_binds[int(error_index) - 1][0]}"
            raise SnmpError(f"{endpoint(self.host, self.port)}: {error_status.prettyPrint()}{where}")

    async def _get(self, oids):
        if self.context is None:
            return await v1arch.get_cmd(self.stack.dispatcher, self.auth, self.transport, *_varbinds(oids),
                                        lookupMib=False)
        return await _request(cmdgen.GetCommandGenerator(), self.stack.engine, self.target_name,
                              self.context.contextEngineId, self.context.contextName, _varbinds(oids))

    async def _next_v1(self, oids):
        """SNMPv1 has no GETBULK: one GETNEXT is a GETBULK of one row. An object past the
        end of the agent's MIB fails the whole v1 request (noSuchName); it is answered
        as end-of-MIB and the others are asked again."""
        remaining, ended = list(oids), set()
        while remaining:
            answer = await v1arch.next_cmd(self.stack.dispatcher, self.auth, self.transport,
                                           *_varbinds(remaining), lookupMib=False)
            error_indication, error_status, error_index = answer[0], answer[1], answer[2]
            if not error_indication and int(error_status) == NO_SUCH_NAME and int(error_index):
                ended.add(remaining.pop(int(error_index) - 1))
                continue
            self._check(*answer)
            got = dict(zip(remaining, answer[3]))
            return None, 0, 0, [got[oid] if oid in got else (rfc1902.ObjectName(oid), rfc1905.endOfMibView)
                                for oid in oids]
        return None, 0, 0, [(rfc1902.ObjectName(oid), rfc1905.endOfMibView) for oid in oids]

    async def _bulk(self, non_repeaters, max_repetitions, oids):
        if self.context is None and self.auth.mpModel == 0:
            return await self._next_v1(oids)
        if self.context is None:
            return await v1arch.bulk_cmd(self.stack.dispatcher, self.auth, self.transport, non_repeaters,
                                         max_repetitions, *_varbinds(oids), lookupMib=False)
        return await _request(cmdgen.BulkCommandGenerator(), self.stack.engine, self.target_name,
                              self.context.contextEngineId, self.context.contextName, non_repeaters,
                              max_repetitions, _varbinds(oids))

    async def _fast_get(self, oids) -> list:
        """[(oid, value)] of one v1/v2c GET through fastget; SnmpError as pysnmp would say it."""
        try:
            status, index, varbinds = await self.stack.fast.get(
                self.family, (self.address, self.port), self.auth.mpModel, self.auth.communityName.encode("utf-8"),
                oids, self.timeout, self.retries)
        except asyncio.TimeoutError:
            raise SnmpError(f"{endpoint(self.host, self.port)}: {fastget.TIMEOUT_MESSAGE}") from None
        if status:
            where = f" at {varbinds[index - 1][0]}" if 0 < index <= len(varbinds) else ""
            raise SnmpError(f"{endpoint(self.host, self.port)}: {fastget.error_name(status)}{where}")
        return varbinds

    async def contact(self, oid: str) -> None:
        """Make sure the device can be asked before a longer exchange a person waits for:
        one question over a socket connected to it (a GET of `oid` in v1/v2c, the v3
        discovery message in v3), so that what the network answers is said at once,
        SnmpError when no route leads to the device or when it answers that its SNMP port
        is closed (ICMP port unreachable), instead of after every timeout; the usual
        timeout error when it stays silent."""
        where = endpoint(self.host, self.port)
        request_id = random.randrange(1, 2 ** 31)
        if self.context is None:
            community = self.auth.communityName.encode("utf-8")
            message = fastget.encode_get(self.auth.mpModel, community, request_id, [oid])
            answer = fastget.response_to(self.auth.mpModel, community, request_id)
        else:
            message, answer = fastget.encode_v3_discovery(request_id), bytes
        try:
            await fastget.exchange(self.family, (self.address, self.port), message, answer, self.timeout,
                                   self.retries)
        except ConnectionRefusedError:
            raise SnmpError(f"{where}: nothing listens for SNMP there (the device answered: port unreachable)") \
                from None
        except asyncio.TimeoutError:
            raise SnmpError(f"{where}: {fastget.TIMEOUT_MESSAGE}") from None
        except OSError as exc:
            raise SnmpError(f"{where}: cannot be reached ({exc.strerror or exc})") from None

    async def get(self, oids: list) -> dict:
        """{oid: value} for every OID asked, in as few requests as the PDU size allows."""
        values = {}
        for start in range(0, len(oids), MAX_VARBINDS_PER_GET):
            chunk = oids[start:start + MAX_VARBINDS_PER_GET]
            if self.context is None and self.family is not None:
                values.update(await self._fast_get(chunk))
                continue
            answer = await self._get(chunk)
            self._check(*answer)
            for name, value in answer[3]:
                values[str(name)] = python_value(value)
        return values

    async def bulk(self, non_repeaters: list, columns: list, max_repetitions: int, raw_octets: bool = False) -> list:
        """One GETBULK: [(oid, value)] in the agent's order (non-repeaters first, then rows)."""
        answer = await self._bulk(len(non_repeaters), max_repetitions, non_repeaters + columns)
        self._check(*answer)
        return [(str(name), None if isinstance(value, rfc1905.EndOfMibView) else python_value(value, raw_octets))
                for name, value in answer[3]]


def in_subtree(oid: str, prefix: str) -> bool:
    return oid.startswith(prefix + ".")


async def walk_columns(session: Session, columns: list, max_repetitions: int = 25, raw_octets: bool = False) -> dict:
    """Walk several table columns at once with GETBULK: {column: {index_suffix: value}}
    (OCTET STRINGs as bytes with `raw_octets`).

    Each request carries every column not finished yet, so a table of N rows
    and C columns costs about N / max_repetitions requests, not N x C.
    """
    result = {column: {} for column in columns}
    cursor = {column: column for column in columns}
    active = list(columns)
    while active:
        answer = await session.bulk([], [cursor[c] for c in active], max_repetitions, raw_octets)
        width = len(active)
        finished = set()
        for position, (oid, value) in enumerate(answer):
            column = active[position % width]
            if column in finished:
                continue
            if value is None or not in_subtree(oid, column) or oid_tuple(oid) <= oid_tuple(cursor[column]):
                finished.add(column)        # left the column, end of MIB, or not increasing
                continue
            result[column][oid[len(column) + 1:]] = value
            cursor[column] = oid
        if not answer:
            break
        active = [c for c in active if c not in finished]
    return result


def oid_tuple(oid: str) -> tuple:
    return tuple(int(part) for part in oid.split("."))
