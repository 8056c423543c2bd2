"""`python -m collector.poll` and `python -m collector.status` as commands."""

import json
import signal
import subprocess
import sys
import time

import pytest

from vigie import simulated_devices as sim
from vigie.samples import SamplesStore, read_current
from tests.support.snmp_agents import SnmpsimAgent


def run(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("module", ["collector.poll", "collector.status"])
def test_help(module):
    result = run(module, "--help")
    assert result.returncode == 0 and "--machines" in result.stdout


def test_missing_machines_folder_is_a_clear_error(tmp_path):
    result = run("collector.poll", "--once", "--machines", str(tmp_path / "nope"), "--samples", str(tmp_path))
    assert result.returncode == 2 and "nope" in result.stderr and "does not exist" in result.stderr


def test_status_table_without_any_poll(tmp_path):
    (tmp_path / "r1.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": {"version": "2c", "community": "s3cret"}}))
    result = run("collector.status", "--machines", str(tmp_path), "--samples", str(tmp_path / "samples"))
    assert result.returncode == 0
    assert "r1" in result.stdout and "unknown" in result.stdout and "s3cret" not in result.stdout


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_loop_picks_up_a_new_machine_file_and_stops_on_sigterm(tmp_path):
    devices = {name: sim.device_snmprec(name, [sim.interface(1, "eth0", 1_000_000_000, 1000, 1000)])
               for name in ("first", "second")}
    agent = SnmpsimAgent(tmp_path / "snmpsim", devices).start()
    machines, samples = tmp_path / "machines", tmp_path / "samples"
    machines.mkdir()
    (machines / "first.json").write_text(json.dumps(agent.machine("first")))
    proc = subprocess.Popen([sys.executable, "-m", "collector.poll", "--machines", str(machines),
                             "--samples", str(samples), "--alertfiles", str(tmp_path / "alerts"), "--rescan", "0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: (samples / "first.json").exists())
        (machines / ".second.json.tmp").write_text(json.dumps(agent.machine("second")))
        (machines / ".second.json.tmp").rename(machines / "second.json")
        assert wait_for(lambda: (samples / "second.json").exists())
        # the first machine is polled again on its 5 s interval, with rates this time
        assert wait_for(lambda: read_current(samples, "first")["interfaces"][0]["in_bps"] is not None, timeout=15)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        agent.stop()
    assert proc.returncode == 0
    assert "stopped" in stderr and "first: answering" in stderr and "second: answering" in stderr
    assert stderr.count("first: answering") == 1      # state changes are logged, not every cycle


def test_missing_secret_is_reported_and_machine_skipped(tmp_path):
    machines = tmp_path / "machines"
    machines.mkdir()
    (machines / "r9.json").write_text(json.dumps({"host": "127.0.0.1", "port": 9,
                                                   "snmp": {"version": "2c", "community": {"env": "VIGIE_UNSET_COMMUNITY"}}}))
    result = run("collector.poll", "--once", "--machines", str(machines), "--samples", str(tmp_path / "samples"),
                 "--alertfiles", str(tmp_path / "alerts"))
    assert result.returncode == 0
    assert "r9: not polled" in result.stderr and "VIGIE_UNSET_COMMUNITY" in result.stderr
    assert not (tmp_path / "samples" / "r9.json").exists()


def test_unreadable_samples_file_is_kept_aside_not_lost(tmp_path):
    from collector.poll import load_samples
    (tmp_path / "r1.json").write_text("{half a file")
    samples = load_samples(SamplesStore(tmp_path), {"name": "r1", "interval": 60})
    assert samples.machine == "r1" and samples.status["state"] == "unknown"
    kept = list(tmp_path.glob("r1.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{half a file"


@pytest.mark.parametrize("snmp", [
    {"version": "2c", "community": "leaked-community-" * 20},
    {"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "leaked-auth-key-1",
     "priv_protocol": "AES", "priv_key": "leaked-priv-key-" * 20},
])
def test_invalid_secret_is_named_but_never_logged(tmp_path, snmp):
    (tmp_path / "r1.json").write_text(json.dumps({"host": "127.0.0.1", "snmp": snmp}))
    result = run("collector.poll", "--once", "--machines", str(tmp_path), "--samples", str(tmp_path / "s"),
                 "--alertfiles", str(tmp_path / "a"))
    assert result.returncode == 0
    assert "r1.json" in result.stderr and "invalid secret" in result.stderr
    assert "leaked" not in result.stderr
