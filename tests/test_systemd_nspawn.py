"""End to end under a real systemd: systemd/install.sh in a booted Debian container.

A Debian 12 root (mmdebstrap, cached under /var/cache/vigie-test) boots with
systemd-nspawn --volatile=overlay, so every run starts from the same clean
root and writes only to a tmpfs. The container has no network but loopback:
Python packages come from a wheelhouse built on the host (cached too) through
`install.sh --wheelhouse`. A simulated SNMP device (snmpsim) runs inside on
loopback. Drop-ins shorten the timers so they fire within the test.

Needs root, systemd-nspawn and mmdebstrap; skipped with the reason otherwise.
"""

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("VIGIE_TEST_CACHE", "/var/cache/vigie-test"))
SUITE = "bookworm"
PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3", "python3-venv", "procps"]
APP_PATHS = ["api.py", "requirements.txt", "README.md", "vigie", "collector", "site_builder", "systemd"]
SIM_PORT = 1161
SIM_DEVICE = "sim-router"
SIM_COMMUNITY = "s3cret-community"
# An empty On...= line resets every trigger of the timer, then the short ones follow.
TIMER_DROPINS = {
    "vigie-watch.timer": "[Timer]\nOnActiveSec=\nOnActiveSec=3s\nOnUnitActiveSec=5s\n",
    "vigie-generate.timer": "[Timer]\nOnCalendar=\nOnCalendar=*:*:0/10\nAccuracySec=1s\n",
    "vigie-build.timer": "[Timer]\nOnCalendar=\nOnCalendar=*:*:0/10\nAccuracySec=1s\n",
}
SERVICES = ["vigie-api", "vigie-watch", "vigie-generate", "vigie-poll", "vigie-build", "vigie-notify", "vigie-syslog"]

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.waits]  # the container boots and installs once for the module


def why_not_runnable():
    if os.geteuid() != 0:
        return "needs root (systemd-nspawn boots a container)"
    for tool in ("systemd-nspawn", "mmdebstrap", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian packages systemd-container, mmdebstrap, util-linux)"
    return None


@pytest.fixture(scope="module", autouse=True)
def runnable():
    reason = why_not_runnable()
    if reason:
        print(f"skipping the systemd end-to-end tests: {reason}")
        pytest.skip(reason)


class CacheLock:
    """One builder at a time for the shared cache (parallel test workers)."""

    def __enter__(self):
        CACHE.mkdir(parents=True, exist_ok=True)
        self.file = open(CACHE / ".lock", "w")
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def cached(kind: str, key: str, build) -> Path:
    """CACHE/kind-key, made by build(tmp) the first time and renamed into place;
    older entries of the same kind (other keys) are removed then."""
    path = CACHE / f"{kind}-{key}"
    with CacheLock():
        if not path.exists():
            tmp = CACHE / f"{path.name}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                build(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            os.replace(tmp, path)
            for old in CACHE.glob(f"{kind}-*"):
                if old != path and ".tmp-" not in old.name:
                    shutil.rmtree(old, ignore_errors=True)
    return path


def build_rootfs(tmp: Path) -> None:
    print(f"building the Debian root {tmp} (about a minute, cached afterwards)")
    result = subprocess.run(
        ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), SUITE, str(tmp)],
        capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"mmdebstrap failed:\n{result.stderr[-3000:]}")


def build_wheelhouse(tmp: Path) -> None:
    tmp.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "-r", str(REPO / "requirements.txt"), "-w", str(tmp)],
        capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"pip wheel failed:\n{result.stderr[-3000:]}")


def digest(*parts) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:12]


@pytest.fixture(scope="module")
def rootfs():
    return cached(f"rootfs-{SUITE}", digest(SUITE, *PACKAGES), build_rootfs)


@pytest.fixture(scope="module")
def wheelhouse():
    requirements = (REPO / "requirements.txt").read_bytes()
    return cached(f"wheels-py{sys.version_info[0]}{sys.version_info[1]}", digest(requirements), build_wheelhouse)


def copy_app(dest: Path) -> None:
    """The application as the installer sees it in a checkout (no .venv, no data)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    dest.mkdir(parents=True)
    for name in APP_PATHS:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)


def simulated_device_data(dest: Path) -> None:
    from vigie import simulated_devices
    (dest / "data").mkdir(parents=True)
    text = simulated_devices.lively_device(SIM_DEVICE, interface_count=2, seed=1)
    (dest / "data" / f"{SIM_COMMUNITY}.snmprec").write_text(text)


class Container:
    def __init__(self, root: Path, work: Path, binds: dict):
        self.name = f"vigie-test-{secrets.token_hex(3)}"
        self.log_path = work / "console.log"
        self.log = open(self.log_path, "wb")
        cmd = ["systemd-nspawn", "-D", str(root), "--volatile=overlay", "--register=no", "--keep-unit",
               "--private-network", "-M", self.name, "--console=read-only"]
        cmd += [f"--bind-ro={src}:{dst}" for src, dst in binds.items()]
        cmd += ["-b"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self._find_init()

    def _find_init(self, timeout=60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited:\n{self.console()}")
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid and comm == "systemd":
                    return int(entry.name)
            time.sleep(0.1)
        raise RuntimeError("the container's systemd did not start")

    def wait_until_booted(self, timeout=120.0) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            # fails while the manager's bus is not up yet
            state = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout).stdout
            if state.strip() in ("running", "degraded"):
                return
            time.sleep(0.2)
        raise AssertionError(f"the container did not boot (state {state.strip()!r}):\n{self.console()}")

    def console(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def run(self, *cmd, check=True, timeout=300, input=None, env=None) -> subprocess.CompletedProcess:
        full = ["nsenter", "-t", str(self.pid), "-a", "env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                *[f"{k}={v}" for k, v in (env or {}).items()], *cmd]
        result = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def sh(self, script: str, **kw) -> str:
        return self.run("sh", "-c", script, **kw).stdout

    def read(self, path: str) -> str:
        return self.run("cat", path).stdout

    def write(self, path: str, text: str, mode="0644", owner="root:root") -> None:
        self.run("sh", "-c", f'mkdir -p "$(dirname {path})" && cat > {path} && chmod {mode} {path} '
                             f'&& chown {owner} {path}', input=text)

    def http(self, method: str, path: str, auth=None, body=None, port=8080):
        """A request from inside the container's network namespace (the API is on its loopback)."""
        script = (
            "import base64, json, sys, urllib.request, urllib.error\n"
            "method, url, auth, body = sys.argv[1:5]\n"
            "req = urllib.request.Request(url, method=method, data=body.encode() if body else None)\n"
            "req.add_header('Content-Type', 'application/json')\n"
            "if auth: req.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())\n"
            "try:\n"
            "    r = urllib.request.urlopen(req, timeout=10); code, data = r.status, r.read()\n"
            "except urllib.error.HTTPError as e:\n"
            "    code, data = e.code, e.read()\n"
            "except OSError as e:\n"
            "    code, data = 0, str(e).encode()\n"
            "print(code); sys.stdout.write(data.decode('utf-8', 'replace'))\n"
        )
        cmd = ["nsenter", "-t", str(self.pid), "-n", sys.executable, "-c", script, method,
               f"http://127.0.0.1:{port}{path}", ":".join(auth) if auth else "",
               json.dumps(body) if body is not None else ""]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        code, _, text = result.stdout.partition("\n")
        return int(code or 0), text

    def wait_for(self, check, what, timeout=120.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except (AssertionError, ValueError, KeyError) as exc:
                last = exc
            else:
                if last:
                    return last
            time.sleep(1)
        journal = self.run("journalctl", "--no-pager", "-n", "80", "-u", "vigie-*", check=False).stdout
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})\n{journal}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nspawn powers the container off
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def unit_property(box: Container, unit: str, prop: str) -> str:
    return box.run("systemctl", "show", unit, "-p", prop, "--value").stdout.strip()


def snapshot(box: Container) -> str:
    """Path, mode, owner, size, time and content hash of everything the installer writes
    (the machines folder aside, which the API writes to)."""
    return box.sh(
        "find /opt/vigie /etc/vigie /etc/systemd/system -path /etc/vigie/machines -prune -o "
        "-printf '%p %m %u:%g %s %T@ %l\\n' | sort; "
        "find /opt/vigie /etc/vigie -path /etc/vigie/machines -prune -o -type f -print0 "
        "| sort -z | xargs -0 sha256sum; getent passwd vigie")


@pytest.fixture(scope="module")
def box(rootfs, wheelhouse, tmp_path_factory):
    work = tmp_path_factory.mktemp("nspawn")
    copy_app(work / "src")
    simulated_device_data(work / "sim")
    container = Container(rootfs, work, {work / "src": "/src", wheelhouse: "/wheels", work / "sim": "/sim"})
    try:
        container.wait_until_booted()
        for timer, text in TIMER_DROPINS.items():
            container.write(f"/etc/systemd/system/{timer}.d/10-test.conf", text)
        # the settings file of an older install, which the installer carries into vigie.toml
        container.write("/etc/vigie/vigie.env", "VIGIE_GENERATE_COUNT=5\nVIGIE_GENERATE_SPAN=1h\n")
        container.install_output = container.run("bash", "/src/systemd/install.sh", "--wheelhouse", "/wheels",
                                                 timeout=900).stdout
        # the simulated device, on the container's loopback, as an unprivileged transient unit
        container.run("systemd-run", "--unit=sim-device", "-p", "User=nobody", "-p", "PrivateTmp=yes",
                      "--setenv=HOME=/tmp",
                      "/opt/vigie/.venv/bin/snmpsim-command-responder", "--data-dir=/sim/data",
                      "--cache-dir=/tmp/cache", "--log-level=error",
                      f"--agent-udpv4-endpoint=127.0.0.1:{SIM_PORT}")
        yield container
    finally:
        container.stop()


def admin_auth(box):
    return ("admin", box.read("/var/lib/vigie/admin.password").strip())


def test_install_reports_what_it_did(box):
    out = box.install_output
    assert "system user vigie created" in out
    assert "enabled vigie-api.service" in out and "enabled vigie-watch.timer" in out
    assert "enabled vigie-poll.service" in out
    assert "admin account created" in out
    assert "http://127.0.0.1:8080/" in out


def test_install_writes_one_configuration_carrying_the_old_settings(box):
    """/etc/vigie/vigie.toml names the installed folders; what the vigie.env of an older
    install set (the fixture wrote one) is carried into it; every command finds it."""
    text = box.read("/etc/vigie/vigie.toml")
    assert 'data = "/var/lib/vigie"' in text and 'machines = "/etc/vigie/machines"' in text
    assert "count = 5" in text and 'span = "1h"' in text
    assert "carried into /etc/vigie/vigie.toml" in box.install_output
    assert box.run("test", "-f", "/etc/vigie/vigie.env", check=False).returncode != 0
    assert box.sh("stat -c '%U %a' /etc/vigie/vigie.toml").split() == ["root", "644"]
    got = box.sh("cd /opt/vigie && runuser -u vigie -- .venv/bin/python -m vigie config --get paths.samples "
                 "paths.logs paths.heartbeat")
    assert got.split() == ["/var/lib/vigie/samples", "/var/lib/vigie/logs", "/var/lib/vigie/heartbeat"]
    for service in SERVICES:
        assert unit_property(box, f"{service}.service", "ExecStart").count("/var/lib/vigie") == 0


def test_api_answers_and_serves_the_login(box):
    code, text = box.wait_for(lambda: (lambda r: r[0] == 200 and r)(box.http("GET", "/api/health")),
                              "the API's health check", timeout=60)
    code, text = box.http("GET", "/api/me", auth=admin_auth(box))
    assert code == 200 and json.loads(text)["role"] == "admin"
    assert unit_property(box, "vigie-api.service", "User") == "vigie"


def test_machine_added_through_the_api_is_polled(box):
    machine = {"host": "127.0.0.1", "port": SIM_PORT, "snmp": {"version": "2c", "community": SIM_COMMUNITY},
               "interval": 10, "tags": {"environment": "test"}}
    code, text = box.http("POST", "/api/machine", auth=admin_auth(box), body={"name": SIM_DEVICE, **machine})
    assert code in (200, 201), text
    assert SIM_COMMUNITY not in text, "the API masks the community"
    stat = box.sh(f"stat -c '%U %a' /etc/vigie/machines/{SIM_DEVICE}.json").split()
    assert stat[0] == "vigie"

    def polled():
        samples = json.loads(box.read(f"/var/lib/vigie/samples/{SIM_DEVICE}.json"))
        return samples["status"]["state"] == "up" and samples

    samples = box.wait_for(polled, "a poll of the simulated device by vigie-poll.service")
    assert samples["status"]["sys_name"] == SIM_DEVICE
    assert len(samples["interfaces"]) == 2


def send_syslog(box, hostname: str, text: str, severity: int = 3) -> None:
    """One RFC 5424 message over UDP to the intake's port 514, naming `hostname` (every
    simulated machine is 127.0.0.1, so the name in the message tells which)."""
    message = f"<{8 + severity}>1 - {hostname} nspawn - - - {text}"
    box.run("python3", "-c", "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
            ".sendto(sys.argv[1].encode(), ('127.0.0.1', 514))", message)


def test_the_installed_api_serves_what_the_collector_gathered(box):
    """The API reads the folders the collector and the intakes write: its /metrics, a machine's
    live state and a device's log show the simulated device, not the empty folders under the
    install prefix."""
    auth = admin_auth(box)
    box.wait_for(lambda: json.loads(box.read(f"/var/lib/vigie/samples/{SIM_DEVICE}.json"))["status"]["state"]
                 == "up", "a poll of the simulated device")

    def live():
        code, text = box.http("GET", f"/api/machine/{SIM_DEVICE}", auth=auth)
        return code == 200 and json.loads(text)["live"]["status"]["state"] == "up" and json.loads(text)["live"]

    state = box.wait_for(live, "the machine's live state in the API", timeout=60)
    assert len(state["interfaces"]) == 2 and "error" not in state
    code, text = box.http("GET", "/metrics", auth=auth)
    assert code == 200
    assert f'vigie_machine_up{{machine="{SIM_DEVICE}"}} 1' in text, text[:3000]
    assert f'vigie_interface_in_octets_total{{machine="{SIM_DEVICE}"' in text

    def logged():
        send_syslog(box, SIM_DEVICE, "link flap on port 7")
        code, text = box.http("GET", f"/api/machine/{SIM_DEVICE}/log", auth=auth)
        return code == 200 and any("link flap on port 7" in e["message"] for e in json.loads(text)["results"])

    box.wait_for(logged, "the device's syslog message in GET /api/machine/<name>/log", timeout=90)


def test_demonstration_alerts_are_opt_in(box):
    assert "enabled vigie-generate.timer" not in box.install_output
    assert box.run("systemctl", "is-enabled", "vigie-generate.timer", check=False).stdout.strip() == "disabled"
    out = box.run("bash", "/src/systemd/install.sh", "--wheelhouse", "/wheels", "--demo", timeout=900).stdout
    assert "enabled vigie-generate.timer" in out
    assert box.run("systemctl", "is-active", "vigie-generate.timer", check=False).stdout.strip() == "active"


def status_of(box) -> dict:
    """collector.status as a sysadmin runs it: no flag, the installed configuration."""
    out = box.sh("cd /opt/vigie && runuser -u vigie -- .venv/bin/python -m collector.status --json")
    return {s["name"]: s for s in json.loads(out)}


def test_each_machine_is_polled_on_its_own_interval(box):
    assert unit_property(box, "vigie-poll.service", "ActiveState") == "active"
    for name, interval in (("fast-poll", 5), ("slow-poll", 600)):
        machine = {"name": name, "host": "127.0.0.1", "port": SIM_PORT, "interval": interval,
                   "snmp": {"version": "2c", "community": SIM_COMMUNITY}}
        code, text = box.http("POST", "/api/machine", auth=admin_auth(box), body=machine)
        assert code in (200, 201), text
    first = box.wait_for(lambda: (lambda s: all(s.get(n, {}).get("last_seen") for n in ("fast-poll", "slow-poll"))
                                  and s)(status_of(box)), "a first poll of both machines")
    time.sleep(12)
    later = status_of(box)
    assert later["fast-poll"]["last_seen"] > first["fast-poll"]["last_seen"]
    assert later["slow-poll"]["last_seen"] == first["slow-poll"]["last_seen"]


def test_generated_alerts_reach_the_api_through_the_watcher(box):
    auth = admin_auth(box)

    def count():
        code, text = box.http("GET", "/api/alert?limit=1", auth=auth)
        return code == 200 and json.loads(text)["count"] >= 5 and json.loads(text)["count"]

    box.wait_for(count, "generated alerts in the API")
    done = box.sh("ls /var/lib/vigie/alertfiles/done | wc -l")
    assert int(done) >= 5


def test_builder_writes_the_site(box):
    box.wait_for(lambda: box.run("test", "-s", "/var/lib/vigie/www/index.html", check=False).returncode == 0,
                 "www/index.html from vigie-build.timer")
    code, text = box.http("GET", "/", auth=admin_auth(box))
    assert code == 200 and "<html" in text.lower()


def test_timers_fired_the_services(box):
    for name in ("vigie-watch", "vigie-generate", "vigie-build"):
        box.wait_for(lambda: unit_property(box, f"{name}.timer", "LastTriggerUSec") not in ("", "n/a", "0"),
                     f"{name}.timer to fire")
        box.wait_for(lambda: unit_property(box, f"{name}.service", "ExecMainExitTimestampMonotonic") != "0",
                     f"{name}.service to run", timeout=60)
        assert unit_property(box, f"{name}.service", "Result") == "success", \
            box.run("journalctl", "--no-pager", "-u", f"{name}.service", check=False).stdout[-3000:]


def test_nothing_failed_and_files_belong_to_vigie(box):
    failed = box.run("systemctl", "--failed", "--no-legend", "--plain").stdout.strip()
    assert failed == "", failed
    foreign = box.sh("find /var/lib/vigie/ /etc/vigie/machines/ ! -user vigie").strip()
    assert foreign == "", f"not owned by vigie: {foreign}"
    modes = box.sh("stat -c '%n %a' /var/lib/vigie/ /etc/vigie/machines/ /etc/vigie/credentials/").split()
    assert modes == ["/var/lib/vigie/", "750", "/etc/vigie/machines/", "750", "/etc/vigie/credentials/", "700"]
    token = box.sh("stat -c '%U %a' /etc/vigie/credentials/watcher.token").split()
    assert token == ["root", "600"]
    peek = box.run("runuser", "-u", "vigie", "--", "cat", "/etc/vigie/credentials/watcher.token", check=False)
    assert peek.returncode != 0, "only the watcher's credential copy is readable by vigie"
    assert box.sh("stat -c '%U %a' /var/lib/vigie/admin.password").split() == ["vigie", "600"]


def test_no_secret_in_the_site_or_the_journal(box):
    password = admin_auth(box)[1]
    token = box.read("/etc/vigie/credentials/watcher.token").strip()
    box.wait_for(lambda: box.run("test", "-s", "/var/lib/vigie/www/index.html", check=False).returncode == 0,
                 "the site")
    for secret in (password, token, SIM_COMMUNITY):
        hits = box.run("grep", "-rlF", secret, "/var/lib/vigie/www", check=False).stdout
        assert hits == "", f"secret found in www/: {hits}"
        journal = box.run("journalctl", "--no-pager", "-o", "cat", check=False).stdout
        assert secret not in journal


def test_installed_units_verify_cleanly(box):
    units = box.sh("ls /etc/systemd/system/vigie-*.service /etc/systemd/system/vigie-*.timer "
                   "/etc/systemd/system/vigie-*.socket").split()
    assert len(units) == 12
    result = box.run("systemd-analyze", "verify", "--man=no", *units, check=False)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_syslog_on_port_514_reaches_the_device_logs_without_any_capability(box):
    """systemd binds 514 (vigie-syslog.socket) and hands it to the sandboxed intake."""
    assert unit_property(box, "vigie-syslog.service", "CapabilityBoundingSet") == ""
    box.run("logger", "--server", "127.0.0.1", "--port", "514", "--udp", "--rfc5424", "-t", "nspawn",
            "hello over udp 514")
    box.run("logger", "--server", "127.0.0.1", "--port", "514", "--tcp", "--octet-count", "-t", "nspawn",
            "hello over tcp 514")
    box.wait_for(lambda: box.run("cat", "/var/lib/vigie/logs/@unknown.jsonl", check=False).stdout.count("hello over")
                 == 2, "both messages in the unknown senders' log", timeout=60)
    assert unit_property(box, "vigie-syslog.service", "User") == "vigie"


def test_notifier_runs_as_a_service(box):
    box.wait_for(lambda: box.run("systemctl", "is-active", "vigie-notify.service", check=False).stdout.strip()
                 == "active", "vigie-notify.service to be active", timeout=60)
    assert unit_property(box, "vigie-notify.service", "User") == "vigie"
    assert "notifier started" in box.run("journalctl", "--no-pager", "-o", "cat", "-u", "vigie-notify.service",
                                         check=False).stdout


@pytest.mark.parametrize("service", SERVICES)
def test_the_shared_sandbox_drop_in_is_in_force(box, service):
    assert "/etc/systemd/system/vigie-.service.d/10-sandbox.conf" in unit_property(box, f"{service}.service",
                                                                                    "DropInPaths")
    assert unit_property(box, f"{service}.service", "ProtectSystem") == "strict"
    assert unit_property(box, f"{service}.service", "User") == "vigie"


@pytest.mark.parametrize("service", SERVICES)
def test_security_exposure_under_systemd(box, service):
    out = box.run("systemd-analyze", "security", "--no-pager", f"{service}.service").stdout
    score = float(out.rsplit("Overall exposure level for", 1)[1].split(":")[1].split()[0])
    assert score <= 2.0, out


def test_api_comes_back_after_a_crash(box):
    old_pid = unit_property(box, "vigie-api.service", "MainPID")
    box.run("kill", "-KILL", old_pid)
    box.wait_for(lambda: unit_property(box, "vigie-api.service", "MainPID") not in ("0", old_pid)
                 and box.http("GET", "/api/health")[0] == 200, "systemd to restart the API", timeout=60)
    assert int(unit_property(box, "vigie-api.service", "NRestarts")) >= 1


def test_installing_again_changes_nothing(box):
    before = snapshot(box)
    api_pid = unit_property(box, "vigie-api.service", "MainPID")
    out = box.run("bash", "/src/systemd/install.sh", "--wheelhouse", "/wheels", "--demo", timeout=900).stdout
    assert snapshot(box) == before
    assert unit_property(box, "vigie-api.service", "MainPID") == api_pid, "the API was not restarted"
    lines = [line for line in out.splitlines() if not line.startswith("vigie-install: done")
             and "log in as admin" not in line]
    assert lines == [], out


def test_daemon_watcher_replaces_the_timer(box):
    box.run("bash", "/src/systemd/install.sh", "--wheelhouse", "/wheels", "--watcher", "daemon")
    assert box.run("systemctl", "is-active", "vigie-watchd.service", check=False).stdout.strip() == "active"
    assert box.run("systemctl", "is-enabled", "vigie-watch.timer", check=False).stdout.strip() == "disabled"
    assert box.run("systemctl", "is-active", "vigie-watch.timer", check=False).stdout.strip() == "inactive"
    # without --demo again, an update turns the invented alerts off
    assert box.run("systemctl", "is-enabled", "vigie-generate.timer", check=False).stdout.strip() == "disabled"
    # the API keeps one row per server and message, so count the files the daemon took in
    taken = lambda: int(box.sh("ls /var/lib/vigie/alertfiles/done | wc -l"))
    before = taken()
    box.run("systemctl", "start", "vigie-generate.service")
    box.wait_for(lambda: taken() >= before + 5, "alerts posted by the watcher daemon", timeout=60)


def test_uninstall_keeps_data_and_purge_removes_it(box):
    out = box.run("bash", "/src/systemd/uninstall.sh").stdout
    assert "kept /etc/vigie" in out
    assert box.run("test", "-e", "/opt/vigie", check=False).returncode != 0
    assert box.run("test", "-s", "/var/lib/vigie/vigie.db", check=False).returncode == 0
    assert box.sh("ls /etc/systemd/system/ | grep '^vigie-.*\\.\\(service\\|timer\\)$' || true").strip() == ""
    assert box.run("test", "-e", "/etc/systemd/system/vigie-.service.d", check=False).returncode != 0
    assert box.run("pgrep", "-u", "vigie", check=False).stdout.strip() == ""
    assert box.run("systemctl", "--failed", "--no-legend", "--plain").stdout.strip() == ""
    box.run("bash", "/src/systemd/uninstall.sh", "--purge")
    assert box.run("getent", "passwd", "vigie", check=False).returncode != 0
    assert box.run("test", "-e", "/var/lib/vigie", check=False).returncode != 0
