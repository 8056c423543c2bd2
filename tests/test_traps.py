"""SNMP traps: the handler's rules on literal snmptrapd output, then Debian's snmptrapd and snmptrap
sending v1, v2c and v3 traps through the real traphandle."""

import json
from pathlib import Path

import pytest

from collector import traps
from vigie import alert_file
from vigie.samples import MachineSamples, SamplesStore
from tests.support.syslog import read_jsonl, wait_until
from tests.support.traps import COMMUNITY, Snmptrapd, send_trap, send_v1_trap

LINK_DOWN = """localhost
UDP: [192.0.2.7]:40175->[127.0.0.1]:16299
iso.3.6.1.2.1.1.3.0 0:0:32:10.74
iso.3.6.1.6.3.1.1.4.1.0 iso.3.6.1.6.3.1.1.5.3
iso.3.6.1.2.1.2.2.1.1.2 2
iso.3.6.1.2.1.2.2.1.7.2 1
iso.3.6.1.2.1.2.2.1.8.2 2
iso.3.6.1.2.1.31.1.1.1.1.2 "eth0"
"""

V1_WITH_NAMES = """<UNKNOWN>
UDP/IPv6: [2001:db8::9]:161->[::1]:162
DISMAN-EVENT-MIB::sysUpTimeInstance 0:0:00:05.00
SNMPv2-MIB::snmpTrapOID.0 IF-MIB::linkDown
IF-MIB::ifIndex.7 7
IF-MIB::ifAdminStatus.7 down(2)
SNMP-COMMUNITY-MIB::snmpTrapAddress.0 192.0.2.50
SNMP-COMMUNITY-MIB::snmpTrapCommunity.0 "secret-community"
"""


def test_parse_numeric_output():
    trap = traps.parse_trap(LINK_DOWN)
    assert (trap["hostname"], trap["source"], trap["trap_oid"]) == ("localhost", "192.0.2.7", "1.3.6.1.6.3.1.1.5.3")
    assert ("1.3.6.1.2.1.31.1.1.1.1.2", "eth0") in trap["varbinds"]


def test_parse_mib_names_uses_the_trap_address_and_drops_the_community():
    trap = traps.parse_trap(V1_WITH_NAMES)
    assert (trap["hostname"], trap["source"], trap["trap_oid"]) == ("", "192.0.2.50", "1.3.6.1.6.3.1.1.5.3")
    assert "secret-community" not in json.dumps(trap)


@pytest.mark.parametrize("text", ["", "host\n", "host\nUDP: [1.2.3.4]:1->[5.6.7.8]:2\n1.3.6.1.2.1.1.3.0 0:0:00:01.00\n"])
def test_not_a_trap(text):
    with pytest.raises(ValueError):
        traps.parse_trap(text)


def test_link_down_names_the_interface_from_the_trap():
    outcome = traps.describe(traps.parse_trap(LINK_DOWN), "sw1", {}, {})
    severity, message, mark = outcome["alert"]
    assert (severity, message) == ("ERROR", "Interface eth0 is down (linkDown trap)")
    assert outcome["log_severity"] == "err" and outcome["name"] == "linkDown"


def test_link_up_has_the_fingerprint_of_its_link_down():
    up = LINK_DOWN.replace("iso.3.6.1.6.3.1.1.5.3", "iso.3.6.1.6.3.1.1.5.4")
    down_alert = traps.describe(traps.parse_trap(LINK_DOWN), "sw1", {}, {})["alert"]
    up_alert = traps.describe(traps.parse_trap(up), "sw1", {}, {})["alert"]
    assert up_alert[0] == "INFO" and up_alert[1] == "Interface eth0 is up (linkUp trap)"
    assert up_alert[2] == down_alert[2]
    # the collector's key for the same interface's oper status: a poll's "up again" resolves it too
    from collector.snmp import events
    assert down_alert[2] == events.fingerprint("sw1", {"kind": "if_up", "interface": "eth0"})
    other = traps.describe(traps.parse_trap(LINK_DOWN.replace('"eth0"', '"eth1"')), "sw1", {}, {})["alert"]
    assert other[2] != down_alert[2]


def test_interface_name_from_the_samples_when_the_trap_gives_only_the_index():
    outcome = traps.describe(traps.parse_trap(V1_WITH_NAMES.replace("down(2)", "up(1)")), "sw1",
                             {7: "ge-0/0/7"}, {})
    assert outcome["alert"][1] == "Interface ge-0/0/7 is down (linkDown trap)"


def test_an_interface_taken_down_by_an_administrator_is_logged_not_alerted():
    outcome = traps.describe(traps.parse_trap(V1_WITH_NAMES), "sw1", {}, {})
    assert outcome["alert"] is None and "administrator" in outcome["message"]


def test_configured_traps_become_alerts():
    text = LINK_DOWN.replace("iso.3.6.1.6.3.1.1.5.3", "iso.3.6.1.4.1.9.9.41.2.0.1")
    assert traps.describe(traps.parse_trap(text), "sw1", {}, {})["alert"] is None
    outcome = traps.describe(traps.parse_trap(text), "sw1", {}, {"1.3.6.1.4.1.9.9.41.2.0.1": "CRITICAL"})
    assert outcome["alert"][0] == "CRITICAL" and "1.3.6.1.4.1.9.9.41.2.0.1" in outcome["alert"][1]
    assert outcome["log_severity"] == "crit"


def test_unknown_sender_gets_no_alert():
    assert traps.describe(traps.parse_trap(LINK_DOWN), None, {}, {})["alert"] is None


@pytest.fixture(scope="module")
def trapd(tmp_path_factory):
    root = tmp_path_factory.mktemp("traps")
    folders = {name: root / name for name in ("machines", "logs", "alertfiles", "samples")}
    for folder in folders.values():
        folder.mkdir()
    (folders["machines"] / "sw1.json").write_text(json.dumps(
        {"host": "127.0.0.1", "snmp": {"version": "2c", "community": "public"},
         "tags": {"application": "campus", "environment": "prod", "provider": "NetOps"}}))
    samples = MachineSamples("sw1")
    samples.head["interfaces"] = [{"key": "ge-0/0/7", "index": 7, "name": "ge-0/0/7", "descr": "GigabitEthernet0/0/7"}]
    SamplesStore(folders["samples"]).save(samples)
    server = Snmptrapd(root, *folders.values(), handler_args=["--alert", "1.3.6.1.4.1.99999.1=critical"]).start()
    server.folders = folders
    yield server
    server.stop()


def new_entries(trapd, seen: int, count: int = 1) -> list:
    path = trapd.folders["logs"] / "sw1.jsonl"
    return wait_until(lambda: read_jsonl(path)[seen:] if len(read_jsonl(path)) >= seen + count else None,
                      what="trap lines in the device log")


def alert_files(trapd) -> dict:
    return {p.name: alert_file.parse(p.read_text()) for p in trapd.folders["alertfiles"].glob("*.txt")}


def test_v2c_link_down_then_link_up(trapd):
    seen, before = len(read_jsonl(trapd.folders["logs"] / "sw1.jsonl")), set(alert_files(trapd))
    variables = ["1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.31.1.1.1.1.3", "s", "uplink-1"]
    send_trap(trapd.port, "linkDown", variables)
    send_trap(trapd.port, "linkUp", variables)
    entries = new_entries(trapd, seen, 2)
    assert [e["message"].split(" [")[0] for e in entries] == ["Interface uplink-1 is down (linkDown trap)",
                                                               "Interface uplink-1 is up (linkUp trap)"]
    assert all(e["kind"] == "trap" and e["source"] == "127.0.0.1" and e["app"] == "snmptrap" for e in entries)
    new = wait_until(lambda: [r for n, r in alert_files(trapd).items() if n not in before]
                     if len(alert_files(trapd)) >= len(before) + 2 else None)
    assert sorted((r["severity"], r["message"]) for r in new) == [
        ("ERROR", "Interface uplink-1 is down (linkDown trap)"), ("INFO", "Interface uplink-1 is up (linkUp trap)")]
    assert all((r["server"], r["application"], r["environment"]) == ("sw1", "campus", "prod") for r in new)
    assert new[0]["fingerprint"] == new[1]["fingerprint"] == "snmp:oper-status:sw1:uplink-1"


def test_v3_auth_priv_link_down_named_from_the_samples(trapd):
    seen = len(read_jsonl(trapd.folders["logs"] / "sw1.jsonl"))
    send_trap(trapd.port, "linkDown", ["1.3.6.1.2.1.2.2.1.1.7", "i", "7"], version="3")
    entry = new_entries(trapd, seen)[0]
    assert entry["message"].startswith("Interface ge-0/0/7 is down (linkDown trap)")
    assert entry["severity"] == "err" and entry["msgid"] == "linkDown"


def test_v1_cold_start_keeps_no_community(trapd):
    seen = len(read_jsonl(trapd.folders["logs"] / "sw1.jsonl"))
    send_v1_trap(trapd.port, "1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", 0, 0)
    entry = new_entries(trapd, seen)[0]
    assert entry["message"].startswith("Device restarted (coldStart trap)")
    logged = (trapd.folders["logs"] / "sw1.jsonl").read_text() + "".join(
        p.read_text() for p in trapd.folders["alertfiles"].glob("*.txt"))
    assert COMMUNITY not in logged


def test_configured_enterprise_trap_is_a_critical_alert(trapd):
    seen, before = len(read_jsonl(trapd.folders["logs"] / "sw1.jsonl")), set(alert_files(trapd))
    send_trap(trapd.port, "1.3.6.1.4.1.99999.1", ["1.3.6.1.4.1.99999.2", "s", "fan 2 failed"])
    new_entries(trapd, seen)
    # an alert file of an earlier test's trap may land meanwhile: look for this trap's own
    new = wait_until(lambda: [r for n, r in alert_files(trapd).items()
                              if n not in before and "fan 2 failed" in r["message"]])
    assert [r["severity"] for r in new] == ["CRITICAL"]


def test_wrong_community_is_refused_by_snmptrapd(trapd):
    seen = len(read_jsonl(trapd.folders["logs"] / "sw1.jsonl"))
    send_trap(trapd.port, "linkDown", ["1.3.6.1.2.1.2.2.1.1.3", "i", "3"], community="guess")
    send_trap(trapd.port, "warmStart")
    entries = new_entries(trapd, seen)
    assert [e["msgid"] for e in entries] == ["warmStart"]


def test_handler_help_and_bad_option():
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "collector.traps", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "--alert" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "collector.traps", "--alert", "fan=loud"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "numeric OID" in bad.stderr


def test_the_installers_snmptrapd_configuration_works_with_snmptrapd(tmp_path):
    """systemd/traps.sh as install.sh runs it, into a scratch /etc: idempotent, then used by a
    real snmptrapd (the handler under runuser, as on an installed machine)."""
    import os
    import subprocess
    import sys

    from tests.support.snmp_agents import free_udp_port

    repo = Path(__file__).resolve().parent.parent
    etc, state, conf = tmp_path / "etc", tmp_path / "state", tmp_path / "snmp" / "snmptrapd.conf"
    (etc / "machines").mkdir(parents=True)
    (etc / "machines" / "sw9.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {"version": "2c",
                                                                                         "community": "x"}}))
    # the configuration install.sh writes: the installed folders, here under tmp_path
    (etc / "vigie.toml").write_text(subprocess.run(
        [sys.executable, "-m", "vigie", "config", "--template", "--set", f"paths.data={state}",
         "--set", f"paths.machines={etc / 'machines'}", "--set", f"paths.alertfiles={state / 'alertfiles'}"],
        capture_output=True, text=True, timeout=30, check=True, cwd=repo).stdout)
    script = (f'SCRIPT=install; . "{repo}/systemd/common.sh"; . "{repo}/systemd/traps.sh"; PREFIX="{repo}"; '
              f'ETC="{etc}"; CONFIG="{etc}/vigie.toml"; VPY="{sys.executable}"; USER_NAME=root; '
              f'configure_snmptrapd "{conf}"; echo "changed=$CHANGED_TRAPS"')
    first = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True).stdout
    second = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True).stdout
    assert "changed=yes" in first and second.strip() == "changed=no"
    assert oct((etc / "snmptrapd-access.conf").stat().st_mode & 0o777) == "0o600"
    with open(etc / "snmptrapd-access.conf", "a") as access:
        access.write("authCommunity log,execute installed-community\n")
    port = free_udp_port()
    log = open(tmp_path / "snmptrapd.log", "wb")
    proc = subprocess.Popen(["/usr/sbin/snmptrapd", "-f", "-Lo", "-C", "-c", str(conf), "-m", "",
                             f"--persistentDir={tmp_path / 'persist'}", f"udp:127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=""))
    try:
        wait_until(lambda: b"NET-SNMP version" in (tmp_path / "snmptrapd.log").read_bytes())
        send_trap(port, "coldStart", community="installed-community")
        entries = wait_until(lambda: read_jsonl(state / "logs" / "sw9.jsonl"), timeout=30, what="the trap's line")
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
    assert entries[0]["message"].startswith("Device restarted (coldStart trap)")
    assert list((state / "alertfiles").glob("trap-sw9-*.txt"))
