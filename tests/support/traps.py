"""Debian's snmptrapd on a loopback port, running `python -m collector.traps` for each trap.

    trapd = Snmptrapd(tmp_path, machines_dir, logs_dir, alertfiles_dir, samples_dir).start()
    send_trap(trapd.port, "linkDown", ["1.3.6.1.2.1.2.2.1.1.2", "i", "2"], version="2c")
    trapd.stop()

v2c traps use COMMUNITY; v3 traps the authPriv user V3_USER (SHA/AES) of engine V3_ENGINE.
"""

import subprocess
import sys
import time
from pathlib import Path

from tests.support.snmp_agents import free_udp_port, stop_process

COMMUNITY = "trap-s3cret"
V3_USER, V3_AUTH, V3_PRIV, V3_ENGINE = "vigie-traps", "trap-auth-pass", "trap-priv-pass", "0x8000000001020304"
TRAPS = {"coldStart": "1.3.6.1.6.3.1.1.5.1", "warmStart": "1.3.6.1.6.3.1.1.5.2", "linkDown": "1.3.6.1.6.3.1.1.5.3",
         "linkUp": "1.3.6.1.6.3.1.1.5.4", "authenticationFailure": "1.3.6.1.6.3.1.1.5.5"}


class Snmptrapd:
    def __init__(self, root, machines_dir, logs_dir, alertfiles_dir, samples_dir, handler_args=()):
        self.root = Path(root) / "snmptrapd"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_udp_port()
        handler = [sys.executable, "-m", "collector.traps", "--machines", machines_dir, "--logs", logs_dir,
                   "--alertfiles", alertfiles_dir, "--samples", samples_dir, *handler_args]
        self.conf = self.root / "snmptrapd.conf"
        self.conf.write_text("\n".join([
            f"authCommunity log,execute {COMMUNITY}",
            f"createUser -e {V3_ENGINE} {V3_USER} SHA {V3_AUTH} AES {V3_PRIV}",
            f"authUser log,execute {V3_USER} priv",
            "traphandle default " + " ".join(str(a) for a in handler),
        ]) + "\n")
        self.proc = None

    def start(self, timeout=15.0) -> "Snmptrapd":
        self.log_path = self.root / "snmptrapd.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["/usr/sbin/snmptrapd", "-f", "-Lo", "-C", "-c", str(self.conf), "-m", "",
             f"--persistentDir={self.root / 'persist'}", f"udp:127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while b"NET-SNMP version" not in self.log_path.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"snmptrapd did not start: {self.log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def send_trap(port: int, trap: str, variables=(), version="2c", community=COMMUNITY) -> None:
    """net-snmp's snmptrap sending one trap (a name of TRAPS or an OID) with `OID TYPE VALUE` triples."""
    oid = TRAPS.get(trap, trap)
    if version == "2c":
        auth = ["-v", "2c", "-c", community]
    else:
        auth = ["-v", "3", "-e", V3_ENGINE, "-u", V3_USER, "-l", "authPriv", "-a", "SHA", "-A", V3_AUTH,
                "-x", "AES", "-X", V3_PRIV]
    subprocess.run(["snmptrap", *auth, "-m", "", f"udp:127.0.0.1:{port}", "", oid, *variables],
                   check=True, timeout=10, capture_output=True)


def send_v1_trap(port: int, enterprise: str, agent: str, generic: int, specific: int, variables=(),
                 community=COMMUNITY) -> None:
    subprocess.run(["snmptrap", "-v", "1", "-c", community, "-m", "", f"udp:127.0.0.1:{port}", enterprise, agent,
                    str(generic), str(specific), "", *variables], check=True, timeout=10, capture_output=True)
