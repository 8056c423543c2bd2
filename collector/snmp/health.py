"""Device health from standard MIBs: what to walk, what to poll, and the metrics it makes.

No MIB file is read: the objects are numeric OIDs in the tables below. At
discovery (with the interfaces, and every hour) `walk_health` walks what the
device may offer and `catalogue` turns the walked columns into the machine's
health metrics; each metric names the OIDs a regular poll GETs with the
interface counters (`metric_oids`), and `read_metrics` turns the answers into
values. Both are pure and tested on literal answers.

    HOST-RESOURCES-MIB   cpu (the average of the processors), cpu:<n> (each
                         hrProcessorLoad), memory (hrStorageRam), storage:<mount>
                         (each disk of hrStorageTable, used bytes), processes
    UCD-SNMP-MIB         load:1min/5min/15min (laLoadInt / 100), memory (total less
                         available: MemAvailable, else free, buffers and cache),
                         storage:<path> (dskTable, when hrStorage lacks it), cpu
                         from the ssCpuRaw counters where there is no hrProcessorLoad
    ENTITY-SENSOR-MIB    sensor:<entPhysicalName>: value x 10^(3 x (scale - 9)) / 10^precision,
    (and Cisco's own)    in the unit of entPhySensorType, with its OperStatus (and, on
                         Cisco, entSensorThresholdTable's thresholds)
    CISCO-PROCESS-MIB    cpu / cpu:<entPhysicalName> (cpmCPUTotal1minRev)
    CISCO-MEMORY-POOL    memory:<pool> (used, used + free)
    CISCO-ENVMON-MIB     sensor:<descr> (temperatures, voltages), fan:<descr>, supply:<descr>
                         (state only)

A metric is a dict: {"name", "family", "unit", "label", "source", "how", "oids":
{role: OID}, "factor", ...}; "how" says how the answers make its value (see
`read_metrics`). Memory and storage have a size beside their value (used bytes),
so their percentage can be told; sensors and states have a status.
"""

import math

from collector.snmp.session import walk_columns

# ---------------------------------------------------------------- the objects

HR_SYSTEM_PROCESSES = "1.3.6.1.2.1.25.1.6.0"
HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_TYPE, HR_STORAGE_DESCR, HR_STORAGE_UNITS = f"{HR_STORAGE}.2", f"{HR_STORAGE}.3", f"{HR_STORAGE}.4"
HR_STORAGE_SIZE, HR_STORAGE_USED = f"{HR_STORAGE}.5", f"{HR_STORAGE}.6"
HR_STORAGE_TYPES = "1.3.6.1.2.1.25.2.1"
HR_RAM = f"{HR_STORAGE_TYPES}.2"
# disks: fixed (tmpfs too, as net-snmp reports it), removable, RAM disk, flash, network
HR_DISKS = {f"{HR_STORAGE_TYPES}.{n}" for n in (4, 5, 8, 9, 10)}
HR_PROCESSOR_FRW_ID, HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.1", "1.3.6.1.2.1.25.3.3.1.2"

UCD = "1.3.6.1.4.1.2021"
UCD_MEMORY = {"total": f"{UCD}.4.5.0", "free": f"{UCD}.4.6.0", "buffers": f"{UCD}.4.14.0",
              "cached": f"{UCD}.4.15.0", "available": f"{UCD}.4.27.0"}          # kB
DSK_PATH, DSK_TOTAL, DSK_USED = f"{UCD}.9.1.2", f"{UCD}.9.1.6", f"{UCD}.9.1.8"  # kB, 32 bits
DSK_TOTAL_LOW, DSK_TOTAL_HIGH, DSK_USED_LOW, DSK_USED_HIGH = (f"{UCD}.9.1.{n}" for n in (11, 12, 15, 16))
LA_LOAD_INT = f"{UCD}.10.1.5"                                                    # hundredths
LOADS = {"1": "load:1min", "2": "load:5min", "3": "load:15min"}
SS_CPU_RAW = {"user": f"{UCD}.11.50.0", "nice": f"{UCD}.11.51.0", "system": f"{UCD}.11.52.0",
              "idle": f"{UCD}.11.53.0", "wait": f"{UCD}.11.54.0", "interrupt": f"{UCD}.11.56.0",
              "softirq": f"{UCD}.11.61.0", "steal": f"{UCD}.11.64.0"}
CPU_IDLE = ("idle", "wait")

ENT_PHYSICAL_DESCR, ENT_PHYSICAL_NAME = "1.3.6.1.2.1.47.1.1.1.1.2", "1.3.6.1.2.1.47.1.1.1.1.7"
# entPhySensorTable (RFC 3433) and Cisco's entSensorValueTable share their first five columns
ENTITY_SENSOR = "1.3.6.1.2.1.99.1.1.1"
CISCO_SENSOR = "1.3.6.1.4.1.9.9.91.1.1.1.1"
SENSOR_COLUMNS = ("type", "scale", "precision", "value", "status")
CISCO_THRESHOLD = "1.3.6.1.4.1.9.9.91.1.2.1.1"     # .2 severity, .3 relation, .4 value; index sensor.n
CISCO_CPU = "1.3.6.1.4.1.9.9.109.1.1.1.1"          # .2 entPhysicalIndex, .4 1min, .7 1minRev
CISCO_POOL = "1.3.6.1.4.1.9.9.48.1.1.1"            # .2 name, .4 valid, .5 used, .6 free (bytes)
ENVMON = "1.3.6.1.4.1.9.9.13.1"
ENVMON_VOLTAGE, ENVMON_TEMPERATURE = f"{ENVMON}.2.1", f"{ENVMON}.3.1"   # .2 descr, .3 value; state .7 / .6
ENVMON_FAN, ENVMON_SUPPLY = f"{ENVMON}.4.1", f"{ENVMON}.5.1"            # .2 descr, .3 state

# entPhySensorType -> unit; the types not listed (other, unknown, truthvalue, specialEnum) are
# not measurements and are left out
SENSOR_UNITS = {3: "V", 4: "V", 5: "A", 6: "W", 7: "Hz", 8: "°C", 9: "%RH", 10: "RPM", 11: "m³/min", 14: "dBm"}
# entPhySensorScale -> power of ten (units(9) is 0; RFC 3433 lists exa before peta)
SCALE_EXPONENTS = {1: -24, 2: -21, 3: -18, 4: -15, 5: -12, 6: -9, 7: -6, 8: -3, 9: 0, 10: 3, 11: 6, 12: 9,
                   13: 12, 14: 18, 15: 15, 16: 21, 17: 24}
# a status and the severity of an alert it raises (None: no alert)
ENTITY_STATUS = {1: ("ok", None), 2: ("unavailable", "WARNING"), 3: ("nonoperational", "ERROR")}
ENVMON_STATE = {1: ("normal", None), 2: ("warning", "WARNING"), 3: ("critical", "CRITICAL"),
                4: ("shutdown", "CRITICAL"), 5: ("notPresent", None), 6: ("notFunctioning", "ERROR")}
STATUS_MAPS = {"entity": ENTITY_STATUS, "envmon": ENVMON_STATE}
# entSensorThresholdSeverity -> severity; entSensorThresholdRelation -> test
THRESHOLD_SEVERITY = {1: "WARNING", 10: "WARNING", 20: "ERROR", 30: "CRITICAL"}
RELATIONS = {1: lambda v, t: v < t, 2: lambda v, t: v <= t, 3: lambda v, t: v > t, 4: lambda v, t: v >= t,
             5: lambda v, t: v == t, 6: lambda v, t: v != t}
RELATION_TEXT = {1: "<", 2: "<=", 3: ">", 4: ">=", 5: "=", 6: "!="}

NAME_MAX = 160         # a metric's name (a long mount path), cut past this; "#2" keeps it unique
KIB = 1024

# the columns walked at discovery, in three walks of about ten columns (a device that has
# none of them costs three requests): {walk: [columns]}
WALKS = {
    "host": [HR_STORAGE_TYPE, HR_STORAGE_DESCR, HR_STORAGE_UNITS, HR_STORAGE_SIZE, HR_PROCESSOR_FRW_ID,
             HR_PROCESSOR_LOAD, DSK_PATH, DSK_TOTAL, DSK_TOTAL_HIGH, LA_LOAD_INT],
    "sensors": [f"{ENTITY_SENSOR}.{n}" for n in (1, 2, 3, 4)] + [f"{CISCO_SENSOR}.{n}" for n in (1, 2, 3, 4)]
    + [f"{CISCO_THRESHOLD}.{n}" for n in (2, 3, 4)],
    "cisco": [f"{CISCO_CPU}.{n}" for n in (2, 4, 7)] + [f"{CISCO_POOL}.{n}" for n in (2, 4, 5)]
    + [f"{t}.2" for t in (ENVMON_VOLTAGE, ENVMON_TEMPERATURE, ENVMON_FAN, ENVMON_SUPPLY)],
}
SCALARS = [HR_SYSTEM_PROCESSES, *UCD_MEMORY.values(), *SS_CPU_RAW.values()]


# ---------------------------------------------------------------- metrics from walked answers

def metric(name: str, family: str, unit: str, how: str, oids: dict, source: str, label: str = None, **extra) -> dict:
    return dict({"name": name, "family": family, "unit": unit, "how": how, "oids": oids, "source": source,
                 "label": label if label is not None else name.partition(":")[2] or name}, **extra)


def _number(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def hr_storage(columns: dict) -> list:
    """memory (the RAM row) and storage:<description> (each disk) of hrStorageTable: used bytes,
    with the size, both in hrStorageAllocationUnits."""
    found = []
    for index, kind in sorted(columns.get(HR_STORAGE_TYPE, {}).items(), key=lambda item: int(item[0])):
        units = _number(columns.get(HR_STORAGE_UNITS, {}).get(index))
        descr = _text(columns.get(HR_STORAGE_DESCR, {}).get(index))
        size = _number(columns.get(HR_STORAGE_SIZE, {}).get(index))
        if not units or units <= 0 or not size or size <= 0 or not descr:
            continue                     # an empty or unsized row (net-snmp's /proc mounts, a CD drive)
        oids = {"used": f"{HR_STORAGE_USED}.{index}", "size": f"{HR_STORAGE_SIZE}.{index}"}
        if kind == HR_RAM:
            found.append(metric("memory", "memory", "B", "used_size", oids, "HOST-RESOURCES-MIB", "RAM", factor=units))
        elif kind in HR_DISKS:
            found.append(metric(f"storage:{descr}", "storage", "B", "used_size", oids, "HOST-RESOURCES-MIB",
                                descr, factor=units))
    return found


def hr_processors(columns: dict) -> list:
    """cpu:<n> for each processor of hrProcessorTable (its rows are there even while
    hrProcessorLoad is not yet, as in net-snmp's first minute), and cpu, their average."""
    indexes = sorted({int(i) for column in (HR_PROCESSOR_FRW_ID, HR_PROCESSOR_LOAD)
                      for i in columns.get(column, {})})
    each = [metric(f"cpu:{n}", "cpu", "%", "value", {"value": f"{HR_PROCESSOR_LOAD}.{index}"},
                   "HOST-RESOURCES-MIB", f"processor {n}", factor=1) for n, index in enumerate(indexes)]
    return _with_average(each, "HOST-RESOURCES-MIB")


def _with_average(each: list, source: str) -> list:
    if len(each) < 2:       # one processor: it is the machine's cpu
        return [dict(m, name="cpu", label="all processors") for m in each]
    average = metric("cpu", "cpu", "%", "mean", {}, source, "all processors", of=[m["name"] for m in each])
    return [average] + each


def ucd_memory(scalars: dict) -> list:
    """memory from UCD-SNMP-MIB's scalars (kB): total less MemAvailable when the agent has
    memSysAvail (net-snmp 5.8 and later), else less free, buffers and cache."""
    if _number(scalars.get(UCD_MEMORY["total"])) is None:
        return []
    roles = ("total", "available") if _number(scalars.get(UCD_MEMORY["available"])) is not None \
        else ("total", "free", "buffers", "cached")
    return [metric("memory", "memory", "B", "ucd_memory", {r: UCD_MEMORY[r] for r in roles}, "UCD-SNMP-MIB", "RAM",
                   factor=KIB)]


def ucd_disks(columns: dict) -> list:
    """storage:<path> of dskTable (kB; the 64-bit halves when the agent has them)."""
    found = []
    for index, path in sorted(columns.get(DSK_PATH, {}).items(), key=lambda item: int(item[0])):
        path = _text(path)
        if not path:
            continue
        if _number(columns.get(DSK_TOTAL_HIGH, {}).get(index)) is not None:
            oids = {"used_low": f"{DSK_USED_LOW}.{index}", "used_high": f"{DSK_USED_HIGH}.{index}",
                    "size_low": f"{DSK_TOTAL_LOW}.{index}", "size_high": f"{DSK_TOTAL_HIGH}.{index}"}
        else:
            oids = {"used": f"{DSK_USED}.{index}", "size": f"{DSK_TOTAL}.{index}"}
        found.append(metric(f"storage:{path}", "storage", "B", "used_size", oids, "UCD-SNMP-MIB", path, factor=KIB))
    return found


def ucd_loads(columns: dict) -> list:
    found = columns.get(LA_LOAD_INT, {})
    return [metric(name, "load", "", "value", {"value": f"{LA_LOAD_INT}.{index}"}, "UCD-SNMP-MIB",
                   f"{name[5:-3]} min average", factor=0.01)
            for index, name in LOADS.items() if _number(found.get(index)) is not None]


def ucd_cpu(scalars: dict) -> list:
    """cpu from the ssCpuRaw counters (busy share of the ticks between two polls)."""
    roles = {role: oid for role, oid in SS_CPU_RAW.items() if _number(scalars.get(oid)) is not None}
    if "idle" not in roles or "user" not in roles:
        return []
    return [metric("cpu", "cpu", "%", "cpu_counters", roles, "UCD-SNMP-MIB", "all processors")]


PREFIXES = {-3: "m", -6: "µ"}     # a device reporting milliamperes is shown in mA, as it says
PREFIXED_UNITS = ("A", "V", "W")


def sensor_factor(scale, precision) -> float:
    """What multiplies a raw sensor reading: 10^(scale's exponent) / 10^precision."""
    exponent = SCALE_EXPONENTS.get(scale, 0) - (precision if isinstance(precision, int) else 0)
    return 10.0 ** exponent


def sensor_unit(kind, scale, precision) -> tuple:
    """(unit, factor) of a sensor: its type's unit, in milli or micro units when the device
    counts in them (19.5 mA, not 0.0195 A), and what multiplies its raw readings."""
    unit = SENSOR_UNITS.get(kind)
    exponent = SCALE_EXPONENTS.get(scale, 0)
    if unit in PREFIXED_UNITS and exponent in PREFIXES:
        return PREFIXES[exponent] + unit, sensor_factor(9, precision)
    return unit, sensor_factor(scale, precision)


def entity_name(names: dict, index: str) -> str:
    """A physical entity's name: entPhysicalName, else entPhysicalDescr, else its index."""
    return _text(names.get("name", {}).get(index)) or _text(names.get("descr", {}).get(index)) or f"entity {index}"


def entity_sensors(columns: dict, table: str, names: dict, thresholds: dict = None, skip=()) -> list:
    """sensor:<entity name> of an entPhySensorTable-shaped table (RFC 3433 or Cisco's)."""
    source = "ENTITY-SENSOR-MIB" if table == ENTITY_SENSOR else "CISCO-ENTITY-SENSOR-MIB"
    cells = {role: columns.get(f"{table}.{n}", {}) for n, role in enumerate(SENSOR_COLUMNS, start=1)}
    found = []
    for index, kind in sorted(cells["type"].items(), key=lambda item: int(item[0])):
        unit, factor = sensor_unit(kind, cells["scale"].get(index), cells["precision"].get(index))
        if unit is None or index in skip:
            continue
        oids = {"value": f"{table}.4.{index}", "status": f"{table}.5.{index}"}
        label = entity_name(names, index)
        found.append(metric(f"sensor:{label}", "sensor", unit, "value", oids, source, label, factor=factor,
                            status_map="entity", index=index,
                            device_thresholds=_thresholds((thresholds or {}).get(index), factor)))
    return found


def _thresholds(rows, factor: float) -> list:
    """[[severity, relation, value in the sensor's unit]] of one sensor's entSensorThresholdTable rows."""
    out = []
    for severity, relation, value in rows or ():
        if relation in RELATIONS and _number(value) is not None:
            out.append([THRESHOLD_SEVERITY.get(severity, "WARNING"), relation, _round(value * factor)])
    return out


def cisco_thresholds(columns: dict) -> dict:
    """{sensor index: [(severity, relation, raw value)]} from entSensorThresholdTable."""
    rows = {}
    for key, severity in columns.get(f"{CISCO_THRESHOLD}.2", {}).items():
        sensor, _, _ = key.partition(".")
        rows.setdefault(sensor, []).append((severity, columns.get(f"{CISCO_THRESHOLD}.3", {}).get(key),
                                            columns.get(f"{CISCO_THRESHOLD}.4", {}).get(key)))
    return rows


def cisco_cpus(columns: dict, names: dict) -> list:
    """cpu (the average) and cpu:<entity name> of cpmCPUTotalTable, the 1 min busy share."""
    rev, old = columns.get(f"{CISCO_CPU}.7", {}), columns.get(f"{CISCO_CPU}.4", {})
    each = []
    for index in sorted(set(rev) | set(old), key=int):
        column = 7 if _number(rev.get(index)) is not None else 4
        physical = columns.get(f"{CISCO_CPU}.2", {}).get(index)
        label = entity_name(names, str(physical)) if physical else f"cpu {index}"
        each.append(metric(f"cpu:{label}", "cpu", "%", "value", {"value": f"{CISCO_CPU}.{column}.{index}"},
                           "CISCO-PROCESS-MIB", label, factor=1))
    return _with_average(each, "CISCO-PROCESS-MIB")


def cisco_pools(columns: dict) -> list:
    """memory:<pool> of ciscoMemoryPoolTable (valid pools): used bytes, size used + free."""
    found = []
    for index, name in sorted(columns.get(f"{CISCO_POOL}.2", {}).items(), key=lambda item: int(item[0])):
        name = _text(name)
        if not name or columns.get(f"{CISCO_POOL}.4", {}).get(index) == 2:
            continue
        oids = {"used": f"{CISCO_POOL}.5.{index}", "free": f"{CISCO_POOL}.6.{index}"}
        found.append(metric(f"memory:{name}", "memory", "B", "used_free", oids, "CISCO-MEMORY-POOL-MIB", name,
                            factor=1))
    return found


def envmon(columns: dict) -> list:
    """CISCO-ENVMON-MIB: temperatures (°C) and voltages (mV) as sensors, fans and supplies as states."""
    found = []
    for table, family, unit, factor, state in ((ENVMON_TEMPERATURE, "sensor", "°C", 1, 6),
                                               (ENVMON_VOLTAGE, "sensor", "V", 0.001, 7),
                                               (ENVMON_FAN, "fan", None, None, 3),
                                               (ENVMON_SUPPLY, "supply", None, None, 3)):
        for index, descr in sorted(columns.get(f"{table}.2", {}).items(), key=lambda item: int(item[0])):
            label = _text(descr) or f"{family} {index}"
            status = {"status": f"{table}.{state}.{index}"}
            if unit is None:
                found.append(metric(f"{family}:{label}", family, "", "state", status, "CISCO-ENVMON-MIB", label,
                                    status_map="envmon"))
            else:
                found.append(metric(f"{family}:{label}", family, unit, "value",
                                    dict(status, value=f"{table}.3.{index}"), "CISCO-ENVMON-MIB", label,
                                    factor=factor, status_map="envmon"))
    return found


def sensor_indexes(columns: dict) -> set:
    """The entPhysicalIndex values whose names the sensors and processors need."""
    found = set(columns.get(f"{ENTITY_SENSOR}.1", {})) | set(columns.get(f"{CISCO_SENSOR}.1", {}))
    found |= {str(v) for v in columns.get(f"{CISCO_CPU}.2", {}).values() if _number(v)}
    return found


def catalogue(columns: dict, scalars: dict, names: dict = None) -> list:
    """The machine's health metrics from what discovery walked: `columns` {column: {index:
    value}}, `scalars` {OID: value}, `names` {"name"/"descr": {entPhysicalIndex: text}}.
    HOST-RESOURCES comes first; UCD-SNMP fills in what it lacks (its memory replaces
    hrStorage's RAM row, which counts the page cache as used); names are unique."""
    names = names or {}
    found = hr_processors(columns) or cisco_cpus(columns, names) or ucd_cpu(scalars)
    memory = ucd_memory(scalars)
    storage = hr_storage(columns)
    if memory:
        storage = [m for m in storage if m["family"] != "memory"]
    found += memory + storage + cisco_pools(columns)
    known = {m["label"] for m in storage if m["family"] == "storage"}
    found += [m for m in ucd_disks(columns) if m["label"] not in known]
    found += ucd_loads(columns)
    if _number(scalars.get(HR_SYSTEM_PROCESSES)) is not None:
        found.append(metric("processes", "processes", "", "value", {"value": HR_SYSTEM_PROCESSES},
                            "HOST-RESOURCES-MIB", "", factor=1))
    rfc = entity_sensors(columns, ENTITY_SENSOR, names)
    found += rfc + entity_sensors(columns, CISCO_SENSOR, names, cisco_thresholds(columns),
                                  skip={m["index"] for m in rfc})
    found += envmon(columns)
    return unique_names(found)


def unique_names(metrics: list) -> list:
    """Each name once: a long one cut, a repeated one given '#2', '#3'..."""
    taken, out = set(), []
    for m in metrics:
        name = m["name"] if len(m["name"]) <= NAME_MAX else m["name"][:NAME_MAX].rstrip()
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}#{n}"
        taken.add(name)
        out.append(dict(m, name=name))
    averages = {m["name"]: m for m in out if m["how"] == "mean"}
    renamed = {a["name"]: b["name"] for a, b in zip(metrics, out)}
    for m in averages.values():
        m["of"] = [renamed.get(n, n) for n in m["of"]]
    return out


# ---------------------------------------------------------------- what a poll asks and gets

def metric_oids(metrics: list) -> list:
    """The OIDs a poll GETs for these metrics, each once, in order."""
    seen, out = set(), []
    for m in metrics:
        for oid in m["oids"].values():
            if oid not in seen:
                seen.add(oid)
                out.append(oid)
    return out


def _round(value):
    """Four significant digits under a thousand (41.9, 0.0195), whole numbers above."""
    if value is None:
        return None
    return round(value) if abs(value) >= 1000 else float(f"{value:.4g}")


def _used_size(m: dict, got: dict):
    if "used_high" in got or "size_high" in got:
        parts = [got.get(k) for k in ("used_low", "used_high", "size_low", "size_high")]
        if None in parts:
            return None, None
        used, size = parts[0] + (parts[1] << 32), parts[2] + (parts[3] << 32)
    else:
        used, size = got.get("used"), got.get("size")
    if used is None or not size:
        return None, None
    return used * m["factor"], size * m["factor"]


def _ucd_memory(m: dict, got: dict):
    total = got.get("total")
    if not total:
        return None, None
    if "available" in m["oids"]:
        if got.get("available") is None:
            return None, None
        free = got["available"]
    else:
        parts = [got.get(k) for k in ("free", "buffers", "cached")]
        if parts[0] is None:
            return None, None
        free = sum(p for p in parts if p is not None)
    return max(0, total - free) * m["factor"], total * m["factor"]


def _used_free(m: dict, got: dict):
    used, free = got.get("used"), got.get("free")
    if used is None or free is None or used + free <= 0:
        return None, None
    return used * m["factor"], (used + free) * m["factor"]


def cpu_busy_percent(previous: dict, current: dict):
    """The busy share (%) of the CPU ticks counted between two readings of ssCpuRaw*, or
    None without a previous reading, after a reset or when no tick passed. Idle and I/O
    wait are not busy."""
    if not previous or any(current.get(k) is None for k in ("user", "idle")):
        return None
    deltas = {}
    for role, value in current.items():
        before = previous.get(role)
        if value is None or before is None:
            continue
        delta = value - before
        if delta < 0:
            delta += 2 ** 32              # Counter32 wrapped
        deltas[role] = delta
    total = sum(deltas.values())
    if total <= 0 or total >= 2 ** 31:
        return None
    idle = sum(deltas.get(k, 0) for k in CPU_IDLE)
    return round(100.0 * (total - idle) / total, 2)


def _status(m: dict, got: dict):
    """(status word, alert severity or None) of a sensor or state; (None, None) when it has none."""
    if "status" not in m["oids"]:
        return None, None
    code = got.get("status")
    if code is None:
        return None, None
    return STATUS_MAPS[m["status_map"]].get(code, (f"state {code}", "WARNING"))


def _answers(m: dict, values: dict) -> dict:
    got = {}
    for role, oid in m["oids"].items():
        value = values.get(oid)
        if isinstance(value, str):          # a number sent as text
            try:
                value = float(value)
            except ValueError:
                value = None
        got[role] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return got


def read_metrics(metrics: list, values: dict, previous_counters: dict = None) -> tuple:
    """({name: {"value", "size", "status", "severity"}}, counters to keep for the next poll)
    from a poll's answers {OID: value}. A value the device did not give is None (a gap)."""
    out, counters = {}, {}
    for m in metrics:
        got = _answers(m, values)
        value = size = None
        if m["how"] == "value":
            value = None if got.get("value") is None else got["value"] * m["factor"]
        elif m["how"] == "used_size":
            value, size = _used_size(m, got)
        elif m["how"] == "ucd_memory":
            value, size = _ucd_memory(m, got)
        elif m["how"] == "used_free":
            value, size = _used_free(m, got)
        elif m["how"] == "cpu_counters":
            counters[m["name"]] = got
            value = cpu_busy_percent((previous_counters or {}).get(m["name"]), got)
        status, severity = _status(m, got)
        out[m["name"]] = {"value": _round(value), "size": _round(size), "status": status, "severity": severity}
    for m in metrics:
        if m["how"] == "mean":
            found = [out[n]["value"] for n in m["of"] if n in out and out[n]["value"] is not None]
            out[m["name"]]["value"] = _round(sum(found) / len(found)) if found else None
    return out, counters


def device_threshold(m: dict, value):
    """(severity, text) of the gravest of the device's own thresholds this value is past, or (None, None)."""
    worst, text = None, None
    rank = {"WARNING": 1, "ERROR": 2, "CRITICAL": 3}
    for severity, relation, limit in m.get("device_thresholds") or ():
        if value is not None and RELATIONS[relation](value, limit) and rank[severity] > rank.get(worst, 0):
            worst, text = severity, f"{RELATION_TEXT[relation]} {limit:g}"
    return worst, text


def percent_used(value, size):
    if value is None or not size:
        return None
    return round(100.0 * value / size, 2)


def is_finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


# ---------------------------------------------------------------- the walk (I/O)

async def walk_health(session, max_repetitions: int = 10) -> list:
    """The machine's health metrics as the device offers them now (three walks, a GET for
    the scalars and for the names of the entities that have sensors)."""
    columns = {}
    for table in WALKS.values():
        columns.update(await walk_columns(session, table, max_repetitions))
    scalars = await session.get(SCALARS)
    names = {"name": {}, "descr": {}}
    wanted = sorted(sensor_indexes(columns), key=int)
    for start in range(0, len(wanted), 20):
        chunk = wanted[start:start + 20]
        got = await session.get([f"{ENT_PHYSICAL_NAME}.{i}" for i in chunk] +
                                [f"{ENT_PHYSICAL_DESCR}.{i}" for i in chunk])
        for i in chunk:
            names["name"][i] = got.get(f"{ENT_PHYSICAL_NAME}.{i}")
            names["descr"][i] = got.get(f"{ENT_PHYSICAL_DESCR}.{i}")
    return catalogue(columns, scalars, names)
