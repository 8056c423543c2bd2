"""`python -m collector.status`: its exit status says whether everything could be read."""

import json
import subprocess
import sys

import pytest

GOOD_MACHINE = {"host": "127.0.0.1", "snmp": {"version": "2c", "community": "s3cret"}}


def run(*args):
    return subprocess.run([sys.executable, "-m", "collector.status", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def folders(tmp_path):
    machines, samples = tmp_path / "machines", tmp_path / "samples"
    machines.mkdir()
    samples.mkdir()
    for name in ("r1", "r2"):
        (machines / f"{name}.json").write_text(json.dumps(GOOD_MACHINE))
    return machines, samples


def write_bad(samples, how):
    path = samples / "r1.json"
    if how == "directory":
        path.mkdir()
    else:
        path.write_text(how)


@pytest.mark.parametrize("how", ["{half a file", "", "[]", '{"format": 1, "status": 5}',
                                 '{"format": 1, "status": {}, "interfaces": [{"index": 1}]}', "directory"])
@pytest.mark.parametrize("as_json", [False, True])
def test_an_unreadable_samples_file_is_named_and_the_exit_status_says_so(folders, how, as_json):
    machines, samples = folders
    write_bad(samples, how)
    result = run("--machines", str(machines), "--samples", str(samples), *(["--json"] if as_json else []))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    told = [line for line in result.stderr.splitlines() if line.startswith("vigie: ")]
    assert len(told) == 1 and str(samples / "r1.json") in told[0]
    if as_json:  # every machine is still listed; the unreadable one as unknown
        assert [(m["name"], m["status"]) for m in json.loads(result.stdout)] == [("r1", "unknown"), ("r2", "unknown")]
    assert "s3cret" not in result.stdout + result.stderr


def test_a_bad_machine_file_is_named_and_skipped_as_the_collector_does(folders):
    machines, samples = folders
    (machines / "broken.json").write_text("{nope")
    result = run("--machines", str(machines), "--samples", str(samples))
    assert result.returncode == 0 and "machine file skipped" in result.stderr and "broken.json" in result.stderr


def test_everything_readable_is_exit_status_0(folders):
    machines, samples = folders
    result = run("--machines", str(machines), "--samples", str(samples))
    assert result.returncode == 0 and result.stderr == ""
    assert "Exit status" in run("--help").stdout
