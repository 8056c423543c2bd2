"""Real syslog parts for the tests: Vigie's intake, and Debian's rsyslogd and logger as senders.

    intake = SyslogIntake(tmp_path, machines={"rt1": {...}}).start()
    send_logger(intake.tcp_port, "hello", tcp=True)       # util-linux logger
    rsyslog = Rsyslog(tmp_path, forward_to=intake.tcp_port, hostname="rt1").start()
    rsyslog.log("through rsyslog")                          # logger -> rsyslog -> intake
    intake.wait_for("rt1", lambda entries: ...)
    intake.stop()

Everything listens on 127.0.0.1, on ports the kernel picks.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.support import watcher
from tests.support.snmp_agents import stop_process

RSYSLOGD = "/usr/sbin/rsyslogd"


def wait_until(predicate, timeout=15.0, what="condition"):
    """The predicate's first true value; AssertionError after `timeout` seconds."""
    return watcher.wait_until(predicate, timeout, interval=0.05, what=what)


def read_jsonl(path) -> list:
    """The entries of a JSON Lines file, skipping a line caught half-written."""
    try:    # the intake may be rotating it: absent between the rename and the next write
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for line in data.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:  # the line being written right now
            pass
    return entries


class SyslogIntake:
    """`python -m collector.syslog` on 127.0.0.1 (UDP and TCP, ports picked by the kernel)."""

    def __init__(self, root, machines=None, args=()):
        self.root = Path(root) / "syslog"
        self.machines_dir = self.root / "machines"
        self.logs_dir = self.root / "logs"
        self.alertfiles_dir = self.root / "alertfiles"
        for folder in (self.machines_dir, self.logs_dir, self.alertfiles_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for name, config in (machines or {}).items():
            self.add_machine(name, config)
        self.args = list(args)
        self.proc = None
        self.udp_port = self.tcp_port = None

    def add_machine(self, name, config) -> None:
        config = dict({"snmp": {"version": "2c", "community": "public"}}, **config)
        (self.machines_dir / f"{name}.json").write_text(json.dumps(config))

    def start(self, timeout=15.0) -> "SyslogIntake":
        ports = self.root / "ports"
        ports.unlink(missing_ok=True)
        self.stderr = open(self.root / "intake.log", "wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("JOURNAL_STREAM", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "collector.syslog", "--listen", "udp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
             "--machines", str(self.machines_dir), "--logs", str(self.logs_dir), "--alertfiles",
             str(self.alertfiles_dir), "--ports-file", str(ports), *self.args],
            stdout=self.stderr, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            wait_until(lambda: ports.exists() or self.proc.poll() is not None, timeout)
        finally:
            if not ports.exists():
                self.stop()
                raise RuntimeError(f"syslog intake did not start:\n{self.log_text()}")
        for url in ports.read_text().split():
            scheme, port = url.split("://")[0], int(url.rsplit(":", 1)[1])
            setattr(self, f"{scheme}_port", port)
        return self

    def stop(self, timeout=15.0) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode

    def log_text(self) -> str:
        path = self.root / "intake.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def entries(self, name) -> list:
        return read_jsonl(self.logs_dir / f"{name}.jsonl")

    def wait_for(self, name, predicate, timeout=15.0) -> list:
        try:
            return wait_until(lambda: predicate(self.entries(name)) and self.entries(name), timeout)
        except AssertionError:
            raise AssertionError(f"{name}: condition not met; log holds {self.entries(name)}\n{self.log_text()}")

    def send_udp(self, *messages: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for message in messages:
                sock.sendto(message, ("127.0.0.1", self.udp_port))

    def send_tcp(self, data: bytes) -> None:
        with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=10) as sock:
            sock.sendall(data)


def send_logger(port: int, message: str, tcp=False, rfc="rfc5424", tag="vigie-test", priority="user.notice",
                octet_count=False) -> None:
    """util-linux `logger` sending one message to 127.0.0.1:port."""
    cmd = ["logger", "--server", "127.0.0.1", "--port", str(port), "--tcp" if tcp else "--udp", f"--{rfc}",
           "-t", tag, "-p", priority]
    if octet_count:
        cmd.append("--octet-count")
    subprocess.run(cmd + [message], check=True, timeout=10)


class Rsyslog:
    """Debian's rsyslogd in the foreground, taking messages on its own unix socket (what `logger -u`
    writes to) and forwarding them to `forward_to` over TCP, octet-counted, in RFC 5424; or, with
    `to_file`, listening on UDP and TCP and writing what it gets to a file (the bench's peer)."""

    def __init__(self, root, forward_to=None, hostname="vigie-rsyslog", to_file=None):
        self.root = Path(root) / "rsyslog"
        (self.root / "work").mkdir(parents=True, exist_ok=True)
        self.socket_path = self.root / "log.sock"
        self.conf = self.root / "rsyslog.conf"
        self.udp_port = self.tcp_port = None
        lines = [f'global(workDirectory="{self.root / "work"}" localHostname="{hostname}" maxMessageSize="64k")',
                 'module(load="imuxsock" SysSock.Use="off")',
                 f'input(type="imuxsock" Socket="{self.socket_path}" CreatePath="on" UseSpecialParser="off")']
        if forward_to:
            lines.append(f'action(type="omfwd" target="127.0.0.1" port="{forward_to}" protocol="tcp" '
                         'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")')
        if to_file:
            self.udp_port, self.tcp_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
            lines += ['module(load="imudp")', 'module(load="imtcp")',
                      f'input(type="imudp" address="127.0.0.1" port="{self.udp_port}")',
                      f'input(type="imtcp" address="127.0.0.1" port="{self.tcp_port}")',
                      f'action(type="omfile" file="{to_file}" template="RSYSLOG_FileFormat")']
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = None

    def start(self, timeout=15.0) -> "Rsyslog":
        self.log = open(self.root / "rsyslogd.log", "wb")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", str(self.conf), "-i", str(self.root / "rsyslogd.pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ready = lambda: self.socket_path.exists() and (self.tcp_port is None or port_open(self.tcp_port))  # noqa: E731
        try:
            wait_until(lambda: ready() or self.proc.poll() is not None, timeout)
        finally:
            if not ready():
                self.stop()
                raise RuntimeError(f"rsyslogd did not start: {(self.root / 'rsyslogd.log').read_text()}")
        return self

    def log_message(self, message: str, tag="vigie-test", priority="user.notice") -> None:
        subprocess.run(["logger", "-u", str(self.socket_path), "-t", tag, "-p", priority, message],
                       check=True, timeout=10)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def free_port(kind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
