"""The collector against real SNMP agents (snmpsim) on 127.0.0.1.

Each test starts its own snmpsim with the devices it needs; polls go through
`python -m collector.poll --once`'s main(), so samples and alert state travel
through the files exactly as between two runs of the real command.
"""

import json
import time

import pytest

from collector import poll, status
from vigie import samples as samples_lib
from vigie import simulated_devices as sim
from vigie.alert_file import parse
from tests.support.snmp_agents import SnmpsimAgent

pytestmark = pytest.mark.slow

KB = 1000


class Site:
    """Folders of one collector run and helpers to read what it wrote."""

    def __init__(self, root):
        self.machines = root / "machines"
        self.alertfiles = root / "alertfiles"
        self.samples_dir = root / "samples"
        self.machines.mkdir()

    def add(self, name, config):
        (self.machines / f"{name}.json").write_text(json.dumps(config))

    def poll(self):
        return poll.main(["--once", "-q", "--machines", str(self.machines), "--alertfiles",
                          str(self.alertfiles), "--samples", str(self.samples_dir)])

    def samples(self, name):
        """What every reader sees of the machine (vigie.samples.read_current)."""
        return samples_lib.read_current(self.samples_dir, name)

    def fine(self, name):
        return samples_lib.read_archive(self.samples_dir, name, samples_lib.FINE)

    def files_text(self, name):
        return "".join(p.read_text() for p in [self.samples_dir / f"{name}.json",
                                               *sorted((self.samples_dir / name).iterdir())])

    def counters(self, name, key):
        return json.loads((self.samples_dir / name / "now.json").read_text())["counters"][key]

    def alerts(self):
        if not self.alertfiles.exists():
            return []
        return sorted((parse(p.read_text(encoding="utf-8")) for p in self.alertfiles.glob("*.txt")),
                      key=lambda r: (r["timestamp"], r["server"], r["message"]))

    def rates(self, name):
        return {i["name"]: (i["in_bps"], i["out_bps"]) for i in self.samples(name)["interfaces"]}


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


def start_agent(tmp_path, devices, **kw):
    return SnmpsimAgent(tmp_path / "snmpsim", devices, **kw).start()


@pytest.fixture
def agents():
    started = []
    yield started
    for agent in started:
        agent.stop()


def two_polls(site, gap=1.5):
    assert site.poll() == 0
    time.sleep(gap)
    assert site.poll() == 0


def test_v2c_device_64bit_rates_and_discovery(tmp_path, site, agents):
    ifs = [sim.interface(1, "ge-0/0/0", 1_000_000_000, 125 * KB, 250 * KB, alias="uplink"),
           sim.interface(2, "ge-0/0/1", 10_000_000_000, 0, 0, oper_status="down")]
    agent = start_agent(tmp_path, {"core-1": sim.device_snmprec("core-1", ifs)})
    agents.append(agent)
    site.add("core-1", agent.machine("core-1"))
    two_polls(site)
    samples = site.samples("core-1")
    eth = {i["name"]: i for i in samples["interfaces"]}
    assert eth["ge-0/0/0"]["counter_bits"] == 64 and eth["ge-0/0/0"]["alias"] == "uplink"
    assert eth["ge-0/0/1"]["speed_bps"] == 10_000_000_000 and eth["ge-0/0/1"]["oper_status"] == "down"
    assert eth["ge-0/0/0"]["in_bps"] == pytest.approx(1_000_000, rel=0.1)
    assert eth["ge-0/0/0"]["out_bps"] == pytest.approx(2_000_000, rel=0.1)
    assert samples["status"]["state"] == "up" and samples["status"]["sys_name"] == "core-1"
    assert site.fine("core-1")[-1]["if"]["ge-0/0/0"][samples_lib.IN] == pytest.approx(1_000_000, rel=0.1)
    assert "public" not in site.files_text("core-1")
    assert site.alerts() == []


def test_32bit_only_device_uses_ifInOctets_and_unwraps(tmp_path, site, agents):
    # the simulated counters pass 2**32 ten seconds after snmpsim starts
    rate = 1_000 * KB
    initial = 2 ** 32 - 10 * rate
    ifs = [sim.interface(1, "eth0", 100_000_000, rate, rate // 2, initial_octets=initial)]
    agent = start_agent(tmp_path, {"old-switch": sim.device_snmprec("old-switch", ifs, counter_bits=32)})
    agents.append(agent)
    site.add("old-switch", agent.machine("old-switch"))
    assert site.poll() == 0
    first = site.counters("old-switch", "eth0")[samples_lib.COUNTER_IN]
    assert first > initial, "agent too slow to start: the counter wrapped before the first poll"
    time.sleep((2 ** 32 - first) / rate + 0.5)
    assert site.poll() == 0
    samples = site.samples("old-switch")
    second = site.counters("old-switch", "eth0")[samples_lib.COUNTER_IN]
    assert samples["interfaces"][0]["counter_bits"] == 32
    assert second < first, "the simulated counter should have wrapped between the polls"
    in_bps, out_bps = site.rates("old-switch")["eth0"]
    assert in_bps == pytest.approx(8_000_000, rel=0.1)
    assert out_bps == pytest.approx(4_000_000, rel=0.1)


def test_snmpv1_device_walks_with_getnext_and_uses_32bit_counters(tmp_path, site, agents):
    ifs = [sim.interface(1, "eth0", 100_000_000, 100 * KB, 50 * KB), sim.interface(2, "eth1", 100_000_000, 0, 0)]
    agent = start_agent(tmp_path, {"old-hub": sim.device_snmprec("old-hub", ifs, counter_bits=64)})
    agents.append(agent)
    config = agent.machine("old-hub")
    config["snmp"]["version"] = "1"
    site.add("old-hub", config)
    two_polls(site)
    samples = site.samples("old-hub")
    assert [(i["name"], i["counter_bits"]) for i in samples["interfaces"]] == [("eth0", 32), ("eth1", 32)]
    assert site.rates("old-hub")["eth0"][0] == pytest.approx(800_000, rel=0.1)


def test_v3_only_agent_authpriv_sha_aes(tmp_path, site, agents):
    ifs = [sim.interface(1, "wan0", 1_000_000_000, 50 * KB, 10 * KB)]
    agent = start_agent(tmp_path, {"secure-fw": sim.device_snmprec("secure-fw", ifs)}, v3_only=True)
    agents.append(agent)
    site.add("secure-fw", agent.v3_machine("secure-fw"))
    site.add("secure-fw-authnopriv", agent.v3_machine("secure-fw", auth_only=True))
    site.add("secure-fw-v2c", agent.machine("secure-fw"))     # the same agent refuses v2c
    two_polls(site)
    assert site.samples("secure-fw")["status"]["state"] == "up"
    assert site.samples("secure-fw-authnopriv")["status"]["state"] == "up"
    assert site.rates("secure-fw")["wan0"][0] == pytest.approx(400_000, rel=0.1)
    assert site.samples("secure-fw-v2c")["status"]["state"] == "down"
    text = site.files_text("secure-fw")
    assert "auth-secret" not in text and "priv-secret" not in text


def test_v3_keys_from_environment_and_file(tmp_path, site, agents, monkeypatch):
    ifs = [sim.interface(1, "wan0", 1_000_000_000, 50 * KB, 10 * KB)]
    agent = start_agent(tmp_path, {"fw": sim.device_snmprec("fw", ifs)}, v3_only=True)
    agents.append(agent)
    config = agent.v3_machine("fw")
    key_file = tmp_path / "priv.key"
    key_file.write_text(config["snmp"]["priv_key"] + "\n")
    key_file.chmod(0o600)
    monkeypatch.setenv("VIGIE_TEST_AUTH", config["snmp"]["auth_key"])
    config["snmp"]["auth_key"] = {"env": "VIGIE_TEST_AUTH"}
    config["snmp"]["priv_key"] = {"file": str(key_file)}
    site.add("fw", config)
    assert site.poll() == 0
    assert site.samples("fw")["status"]["state"] == "up"


def test_reboot_gives_gap_then_rates_again(tmp_path, site, agents):
    ifs = [sim.interface(1, "eth0", 1_000_000_000, 100 * KB, 100 * KB, initial_octets=10 ** 12)]
    agent = start_agent(tmp_path, {"rtr": sim.device_snmprec("rtr", ifs)})
    agents.append(agent)
    site.add("rtr", agent.machine("rtr"))
    time.sleep(1.5)                     # let uptime grow past what it will be after the restart
    two_polls(site, gap=1.0)
    assert site.rates("rtr")["eth0"][0] == pytest.approx(800_000, rel=0.1)
    agent.restart()                     # counters and sysUpTime start again from zero
    assert site.poll() == 0
    assert site.rates("rtr")["eth0"] == (None, None)
    time.sleep(1.5)
    assert site.poll() == 0
    assert site.rates("rtr")["eth0"][0] == pytest.approx(800_000, rel=0.1)
    assert all(x["if"]["eth0"][samples_lib.IN] is None or x["if"]["eth0"][samples_lib.IN] < 1_000_000
               for x in site.fine("rtr"))
    assert site.alerts() == []


def test_silent_device_goes_down_once_without_delaying_others(tmp_path, site, agents):
    ifs = [sim.interface(1, "eth0", 1_000_000_000, 10 * KB, 10 * KB)]
    healthy = start_agent(tmp_path / "a", {"healthy": sim.device_snmprec("healthy", ifs)})
    flaky = start_agent(tmp_path / "b", {"flaky": sim.device_snmprec("flaky", ifs)})
    agents += [healthy, flaky]
    site.add("healthy", healthy.machine("healthy"))
    site.add("flaky", flaky.machine("flaky", timeout=1, retries=1, down_after=2,
                                    tags={"provider": "NetOps", "environment": "prod", "application": "edge"}))
    assert site.poll() == 0
    flaky.pause()
    timings = []
    for _ in range(3):
        started = time.time()
        assert site.poll() == 0
        timings.append(((site.samples_dir / "healthy" / "now.json").stat().st_mtime - started,
                        (site.samples_dir / "flaky" / "now.json").stat().st_mtime - started))
    # the silent device costs its own timeout x (retries + 1) = 2 s; the healthy one is done long before
    assert all(flaky >= 2.0 for _, flaky in timings), timings
    assert all(healthy < flaky - 1.0 for healthy, flaky in timings), f"the healthy machine waited: {timings}"
    samples = site.samples("flaky")
    assert samples["status"]["state"] == "down"
    assert samples["status"]["consecutive_failures"] == 3
    alerts = site.alerts()
    assert [(a["server"], a["severity"]) for a in alerts] == [("flaky", "CRITICAL")]
    assert alerts[0]["provider"] == "NetOps" and alerts[0]["environment"] == "prod"
    flaky.resume()
    time.sleep(0.5)
    assert site.poll() == 0
    assert site.poll() == 0
    assert site.samples("flaky")["status"]["state"] == "up"
    assert [a["severity"] for a in site.alerts()] == ["CRITICAL", "INFO"]
    assert site.samples("healthy")["status"]["state"] == "up"


def test_interface_down_and_reindex_after_restart(tmp_path, site, agents):
    before = [sim.interface(1, "eth0", 1_000_000_000, 10 * KB, 10 * KB),
              sim.interface(2, "eth1", 1_000_000_000, 10 * KB, 10 * KB)]
    agent = start_agent(tmp_path, {"sw": sim.device_snmprec("sw", before)})
    agents.append(agent)
    site.add("sw", agent.machine("sw", tags={"application": "lan"}))
    two_polls(site, gap=1.0)
    after = [sim.interface(1, "eth0", 1_000_000_000, 10 * KB, 10 * KB, oper_status="down"),
             sim.interface(2, "eth2", 1_000_000_000, 10 * KB, 10 * KB),
             sim.interface(3, "eth1", 1_000_000_000, 10 * KB, 10 * KB)]
    agent.stop()
    agent.write_device("sw", sim.device_snmprec("sw", after))
    agent.start()
    assert site.poll() == 0
    samples = site.samples("sw")
    assert [(i["index"], i["name"], i["oper_status"]) for i in samples["interfaces"]] == \
        [(1, "eth0", "down"), (2, "eth2", "up"), (3, "eth1", "up")]
    fine = site.fine("sw")
    assert sorted(fine[-1]["if"]) == ["eth0", "eth1", "eth2"]
    # eth1 moved from ifIndex 2 to 3: one series under its name, before and after
    assert all("eth1" in line["if"] for line in fine) and len(fine) == 3
    alerts = site.alerts()
    assert [(a["severity"], a["message"]) for a in alerts] == [("ERROR", "Interface eth0 is down")]
    assert alerts[0]["application"] == "lan"
    assert site.poll() == 0
    assert len(site.alerts()) == 1


def test_renumbered_interfaces_continue_their_graphs_under_their_names(tmp_path, site, agents):
    """A reboot that swaps two ports' ifIndex: each port's series and graph carry on under
    its name, with its own rates, never the other port's counters."""
    from site_builder import series
    from site_builder.build import build
    from site_builder.graphs import graph_id
    before = [sim.interface(1, "ge-0/0/0", 1_000_000_000, 10 * KB, 10 * KB),
              sim.interface(2, "ge-0/0/1", 1_000_000_000, 20 * KB, 20 * KB),
              sim.interface(3, "ge-0/0/2", 1_000_000_000, 80 * KB, 80 * KB)]
    agent = start_agent(tmp_path, {"sw": sim.device_snmprec("sw", before)})
    agents.append(agent)
    site.add("sw", agent.machine("sw"))
    two_polls(site)
    swapped = [dict(before[0]), dict(before[2], index=2), dict(before[1], index=3)]
    agent.stop()
    agent.write_device("sw", sim.device_snmprec("sw", swapped))
    agent.start()
    two_polls(site)
    view = site.samples("sw")
    assert sorted((i["name"], i["index"]) for i in view["interfaces"]) == [("ge-0/0/0", 1), ("ge-0/0/1", 3),
                                                                          ("ge-0/0/2", 2)]
    fine = site.fine("sw")
    assert len(fine) == 4 and all(sorted(x["if"]) == ["ge-0/0/0", "ge-0/0/1", "ge-0/0/2"] for x in fine)
    assert fine[2]["if"]["ge-0/0/1"] == [None, None]              # the reboot: a gap, not a spike
    for name, rate in (("ge-0/0/1", 160_000), ("ge-0/0/2", 640_000)):
        assert [x["if"][name][samples_lib.IN] for x in (fine[1], fine[3])] == [pytest.approx(rate, rel=0.2)] * 2
    www = tmp_path / "www"
    build(site.machines, site.samples_dir, tmp_path / "vigie.db", www)
    files = www / "machines" / "sw"
    assert sorted(p.name for p in files.glob("*.fine.json")) == sorted(      # one graph a name, none an index
        [f"{graph_id('interface', i['name'])}.fine.json" for i in before]
        + [f"{graph_id('oid', 'errors:' + i['name'])}.fine.json" for i in before])   # and its errors
    eth1 = json.loads((files / f"{graph_id('interface', 'ge-0/0/1')}.fine.json").read_text())
    points = series.unpack_u16(eth1["in"])
    assert eth1["points"] == 4 and points[2] is None
    assert [points[i] for i in (1, 3)] == [pytest.approx(160_000, rel=0.2)] * 2


def test_utilisation_over_threshold_alerts_once(tmp_path, site, agents):
    ifs = [sim.interface(1, "dsl0", 10_000_000, 1_200 * KB, 10 * KB)]    # 9.6 of 10 Mbit/s
    agent = start_agent(tmp_path, {"cpe": sim.device_snmprec("cpe", ifs)})
    agents.append(agent)
    site.add("cpe", agent.machine("cpe", threshold_percent=80))
    two_polls(site, gap=1.5)
    time.sleep(1.0)
    assert site.poll() == 0
    assert [(a["severity"], a["server"]) for a in site.alerts()] == [("WARNING", "cpe")]
    assert "dsl0" in site.alerts()[0]["message"]


def test_selected_interfaces_and_extra_oids(tmp_path, site, agents):
    ifs = [sim.interface(i, f"port{i}", 1_000_000_000, i * KB, KB) for i in range(1, 5)]
    extra = {"1.3.6.1.4.1.2021.10.1.5.1": "2|37",
             "1.3.6.1.4.1.99999.1.0": "70:numeric|rate=50,initial=0"}
    agent = start_agent(tmp_path, {"srv": sim.device_snmprec("srv", ifs, extra=extra)})
    agents.append(agent)
    site.add("srv", agent.machine("srv", interfaces=["port2", 4], oids={
        "cpu_load": "1.3.6.1.4.1.2021.10.1.5.1",
        "jobs": {"oid": ".1.3.6.1.4.1.99999.1.0", "type": "counter", "unit": "jobs/s"},
        "missing": "1.3.6.1.4.1.99999.7.0"}))
    two_polls(site)
    samples = site.samples("srv")
    assert [i["name"] for i in samples["interfaces"]] == ["port2", "port4"]
    assert samples["oids"]["cpu_load"]["last"] == 37
    assert samples["oids"]["jobs"]["last"] == pytest.approx(50, rel=0.15)
    assert samples["oids"]["missing"]["last"] is None


def test_bad_machine_file_is_named_and_others_still_run(tmp_path, site, agents):
    ifs = [sim.interface(1, "eth0", 1_000_000_000, KB, KB)]
    agent = start_agent(tmp_path, {"ok": sim.device_snmprec("ok", ifs)})
    agents.append(agent)
    site.add("ok", agent.machine("ok"))
    (site.machines / "broken.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {"version": "2c"}, "interval": 1}))
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines", str(site.machines),
                             "--alertfiles", str(site.alertfiles), "--samples", str(site.samples_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "broken.json" in result.stderr and "community" in result.stderr
    assert site.samples("ok")["status"]["state"] == "up"
    assert not (site.samples_dir / "broken.json").exists()
    # status --json reads what the collector wrote, without any secret
    import io
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert status.main(["--json", "--machines", str(site.machines), "--samples", str(site.samples_dir)]) == 0
    listed = json.loads(out.getvalue())
    assert [m["name"] for m in listed] == ["ok"]
    assert listed[0]["status"] == "up" and listed[0]["interfaces"][0]["name"] == "eth0"
    assert set(listed[0]["interfaces"][0]) == {"index", "name", "oper_status", "in_bps", "out_bps"}
    assert "ok\"" not in out.getvalue().replace('"ok"', "") and agent.machine("ok")["snmp"]["community"] == "ok"


def test_a_device_with_more_interfaces_than_a_machine_may_have_is_cut_and_says_so(tmp_path, site, agents, capfd):
    count = samples_lib.MAX_INTERFACES + 20
    ifs = [sim.interface(i, f"port{i}", 1_000_000_000, KB, KB) for i in range(1, count + 1)]
    agent = start_agent(tmp_path, {"chassis": sim.device_snmprec("chassis", ifs)})
    agents.append(agent)
    site.add("chassis", agent.machine("chassis", timeout=5))
    two_polls(site, gap=1.0)
    samples = site.samples("chassis")
    assert len(samples["interfaces"]) == samples_lib.MAX_INTERFACES
    assert samples["interfaces"][-1]["name"] == f"port{samples_lib.MAX_INTERFACES}"
    assert samples["notices"] and f"{count} interfaces" in samples["notices"][0]
    assert len(site.fine("chassis")[-1]["if"]) == samples_lib.MAX_INTERFACES
    err = capfd.readouterr().err
    assert err.count(f"{count} interfaces to watch") == 1          # said once, not at every poll
