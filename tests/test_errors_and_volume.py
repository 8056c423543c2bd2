"""Errors and discards, and traffic volume, from a real SNMP agent (snmpsim) to the
machine page: the collector polls the four counters by default, alerts on their rate
past errors_per_second, and the built page graphs them and shows bytes per day and month."""

import json
import time
from datetime import datetime, timezone

import pytest

from collector import poll
from site_builder.build import build
from tests.support import site_data as sd
from tests.support.snmp_agents import SnmpsimAgent
from vigie import samples as samples_lib
from vigie import simulated_devices as sim
from vigie.alert_file import parse

pytestmark = pytest.mark.slow


@pytest.fixture
def agent(tmp_path):
    ifs = [sim.interface(1, "eth0", 100_000_000, 1000, 1000, errors_per_second=50),
           sim.interface(2, "eth1", 100_000_000, 1000, 1000)]
    started = SnmpsimAgent(tmp_path / "snmpsim", {"edge-1": sim.device_snmprec("edge-1", ifs)}).start()
    yield started
    started.stop()


def run_poll(root):
    assert poll.main(["--once", "-q", "--machines", str(root / "machines"), "--alertfiles",
                      str(root / "alertfiles"), "--samples", str(root / "samples")]) == 0


def test_errors_are_polled_graphed_and_alerted_past_their_threshold(tmp_path, agent):
    (tmp_path / "machines").mkdir()
    config = dict(agent.machine("edge-1"), threshold_polls=1, errors_per_second=10)
    (tmp_path / "machines" / "edge-1.json").write_text(json.dumps(config))
    run_poll(tmp_path)
    time.sleep(2)
    run_poll(tmp_path)
    view = samples_lib.read_current(tmp_path / "samples", "edge-1")
    assert view["oids"]["errors:eth0"]["last"] == pytest.approx(50, rel=0.3)
    assert view["oids"]["errors:eth1"]["last"] == 0
    alerts = [parse(p.read_text()) for p in (tmp_path / "alertfiles").glob("*.txt")]
    [alert] = [a for a in alerts if "errors" in a["message"]]
    assert alert["severity"] == "WARNING" and alert["message"].startswith("Interface eth0 errors and discards at ")
    assert alert["message"].endswith("(threshold: above 10 errors/s)")
    assert alert["fingerprint"] == "snmp:threshold:edge-1:errors:eth0"

    # a year archive with yesterday's and the month's daily averages: the page's volumes
    now = datetime.now(timezone.utc).timestamp()
    yesterday = int(now // 86400) * 86400 - 86400
    year = tmp_path / "samples" / "edge-1" / "year.jsonl"
    with open(year, "a") as f:
        f.write(json.dumps({"t": yesterday, "if": {"eth0": [800, 80, 900, 90]}}) + "\n")
    sd.write_alerts(tmp_path / "alerts.db", [])
    build(tmp_path / "machines", tmp_path / "samples", tmp_path / "alerts.db", tmp_path / "www", workers=1)
    html = (tmp_path / "www" / "machines" / "edge-1.html").read_text()
    assert "<h2>Errors and discards</h2>" in html and "eth0: errors and discards" in html
    specs = json.loads(html.split('id="graph-specs">')[1].split("</script>")[0])
    assert {g["key"] for g in specs["graphs"] if g["kind"] == "oid"} == {"errors:eth0", "errors:eth1"}
    row = html.split('data-key="eth0"')[1].split("</tr>")[0]
    assert '<td class="num volume pair"><span class="v">8.64 MB</span> / <span class="v">864 kB</span></td>' in row, "yesterday's bytes: 800 b/s and 80 b/s for a day"
