"""The SNMP objects Vigie reads (MIB-II system, interfaces and ifXTable): their OID,
their name, and the kind of value each holds, checked where answers come in.

session.python_value hands answers over as int (INTEGER, Counter32/64, Gauge32,
TimeTicks), str (OCTET STRING, OBJECT IDENTIFIER, addresses) or None (no such
object). A broken agent may still answer text where a counter belongs; `checked`
stops such a value at the edge, naming the object, instead of letting it raise
TypeError in the rate arithmetic at every poll. The poll then fails like one the
device did not answer: the machine gets a last_error, and goes down (one alert)
after its down_after polls.
"""

from contextlib import contextmanager

from collector.snmp.session import SnmpError, endpoint

COUNT, ENUM, TEXT = "count", "enum", "text"   # unsigned number, any integer, text
KIND_WORDS = {COUNT: "a number of 0 or more", ENUM: "an integer", TEXT: "text"}

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
# the inventory read with the system group at discovery: key -> OID
INVENTORY = {"sys_object_id": SYS_OBJECT_ID, "sys_contact": SYS_CONTACT, "sys_location": SYS_LOCATION}
IF_NUMBER = "1.3.6.1.2.1.2.1.0"

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_TYPE = "1.3.6.1.2.1.2.2.1.3"
IF_SPEED = "1.3.6.1.2.1.2.2.1.5"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_IN_DISCARDS = "1.3.6.1.2.1.2.2.1.13"
IF_IN_ERRORS = "1.3.6.1.2.1.2.2.1.14"
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"
IF_OUT_DISCARDS = "1.3.6.1.2.1.2.2.1.19"
IF_OUT_ERRORS = "1.3.6.1.2.1.2.2.1.20"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"

# OID (a scalar's instance, or a table column) -> (name, kind of value)
OBJECTS = {
    SYS_DESCR: ("sysDescr.0", TEXT), SYS_UPTIME: ("sysUpTime.0", COUNT), SYS_NAME: ("sysName.0", TEXT),
    SYS_OBJECT_ID: ("sysObjectID.0", TEXT), SYS_CONTACT: ("sysContact.0", TEXT), SYS_LOCATION: ("sysLocation.0", TEXT),
    IF_NUMBER: ("ifNumber.0", COUNT),
    IF_DESCR: ("ifDescr", TEXT), IF_TYPE: ("ifType", ENUM), IF_SPEED: ("ifSpeed", COUNT),
    IF_ADMIN_STATUS: ("ifAdminStatus", ENUM), IF_OPER_STATUS: ("ifOperStatus", ENUM),
    IF_IN_OCTETS: ("ifInOctets", COUNT), IF_OUT_OCTETS: ("ifOutOctets", COUNT),
    IF_IN_ERRORS: ("ifInErrors", COUNT), IF_OUT_ERRORS: ("ifOutErrors", COUNT),
    IF_IN_DISCARDS: ("ifInDiscards", COUNT), IF_OUT_DISCARDS: ("ifOutDiscards", COUNT),
    IF_NAME: ("ifName", TEXT), IF_HC_IN_OCTETS: ("ifHCInOctets", COUNT), IF_HC_OUT_OCTETS: ("ifHCOutOctets", COUNT),
    IF_HIGH_SPEED: ("ifHighSpeed", COUNT), IF_ALIAS: ("ifAlias", TEXT),
}


class WrongTypeError(SnmpError):
    """The agent answered a value of the wrong kind for an object; the message names it."""


def _object(oid: str) -> tuple:
    """(name with its index, kind) of a scalar instance or a table cell."""
    if oid in OBJECTS:
        return OBJECTS[oid]
    column, _, index = oid.rpartition(".")
    name, kind = OBJECTS[column]
    return f"{name}.{index}", kind


def is_kind(value, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    number = isinstance(value, int) and not isinstance(value, bool)
    return number and (kind != COUNT or value >= 0)


def _shown(value) -> str:
    if isinstance(value, str):
        return f"text {value[:40]!r}" + ("..." if len(value) > 40 else "")
    return f"{value!r}"


def checked(oid: str, value):
    """`value` when it is of the kind the object holds (None, no such object, passes);
    WrongTypeError naming the object otherwise."""
    if value is None:
        return None
    name, kind = _object(oid)
    if not is_kind(value, kind):
        raise WrongTypeError(f"unusable answer, wrong type: {name} ({oid}) is {_shown(value)}, "
                             f"where {KIND_WORDS[kind]} is expected")
    return value


@contextmanager
def answers_from(session):
    """Inside it, a WrongTypeError also names the device that answered."""
    try:
        yield
    except WrongTypeError as exc:
        raise WrongTypeError(f"{endpoint(session.host, session.port)}: {exc}") from None


def checked_values(values: dict) -> dict:
    """{oid: value} with every known object checked; other OIDs (a machine's extra ones) as they came."""
    return {oid: checked(oid, value) if _known(oid) else value for oid, value in values.items()}


def checked_table(columns: dict) -> dict:
    """Walked columns ({column: {index: value}}), every cell of a known column checked."""
    for column, cells in columns.items():
        if column in OBJECTS:
            for index, value in cells.items():
                checked(f"{column}.{index}", value)
    return columns


def _known(oid: str) -> bool:
    return oid in OBJECTS or oid.rpartition(".")[0] in OBJECTS
