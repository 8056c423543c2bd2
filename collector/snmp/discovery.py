"""Interface discovery: ifTable and ifXTable walked with GETBULK.

`discover` asks the device; `interfaces_from_columns` and `select_interfaces`
are pure and turn the walked columns into the interface list the poller uses:
index, names, speed, status, and whether 64-bit counters are there.
"""

from collector.snmp import rates
from collector.snmp.mib import (  # noqa: F401 (the OIDs, for the modules that read them)
    IF_ADMIN_STATUS, IF_ALIAS, IF_DESCR, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_HIGH_SPEED, IF_IN_OCTETS, IF_NAME,
    IF_NUMBER, IF_OPER_STATUS, IF_OUT_OCTETS, IF_SPEED, IF_TYPE, INVENTORY, SYS_DESCR, SYS_NAME, SYS_UPTIME,
    answers_from, checked_table, checked_values,
)
from collector.snmp.session import SnmpError, walk_columns

SOFTWARE_LOOPBACK = 24

DISCOVERY_COLUMNS = [IF_DESCR, IF_TYPE, IF_SPEED, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_NAME,
                     IF_HIGH_SPEED, IF_ALIAS, IF_HC_IN_OCTETS]

STATUS_NAMES = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
                7: "lowerLayerDown"}


def status_name(code):
    return STATUS_NAMES.get(code, "unknown") if code is not None else "unknown"


def interfaces_from_columns(columns: dict) -> list:
    """The interface list from walked columns ({column: {index: value}}), by ifIndex.
    A value of the wrong type raises mib.WrongTypeError naming it."""
    checked_table(columns)
    indexes = sorted({int(i) for i in columns.get(IF_DESCR, {})} | {int(i) for i in columns.get(IF_NAME, {})})
    interfaces = []
    for index in indexes:
        key = str(index)
        descr = columns.get(IF_DESCR, {}).get(key) or ""
        if_type = columns.get(IF_TYPE, {}).get(key)
        speed = rates.speed_bps(columns.get(IF_SPEED, {}).get(key), columns.get(IF_HIGH_SPEED, {}).get(key))
        interfaces.append({
            "index": index,
            "name": columns.get(IF_NAME, {}).get(key) or descr or f"if{index}",
            "descr": descr,
            "alias": columns.get(IF_ALIAS, {}).get(key) or "",
            # a loopback's ifSpeed is made up (net-snmp says 10 Mbit/s): no cap, no utilisation
            "speed_bps": None if if_type == SOFTWARE_LOOPBACK else speed,
            "type": if_type,
            "oper_status": status_name(columns.get(IF_OPER_STATUS, {}).get(key)),
            "admin_status": status_name(columns.get(IF_ADMIN_STATUS, {}).get(key)),
            "counter_bits": 64 if columns.get(IF_HC_IN_OCTETS, {}).get(key) is not None else 32,
        })
    return interfaces


def select_interfaces(interfaces: list, wanted) -> list:
    """Those of `interfaces` the machine file asks for: "all", or names (ifName/ifDescr) and indexes."""
    if wanted == "all":
        return list(interfaces)
    names = {w for w in wanted if isinstance(w, str)}
    indexes = {w for w in wanted if isinstance(w, int)}
    return [i for i in interfaces if i["index"] in indexes or i["name"] in names or i["descr"] in names]


def speaks_v1(session) -> bool:
    return session.context is None and getattr(session.auth, "mpModel", 1) == 0


async def inventory_v1(session) -> dict:
    """sysObjectID, sysContact, sysLocation from an SNMPv1 agent, which refuses a whole GET
    for one object it does not have: each is asked alone, and a refusal is a missing value."""
    found = {}
    for oid in INVENTORY.values():
        try:
            found.update(await session.get([oid]))
        except SnmpError:
            found[oid] = None
    return found


async def discover(session, max_repetitions: int = 25) -> dict:
    """{"if_number", "sys_name", "sys_descr", "sys_object_id", "sys_contact", "sys_location",
    "interfaces"} as the device reports them now."""
    asked = [SYS_NAME, SYS_DESCR, IF_NUMBER] + ([] if speaks_v1(session) else list(INVENTORY.values()))
    system = await session.get(asked)
    if speaks_v1(session):
        system.update(await inventory_v1(session))
    with answers_from(session):
        checked_values(system)
    if isinstance(system.get(IF_NUMBER), int):
        # one row more than the table holds: the whole walk usually fits one GETBULK
        max_repetitions = max(2, min(max_repetitions, system[IF_NUMBER] + 1))
    columns = await walk_columns(session, DISCOVERY_COLUMNS, max_repetitions)
    with answers_from(session):
        interfaces = interfaces_from_columns(columns)
    found = {"if_number": system.get(IF_NUMBER), "sys_name": system.get(SYS_NAME),
             "sys_descr": system.get(SYS_DESCR), "interfaces": interfaces}
    found.update({key: system.get(oid) for key, oid in INVENTORY.items()})
    return found
