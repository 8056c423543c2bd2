"""collector/generate_and_split.sh: generate then split, as the timers run it."""

import csv
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vigie.alert_file import parse
from vigie.alert import normalize_alert

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "collector" / "generate_and_split.sh"


def run(tmp_path, *args, env=None):
    (tmp_path / "tmp").mkdir(exist_ok=True)
    environment = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), **(env or {})}
    return subprocess.run(["bash", str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=environment, cwd=tmp_path)


def alerts(folder: Path) -> list:
    return [parse(f.read_text(encoding="utf-8")) for f in folder.glob("*.txt")]


def test_writes_count_recent_alert_files_and_cleans_up(tmp_path):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = run(tmp_path, "--count", 30, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "30 alert files written" in result.stdout
    found = alerts(tmp_path / "out")
    assert len(found) == 30
    stamps = [datetime.fromisoformat(a["timestamp"]) for a in found]
    assert all(before - timedelta(minutes=15, seconds=1) <= s <= datetime.now(timezone.utc) for s in stamps)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_span_from_option_or_environment(tmp_path):
    run(tmp_path, "--count", 20, "--span", "2d", tmp_path / "a")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    run(tmp_path, "--count", 20, tmp_path / "b", env={"VIGIE_GENERATE_SPAN": "30s"})
    assert min(datetime.fromisoformat(a["timestamp"]) for a in alerts(tmp_path / "a")) < before - timedelta(hours=1)
    assert all(datetime.fromisoformat(a["timestamp"]) >= before - timedelta(seconds=31) for a in alerts(tmp_path / "b"))
    assert len(alerts(tmp_path / "b")) == 20


def test_keeps_the_csv_when_asked_and_files_match_it(tmp_path):
    result = run(tmp_path, "--count", 25, "--seed", 3, "--csv", tmp_path / "kept.csv", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "kept.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == 25
    key = lambda a: sorted(a.items())
    assert sorted(map(key, alerts(tmp_path / "out"))) == sorted(key(normalize_alert(r)) for r in rows)


def test_alerts_are_about_the_servers_given(tmp_path):
    result = run(tmp_path, "--count", 30, "--servers", "sim-core-router,sim-edge-switch", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert {a["server"] for a in alerts(tmp_path / "out")} == {"sim-core-router", "sim-edge-switch"}


def test_each_run_adds_new_alerts(tmp_path):
    run(tmp_path, "--count", 10, tmp_path / "out")
    run(tmp_path, "--count", 10, tmp_path / "out")
    assert len(alerts(tmp_path / "out")) == 20


@pytest.mark.parametrize(
    "args, words",
    [
        (["--count", "lots", "out"], "--count needs a whole number"),
        (["--span", "15", "out"], "--span needs a number and a unit"),
        (["--bogus", "out"], "unknown option '--bogus'"),
        ([], "Usage:"),
    ],
)
def test_bad_usage_is_explained(tmp_path, args, words):
    result = run(tmp_path, *args)
    assert result.returncode == 2 and words in result.stderr
    assert not (tmp_path / "out").exists()


def test_help():
    result = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--count N" in result.stdout and "OUTDIR" in result.stdout
