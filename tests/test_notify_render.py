"""The title of a notification, on literal alerts: a message telling only that alerts are
resolved says so first, not with the severity they had."""

from vigie.notify import render

T0 = "2026-11-22T10:15:03+00:00"


def alert(server="edge-rt-02", severity="CRITICAL", message="Machine is not answering SNMP", id=1):
    return {"id": id, "server": server, "severity": severity, "message": message, "timestamp": T0,
            "application": "", "environment": "prod", "provider": ""}


def test_a_resolved_alert_is_titled_resolved_not_with_its_old_severity():
    assert render.title([(alert(), "resolved")]) == "[RESOLVED] edge-rt-02: Machine is not answering SNMP"


def test_a_group_of_resolved_alerts_is_titled_resolved():
    entries = [(alert(id=i, server=f"leaf-{i}"), "resolved") for i in range(3)]
    assert render.title(entries, "network-prod") == "[RESOLVED] 3 alerts (rule network-prod)"


def test_a_group_with_an_open_alert_keeps_the_gravest_severity():
    entries = [(alert(id=1), "opened"), (alert(id=2, severity="WARNING"), "resolved")]
    assert render.title(entries, "network-prod") == "[CRITICAL] 1 opened, 1 resolved (rule network-prod)"
    assert render.title([(alert(), "opened")]) == "[CRITICAL] opened: edge-rt-02: Machine is not answering SNMP"
