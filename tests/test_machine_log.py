"""The machine page's log: the collector's changes of state and the machine's alerts,
one line per happening (pure, on literal records)."""

from site_builder.context import device_log

DOWN = {"time": "2026-11-22T10:15:00+00:00", "kind": "if_down", "interface": "eth0", "message": "Interface eth0 is down"}
UP = {"time": "2026-11-22T10:20:00+00:00", "kind": "if_up", "interface": "eth0", "message": "Interface eth0 is up again"}
OLD = {"time": "2026-11-01T08:00:00+00:00", "kind": "down", "interface": None, "message": "Machine is not answering SNMP"}


def alert(id_, timestamp, message, severity="ERROR"):
    return {"id": id_, "timestamp": timestamp, "message": message, "severity": severity, "acknowledged": False}


def test_an_event_sent_as_an_alert_is_listed_once_as_the_alert():
    alerts = [alert(7, DOWN["time"], DOWN["message"]), alert(8, UP["time"], UP["message"], "INFO")]
    log = device_log([OLD, DOWN, UP], alerts)
    assert [(e["source"], e["message"]) for e in log] == [
        ("alert", "Interface eth0 is up again"), ("alert", "Interface eth0 is down"),
        ("event", "Machine is not answering SNMP")]


def test_same_message_at_another_time_is_another_happening():
    log = device_log([DOWN], [alert(7, "2026-11-22T11:00:00+00:00", DOWN["message"])])
    assert [e["source"] for e in log] == ["alert", "event"]


def test_other_alerts_and_events_are_all_kept_newest_first():
    log = device_log([DOWN], [alert(9, "2026-11-22T12:00:00+00:00", "Disk space running low.", "WARNING")])
    assert [e["message"] for e in log] == ["Disk space running low.", "Interface eth0 is down"]


def test_a_resolved_alert_reads_resolved_even_if_it_was_acknowledged():
    resolved = dict(alert(7, DOWN["time"], DOWN["message"], "CRITICAL"), acknowledged=True, status="resolved")
    acked = dict(alert(8, UP["time"], "Disk space running low.", "WARNING"), acknowledged=True, status="acknowledged")
    still = dict(alert(9, OLD["time"], "Fan 2 failed", "ERROR"), status="open")
    log = device_log([], [resolved, acked, still])
    assert {e["id"]: e["state"] for e in log} == {7: "resolved", 8: "ack", 9: None}
