"""The SNMP collector: poll every machine in machines/, keep samples, raise events.

    python -m collector.poll --once      # one cycle of every machine, then exit
    python -m collector.poll             # each machine on its own interval, until stopped

All machines share one asyncio event loop and one SnmpEngine; at most
--concurrency of them are being asked at once, and each poll is bounded by the
machine's own timeout and retries, so a dead device never delays the others.
A bad machine file is logged with its name and field, once, and the others
run. The machines folder is read again every --rescan seconds: adding a device
is writing one JSON file. Alert files are written before the samples file, so
a crash in between repeats an alert rather than losing it. A poll appends to
the machine's samples (vigie/samples): its cost does not grow with the history
kept.
"""

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path

from collector.snmp import events as ev
from collector.snmp import health_rules
from vigie.machines import MachineConfigError, load_all
from collector.snmp.cycle import poll_machine
from collector.snmp.session import Session, SnmpError, SnmpStack
from collector.snmp.reading import OidNameError, extra_oid_specs, numeric_oid
from vigie import config, heartbeat, topology
from vigie.config import Flag
from vigie.samples import DAY_SECONDS, YEAR, MachineSamples, SamplesError, SamplesStore, read_archive, samples_path
from vigie.logs import add_logging_options, setup_logging
from vigie.reported import Reported
from vigie.shard import ShardError, in_shard, parse_shard
from vigie.severity import LEAST_SEVERE

log = logging.getLogger("vigie.collector")
SKIP = "skip"   # open_session: the machine's configuration cannot be used this cycle


class Reporter(Reported):
    """Logs a problem when it appears or changes, not on every cycle; with a file, across
    runs too (a timer's `--once` is a new process every minute)."""

    def __init__(self, path=None):
        super().__init__(log, path)


def reported_path(samples_dir, shard=None) -> Path:
    """Where a collector keeps what it has logged about lasting problems, one file per shard."""
    suffix = f"-{shard[0]}-of-{shard[1]}" if shard else ""
    return Path(samples_dir) / f".poll-reported{suffix}.json"


def load_machines(machines_dir, reporter: Reporter, shard=None, capacity_days=health_rules.CAPACITY_DAYS) -> tuple:
    """({name: config} of the valid machine files of this shard, [every valid config, all
    shards]); bad files are reported (once) and skipped. Each config carries its health
    rules, resolved once per load with the collector's capacity_days setting."""
    every, errors = load_all(machines_dir)
    configs = [c for c in every if in_shard(c["name"], shard)]
    bad = set()
    for error in errors:
        key = ("file", error.source)
        bad.add(key)
        reporter.problem(key, f"machine file skipped: {error}")
    reporter.keep_only("file", bad, lambda key: f"machine file {key[1]} is valid again")
    names = {c["name"] for c in configs}
    for kind in ("oid", "secret", "notice"):   # problems of machines no longer polled here are over
        reporter.keep_only(kind, {k for k in reporter.seen if len(k) > 1 and k[1] in names}, lambda key: None)
    # the poll's and the health rules are read from the file once per load, not at every poll
    return {config["name"]: dict(config, poll_rules=ev.resolve_rules(config),
                                 health_rules=health_rules.resolve(config, capacity_days))
            for config in configs}, every


def resolve_extra_oids(config: dict, reporter: Reporter) -> dict:
    """The machine's extra OIDs with numeric OIDs; an unresolvable name is reported (once) and
    kept without an OID, with its problem, so its page says why it has no graph."""
    specs = {}
    for name, spec in extra_oid_specs(config["oids"]).items():
        try:
            specs[name] = dict(spec, oid=numeric_oid(spec["oid"]))
        except OidNameError as exc:
            reporter.problem(("oid", config["name"], name), f"{config['name']}: oids.{name}: {exc}")
            specs[name] = dict(spec, oid=None, problem=str(exc))   # not asked; the page says why
        else:
            reporter.clear(("oid", config["name"], name), f"{config['name']}: oids.{name} resolves again")
    return specs


def load_samples(store: SamplesStore, config: dict) -> MachineSamples:
    """The machine's samples; a head file that cannot be read is kept aside and a new one
    started (the archives, kept by interface name, carry on)."""
    try:
        return store.load(config["name"], config["interval"])
    except SamplesError as exc:
        path = samples_path(store.samples_dir, config["name"])
        aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
        path.replace(aside)
        log.error("%s; kept as %s, starting a new one", exc, aside.name)
        return MachineSamples(config["name"], config["interval"])


def trends_due(samples: MachineSamples) -> bool:
    """Whether the year archive gained a day since the storage trends were fitted."""
    done = (samples.state.get("consolidated") or {}).get(YEAR)
    return done is not None and samples.state.get("trend_day") != done


def refresh_trends(samples_dir, samples: MachineSamples) -> None:
    """Fit the storage trends again once the year archive gained a day: the last week's
    daily averages, read from the archive (once a day per machine)."""
    if not trends_due(samples):
        return
    done = samples.state["consolidated"][YEAR]
    lines = read_archive(samples_dir, samples.machine, YEAR, since=done - (health_rules.TREND_DAYS + 1) * DAY_SECONDS)
    samples.state["trends"] = health_rules.storage_trends(lines)
    samples.state["trend_day"] = done


def log_transition(name: str, before: dict, after: dict, interface_count: int, events: list) -> None:
    for event in events:
        level = logging.INFO if ev.SEVERITY[event["kind"]] == LEAST_SEVERE else logging.WARNING
        log.log(level, "%s: %s", name, event["message"])
    if after["consecutive_failures"] == 1 and before["consecutive_failures"] == 0:
        log.warning("%s: no answer (%s)", name, after["last_error"])
    if before["state"] == "unknown" and after["state"] == "up":
        log.info("%s: answering, %d interface(s) watched", name, interface_count)


def log_notices(name: str, before: list, after: list) -> None:
    """A notice (an interface limit reached) is logged when it appears, not at every poll:
    the samples keep it, so `--once` runs do not repeat it either."""
    for notice in after:
        if notice not in before:
            log.warning("%s: %s", name, notice)
    if before and not after:
        log.info("%s: no notice any more", name)


class Collector:
    def __init__(self, machines_dir, alertfiles_dir, samples_dir, concurrency=32, shard=None, heartbeat_dir=None,
                 topology_path=None, capacity_days=health_rules.CAPACITY_DAYS):
        self.machines_dir = Path(machines_dir)
        self.capacity_days = capacity_days
        self.heartbeat_dir = heartbeat_dir
        self.topology_path = topology_path
        self.shard = shard
        self.alertfiles_dir = Path(alertfiles_dir)
        self.store = SamplesStore(samples_dir)
        self.reporter = Reporter(reported_path(samples_dir, shard))
        self.samples = {}
        self.semaphore = asyncio.Semaphore(concurrency)
        self.stack = SnmpStack()       # made inside the running event loop, used only there
        self.stored = {"bytes": 0, "cpu_seconds": 0.0}
        self.every = []                # every machine, all shards: what the topology matches against
        self.systems_read = {}         # what was discovered of machines this process does not poll
        self.recorded = {}             # machine -> (its neighbours, when) last written to the topology

    async def open_session(self, config: dict):
        """The machine's SNMP session; SKIP when its configuration cannot be used (reported
        once); None when its address does not resolve now, so the poll itself tries again
        and counts the failure."""
        try:
            session = await Session.open(self.stack, config, config["name"])
        except MachineConfigError as exc:
            self.reporter.problem(("secret", config["name"]), f"{config['name']}: not polled: {exc}")
            return SKIP
        except SnmpError:
            return None
        self.reporter.clear(("secret", config["name"]))
        return session

    def systems(self) -> dict:
        """What is known of every machine's device (interfaces, chassis id): from memory for
        those this process polls, from their discovery files (read once) for the others."""
        known = {name: s.discovery for name, s in self.samples.items() if s.discovery}
        missing = [c["name"] for c in self.every if c["name"] not in known and c["name"] not in self.systems_read]
        self.systems_read.update(topology.systems_from_samples(self.store.samples_dir, missing))
        return dict(self.systems_read, **known)

    def record_neighbours(self, config: dict, found: dict) -> None:
        """The links a machine reported at its discovery, into the topology file; skipped when
        they are those written last time, less than a day ago (links age out in a week)."""
        name, now = config["name"], time.time()
        last = self.recorded.get(name)
        if last and last[0] == found["neighbours"] and now - last[1] < topology.REFRESH_SECONDS:
            return
        systems = dict(self.systems(), **{name: found})
        reporter = {"chassis_id": found.get("chassis_id"), "name": found.get("sys_name"), "address": config["host"]}
        try:
            topology.record(self.topology_path, self.every or [config], systems, [(reporter, found["neighbours"])],
                            now)
        except OSError as exc:
            self.reporter.problem(("topology",), f"cannot write the topology file {self.topology_path}: {exc}")
            return
        self.recorded[name] = (found["neighbours"], now)
        self.reporter.clear(("topology",), f"the topology file {self.topology_path} is written again")

    def save(self, config: dict, samples: MachineSamples, events: list) -> None:
        """Alert files first, then the samples: a crash in between repeats an alert, never loses one."""
        name = config["name"]
        if self.topology_path and samples.discovery_changed and "neighbours" in (samples.discovery or {}):
            self.record_neighbours(config, samples.discovery)
        try:
            ev.emit(self.alertfiles_dir, name, config.get("tags") or {}, events)
        except OSError as exc:
            log.error("%s: cannot write alert files in %s: %s", name, self.alertfiles_dir, exc)
        started = time.thread_time()
        self.stored["bytes"] += self.store.save(samples)
        self.stored["cpu_seconds"] += time.thread_time() - started

    async def cycle(self, config: dict, session=None) -> list:
        """Poll one machine once; write its alert files, then its samples.

        Without a session, the poll opens one, and failing to counts as a failed poll.
        """
        name = config["name"]
        extra = resolve_extra_oids(config, self.reporter)
        samples = self.samples.get(name) or load_samples(self.store, config)
        if samples.head["archives"]["fine"]["step"] != config["interval"]:
            samples.set_interval(config["interval"])
        if trends_due(samples):        # a day's work; most polls skip the thread
            await asyncio.to_thread(refresh_trends, self.store.samples_dir, samples)
        before, notices = dict(samples.status), list(samples.head["notices"])
        async with self.semaphore:
            started = time.monotonic()
            events = await poll_machine(self.stack, config, samples, extra, session)
            samples.now["poll_seconds"] = round(time.monotonic() - started, 3)
        samples.events += events
        await asyncio.to_thread(self.save, config, samples, events)
        self.samples[name] = samples
        log_transition(name, before, samples.status, len(samples.head["interfaces"]), events)
        heartbeat.beat("poll", self.heartbeat_dir)
        log_notices(name, notices, samples.head["notices"])
        return events

    async def once(self) -> int:
        configs, self.every = load_machines(self.machines_dir, self.reporter, self.shard, self.capacity_days)
        if not configs:
            self.reporter.problem(("empty",), f"no machine to poll in {self.machines_dir}", logging.WARNING)
        else:
            self.reporter.clear(("empty",))
        started = time.monotonic()
        # every target is registered with the engine before the first request goes out
        sessions = [await self.open_session(c) for c in configs.values()]
        results = await asyncio.gather(*(self.cycle(c, s) for c, s in zip(configs.values(), sessions)
                                         if s is not SKIP), return_exceptions=True)
        configs = {c["name"]: c for c, s in zip(configs.values(), sessions) if s is not SKIP}
        failed = 0
        for config, result in zip(configs.values(), results):
            if isinstance(result, BaseException):
                failed += 1
                log.error("%s: poll failed: %s", config["name"], result, exc_info=result)
        up = sum(1 for name in configs if name in self.samples and self.samples[name].status["state"] == "up")
        log.info("polled %d machine(s) in %.2f s: %d up; samples: %.0f kB written, %.2f s of CPU",
                 len(configs), time.monotonic() - started, up, self.stored["bytes"] / 1000,
                 self.stored["cpu_seconds"])
        self.reporter.save()
        await self.stack.close()
        return 1 if failed else 0

    async def machine_loop(self, config: dict) -> None:
        due = time.monotonic()
        session = None
        while True:
            try:
                if session is None or session is SKIP:
                    session = await self.open_session(config)
                if session is not SKIP:
                    await self.cycle(config, session)
            except Exception:
                log.exception("%s: poll failed", config["name"])
            due += config["interval"]
            now = time.monotonic()
            if due < now:
                due = now + config["interval"]
            await asyncio.sleep(due - now)

    async def forever(self, rescan_seconds: float, stop: asyncio.Event) -> int:
        tasks, running = {}, {}
        while not stop.is_set():
            configs, self.every = load_machines(self.machines_dir, self.reporter, self.shard, self.capacity_days)
            self.reporter.save()
            for name in list(tasks):
                if name not in configs or configs[name] != running[name]:
                    tasks.pop(name).cancel()
                    log.info("%s: %s", name, "removed" if name not in configs else "configuration changed")
                    if name not in configs:
                        self.samples.pop(name, None)
            for name, config in configs.items():
                if name not in tasks:
                    running[name] = config
                    tasks[name] = asyncio.create_task(self.machine_loop(config), name=f"poll {name}")
            try:
                await asyncio.wait_for(stop.wait(), rescan_seconds)
            except asyncio.TimeoutError:
                pass
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await self.stack.close()
        log.info("stopped")
        return 0


FLAGS = (Flag("--machines", "paths.machines"), Flag("--alertfiles", "paths.alertfiles"),
         Flag("--samples", "paths.samples"), Flag("--topology", "paths.topology", metavar="FILE"),
         Flag("--shard", "poll.shard", metavar="K/N"),
         Flag("--concurrency", "poll.concurrency"), Flag("--rescan", "poll.rescan_seconds", metavar="SECONDS"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collector.poll", description=__doc__.split("\n\n")[0],
                                epilog="Samples are written to SAMPLES/<name>.json and SAMPLES/<name>/; alerts to ALERTFILES.")
    p.add_argument("--once", action="store_true", help="poll every machine once and exit")
    config.add_options(p, FLAGS)
    add_logging_options(p)
    return p


async def run(args) -> int:
    collector = Collector(args.machines, args.alertfiles, args.samples, args.concurrency, args.shard,
                          heartbeat_dir=args.cfg["paths"]["heartbeat"], topology_path=args.topology,
                          capacity_days=args.cfg["poll"]["capacity_days"])
    try:
        collector.store.lock(args.shard)
    except (SamplesError, OSError) as exc:
        log.error("%s", exc)
        return 1
    try:
        if args.once:
            return await collector.once()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("collector started: machines in %s, every machine on its own interval", args.machines)
        return await collector.forever(args.rescan, stop)
    finally:
        collector.store.unlock()


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    setup_logging("vigie.collector", verbose=args.verbose, quiet=args.quiet)
    try:
        config.from_args(args)
        args.shard = parse_shard(args.shard) if args.shard else None
    except (config.ConfigError, ShardError) as exc:
        log.error("%s", exc)
        return 2
    if args.show_config:
        print(config.describe(args.cfg, ("paths", "poll")))
        return 0
    if not Path(args.machines).is_dir():
        log.error("machines folder %s does not exist", args.machines)
        return 2
    try:
        return asyncio.run(run(args))
    except OSError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
