"""Health of recorded devices served by snmpsim: two real Cisco Catalyst walks (from the
snmpsim-data collection, tests/fixtures/snmprec/), a switch answering ENTITY-SENSOR-MIB,
and a device that offers no health at all."""

import json
import time
from pathlib import Path

import pytest

from vigie import metrics
from vigie import samples as sl
from vigie import simulated_devices as sim
from vigie.alert_file import parse
from tests.support.collector_site import CollectorSite
from tests.support.snmp_agents import SnmpsimAgent

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures" / "snmprec"
Site = CollectorSite


@pytest.fixture
def agents():
    started = []
    yield started
    for agent in started:
        agent.stop()


def start(tmp_path, agents, devices):
    agent = SnmpsimAgent(tmp_path / "snmpsim", devices).start()
    agents.append(agent)
    return agent


def test_recorded_cisco_switches_show_temperatures_fans_and_supplies_with_their_units(tmp_path, agents):
    devices = {name: (FIXTURES / f"{name}.snmprec").read_text() for name in ("cisco-c3750", "cisco-c3560")}
    agent = start(tmp_path, agents, devices)
    site = Site(tmp_path)
    for name in devices:
        site.add(name, agent.machine(name, timeout=2, retries=1))
    site.poll_until_health("cisco-c3750", "cpu")
    site.poll_until_health("cisco-c3560", "cpu")
    c3750 = site.view("cisco-c3750")["health"]
    temperature = c3750["sensor:Gi1/0/1 Module Temperature Sensor"]
    assert (temperature["last"], temperature["unit"], temperature["status"]) == (41.9, "°C", "ok")
    assert temperature["source"] == "CISCO-ENTITY-SENSOR-MIB"
    assert c3750["sensor:Gi1/0/1 Supply Voltage Sensor"]["last"] == 3.34
    assert c3750["sensor:Gi1/0/1 Supply Voltage Sensor"]["unit"] == "V"
    current = c3750["sensor:Gi1/0/1 Bias Current Sensor"]
    assert (current["last"], current["unit"]) == (19.5, "mA")
    assert c3750["sensor:Gi1/0/1 Transmit Power Sensor"]["last"] == -6.0
    assert c3750["sensor:Gi1/0/1 Transmit Power Sensor"]["unit"] == "dBm"
    fan = c3750["fan:Switch#1, Fan#1"]
    assert (fan["status"], fan["unit"], fan["last"]) == ("normal", "", None) and fan["state_only"]
    assert c3750["supply:Sw1, PS1 Normal, RPS NotExist"]["status"] == "normal"
    assert c3750["cpu"]["last"] == 64 and c3750["cpu"]["source"] == "CISCO-PROCESS-MIB"
    processor = c3750["memory:Processor"]
    assert processor["size"] == 33_385_580 + 46_331_200 and processor["percent"] == pytest.approx(41.88, abs=0.01)
    c3560 = site.view("cisco-c3560")["health"]
    assert c3560["sensor:SW#1, Sensor#1, YELLOW"]["last"] == 61
    assert c3560["sensor:SW#1, Sensor#1, YELLOW"]["unit"] == "°C"
    assert site.view("cisco-c3750")["status"]["state"] == "up"
    # the recorded 3560 was running warm: its own state for that sensor is warning(2), an alert
    [alert] = [parse(p.read_text()) for p in site.alertfiles.glob("*.txt")]
    assert (alert["server"], alert["severity"], alert["fingerprint"]) == (
        "cisco-c3560", "WARNING", "snmp:health:cisco-c3560:sensor:SW#1, Sensor#1, YELLOW")
    assert alert["message"] == "Sensor SW#1, Sensor#1, YELLOW: status warning (61 °C)"

    page = site.page("cisco-c3750")
    assert "41.9 °C</td>" in page and "3.34 V</td>" in page and "-6 dBm</td>" in page
    assert '<span class="state state-up">normal</span>' in page
    assert 'data-health="fan:Switch#1, Fan#1"' in page
    exposition = metrics.exposition(site.machines, site.samples).decode()
    assert ('vigie_health_value{machine="cisco-c3750",metric="sensor:Gi1/0/1 Module Temperature '
            'Sensor",family="sensor",unit="celsius"} 41.9') in exposition
    assert 'vigie_health_status_ok{machine="cisco-c3750",metric="fan:Switch#1, Fan#1",status="normal"} 1' in exposition


def test_a_switch_tells_its_fans_in_rpm_and_its_temperatures_in_degrees(tmp_path, agents):
    text = sim.device_snmprec("edge", [sim.interface(1, "ge-0/0/0")], extra=sim.switch_sensors(moving_values=False))
    agent = start(tmp_path, agents, {"edge": text})
    site = Site(tmp_path)
    site.add("edge", agent.machine("edge"))
    site.poll_until_health("edge", "sensor:Cpu temp sensor")
    health = site.view("edge")["health"]
    assert (health["sensor:Fan Tray 1 Fan 1 Sensor 1"]["last"], health["sensor:Fan Tray 1 Fan 1 Sensor 1"]["unit"]) \
        == (6240, "RPM")
    assert (health["sensor:Cpu temp sensor"]["last"], health["sensor:Cpu temp sensor"]["unit"]) == (45.2, "°C")
    assert health["sensor:Power Supply 1 Output Voltage 12V"]["last"] == 12.04
    assert health["sensor:Power Supply 1 Output Power"]["unit"] == "W"
    page = site.page("edge")
    assert "6240 RPM</td>" in page and "45.2 °C</td>" in page
    assert "Sensors: Fan Tray 1 Fan 1 Sensor 1 (RPM)" in page


def test_a_device_offering_no_health_has_no_health_graphs_and_no_error(tmp_path, agents):
    agent = start(tmp_path, agents, {"plain": sim.device_snmprec("plain", [sim.interface(1, "eth0")])})
    site = Site(tmp_path)
    site.add("plain", agent.machine("plain"))
    site.poll()
    site.poll()
    view = site.view("plain")
    assert view["health"] == {} and view["notices"] == [] and view["status"]["last_error"] is None
    assert view["status"]["state"] == "up"
    assert all("health" not in line for line in sl.read_archive(site.samples, "plain", sl.FINE))
    page = site.page("plain")
    assert 'id="health"' not in page and "health-" not in page
    assert not list(site.alertfiles.glob("*.txt"))


def test_health_false_walks_and_polls_nothing_of_it(tmp_path, agents):
    text = sim.device_snmprec("srv", [sim.interface(1, "eth0")], extra=sim.host_records())
    agent = start(tmp_path, agents, {"srv": text})
    site = Site(tmp_path)
    site.add("srv", agent.machine("srv", health=False))
    site.poll()
    assert site.view("srv")["health"] == {}
    site.add("srv", agent.machine("srv", health=["memory", "storage:/var"]))
    site.poll_until_health("srv", "storage:/var")
    health = site.view("srv")["health"]
    assert list(health) == ["memory", "storage:/var"] and health["storage:/var"]["unit"] == "B"
    assert 0 < health["storage:/var"]["percent"] < 100


def test_make_runs_simulated_devices_show_health_that_moves_from_the_first_minute(tmp_path, agents):
    devices = {f"sim-{seed}": sim.lively_device(f"sim-{seed}", 2, seed=seed) for seed in (0, 1)}
    agent = start(tmp_path, agents, devices)
    site = Site(tmp_path)
    for name in devices:
        site.add(name, agent.machine(name))
    site.poll_until_health("sim-0", "cpu")
    site.poll_until_health("sim-1", "sensor:Cpu temp sensor")
    first = {name: site.view(name)["health"] for name in devices}
    time.sleep(2.5)
    site.poll()
    second = {name: site.view(name)["health"] for name in devices}
    server, switch = second["sim-0"], second["sim-1"]
    assert {"cpu", "cpu:0", "memory", "storage:/", "storage:/var", "load:1min", "processes"} <= set(server)
    assert 0 <= server["cpu"]["last"] <= 100 and 0 < server["storage:/var"]["percent"] < 100
    assert switch["sensor:Fan Tray 1 Fan 1 Sensor 1"]["unit"] == "RPM" and "cpu" not in switch
    moved = [n for n in server if server[n]["last"] != first["sim-0"][n]["last"]]
    assert len(moved) >= 3, moved
    assert any(switch[n]["last"] != first["sim-1"][n]["last"] for n in switch)


def test_an_interface_rediscovery_keeps_the_health_walked_within_the_hour(tmp_path, agents):
    sensors = sim.switch_sensors(moving_values=False)
    agent = start(tmp_path, agents, {"edge": sim.device_snmprec("edge", [sim.interface(1, "ge-0/0/0")], extra=sensors)})
    site = Site(tmp_path)
    site.add("edge", agent.machine("edge"))
    site.poll_until_health("edge", "sensor:Cpu temp sensor")
    first = json.loads((site.samples / "edge" / "discovery.json").read_text())
    agent.write_device("edge", sim.device_snmprec("edge", [sim.interface(1, "ge-0/0/0"), sim.interface(2, "ge-0/0/1")],
                                                  extra=sensors))
    agent.restart()                      # a new ifNumber (and a reboot): the interfaces are walked again
    site.poll()
    again = json.loads((site.samples / "edge" / "discovery.json").read_text())
    assert len(again["interfaces"]) == 2 and again["time"] > first["time"]
    assert again["health_time"] == first["health_time"] and again["health"] == first["health"]
    assert "sensor:Cpu temp sensor" in site.health("edge")
