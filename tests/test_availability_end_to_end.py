"""End to end: a simulated device (snmpsim) polled by the real collector (its daemon,
every 5 s), stopped for a few polls then started again; the API under its real
server (gunicorn) answers /api/availability with the outage the collector saw, its
start and end within a poll of when the device stopped and started."""

import json
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.snmp_agents import SnmpsimAgent
from vigie import samples
from vigie import simulated_devices as sim
from vigie.utc import iso_from_unix

pytestmark = [pytest.mark.slow, pytest.mark.waits]

INTERVAL = 5
TIMEOUT = 0.5
SLACK = 2      # a poll's own time: its requests, the scheduler, writing the samples


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


@pytest.fixture
def world(tmp_path):
    agent = SnmpsimAgent(tmp_path / "snmpsim", {"edge-rt-02": sim.device_snmprec(
        "edge-rt-02", [sim.interface(1, "ge-0/0/0", 1_000_000_000, 1000, 1000)])}).start()
    samples_dir = tmp_path / "samples"
    server = start_api(tmp_path, settings={"samples": str(samples_dir)})
    (server.machines_dir / "edge-rt-02.json").write_text(json.dumps(agent.machine(
        "edge-rt-02", interval=INTERVAL, timeout=TIMEOUT, retries=0, down_after=2)))
    collector = subprocess.Popen(
        [sys.executable, "-m", "collector.poll", "-q", "--machines", str(server.machines_dir), "--samples",
         str(samples_dir), "--alertfiles", str(tmp_path / "alertfiles"), "--rescan", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield agent, server, samples_dir
    finally:
        collector.terminate()
        try:
            collector.wait(15)
        except subprocess.TimeoutExpired:
            collector.kill()
            collector.wait()
        server.stop()
        agent.stop()


def state(samples_dir):
    return samples.read_current(samples_dir, "edge-rt-02")["status"]["state"]


@pytest.mark.long
def test_a_device_stopped_then_started_is_one_outage_timed_within_a_poll(world):
    agent, server, samples_dir = world
    began = time.time()
    wait_until(lambda: state(samples_dir) == "up", 30, "the first answer")
    time.sleep(INTERVAL)                                  # up for a poll or two
    stopped = time.time()
    agent.pause()
    wait_until(lambda: state(samples_dir) == "down", 4 * INTERVAL, "the machine declared down")
    time.sleep(INTERVAL)
    started = time.time()
    agent.resume()
    wait_until(lambda: state(samples_dir) == "up", 3 * INTERVAL, "the machine up again")
    ended = time.time()

    answer = requests.get(server.url + "/api/availability", headers=server.viewer.headers, timeout=10, params={
        "from": iso_from_unix(began), "to": iso_from_unix(ended + 1), "machine": "edge-rt-02"})
    assert answer.status_code == 200, answer.text
    (machine,) = answer.json()["results"]
    (outage,) = machine["outages"]
    start, end = (datetime.fromisoformat(outage[k]).timestamp() for k in ("start", "end"))
    assert int(stopped) <= start <= stopped + INTERVAL + TIMEOUT + SLACK, (stopped, outage)
    assert int(started) <= end <= started + INTERVAL + SLACK, (started, outage)
    assert abs(outage["seconds"] - (started - stopped)) <= INTERVAL + SLACK
    assert outage["ended_by"] == "up"
    assert machine["seconds"]["down"] == outage["seconds"]
    assert 0 < machine["availability_percent"] < 100
    # the interface has no data while its machine did not answer, and no outage of its own
    (port,) = machine["interfaces"]
    assert port["interface"] == "ge-0/0/0" and port["outages"] == [] and port["availability_percent"] == 100.0
    assert port["seconds"]["no_data"] >= outage["seconds"]
