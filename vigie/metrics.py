"""Vigie's numbers in the Prometheus text format (exposition format 0.0.4).

    python -m vigie.metrics --out www/metrics    # a file any web server can serve
    python -m site_builder --metrics             # the same, written with the site
    GET /metrics                                 # the same from the API (vigie/api/routes_metrics.py)

`render` is pure: machine views and health figures in, text out. The edges
read them: `machine_view` from a machine file and its samples (through
vigie.samples), `collect_machines` for a whole folder (re-reading only the
machines whose samples changed since the last call), `intake_stats` and
`watcher_backlog` from files on disk.

Per interface: in/out octet counters (stamped with the time of the poll that
read them, so `rate(...) * 8` gives the bits per second the site shows, from
the same two readings), in/out bytes per second, speed, oper and admin status
(IF-MIB codes: 1 up, 2 down, ...), utilisation as a ratio. Per machine:
up, uptime, last poll, last answer, poll duration, consecutive failures,
extra OIDs, health metrics (value, size, status, days to full), and an info series
carrying its tags. Vigie itself: alerts by
status and severity, the watcher's backlog, the syslog intake's counters.
Names and labels follow Prometheus' conventions, as `promtool check metrics`
checks them: base units (bytes, seconds), snake_case labels (`machine`,
`if_index`, `if_name`, `if_descr`, `if_alias`: snmp_exporter's `ifName` is
`if_name` here); no secret is ever among them.
"""

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from vigie import __version__, config
from vigie.config import Flag
from vigie.atomic import atomic_write_bytes
from vigie.machines import MachineConfigError, load_machine, machine_files
from vigie.samples import SamplesError, current_signature, read_current
from vigie.shard import ShardError, in_shard, parse_shard
from vigie.utc import unix_from_iso

log = logging.getLogger("vigie.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPER_STATUS = {"up": 1, "down": 2, "testing": 3, "unknown": 4, "dormant": 5, "notPresent": 6, "lowerLayerDown": 7}
ADMIN_STATUS = {"up": 1, "down": 2, "testing": 3}
INTAKE_STATS_FILE = ".syslog-intake.json"


def escape_label(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels(pairs) -> str:
    """`{a="1",b="x"}` from (name, value) pairs; empty when there are none."""
    inner = ",".join(f'{name}="{escape_label(value)}"' for name, value in pairs)
    return "{" + inner + "}" if inner else ""


def number(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if value != value:
        return "NaN"
    return repr(float(value)) if abs(value) < 1e15 else f"{value:.17g}"


@dataclass
class Family:
    """One metric family: its name, type, help text and samples (label text, value, timestamp ms)."""
    name: str
    kind: str
    help: str
    samples: list = field(default_factory=list)

    def add(self, label_text: str, value, timestamp_ms=None) -> None:
        if value is not None:
            self.samples.append((label_text, value, timestamp_ms))

    def body(self) -> str:
        """The sample lines, without the family's header."""
        name = self.name
        return "".join(f"{name}{label_text} {number(value)}\n" if stamp is None
                       else f"{name}{label_text} {number(value)} {stamp}\n"
                       for label_text, value, stamp in self.samples)

    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {self.kind}\n"


def bits_to_bytes(bits):
    return None if bits is None else bits / 8


def machine_view(config: dict, samples: dict) -> dict:
    """What the exposition shows of one machine, from its config and its samples' current
    view (vigie.samples.read_current)."""
    status = samples.get("status") or {}
    return {
        "name": config["name"], "host": config.get("host", ""), "tags": config.get("tags") or {},
        "state": status.get("state") or "unknown", "sys_name": status.get("sys_name") or "",
        "uptime_seconds": status.get("uptime_seconds"), "consecutive_failures": status.get("consecutive_failures"),
        "last_poll": unix_from_iso(samples.get("updated")), "last_seen": unix_from_iso(status.get("last_seen")),
        "poll_seconds": status.get("poll_seconds"), "counters_time": samples.get("counters_time"),
        "interfaces": list(samples.get("interfaces") or []), "oids": dict(samples.get("oids") or {}),
        "health": dict(samples.get("health") or {}),
    }


def _machine_families() -> dict:
    specs = [
        ("up", "gauge", "1 when the machine answered its last SNMP polls, 0 when it is down or not polled yet."),
        ("info", "gauge", "Always 1; the machine's address, system name and tags as labels."),
        ("uptime_seconds", "gauge", "The device's sysUpTime at the last poll, in seconds."),
        ("last_poll_timestamp_seconds", "gauge", "Unix time of the last poll, answered or not."),
        ("last_answer_timestamp_seconds", "gauge", "Unix time of the last poll the device answered."),
        ("poll_duration_seconds", "gauge", "How long the last poll of the machine took."),
        ("consecutive_failures", "gauge", "Polls in a row the device has not answered."),
    ]
    return {key: Family(f"vigie_machine_{key}", kind, text) for key, kind, text in specs}


def _interface_families() -> dict:
    specs = [
        ("in_octets_total", "counter", "Octets received (ifHCInOctets, or ifInOctets on 32-bit devices), "
                                       "stamped with the time of the poll that read it."),
        ("out_octets_total", "counter", "Octets sent (ifHCOutOctets, or ifOutOctets), stamped with the poll time."),
        ("in_bytes_per_second", "gauge", "Received bytes per second between the last two polls (x 8: the bits per "
                                        "second the site shows)."),
        ("out_bytes_per_second", "gauge", "Sent bytes per second between the last two polls (x 8: the site's bits "
                                         "per second)."),
        ("speed_bytes_per_second", "gauge", "The interface's speed (ifHighSpeed or ifSpeed) in bytes per second."),
        ("oper_status", "gauge", "ifOperStatus: 1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, "
                                 "7 lowerLayerDown."),
        ("admin_status", "gauge", "ifAdminStatus: 1 up, 2 down, 3 testing."),
        ("utilisation_ratio", "gauge", "Busier direction's rate over the interface's speed (0 to 1)."),
    ]
    return {key: Family(f"vigie_interface_{key}", kind, text) for key, kind, text in specs}


HEALTH_OK = ("ok", "normal")
PROMETHEUS_UNITS = {"B": "bytes", "%": "percent", "°C": "celsius", "V": "volts", "A": "amperes", "W": "watts",
                    "Hz": "hertz", "RPM": "rpm", "%RH": "percent_rh", "m³/min": "cubic_meters_per_minute",
                    "dBm": "dbm"}


def _device_health_families() -> dict:
    return {"value": Family("vigie_health_value", "gauge", "Last value of a health metric the device offers "
                            "(cpu, memory, storage, sensors...), in the unit its label names (bytes, percent, "
                            "celsius, volts, rpm...)."),
            "size": Family("vigie_health_size_bytes", "gauge", "Size of a memory or storage health metric, in bytes."),
            "ok": Family("vigie_health_status_ok", "gauge", "1 when the sensor, fan or supply says ok (or normal), "
                                                            "0 otherwise; its status word as a label."),
            "days": Family("vigie_health_days_to_full", "gauge", "Days until a storage is full at the trend of "
                                                                 "the last week's daily averages (absent: not filling).")}


def _add_health(view: dict, health: dict) -> None:
    for name, entry in (view.get("health") or {}).items():
        who = [("machine", view["name"]), ("metric", name)]
        unit = entry.get("unit") or ""
        health["value"].add(labels(who + [("family", entry.get("family") or ""),
                                          ("unit", PROMETHEUS_UNITS.get(unit, unit))]), entry.get("last"))
        health["size"].add(labels(who), entry.get("size"))
        if entry.get("status"):
            health["ok"].add(labels(who + [("status", entry["status"])]), int(entry["status"] in HEALTH_OK))
        health["days"].add(labels(who), entry.get("days_to_full"))


def _add_machine(view: dict, machine: dict, interface: dict, oid: dict, health: dict = None) -> None:
    who = labels([("machine", view["name"])])
    tags = view["tags"]
    machine["up"].add(who, 1 if view["state"] == "up" else 0)
    machine["info"].add(labels([("machine", view["name"]), ("host", view["host"]), ("sys_name", view["sys_name"]),
                                ("application", tags.get("application", "")),
                                ("environment", tags.get("environment", "")),
                                ("provider", tags.get("provider", ""))]), 1)
    for key, value in (("uptime_seconds", view["uptime_seconds"]), ("last_poll_timestamp_seconds", view["last_poll"]),
                       ("last_answer_timestamp_seconds", view["last_seen"]),
                       ("poll_duration_seconds", view["poll_seconds"]),
                       ("consecutive_failures", view["consecutive_failures"])):
        machine[key].add(who, value)
    stamp = int(view["counters_time"] * 1000) if view["counters_time"] and view["state"] == "up" else None
    for item in view["interfaces"]:
        text = labels([("machine", view["name"]), ("if_index", item.get("index", "")),
                       ("if_name", item.get("name") or ""), ("if_descr", item.get("descr") or ""),
                       ("if_alias", item.get("alias") or "")])
        if stamp is not None:
            interface["in_octets_total"].add(text, item.get("in_octets"), stamp)
            interface["out_octets_total"].add(text, item.get("out_octets"), stamp)
        interface["in_bytes_per_second"].add(text, bits_to_bytes(item.get("in_bps")))
        interface["out_bytes_per_second"].add(text, bits_to_bytes(item.get("out_bps")))
        interface["speed_bytes_per_second"].add(text, bits_to_bytes(item.get("speed_bps")))
        interface["oper_status"].add(text, OPER_STATUS.get(item.get("oper_status")))
        interface["admin_status"].add(text, ADMIN_STATUS.get(item.get("admin_status")))
        util = item.get("utilisation_percent")
        interface["utilisation_ratio"].add(text, None if util is None else util / 100)
    for name, entry in sorted(view["oids"].items()):
        text = labels([("machine", view["name"]), ("name", name), ("unit", entry.get("unit") or "")])
        if entry.get("type") == "counter":
            oid["rate"].add(text, entry.get("last"))
            if stamp is not None:
                oid["total"].add(text, entry.get("raw"), stamp)
        else:
            oid["value"].add(text, entry.get("last"))
    if health is not None:
        _add_health(view, health)


def _health_families(health: dict) -> list:
    families = []
    alerts = Family("vigie_alerts", "gauge", "Alerts in the database by status and severity.")
    for (status, severity), count in sorted((health.get("alerts") or {}).items()):
        alerts.add(labels([("status", status), ("severity", severity)]), count)
    families.append(alerts)
    suppressed = Family("vigie_alerts_suppressed", "gauge", "Alerts not resolved that are the doing of another "
                                                            "machine: unreachable behind a machine that is down.")
    suppressed.add("", health.get("alerts_suppressed"))
    families.append(suppressed)
    for key, help_text in (("watcher_backlog_files", "Alert files waiting in the drop folder for the watcher."),
                           ("watcher_rejected_files", "Alert files the watcher refused, kept in rejected/."),
                           ("machine_file_errors", "Machine files that do not validate (not polled).")):
        family = Family(f"vigie_{key}", "gauge", help_text)
        family.add("", health.get(key))
        families.append(family)
    outbox = Family("vigie_notifier_outbox", "gauge", "The notifier's outbox: alert changes not yet planned into "
                                                      "messages, by state.")
    for state, count in sorted((health.get("outbox") or {}).items()):
        outbox.add(labels([("state", state)]), count)
    families.append(outbox)
    intake = health.get("syslog") or {}
    for key, help_text in (("received", "Syslog messages received since the intake started."),
                           ("written", "Syslog messages written to device logs since the intake started.")):
        family = Family(f"vigie_syslog_messages_{key}_total", "counter", help_text)
        family.add("", intake.get(key))
        families.append(family)
    dropped = Family("vigie_syslog_messages_dropped_total", "counter",
                     "Syslog messages not kept since the intake started, by reason.")
    for key, count in sorted(intake.items()):
        if key.startswith("dropped_"):
            dropped.add(labels([("reason", key[len("dropped_"):])]), count)
    families.append(dropped)
    info = Family("vigie_build_info", "gauge", "Always 1; the running version as a label.")
    info.add(labels([("version", __version__)]), 1)
    families.append(info)
    return families


def _oid_families() -> dict:
    return {"value": Family("vigie_oid_value", "gauge", "Last value of an extra OID (a gauge) of the machine file."),
            "rate": Family("vigie_oid_rate_per_second", "gauge", "Per-second rate of an extra OID counter."),
            "total": Family("vigie_oid_total", "counter", "Raw value of an extra OID counter, stamped with the "
                                                          "poll time.")}


def _families() -> tuple:
    return _machine_families(), _interface_families(), _oid_families(), _device_health_families()


# Every per-machine family, in the order of the exposition.
FAMILY_ORDER = [f for group in _families() for f in group.values()]


def machine_text(view: dict) -> dict:
    """{family name: sample lines} of one machine: what a scrape joins, computed once per poll."""
    groups = _families()
    _add_machine(view, *groups)
    return {f.name: f.body() for group in groups for f in group.values() if f.samples}


def render(views: list, health: dict = None, texts: dict = None) -> str:
    """The whole exposition text for these machine views and health figures. `texts` holds
    machine_text(view) by machine name, when the caller keeps them between scrapes."""
    texts = texts or {}
    blocks = [texts.get(v["name"]) or machine_text(v) for v in sorted(views, key=lambda v: v["name"])]
    out = []
    for family in FAMILY_ORDER:
        bodies = [b[family.name] for b in blocks if family.name in b]
        if bodies:
            out.append(family.header())
            out.extend(bodies)
    for family in _health_families(health or {}):
        if family.samples:
            out += [family.header(), family.body()]
    return "".join(out)


class SamplesCache:
    """Machine views kept between calls, re-read only when a samples or machine file changed."""

    def __init__(self):
        self.views = {}
        self.texts = {}
        self.configs = {}

    def config(self, path: Path) -> dict:
        """The machine file's config (vigie.machines.load_machine), read again when it changed."""
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            key = None
        cached = self.configs.get(path)
        if key is None or cached is None or cached[0] != key:
            try:
                cached = (key, load_machine(path), None)
            except MachineConfigError as exc:
                cached = (key, None, exc)
            self.configs[path] = cached
        if cached[2] is not None:
            raise cached[2]
        return cached[1]

    def view(self, config: dict, samples_dir, name: str) -> dict:
        key = current_signature(samples_dir, name)
        if key is not None:
            key = (tuple(key), json.dumps(config, sort_keys=True, default=str))
        cached = self.views.get(config["name"])
        if key is not None and cached and cached[0] == key:
            return cached[1]
        try:
            samples = read_current(samples_dir, name)
        except SamplesError as exc:
            log.warning("%s", exc)
            samples = {}
        view = machine_view(config, samples)
        self.views[config["name"]] = (key, view)
        self.texts[config["name"]] = machine_text(view)
        return view


def collect_machines(machines_dir, samples_dir, shard=None, cache: SamplesCache = None):
    """(views, bad machine files) for the machines of this shard; with a cache, a machine
    file or samples file is read again only when it changed."""
    cache = cache or SamplesCache()
    configs, bad = [], 0
    for path in machine_files(machines_dir):
        if not in_shard(path.stem, shard):
            continue
        try:
            configs.append(cache.config(path))
        except MachineConfigError:
            bad += 1
    views = [cache.view(c, samples_dir, c["name"]) for c in configs]
    listed = set(machine_files(machines_dir))
    for path in set(cache.configs) - listed:
        del cache.configs[path]
    for name in set(cache.views) - {v["name"] for v in views}:
        del cache.views[name]
        cache.texts.pop(name, None)
    return views, bad


def intake_stats(logs_dir) -> dict:
    """The syslog intake's counters (it writes them every minute and when it stops); {} without one."""
    try:
        data = json.loads((Path(logs_dir) / INTAKE_STATS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}


def watcher_backlog(alertfiles_dir) -> dict:
    """Files waiting (in the folder and claimed in processing/) and refused (rejected/)."""
    folder = Path(alertfiles_dir)
    if not folder.is_dir():
        return {}

    def count(where):
        try:
            return sum(1 for e in os.scandir(where) if e.name.endswith(".txt") and not e.name.startswith("."))
        except OSError:
            return 0

    processing = folder / "processing"
    claimed = sum(count(p) for p in processing.iterdir() if p.is_dir()) if processing.is_dir() else 0
    return {"watcher_backlog_files": count(folder) + claimed, "watcher_rejected_files": count(folder / "rejected")}


FLAGS = (Flag("--machines", "paths.machines"), Flag("--samples", "paths.samples"),
         Flag("--alertfiles", "paths.alertfiles"), Flag("--logs", "paths.logs"), Flag("--db", "paths.db"),
         Flag("--alert-counts", "metrics.alert_counts", const=True),
         Flag("--shard", "poll.shard", metavar="K/N"), Flag("--out", "metrics.out", metavar="FILE"),
         Flag("--every", "metrics.every_seconds", dest="every", metavar="SECONDS"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vigie.metrics", description="Write Vigie's metrics in the Prometheus "
                                "text format to a file a web server can serve (or standard output).",
                                epilog="--db names the database and turns the alert counts on; a collector host, "
                                       "which has none, leaves them off. --shard: only the machines of this shard "
                                       "(what `collector.poll --shard` polls).")
    config.add_options(p, FLAGS)
    return p


def alert_counts(db_path) -> dict:
    """{"alerts": {(status, severity): count}, "alerts_suppressed": count} read-only from the
    database; {} when there is none."""
    from vigie import db

    if not db_path or not Path(db_path).exists():
        return {}
    conn = db.connect(db_path, readonly=True)
    try:
        return database_health(conn)
    finally:
        conn.close()


def database_health(conn) -> dict:
    """What the exposition tells of the alerts in the database."""
    from vigie.db.alerts import count_by_status_and_severity, count_suppressed

    return {"alerts": count_by_status_and_severity(conn), "alerts_suppressed": count_suppressed(conn)}


def exposition(machines_dir, samples_dir, alertfiles_dir=None, logs_dir=None, db_path=None, shard=None,
               cache: SamplesCache = None) -> bytes:
    """The whole exposition from folders on disk (what `python -m vigie.metrics` and the site
    builder's --metrics write)."""
    cache = cache or SamplesCache()
    views, bad = collect_machines(machines_dir, samples_dir, shard, cache)
    health = dict(watcher_backlog(alertfiles_dir) if alertfiles_dir else {}, machine_file_errors=bad,
                  syslog=intake_stats(logs_dir) if logs_dir else {}, **alert_counts(db_path))
    return render(views, health, cache.texts).encode("utf-8")


def write_once(args, cache: SamplesCache) -> int:
    text = exposition(args.machines, args.samples, args.alertfiles, args.logs,
                      args.db if args.alert_counts else None, args.shard, cache)
    if args.out:
        atomic_write_bytes(args.out, text)
    else:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    return len(text)


def main(argv=None) -> int:
    from vigie.logs import setup_logging

    args = parser().parse_args(argv)
    setup_logging("vigie.metrics")
    try:
        given = "db" in getattr(args, "_given", ())
        config.from_args(args)
        args.alert_counts = args.alert_counts or given
        args.shard = parse_shard(args.shard) if args.shard else None
    except (config.ConfigError, ShardError) as exc:
        log.error("%s", exc)
        return 2
    if args.show_config:
        print(config.describe(args.cfg, ("paths", "metrics")))
        return 0
    if not Path(args.machines).is_dir():
        log.error("machines folder %s does not exist", args.machines)
        return 2
    cache = SamplesCache()
    try:
        while True:
            write_once(args, cache)
            if not args.every:
                return 0
            time.sleep(args.every)
    except OSError as exc:
        log.error("cannot write %s: %s", args.out, exc)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
