"""The Prometheus exposition (vigie/metrics.py): rendered on literal views and checked with Debian's
promtool, then for real: snmpsim polled by the collector, `python -m vigie.metrics` writing the file
a plain web server serves, and Debian's Prometheus scraping it and answering rate() queries."""

import json
import re
import subprocess
import sys
import time

import pytest

from vigie import metrics
from vigie import simulated_devices as sim
from vigie.samples import read_samples, samples_path
from tests.support.api_server import start_api
from tests.support.prometheus import Prometheus, StaticServer, Target, VictoriaMetrics
from tests.support.snmp_agents import SnmpsimAgent
from tests.support.syslog import wait_until

POLL_TIME = 1_795_903_720.25


def view(name="sw1", state="up", alias="uplink", **extra):
    base = {"name": name, "host": "192.0.2.1", "tags": {"application": "campus", "environment": "prod"},
            "state": state, "sys_name": "sw", "uptime_seconds": 1234, "consecutive_failures": 0,
            "last_poll": POLL_TIME, "last_seen": POLL_TIME, "poll_seconds": 0.12, "counters_time": POLL_TIME,
            "interfaces": [{"index": 1, "name": "eth0", "descr": "Ethernet 0", "alias": alias, "speed_bps": 10 ** 9,
                            "oper_status": "up", "admin_status": "up", "in_bps": 8000.0, "out_bps": 800.0,
                            "utilisation_percent": 0.0008, "in_octets": 123456789012, "out_octets": 42}],
            "oids": {"load": {"type": "gauge", "unit": "", "last": 0.5, "raw": None},
                     "errs": {"type": "counter", "unit": "errors/s", "last": 0.1, "raw": 1000}}}
    base.update(extra)
    return base


def promtool(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)


def sample_line(text: str, metric: str, **label_values) -> str:
    for line in text.splitlines():
        if line.startswith(metric + "{") and all(f'{k}="{v}"' in line for k, v in label_values.items()):
            return line
    raise AssertionError(f"no {metric} {label_values} in:\n{text}")


def test_promtool_finds_nothing_to_say():
    health = {"alerts": {("open", "CRITICAL"): 3, ("resolved", "INFO"): 7}, "watcher_backlog_files": 2,
              "watcher_rejected_files": 0, "machine_file_errors": 1, "outbox": {"pending": 1},
              "syslog": {"received": 10, "written": 9, "dropped_unknown_rate": 1}}
    text = metrics.render([view("sw1"), view("sw2", state="down", alias='odd "alias" \\ with\nnewline')], health)
    result = promtool(text)
    assert result.returncode == 0 and result.stdout == result.stderr == "", result.stdout + result.stderr
    assert text.count("# TYPE vigie_interface_in_octets_total counter") == 1


def test_label_values_are_escaped():
    text = metrics.render([view(alias='odd "alias" \\ with\nnewline')])
    assert 'if_alias="odd \\"alias\\" \\\\ with\\nnewline"' in text


def test_counters_are_stamped_with_the_poll_time_and_gauges_are_not():
    text = metrics.render([view()])
    line = sample_line(text, "vigie_interface_in_octets_total", machine="sw1", if_name="eth0")
    assert line.endswith(" 123456789012 1795903720250")
    assert sample_line(text, "vigie_interface_in_bytes_per_second", if_name="eth0").endswith("} 1000.0")
    assert sample_line(text, "vigie_interface_oper_status", if_name="eth0").endswith("} 1")
    assert sample_line(text, "vigie_interface_utilisation_ratio", if_name="eth0").endswith("} 8e-06")
    assert sample_line(text, "vigie_oid_total", name="errs").endswith(" 1000 1795903720250")
    assert sample_line(text, "vigie_oid_value", name="load").endswith("} 0.5")


def test_a_down_machine_shows_down_and_no_stale_counters():
    text = metrics.render([view(state="down")])
    assert sample_line(text, "vigie_machine_up", machine="sw1").endswith("} 0")
    assert "vigie_interface_in_octets_total" not in text and "vigie_oid_total" not in text


def test_machine_view_from_samples_shows_no_secret():
    config = {"name": "fw-1", "host": "192.0.2.9", "tags": {}, "snmp": {"version": "3", "user": "u",
              "auth_protocol": "SHA", "auth_key": "auth-s3cret", "priv_protocol": "AES", "priv_key": "priv-s3cret"}}
    samples = {"status": {"state": "up", "last_seen": "2026-11-28T10:00:00+00:00", "uptime_seconds": 5},
               "updated": "2026-11-28T10:00:01+00:00", "counters_time": 1795903720.0,
               "interfaces": [{"index": 3, "name": "ge-0/0/2", "descr": "x", "alias": "", "speed_bps": 100,
                               "oper_status": "down", "admin_status": "up", "in_bps": None, "out_bps": None,
                               "in_octets": 10, "out_octets": 20}]}
    text = metrics.render([metrics.machine_view(config, samples)])
    assert "s3cret" not in text
    assert sample_line(text, "vigie_interface_out_octets_total", if_index="3").endswith(" 20 1795903720000")
    assert sample_line(text, "vigie_interface_oper_status", if_index="3").endswith("} 2")
    assert sample_line(text, "vigie_machine_last_poll_timestamp_seconds", machine="fw-1").endswith("} 1795860001.0")
    assert "vigie_interface_in_bytes_per_second" not in text


def test_watcher_backlog_counts_waiting_claimed_and_rejected_files(tmp_path):
    for name in ("a.txt", "b.txt", ".c.tmp", "processing/w1/d.txt", "rejected/e.txt", "rejected/e.txt.reason",
                 "done/f.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert metrics.watcher_backlog(tmp_path) == {"watcher_backlog_files": 3, "watcher_rejected_files": 1}


def test_command_writes_the_file_atomically_and_rejects_a_bad_shard(tmp_path):
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "rt1.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {
        "version": "2c", "community": "s3cret"}}))
    (tmp_path / "machines" / "bad.json").write_text("{")
    out = tmp_path / "www" / "metrics"
    out.parent.mkdir()
    args = [sys.executable, "-m", "vigie.metrics", "--machines", str(tmp_path / "machines"), "--samples",
            str(tmp_path / "samples"), "--alertfiles", str(tmp_path / "alertfiles"), "--logs", str(tmp_path / "logs")]
    assert subprocess.run(args + ["--out", str(out)], timeout=60).returncode == 0
    text = out.read_text()
    assert 'vigie_machine_up{machine="rt1"} 0' in text and "vigie_machine_file_errors 1" in text
    assert "s3cret" not in text and promtool(text).returncode == 0
    assert [p.name for p in out.parent.iterdir()] == ["metrics"]
    bad = subprocess.run(args + ["--shard", "0/1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--shard" in bad.stderr


# -- the real thing: collector, exposition file, web server, Prometheus


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    root = tmp_path_factory.mktemp("scrape")
    # counters far from zero, as on a device up for a while: Prometheus does not extrapolate a
    # counter's rate back past the time it would have been zero
    device = sim.device_snmprec("sim-sw", [
        sim.interface(1, "eth0", 10 ** 9, 1_250_000, 125_000, alias="uplink", initial_octets=10 ** 12),
        sim.interface(2, "eth1", 10 ** 8, 50_000, 20_000, initial_octets=10 ** 12)])
    agent = SnmpsimAgent(root / "snmpsim", {"sim-sw": device}).start()
    machines, samples, www = root / "machines", root / "samples", root / "www"
    for folder in (machines, samples, www):
        folder.mkdir()
    (machines / "sim-sw.json").write_text(json.dumps(agent.machine("sim-sw", interval=5)))
    folders = ["--machines", str(machines), "--samples", str(samples)]
    poller = subprocess.Popen([sys.executable, "-m", "collector.poll", *folders, "--alertfiles",
                               str(root / "alertfiles"), "--rescan", "60"], stderr=subprocess.DEVNULL)
    writer = subprocess.Popen([sys.executable, "-m", "vigie.metrics", *folders, "--out", str(www / "metrics"),
                               "--every", "0.5", "--alertfiles", str(root / "alertfiles"), "--logs", str(root / "logs")])
    web = StaticServer(www).start()
    api = start_api(root, extra_args=["--machines", str(machines), "--samples", str(samples)])
    token_file = root / "viewer.token"
    token_file.write_text(api.viewer.token)
    prometheus = Prometheus(root, [Target(web.url, "/metrics", job="file"),
                                   Target(api.url, "/metrics", token_file=token_file, job="api")]).start()
    yield {"prometheus": prometheus, "samples": samples, "www": www, "web": web, "api": api}
    for proc in (poller, writer):
        proc.terminate()
        proc.wait(15)
    for server in (prometheus, web, api, agent):
        server.stop()


def last_two_points(prometheus, series: str, stamp: float):
    """The two samples Prometheus holds up to the one stamped `stamp` (unix seconds)."""
    def found():
        result = prometheus.query(f"{series}[60s]")
        values = result[0]["values"] if result else []
        millis = [round(float(t) * 1000) for t, _ in values]
        if int(stamp * 1000) in millis:   # the exposition stamps whole milliseconds
            i = millis.index(int(stamp * 1000))
            return values[i - 1:i + 1] if i >= 1 else None
        return None
    return wait_until(found, timeout=30, what=f"{series} at {stamp} in Prometheus")


@pytest.mark.slow
@pytest.mark.waits
def test_prometheus_rate_gives_the_bits_per_second_the_site_shows(scraped):
    path = samples_path(scraped["samples"], "sim-sw")
    wait_until(lambda: path.exists() and all(i["in_bps"] for i in read_samples(path)["interfaces"]), timeout=40,
               what="two polls with rates")
    # once Prometheus holds two polls, any later poll has its predecessor there too
    wait_until(lambda: len(scraped["prometheus"].query('count_over_time(vigie_interface_in_octets_total[60s]) >= 2'))
               == 4, timeout=30, what="two polls in Prometheus from both jobs")
    samples = read_samples(path)
    stamp = samples["counters_time"]
    for job, interface in [(job, i) for job in ("file", "api") for i in samples["interfaces"]]:
        series = f'vigie_interface_in_octets_total{{job="{job}",machine="sim-sw",if_name="{interface["name"]}"}}'
        (t1, v1), (t2, v2) = last_two_points(scraped["prometheus"], series, stamp)
        t1, t2, v1, v2 = float(t1), float(t2), float(v1), float(v2)
        counters_bps = (v2 - v1) * 8 / (t2 - t1)
        # a window of two poll intervals ending half an interval after the poll holds exactly these two
        # samples, and Prometheus extrapolates them to its edges: rate() is their slope
        window_ms = int((t2 - t1) * 2000)
        answer = scraped["prometheus"].query(f"rate({series}[{window_ms}ms]) * 8", at=t2 + (t2 - t1) / 2)
        rate_bps = float(answer[0]["value"][1])
        assert rate_bps == pytest.approx(counters_bps, rel=1e-6)
        # the site's rate is over the agent's own clock (sysUpTime), Prometheus' over the polls' times:
        # they part by how late each answer came, a few percent on a quiet machine and over 10 % (half a
        # second of this 5 s interval) on a loaded one; a wrong unit or scale would be 8x or more
        assert rate_bps == pytest.approx(interface["in_bps"], rel=0.25), (rate_bps, interface["in_bps"])


@pytest.mark.slow
@pytest.mark.waits
def test_the_served_file_passes_promtool_and_the_scrape_is_healthy(scraped):
    text = wait_until(lambda: (scraped["www"] / "metrics").exists() and (scraped["www"] / "metrics").read_text(),
                      what="the metrics file")
    result = promtool(text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sim-sw" in text and 'community' not in text
    targets = wait_until(lambda: [t for t in scraped["prometheus"].targets() if t["health"] == "up"]
                         if len([t for t in scraped["prometheus"].targets() if t["health"] == "up"]) == 2 else None,
                         timeout=30, what="healthy scrapes of the file and of the API with a viewer's token")
    assert all(t["lastError"] == "" for t in targets)
    up = scraped["prometheus"].query('vigie_machine_up{machine="sim-sw"}')
    assert sorted(u["metric"]["job"] for u in up) == ["api", "file"] and all(u["value"][1] == "1" for u in up)
    alerts = scraped["prometheus"].query('vigie_alerts{job="api"}')
    assert len(alerts) == 16   # every status x severity pair, zeros included
    duration = scraped["prometheus"].query('vigie_machine_poll_duration_seconds{machine="sim-sw"}')
    assert duration and 0 < float(duration[0]["value"][1]) < 5
    assert re.search(r'vigie_machine_info\{machine="sim-sw",host="127\.0\.0\.1"', text)


def test_the_site_builder_writes_the_exposition_beside_the_pages(tmp_path):
    from tests.support.api_wsgi import Api, alert

    api = Api(tmp_path)
    api.call("POST", "/api/alert", json=alert(severity="ERROR"))
    (tmp_path / "machines" / "rt1.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {
        "version": "2c", "community": "s3cret"}}))
    result = subprocess.run([sys.executable, "-m", "site_builder", "--machines", str(tmp_path / "machines"),
                             "--samples", str(tmp_path / "samples"), "--db", str(tmp_path / "vigie.db"), "--out",
                             str(tmp_path / "www"), "--metrics"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "www" / "metrics").read_text()
    assert 'vigie_machine_up{machine="rt1"} 0' in text and 'vigie_alerts{status="open",severity="ERROR"} 1' in text
    assert "s3cret" not in text and promtool(text).returncode == 0


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.waits
def test_victoria_metrics_scrapes_the_same_file_and_api(scraped, tmp_path):
    token_file = tmp_path / "viewer.token"
    token_file.write_text(scraped["api"].viewer.token)
    victoria = VictoriaMetrics(tmp_path, [Target(scraped["web"].url, job="file"),
                                          Target(scraped["api"].url, token_file=token_file, job="api")]).start()
    try:
        # the first scrapes may come before the device's first poll (up 0 then): until both say it is up
        up = wait_until(lambda: (lambda r: r if len(r) == 2 and all(u["value"][1] == "1" for u in r) else None)(
            victoria.query('vigie_machine_up{machine="sim-sw"}')), timeout=60,
            what="both jobs in VictoriaMetrics saying sim-sw is up")
        assert sorted(u["metric"]["job"] for u in up) == ["api", "file"]
        octets = wait_until(lambda: victoria.query('vigie_interface_in_octets_total{job="file",if_name="eth0"}'),
                            timeout=30, what="the counters")
        assert float(octets[0]["value"][1]) > 10 ** 12
    finally:
        victoria.stop()
