"""Done as a person would do it, in `make run`: a mailto:// channel pointed at the local
test mail server (--mail-server), a rule for one simulated device; the device stops
and one mail arrives; the alert is acknowledged and no repeat comes; the device answers
again and one "resolved" arrives. A viewer in a team scoped to the simulator's provider
sees only that provider's alerts."""

import os
import signal
import time

import pytest
import requests

from tests.test_make_run import Run, free_tcp_port, processes_mentioning

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.waits]  # sleeps past a one-minute repeat interval


def subjects(run) -> list:
    return [line.split("Subject:", 1)[1].strip() for line in run.output().splitlines()
            if line.lstrip().startswith("smtp |") and "Subject:" in line]


def simulator_pids(run) -> list:
    return [pid for pid, cmd in processes_mentioning(str(run.workdir)) if "snmpsim-command-responder" in cmd]


def test_one_mail_when_the_device_stops_no_repeat_once_acknowledged_one_when_it_is_back(tmp_path):
    smtp_port = free_tcp_port()
    run = Run(tmp_path, extra=["--devices", "1", "--generate-every", "600", "--history", "30",
                               "--mail-server", str(smtp_port)])
    try:
        run.wait_for(lambda: "Vigie is running" in run.output(), "the start banner")
        admin = run.admin()
        api = lambda method, path, **kw: requests.request(method, run.url + path, auth=admin, timeout=10, **kw)  # noqa: E731
        assert api("POST", "/api/notify/channel", json={
            "name": "me", "url": f"mailto://127.0.0.1:{smtp_port}?from=vigie@localhost&to=me@example.org"}).status_code == 201
        assert api("POST", "/api/notify/rule", json={
            # the collector's alerts (the machine's tags), not the invented ones about the same machine
            "name": "router", "match": {"server": ["sim-core-router"], "environment": ["demo"]},
            "steps": [{"channels": ["me"]}],
            "group_wait_seconds": 0, "repeat_minutes": 1}).status_code == 201
        run.wait_for(lambda: any(p.name == "sim-core-router.json" for p in (run.workdir / "data" / "samples").glob("*.json")),
                     "a first poll of the device")
        time.sleep(6)  # the notifier has looked once, the device answers
        assert subjects(run) == []

        for pid in simulator_pids(run):
            os.kill(pid, signal.SIGSTOP)  # the device stops answering
        run.wait_for(lambda: len(subjects(run)) >= 1, "the mail telling the device is down", timeout=120)
        [down] = subjects(run)
        assert down.startswith("[CRITICAL] opened: sim-core-router:")
        alerts = api("GET", "/api/alert", params={"server": "sim-core-router", "status": "open"}).json()["results"]
        [alert] = [a for a in alerts if a["severity"] == "CRITICAL" and a["environment"] == "demo"]
        assert api("POST", f"/api/alert/{alert['id']}/ack").status_code == 200
        sent = api("GET", f"/api/alert/{alert['id']}/notifications").json()["results"]
        assert [(n["channel"], n["kind"], n["state"]) for n in sent] == [("me", "opened", "delivered")]
        time.sleep(75)  # past the one-minute repeat interval: an unacknowledged alert would be told again
        assert len(subjects(run)) == 1

        for pid in simulator_pids(run):
            os.kill(pid, signal.SIGCONT)  # and answers again
        run.wait_for(lambda: len(subjects(run)) >= 2, "the mail telling it is resolved", timeout=120)
        time.sleep(3)
        assert len(subjects(run)) == 2
        assert subjects(run)[1].startswith("[RESOLVED] sim-core-router:")

        # a viewer in a team scoped to the simulator's provider sees only its alerts
        assert requests.post(run.url + "/api/user", auth=admin, timeout=10, json={
            "username": "sim-viewer", "role": "viewer", "password": "sim-viewer-pw"}).status_code == 201
        assert api("POST", "/api/team", json={"name": "simulator", "scope": {"provider": ["Vigie simulator"]},
                                              "members": ["sim-viewer"]}).status_code == 201
        every = api("GET", "/api/alert", params={"limit": 1000}).json()
        assert {a["provider"] for a in every["results"]} - {"Vigie simulator"}, "the history has other providers"
        seen = requests.get(run.url + "/api/alert", params={"limit": 1000}, auth=("sim-viewer", "sim-viewer-pw"),
                            timeout=10).json()
        assert seen["count"] >= 1 and {a["provider"] for a in seen["results"]} == {"Vigie simulator"}
        assert run.interrupt() == 0
    finally:
        for pid in simulator_pids(run):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        run.kill()
