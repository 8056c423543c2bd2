"""The per-machine device log (vigie/device_log.py): bounded files, newest first, search and filter."""

import json
import multiprocessing
import os

import pytest

from vigie import device_log as dl

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def line(i, severity="info", message=None, ts=None, **extra):
    return dl.encode(dl.entry(T0 + i if ts is None else ts, severity, "rt1", "app", message or f"message {i}", **extra))


def test_entry_has_the_documented_fields_in_order():
    record = json.loads(line(0, "err", device_time="2026-01-01T00:00:00.000Z", pid="", source="192.0.2.1"))
    assert list(record) == ["time", "severity", "host", "app", "message", "device_time", "source"]
    assert record["time"] == "2026-01-01T00:00:00.000Z" and record["severity"] == "err"


def test_append_and_read_newest_first(tmp_path):
    dl.append(tmp_path, "rt1", [line(i) for i in range(5)], now=T0)
    entries, more = dl.read(tmp_path, "rt1", limit=3)
    assert [e["message"] for e in entries] == ["message 4", "message 3", "message 2"] and more
    entries, more = dl.read(tmp_path, "rt1", limit=3, offset=3)
    assert [e["message"] for e in entries] == ["message 1", "message 0"] and not more


def test_severity_filter_keeps_that_severity_and_graver(tmp_path):
    severities = ["debug", "info", "notice", "warning", "err", "crit", "alert", "emerg"]
    dl.append(tmp_path, "rt1", [line(i, s) for i, s in enumerate(severities)], now=T0)
    entries, _ = dl.read(tmp_path, "rt1", severity="err")
    assert [e["severity"] for e in entries] == ["emerg", "alert", "crit", "err"]
    entries, _ = dl.read(tmp_path, "rt1", severity="warning", query="MESSAGE 3")
    assert [e["message"] for e in entries] == ["message 3"]


def test_search_is_case_insensitive_over_message_app_and_host(tmp_path):
    dl.append(tmp_path, "rt1", [line(0, message="Interface Gi0/1 DOWN"), line(1, message="other")], now=T0)
    assert [e["message"] for e in dl.read(tmp_path, "rt1", query="gi0/1 down")[0]] == ["Interface Gi0/1 DOWN"]
    assert len(dl.read(tmp_path, "rt1", query="RT1")[0]) == 2


def test_unknown_severity_names_the_field():
    with pytest.raises(dl.DeviceLogError) as info:
        dl.read("/nonexistent", "rt1", severity="loud")
    assert info.value.field == "severity" and "loud" in info.value.message


@pytest.mark.parametrize("given, keyword", [("ERROR", "err"), ("3", "err"), ("warn", "warning"), ("panic", "emerg")])
def test_severity_aliases(given, keyword):
    assert dl.normalize_severity(given) == keyword


def test_rotation_by_size_keeps_every_file_within_bounds(tmp_path):
    limits = dl.Limits(max_bytes=2000, keep=2)
    for i in range(200):
        dl.append(tmp_path, "rt1", [line(i)], limits, now=T0 + i)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["rt1.jsonl", "rt1.jsonl.1", "rt1.jsonl.2"]
    assert all((tmp_path / f).stat().st_size <= 2000 for f in files)
    entries, _ = dl.read(tmp_path, "rt1", limit=1000, limits=limits)
    numbers = [int(e["message"].split()[1]) for e in entries]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == 199
    assert len(numbers) == sum(len((tmp_path / f).read_bytes().splitlines()) for f in files)


def test_one_large_batch_is_split_over_files(tmp_path):
    limits = dl.Limits(max_bytes=1000, keep=50)
    dl.append(tmp_path, "rt1", [line(i) for i in range(100)], limits, now=T0)
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())
    assert len(dl.read(tmp_path, "rt1", limit=1000, limits=limits)[0]) == 100


def test_rotation_by_age_of_the_first_line(tmp_path):
    limits = dl.Limits(rotate_seconds=3600)
    dl.append(tmp_path, "rt1", [line(0)], limits, now=T0)
    dl.append(tmp_path, "rt1", [line(10)], limits, now=T0 + 60)
    assert not (tmp_path / "rt1.jsonl.1").exists()
    dl.append(tmp_path, "rt1", [line(7200)], limits, now=T0 + 7200)
    assert (tmp_path / "rt1.jsonl.1").read_bytes().count(b"\n") == 2
    assert (tmp_path / "rt1.jsonl").read_bytes().count(b"\n") == 1


def test_prune_removes_rotated_files_past_their_age_or_count(tmp_path):
    limits = dl.Limits(keep=2, max_age_seconds=86400)
    for name in ("rt1.jsonl", "rt1.jsonl.1", "rt1.jsonl.2", "rt1.jsonl.3", "rt1.jsonl.bak"):
        (tmp_path / name).write_bytes(line(0))
    os.utime(tmp_path / "rt1.jsonl.2", (T0 - 2 * 86400, T0 - 2 * 86400))
    os.utime(tmp_path / "rt1.jsonl.1", (T0, T0))
    assert dl.prune_all(tmp_path, limits, now=T0 + 10) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rt1.jsonl", "rt1.jsonl.1", "rt1.jsonl.bak"]


def test_a_half_written_line_is_skipped(tmp_path):
    (tmp_path / "rt1.jsonl").write_bytes(line(0) + line(1) + b'{"time":"2026-01-01T00:00:02Z","sev')
    assert [e["message"] for e in dl.read(tmp_path, "rt1")[0]] == ["message 1", "message 0"]


def test_missing_log_reads_empty(tmp_path):
    assert dl.read(tmp_path, "nothing") == ([], False)


def test_long_message_is_cut_and_marked():
    record = json.loads(dl.encode(dl.entry(T0, "info", "h", "a", "x" * 20000)))
    assert len(record["message"]) == dl.MAX_MESSAGE_CHARS and record["truncated"] is True


def test_names_lists_machines_and_the_unknown_log(tmp_path):
    dl.append(tmp_path, "rt1", [line(0)], now=T0)
    dl.append(tmp_path, dl.UNKNOWN_LOG, [line(0)], now=T0)
    (tmp_path / ".syslog-intake.json").write_text("{}")
    assert dl.names(tmp_path) == ["@unknown", "rt1"]


def _writer(folder, worker, count, max_bytes):
    limits = dl.Limits(max_bytes=max_bytes, keep=100)
    for i in range(count):
        dl.append(folder, "rt1", [dl.encode(dl.entry(T0, "info", "h", f"w{worker}", f"{worker}-{i}"))], limits,
                  now=T0)


def test_concurrent_writers_lose_and_mix_no_line(tmp_path):
    workers = [multiprocessing.Process(target=_writer, args=(tmp_path, w, 300, 4000)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert all(p.exitcode == 0 for p in workers)
    entries, _ = dl.read(tmp_path, "rt1", limit=10000, limits=dl.Limits(keep=100))
    assert sorted(e["message"] for e in entries) == sorted(f"{w}-{i}" for w in range(4) for i in range(300))
    assert all(p.stat().st_size <= 4000 for p in tmp_path.iterdir())


def test_unknown_senders_are_summed_up_by_address_most_recent_first():
    records = [  # newest first, as the log is read
        {"time": "2026-11-22T10:05:00.000Z", "severity": "err", "host": "gw-9", "app": "fan", "message": "fan 2 failed",
         "source": "192.0.2.9", "kind": "syslog"},
        {"time": "2026-11-22T10:04:00.000Z", "severity": "info", "host": "vm", "app": "cron", "message": "tick",
         "source": "127.0.0.1", "kind": "syslog"},
        {"time": "2026-11-22T10:03:00.000Z", "severity": "notice", "host": "gw-9.lab", "app": "", "message": "boot",
         "source": "192.0.2.9", "kind": "syslog"},
        {"time": "2026-11-22T10:02:00.000Z", "severity": "warning", "host": "gw-9", "app": "", "message": "cold",
         "source": "192.0.2.9", "kind": "trap"},
        {"time": "2026-11-22T10:01:00.000Z", "severity": "info", "host": "named-only", "app": "", "message": "x"},
    ]
    senders = dl.summarize_senders(records)
    assert [(s["address"], s["count"], s["hosts"]) for s in senders] == [
        ("192.0.2.9", 3, ["gw-9", "gw-9.lab"]), ("127.0.0.1", 1, ["vm"]), ("named-only", 1, [])]
    gw = senders[0]
    assert (gw["first_seen"], gw["last_seen"]) == ("2026-11-22T10:02:00.000Z", "2026-11-22T10:05:00.000Z")
    assert gw["last"]["message"] == "fan 2 failed"


def test_unknown_senders_read_the_rotated_files_too(tmp_path):
    limits = dl.Limits(max_bytes=400, keep=3)
    for i in range(12):
        line = dl.encode(dl.entry(T0 + i, "info", "gw", "app", f"message {i}", source=f"192.0.2.{i % 2}"))
        dl.append(tmp_path, dl.UNKNOWN_LOG, [line], limits, now=T0 + i)
    assert len(list(tmp_path.glob("@unknown.jsonl.*"))) >= 2
    senders = dl.unknown_senders(tmp_path, limits)
    assert sum(s["count"] for s in senders) == 12
    assert [s["address"] for s in senders] == ["192.0.2.1", "192.0.2.0"]
    assert senders[0]["last"]["message"] == "message 11"


def test_an_alert_logged_at_its_syslog_severity_reads_back_as_the_same_alert_severity():
    assert {alert: dl.ALERT_SEVERITY[log] for alert, log in dl.LOG_SEVERITY.items()} == {
        "CRITICAL": "CRITICAL", "ERROR": "ERROR", "WARNING": "WARNING", "INFO": "INFO"}
    assert {log: dl.ALERT_SEVERITY[log] for log in ("emerg", "alert", "crit", "err", "warning", "notice",
                                                            "info", "debug")} == {
        "emerg": "CRITICAL", "alert": "CRITICAL", "crit": "CRITICAL", "err": "ERROR", "warning": "WARNING",
        "notice": "INFO", "info": "INFO", "debug": "INFO"}
