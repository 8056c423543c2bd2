"""`python -m collector.syslog` as a process, fed by util-linux logger, Debian's rsyslogd and raw sockets."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from vigie import alert_file
from tests.support.syslog import Rsyslog, SyslogIntake, read_jsonl, send_logger, wait_until


@pytest.fixture
def intake(tmp_path):
    server = SyslogIntake(tmp_path, machines={
        "rt1": {"host": "127.0.0.1", "tags": {"application": "core-network", "environment": "prod",
                                                 "provider": "NetOps"}},
    }, args=["--alert-holddown", "0"]).start()
    yield server
    server.stop()


def messages(entries):
    return [e["message"] for e in entries]


def test_logger_over_udp_and_tcp_in_both_formats(intake):
    send_logger(intake.udp_port, "udp 5424", rfc="rfc5424", tag="sshd", priority="auth.warning")
    send_logger(intake.udp_port, "udp 3164", rfc="rfc3164", tag="cron")
    send_logger(intake.tcp_port, "tcp newline", tcp=True, tag="app1")
    send_logger(intake.tcp_port, "tcp octets", tcp=True, octet_count=True, tag="app2")
    entries = intake.wait_for("rt1", lambda e: len(e) == 4)
    by_message = {e["message"]: e for e in entries}
    assert set(by_message) == {"udp 5424", "udp 3164", "tcp newline", "tcp octets"}
    first = by_message["udp 5424"]
    assert (first["severity"], first["facility"], first["app"], first["source"], first["kind"]) == \
        ("warning", "auth", "sshd", "127.0.0.1", "syslog")
    assert first["host"] == socket.gethostname() and first["time"].endswith("Z")
    assert by_message["udp 3164"]["app"] == "cron" and by_message["tcp octets"]["app"] == "app2"


def test_grave_messages_become_alert_files_the_watcher_accepts(intake):
    send_logger(intake.tcp_port, "Interface ge-0/0/1 is down", tcp=True, tag="ifmgr", priority="local0.err")
    send_logger(intake.tcp_port, "Interface ge-0/0/1 is down", tcp=True, tag="ifmgr", priority="local0.err")
    send_logger(intake.tcp_port, "just chatting", tcp=True, tag="ifmgr", priority="local0.warning")
    intake.wait_for("rt1", lambda e: len(e) == 3)
    files = wait_until(lambda: sorted(intake.alertfiles_dir.glob("*.txt")) if
                       len(list(intake.alertfiles_dir.glob("*.txt"))) == 2 else None)
    assert files, intake.log_text()
    records = [alert_file.parse(f.read_text()) for f in files]
    assert {r["message"] for r in records} == {"ifmgr: Interface ge-0/0/1 is down"}
    assert all((r["server"], r["severity"], r["application"], r["provider"]) == ("rt1", "ERROR", "core-network", "NetOps")
               for r in records)
    assert all(f.name.startswith("syslog-rt1-") for f in files)
    # the repeat carries the same fingerprint: the API counts it on the first alert
    assert records[0]["fingerprint"] == records[1]["fingerprint"] and records[0]["fingerprint"].startswith("syslog:rt1:")


def test_holddown_keeps_one_alert_file_per_repeated_message(tmp_path):
    intake = SyslogIntake(tmp_path, machines={"rt1": {"host": "127.0.0.1"}}).start()
    try:
        for _ in range(5):
            intake.send_udp(b"<11>disk: sda1 failing")
        intake.wait_for("rt1", lambda e: len(e) == 5)
        time.sleep(0.5)
        assert len(list(intake.alertfiles_dir.glob("*.txt"))) == 1
    finally:
        intake.stop()
    assert "alerts held down" not in intake.log_text()  # holding repeats down is not a loss


def test_rsyslog_forwards_octet_counted_rfc5424_and_the_host_name_picks_the_machine(tmp_path):
    # two machines share 127.0.0.1, so the address decides nothing: the host name rsyslog sends does
    intake = SyslogIntake(tmp_path, machines={"sim-a": {"host": "127.0.0.1"},
                                              "sim-b": {"host": "127.0.0.1", "aliases": ["edge-b.example"]}}).start()
    rsyslog = Rsyslog(tmp_path, forward_to=intake.tcp_port, hostname="edge-b.example").start()
    try:
        rsyslog.log_message("through rsyslog: Ünïcode ok", tag="bgpd", priority="daemon.crit")
        entries = intake.wait_for("sim-b", lambda e: len(e) == 1)
    finally:
        rsyslog.stop()
        intake.stop()
    assert entries[0]["message"] == "through rsyslog: Ünïcode ok"
    assert (entries[0]["host"], entries[0]["app"], entries[0]["severity"]) == ("edge-b.example", "bgpd", "crit")
    assert "device_time" in entries[0]
    assert intake.entries("sim-a") == []


def test_unknown_senders_go_to_the_unknown_log_rate_limited(tmp_path):
    intake = SyslogIntake(tmp_path, machines={"rt9": {"host": "192.0.2.9"}},
                          args=["--unknown-per-minute", "10"]).start()
    try:
        intake.send_udp(*[b"<13>Jan  1 00:00:00 stranger app: message %d" % i for i in range(50)])
        entries = wait_until(lambda: read_jsonl(intake.logs_dir / "@unknown.jsonl"))
        time.sleep(0.5)
    finally:
        assert intake.stop() == 0
    entries = read_jsonl(intake.logs_dir / "@unknown.jsonl")
    assert 1 <= len(entries) <= 6 and entries[0]["host"] == "stranger"
    assert "dropped unknown rate" in intake.log_text() and "127.0.0.1" in intake.log_text()


def test_malformed_oversize_and_invalid_utf8_are_kept_as_text(tmp_path):
    intake = SyslogIntake(tmp_path, machines={"rt1": {"host": "127.0.0.1"}}, args=["--max-message", "100"]).start()
    try:
        intake.send_udp(b"\xff\xfe\xfd", b"<13>" + b"L" * 500, b"", b"\x00\r\n", b"<999>>>", b"no pri at all")
        intake.send_tcp(b"<13>bad \xc3\x28 byte\n" + b"<13>" + b"T" * 300 + b"\n" + b"999999 <13>lies about its length"
                        + b"\n<13>after the liar\n")
        entries = intake.wait_for("rt1", lambda e: len(e) >= 6)
        time.sleep(0.5)
        assert intake.proc.poll() is None
    finally:
        assert intake.stop() == 0
    entries = intake.entries("rt1")
    found = {e["message"][:12]: e for e in entries}
    assert "\ufffd\ufffd\ufffd" in found and found["\ufffd\ufffd\ufffd"]["severity"] == "notice"
    assert found["L" * 12]["truncated"] is True and len(found["L" * 12]["message"]) == 96
    assert found["T" * 12]["truncated"] is True
    assert "bad \ufffd( byte" in messages(entries) and "no pri at all" in messages(entries)
    assert "<999>>>" in messages(entries)
    assert any(m.startswith("lies about its length") for m in messages(entries))


def all_entries(logs_dir, name):
    """Every entry of a machine's log, oldest first, rotated files included."""
    files = sorted(logs_dir.glob(f"{name}.jsonl.*"), key=lambda f: -int(f.suffix[1:]))
    return sum((read_jsonl(f) for f in files + [logs_dir / f"{name}.jsonl"]), [])


@pytest.mark.slow
def test_a_flood_neither_stalls_the_intake_nor_grows_the_logs_past_their_bounds(tmp_path):
    max_bytes, keep, count = 200_000, 2, 100_000
    # both machines are 127.0.0.1: the host name in each message picks the machine
    # rt3 takes the UDP flood, so that it cannot rotate the TCP flood's last message out of rt1's log
    intake = SyslogIntake(tmp_path, machines={"rt1": {"host": "127.0.0.1"}, "rt2": {"host": "127.0.0.1"},
                                              "rt3": {"host": "127.0.0.1"}},
                          args=["--log-max-bytes", str(max_bytes), "--log-keep", str(keep),
                                "--alert-severity", "none"]).start()
    last = b"<13>Jan  1 00:00:00 rt1 flood: message number %d" % (count - 1)

    def flood():
        intake.send_tcp(b"".join(b"<13>Jan  1 00:00:00 rt1 flood: message number %d\n" % i for i in range(count)))

    try:
        started = time.monotonic()
        thread = threading.Thread(target=flood)
        thread.start()
        time.sleep(0.3)
        intake.send_tcp(b"<13>Jan  1 00:00:00 rt2 other: a second client during the flood\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(count):
                udp.sendto(b"<13>Jan  1 00:00:00 rt3 udp: flood %d" % i, ("127.0.0.1", intake.udp_port))
        thread.join(60)
        wanted = last.split(b": ", 1)[1].decode()
        wait_until(lambda: any(e["message"] == wanted for e in all_entries(intake.logs_dir, "rt1")), timeout=60,
                   what="the last message of the TCP flood")
        elapsed = time.monotonic() - started
        assert intake.proc.poll() is None
        files = {name: list(intake.logs_dir.glob(f"{name}.jsonl*")) for name in ("rt1", "rt3")}
        flood_entries = all_entries(intake.logs_dir, "rt1")
        second = intake.entries("rt2")
    finally:
        assert intake.stop() == 0
    print(f"200,000 messages offered (100,000 TCP + 100,000 UDP) in {elapsed:.1f} s")
    assert all(len(kept) <= keep + 1 and all(f.stat().st_size <= max_bytes for f in kept) for kept in files.values())
    assert len(flood_entries) > 1000
    # the second client was served while the flood went on, not after it
    assert [e["message"] for e in second] == ["a second client during the flood"]
    tcp_flood = [e for e in flood_entries if e["app"] == "flood"]
    assert second[0]["time"] < tcp_flood[-1]["time"]


def test_sighup_reads_the_machines_folder_again(tmp_path):
    intake = SyslogIntake(tmp_path, args=["--rescan", "3600"]).start()
    try:
        intake.send_udp(b"<13>before")
        wait_until(lambda: read_jsonl(intake.logs_dir / "@unknown.jsonl"))
        intake.add_machine("late", {"host": "127.0.0.1"})
        intake.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        intake.send_udp(b"<13>after")
        assert intake.wait_for("late", lambda e: messages(e) == ["after"])
    finally:
        intake.stop()


def test_a_bad_machine_file_is_named_and_the_others_work(tmp_path):
    intake = SyslogIntake(tmp_path, machines={"good": {"host": "127.0.0.1"}})
    (intake.machines_dir / "bad.json").write_text('{"host": "x"}')
    intake.start()
    try:
        intake.send_udp(b"<13>fine")
        intake.wait_for("good", lambda e: len(e) == 1)
    finally:
        intake.stop()
    assert "bad.json" in intake.log_text() and "snmp" in intake.log_text()


@pytest.mark.parametrize("args, text", [
    (["--listen", "http://0.0.0.0:80"], "expected udp://HOST:PORT"),
    (["--listen", "udp://127.0.0.1"], "HOST:PORT"),
    (["--timezone", "Mars/Olympus"], "unknown time zone"),
    (["--alert-severity", "loud"], "--alert-severity must be a syslog severity (emerg, alert"),
])
def test_bad_options_are_clear_errors(tmp_path, args, text):
    result = subprocess.run([sys.executable, "-m", "collector.syslog", "--machines", str(tmp_path), *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and text in result.stderr


def test_a_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "collector.syslog", "--machines", str(tmp_path), "--logs",
                                 str(tmp_path / "logs"), "--listen", f"tcp://127.0.0.1:{port}"],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "cannot listen" in result.stderr


def test_help():
    result = subprocess.run([sys.executable, "-m", "collector.syslog", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--listen" in result.stdout and "--alert-severity" in result.stdout


def test_sockets_handed_over_by_systemd(tmp_path):
    """As vigie-syslog.socket does: systemd-socket-activate binds both ports and passes them on."""
    from tests.support.syslog import free_port

    udp_port, tcp_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    intake = SyslogIntake(tmp_path, machines={"rt1": {"host": "127.0.0.1"}})
    intake.root.joinpath("logs").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        ["systemd-socket-activate", "--datagram", "-l", f"127.0.0.1:{udp_port}",
         "systemd-socket-activate", "-l", f"127.0.0.1:{tcp_port}",
         sys.executable, "-m", "collector.syslog", "--machines", str(intake.machines_dir), "--logs",
         str(intake.logs_dir), "--alertfiles", str(intake.alertfiles_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:  # wakes the first activator
            udp.sendto(b"<13>over udp", ("127.0.0.1", udp_port))
        wait_until(lambda: subprocess.run(["ss", "-ltn", f"sport = :{tcp_port}"], capture_output=True,
                                          text=True).stdout.count("LISTEN"))
        with socket.create_connection(("127.0.0.1", tcp_port), timeout=10) as tcp:
            tcp.sendall(b"<13>over tcp\n")
        intake.wait_for("rt1", lambda e: sorted(messages(e)) == ["over tcp", "over udp"], timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0]
    assert f"udp://127.0.0.1:{udp_port}" in output and f"tcp://127.0.0.1:{tcp_port}" in output


def test_repeats_reach_the_api_as_duplicates_of_one_alert(tmp_path, api_server):
    """Intake -> alert files -> watcher -> API: the same grave message twice is one alert seen twice."""
    intake = SyslogIntake(tmp_path, machines={"rt1": {"host": "127.0.0.1"}}, args=["--alert-holddown", "0"]).start()
    try:
        intake.send_udp(b"<11>Jan  1 00:00:00 rt1 raid: array degraded")
        wait_until(lambda: len(list(intake.alertfiles_dir.glob("*.txt"))) == 1)
        intake.send_udp(b"<11>Jan  1 00:00:00 rt1 raid: array degraded")
        wait_until(lambda: len(list(intake.alertfiles_dir.glob("*.txt"))) == 2)
    finally:
        intake.stop()
    token = tmp_path / "token"
    token.write_text(api_server.operator.token)
    token.chmod(0o600)
    sent = subprocess.run([sys.executable, "-m", "collector.watch", "--once", "--dir", str(intake.alertfiles_dir),
                           "--api", api_server.url, "--token-file", str(token)], capture_output=True, text=True,
                          timeout=60)
    assert sent.returncode == 0, sent.stderr
    import requests

    alerts = requests.get(f"{api_server.url}/api/alert", params={"server": "rt1"}, headers=api_server.viewer.headers,
                          timeout=10).json()["results"]
    assert [(a["message"], a["severity"], a["duplicate_count"]) for a in alerts] == [
        ("raid: array degraded", "ERROR", 1)]
    assert alerts[0]["fingerprint"].startswith("syslog:rt1:")


def test_the_counters_start_at_zero_before_the_first_message(tmp_path):
    """/metrics shows the intake's counters from its start, at 0, not only once a message came."""
    from vigie import metrics

    intake = SyslogIntake(tmp_path).start()
    try:
        stats = intake.logs_dir / ".syslog-intake.json"
        wait_until(stats.exists, 10, "the intake's counters written at its start")
        text = metrics.exposition(intake.machines_dir, tmp_path / "samples", logs_dir=intake.logs_dir).decode()
    finally:
        intake.stop()
    assert "vigie_syslog_messages_received_total 0" in text
    assert "vigie_syslog_messages_written_total 0" in text
    assert 'vigie_syslog_messages_dropped_total{reason="unknown_rate"} 0' in text
