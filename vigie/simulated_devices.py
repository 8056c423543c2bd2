"""`.snmprec` text for simulated devices served by snmpsim.

Pure functions: a device description in, the data file's text out. Counters
use snmpsim's `numeric` variation, so they grow with time since the simulator
started (value = initial + rate x seconds, plus an optional random deviation
for lively traffic); restarting snmpsim resets them and sysUpTime, which is a
reboot. `wrap=1` with `max=2**32` makes a 32-bit counter wrap for real.
`host_records` and `sensor_records` add what a device tells of its health
(HOST-RESOURCES-MIB, UCD-SNMP-MIB, ENTITY-SENSOR-MIB) with values that move.
Used by the tests and by `make run`.

`variation_folder` is the one helper that touches files: snmpsim loads every variation
module of its folder at start, and one of them brings an SNMP manager and an HTTP client
along; a folder holding only the variation these records use spares each start that.
"""

import importlib.util
import random
from pathlib import Path

VARIATIONS = ("numeric",)   # the snmpsim variations the records use

COUNTER32_MAX = 2 ** 32
COUNTER64_MAX = 2 ** 64

SYS = "1.3.6.1.2.1.1"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
STATUS_CODES = {"up": 1, "down": 2, "testing": 3}


def interface(index, name=None, speed_bps=1_000_000_000, in_octets_per_second=0,
              out_octets_per_second=0, oper_status="up", admin_status="up", alias="",
              initial_octets=0, jitter=0.0, errors_per_second=0):
    """One simulated interface; `jitter` (0..0.45) makes the rate vary from poll to poll;
    `errors_per_second` makes its ifInErrors grow."""
    return {"index": index, "name": name or f"eth{index - 1}", "speed_bps": speed_bps,
            "in_rate": in_octets_per_second, "out_rate": out_octets_per_second,
            "oper_status": oper_status, "admin_status": admin_status, "alias": alias,
            "initial": initial_octets, "jitter": jitter, "errors_rate": errors_per_second}


def oid_key(oid: str):
    return tuple(int(part) for part in oid.split("."))


def counter_value(tag: int, rate: float, initial: int, maximum: int, jitter: float, wrap: bool) -> str:
    """A `numeric` variation record value for a counter growing `rate` units per second."""
    if rate <= 0:
        return f"{tag}|{initial % maximum}"
    fields = [f"rate={rate:g}", f"initial={initial}", f"max={maximum}"]
    if wrap:
        fields.append("wrap=1")
    if jitter:
        # snmpsim adds randrange(-d, d) to each reading; d under one second of
        # growth keeps the counter increasing between polls 2 s or more apart
        fields.append(f"deviation={max(1, int(rate * 2 * min(jitter, 0.45)))}")
    return f"{tag}:numeric|" + ",".join(fields)


def interface_records(spec: dict, counter_bits: int) -> list:
    i = spec["index"]
    speed = spec["speed_bps"]
    if_speed = min(speed, COUNTER32_MAX - 1)
    wrap32 = True
    records = [
        (f"{IF_ENTRY}.1.{i}", f"2|{i}"),
        (f"{IF_ENTRY}.2.{i}", f"4|{spec['name']}"),
        (f"{IF_ENTRY}.3.{i}", "2|6"),
        (f"{IF_ENTRY}.4.{i}", "2|1500"),
        (f"{IF_ENTRY}.5.{i}", f"66|{if_speed}"),
        (f"{IF_ENTRY}.7.{i}", f"2|{STATUS_CODES[spec['admin_status']]}"),
        (f"{IF_ENTRY}.8.{i}", f"2|{STATUS_CODES[spec['oper_status']]}"),
        (f"{IF_ENTRY}.10.{i}", counter_value(65, spec["in_rate"], spec["initial"], COUNTER32_MAX, spec["jitter"], wrap32)),
        (f"{IF_ENTRY}.13.{i}", "65|0"),
        (f"{IF_ENTRY}.14.{i}", counter_value(65, spec.get("errors_rate", 0), 0, COUNTER32_MAX, 0, wrap32)),
        (f"{IF_ENTRY}.16.{i}", counter_value(65, spec["out_rate"], spec["initial"], COUNTER32_MAX, spec["jitter"], wrap32)),
        (f"{IF_ENTRY}.19.{i}", "65|0"),
        (f"{IF_ENTRY}.20.{i}", "65|0"),
        (f"{IFX_ENTRY}.1.{i}", f"4|{spec['name']}"),
        (f"{IFX_ENTRY}.15.{i}", f"66|{speed // 1_000_000}"),
        (f"{IFX_ENTRY}.18.{i}", f"4|{spec['alias']}"),
    ]
    if counter_bits == 64:
        records += [
            (f"{IFX_ENTRY}.6.{i}", counter_value(70, spec["in_rate"], spec["initial"], COUNTER64_MAX, spec["jitter"], False)),
            (f"{IFX_ENTRY}.10.{i}", counter_value(70, spec["out_rate"], spec["initial"], COUNTER64_MAX, spec["jitter"], False)),
        ]
    return records


def device_snmprec(sys_name: str, interfaces: list, counter_bits: int = 64,
                   sys_descr: str = "Vigie simulated router", extra: dict = None,
                   location: str = "", contact: str = "") -> str:
    """The data file text of one device; `extra` maps OID -> raw `tag|value` records."""
    records = [
        (f"{SYS}.1.0", f"4|{sys_descr}"),
        (f"{SYS}.2.0", "6|1.3.6.1.4.1.8072.3.2.10"),
        (f"{SYS}.3.0", "67:numeric|rate=100,initial=0"),
        (f"{SYS}.5.0", f"4|{sys_name}"),
        (IF_NUMBER, f"2|{len(interfaces)}"),
    ]
    records += [(f"{SYS}.{n}.0", f"4|{text}") for n, text in ((4, contact), (6, location)) if text]
    for spec in interfaces:
        records += interface_records(spec, counter_bits)
    records += list((extra or {}).items())
    records.sort(key=lambda record: oid_key(record[0]))
    return "".join(f"{oid}|{value}\n" for oid, value in records)


HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_TYPE = "1.3.6.1.2.1.25.2.1"
HR_PROCESSOR = "1.3.6.1.2.1.25.3.3.1"
UCD = "1.3.6.1.4.1.2021"
ENTITY_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"
ENTITY_SENSOR = "1.3.6.1.2.1.99.1.1.1"
# ENTITY-SENSOR-MIB types
CELSIUS, VOLTS_DC, WATTS, RPM = 8, 4, 6, 10


def moving(tag: int, middle: float, swing: float, period_seconds: float, jitter: int = 0,
           low: float = 0, high: float = 2 ** 31 - 1) -> str:
    """A `numeric` record swinging around `middle` by `swing` every `period_seconds` (a sine
    from the simulator's start), plus a random `jitter`: a value that moves at every poll."""
    fields = [f"function=sin", f"rate={6.2832 / period_seconds:.6g}", f"scale={swing:g}", f"offset={middle:g}",
              f"min={low:g}", f"max={high:g}"]
    if jitter:
        fields.append(f"deviation={jitter}")
    return f"{tag}:numeric|" + ",".join(fields)


def growing(tag: int, initial: int, per_second: float, high: int) -> str:
    """A `numeric` record growing `per_second` from `initial` (a file system filling up)."""
    return f"{tag}:numeric|rate={per_second:g},initial={initial},min=0,max={high}"


def host_records(processors: int = 2, memory_kb: int = 8_388_608, disks=(("/", 2_621_440, 0.55, 1),
                                                                          ("/var", 5_242_880, 0.7, 8))) -> dict:
    """HOST-RESOURCES-MIB and UCD-SNMP-MIB of a small server, as net-snmp answers them: each
    processor's load, RAM and file systems in hrStorageTable (4 kB units; `disks` are (mount,
    size in units, share used at start, units more each second)), hrSystemProcesses, UCD's
    memory (kB) and load averages (hundredths). The values move from the first poll."""
    records = {f"1.3.6.1.2.1.25.1.6.0": moving(66, 180, 15, 900, 3)}
    for n in range(processors):
        index = 196608 + n
        records[f"{HR_PROCESSOR}.1.{index}"] = "6|0.0"
        records[f"{HR_PROCESSOR}.2.{index}"] = moving(2, 35 + 10 * n, 25, 600 + 120 * n, 4, 0, 100)
    rows = [(1, 2, "Physical memory", 1024, memory_kb, moving(2, memory_kb * 0.6, memory_kb * 0.1, 1800, 500))]
    for n, (mount, size, used, grow) in enumerate(disks):
        rows.append((31 + n, 4, mount, 4096, size, growing(2, int(size * used), grow, size)))
    for index, kind, descr, units, size, used in rows:
        records.update({f"{HR_STORAGE}.1.{index}": f"2|{index}", f"{HR_STORAGE}.2.{index}": f"6|{HR_STORAGE_TYPE}.{kind}",
                        f"{HR_STORAGE}.3.{index}": f"4|{descr}", f"{HR_STORAGE}.4.{index}": f"2|{units}",
                        f"{HR_STORAGE}.5.{index}": f"2|{size}", f"{HR_STORAGE}.6.{index}": used})
    records.update({f"{UCD}.4.5.0": f"2|{memory_kb}",
                    f"{UCD}.4.27.0": moving(70, memory_kb * 0.45, memory_kb * 0.1, 1800, 500)})
    for n, middle in ((1, 80), (2, 70), (3, 60)):
        records[f"{UCD}.10.1.5.{n}"] = moving(2, middle, 40 // n, 600 * n, 5, 0, 1000)
    return records


def sensor_records(sensors) -> dict:
    """ENTITY-SENSOR-MIB rows named by ENTITY-MIB's entPhysicalName, as a switch or server
    answers them: `sensors` are (entPhysicalIndex, name, type, precision, raw value or a
    `numeric` record) with the scale units(9) and the status ok(1)."""
    records = {}
    for index, name, kind, precision, value in sensors:
        records.update({f"{ENTITY_NAME}.{index}": f"4|{name}", f"{ENTITY_SENSOR}.1.{index}": f"2|{kind}",
                        f"{ENTITY_SENSOR}.2.{index}": "2|9", f"{ENTITY_SENSOR}.3.{index}": f"2|{precision}",
                        f"{ENTITY_SENSOR}.4.{index}": value if isinstance(value, str) else f"2|{value}",
                        f"{ENTITY_SENSOR}.5.{index}": "2|1"})
    return records


def switch_sensors(moving_values: bool = True) -> dict:
    """A switch's own sensors, with the values such a device reports (temperatures in
    tenths of a degree, fans in RPM, its supply's 12 V rail in hundredths, its power in W)."""
    def v(middle, swing, period, precision_jitter):
        return moving(2, middle, swing, period, precision_jitter) if moving_values else int(middle)
    return sensor_records([
        (100006001, "Cpu temp sensor", CELSIUS, 1, v(452, 30, 1200, 4)),
        (100006002, "Front-panel temp sensor", CELSIUS, 1, v(318, 15, 1500, 3)),
        (100601111, "Fan Tray 1 Fan 1 Sensor 1", RPM, 0, v(6240, 300, 700, 40)),
        (100601211, "Fan Tray 2 Fan 1 Sensor 1", RPM, 0, v(6180, 300, 800, 40)),
        (100711101, "Power Supply 1 Output Voltage 12V", VOLTS_DC, 2, v(1204, 4, 900, 1)),
        (100711102, "Power Supply 1 Output Power", WATTS, 0, v(168, 20, 1300, 3)),
    ])


def lively_device(sys_name: str, interface_count: int = 4, seed: int = 0, counter_bits: int = 64,
                  extra: dict = None) -> str:
    """A device with believable, varying traffic on every interface (for `make run`)."""
    rng = random.Random(f"{sys_name}/{seed}")
    specs = []
    for index in range(1, interface_count + 1):
        speed = rng.choice([100_000_000, 1_000_000_000, 1_000_000_000, 10_000_000_000])
        busy = rng.uniform(0.02, 0.6)
        down_rate = speed / 8 * busy
        specs.append(interface(
            index, name=f"ge-0/0/{index - 1}", speed_bps=speed,
            in_octets_per_second=int(down_rate), out_octets_per_second=int(down_rate * rng.uniform(0.1, 0.9)),
            alias=rng.choice(["uplink", "customers", "backup", "storage", "office"]),
            initial_octets=rng.randrange(0, 2 ** 31), jitter=0.4,
            errors_per_second=0.2 if index == interface_count else 0,   # a few, under the alert
        ))
    # health that moves from the first minute: a server's CPU, memory, file systems and load
    # (HOST-RESOURCES-MIB, UCD-SNMP-MIB), a switch's temperatures, fans and supply (ENTITY-SENSOR-MIB)
    health = host_records(processors=2 + seed % 2) if seed % 2 == 0 else {}
    health.update(switch_sensors() if seed % 3 != 2 else {})
    health.update(extra or {})
    site = rng.choice(["Paris, rack B3", "Lyon, room 2", "Nantes, cabinet 1"])
    return device_snmprec(sys_name, specs, counter_bits, sys_descr=f"{sys_name} (simulated)", extra=health,
                          location=site, contact="NOC <noc@example.org>")


LLDP = "1.0.8802.1.1.2.1"
CDP_CACHE = "1.3.6.1.4.1.9.9.23.1.2.1.1"


def lldp_records(chassis_mac: str, sys_name: str, ports: dict, neighbours: list) -> dict:
    """LLDP-MIB records ({OID: "tag|value"}) for device_snmprec's `extra`: the device's own
    chassis id (a MAC, "02:00:00:00:00:01"), its LLDP ports ({number: name}, numbered as
    its ifIndex) and its remote table: [{"port": local port number, "chassis_mac",
    "port_name" (the neighbour's port), "name" (its sysName), "address" (its IPv4
    management address)}]."""
    records = {f"{LLDP}.3.1.0": "2|4", f"{LLDP}.3.2.0": f"4x|{chassis_mac.replace(':', '')}",
               f"{LLDP}.3.3.0": f"4|{sys_name}"}
    for number, name in ports.items():
        records.update({f"{LLDP}.3.7.1.2.{number}": "2|5", f"{LLDP}.3.7.1.3.{number}": f"4|{name}",
                        f"{LLDP}.3.7.1.4.{number}": f"4|{name}"})
    for position, neighbour in enumerate(neighbours, start=1):
        index = f"0.{neighbour['port']}.{position}"
        records.update({
            f"{LLDP}.4.1.1.4.{index}": "2|4", f"{LLDP}.4.1.1.5.{index}": f"4x|{neighbour['chassis_mac'].replace(':', '')}",
            f"{LLDP}.4.1.1.6.{index}": "2|5", f"{LLDP}.4.1.1.7.{index}": f"4|{neighbour['port_name']}",
            f"{LLDP}.4.1.1.8.{index}": f"4|{neighbour['port_name']}", f"{LLDP}.4.1.1.9.{index}": f"4|{neighbour['name']}",
        })
        if neighbour.get("address"):
            records[f"{LLDP}.4.2.1.3.{index}.1.4.{neighbour['address']}"] = "2|2"
    return records


def cdp_records(neighbours: list) -> dict:
    """CISCO-CDP-MIB cdpCacheTable records: [{"if_index" (the local port), "name" (the
    neighbour's device id), "port_name" (its port), "address" (its IPv4 address)}]."""
    records = {}
    for position, neighbour in enumerate(neighbours, start=1):
        index = f"{neighbour['if_index']}.{position}"
        octets = "".join(f"{int(part):02x}" for part in neighbour["address"].split("."))
        records.update({f"{CDP_CACHE}.3.{index}": "2|1", f"{CDP_CACHE}.4.{index}": f"4x|{octets}",
                        f"{CDP_CACHE}.6.{index}": f"4|{neighbour['name']}",
                        f"{CDP_CACHE}.7.{index}": f"4|{neighbour['port_name']}",
                        f"{CDP_CACHE}.8.{index}": "4|Vigie simulated switch"})
    return records


def demo_network(names: list, interface_counts: dict) -> dict:
    """{name: LLDP records} cabling `make run`'s devices to each other: the first is the core,
    port i of the core goes to port 0 of device i; the last port of each other device goes
    to a desk switch that is no machine (an unmanaged neighbour on the map). Ports are named
    as lively_device names them (ge-0/0/<n>, ifIndex n + 1)."""
    mac = {name: f"02:00:5e:10:00:{i + 1:02x}" for i, name in enumerate(names)}
    port = lambda n: f"ge-0/0/{n}"   # noqa: E731
    neighbours = {name: [] for name in names}
    core = names[0] if names else None
    for i, name in enumerate(names[1:], start=1):
        neighbours[core].append({"port": i, "chassis_mac": mac[name], "port_name": port(0), "name": name,
                                 "address": "127.0.0.1"})
        neighbours[name].append({"port": 1, "chassis_mac": mac[core], "port_name": port(i - 1), "name": core,
                                 "address": "127.0.0.1"})
        last = interface_counts[name]
        neighbours[name].append({"port": last, "chassis_mac": f"02:00:5e:20:00:{i:02x}", "port_name": "port 1",
                                 "name": f"desk-switch-{i}", "address": None})
    return {name: lldp_records(mac[name], name, {n + 1: port(n) for n in range(interface_counts[name])},
                               neighbours[name]) for name in names}


def variation_folder(folder) -> Path:
    """`folder`, made, holding links to snmpsim's modules of VARIATIONS: give it to snmpsim
    as --variation-modules-dir."""
    installed = Path(importlib.util.find_spec("snmpsim").origin).parent / "variation"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in VARIATIONS:
        link = folder / f"{name}.py"
        if not link.is_symlink():
            link.symlink_to(installed / f"{name}.py")
    return folder
