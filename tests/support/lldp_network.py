"""A small network for the tests: devices in network namespaces, cabled by veth pairs,
each speaking real LLDP (Debian's lldpd) and serving the LLDP-MIB over SNMP (net-snmp's
snmpd as AgentX master, lldpd as its sub-agent, `lldpd -x`).

Every device also has a management interface on a bridge in one more namespace (the
management network, 198.18.0.0/24, RFC 2544's range for test networks), where the
tests run the discovery. lldpd speaks only on the cabled ports. Namespace and
interface names carry a tag drawn for the run, so networks of tests running at once
never meet; `stop` kills every process started and removes every namespace, and the
fixture calls it even when a test fails.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

MANAGEMENT_NET = "198.18.0"
COMMUNITY = "lldp-test"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


class LldpNetwork:
    """`devices`: names, in order; `cables`: [(device, device)] pairs, each one veth pair.
    Device i is at 198.18.0.(i + 1) on the management network."""

    def __init__(self, root: Path, devices: list, cables: list):
        self.tag = secrets.token_hex(3)            # 6 hex digits: names stay under 15 characters
        self.root = Path(root)
        # lldpd's helpers run as the _lldpd user: its sockets live in a folder it can reach
        # (neither a test's tmp_path nor make test's private TMPDIR is), made for this
        # network in the system's shared temporary folder and removed with it
        self.sockets = Path(tempfile.mkdtemp(prefix=f"vigie-lldp-{self.tag}-", dir="/tmp"))
        self.sockets.chmod(0o755)
        self.devices = list(devices)
        self.cables = list(cables)
        self.namespaces = {name: f"vg{self.tag}-{i}" for i, name in enumerate(self.devices)}
        self.management = f"vg{self.tag}-m"
        self.procs = []
        self.ports = {name: [] for name in self.devices}    # device -> its port names, in order
        self.expected_links = []                             # (device, port, device, port)

    def address(self, device: str) -> str:
        return f"{MANAGEMENT_NET}.{self.devices.index(device) + 1}"

    def exec_prefix(self, namespace: str) -> list:
        return ["ip", "netns", "exec", namespace]

    def _new_port(self, device: str) -> str:
        name = f"{self.tag}p{len(self.ports[device]) + 1}"
        self.ports[device].append(name)
        return name

    def _make_namespaces(self) -> None:
        for namespace in [self.management, *self.namespaces.values()]:
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "lo", "up")
        bridge = f"{self.tag}br"
        ip("-n", self.management, "link", "add", bridge, "type", "bridge")
        ip("-n", self.management, "addr", "add", f"{MANAGEMENT_NET}.254/24", "dev", bridge)
        ip("-n", self.management, "link", "set", bridge, "up")
        for i, (device, namespace) in enumerate(self.namespaces.items()):
            inside, outside = f"{self.tag}m", f"{self.tag}m{i}"
            ip("link", "add", inside, "netns", namespace, "type", "veth", "peer", "name", outside,
               "netns", self.management)
            ip("-n", self.management, "link", "set", outside, "master", bridge, "up")
            ip("-n", namespace, "addr", "add", f"{self.address(device)}/24", "dev", inside)
            ip("-n", namespace, "link", "set", inside, "up")

    def _cable(self) -> None:
        for one, other in self.cables:
            a, b = self._new_port(one), self._new_port(other)
            ip("link", "add", a, "netns", self.namespaces[one], "type", "veth", "peer", "name", b,
               "netns", self.namespaces[other])
            ip("-n", self.namespaces[one], "link", "set", a, "up")
            ip("-n", self.namespaces[other], "link", "set", b, "up")
            self.expected_links.append((one, a, other, b))

    def _spawn(self, namespace: str, cmd: list, log_name: str, env=None) -> subprocess.Popen:
        log = open(self.root / log_name, "ab")
        proc = subprocess.Popen([*self.exec_prefix(namespace), *cmd], stdout=log, stderr=subprocess.STDOUT,
                                env=env or os.environ)
        log.close()
        self.procs.append(proc)
        return proc

    def _start_device(self, device: str) -> None:
        namespace, i = self.namespaces[device], self.devices.index(device)
        agentx = self.sockets / f"ax{i}.sock"
        conf = self.root / f"snmpd{i}.conf"
        conf.write_text(f"rocommunity {COMMUNITY}\nmaster agentx\nagentXSocket unix:{agentx}\n"
                        f"sysName {device}\nsysLocation namespace {namespace}\n")
        self._spawn(namespace, ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", str(conf), "-p",
                                str(self.root / f"snmpd{i}.pid"), f"udp:{self.address(device)}:161"],
                    f"snmpd{i}.log", env={**os.environ, "MIBS": "", "SNMPCONFPATH": str(self.root)})
        lldp_conf = self.sockets / f"lldpd{i}.conf"
        lldp_conf.write_text(f"configure system hostname {device}\nconfigure lldp tx-interval 1\n"
                             "configure lldp portidsubtype ifname\n")
        self._wait_for(lambda: agentx.exists(), f"snmpd of {device} did not open its AgentX socket")
        self._spawn(namespace, ["lldpd", "-d", "-x", "-X", f"unix:{agentx}", "-u", str(self.sockets / f"lldpd{i}.sock"),
                                "-I", f"{self.tag}p*", "-C", f"{self.tag}p*", "-m", self.address(device),
                                "-O", str(lldp_conf)], f"lldpd{i}.log")

    @staticmethod
    def _wait_for(condition, message: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise RuntimeError(message)

    def neighbours_seen(self, device: str) -> int:
        """How many LLDP neighbours the device's agent serves over SNMP (lldpRemSysName rows)."""
        result = subprocess.run([*self.exec_prefix(self.management), "snmpwalk", "-v2c", "-c", COMMUNITY, "-On",
                                 "-t", "0.5", "-r", "0", self.address(device), "1.0.8802.1.1.2.1.4.1.1.9"],
                                capture_output=True, text=True, env={**os.environ, "MIBS": ""})
        return sum(1 for line in result.stdout.splitlines() if "STRING" in line)

    def start(self) -> "LldpNetwork":
        if shutil.which("lldpd") is None:
            raise RuntimeError("lldpd is not installed (Debian package lldpd, in requirements-apt-test.txt)")
        try:
            self._make_namespaces()
            self._cable()
            for device in self.devices:
                self._start_device(device)
            for device in self.devices:
                wanted = sum(1 for a, _, b, _ in self.expected_links if device in (a, b))
                self._wait_for(lambda: self.neighbours_seen(device) == wanted,
                               f"{device} does not serve its {wanted} LLDP neighbour(s) over SNMP")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for namespace in [*self.namespaces.values(), self.management]:
            left = ip("netns", "pids", namespace, check=False).stdout.split()
            for pid in left:    # lldpd's privilege-separated child, if it outlived its parent
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            ip("netns", "del", namespace, check=False)
        shutil.rmtree(self.sockets, ignore_errors=True)

    def run_in_management(self, cmd: list, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*self.exec_prefix(self.management), *cmd], **kwargs)

    def lldpcli_neighbours(self, device: str) -> dict:
        i = self.devices.index(device)
        out = subprocess.run(["lldpcli", "-u", str(self.sockets / f"lldpd{i}.sock"), "-f", "json", "show", "neighbors"],
                             capture_output=True, text=True).stdout
        return json.loads(out or "{}")
