"""Health metrics read from Debian's snmpd serving this machine's HOST-RESOURCES-MIB and
UCD-SNMP-MIB for real, checked against /proc; and a small file system (tmpfs, in a
mount namespace of snmpd's own) filled past 90 % and freed again."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.collector_site import CollectorSite
from tests.support.snmp_agents import SnmpdAgent, stop_process, wait_for_agent

pytestmark = [pytest.mark.slow, pytest.mark.waits]  # net-snmp gives hrProcessorLoad after a minute
Site = CollectorSite


def meminfo() -> dict:
    return {k: int(v.split()[0]) * 1024 for k, v in
            (line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())}


def cpu_ticks():
    """(busy, total) ticks of all CPUs from /proc/stat; idle alone is not busy, as net-snmp counts."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return sum(fields) - fields[3], sum(fields)


def snmpget(port, oid) -> str:
    out = subprocess.run(["snmpget", "-v2c", "-c", "public", "-Oqv", "-t", "1", f"127.0.0.1:{port}", oid],
                         capture_output=True, text=True, env={**os.environ, "MIBS": ""})
    return out.stdout.strip()


def hr_processor_load_answers(port) -> bool:
    out = subprocess.run(["snmpwalk", "-v2c", "-c", "public", "-On", f"127.0.0.1:{port}", "1.3.6.1.2.1.25.3.3.1.2"],
                         capture_output=True, text=True, env={**os.environ, "MIBS": ""})
    return "INTEGER" in out.stdout


@pytest.mark.long
@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="no /proc")
def test_snmpd_health_matches_proc_within_a_few_percent(tmp_path):
    agent = SnmpdAgent(tmp_path / "snmpd").start()
    try:
        # net-snmp answers hrProcessorLoad (the last minute's average) once it has a minute of
        # samples; until then cpu is a gap. Wait for it, keeping /proc/stat's readings of that time.
        ticks, deadline = [(time.monotonic(), cpu_ticks())], time.monotonic() + 120
        while not hr_processor_load_answers(agent.port):
            assert time.monotonic() < deadline, "snmpd never answered hrProcessorLoad"
            time.sleep(2)
            ticks.append((time.monotonic(), cpu_ticks()))
        site = Site(tmp_path)
        site.add("host", agent.machine(interfaces=["lo"]))
        site.poll_until_health("host", "cpu")
        now = time.monotonic(), cpu_ticks()
        health = site.health("host")
        expected = {"cpu", "memory", "storage:/", "load:1min", "load:5min", "load:15min", "processes"}
        assert expected <= set(health) and {"cpu:0"} <= set(health) if os.cpu_count() > 1 else True

        total = meminfo()["MemTotal"]
        memory = health["memory"]
        assert memory["unit"] == "B" and memory["size"] == total
        assert abs(memory["last"] - (total - meminfo()["MemAvailable"])) <= 0.03 * total

        disk = os.statvfs("/")
        size, used = disk.f_blocks * disk.f_frsize, (disk.f_blocks - disk.f_bfree) * disk.f_frsize
        root = health["storage:/"]
        assert root["size"] == pytest.approx(size, rel=0.01) and root["last"] == pytest.approx(used, rel=0.03)
        assert root["percent"] == pytest.approx(100 * used / size, abs=1)

        load = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
        assert health["load:15min"]["last"] == pytest.approx(load[2], abs=0.5 + 0.2 * load[2])
        processes = sum(1 for p in os.listdir("/proc") if p.isdigit())
        assert health["processes"]["last"] == pytest.approx(processes, rel=0.1, abs=10)

        # the busy share of the minute before the poll, from /proc/stat (net-snmp samples every 5 s)
        start = min(ticks, key=lambda t: abs(now[0] - 62 - t[0]))
        busy = 100 * (now[1][0] - start[1][0]) / (now[1][1] - start[1][1])
        cpus = [v["last"] for k, v in health.items() if k.startswith("cpu:")] or [health["cpu"]["last"]]
        assert health["cpu"]["last"] == pytest.approx(sum(cpus) / len(cpus), abs=0.01)
        assert health["cpu"]["last"] == pytest.approx(busy, abs=10)

        # within one poll: the machine's page shows them, with their units
        page = site.page("host")
        for name in ("cpu", "memory", "storage:/"):
            assert f'data-health="{name}"' in page
        assert "health-storage" in page and " GB</td>" in page
        assert site.alerts() == []
    finally:
        agent.stop()


class NamespacedSnmpd(SnmpdAgent):
    """snmpd in a mount namespace of its own, where a small tmpfs is mounted at `mount`:
    snmpd reports it in hrStorageTable; the test writes into it through /proc/<pid>/root."""

    def __init__(self, root: Path, mount: Path, size_kb: int):
        super().__init__(root)
        self.mount, self.size_kb = mount, size_kb

    def start(self):
        self.mount.mkdir(parents=True, exist_ok=True)
        script = (f"mount -t tmpfs -o size={self.size_kb}k vigie-test {self.mount} && exec /usr/sbin/snmpd -f -Lo "
                  f"-C -I -smux -c {self.conf} -p {self.root / 'snmpd.pid'} udp:127.0.0.1:{self.port}")
        self.log = open(self.root / "snmpd.log", "ab")
        env = {**os.environ, "MIBS": "", "SNMPCONFPATH": str(self.root)}
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_agent(self.port, "public", proc=self.proc)
        except Exception:
            self.stop()
            raise
        return self

    def inside(self) -> Path:
        """The tmpfs as the test sees it: through snmpd's own view of the file systems."""
        return Path(f"/proc/{self.proc.pid}/root") / self.mount.relative_to("/")

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def storage_index(port, path) -> str:
    out = subprocess.run(["snmpwalk", "-v2c", "-c", "public", "-On", f"127.0.0.1:{port}", "1.3.6.1.2.1.25.2.3.1.3"],
                         capture_output=True, text=True, env={**os.environ, "MIBS": ""}).stdout
    found = re.search(rf"\.(\d+) = STRING: \"{re.escape(str(path))}\"", out)
    assert found, f"snmpd does not report {path}"
    return found.group(1)


def fill(agent, index, kilobytes):
    """Write (or, with 0, remove) the test's file, and wait until snmpd reports the change."""
    target = agent.inside() / "fill"
    before = snmpget(agent.port, f"1.3.6.1.2.1.25.2.3.1.6.{index}")
    if kilobytes:
        target.write_bytes(b"\0" * kilobytes * 1024)
    else:
        target.unlink()
    deadline = time.monotonic() + 60
    while snmpget(agent.port, f"1.3.6.1.2.1.25.2.3.1.6.{index}") == before:
        assert time.monotonic() < deadline, "snmpd did not see the file system change"
        time.sleep(0.5)


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare and root")
def test_a_file_system_filled_past_90_percent_raises_the_alert_and_freeing_it_resolves_it(tmp_path):
    mount = tmp_path / "small-fs"
    agent = NamespacedSnmpd(tmp_path / "snmpd", mount, size_kb=4096).start()
    try:
        index = storage_index(agent.port, mount)
        name = f"storage:{mount}"
        site = Site(tmp_path)
        site.add("host", agent.machine(interfaces=["lo"], health=["storage"], timeout=3))
        site.poll_until_health("host", name)
        assert site.health("host")[name]["percent"] < 5 and site.alerts() == []

        fill(agent, index, 3800)                        # 93 %: WARNING after threshold_polls (2) polls
        site.poll()
        assert site.alerts() == []
        site.poll()
        [warning] = site.alerts()
        assert warning["severity"] == "WARNING" and warning["fingerprint"] == f"snmp:health:host:{name}"
        assert warning["message"].startswith(f"Storage {mount} at 9") and "above 90% used" in warning["message"]

        fill(agent, index, 0)
        fill(agent, index, 3950)                        # 96 %: CRITICAL, the same alert escalated
        site.poll()
        site.poll()
        critical = site.alerts()[-1]
        assert critical["severity"] == "CRITICAL" and critical["fingerprint"] == warning["fingerprint"]

        fill(agent, index, 0)                           # freed: the INFO that resolves it
        site.poll()
        resolved = site.alerts()[-1]
        assert resolved["severity"] == "INFO" and resolved["fingerprint"] == warning["fingerprint"]
        assert resolved["message"].startswith(f"Storage {mount} back to normal")
        assert len(site.alerts()) == 3
        assert site.health("host")[name]["percent"] < 5
    finally:
        agent.stop()
    assert not agent.inside().exists() or not os.path.ismount(mount)   # the tmpfs went with snmpd's namespace
