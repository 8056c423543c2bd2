"""`make run` / `python -m vigie.run`: the whole system starts, answers, and stops
without leaving a process behind."""

import json
import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from vigie import config

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set:
    """Every live process below `pid`, whatever its process group."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def processes_mentioning(text: str) -> list:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and alive(int(entry.name)):
                found.append((int(entry.name), cmdline))
    return found


def process_report(pids) -> str:
    """State, kernel wait channel and command line of each live pid, for a failure message."""
    lines = []
    for pid in sorted(pids):
        proc = Path(f"/proc/{pid}")
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = (proc / "wchan").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        lines.append(f"  {pid} {state} {wchan or '-'} {cmdline[:200]}")
    return "processes:\n" + "\n".join(lines)


class Run:
    """One `python -m vigie.run` (or `make run`) in its own session, as in a terminal."""

    def __init__(self, tmp_path, via_make=False, extra=(), env=None):
        self.port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = tmp_path / "vigie"
        self.log_path = tmp_path / "run.log"
        args = ["--port", str(self.port), "--workdir", str(self.workdir), "--poll-every", "5",
                "--build-every", "3", "--generate-every", "2", "--generate-count", "3", "--history", "40",
                "--syslog-port", "0", *extra]
        if via_make:
            cmd = ["make", "--no-print-directory", "-o", "venv-run", "run", f"PY={sys.executable}",
                   "RUN_ARGS=" + " ".join(args)]
        else:
            cmd = [sys.executable, "-m", "vigie.run", *args]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=env)
        self.seen = set()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, check, what, timeout=90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.seen |= descendants(self.proc.pid)
            assert self.proc.poll() is None, f"vigie.run exited early:\n{self.output()}"
            try:
                value = check()
            except (requests.RequestException, OSError, ValueError, KeyError):
                value = None
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-4000:]}")

    def admin(self):
        password = (self.workdir / "data" / "admin.password").read_text().strip()
        return ("admin", password)

    def interrupt(self, signum=signal.SIGINT, timeout=60):
        """Ctrl-C in a terminal: the signal goes to the whole foreground group."""
        self.seen |= descendants(self.proc.pid)
        os.killpg(self.proc.pid, signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s after {signal.Signals(signum).name}:\n"
                                 f"{process_report(self.seen | descendants(self.proc.pid))}\n"
                                 f"{self.output()[-4000:]}") from None
        self.log.close()
        return code

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid in self.seen:
            if alive(pid):
                try:
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if not self.log.closed:
            self.log.close()


def assert_nothing_left(run: Run, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in run.seen if alive(pid)]
        strays = processes_mentioning(str(run.workdir))
        if not left and not strays:
            break
        time.sleep(0.2)
    assert not left and not strays, f"still running: {left} {strays}"
    with socket.socket() as s:  # the API's port is free again (TIME_WAIT aside)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", run.port))


def commands_naming(text: str) -> list:
    """The command lines (as lists) of the running processes that hold `text` as a word."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            continue
        if text in argv:
            found.append(argv)
    return found


def test_run_serves_site_and_api_then_stops_everything(tmp_path):
    run = Run(tmp_path)
    try:
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        assert f"open {run.url}/" in run.output()
        user, password = run.admin()
        assert password not in run.output(), "the admin password never goes to a log file"
        assert f"the password in {run.workdir / 'data' / 'admin.password'}" in run.output()
        auth = (user, password)
        assert requests.get(f"{run.url}/api/health", timeout=5).status_code == 200
        assert requests.get(f"{run.url}/api/me", auth=auth, timeout=5).json()["role"] == "admin"

        # generated alerts travel splitter -> alert files -> watcher -> API (which keeps one
        # row per server and message: three servers repeat themselves)
        run.wait_for(lambda: len(list((run.workdir / "alertfiles" / "done").glob("*.txt"))) >= 40,
                     "a week of past alerts taken in by the API")
        assert requests.get(f"{run.url}/api/alert", auth=auth, timeout=5).json()["count"] >= 3
        history = (run.workdir / "data" / "alerts.csv").read_text().splitlines()
        assert history[0] == "timestamp,server,severity,message,provider,application,environment"
        assert len(history) == 41, "the first run keeps its week of alerts as a CSV"
        invented = {line.split(",")[1] for line in history[1:]}
        assert invented and not invented & {"sim-core-router", "sim-edge-switch", "sim-office-gw"}, \
            "the invented application alerts are about a fleet of their own, not the simulated routers"
        assert list((run.workdir / "alertfiles" / "done").glob("*.txt"))
        # the collector polls the simulated devices
        run.wait_for(lambda: any(p.name.startswith("sim-") for p in (run.workdir / "data" / "samples")
                                 .glob("*.json")), "samples of a simulated device")
        # the builder writes the site and the API serves it
        run.wait_for(lambda: (run.workdir / "www" / "index.html").is_file(), "www/index.html")
        page = run.wait_for(lambda: (lambda r: r.status_code == 200 and r)(
            requests.get(f"{run.url}/", auth=auth, timeout=5)), "the site's entry page")
        assert "<html" in page.text.lower()
        # the syslog intake takes a device's message into its device log
        port = int(re.search(r"syslog intake on udp and tcp 127\.0\.0\.1:(\d+)", run.output()).group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"<11>Jan  1 00:00:00 sim-edge-switch fan: fan 2 failed\n")
        run.wait_for(lambda: "fan 2 failed" in (run.workdir / "data" / "logs" / "sim-edge-switch.jsonl").read_text(),
                     "the message in the device log")
        # the banner's own example, run as printed, lands on the device it names, shown on its page
        said = re.search(r"to (sim-[a-z-]+)'s page .*?: (logger --server .*)$", run.output(), re.M)
        assert said, "the banner gives a logger command that reaches a simulated device"
        device, command = said.group(1), shlex.split(said.group(2))
        subprocess.run(command, check=True, timeout=30)
        run.wait_for(lambda: command[-1] in (run.workdir / "data" / "logs" / f"{device}.jsonl").read_text(),
                     "the banner's example in the device's log")
        shown = requests.get(f"{run.url}/api/machine/{device}/log", auth=auth, timeout=5).json()["results"]
        assert shown[0]["message"] == command[-1]
        # the API reads the folders the collector writes: its metrics show the simulated devices
        metrics = requests.get(f"{run.url}/metrics", auth=auth, timeout=10).text
        assert 'vigie_machine_up{machine="sim-' in metrics
        # every daemon started was given the run's configuration file, no folder of its own
        run_config = run.workdir / "data" / "run.toml"
        assert config.load(run_config, environ={})["paths"]["samples"] == str(run.workdir / "data" / "samples")
        daemons = {"api.py", "collector.poll", "collector.watch", "vigie.notify", "collector.syslog"}
        started = [argv for argv in commands_naming(str(run_config)) if daemons & set(argv)]
        assert daemons == {word for argv in started for word in argv} & daemons
        for argv in started:
            assert [word for word in argv if word.startswith("--")] in (["--config"], ["--config", "--ports-file"]), argv
        for line in run.output().splitlines():  # each line names its component
            assert re.match(r"^\s*[a-z]+ \| ", line), line
        assert {"snmpsim", "api", "watch", "notify", "syslog", "generate", "poll", "build"} <= {
            line.split("|")[0].strip() for line in run.output().splitlines()}
        assert len(run.seen) >= 5
        assert run.interrupt() == 0
        assert "everything stopped" in run.output()
        assert_nothing_left(run)
    finally:
        run.kill()


def test_make_run_says_which_optional_tools_are_missing_runs_without_them_and_stops_on_sigterm(tmp_path):
    bin_dir = tmp_path / "bin"   # a machine where no Debian package of the optional list is installed
    bin_dir.mkdir()
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "dpkg-query").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    run = Run(tmp_path, via_make=True, extra=["--devices", "1"], env=env)
    try:
        run.wait_for(lambda: requests.get(f"{run.url}/api/health", timeout=5).status_code == 200,
                     "the API under make run")
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        assert "optional Debian package snmptrapd is not installed: SNMP traps" in run.output()
        assert "as root: apt-get install snmptrapd" in run.output()
        run.interrupt(signal.SIGTERM)
        assert "everything stopped" in run.output()
        assert_nothing_left(run)
    finally:
        run.kill()


def make_dry_run(target: str, tmp_path) -> str:
    """The commands `make TARGET` runs on a fresh clone (-n: printed, not run; -B: nothing made yet)."""
    done = subprocess.run(["make", "-n", "-B", "--no-print-directory", target, f"VENV={tmp_path / 'venv'}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_installs_only_the_runtime_python_packages_never_a_debian_one(tmp_path):
    commands = make_dry_run("run", tmp_path)
    assert "-r requirements.txt" in commands and "-m vigie.run" in commands
    assert "requirements-test.txt" not in commands, "the test packages are make test's"
    installing = [line for line in commands.splitlines()
                  if "ensure-apt" in line or re.match(r"\s*(sudo|apt-get|apt|dpkg)\b", line)]
    assert installing == [], "make run installs no Debian package"
    test_commands = make_dry_run("test", tmp_path)
    assert "ensure-apt.sh requirements-apt-run.txt requirements-apt-test.txt" in test_commands
    assert "-r requirements-test.txt" in test_commands


def test_the_optional_tools_check_says_what_each_is_for_and_never_installs(tmp_path):
    listed = tmp_path / "optional.txt"
    listed.write_text("# comment\nvigie-no-such-package  # what it would be for\nbash  # installed everywhere\n")
    done = subprocess.run(["bash", "scripts/ensure-apt.sh", "--check", str(listed)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, "a missing optional package is said, never a failure (even as root)"
    assert done.stderr == ("vigie: optional Debian package vigie-no-such-package is not installed: what it would be "
                           "for; as root: apt-get install vigie-no-such-package\n")
    runtime = {line.split("#")[0].strip() for line in (REPO / "requirements-apt-run.txt").read_text().splitlines()}
    tests = {line.split("#")[0].strip() for line in (REPO / "requirements-apt-test.txt").read_text().splitlines()}
    assert "snmptrapd" in runtime and not (runtime & tests) - {""}, "each package in one list"


def test_run_stops_on_a_burst_of_signals(tmp_path):
    """make forwards SIGTERM on top of the terminal's: repeated signals must not wedge the supervisor."""
    run = Run(tmp_path, extra=["--devices", "1"])
    try:
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        run.seen |= descendants(run.proc.pid)
        for signum in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP) * 5:
            os.kill(run.proc.pid, signum)
        assert run.proc.wait(timeout=60) == 0, run.output()
        assert "everything stopped" in run.output()
        assert_nothing_left(run)
    finally:
        run.kill()


def test_children_die_with_a_killed_supervisor(tmp_path):
    run = Run(tmp_path, extra=["--devices", "1"])
    try:
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        run.seen |= descendants(run.proc.pid)
        run.proc.send_signal(signal.SIGKILL)  # the supervisor only, not its children's groups
        run.proc.wait()
        assert_nothing_left(run)
    finally:
        run.kill()


def test_taken_port_gives_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "vigie.run", "--port", str(port),
                                 "--workdir", str(tmp_path)], cwd=REPO, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "taken" in result.stderr
    assert "--port" in result.stderr
    assert not (tmp_path / "data").exists(), "nothing started, nothing written"


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "between 0 and 65535"),
    (["--poll-every", "2"], "--poll-every must be at least 5"),
    (["--generate-count", "0"], "--generate-count"),
    (["--history", "-1"], "--history must be 0 or more"),
])
def test_bad_options_are_refused(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "vigie.run", "--workdir", str(tmp_path), *args],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr


def free_udp_ports(count: int) -> int:
    """The first of `count` consecutive free UDP ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            held = []
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no consecutive free UDP ports")


def machine_states(run) -> dict:
    out = subprocess.run([sys.executable, "-m", "collector.status", "--json", "--machines",
                          str(run.workdir / "machines"), "--samples", str(run.workdir / "data" / "samples")],
                         capture_output=True, text=True, timeout=60, cwd=REPO).stdout
    return {m["name"]: m["status"] for m in json.loads(out)}


def test_one_simulated_device_stops_and_starts_on_its_own(tmp_path):
    first = free_udp_ports(2)
    run = Run(tmp_path, extra=["--devices", "2", "--sim-port", str(first), "--generate-every", "0"])
    try:
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        assert f"sim-edge-switch (udp 127.0.0.1:{first + 1})" in run.output()
        stop = f"-m vigie.run --workdir {run.workdir} --stop-device sim-edge-switch"
        assert stop in run.output(), "the banner says how to stop one device"
        machine = json.loads((run.workdir / "machines" / "sim-edge-switch.json").read_text())
        assert machine["port"] == first + 1
        both_up = {"sim-core-router": "up", "sim-edge-switch": "up"}
        run.wait_for(lambda: machine_states(run) == both_up, "both devices up", timeout=120)

        control = [sys.executable, "-m", "vigie.run", "--workdir", str(run.workdir)]
        result = subprocess.run(control + ["--stop-device", "sim-edge-switch"], cwd=REPO, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        run.wait_for(lambda: "simulated device sim-edge-switch stopped" in run.output(), "the device to stop")
        run.wait_for(lambda: machine_states(run) == {"sim-core-router": "up", "sim-edge-switch": "down"},
                     "the stopped device to be down, the other still up", timeout=120)

        subprocess.run(control + ["--start-device", "sim-edge-switch"], cwd=REPO, check=True, timeout=60)
        run.wait_for(lambda: machine_states(run) == both_up, "the device back up", timeout=120)
        assert run.interrupt() == 0
        assert_nothing_left(run)
    finally:
        run.kill()


def test_admin_password_is_shown_on_a_terminal(tmp_path):
    main, side = pty.openpty()
    port = free_tcp_port()
    proc = subprocess.Popen([sys.executable, "-m", "vigie.run", "--port", str(port), "--workdir", str(tmp_path / "v"),
                             "--devices", "0", "--generate-every", "0"], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=side, stderr=side, start_new_session=True)
    os.close(side)
    seen = b""
    try:
        deadline = time.monotonic() + 90
        while b"Ctrl-C stops everything" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if ready:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
        password = (tmp_path / "v" / "data" / "admin.password").read_text().strip()
        assert f"password: {password}" in seen.decode(errors="replace")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        os.close(main)
