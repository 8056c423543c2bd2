"""A device's neighbours as it reports them: LLDP-MIB and CISCO-CDP-MIB.

`read_neighbours` asks first whether the device has the LLDP-MIB and the CDP
cache at all (one small GETBULK), then walks, in one GETBULK walk, what it has:
the LLDP local system data (the device's own chassis id and ports), the LLDP
remote table and its management addresses, the CDP cache; `neighbours_from_columns` is pure and turns the
walked columns into {"chassis_id", "neighbours": [{"interface", "via",
"chassis_id", "name", "address", "port"}]}, the form vigie.topology.observe takes.

Ports are named as people name them: a port id that is a name (subtypes
interfaceAlias, interfaceName, local) is used as it is, else the port's
description, else its id (a MAC address, in hex). A chassis id that is a MAC
address is written aa:bb:cc:dd:ee:ff, the same from every side.
"""

import ipaddress
import logging

from collector.snmp.session import SnmpError, in_subtree, walk_columns

log = logging.getLogger("vigie.collector")

LLDP = "1.0.8802.1.1.2.1"
LOC_CHASSIS_SUBTYPE = f"{LLDP}.3.1"      # scalars, walked as columns of one row ("0")
LOC_CHASSIS_ID = f"{LLDP}.3.2"
LOC_SYS_NAME = f"{LLDP}.3.3"
LOC_PORT_ID_SUBTYPE = f"{LLDP}.3.7.1.2"
LOC_PORT_ID = f"{LLDP}.3.7.1.3"
LOC_PORT_DESC = f"{LLDP}.3.7.1.4"
REM_CHASSIS_SUBTYPE = f"{LLDP}.4.1.1.4"
REM_CHASSIS_ID = f"{LLDP}.4.1.1.5"
REM_PORT_ID_SUBTYPE = f"{LLDP}.4.1.1.6"
REM_PORT_ID = f"{LLDP}.4.1.1.7"
REM_PORT_DESC = f"{LLDP}.4.1.1.8"
REM_SYS_NAME = f"{LLDP}.4.1.1.9"
REM_MAN_ADDR_IF_SUBTYPE = f"{LLDP}.4.2.1.3"   # the address is in the index
CDP_CACHE = "1.3.6.1.4.1.9.9.23.1.2.1.1"
CDP_ADDRESS_TYPE = f"{CDP_CACHE}.3"
CDP_ADDRESS = f"{CDP_CACHE}.4"
CDP_DEVICE_ID = f"{CDP_CACHE}.6"
CDP_DEVICE_PORT = f"{CDP_CACHE}.7"

LLDP_COLUMNS = [LOC_CHASSIS_SUBTYPE, LOC_CHASSIS_ID, LOC_SYS_NAME, LOC_PORT_ID_SUBTYPE, LOC_PORT_ID, LOC_PORT_DESC,
                REM_CHASSIS_SUBTYPE, REM_CHASSIS_ID, REM_PORT_ID_SUBTYPE, REM_PORT_ID, REM_PORT_DESC, REM_SYS_NAME,
                REM_MAN_ADDR_IF_SUBTYPE]
CDP_COLUMNS = [CDP_ADDRESS_TYPE, CDP_ADDRESS, CDP_DEVICE_ID, CDP_DEVICE_PORT]
# one object past each root tells whether the device has the MIB at all
ROOTS = {"lldp": f"{LLDP}.3", "cdp": CDP_CACHE}
# rows asked per column in one GETBULK: 17 columns x 3 rows, under the 64 values an answer
# of some agents (snmpsim) holds at most
ROWS_PER_REQUEST = 3

CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS = 4, 5
PORT_ALIAS, PORT_MAC, PORT_NETWORK_ADDRESS, PORT_NAME, PORT_LOCAL = 1, 3, 4, 5, 7
NAMED_PORTS = (PORT_ALIAS, PORT_NAME, PORT_LOCAL)
ADDRESS_FAMILIES = {1: 4, 2: 16}    # IANA address family (and CDP's address type 1) -> bytes


def text(value) -> str:
    """An OCTET STRING as text when it is printable, else as hex (aa:bb:...)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raw = bytes(value).rstrip(b"\x00")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex(":")
    return decoded if decoded.isprintable() else raw.hex(":")


def address_from(family: int, raw) -> str:
    """An IPv4 or IPv6 address from its bytes, or None."""
    if isinstance(raw, str):
        raw = raw.encode("latin-1")
    if raw is None or ADDRESS_FAMILIES.get(family) != len(raw):
        return None
    return str(ipaddress.ip_address(bytes(raw)))


def chassis_text(subtype, value) -> str:
    """A chassis id as written in topology.json: a MAC in hex, a network address as an
    address, anything else as text."""
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    if subtype == CHASSIS_MAC and len(raw) == 6:
        return raw.hex(":")
    if subtype == CHASSIS_NETWORK_ADDRESS and raw:
        return address_from(raw[0], raw[1:]) or text(raw)
    return text(raw) or None


def port_text(subtype, port_id, description) -> str:
    """What people call a port: its id when that is a name, else its description, else its id."""
    if subtype in NAMED_PORTS and text(port_id):
        return text(port_id)
    if text(description):
        return text(description)
    if subtype == PORT_MAC and isinstance(port_id, bytes) and len(port_id) == 6:
        return port_id.hex(":")
    return text(port_id)


def interface_names(interfaces) -> dict:
    """{ifIndex: ifName} of the device's discovered interfaces."""
    return {str(i["index"]): i["name"] for i in interfaces or ()}


def local_ports(columns: dict, interfaces) -> dict:
    """{lldpLocPortNum: name}: the LLDP port's own name, else the ifName of that ifIndex."""
    names = interface_names(interfaces)
    ports = {}
    for number in set(columns.get(LOC_PORT_ID, {})) | set(columns.get(LOC_PORT_DESC, {})):
        ports[number] = port_text(columns.get(LOC_PORT_ID_SUBTYPE, {}).get(number),
                                  columns.get(LOC_PORT_ID, {}).get(number),
                                  columns.get(LOC_PORT_DESC, {}).get(number))
    for number, name in names.items():
        ports.setdefault(number, name)
    return ports


def management_addresses(cells: dict) -> dict:
    """{(time mark, port, index): first IP address} from lldpRemManAddrTable's indexes."""
    found = {}
    for index in cells:
        parts = [int(p) for p in index.split(".")]
        if len(parts) < 5:
            continue
        key, family, rest = tuple(parts[:3]), parts[3], parts[4:]
        if rest and rest[0] == len(rest) - 1:   # the address's length, then its bytes
            rest = rest[1:]
        address = address_from(family, bytes(b & 0xFF for b in rest))
        if address and (key not in found or ":" in found[key]):   # an IPv4 address first
            found[key] = address
    return found


def lldp_neighbours(columns: dict, interfaces) -> list:
    ports = local_ports(columns, interfaces)
    addresses = management_addresses(columns.get(REM_MAN_ADDR_IF_SUBTYPE, {}))
    found = []
    for index in sorted(columns.get(REM_CHASSIS_ID, {}), key=lambda i: [int(p) for p in i.split(".")]):
        parts = index.split(".")
        if len(parts) != 3:
            continue
        cell = {column: columns.get(column, {}).get(index) for column in
                (REM_CHASSIS_SUBTYPE, REM_CHASSIS_ID, REM_PORT_ID_SUBTYPE, REM_PORT_ID, REM_PORT_DESC, REM_SYS_NAME)}
        found.append({
            "interface": ports.get(parts[1], parts[1]), "via": "lldp",
            "chassis_id": chassis_text(cell[REM_CHASSIS_SUBTYPE], cell[REM_CHASSIS_ID]),
            "name": text(cell[REM_SYS_NAME]) or None,
            "address": addresses.get(tuple(int(p) for p in parts)),
            "port": port_text(cell[REM_PORT_ID_SUBTYPE], cell[REM_PORT_ID], cell[REM_PORT_DESC]),
        })
    return found


def cdp_device_name(device_id) -> str:
    """A CDP device id as a name: NX-OS appends the serial number in brackets."""
    name = text(device_id) or ""
    if name.endswith(")") and "(" in name:
        name = name[:name.index("(")]
    return name or None


def cdp_neighbours(columns: dict, interfaces) -> list:
    names = interface_names(interfaces)
    found = []
    for index in sorted(columns.get(CDP_DEVICE_ID, {}), key=lambda i: [int(p) for p in i.split(".")]):
        if_index = index.split(".")[0]
        kind = columns.get(CDP_ADDRESS_TYPE, {}).get(index)
        found.append({
            "interface": names.get(if_index, if_index), "via": "cdp", "chassis_id": None,
            "name": cdp_device_name(columns[CDP_DEVICE_ID][index]),
            "address": address_from(kind, columns.get(CDP_ADDRESS, {}).get(index)) if kind == 1 else None,
            "port": text(columns.get(CDP_DEVICE_PORT, {}).get(index)),
        })
    return found


def neighbours_from_columns(columns: dict, interfaces=()) -> dict:
    """{"chassis_id" (the device's own, or None), "sys_name" (as LLDP gives it), "neighbours"}
    from the walked columns; `interfaces` (the discovered ones) name ports by ifIndex."""
    local = lambda column: columns.get(column, {}).get("0")   # noqa: E731
    return {"chassis_id": chassis_text(local(LOC_CHASSIS_SUBTYPE), local(LOC_CHASSIS_ID)),
            "sys_name": text(local(LOC_SYS_NAME)) or None,
            "neighbours": lldp_neighbours(columns, interfaces) + cdp_neighbours(columns, interfaces)}


def mibs_present(answer: list) -> set:
    """{"lldp", "cdp"}: the MIBs whose root the first object after it lies in."""
    return {mib for (oid, value), (mib, root) in zip(answer, ROOTS.items())
            if value is not None and in_subtree(oid, root)}


async def read_neighbours(session, interfaces=()) -> dict:
    """What the device says of itself and its neighbours over LLDP and CDP. A device that
    has neither answers with no neighbours, after one small request (most devices polled
    have neither); SnmpError when it does not answer."""
    present = mibs_present(await session.bulk([], list(ROOTS.values()), 1))
    columns = (LLDP_COLUMNS if "lldp" in present else []) + (CDP_COLUMNS if "cdp" in present else [])
    walked = await walk_columns(session, columns, ROWS_PER_REQUEST, raw_octets=True) if columns else {}
    return neighbours_from_columns(walked, interfaces)


async def try_read_neighbours(session, interfaces=()):
    """read_neighbours, or None when the device did not answer the walk (the topology
    then keeps what it knew)."""
    try:
        return await read_neighbours(session, interfaces)
    except SnmpError as exc:
        log.debug("LLDP and CDP tables not read (the topology keeps what it knew): %s", exc)
        return None
