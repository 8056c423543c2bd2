"""The syslog intake: devices' log messages into per-machine device logs, the grave ones as alerts.

    python -m collector.syslog --listen udp://0.0.0.0:514 --listen tcp://0.0.0.0:514

Listens on UDP (one message per datagram) and TCP (octet-counted or
newline-framed, see framing.py), on --listen addresses or on the sockets
systemd hands over (vigie-syslog.socket binds port 514 for it), parses each message (message.py), finds the
machine that sent it (vigie/senders.py) and appends it to that machine's
device log, `LOGS/<name>.jsonl` (vigie/device_log.py). A message at or above
`--alert-severity` from a known machine also becomes an alert file in
`alertfiles/` with a fingerprint, so its repeats count as duplicates; the
same message again within `--alert-holddown` seconds writes no new file, and
at most `--max-alerts-per-minute` files are written. Unknown senders go to
the `@unknown` log, at most `--unknown-per-minute` messages per sender.

Messages are buffered and written every 0.2 s, one append per machine, so a
flood costs one write per machine per flush; the logs rotate within their
bounds whatever arrives. Malformed frames, oversize messages (cut at
`--max-message` bytes and marked `truncated`) and invalid UTF-8 (kept as
U+FFFD) never stop it. The machines folder is read again every `--rescan`
seconds and on SIGHUP; SIGTERM flushes and stops.
"""

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import time
from collections import Counter, OrderedDict, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collector.device_alerts import alert_record, fingerprint, write_alert
from vigie.senders import RateLimit, SenderIndex, normalize_address
from collector.syslog.framing import Framer
from collector.syslog.message import parse
from vigie import config, device_log
from vigie.config import Flag
from vigie.atomic import atomic_write_json, atomic_write_text
from vigie.logs import add_logging_options, setup_logging
from vigie.machines import load_all
from vigie.utc import iso_millis_from_unix

log = logging.getLogger("vigie.syslog")

DEFAULT_LISTEN = ("udp://127.0.0.1:5514", "tcp://127.0.0.1:5514")
FLUSH_SECONDS = 0.2
MAX_PENDING_LINES = 20000
STATS_FILE = ".syslog-intake.json"
# the counters written from the start, at 0, so /metrics has them before the first message
COUNTERS = ("received", "written", "truncated", "dropped_empty", "dropped_unknown_rate", "dropped_write_error",
            "dropped_connections", "dropped_by_the_kernel", "alerts_written")
SEEN_FINGERPRINTS = 10000
UDP_RECEIVE_BUFFER = 8 * 1024 * 1024


class ListenError(ValueError):
    pass


def parse_listen(text: str):
    """("udp" or "tcp", host, port) from `udp://HOST:PORT` (IPv6 as `udp://[::1]:514`)."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("udp", "tcp"):
        raise ListenError(f"--listen {text!r}: expected udp://HOST:PORT or tcp://HOST:PORT")
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ListenError(f"--listen {text!r}: expected HOST:PORT after {scheme}:// (port 0-65535)")
    return scheme, host, int(port)


def listen_url(scheme: str, sockname) -> str:
    host, port = sockname[0], sockname[1]
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class Intake:
    """Everything between a received message and the files: parse, match, buffer, write."""

    def __init__(self, args):
        self.logs_dir = Path(args.logs)
        self.alertfiles_dir = Path(args.alertfiles)
        self.machines_dir = Path(args.machines)
        self.max_message = args.max_message
        self.alert_severity = args.alert_severity
        self.holddown = args.alert_holddown
        self.local_tz = args.tz
        self.limits = device_log.limits(args.log_max_bytes, args.log_keep, args.rotate_hours, args.log_max_age_days)
        self.index = SenderIndex([])
        self.tags = {}
        self.pending = defaultdict(list)
        self.pending_lines = 0
        self.alerts = []
        self.alerts_seen = OrderedDict()
        self.alert_budget = RateLimit(args.max_alerts_per_minute / 60, max(1, args.max_alerts_per_minute / 6))
        self.unknown = RateLimit(args.unknown_per_minute / 60, max(1, args.unknown_per_minute / 2))
        self.stats = Counter(dict.fromkeys(COUNTERS, 0))
        self.bad_files = set()
        self.failing = None
        self.udp_sockets = []
        self.kernel_drops_at_start = 0

    # -- machines
    def load_machines(self) -> None:
        configs, errors = load_all(self.machines_dir)
        bad = {str(e) for e in errors}
        for error in sorted(bad - self.bad_files):
            log.error("machine file skipped: %s", error)
        self.bad_files = bad
        index = SenderIndex(configs)
        changed = index.size != self.index.size
        self.index, self.tags = index, {c["name"]: c.get("tags") or {} for c in configs}
        if changed:
            log.info("%d machine(s) known in %s", index.size, self.machines_dir)

    # -- one message
    def receive(self, data: bytes, source: str, truncated: bool = False, now: float = None) -> None:
        now = time.time() if now is None else now
        self.stats["received"] += 1
        if truncated:
            self.stats["truncated"] += 1
        if not data.strip(b"\r\n\x00 "):
            self.stats["dropped_empty"] += 1
            return
        fields = parse(data, now, self.local_tz)
        source = normalize_address(source)
        machine = self.index.match(source, fields["host"])
        if machine is None and not self.unknown.allow(source):
            self.stats["dropped_unknown_rate"] += 1
            return
        device_time = fields["device_time"]
        record = device_log.entry(
            now, fields["severity"], fields["host"] or source, fields["app"], fields["message"],
            device_time=iso_millis_from_unix(device_time) if device_time is not None else None,
            facility=fields["facility"], pid=fields["pid"], msgid=fields["msgid"], sd=fields["sd"],
            source=source, kind="syslog", truncated=truncated)
        self.pending[machine or device_log.UNKNOWN_LOG].append(device_log.encode(record))
        self.pending_lines += 1
        if machine is not None and self.alert_severity and device_log.at_least(fields["severity"],
                                                                                self.alert_severity):
            self.consider_alert(machine, fields, now)
        if self.pending_lines >= MAX_PENDING_LINES:
            self.flush()

    def consider_alert(self, machine: str, fields: dict, now: float) -> None:
        mark = fingerprint("syslog", machine, fields["app"], fields["severity"], fields["message"])
        last = self.alerts_seen.get(mark)
        if last is not None and now - last < self.holddown:
            self.stats["alerts_held_down"] += 1
            return
        if not self.alert_budget.allow("all"):
            self.stats["alerts_over_budget"] += 1
            return
        self.alerts_seen.pop(mark, None)
        self.alerts_seen[mark] = now
        while len(self.alerts_seen) > SEEN_FINGERPRINTS:
            self.alerts_seen.popitem(last=False)
        text = f"{fields['app']}: {fields['message']}" if fields["app"] else fields["message"]
        severity = device_log.ALERT_SEVERITY[fields["severity"]]
        self.alerts.append(alert_record(machine, self.tags.get(machine, {}), now, severity, text, mark))

    # -- to disk
    def flush(self) -> None:
        pending, self.pending, self.pending_lines = self.pending, defaultdict(list), 0
        alerts, self.alerts = self.alerts, []
        problem = None
        for name, lines in pending.items():
            try:
                device_log.append(self.logs_dir, name, lines, self.limits)
                self.stats["written"] += len(lines)
            except OSError as exc:
                self.stats["dropped_write_error"] += len(lines)
                problem = f"cannot write device logs in {self.logs_dir}: {exc}"
        for record in alerts:
            try:
                write_alert(self.alertfiles_dir, "syslog", record)
                self.stats["alerts_written"] += 1
            except OSError as exc:
                self.stats["alerts_write_error"] += 1
                problem = f"cannot write alert files in {self.alertfiles_dir}: {exc}"
        self.report_problem(problem)

    def report_problem(self, problem) -> None:
        if problem != self.failing:
            if problem:
                log.error("%s", problem)
            elif self.failing:
                log.info("writing again")
            self.failing = problem

    def report_drops(self, last: Counter) -> Counter:
        """Log what was dropped or cut since the last report (nothing when nothing was)."""
        if self.udp_sockets:
            self.stats["dropped_by_the_kernel"] = udp_kernel_drops(self.udp_sockets) - self.kernel_drops_at_start
        now = Counter(self.stats)
        delta = {k: now[k] - last.get(k, 0) for k in now if k.startswith(("dropped", "truncated", "alerts_over"))}
        delta = {k: v for k, v in delta.items() if v}
        if delta:
            detail = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(delta.items()))
            refused = self.unknown.take_refused()
            senders = f"; unknown senders over their limit: {', '.join(sorted(map(str, refused))[:10])}" if refused else ""
            log.warning("in the last minute: %s%s", detail, senders)
        return now

    def write_stats(self) -> None:
        try:
            atomic_write_json(self.logs_dir / STATS_FILE, dict(self.stats, updated=time.time()))
        except OSError:
            pass


def udp_kernel_drops(sockets) -> int:
    """Datagrams the kernel dropped on these sockets (receive buffer full), from /proc/net/udp."""
    inodes = {str(os.fstat(sock.fileno()).st_ino) for sock in sockets}
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 12 and parts[9] in inodes:
                total += int(parts[12])
    return total


class UdpReceiver(asyncio.DatagramProtocol):
    def __init__(self, intake: Intake):
        self.intake = intake

    def datagram_received(self, data, addr):
        limit = self.intake.max_message
        self.intake.receive(data[:limit], addr[0], truncated=len(data) > limit)

    def error_received(self, exc):
        log.debug("udp: %s", exc)


class TcpReceiver(asyncio.Protocol):
    """One TCP connection: frames cut by Framer; at most `max_connections` at once."""

    open_count = 0

    def __init__(self, intake: Intake, max_connections: int):
        self.intake, self.max_connections = intake, max_connections
        self.framer = Framer(intake.max_message)
        self.source = ""
        self.transport = None
        self.last_data = time.monotonic()

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("",)
        self.source = peer[0]
        if TcpReceiver.open_count >= self.max_connections:
            self.intake.stats["dropped_connections"] += 1
            transport.abort()
            return
        TcpReceiver.open_count += 1
        CONNECTIONS.add(self)

    def data_received(self, data):
        self.last_data = time.monotonic()
        for frame, truncated in self.framer.feed(data):
            self.intake.receive(frame, self.source, truncated)

    def connection_lost(self, exc):
        if self in CONNECTIONS:
            CONNECTIONS.discard(self)
            TcpReceiver.open_count -= 1
            for frame, truncated in self.framer.close():
                self.intake.receive(frame, self.source, truncated)


CONNECTIONS = set()


def close_idle(idle_seconds: float) -> None:
    now = time.monotonic()
    for connection in list(CONNECTIONS):
        if now - connection.last_data > idle_seconds:
            connection.transport.close()


def widen_receive_buffer(sock, size: int) -> None:
    """Room for a burst of datagrams: past net.core.rmem_max only with CAP_NET_ADMIN."""
    for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            return
        except OSError:
            continue


def inherited_sockets() -> list:
    """Sockets handed over by systemd (vigie-syslog.socket), by its LISTEN_FDS protocol."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    count = int(os.environ.get("LISTEN_FDS", "0") or 0)
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    return [socket.socket(fileno=fd) for fd in range(3, 3 + count)]


async def open_listeners(intake: Intake, listens: list, max_connections: int, sockets=()) -> list:
    loop = asyncio.get_running_loop()
    servers, urls = [], []
    for sock in sockets:
        if sock.type == socket.SOCK_DGRAM:
            transport, _ = await loop.create_datagram_endpoint(lambda: UdpReceiver(intake), sock=sock)
            widen_receive_buffer(sock, UDP_RECEIVE_BUFFER)
            servers.append(transport)
            intake.udp_sockets.append(sock)
            urls.append(listen_url("udp", sock.getsockname()))
        else:
            server = await loop.create_server(lambda: TcpReceiver(intake, max_connections), sock=sock)
            servers.append(server)
            urls.append(listen_url("tcp", sock.getsockname()))
    for scheme, host, port in listens:
        if scheme == "udp":
            transport, _ = await loop.create_datagram_endpoint(lambda: UdpReceiver(intake), local_addr=(host, port))
            sock = transport.get_extra_info("socket")
            widen_receive_buffer(sock, UDP_RECEIVE_BUFFER)
            servers.append(transport)
            intake.udp_sockets.append(sock)
            urls.append(listen_url("udp", transport.get_extra_info("sockname")))
        else:
            server = await loop.create_server(lambda: TcpReceiver(intake, max_connections), host, port,
                                              reuse_address=True, backlog=128)
            servers.append(server)
            urls += [listen_url("tcp", s.getsockname()) for s in server.sockets]
    return servers, urls


async def every(seconds: float, action, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except asyncio.TimeoutError:
            pass
        await action()


async def serve(args, listens: list) -> int:
    intake = Intake(args)
    await asyncio.to_thread(intake.load_machines)
    stop, reload_now = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload_now.set)
    servers, urls = await open_listeners(intake, listens, args.max_connections, args.inherited)
    intake.kernel_drops_at_start = udp_kernel_drops(intake.udp_sockets)
    if args.ports_file:
        atomic_write_text(args.ports_file, "".join(u + "\n" for u in urls))
    log.info("listening on %s; device logs in %s", ", ".join(urls), intake.logs_dir)
    intake.write_stats()   # the counters, at 0, from the start
    last_report = Counter()

    async def flush():
        intake.flush()

    async def rescan():
        await asyncio.to_thread(intake.load_machines)

    async def minutely():
        nonlocal last_report
        last_report = intake.report_drops(last_report)
        close_idle(args.idle_timeout)
        intake.write_stats()
        await asyncio.to_thread(device_log.prune_all, intake.logs_dir, intake.limits)

    async def on_hup():
        while not stop.is_set():
            await reload_now.wait()
            reload_now.clear()
            log.info("SIGHUP: reading the machines folder again")
            await rescan()

    tasks = [asyncio.create_task(every(FLUSH_SECONDS, flush, stop)),
             asyncio.create_task(every(args.rescan, rescan, stop)),
             asyncio.create_task(every(60, minutely, stop)),
             asyncio.create_task(on_hup())]
    await stop.wait()
    intake.report_drops(last_report)
    for server in servers:
        server.close()
    for connection in list(CONNECTIONS):
        connection.transport.close()
    await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    intake.flush()
    intake.write_stats()
    log.info("stopped: %d message(s) received, %d written", intake.stats["received"], intake.stats["written"])
    return 0


def severity_or_none(value: str):
    if value.lower() == "none":
        return None
    try:
        return device_log.normalize_severity(value)
    except device_log.DeviceLogError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# The intake's flags, each overriding one setting (vigie/config.py) for one run; `dest` is
# the name the intake's code reads.
FLAGS = (
    Flag("--listen", "syslog.listen", append=True, metavar="URL"),
    Flag("--machines", "paths.machines"), Flag("--logs", "paths.logs"), Flag("--alertfiles", "paths.alertfiles"),
    Flag("--alert-severity", "syslog.alert_severity", metavar="SEVERITY"),
    Flag("--alert-holddown", "syslog.alert_holddown_seconds", dest="alert_holddown", metavar="SECONDS"),
    Flag("--max-alerts-per-minute", "syslog.max_alerts_per_minute", metavar="N"),
    Flag("--unknown-per-minute", "syslog.unknown_per_minute", metavar="N"),
    Flag("--max-message", "syslog.max_message_bytes", dest="max_message", metavar="BYTES"),
    Flag("--log-max-bytes", "device_logs.max_bytes", dest="log_max_bytes", metavar="BYTES"),
    Flag("--log-keep", "device_logs.keep", dest="log_keep", metavar="N"),
    Flag("--rotate-hours", "device_logs.rotate_hours", metavar="HOURS"),
    Flag("--log-max-age-days", "device_logs.max_age_days", dest="log_max_age_days", metavar="DAYS"),
    Flag("--rescan", "syslog.rescan_seconds", dest="rescan", metavar="SECONDS"),
    Flag("--max-connections", "syslog.max_connections", metavar="N"),
    Flag("--idle-timeout", "syslog.idle_timeout_seconds", dest="idle_timeout", metavar="SECONDS"),
    Flag("--timezone", "syslog.timezone", metavar="ZONE"),
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collector.syslog", description=__doc__.split("\n\n")[0],
                                epilog="Device logs: LOGS/<machine>.jsonl, unknown senders in LOGS/@unknown.jsonl. "
                                       "Without --listen (nor syslog.listen): the sockets systemd hands over, else "
                                       + " and ".join(DEFAULT_LISTEN) + ".")
    config.add_options(p, FLAGS)
    p.add_argument("--ports-file", metavar="FILE", help="write the addresses listened on here, one URL a line")
    add_logging_options(p)
    return p


def checked_options(args) -> list:
    """The listen addresses; the zone and severity made usable. ListenError or ValueError
    naming where the value was set."""
    listens = [parse_listen(u) for u in (args.listen or ([] if args.inherited else DEFAULT_LISTEN))]
    try:
        args.tz = None if args.timezone == "local" else ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{args.cfg.where('syslog.timezone')} {args.timezone!r}: unknown time zone (use 'local', "
                         "'UTC' or a name such as Europe/Paris)") from None
    try:
        args.alert_severity = severity_or_none(args.alert_severity)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{args.cfg.where('syslog.alert_severity')}: {exc}") from None
    return listens


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    setup_logging("vigie.syslog", verbose=args.verbose, quiet=args.quiet)
    try:
        config.from_args(args)
        if args.show_config:
            print(config.describe(args.cfg, ("paths", "device_logs", "syslog")))
            return 0
        args.inherited = inherited_sockets()
        listens = checked_options(args)
    except (config.ConfigError, ListenError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    if not Path(args.machines).is_dir():
        log.error("machines folder %s does not exist", args.machines)
        return 2
    for folder in (args.logs, args.alertfiles):
        os.makedirs(folder, exist_ok=True)
    try:
        return asyncio.run(serve(args, listens))
    except OSError as exc:
        log.error("cannot listen: %s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
