"""Months of samples in the collector's format, made in seconds, for the site tests and
the benches: what vigie.samples would hold after polling a machine that long.

The values follow a day-shaped curve per interface; the fine lines are the last
day at the poll step, the coarse ones the buckets before, all closed and
consolidated, so the next real poll carries on as after a long run.
"""

import math
import random
from pathlib import Path

from vigie import samples as sl
from vigie.samples import consolidate, journal
from vigie.samples.store import Family, _write_json, percentiles_of


def traffic(ts: float, peak: float, phase: float) -> float:
    """A day-shaped rate: low at night, high in the afternoon."""
    return peak * (0.55 + 0.4 * math.sin(2 * math.pi * (ts / 86400 + phase)))


def interfaces(count: int, prefix: str = "ge-0/0/", aliases: dict = None) -> list:
    """Interface identities as discovery finds them: names, 1 Gb/s, every fourth one down.
    `aliases` maps an ifIndex (1, 2...) to its alias."""
    return [{"key": f"{prefix}{i}", "index": i + 1, "name": f"{prefix}{i}", "descr": f"GigabitEthernet0/0/{i}",
             "alias": (aliases or {}).get(i + 1, f"uplink {i + 1}" if i % 3 == 0 else ""), "speed_bps": 10**9,
             "type": 6, "oper_status": "up" if (i + 1) % 4 else "down", "admin_status": "up", "counter_bits": 64}
            for i in range(count)]


class Curves:
    def __init__(self, identities: list, seed: int):
        rng = random.Random(seed)
        self.rng = rng
        self.shape = {i["key"]: (1e6 * ((i["index"] * 37) % 900 + 10), rng.random()) for i in identities}

    def pair(self, key: str, ts: float, jitter: float = 0.15) -> list:
        peak, phase = self.shape[key]
        noise = 1 + (self.rng.random() - 0.5) * 2 * jitter
        return [sl.compact_number(traffic(ts, peak, phase) * noise),
                sl.compact_number(traffic(ts, peak * 0.4, phase + 0.1) * noise)]


def fine_lines(curves: Curves, keys: list, end: int, step: int, count: int, oids=(), health=()) -> list:
    start = end - step * count
    lines = [{"t": t, "if": {k: curves.pair(k, t) for k in keys}, "oid": {o: round(curves.rng.random() * 4, 2)
                                                                         for o in oids}}
             for t in range(start + step, end + 1, step)]
    if health:
        for line in lines:
            line["health"] = {m: round(curves.rng.random() * 80, 2) for m in health}
    return lines


def coarse_lines(curves: Curves, keys: list, end: int, step: int, count: int, oids=(), percentiles=False,
                 health=()) -> list:
    lines = []
    for t in range(end - step * count, end, step):
        row = {}
        for k in keys:
            avg = curves.pair(k, t + step / 2, 0.05)
            peak = [sl.compact_number(v * (1.2 + curves.rng.random() * 0.3)) for v in avg]
            values = [avg[sl.IN], avg[sl.OUT], peak[sl.IN], peak[sl.OUT]]
            if percentiles:
                values += [sl.compact_number(v * 1.12) for v in peak] + [sl.compact_number(v * 1.1) for v in peak]
            row[k] = values
        lines.append({"t": t, "if": row, "oid": {o: [1.0, 3.5] for o in oids}})
        if health:
            lines[-1]["health"] = {m: [40.0, 75.0] for m in health}
    return lines


def write_history(samples_dir, machine: str, identities: list, now: float, days: int = 365, interval: int = 60,
                  oids=(), seed: int = 1, state: str = "up", fine_rows: int = None, events: list = None,
                  health=()) -> Family:
    """The samples family of `machine` as after `days` of polls every `interval` s until `now`
    (`fine_rows` polls kept at the poll step: 25 h by default). `oids` are names, or
    {name: unit}; `health` names health metrics given values in every line too."""
    fam = Family(samples_dir, machine)
    fam.dir.mkdir(parents=True, exist_ok=True)
    curves = Curves(identities, seed)
    keys = [i["key"] for i in identities]
    units = dict(oids) if isinstance(oids, dict) else {o: None for o in oids}
    oids = sorted(units)
    last = int(now) // interval * interval
    if fine_rows is None:
        fine_rows = min(days * 86400, 86400 + 3600) // interval
    fine = fine_lines(curves, keys, last, interval, fine_rows, oids, health)
    journal.rewrite(fam.archive(sl.FINE), fine)
    head = sl.empty_head(machine, interval)
    cursors = {}
    for archive, (step, rows) in sl.COARSE_ARCHIVES.items():
        end = consolidate.bucket_start(last, step)
        count = min(rows, days * 86400 // step)
        lines = coarse_lines(curves, keys, end, step, count, oids, percentiles=archive == sl.YEAR, health=health)
        journal.rewrite(fam.archive(archive), lines)
        cursors[archive] = end
        if archive == sl.YEAR and lines:
            hist = {"month": sl.iso(lines[-1]["t"])[:7], "first_day": lines[-1]["t"], "through": lines[-1]["t"],
                    "days": 1, "if": {k: [[0, 900, 3, 20, 50, 20, 3], [0, 800, 3, 20, 50, 20, 3]] for k in keys}}
            _write_json(fam.hist, hist)
            head["p95"] = percentiles_of(lines[-1], hist)
        if archive == sl.WEEK:
            head["state"]["peak_window"] = consolidate.peak_window(lines, end)
    head["state"]["consolidated"] = cursors
    head["interfaces"] = [dict(i) for i in identities]
    head["oids"] = {o: {"type": "gauge", "unit": units[o]} for o in oids}
    head["status"].update(state=state, since=sl.iso(last - 3 * 86400), sys_name=machine, sys_descr="Simulated switch",
                          consecutive_failures=0 if state == "up" else 3,
                          last_error=None if state == "up" else "timeout")
    head["updated"] = sl.iso(last)
    now_record = sl.empty_now()
    now_record.update(polled=sl.iso(last), time=last, uptime_ticks=(3 * 86400 + 1234) * 100, fine_t=last,
                      oids=dict(fine[-1]["oid"]),
                      open_max=consolidate.running_max([x for x in fine if x["t"] >= cursors[sl.WEEK]]))
    _write_json(fam.now, now_record)
    journal.rewrite(fam.events, events if events is not None else [
        {"time": sl.iso(last - 3 * 86400), "kind": "up", "interface": None, "message": f"{machine} answers again"}])
    _write_json(fam.head, head)
    return fam


def copy_history(source: Family, samples_dir, machine: str) -> Family:
    """Another machine with the same history (the head renamed): a fleet in the time of one."""
    import shutil
    fam = Family(samples_dir, machine)
    if fam.dir.exists():
        shutil.rmtree(fam.dir)
    shutil.copytree(source.dir, fam.dir)
    head = journal.loads(Path(source.head).read_bytes())
    head["machine"] = machine
    head["status"]["sys_name"] = machine
    _write_json(fam.head, head)
    return fam
