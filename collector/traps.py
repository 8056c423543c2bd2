"""SNMP traps into device logs and alerts: the command net-snmp's snmptrapd runs for each trap.

    # /etc/snmp/snmptrapd.conf (systemd/install.sh writes it)
    traphandle default /opt/vigie/.venv/bin/python -m collector.traps --machines ... --logs ...

snmptrapd receives the trap (v1, v2c or v3; it checks the community or the
v3 user), then writes to this command's standard input the sender's host
name, its transport address and one `OID value` line per variable. This
command finds the machine that sent it (vigie/senders.py), appends one
line to its device log (`kind: trap`), and for the traps that matter writes
an alert file:

| trap | alert |
| --- | --- |
| linkDown | ERROR `Interface NAME is down (linkDown trap)`, none when it was taken down by an administrator |
| linkUp | INFO `Interface NAME is up (linkUp trap)`, same fingerprint: it resolves the linkDown |

A link trap's fingerprint is the collector's own for that interface's oper status
(collector/snmp/events.py), so a trap and a poll that see the same link go down count
on one alert, and the "up" of either resolves it.
| coldStart, warmStart | WARNING `Device restarted (coldStart trap)` |
| authenticationFailure | WARNING `SNMP authentication failure reported by the device` |
| each `--alert OID=SEVERITY` | that severity, the trap's OID and variables |

The interface's name comes from the trap's own ifName/ifDescr variables when
it carries them, else from the machine's samples file (the collector's
discovery), else `ifIndex N`. A v1 trap's community (snmpTrapCommunity.0) is
never written anywhere.
"""

import argparse
import logging
import re
import sys
import time
from pathlib import Path

from collector.device_alerts import alert_record, fingerprint, write_alert
from collector.snmp import events as snmp_events
from vigie.senders import SenderIndex, normalize_address
from vigie import config, device_log
from vigie.config import Flag
from vigie.alert import normalize_severity
from vigie.logs import add_logging_options, setup_logging
from vigie.machines import load_all
from vigie.samples import SamplesError, read_samples, samples_path

log = logging.getLogger("vigie.traps")

MAX_INPUT_BYTES = 256 * 1024
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_INDEX, IF_DESCR, IF_ADMIN, IF_OPER = (f"1.3.6.1.2.1.2.2.1.{n}" for n in (1, 2, 7, 8))
IF_NAME, IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.31.1.1.1.18"
GENERIC = "1.3.6.1.6.3.1.1.5"
TRAP_NAMES = {f"{GENERIC}.1": "coldStart", f"{GENERIC}.2": "warmStart", f"{GENERIC}.3": "linkDown",
              f"{GENERIC}.4": "linkUp", f"{GENERIC}.5": "authenticationFailure", f"{GENERIC}.6": "egpNeighborLoss"}
# Names snmptrapd prints instead of numbers when the MIBs are loaded.
MIB_NAMES = {
    "SNMPv2-MIB::snmpTrapOID": "1.3.6.1.6.3.1.1.4.1", "SNMPv2-MIB::sysUpTime": "1.3.6.1.2.1.1.3",
    "DISMAN-EVENT-MIB::sysUpTimeInstance": SYS_UPTIME,
    "SNMP-COMMUNITY-MIB::snmpTrapAddress": "1.3.6.1.6.3.18.1.3",
    "SNMP-COMMUNITY-MIB::snmpTrapCommunity": "1.3.6.1.6.3.18.1.4",
    "IF-MIB::ifIndex": IF_INDEX, "IF-MIB::ifDescr": IF_DESCR, "IF-MIB::ifAdminStatus": IF_ADMIN,
    "IF-MIB::ifOperStatus": IF_OPER, "IF-MIB::ifName": IF_NAME, "IF-MIB::ifAlias": IF_ALIAS,
    **{f"SNMPv2-MIB::{name}": oid for oid, name in TRAP_NAMES.items()},
    **{f"IF-MIB::{name}": oid for oid, name in TRAP_NAMES.items() if name.startswith("link")},
}
ADDRESS_RE = re.compile(r"\[([^\]]+)\]")
ENUM_RE = re.compile(r"^[A-Za-z-]*\((-?\d+)\)$")
ALERTS = {"linkDown": "ERROR", "linkUp": "INFO", "coldStart": "WARNING", "warmStart": "WARNING",
          "authenticationFailure": "WARNING"}


def numeric_oid(text: str) -> str:
    """`iso.3.6.1...`, `.1.3.6...`, `IF-MIB::ifIndex.2` -> `1.3.6.1...` (unknown names stay as they are)."""
    text = text.strip()
    if text.startswith("iso."):
        return "1." + text[4:]
    if "::" in text:
        name, _, instance = text.partition(".")
        base = MIB_NAMES.get(name)
        return f"{base}.{instance}" if base and instance else base or text
    return text.lstrip(".")


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_trap(text: str) -> dict:
    """snmptrapd's traphandle input as {hostname, source, trap_oid, varbinds: [(oid, value)]}.

    ValueError when it is not that format. The community variable is dropped here.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) < 3:
        raise ValueError("expected a host name line, an address line and variables")
    hostname = lines[0].strip()
    address = ADDRESS_RE.search(lines[1])
    source = address.group(1) if address else lines[1].strip()
    varbinds, trap_oid = [], None
    for line in lines[2:]:
        if not line.strip():
            continue
        oid, _, value = line.strip().partition(" ")
        oid, value = numeric_oid(oid), unquote(value)
        if oid == SNMP_TRAP_COMMUNITY:
            continue
        if oid == SNMP_TRAP_OID:
            trap_oid = numeric_oid(value)
        elif oid == SNMP_TRAP_ADDRESS:
            source = value
        varbinds.append((oid, value))
    if trap_oid is None:
        raise ValueError("no snmpTrapOID.0 variable: not a trap from snmptrapd")
    return {"hostname": "" if hostname.startswith("<") else hostname, "source": source,
            "trap_oid": trap_oid, "varbinds": varbinds}


def enum_value(value: str):
    """`2`, `down(2)` -> 2; None when it is not a number."""
    match = ENUM_RE.match(value)
    text = match.group(1) if match else value
    return int(text) if text.lstrip("-").isdigit() else None


def interface_of(varbinds: list, known: dict) -> tuple:
    """(ifIndex or None, name, admin status or None) of a link trap's interface."""
    columns, index = {}, None
    for oid, value in varbinds:
        for column in (IF_INDEX, IF_DESCR, IF_ADMIN, IF_OPER, IF_NAME, IF_ALIAS):
            if oid.startswith(column + "."):
                columns[column] = value
                index = index or oid[len(column) + 1:]
    if IF_INDEX in columns:
        index = columns[IF_INDEX]
    index = int(index) if index and index.isdigit() else None
    name = columns.get(IF_NAME) or columns.get(IF_DESCR) or known.get(index) or (
        f"ifIndex {index}" if index is not None else "(interface not named in the trap)")
    admin = enum_value(columns[IF_ADMIN]) if IF_ADMIN in columns else None
    return index, name, admin


def variables_text(varbinds: list) -> str:
    shown = [f"{oid}={value}" for oid, value in varbinds if oid not in (SNMP_TRAP_OID, SYS_UPTIME)]
    return " ".join(shown)


def describe(trap: dict, machine: str, known_interfaces: dict, extra_alerts: dict) -> dict:
    """What the trap becomes: {name, log_severity, message, alert: (severity, message, fingerprint) or None}."""
    oid = trap["trap_oid"]
    name = TRAP_NAMES.get(oid, oid)
    variables = variables_text(trap["varbinds"])
    alert = None
    if name in ("linkDown", "linkUp"):
        index, interface, admin = interface_of(trap["varbinds"], known_interfaces)
        state = "down" if name == "linkDown" else "up"
        message = f"Interface {interface} is {state} ({name} trap)"
        if not (name == "linkDown" and admin == 2):
            # the collector's own key for this interface's oper status: a trap and a poll that see
            # the same link go down count on one alert, and either one's "up" resolves it
            mark = snmp_events.fingerprint(machine or "", {"kind": "if_down", "interface": interface})
            alert = (ALERTS[name], message, mark)
        else:
            message += ", taken down by an administrator"
    elif name in ("coldStart", "warmStart"):
        message = f"Device restarted ({name} trap)"
        alert = (ALERTS[name], message, fingerprint("trap", machine, "restart"))
    elif name == "authenticationFailure":
        message = "SNMP authentication failure reported by the device"
        alert = (ALERTS[name], message, fingerprint("trap", machine, name))
    else:
        message = f"Trap {name}" + (f": {variables}" if variables else "")
    if oid in extra_alerts:
        alert = (extra_alerts[oid], message, fingerprint("trap", machine, oid))
    severity = device_log.LOG_SEVERITY[alert[0]] if alert else "info"
    if name == "linkDown" and alert is None:
        severity = "notice"
    full = f"{message} [{variables}]" if variables and not message.endswith(variables) else message
    return {"name": name, "log_severity": severity, "message": full, "alert": alert if machine else None}


def known_interfaces(samples_dir, machine: str) -> dict:
    """{ifIndex: name} from the machine's samples file (empty when there is none yet)."""
    try:
        samples = read_samples(samples_path(samples_dir, machine))
    except SamplesError:
        return {}
    return {i.get("index"): i.get("name") or i.get("descr") for i in samples.get("interfaces", [])}


def handle(text: str, args, now: float) -> int:
    try:
        trap = parse_trap(text)
    except ValueError as exc:
        log.error("trap not understood (%s): %r", exc, text[:200])
        return 1
    configs, _ = load_all(args.machines)
    machine = SenderIndex(configs).match(trap["source"], trap["hostname"])
    tags = next((c.get("tags") or {} for c in configs if c["name"] == machine), {})
    interfaces = known_interfaces(args.samples, machine) if machine else {}
    outcome = describe(trap, machine, interfaces, args.extra_alerts)
    record = device_log.entry(now, outcome["log_severity"], trap["hostname"] or trap["source"], "snmptrap",
                              outcome["message"], msgid=outcome["name"][:32],
                              source=normalize_address(trap["source"]), kind="trap")
    device_log.append(args.logs, machine or device_log.UNKNOWN_LOG, [device_log.encode(record)], args.limits)
    if outcome["alert"]:
        severity, message, mark = outcome["alert"]
        write_alert(args.alertfiles, "trap", alert_record(machine, tags, now, severity, message, mark))
    log.info("%s from %s (%s): %s", outcome["name"], trap["source"], machine or "unknown sender", outcome["message"])
    return 0


def alert_option(text: str):
    oid, _, severity = text.partition("=")
    oid = numeric_oid(oid)
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", oid):
        raise argparse.ArgumentTypeError(f"--alert {text!r}: expected a numeric OID, e.g. 1.3.6.1.4.1.9.9.41.2.0.1=warning")
    try:
        return oid, normalize_severity(severity or "WARNING")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--alert {text!r}: {exc}") from None


FLAGS = (Flag("--machines", "paths.machines"), Flag("--logs", "paths.logs"), Flag("--alertfiles", "paths.alertfiles"),
         Flag("--samples", "paths.samples"),
         Flag("--alert", "traps.alerts", dest="extra", append=True, metavar="OID=SEVERITY"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collector.traps", description=__doc__.split("\n\n")[0],
                                epilog="Reads one trap on standard input, in snmptrapd's traphandle format. "
                                       "--alert is repeatable; the samples name an interface a trap gives only "
                                       "by ifIndex.")
    config.add_options(p, FLAGS)
    add_logging_options(p)
    return p


def extra_alerts(args) -> dict:
    """{trap OID: severity} of traps.alerts (or --alert); ValueError naming where one was set."""
    try:
        return dict(alert_option(text) for text in args.extra)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{args.cfg.where('traps.alerts')}: {exc}") from None


def main(argv=None, stdin=None) -> int:
    args = parser().parse_args(argv)
    setup_logging("vigie.traps", verbose=args.verbose, quiet=args.quiet)
    try:
        config.from_args(args)
        args.extra_alerts = extra_alerts(args)
    except (config.ConfigError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    if args.show_config:
        print(config.describe(args.cfg, ("paths", "device_logs", "traps")))
        return 0
    args.limits = device_log.limits(**args.cfg["device_logs"])
    stream = stdin or sys.stdin.buffer
    text = stream.read(MAX_INPUT_BYTES).decode("utf-8", "replace")
    try:
        Path(args.logs).mkdir(parents=True, exist_ok=True)
        return handle(text, args, time.time())
    except OSError as exc:
        log.error("trap lost: %s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
