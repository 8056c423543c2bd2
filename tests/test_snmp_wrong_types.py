"""A device answering values of the wrong SNMP type, served by a real snmpsim.

Text where sysUpTime or a 64-bit counter belongs used to raise TypeError at
every poll: the machine stayed "up" with a stale last-seen, no alert, no
last_error, and a traceback per interval.
"""

import json
import time

import pytest

from collector import poll
from tests.support.snmp_agents import SnmpsimAgent
from vigie import simulated_devices as sim
from vigie.alert_file import parse
from vigie.samples import read_current

pytestmark = pytest.mark.slow

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_HC_IN_OCTETS_1 = "1.3.6.1.2.1.31.1.1.1.6.1"


def device(sys_name, wrong=None):
    """snmprec text of a one-interface device; `wrong` replaces whole records: {oid: "tag|value"}."""
    text = sim.device_snmprec(sys_name, [sim.interface(1, "ge-0/0/0", 1_000_000_000, 1000, 2000)])
    lines = []
    for line in text.splitlines():
        oid = line.split("|", 1)[0]
        lines.append(f"{oid}|{wrong[oid]}" if wrong and oid in wrong else line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def agent(tmp_path):
    started = SnmpsimAgent(tmp_path / "snmpsim", {  # the first one answers the start-up probe of sysUpTime
        "counter-text": device("counter-text", {IF_HC_IN_OCTETS_1: "4|many octets"}),
        "uptime-text": device("uptime-text", {SYS_UPTIME: "4|forty-two days"}),
    }).start()
    yield started
    started.stop()


def run_poll(tmp_path):
    return poll.main(["--once", "--machines", str(tmp_path / "machines"), "--alertfiles", str(tmp_path / "alerts"),
                      "--samples", str(tmp_path / "samples")])


def status_of(tmp_path, name):
    return read_current(tmp_path / "samples", name)["status"]


def alerts(tmp_path):
    return sorted((parse(p.read_text(encoding="utf-8")) for p in (tmp_path / "alerts").glob("*.txt")),
                  key=lambda r: (r["server"], r["timestamp"], r["message"]))


def test_wrong_types_give_an_error_state_and_one_alert_without_traceback(tmp_path, agent, capfd):
    (tmp_path / "machines").mkdir()
    names = {"uptime-text": "sysUpTime.0", "counter-text": "ifHCInOctets.1"}
    for name in names:
        (tmp_path / "machines" / f"{name}.json").write_text(json.dumps(agent.machine(name, down_after=2)))
    for _ in range(3):
        assert run_poll(tmp_path) == 0
    for name, object_name in names.items():
        status = status_of(tmp_path, name)
        assert status["state"] == "down" and status["consecutive_failures"] == 3
        assert f"{object_name} (" in status["last_error"] and "where a number of 0 or more is expected" in \
            status["last_error"]
        assert status["last_seen"] is None
    found = alerts(tmp_path)
    assert [(a["server"], a["severity"]) for a in found] == [("counter-text", "CRITICAL"), ("uptime-text", "CRITICAL")]
    for alert in found:
        assert names[alert["server"]] in alert["message"]
    err = capfd.readouterr().err
    assert "Traceback" not in err and "TypeError" not in err
    for name, object_name in names.items():  # the first failure and the change to down, not every poll
        told = [line for line in err.splitlines() if f"{name}:" in line and f"wrong type: {object_name}" in line]
        assert len(told) == 2 and all(f"127.0.0.1:{agent.port}: unusable answer" in line for line in told), told

    # the device fixed: up again, with one alert saying so
    agent.write_device("uptime-text", device("uptime-text"))
    agent.restart()
    time.sleep(0.2)
    assert run_poll(tmp_path) == 0
    assert status_of(tmp_path, "uptime-text")["state"] == "up"
    assert status_of(tmp_path, "uptime-text")["last_error"] is None
    told = {a["severity"]: a["timestamp"] for a in alerts(tmp_path) if a["server"] == "uptime-text"}
    assert sorted(told) == ["CRITICAL", "INFO"] and told["CRITICAL"] <= told["INFO"]  # one second may hold both
