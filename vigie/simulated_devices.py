"""`.snmprec` text for simulated devices served by snmpsim.

Pure functions: a device description in, the data file's text out. Counters
use snmpsim's `numeric` variation, so they grow with time since the simulator
started (value = initial + rate x seconds, plus an optional random deviation
for lively traffic); restarting snmpsim resets them and sysUpTime, which is a
reboot. `wrap=1` with `max=2**32` makes a 32-bit counter wrap for real.
Used by the tests and by `make run`.
"""

import random

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
    load = {"1.3.6.1.4.1.2021.10.1.5.1": "2:numeric|function=sin,rate=0.01,scale=40,offset=50,min=0,max=100"}
    load.update(extra or {})
    site = rng.choice(["Paris, rack B3", "Lyon, room 2", "Nantes, cabinet 1"])
    return device_snmprec(sys_name, specs, counter_bits, sys_descr=f"{sys_name} (simulated)", extra=load,
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
