"""The "beyond one machine" recipe of docs/scaling.md, run: two collectors share one machines folder with
--shard, each with its own samples and drop folder; their watchers feed one API over HTTP; each
writes its shard's metrics file, served by a plain web server and scraped by Prometheus."""

import json
import subprocess
import sys

import pytest
import requests

from vigie import simulated_devices as sim
from vigie.shard import shard_of
from tests.support.api_server import start_api
from tests.support.prometheus import Prometheus, StaticServer, Target
from tests.support.snmp_agents import SnmpsimAgent
from tests.support.syslog import wait_until

DEVICES = [f"edge-{i}" for i in range(6)]


def run(*args):
    result = subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result


@pytest.mark.slow
@pytest.mark.waits
def test_two_collectors_one_api_one_prometheus(tmp_path):
    agent = SnmpsimAgent(tmp_path / "snmpsim", {name: sim.device_snmprec(name, [sim.interface(1, "eth0", 10 ** 9,
                                                                                                1000, 100)])
                                                for name in DEVICES}).start()
    api = start_api(tmp_path)
    machines = tmp_path / "machines"            # one folder, shared (NFS, git, rsync...)
    machines.mkdir()
    for name in DEVICES:
        (machines / f"{name}.json").write_text(json.dumps(agent.machine(name, interval=5)))
    dead = "edge-dead"                          # a device that never answers: its down alert must arrive
    (machines / f"{dead}.json").write_text(json.dumps(dict(agent.machine(dead), port=9, down_after=1)))
    token = tmp_path / "watcher.token"
    token.write_text(api.operator.token)
    token.chmod(0o600)
    servers = []
    try:
        for k in (1, 2):
            home = tmp_path / f"collector-{k}"
            (home / "alertfiles").mkdir(parents=True)
            for _ in range(2):                 # two polls: rates, and the dead device declared down
                run("collector.poll", "--once", "--shard", f"{k}/2", "--machines", machines, "--samples",
                    home / "samples", "--alertfiles", home / "alertfiles")
            run("collector.watch", "--once", "--dir", home / "alertfiles", "--api", api.url, "--token-file", token)
            (home / "www").mkdir()
            run("vigie.metrics", "--shard", f"{k}/2", "--machines", machines, "--samples", home / "samples",
                "--out", home / "www" / "metrics")
            servers.append(StaticServer(home / "www").start())
        prometheus = Prometheus(tmp_path, [Target(s.url, job=f"collector-{k}") for k, s in enumerate(servers, 1)])
        servers.append(prometheus.start())

        up = wait_until(lambda: (lambda r: r if len(r) == len(DEVICES) + 1 else None)(
            prometheus.query("vigie_machine_up")), timeout=30, what="every machine scraped once")
        by_job = {}
        for series in up:
            by_job.setdefault(series["metric"]["job"], []).append(series["metric"]["machine"])
        for k in (1, 2):
            assert sorted(by_job[f"collector-{k}"]) == sorted(n for n in DEVICES + [dead] if shard_of(n, 2) == k)
        assert {s["metric"]["machine"]: s["value"][1] for s in up} == dict({n: "1" for n in DEVICES}, **{dead: "0"})
        rates = prometheus.query("vigie_interface_in_bytes_per_second")
        assert len(rates) == len(DEVICES) and all(float(r["value"][1]) > 0 for r in rates)

        alerts = requests.get(f"{api.url}/api/alert", params={"server": dead}, headers=api.viewer.headers,
                              timeout=10).json()["results"]
        assert [a["severity"] for a in alerts] == ["CRITICAL"]
    finally:
        for server in servers:
            server.stop()
        api.stop()
        agent.stop()
