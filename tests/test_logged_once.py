"""A lasting problem is logged when it appears or changes, not on every run: the poller
under a timer (`--once`, a new process each time) and the builder, counted over cycles."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each test runs a command three times

GOOD = {"host": "127.0.0.1", "port": 9, "snmp": {"version": "2c", "community": "s3cret-value"},
        "timeout": 0.2, "retries": 0}


def run(*args):
    result = subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, timeout=60)
    return result.stderr


def lines_about(logs, text):
    return sum(line.count(text) for run_log in logs for line in run_log.splitlines())


def poll(tmp_path):
    return run("collector.poll", "--once", "--machines", tmp_path / "machines", "--samples", tmp_path / "samples",
               "--alertfiles", tmp_path / "alertfiles")


def build(tmp_path):
    return run("site_builder", "--machines", tmp_path / "machines", "--samples", tmp_path / "samples",
               "--db", tmp_path / "vigie.db", "--out", tmp_path / "www", "--jobs", "1")


def machines(tmp_path):
    folder = tmp_path / "machines"
    folder.mkdir()
    (folder / "ok.json").write_text(json.dumps(GOOD))
    (folder / "bad.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {"version": "2c"}}))
    return folder


def test_poller_logs_a_bad_machine_file_once_per_change(tmp_path):
    folder = machines(tmp_path)
    logs = [poll(tmp_path) for _ in range(3)]
    assert lines_about(logs, "bad.json: missing field 'snmp.community'") == 1, logs
    (folder / "bad.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {"version": "2c", "community": 7}}))
    logs = [poll(tmp_path) for _ in range(2)]
    assert lines_about(logs, "bad.json: snmp.community: invalid secret") == 1, logs
    (folder / "bad.json").write_text(json.dumps(GOOD))
    logs = [poll(tmp_path) for _ in range(2)]
    assert lines_about(logs, "bad.json is valid again") == 1
    assert lines_about(logs, "machine file skipped") == 0
    assert "s3cret-value" not in "".join(logs)


def test_builder_logs_a_bad_machine_file_once_per_change(tmp_path):
    folder = machines(tmp_path)
    logs = [build(tmp_path) for _ in range(3)]
    assert lines_about(logs, "bad.json: missing field 'snmp.community'") == 1, logs
    assert lines_about(logs, "no alerts database") == 1 and lines_about(logs, "no samples folder") == 1
    (folder / "bad.json").unlink()
    logs = [build(tmp_path) for _ in range(2)]
    assert lines_about(logs, "bad.json is valid again") == 1
    assert lines_about(logs, "skipping machine file") == 0
