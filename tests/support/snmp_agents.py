"""Real SNMP agents on 127.0.0.1 for the tests: snmpsim and Debian's snmpd.

Each agent gets a free UDP port and its own folder under the test's tmp_path.
`SnmpsimAgent.restart()` keeps the port and data: snmpsim then starts its
counters and sysUpTime from zero, which is a device reboot.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from vigie.simulated_devices import variation_folder

VENV_BIN = Path(sys.executable).parent
V3_USER = "vigie-v3"
V3_AUTH_KEY = "auth-secret-1234"
V3_PRIV_KEY = "priv-secret-5678"
V3_AUTH_ONLY_USER = "vigie-auth-only"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agent_address(host: str, port: int) -> str:
    """net-snmp's spelling of an agent's address: udp6:[::1]:161 for IPv6."""
    return f"udp6:[{host}]:{port}" if ":" in host else f"{host}:{port}"


def wait_for_agent(port, community=None, v3=False, timeout=20.0, proc=None, host="127.0.0.1", prefix=()):
    """Block until the agent answers a GET of sysUpTime.0 (net-snmp's snmpget, run
    under `prefix`, e.g. `ip netns exec NAME`)."""
    if v3:
        auth = ["-v3", "-l", "authPriv", "-u", V3_USER, "-a", "SHA", "-A", V3_AUTH_KEY, "-x", "AES", "-X", V3_PRIV_KEY,
                "-n", community]
    else:
        auth = ["-v2c", "-c", community]
    cmd = [*prefix, "snmpget", "-On", "-t", "0.3", "-r", "0", *auth, agent_address(host, port), "1.3.6.1.2.1.1.3.0"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"agent exited with status {proc.returncode}")
        result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "MIBS": ""})
        if result.returncode == 0 and "Timeticks" in result.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError(f"SNMP agent on {agent_address(host, port)} did not answer within {timeout} s")



def stop_process(proc) -> None:
    """Terminate an agent process, killing it if it lingers."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

class SnmpsimProcess:
    """One snmpsim process (its log in root/snmpsim.log): the agents of `engines()`."""
    root: Path
    prefix = ()
    proc = None
    log = None

    def engines(self) -> list:
        raise NotImplementedError

    def command(self) -> list:
        raise NotImplementedError

    def responder(self) -> list:
        """snmpsim's command and the options every process of it gets."""
        return [str(VENV_BIN / "snmpsim-command-responder"), f"--cache-dir={self.root / 'cache'}", "--log-level=error",
                f"--variation-modules-dir={variation_folder(self.root / 'variation')}"]

    def launch(self):
        """Start the process without waiting for it to answer (`start` waits)."""
        env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
        self.log = open(self.root / "snmpsim.log", "ab")
        self.proc = subprocess.Popen([*self.prefix, *self.command()], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        return self

    def start(self):
        self.launch()
        return self.wait()

    def wait(self, timeout: float = 20.0):
        """Block until each agent answers on each of its addresses (stopped if one does not)."""
        try:
            for agent in self.engines():
                for host in agent.hosts:
                    wait_for_agent(agent.port, agent.first_community, v3=agent.v3_only, proc=self.proc, host=host,
                                   prefix=self.prefix, timeout=timeout)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        if self.log is not None:
            self.log.close()
            self.log = None


class SnmpsimAgent(SnmpsimProcess):
    """snmpsim serving `devices` ({community: snmprec text}); v2c plus a v3 authPriv SHA/AES user.

    It listens on each of `hosts` (IPv4 or IPv6 addresses) at one port, run under
    `prefix` when given (`ip netns exec NAME` for an agent in a network namespace)."""

    def __init__(self, root: Path, devices: dict, v3_only: bool = False, hosts=("127.0.0.1",), prefix=(), port=None):
        self.hosts = tuple(hosts)
        self.prefix = tuple(prefix)
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_udp_port()
        self.v3_only = v3_only
        for community, text in devices.items():
            self.write_device(community, text)
        self.first_community = next(iter(devices))

    def write_device(self, community: str, text: str) -> None:
        (self.data_dir / f"{community}.snmprec").write_text(text, encoding="utf-8")

    def engine_options(self) -> list:
        """The options of this agent's SNMP engine: its data, its addresses, its v3 users."""
        return [f"--data-dir={self.data_dir}",
                *(f"--agent-udpv6-endpoint=[{h}]:{self.port}" if ":" in h else f"--agent-udpv4-endpoint={h}:{self.port}"
                  for h in self.hosts),
                f"--v3-user={V3_USER}", f"--v3-auth-key={V3_AUTH_KEY}", "--v3-auth-proto=SHA",
                f"--v3-priv-key={V3_PRIV_KEY}", "--v3-priv-proto=AES",
                f"--v3-user={V3_AUTH_ONLY_USER}", f"--v3-auth-key={V3_AUTH_KEY}", "--v3-auth-proto=SHA256"]

    def engines(self) -> list:
        return [self]

    def command(self) -> list:
        cmd = [*self.responder(), *self.engine_options()]
        if self.v3_only:
            cmd.append("--v3-only")
        return cmd

    def pause(self) -> None:
        """Stop answering (SIGSTOP): requests time out, like a device gone from the network."""
        self.proc.send_signal(19)

    def resume(self) -> None:
        self.proc.send_signal(18)

    def restart(self) -> None:
        self.stop()
        self.start()

    def machine(self, community: str, **extra) -> dict:
        """A v2c machine file for one of the simulated devices. Its timeout leaves snmpsim
        (Python, sharing the cores with the other test workers) 2 s to answer; a test
        about a silent device sets the timeout it counts on."""
        config = {"host": self.hosts[0], "port": self.port,
                  "snmp": {"version": "2c", "community": community}, "interval": 5,
                  "timeout": 2, "retries": 0}
        config.update(extra)
        return config

    def v3_machine(self, community: str, auth_only: bool = False, **extra) -> dict:
        """A v3 machine file: authPriv SHA/AES, or authNoPriv SHA-256 with auth_only."""
        config = self.machine(community, **extra)
        if auth_only:
            config["snmp"] = {"version": "3", "user": V3_AUTH_ONLY_USER, "auth_protocol": "SHA256",
                              "auth_key": V3_AUTH_KEY, "context": community}
        else:
            config["snmp"] = {"version": "3", "user": V3_USER, "auth_protocol": "SHA", "auth_key": V3_AUTH_KEY,
                              "priv_protocol": "AES", "priv_key": V3_PRIV_KEY, "context": community}
        return config


class SnmpsimFleet(SnmpsimProcess):
    """Several SnmpsimAgents served by one snmpsim process, an SNMP engine each (its own
    data, addresses and engine ID): a fleet of simulated devices for the cost of one
    start. The agents are not paused or restarted one by one; the fleet stops as one.
    v2c agents only (the fleet waits for each with a v2c GET)."""

    def __init__(self, root: Path, agents: list):
        self.root, self.agents = Path(root), list(agents)
        self.root.mkdir(parents=True, exist_ok=True)

    def engines(self) -> list:
        return self.agents

    def command(self) -> list:
        cmd = self.responder()
        for agent in self.agents:
            cmd += ["--v3-engine-id", "auto", *agent.engine_options()]
        return cmd


class SnmpdAgent:
    """Debian's net-snmp snmpd, unprivileged features only, on a loopback port."""

    def __init__(self, root: Path, communities=("public",)):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_udp_port()
        self.communities = list(communities)
        self.conf = self.root / "snmpd.conf"
        lines = [f"rocommunity {c} 127.0.0.1" for c in self.communities]
        lines += ["sysName vigie-snmpd", "sysLocation loopback test"]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = None

    def start(self) -> "SnmpdAgent":
        if shutil.which("snmpd") is None and not Path("/usr/sbin/snmpd").exists():
            raise RuntimeError("snmpd is not installed (Debian package snmpd)")
        cmd = ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(self.conf),
               "-p", str(self.root / "snmpd.pid"), f"udp:127.0.0.1:{self.port}"]
        self.log = open(self.root / "snmpd.log", "ab")
        env = {**os.environ, "MIBS": "", "SNMPCONFPATH": str(self.root)}
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_agent(self.port, self.communities[0], proc=self.proc)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()

    def machine(self, community=None, **extra) -> dict:
        config = {"host": "127.0.0.1", "port": self.port,
                  "snmp": {"version": "2c", "community": community or self.communities[0]},
                  "interval": 5, "timeout": 1, "retries": 1}
        config.update(extra)
        return config
