"""Find the devices of a network, and how they are cabled, from subnets and seed devices.

    python -m collector.discover --seed 192.0.2.1 --community public --within 192.0.2.0/22
    python -m collector.discover --subnet 192.0.2.0/24 --v3 users.json --dry-run

Every address of each --subnet is probed, and every --seed; each credential set is
tried in order (--community, then the --v3 users, then those of --credentials-from
machines) until one answers. For each device that answers: its system group, its
interfaces, its LLDP chassis id and LLDP and CDP neighbours. A neighbour whose
management address lies inside --within is probed too, so one seed finds a network.
A device is one device however many addresses answer for it: it is known by its
LLDP chassis id, else by sysName and sysObjectID, never by its address alone.

A device that is no machine yet gets a machine file named from its sysName, with the
credentials that worked and a "discovered" record; a machine file is never changed
(a device already known by address or chassis id is reported as known). The links
found go to the topology file. --dry-run writes nothing. Progress goes to standard
error; the last line on standard output is the JSON summary:

    {"probed": N, "answered": N, "added": [names], "known": [names], "skipped": [{"address", "why"}]}

Exit status 0 when the discovery ran, 2 on bad input, 1 when a file cannot be written.
"""

import argparse
import asyncio
import ipaddress
import json
import logging
import re
import sys
import time
from pathlib import Path

from collector.snmp.discovery import discover
from collector.snmp.neighbours import try_read_neighbours
from collector.snmp.session import Session, SnmpError, SnmpStack
from vigie import machines as mc
from vigie import config, topology
from vigie.atomic import atomic_write_json
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging
from vigie.utc import iso_from_unix

log = logging.getLogger("vigie.discover")

DESCRIPTION_CHARS = 500


class BadInput(Exception):
    """A command-line value that cannot be used; the message names it."""


# --- inputs ----------------------------------------------------------------------------

def parse_network(text: str, option: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a CIDR network (such as 192.0.2.0/24)") from None


def parse_seed(text: str, default_port: int) -> tuple:
    """(host, port) of HOST[:PORT]; an IPv6 address with a port is written [2001:db8::1]:161."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?|([0-9A-Fa-f:.]+)", text.strip())
    if not match:
        raise BadInput(f"--seed {text!r} is not HOST or HOST:PORT")
    host = match.group(1) or match.group(3) or match.group(5)
    port = int(match.group(2) or match.group(4) or default_port)
    if not 1 <= port <= 65535:
        raise BadInput(f"--seed {text!r}: the port must be between 1 and 65535")
    if mc.NAME_RE.fullmatch(host.replace(":", "-")) is None and not _is_address(host):
        raise BadInput(f"--seed {text!r} is not a host name or address")
    return host, port


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def sweep_size(networks) -> int:
    return sum(n.num_addresses for n in networks)


def check_sweep(networks, largest_prefix: int, yes: bool) -> None:
    """BadInput when the sweep holds more addresses than a /largest_prefix without --yes."""
    limit = 2 ** (32 - largest_prefix)
    if sweep_size(networks) > limit and not yes:
        raise BadInput(f"--subnet: {sweep_size(networks):,} addresses to sweep, more than a /{largest_prefix} "
                       f"({limit:,}): add --yes to sweep them")


def sweep_addresses(networks):
    """Each network's addresses to probe: its hosts (a /31 or /32 is every address)."""
    for network in networks:
        hosts = network.hosts() if network.num_addresses > 2 else iter(network)
        for address in hosts:
            yield str(address)


def read_v3_users(path) -> list:
    """The SNMPv3 users of a JSON file: one machine-file "snmp" section, or a list of them."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"--v3 {path}: cannot read the file: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"--v3 {path}: not valid JSON: {exc}") from None
    users = data if isinstance(data, list) else [data]
    for position, user in enumerate(users):
        if not isinstance(user, dict) or user.get("version") != "3":
            raise BadInput(f"--v3 {path}: entry {position + 1}: expected an SNMPv3 user "
                           "{\"version\": \"3\", \"user\", \"auth_protocol\", \"auth_key\", ...}")
        try:
            mc.validate({"host": "x", "snmp": user}, source=f"{path} entry {position + 1}")
        except mc.MachineConfigError as exc:
            raise BadInput(f"--v3 {exc}") from None
    return users


def credentials_from(machines_dir, names) -> list:
    """The "snmp" sections of existing machines, by name (credentials never typed again)."""
    found = []
    for name in names:
        try:
            found.append(mc.load_machine(Path(machines_dir) / f"{mc.check_name(name)}.json")["snmp"])
        except mc.MachineConfigError as exc:
            raise BadInput(f"--credentials-from {name}: {exc.message}") from None
    return found


def credential_sets(args) -> list:
    sets = [{"version": "2c", "community": c} for c in args.community]
    for path in args.v3:
        sets += read_v3_users(path)
    sets += credentials_from(args.machines, args.credentials_from)
    return sets or [{"version": "2c", "community": "public"}]


# --- pure rules ------------------------------------------------------------------------

def identity_key(found: dict) -> tuple:
    """What tells a device apart: its LLDP chassis id, else sysName and sysObjectID."""
    if found.get("chassis_id"):
        return ("chassis", found["chassis_id"])
    return ("system", found.get("sys_name") or "", found.get("sys_object_id") or "")


def safe_name(sys_name, address: str) -> str:
    """A machine name from a sysName: other characters become '-', no leading dot."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", (sys_name or "").strip()).strip("-.")[:mc.NAME_MAX]
    return name or re.sub(r"[^0-9A-Za-z]+", "-", address).strip("-")


def unique_name(name: str, taken) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name[:mc.NAME_MAX - 4]}-{number}" in taken:
        number += 1
    return f"{name[:mc.NAME_MAX - 4]}-{number}"


def inside(address, within) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in within)


def known_machine(device: dict, configs: list):
    """The existing machine this device is, by address or chassis id, or None."""
    for config in configs:
        discovered = config.get("discovered") or {}
        if config.get("host") in device["addresses"] or \
                (device.get("chassis_id") and discovered.get("chassis_id") == device["chassis_id"]):
            return config["name"]
    return None


def machine_file(device: dict, port: int, now: float) -> dict:
    description = (device.get("sys_descr") or "").splitlines()[0][:DESCRIPTION_CHARS] if device.get("sys_descr") \
        else ""
    data = {"host": device["address"], "port": port, "snmp": device["credential"]}
    if description:
        data["description"] = description
    data["discovered"] = {"at": iso_from_unix(now), "via": device["via"], "chassis_id": device.get("chassis_id"),
                          "sys_object_id": device.get("sys_object_id")}
    return data


# --- the run ---------------------------------------------------------------------------

class Pacer:
    """At most `rate` probes started per second."""

    def __init__(self, rate: float, clock=time.monotonic):
        self.gap, self.clock, self.next_at = 1.0 / rate, clock, clock()

    async def wait(self) -> None:
        now = self.clock()
        start = max(now, self.next_at)
        self.next_at = start + self.gap
        if start > now:
            await asyncio.sleep(start - now)


class Progress:
    """What is done so far: told on a terminal, and written to a JSON file for the web page."""

    def __init__(self, path=None, stream=sys.stderr):
        self.path, self.stream = path, stream
        self.terminal = stream.isatty()
        self.state = {"state": "running", "probed": 0, "answered": 0, "queued": 0, "found": []}
        self.last_write = 0.0

    def update(self, force: bool = False, **changes) -> None:
        self.state.update(changes)
        if self.terminal:
            self.stream.write(f"\rprobed {self.state['probed']}, answered {self.state['answered']}, "
                              f"{self.state['queued']} to go   ")
            self.stream.flush()
        if self.path and (force or time.monotonic() - self.last_write > 0.5):
            atomic_write_json(self.path, self.state)
            self.last_write = time.monotonic()

    def close(self) -> None:
        if self.terminal:
            self.stream.write("\n")


class Discovery:
    def __init__(self, options: dict, credentials: list, within: list, progress: Progress):
        self.options, self.credentials, self.within, self.progress = options, credentials, within, progress
        self.pacer = Pacer(options["rate"])
        self.semaphore = asyncio.Semaphore(options["concurrency"])
        self.stack = SnmpStack()
        self.probed, self.answered = set(), 0
        self.devices = {}       # identity key -> device
        self.skipped = []
        self.queue = []

    def enqueue(self, address: str, port: int, via: str) -> None:
        if (address, port) in self.probed or any(a == address for a, _, _ in self.queue):
            return
        self.queue.append((address, port, via))

    async def ask(self, address: str, port: int, credential: dict):
        config = {"host": address, "port": port, "snmp": credential, "timeout": self.options["timeout"],
                  "retries": self.options["retries"]}
        await self.pacer.wait()
        session = await Session.open(self.stack, config)
        found = await discover(session)
        return session, found

    async def probe(self, address: str, port: int, via: str) -> None:
        """Try each credential set on one address; note the device that answers."""
        async with self.semaphore:
            for credential in self.credentials:
                try:
                    session, found = await self.ask(address, port, credential)
                except (SnmpError, OSError, mc.MachineConfigError, asyncio.TimeoutError) as exc:
                    log.debug("%s: %s", address, exc)
                    continue
                except Exception as exc:   # one address's odd answer never ends the whole discovery
                    log.warning("%s: skipped: %s", address, type(exc).__name__)
                    self.skipped.append({"address": address, "why": f"unusable answer ({type(exc).__name__})"})
                    return
                lldp = await try_read_neighbours(session, found["interfaces"]) or {"neighbours": []}
                self.answered += 1
                self.note(dict(found, address=address, port=port, via=via, credential=credential,
                               chassis_id=lldp.get("chassis_id"), neighbours=lldp["neighbours"]))
                return

    def note(self, found: dict) -> None:
        key = identity_key(found)
        if key in self.devices:
            self.devices[key]["addresses"].add(found["address"])
            return
        if len(self.devices) >= self.options["max_devices"]:
            self.skipped.append({"address": found["address"], "why": f"more than --max-devices "
                                                                     f"{self.options['max_devices']} devices"})
            return
        found["addresses"] = {found["address"]}
        self.devices[key] = found
        log.info("found %s at %s (%s)", found.get("sys_name") or "a device", found["address"], found["via"])
        chassis = {d.get("chassis_id") for d in self.devices.values() if d.get("chassis_id")}
        for neighbour in found["neighbours"]:
            address = neighbour.get("address")
            if not address:
                continue
            if neighbour.get("chassis_id") in chassis:   # found already: not asked at another address
                continue
            if not inside(address, self.within):
                self.skipped.append({"address": address, "why": f"outside --within ({neighbour['via']} "
                                                                f"neighbour of {found['address']})"})
                continue
            self.enqueue(address, found["port"], neighbour["via"])

    async def run(self) -> None:
        running = set()
        while self.queue or running:
            while self.queue and len(running) < self.options["concurrency"]:
                address, port, via = self.queue.pop(0)
                self.probed.add((address, port))
                running.add(asyncio.create_task(self.probe(address, port, via)))
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            self.progress.update(probed=len(self.probed), answered=self.answered, queued=len(self.queue),
                                 found=sorted(d.get("sys_name") or d["address"] for d in self.devices.values()))
        await self.stack.close()


def unique_skips(skipped: list) -> list:
    seen, out = set(), []
    for entry in skipped:
        if entry["address"] not in seen:
            seen.add(entry["address"])
            out.append(entry)
    return out


def plan(devices: list, configs: list, port: int, now: float) -> tuple:
    """([(name, machine file)] to add, [names already known]) for the devices found."""
    taken = {c["name"] for c in configs}
    added, known = [], []
    for device in devices:
        name = known_machine(device, configs)
        if name:
            known.append(name)
            device["machine"] = name
            continue
        name = unique_name(safe_name(device.get("sys_name"), device["address"]), taken)
        taken.add(name)
        device["machine"] = name
        added.append((name, machine_file(device, device.get("port", port), now)))
    return added, known


def write_machines(machines_dir, added: list) -> None:
    Path(machines_dir).mkdir(parents=True, exist_ok=True)
    for name, data in added:
        try:                  # a file written since the plan is never changed
            atomic_write_json(Path(machines_dir) / f"{name}.json", data, mode=mc.FILE_MODE, indent=2, replace=False)
        except FileExistsError:
            continue


def write_candidates(path, added: list, devices: list) -> None:
    """The machine files a person may add, with what the page shows of each device."""
    by_machine = {d["machine"]: d for d in devices}
    atomic_write_json(path, {"candidates": [
        {"name": name, "machine": data, "sys_name": by_machine[name].get("sys_name"),
         "addresses": sorted(by_machine[name]["addresses"])} for name, data in added]}, mode=0o600)


def write_topology(path, machines_dir, samples_dir, devices: list, now: float) -> dict:
    """The links the devices reported, into the topology file."""
    configs, _ = mc.load_all(machines_dir)
    systems = topology.systems_from_samples(samples_dir, [c["name"] for c in configs])
    for device in devices:
        systems[device["machine"]] = {"sys_name": device.get("sys_name"), "chassis_id": device.get("chassis_id"),
                                      "interfaces": device["interfaces"]}
    sightings = [({"chassis_id": d.get("chassis_id"), "name": d.get("sys_name"), "address": d["address"]},
                  d["neighbours"]) for d in devices]
    return topology.record(path, configs, systems, sightings, now)


# the settings of [discover] and [paths] a flag overrides for one run (vigie/config.py)
FLAGS = (Flag("--machines", "paths.machines", metavar="DIR"), Flag("--samples", "paths.samples", metavar="DIR"),
         Flag("--topology", "paths.topology", metavar="FILE"), Flag("--rate", "discover.rate", metavar="N"),
         Flag("--timeout", "discover.timeout_seconds", metavar="SECONDS"),
         Flag("--retries", "discover.retries", metavar="N"), Flag("--max-devices", "discover.max_devices", metavar="N"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collector.discover", description=__doc__.split("\n\n")[0],
                                epilog="Its settings are the [discover] section of the configuration "
                                       "(docs/configuration.md); the flags override them for one run.")
    p.add_argument("--subnet", action="append", default=[], metavar="CIDR", help="sweep every address (repeatable)")
    p.add_argument("--seed", action="append", default=[], metavar="HOST[:PORT]",
                   help="start from this device and follow its neighbours (repeatable)")
    p.add_argument("--community", action="append", default=[], metavar="C",
                   help="an SNMP v2c community to try, in order (repeatable; default: public)")
    p.add_argument("--v3", action="append", default=[], metavar="FILE",
                   help="a JSON file of SNMPv3 users in the machine-file form (a \"snmp\" section, or a list)")
    p.add_argument("--credentials-from", action="append", default=[], metavar="MACHINE",
                   help="try the credentials of this existing machine (repeatable): no secret on the command line")
    p.add_argument("--port", type=int, default=161, help="UDP port of the agents (default: %(default)s)")
    p.add_argument("--within", action="append", default=[], metavar="CIDR",
                   help="never probe nor follow a neighbour outside these (repeatable; default: the subnets "
                        "and seeds given)")
    p.add_argument("--yes", action="store_true",
                   help="sweep more addresses than the setting discover.max_sweep_prefix allows (a /20)")
    config.add_options(p, FLAGS)
    p.add_argument("--dry-run", action="store_true", help="write nothing: say what would be added")
    p.add_argument("--progress-file", metavar="FILE", help="keep the progress in this JSON file (the web page's)")
    p.add_argument("--candidates", metavar="FILE",
                   help="write the machine files to add into this one file (mode 0600) instead of the machines "
                        "folder, for a person to pick from (the web page's); the topology is written all the same")
    add_logging_options(p)
    return p


def options_from(args) -> dict:
    """The run's settings: the [discover] section (with the flags given), checked there, and
    the command's own options."""
    if not args.subnet and not args.seed:
        raise BadInput("give at least one --subnet or --seed")
    if not 1 <= args.port <= 65535:
        raise BadInput(f"--port {args.port}: expected 1 to 65535")
    settings = args.cfg["discover"]
    return {"rate": args.rate, "timeout": args.timeout, "retries": args.retries, "max_devices": args.max_devices,
            "concurrency": in_flight(args.rate, args.timeout, args.retries, settings["max_in_flight"])}


def in_flight(rate: float, timeout: float, retries: int, most: int) -> int:
    """How many addresses to ask at once so that the pace, not the wait for silent addresses,
    sets the sweep's speed: what `rate` starts during one address's whole wait, and room
    for devices that answer and are walked; `most` at the most."""
    return min(most, int(rate * timeout * (retries + 1)) + 64)


def targets(args) -> tuple:
    """([(address, port, via)] to probe first, [networks] never left)."""
    subnets = [parse_network(s, "--subnet") for s in args.subnet]
    check_sweep(subnets, args.cfg["discover"]["max_sweep_prefix"], args.yes)
    seeds = [parse_seed(s, args.port) for s in args.seed]
    within = [parse_network(s, "--within") for s in args.within]
    if not within:
        within = subnets + [ipaddress.ip_network(h) for h, _ in seeds if _is_address(h)]
    first = [(h, p, "seed") for h, p in seeds] + [(a, args.port, "subnet") for a in sweep_addresses(subnets)]
    return first, within


async def discover_network(first, options, credentials, within, progress) -> Discovery:
    run = Discovery(options, credentials, within, progress)
    for address, port, via in first:
        if via == "seed" or inside(address, within):
            run.enqueue(address, port, via)
    await run.run()
    return run


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    setup_logging("vigie.discover", verbose=args.verbose, quiet=args.quiet)
    try:
        config.from_args(args)
    except config.ConfigError as exc:
        log.error("%s", exc)
        if args.progress_file:
            Progress(args.progress_file).update(force=True, state="failed", error=str(exc))
        return 2
    if args.show_config:
        print(config.describe(args.cfg, ("paths", "discover")))
        return 0
    try:
        options = options_from(args)
        first, within = targets(args)
        credentials = credential_sets(args)
    except BadInput as exc:
        log.error("%s", exc)
        if args.progress_file:
            Progress(args.progress_file).update(force=True, state="failed", error=str(exc))
        return 2
    configs, _ = mc.load_all(args.machines) if Path(args.machines).is_dir() else ([], [])
    progress = Progress(args.progress_file)
    started = time.time()
    log.info("discovering: %d address(es) to probe first, %d credential set(s)", len(first), len(credentials))
    run = asyncio.run(discover_network(first, options, credentials, within, progress))
    progress.close()
    devices = list(run.devices.values())
    added, known = plan(devices, configs, args.port, started)
    summary = {"probed": len(run.probed), "answered": run.answered, "added": [n for n, _ in added],
               "known": sorted(set(known)), "skipped": unique_skips(run.skipped)}
    if args.dry_run:
        summary["dry_run"] = True
    else:
        try:
            if args.candidates:
                write_candidates(args.candidates, added, devices)
            else:
                write_machines(args.machines, added)
            write_topology(args.topology, args.machines, args.samples, devices, time.time())
        except OSError as exc:
            log.error("cannot write: %s", exc)
            progress.update(force=True, state="failed", error=f"cannot write: {exc.strerror or exc}")
            return 1
    log.info("discovery done in %.1f s: %d probed, %d answered, %d device(s), %d added, %d known",
             time.time() - started, summary["probed"], summary["answered"], len(devices), len(added), len(known))
    progress.update(force=True, state="done", summary=summary)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
