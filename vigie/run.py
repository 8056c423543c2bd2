"""`make run`: the whole of Vigie on one machine, without systemd, for a first look.

Starts simulated SNMP devices (one snmpsim each on loopback, counters that
move; one can be stopped and started with --stop-device / --start-device),
writes their machine files, starts the API serving the site, the SNMP collector
(each machine on its own interval, as under systemd) and the watcher with a token
of its own, then runs the alert generator (about the simulated machines) and the
site builder on short intervals. Every line a component prints is prefixed with
its name. The admin password is shown only on a terminal.

Each child runs in its own process group, so Ctrl-C in the terminal reaches
this supervisor only; it then stops every group it started (SIGTERM, then
SIGKILL after a grace period). Children also get SIGTERM from the kernel if the
supervisor itself dies.
"""

import argparse
import ctypes
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from vigie import config, paths
from vigie.atomic import atomic_write_json, atomic_write_text
from vigie.config import Flag
from vigie.logs import add_logging_options, setup_logging
from vigie.roles import WATCHER_USER

PYTHON = sys.executable
SIM_DEVICES = ("sim-core-router", "sim-edge-switch", "sim-office-gw")
STOP_GRACE_SECONDS = 10.0
MIN_POLL_SECONDS = 5  # the shortest interval a machine file accepts
_PR_SET_PDEATHSIG = 1
# snmpsim reports its optional database back-ends as failed at every start.
NOISE = re.compile(r'Variation module "(redis|sql)" .* load FAILED')

log = logging.getLogger("vigie.run")


FOLDERS = ("machines", "alertfiles", "www", "data")
FLAGS = (Flag("--host", "api.host"), Flag("--port", "api.port"),
         *(Flag(f"--{role}", f"paths.{role}", metavar="DIR") for role in FOLDERS),
         Flag("--devices", "run.devices", metavar="N"), Flag("--sim-port", "run.sim_port", metavar="PORT"),
         Flag("--poll-every", "run.poll_every", metavar="SECONDS"),
         Flag("--build-every", "run.build_every", metavar="SECONDS"),
         Flag("--generate-every", "run.generate_every", metavar="SECONDS"),
         Flag("--history", "run.history", metavar="N"), Flag("--generate-count", "run.generate_count", metavar="N"),
         Flag("--syslog-port", "run.syslog_port", metavar="PORT"),
         Flag("--no-syslog", "run.syslog", dest="syslog", const=False),
         Flag("--mail-server", "run.mail_server", metavar="PORT"))
RUN_CONFIG = "run.toml"   # in the data folder: the configuration handed to every command started


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vigie.run",
        description="Run the whole of Vigie on simulated SNMP devices (no systemd needed). "
                    "Ctrl-C stops everything it started.",
        epilog=f"The commands started read one configuration written in the data folder ({RUN_CONFIG}): the "
               "configuration this command reads, with its folders, ports and intervals.")
    parser.add_argument("--workdir", type=Path, metavar="DIR",
                        help="keep everything (machines/, alertfiles/, www/, data/) under DIR "
                             "instead of the configuration's folders")
    config.add_options(parser, FLAGS)
    parser.add_argument("--stop-device", metavar="NAME",
                        help="stop one simulated device of a running `make run` (same --workdir/--data), then exit")
    parser.add_argument("--start-device", metavar="NAME",
                        help="start a simulated device stopped with --stop-device again, then exit")
    add_logging_options(parser)
    return parser


def workdir_folders(workdir) -> dict:
    """--workdir: each folder under it, unless a flag names that one."""
    if workdir is None:
        return {}
    return {f"paths.{role}": (str(Path(workdir) / role), "flag --workdir") for role in FOLDERS}


def resolve_folders(cfg) -> dict:
    """Folder per role, absolute, from the configuration; the simulator's under the data folder."""
    folders = {role: Path(cfg["paths"][role]) for role in
               ("machines", "alertfiles", "www", "data", "samples", "logs", "db", "heartbeat")}
    folders["sim"] = folders["data"] / "snmpsim"
    return {role: path.resolve() for role, path in folders.items()}


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def udp_port_is_bound(port: int) -> bool:
    """Whether some socket listens on 127.0.0.1:port (read from /proc/net/udp)."""
    wanted = f"0100007F:{port:04X}"
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return True  # cannot tell: assume it is up, the first poll will say otherwise
    return any(line.split()[1] == wanted for line in lines if len(line.split()) > 1)


def _load_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up here, not in the child: between fork and exec the child should not
# dlopen (another thread of this process may have held the loader's lock).
_PRCTL = _load_prctl()


def _die_with_parent():
    """In the child, before exec: SIGTERM when the supervisor dies."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Output:
    """Prefixes each line of a child with its name; one lock so lines never mix."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        if NOISE.search(text):
            return
        with self.lock:
            self.stream.write(f"{name:>9} | {text}\n")
            self.stream.flush()

    def pump(self, name: str, pipe) -> threading.Thread:
        def run():
            for raw in iter(pipe.readline, b""):
                self.line(name, raw.decode("utf-8", "replace").rstrip("\r\n"))
            pipe.close()
        thread = threading.Thread(target=run, name=f"out-{name}", daemon=True)
        thread.start()
        return thread


class Supervisor:
    """Starts children in their own process groups and stops every one of them."""

    def __init__(self, output: Output, env: dict, cwd: Path):
        self.output = output
        self.env = env
        self.cwd = cwd
        self.children = []  # (name, Popen), in start order
        self.daemons = set()  # pids of the long-running children

    def start(self, name: str, cmd: list, daemon: bool = False) -> subprocess.Popen:
        log.debug("starting %s: %s", name, " ".join(map(str, cmd)))
        proc = subprocess.Popen(
            [str(c) for c in cmd], cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, process_group=0,
            preexec_fn=_die_with_parent,
        )
        self.output.pump(name, proc.stdout)
        self.children.append((name, proc))
        if daemon:
            self.daemons.add(proc.pid)
        return proc

    def reap(self) -> None:
        """Forget periodic jobs that ended; daemons stay listed until stop_all."""
        self.children = [(n, p) for n, p in self.children if p.pid in self.daemons or p.poll() is None]

    def stop_all(self) -> None:
        for name, proc in reversed(self.children):
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.output.line("run", f"{name} did not stop in {STOP_GRACE_SECONDS:g} s: killing it")
        for name, proc in self.children:
            # SIGKILL the whole group: also reaches grandchildren (gunicorn workers, ...).
            self._signal(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:  # stuck in the kernel (disk I/O): do not hang with it
                self.output.line("run", f"{name} (pid {proc.pid}) still has not exited after SIGKILL")
        self.children = []

    def stop(self, proc) -> None:
        """Stop one child (its whole group) and forget it."""
        self._signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._signal(proc, signal.SIGKILL)
            proc.wait(timeout=STOP_GRACE_SECONDS)
        self.daemons.discard(proc.pid)
        self.children = [(n, p) for n, p in self.children if p is not proc]

    @staticmethod
    def _signal(proc, signum) -> None:
        try:
            os.killpg(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def write_simulated_devices(folders: dict, ports: list, interval: float) -> list:
    """snmpsim data files (one folder per device, each served by its own snmpsim) and the
    matching machine files; returns the device names."""
    from vigie import simulated_devices

    names = list(SIM_DEVICES[:len(ports)])
    counts = {name: 4 - index % 2 for index, name in enumerate(names)}
    lldp = simulated_devices.demo_network(names, counts)    # cabled to each other: the map has a network
    for index, (name, port) in enumerate(zip(names, ports)):
        data_dir = folders["sim"] / name / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        text = simulated_devices.lively_device(name, interface_count=counts[name], seed=index,
                                               counter_bits=64 if index != 1 else 32, extra=lldp[name])
        atomic_write_text(data_dir / f"{name}.snmprec", text)
        machine = {
            "host": "127.0.0.1", "port": port,
            "description": f"simulated device (snmpsim on udp 127.0.0.1:{port})",
            "snmp": {"version": "2c", "community": name},
            "interfaces": "all", "interval": max(MIN_POLL_SECONDS, int(interval)),
            "tags": {"application": "network", "environment": "demo", "provider": "Vigie simulator"},
        }
        if name == names[-1] and this_host_name():
            machine["aliases"] = [this_host_name()]   # what `logger` on this host says it is
        atomic_write_json(folders["machines"] / f"{name}.json", machine, mode=0o600, indent=2)
    return names


def this_host_name():
    """This host's name as `logger` sends it, when a machine file may give it as an alias (else
    None): the last simulated device answers to it, so the banner's `logger` example, sent from
    127.0.0.1 which every simulated device shares, lands on that device's page."""
    name = socket.gethostname()
    return name if re.fullmatch(r"[A-Za-z0-9.:_-]{1,253}", name) and name not in SIM_DEVICES else None


def stop_flag(folders: dict, name: str) -> Path:
    """The file whose presence asks a running `make run` to keep device `name` stopped."""
    return folders["sim"] / "control" / f"{name}.stopped"


def sim_ports(first, count: int) -> list:
    """The UDP ports of `count` devices: first, first+1, ... or free ones."""
    if not first:
        ports = []
        while len(ports) < count:
            port = free_udp_port()
            if port not in ports:
                ports.append(port)
        return ports
    return [first + i for i in range(count)]


class SimulatedDevices:
    """One snmpsim per simulated device, so one can be stopped and started on its own.

    A device is stopped while its stop flag exists (`--stop-device` writes it,
    `--start-device` removes it); started again, it begins from zero like a rebooted
    device. A device that ends without being asked to is an error, as any daemon's end."""

    def __init__(self, supervisor, folders: dict, names: list, ports: list):
        self.supervisor, self.folders = supervisor, folders
        self.ports = dict(zip(names, ports))
        self.procs = {}
        (folders["sim"] / "control").mkdir(parents=True, exist_ok=True)
        for name in names:
            stop_flag(folders, name).unlink(missing_ok=True)

    def command(self, name: str) -> list:
        from vigie.simulated_devices import variation_folder

        base = self.folders["sim"] / name
        return [Path(PYTHON).parent / "snmpsim-command-responder", f"--data-dir={base / 'data'}",
                f"--cache-dir={base / 'cache'}", f"--agent-udpv4-endpoint=127.0.0.1:{self.ports[name]}",
                f"--variation-modules-dir={variation_folder(base / 'variation')}", "--log-level=error"]

    def start(self, name: str, stopping) -> None:
        proc = self.supervisor.start("snmpsim", self.command(name), daemon=True)
        deadline = time.monotonic() + 30
        while not udp_port_is_bound(self.ports[name]):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the simulated device {name} did not start on udp port {self.ports[name]} "
                                   "(taken? see --sim-port)")
            if stopping.wait(0.1):
                raise Stop()
        self.procs[name] = proc

    def start_all(self, stopping) -> None:
        for name in self.ports:
            self.start(name, stopping)

    def tick(self, stopping) -> None:
        """Follow the stop flags; raise RuntimeError when a device ended by itself."""
        for name, port in self.ports.items():
            wanted = not stop_flag(self.folders, name).exists()
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the simulated device {name} stopped unexpectedly (status {proc.returncode})")
            if proc is not None and not wanted:
                self.supervisor.stop(proc)
                del self.procs[name]
                self.supervisor.output.line("run", f"simulated device {name} stopped (udp 127.0.0.1:{port})")
            elif proc is None and wanted:
                self.start(name, stopping)
                self.supervisor.output.line("run", f"simulated device {name} started again (udp 127.0.0.1:{port})")


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def run_quiet(cmd: list, output: Output, name: str, cwd: Path, env: dict) -> int:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=120)
    for text in (result.stdout + result.stderr).splitlines():
        output.line(name, text)
    return result.returncode


def ensure_watcher_token(folders: dict, output: Output, cwd: Path, env: dict, run_config: Path, token: Path) -> Path:
    """A bearer token for an operator account used by the watcher, made once."""
    if token.exists() and token.stat().st_size > 0:
        return token
    api = [PYTHON, "api.py"]
    password_file = folders["data"] / ".watcher.password"
    atomic_write_text(password_file, secrets.token_urlsafe(24) + "\n", mode=0o600)
    try:
        # Fails harmlessly when the account exists already (an earlier run).
        subprocess.run([*api, "adduser", WATCHER_USER, "--role", "operator", "--password-file",
                        str(password_file), "--config", str(run_config)], cwd=cwd, env=env,
                       capture_output=True, timeout=60)
    finally:
        password_file.unlink(missing_ok=True)
    code = run_quiet([*api, "mktoken", WATCHER_USER, "--label", "make run watcher", "--out", token,
                      "--config", run_config], output, "api", cwd, env)
    if code != 0:
        raise RuntimeError("could not make the watcher's token (see the api lines above)")
    return token


def write_run_config(cfg, url: str, syslog_port_) -> Path:
    """The configuration every command started reads: this command's, with the address the API
    listens on, the collector's quick rescans, the syslog port found free, the generator's
    settings of this run, the loopback open to the Devices page's discovery, and a hold of
    dependencies fit for the simulated devices' poll interval (unless one was set). The
    generator's application alerts are about its own fleet (web-01, db-01, ...), never the
    simulated routers and switches, whose alerts come from polling them."""
    data = Path(cfg["paths"]["data"]).resolve()
    run = cfg["run"]
    hold = cfg["dependencies"]["hold_seconds"] if cfg.origin("dependencies.hold_seconds") != "default" \
        else run["poll_every"] + 10
    chosen = {
        "dependencies.hold_seconds": float(hold),
        "api.url": url, "notify.site_url": url, "poll.rescan_seconds": 5.0,
        "syslog.listen": [f"udp://127.0.0.1:{syslog_port_}", f"tcp://127.0.0.1:{syslog_port_}"] if syslog_port_
        else cfg["syslog"]["listen"],
        "generate.count": run["generate_count"], "generate.span": f"{max(1, int(run['generate_every'] or 60))}s",
        "generate.servers": cfg["generate"]["servers"],
        # the simulated devices answer on loopback: the Devices page's discovery may sweep it
        "api.discovery_networks": cfg["api"]["discovery_networks"] or ["127.0.0.0/8"],
        **{f"paths.{key}": str(Path(value).resolve()) for key, value in cfg["paths"].items() if value},
    }
    values = {section: dict(body) for section, body in cfg.values.items()}
    for dotted, value in chosen.items():
        section, _, key = dotted.partition(".")
        values[section][key] = value
    path = data / RUN_CONFIG
    atomic_write_text(path, config.dump(config.Config(values, {}, None)), mode=0o600)
    return path


class Periodic:
    """A command run every `period` seconds, never two at once."""

    def __init__(self, name: str, cmd: list, period: float, first_delay: float = 0.0, first_cmd=None):
        self.name, self.cmd, self.period = name, cmd, period
        self.first_cmd = first_cmd or cmd
        self.next_at = time.monotonic() + first_delay
        self.proc = None
        self.runs = 0

    def tick(self, supervisor: Supervisor, now: float) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                return
            if self.proc.returncode != 0:
                supervisor.output.line("run", f"{self.name} exited with status {self.proc.returncode}")
            self.proc = None
        if now >= self.next_at:
            self.proc = supervisor.start(self.name, self.first_cmd if self.runs == 0 else self.cmd)
            self.runs += 1
            self.next_at = now + self.period


def admin_password(data_dir: Path) -> str:
    try:
        return (data_dir / "admin.password").read_text().strip()
    except OSError:
        return "(not found: see data/admin.password)"


class Stop(Exception):
    pass


class StopFlag:
    """Set from a signal handler, polled by the main loop.

    threading.Event cannot be used here: Event.set() takes the lock that
    Event.wait() holds in the same main thread, so a signal landing at that
    moment (make forwards SIGTERM right after the terminal's) deadlocks the
    supervisor. Setting a plain attribute takes no lock.
    """

    TICK = 0.05

    def __init__(self):
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._set:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, self.TICK))
        return self._set


OPTIONAL_PACKAGES = "requirements-apt-run.txt"   # Debian tools Vigie uses when they are installed


def report_optional_tools(output: Output, cwd: Path) -> None:
    """Say which optional Debian packages are missing and what for; never install, never stop."""
    script, listed = cwd / "scripts" / "ensure-apt.sh", cwd / OPTIONAL_PACKAGES
    if script.is_file() and listed.is_file():
        run_quiet(["bash", script, "--check", listed], output, "run", cwd, os.environ.copy())


def run(args, output: Output) -> int:
    folders = resolve_folders(args.cfg)
    if not port_is_free(args.host, args.port):
        log.error("port %s on %s is taken (another Vigie, or another program): stop it or pick "
                  "another with --port", args.port, args.host)
        return 1
    for role in ("machines", "alertfiles", "www", "data", "samples", "logs"):
        folders[role].mkdir(parents=True, exist_ok=True)
    report_optional_tools(output, paths.REPO_ROOT)
    url = f"http://{args.host}:{args.port}"
    try:
        port = syslog_port(args.syslog_port) if args.syslog else None
    except RuntimeError as exc:
        output.line("run", f"error: {exc}")
        return 1
    run_config = write_run_config(args.cfg, url, port)
    env = {key: value for key, value in os.environ.items() if key not in config.env_names()}
    env.update({"PYTHONUNBUFFERED": "1", "VIGIE_PYTHON": PYTHON, "SNMPSIM_ALLOW_ROOT": "true"})
    env.pop("JOURNAL_STREAM", None)
    env.pop("VIGIE_TOKEN", None)
    supervisor = Supervisor(output, env, paths.REPO_ROOT)
    stopping = StopFlag()

    def on_signal(signum, frame):
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        devices = start_devices(args, folders, supervisor, output, stopping)
        daemons = start_daemons(args, folders, supervisor, output, url, env, stopping, run_config, port)
        jobs = periodic_jobs(args, folders, run_config)
        banner(output, url, folders, args, list(devices.ports) if devices else [])
        while not stopping.is_set():
            for name, proc in daemons:
                if proc.poll() is not None:
                    output.line("run", f"{name} stopped unexpectedly (status {proc.returncode}): stopping everything")
                    return 1
            if devices is not None:
                devices.tick(stopping)
            now = time.monotonic()
            for job in jobs:
                job.tick(supervisor, now)
            supervisor.reap()
            stopping.wait(0.2)
        output.line("run", "stopping")
        return 0
    except Stop:
        return 0
    except RuntimeError as exc:
        output.line("run", f"error: {exc}")
        return 1
    finally:
        supervisor.stop_all()
        output.line("run", "everything stopped")


def start_devices(args, folders, supervisor, output, stopping):
    """The simulated devices, each on its own port; None when there are none."""
    if not args.devices:
        return None
    ports = sim_ports(args.sim_port, args.devices)
    taken = [port for port in ports if not udp_port_is_free(port)]
    if taken:
        raise RuntimeError(f"udp port {', '.join(map(str, taken))} on 127.0.0.1 is taken: "
                           "pick other ports for the simulated devices with --sim-port")
    names = write_simulated_devices(folders, ports, args.poll_every)
    devices = SimulatedDevices(supervisor, folders, names, ports)
    devices.start_all(stopping)
    output.line("run", "simulated devices: " + ", ".join(f"{n} (udp 127.0.0.1:{p})" for n, p in zip(names, ports)))
    return devices


def start_daemons(args, folders, supervisor, output, url, env, stopping, run_config, port) -> list:
    """The API, the collector, the watcher, the notifier and the syslog intake, each given
    only the written configuration (and what is its own: where to say its port)."""
    given = ["--config", run_config]
    daemons = []
    api = supervisor.start("api", daemon=True, cmd=[PYTHON, "api.py", "serve", *given])
    if not wait_for_http(f"{url}/api/health", 60, api):
        raise RuntimeError(f"the API did not answer on {url}/api/health")
    daemons.append(("api", api))
    if stopping.is_set():
        raise Stop()
    ensure_watcher_token(folders, output, paths.REPO_ROOT, env, run_config,
                         Path(args.cfg["watch"]["token_file"]).resolve())
    # the collector as under systemd: each machine on its own interval (a device added
    # through the site keeps the interval it was given), the folder read every 5 s
    daemons.append(("poll", supervisor.start("poll", daemon=True, cmd=[PYTHON, "-m", "collector.poll", *given])))
    daemons.append(("watch", supervisor.start("watch", daemon=True, cmd=[PYTHON, "-m", "collector.watch", *given])))
    daemons.append(("notify", supervisor.start("notify", daemon=True, cmd=[PYTHON, "-m", "vigie.notify", *given])))
    if args.syslog:
        daemons.append(("syslog", start_syslog(args, folders, supervisor, output, stopping, given, port)))
    if args.mail_server:
        smtp = supervisor.start("smtp", daemon=True, cmd=[
            PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{args.mail_server}",
            "-c", "aiosmtpd.handlers.Debugging", "stdout"])
        daemons.append(("smtp", smtp))
        output.line("run", f"test mail server on 127.0.0.1:{args.mail_server}: add a channel "
                           f"mailto://127.0.0.1:{args.mail_server}?from=vigie@localhost&to=you@example.org")
    return daemons


def both_free(port: int) -> bool:
    """Whether UDP and TCP `port` are both free on 127.0.0.1."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def syslog_port(wanted: int) -> int:
    """`wanted` when its UDP and TCP ports are free on 127.0.0.1, else a port free for both."""
    if wanted and both_free(wanted):
        return wanted
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if both_free(port):
            return port
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1 for the syslog intake")


def start_syslog(args, folders, supervisor, output, stopping, given, port) -> subprocess.Popen:
    """The syslog intake on 127.0.0.1, UDP and TCP (its addresses are in the written
    configuration); says where to send messages."""
    ports_file = folders["data"] / "syslog.ports"
    ports_file.unlink(missing_ok=True)
    proc = supervisor.start("syslog", daemon=True, cmd=[PYTHON, "-m", "collector.syslog", *given,
                                                        "--ports-file", ports_file])
    deadline = time.monotonic() + 30
    while not ports_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the syslog intake did not start")
        if stopping.wait(0.1):
            raise Stop()
    moved = f" (port {args.syslog_port} is taken)" if args.syslog_port and port != args.syslog_port else ""
    example = f"logger --server 127.0.0.1 --port {port} --tcp 'hello from make run'"
    speaker = SIM_DEVICES[:args.devices][-1] if args.devices and this_host_name() else None
    output.line("run", f"syslog intake on udp and tcp 127.0.0.1:{port}{moved}")
    if speaker:
        output.line("run", f"  to {speaker}'s page (it answers to this host's name, {this_host_name()}): {example}")
    else:
        output.line("run", f"  an unknown sender, listed on the Devices page: {example}")
    return proc


def periodic_jobs(args, folders, run_config) -> list:
    given = ["--config", run_config]
    jobs = []
    if args.generate_every > 0:
        # count, span, the simulated machines as servers and the drop folder: from the configuration
        cmd = ["bash", paths.REPO_ROOT / "collector" / "generate_and_split.sh", *given]
        history_csv = folders["data"] / "alerts.csv"
        first_cmd = None
        if args.history > 0 and not history_csv.exists():
            # A first run in this data folder starts with a week of past alerts,
            # kept as a CSV to explore with collector/explore.sh.
            first_cmd = cmd + ["--count", args.history, "--span", "7d", "--csv", history_csv]
        jobs.append(Periodic("generate", cmd, args.generate_every, first_cmd=first_cmd))
    jobs.append(Periodic("build", [PYTHON, "-m", "site_builder", *given], args.build_every, first_delay=2.0))
    return jobs


def banner(output: Output, url: str, folders: dict, args, device_names: list) -> None:
    """How to use what started. The admin password only goes to a terminal: when the
    output is a log file or a pipe, the banner says where to read it instead."""
    password_file = folders["data"] / "admin.password"
    if output.stream.isatty():
        login = f"  log in as 'admin', password: {admin_password(folders['data'])}  (saved in {password_file})"
    else:
        login = f"  log in as 'admin' with the password in {password_file}"
    lines = ["", f"Vigie is running: open {url}/", login]
    if device_names:
        again = " ".join(f"--{option} {value}" for option, value in (
            ("config", args.config), ("workdir", args.workdir),
            ("data", args.data if "data" in getattr(args, "_given", ()) else None)) if value)
        command = f"{shown_python()} -m vigie.run {again + ' ' if again else ''}"
        lines += [f"  stop one simulated device:  {command}--stop-device {device_names[-1]}",
                  f"  start it again:             {command}--start-device {device_names[-1]}"]
    lines += ["  Ctrl-C stops everything.", ""]
    for text in lines:
        output.line("run", text)


def shown_python() -> str:
    """This Python as a person types it from the checkout (.venv/bin/python), else its full path."""
    relative = os.path.relpath(PYTHON, Path.cwd())
    return PYTHON if relative.startswith("..") else relative


def control_device(args) -> int:
    """--stop-device / --start-device: ask a running `make run` to stop or start one device."""
    folders = resolve_folders(args.cfg)
    name = args.stop_device or args.start_device
    if name not in SIM_DEVICES:
        log.error("no simulated device named %r (the devices are %s)", name, ", ".join(SIM_DEVICES))
        return 2
    flag = stop_flag(folders, name)
    if not flag.parent.is_dir():
        log.error("no simulated devices in %s: is `make run` running with the same --workdir/--data?",
                  folders["sim"])
        return 1
    if args.stop_device:
        atomic_write_text(flag, "stopped by --stop-device\n")
        print(f"{name}: stopping (within a second); --start-device {name} starts it again")
    else:
        flag.unlink(missing_ok=True)
        print(f"{name}: starting (within a few seconds)")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("vigie.run", verbose=args.verbose, quiet=args.quiet)
    status = config.start(args, None, log.error, extra=workdir_folders(args.workdir))
    if status is not None:
        return status
    if args.stop_device and args.start_device:
        log.error("--stop-device and --start-device go one at a time")
        return 2
    if args.stop_device or args.start_device:
        return control_device(args)
    if args.port == 0:
        log.error("--port 0 is not supported: give a port, e.g. --port 8081")
        return 2
    if args.mail_server and not port_is_free("127.0.0.1", args.mail_server):
        log.error("port %s for --mail-server is taken: pick another", args.mail_server)
        return 2
    return run(args, Output())


if __name__ == "__main__":
    sys.exit(main())
