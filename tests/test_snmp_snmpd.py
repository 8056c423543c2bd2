"""The collector against Debian's net-snmp snmpd on a loopback port: real kernel counters."""

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from collector import poll
from vigie import samples as samples_lib
from tests.support.snmp_agents import SnmpdAgent

pytestmark = pytest.mark.slow
SYSFS = Path("/sys/class/net/lo/statistics")


def lo_bytes():
    return int((SYSFS / "rx_bytes").read_text()), int((SYSFS / "tx_bytes").read_text())


def push_through_loopback(total_bytes):
    """Send total_bytes over a TCP connection on 127.0.0.1."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def drain():
        conn, _ = server.accept()
        with conn:
            while conn.recv(1 << 16):
                pass

    reader = threading.Thread(target=drain)
    reader.start()
    chunk = b"x" * (1 << 16)
    with socket.create_connection(("127.0.0.1", port)) as client:
        for _ in range(total_bytes // len(chunk)):
            client.sendall(chunk)
    reader.join(10)
    server.close()


def counters(tmp_path):
    """lo's raw counters as the collector kept them after its last poll."""
    return json.loads((tmp_path / "samples" / "localhost" / "now.json").read_text())["counters"]["lo"]


@pytest.mark.skipif(not SYSFS.exists(), reason="no /sys/class/net/lo")
def test_lo_counters_match_the_kernel(tmp_path):
    rx_before, tx_before = lo_bytes()
    agent = SnmpdAgent(tmp_path / "snmpd").start()
    try:
        machines = tmp_path / "machines"
        machines.mkdir()
        (machines / "localhost.json").write_text(json.dumps(agent.machine(interfaces=["lo"])))
        args = ["--once", "-q", "--machines", str(machines), "--alertfiles", str(tmp_path / "alerts"),
                "--samples", str(tmp_path / "samples")]
        assert poll.main(args) == 0
        rx_after, tx_after = lo_bytes()
        samples = samples_lib.read_current(tmp_path / "samples", "localhost")
        lo = samples["interfaces"]
        assert [i["name"] for i in lo] == ["lo"] and lo[0]["counter_bits"] == 64
        first = counters(tmp_path)
        assert rx_before <= first[samples_lib.COUNTER_IN] <= rx_after
        assert tx_before <= first[samples_lib.COUNTER_OUT] <= tx_after
        assert samples["status"]["state"] == "up" and samples["status"]["sys_name"] == "vigie-snmpd"

        push_through_loopback(20_000_000)
        time.sleep(3.5)                     # snmpd refreshes interface counters about every 3 s
        assert poll.main(args) == 0
        samples = samples_lib.read_current(tmp_path / "samples", "localhost")
        second = counters(tmp_path)
        assert second[samples_lib.COUNTER_IN] - first[samples_lib.COUNTER_IN] >= 20_000_000
        assert second[samples_lib.COUNTER_IN] <= lo_bytes()[0]
        in_bps = samples["interfaces"][0]["in_bps"]
        assert in_bps is not None and in_bps >= 20_000_000 * 8 / 10
    finally:
        agent.stop()
