"""One page when the core goes down, end to end: a routed network of a core, two
distribution switches and ten devices behind them in network namespaces (real snmpd
agents, lldpd speaking LLDP on the cables), the real collector in two shards polling
them through the core, the watcher, the API under its server, the notifier and a real
SMTP server.

The core stops: exactly one mail, for the core, naming the twelve devices behind it,
every other device's alert stored and suppressed by it; it comes back: one resolve
mail. Then, at once, a distribution switch stops (one mail for it) and a device behind
the other switch loses its cable (a mail of its own, the switch's port toward it stored
suppressed by it); they come back: one resolve mail each."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.support.api_server import REPO_ROOT, start_api
from tests.support.lldp_network import COMMUNITY
from tests.support.notifier import NotifierProcess
from tests.support.routed_network import RoutedNetwork
from tests.support.smtp_server import SmtpServer
from tests.support.watcher import WatcherProcess, token_file, wait_until
from vigie.config import toml_value
from vigie.down_alerts import MACHINE_DOWN_MESSAGE

pytestmark = [pytest.mark.slow, pytest.mark.waits, pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")]

LEAVES_1 = [f"leaf-{i}" for i in range(1, 6)]
LEAVES_2 = [f"leaf-{i}" for i in range(6, 11)]
DEVICES = ["core", "dist-1", "dist-2"] + LEAVES_1 + LEAVES_2
CABLES = ([("core", "dist-1"), ("core", "dist-2")] + [("dist-1", leaf) for leaf in LEAVES_1]
          + [("dist-2", leaf) for leaf in LEAVES_2])
INTERVAL = 5        # the shortest poll interval a machine file takes
HOLD = 15           # more than the interval, a failed poll's attempts and the way to the API
GROUP_WAIT = 1


class Vigie:
    """Every part of Vigie, started on one configuration file, as systemd would."""

    def __init__(self, tmp_path, net):
        self.tmp, self.net, self.procs = tmp_path, net, []
        self.api = None

    def start(self):
        self.api = start_api(self.tmp, extra_args=["--config", str(self.config())])
        self.smtp = SmtpServer(self.tmp / "smtp").start()
        admin = self.api.admin.headers
        assert requests.post(self.api.url + "/api/notify/channel", headers=admin, timeout=10, json={
            "name": "on-call", "url": self.smtp.mailto("noc@example.org")}).status_code == 201
        assert requests.post(self.api.url + "/api/notify/rule", headers=admin, timeout=10, json={
            "name": "network", "steps": [{"channels": ["on-call"]}], "group_wait_seconds": GROUP_WAIT,
            "repeat_minutes": 0}).status_code == 201
        self.notifier = NotifierProcess(self.api.db_path, self.tmp, self.api.url,
                                        extra_args=["--config", str(self.config_path), "--tick", "0.2"]).start()
        self.watcher = WatcherProcess(self.tmp / "alertfiles", self.api.url, token_file(self.tmp, self.api.operator),
                                      "--config", str(self.config_path), "--settle", "0.2",
                                      log_path=self.tmp / "watch.log").start()
        for shard in ("1/2", "2/2"):   # two collectors share the machines
            log = open(self.tmp / f"poll-{shard[0]}.log", "ab")
            self.procs.append(subprocess.Popen(
                [*self.net.exec_prefix(self.net.management), sys.executable, "-m", "collector.poll", "--config",
                 str(self.config_path), "--shard", shard, "-v"], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        return self

    def config(self):
        root = self.tmp / "api"
        self.config_path = self.tmp / "vigie.toml"
        settings = {"paths": {"data": str(root / "data"), "machines": str(root / "machines"),
                              "alertfiles": str(self.tmp / "alertfiles"), "www": str(root / "www"),
                              "topology": str(self.tmp / "topology.json"), "heartbeat": ""},
                    "poll": {"rescan_seconds": 2.0},
                    "dependencies": {"vantage": ["core"], "hold_seconds": float(HOLD)}}
        self.config_path.write_text("".join(f"[{section}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
                                            for section, keys in settings.items()))
        (self.tmp / "alertfiles").mkdir(exist_ok=True)
        machines = root / "machines"
        machines.mkdir(parents=True, exist_ok=True)
        # Health off: each snmpd reports this machine's own processors, which a busy run of the suite
        # keeps above the CPU threshold, and those alerts would be told beside the ones this test counts.
        for name in DEVICES:
            (machines / f"{name}.json").write_text(
                '{"host": "%s", "snmp": {"version": "2c", "community": "%s"}, "interval": %d, "timeout": 1, '
                '"retries": 1, "down_after": 2, "health": false, "tags": {"provider": "NetOps", '
                '"environment": "prod"}}' % (self.net.address(name), COMMUNITY, INTERVAL))
        return self.config_path

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for part in ("watcher", "notifier", "smtp", "api"):
            if getattr(self, part, None) is not None:
                getattr(self, part).stop()

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.tmp.glob("*.log")))

    # -- what a person sees
    def get(self, path, **params):
        answer = requests.get(self.api.url + path, headers=self.api.viewer.headers, params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def mails(self) -> list:
        return [(m["Subject"], m.get_payload(decode=True).decode()) for m in self.smtp.mails()]

    def open_down(self) -> dict:
        """{server: alert} of the open machine-down alerts."""
        found = self.get("/api/alert", status="open,acknowledged,shelved", limit=1000)["results"]
        return {a["server"]: a for a in found if a["fingerprint"].startswith("snmp:reachability:")}


@pytest.fixture
def vigie(tmp_path):
    (tmp_path / "net").mkdir()
    net = RoutedNetwork(tmp_path / "net", DEVICES, CABLES).start()
    parts = Vigie(tmp_path, net)
    try:
        yield parts.start()
    except BaseException:
        print(parts.logs())
        raise
    finally:
        parts.stop()
        net.stop()


BLOCK = re.compile(r"^[A-Z]+ (opened|reopened|resolved): ([a-z0-9-]+): ")
BEHIND = re.compile(r"^  \d+ machines? unreachable behind it: (.*)$", re.M)


def told(vigie) -> list:
    """What the mails told, alert by alert (a mail may group several): [(kind, server, names behind it)],
    a reopening read as an opening."""
    found = []
    for _, body in vigie.mails():
        for block in body.split("\n\n"):
            head = BLOCK.match(block)
            if head:
                behind = BEHIND.search(block)
                found.append((head.group(1).replace("reopened", "opened"), head.group(2),
                              tuple(behind.group(1).split(", ")) if behind else ()))
    return found


def wait_until_told(vigie, count: int, timeout: float = 90) -> list:
    wait_until(lambda: len(told(vigie)) >= count, timeout, 0.2, what=f"{count} alerts told\n{vigie.logs()}")
    return told(vigie)


def nothing_more_told(vigie, count: int, seconds: float) -> None:
    """Nothing else is told for `seconds`: the holds of every other alert are over."""
    time.sleep(seconds)
    assert told(vigie)[count:] == []


@pytest.mark.long
def test_one_mail_for_the_core_naming_the_devices_behind_it_one_for_its_return(vigie):
    net = vigie.net
    # the collectors read LLDP: every machine's parents come from the cables
    def parents_known():
        return all(vigie.get(f"/api/machine/{name}")["upstream"]["parents"] == [parent] for parent, name in CABLES)
    wait_until(parents_known, 120, 1, what=f"the parents from LLDP\n{vigie.logs()}")
    assert vigie.get("/api/machine/leaf-3")["upstream"]["source"] == "lldp"
    assert vigie.open_down() == {} and vigie.mails() == []

    # the core stops: one mail, for it, naming the twelve behind it
    net.freeze("core")
    assert wait_until_told(vigie, 1) == [("opened", "core", tuple(sorted(DEVICES[1:])))]
    [(subject, _)] = vigie.mails()
    assert re.fullmatch(rf"\[CRITICAL\] opened: core \(12 machines unreachable behind it\): "
                        rf"{MACHINE_DOWN_MESSAGE}.*", subject), subject
    down = vigie.open_down()
    assert sorted(down) == sorted(DEVICES)
    assert all(down[name]["suppressed_by"] == "core" and down[name]["suppressed_by_alert"] == down["core"]["id"]
               for name in DEVICES[1:])
    assert down["core"]["suppressing"] == 12
    assert vigie.get("/api/stats")["needs_attention"] == 1
    nothing_more_told(vigie, 1, INTERVAL + GROUP_WAIT + 2)

    # it comes back: everything resolves, one mail
    net.thaw("core")
    wait_until(lambda: vigie.open_down() == {}, 60, 0.5, what="every device answering again")
    assert wait_until_told(vigie, 2)[1:] == [("resolved", "core", ())]
    nothing_more_told(vigie, 2, HOLD + GROUP_WAIT + 2)
    assert len(vigie.mails()) == 2

    # at once, a distribution switch stops, and a device behind the other one loses its cable: the switch told
    # naming its five devices, the device on its own; the other switch's port toward the device is its doing
    net.freeze("dist-1")
    net.unplug("leaf-7")
    assert sorted(wait_until_told(vigie, 4)[2:]) == [("opened", "dist-1", tuple(LEAVES_1)), ("opened", "leaf-7", ())]
    [port] = [a for a in vigie.get("/api/alert", server="dist-2", status="open")["results"]
              if a["fingerprint"].startswith("snmp:oper-status:dist-2:")]
    assert port["suppressed_by"] == "leaf-7" and port["message"].endswith("is down")
    assert {name: a["suppressed_by"] for name, a in vigie.open_down().items()} == {
        "dist-1": None, "leaf-7": None, **{leaf: "dist-1" for leaf in LEAVES_1}}
    nothing_more_told(vigie, 4, HOLD + GROUP_WAIT + 2)

    net.thaw("dist-1")
    net.plug("leaf-7")
    wait_until(lambda: vigie.open_down() == {}, 60, 0.5, what="every device answering again")
    assert sorted(wait_until_told(vigie, 6)[4:]) == [("resolved", "dist-1", ()), ("resolved", "leaf-7", ())]
    nothing_more_told(vigie, 6, HOLD + GROUP_WAIT + 2)
