"""Samples files of format 1 (one JSON file a machine, series by ifIndex) into format 2.

Format 1 kept, per ifIndex, four archives of rows [ts, in avg, out avg, in max,
out max] (extra OIDs: [ts, avg, max]) and the collector's state in one file
rewritten at every poll. The day archive becomes the fine lines; the coarse
rows whose bucket had closed become coarse lines; the row of a bucket still
open is left out, since it is consolidated again from the fine lines when it
closes. Interfaces take the names the file knew them by. Pure: the store
writes what `from_format1` returns.
"""

from vigie.samples import consolidate
from vigie.samples.format import (AVG, COARSE_ARCHIVES, COUNTER_IN, COUNTER_OUT,
                                  FINE, IDENTITY_KEYS, IN, IN_AVG, IN_MAX, MAX, MAX_EVENTS, OUT, OUT_AVG, OUT_MAX,
                                  STATUS_KEYS, empty_head, empty_now, interface_key)

# format 1 row columns: [ts, in avg, out avg, in max, out max] and [ts, avg, max]
V1_TS, V1_IN_AVG, V1_OUT_AVG, V1_IN_MAX, V1_OUT_MAX = range(5)
V1_OID_AVG, V1_OID_MAX = 1, 2


def _keys(data: dict) -> dict:
    """{str(ifIndex): name} for every interface the file mentions."""
    known = {}
    found = ((data.get("state") or {}).get("discovery") or {}).get("interfaces") or []
    for interface in list(data.get("interfaces") or []) + list(found):
        if isinstance(interface, dict) and "index" in interface and str(interface["index"]) not in known:
            known[str(interface["index"])] = interface
    keys, taken = {}, set()
    for index in list(known) + [i for i in (data.get("series") or {}) if i not in known]:
        key = interface_key(known.get(index) or {"index": index}, taken)
        keys[index] = key
        taken.add(key)
    return keys


def _rows(archives: dict, name: str) -> list:
    return [r for r in (archives or {}).get(name) or () if isinstance(r, list) and r and isinstance(r[0], (int, float))]


def _fine_lines(data: dict, keys: dict) -> list:
    lines = {}
    for index, archives in (data.get("series") or {}).items():
        for row in _rows(archives, "day"):
            pair = [row[V1_IN_AVG] if len(row) > V1_IN_AVG else None, row[V1_OUT_AVG] if len(row) > V1_OUT_AVG else None]
            line = lines.setdefault(int(row[V1_TS]), {"t": int(row[V1_TS]), "if": {}, "oid": {}})
            line["if"][keys[index]] = [None, None]
            line["if"][keys[index]][IN], line["if"][keys[index]][OUT] = pair
    for name, oid in (data.get("oids") or {}).items():
        for row in _rows(oid, "day"):
            line = lines.setdefault(int(row[V1_TS]), {"t": int(row[V1_TS]), "if": {}, "oid": {}})
            line["oid"][name] = row[V1_OID_AVG] if len(row) > V1_OID_AVG else None
    return [lines[t] for t in sorted(lines)]


def _coarse_lines(data: dict, keys: dict, archive: str, step: int, until: int) -> list:
    """Lines of the buckets that had closed by `until`."""
    lines = {}

    def line(t):
        return lines.setdefault(t, {"t": t, "if": {}, "oid": {}})

    for index, archives in (data.get("series") or {}).items():
        for row in _rows(archives, archive):
            if row[V1_TS] + step > until:
                continue
            values = list(row[1:5]) + [None] * (5 - len(row))
            out = [None] * 4
            out[IN_AVG], out[OUT_AVG], out[IN_MAX], out[OUT_MAX] = values[:4]
            line(int(row[V1_TS]))["if"][keys[index]] = out
    for name, oid in (data.get("oids") or {}).items():
        for row in _rows(oid, archive):
            if row[V1_TS] + step > until:
                continue
            out = [None, None]
            out[AVG] = row[V1_OID_AVG] if len(row) > V1_OID_AVG else None
            out[MAX] = row[V1_OID_MAX] if len(row) > V1_OID_MAX else None
            line(int(row[V1_TS]))["oid"][name] = out
    return [lines[t] for t in sorted(lines)]


def _identity(interface: dict, key: str) -> dict:
    identity = {k: interface.get(k) for k in IDENTITY_KEYS}
    identity["key"] = key
    return identity


def from_format1(data: dict) -> dict:
    """{"head", "now", "discovery", "archives": {name: lines}, "events"} from a format 1 record."""
    machine = data.get("machine") or "?"
    layout = data.get("archives") or {}
    interval = (layout.get("day") or {}).get("step") or 60
    keys = _keys(data)
    state = data.get("state") or {}
    head = empty_head(machine, interval)
    head["status"].update({k: (data.get("status") or {}).get(k) for k in STATUS_KEYS})
    head["status"]["consecutive_failures"] = head["status"]["consecutive_failures"] or 0
    head["status"]["state"] = head["status"]["state"] or "unknown"
    head["interfaces"] = [_identity(i, keys[str(i.get("index"))]) for i in data.get("interfaces") or ()
                          if isinstance(i, dict) and str(i.get("index")) in keys]
    head["oids"] = {name: {"type": oid.get("type") or "gauge", "unit": oid.get("unit")}
                    for name, oid in (data.get("oids") or {}).items()}
    head["state"]["interfaces"] = {keys[i]: v for i, v in (state.get("interfaces") or {}).items() if i in keys}

    fine = _fine_lines(data, keys)
    until = fine[-1]["t"] + interval if fine else 0
    archives = {FINE: fine}
    for archive, (step, _) in COARSE_ARCHIVES.items():
        archives[archive] = _coarse_lines(data, keys, archive, step, until)
        closed = archives[archive][-1]["t"] + step if archives[archive] else None
        head["state"]["consolidated"][archive] = closed if closed is not None else (
            consolidate.bucket_start(fine[0]["t"], step) if fine else None)
    week_end = head["state"]["consolidated"]["week"]
    if week_end is not None:
        head["state"]["peak_window"] = consolidate.peak_window(archives["week"], week_end)

    last = state.get("last") or {}
    now = empty_now()
    now.update(polled=data.get("updated"), time=last.get("time"), uptime_ticks=last.get("uptime_ticks"),
               fine_t=fine[-1]["t"] if fine else None)
    for index, key in keys.items():
        counters = (last.get("counters") or {}).get(index)
        if counters:
            row = [None, None]
            row[COUNTER_IN], row[COUNTER_OUT] = counters.get("in"), counters.get("out")
            now["counters"][key] = row
    now["oids"] = {name: oid.get("last") for name, oid in (data.get("oids") or {}).items()}
    now["oid_counters"] = dict(last.get("oids") or {})
    if week_end is not None:
        now["open_max"] = consolidate.running_max([line for line in fine if line["t"] >= week_end])
    return {"head": head, "now": now, "discovery": state.get("discovery"), "archives": archives,
            "events": list(data.get("events") or [])[-MAX_EVENTS:]}
