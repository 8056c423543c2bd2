import csv
import io
import os
import pty
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pytest

from collector import generate
from collector.generate import MESSAGES
from vigie.alert import FIELDS, normalize_alert

REPO = Path(__file__).resolve().parent.parent
START, END = "2026-11-01T00:00:00+00:00", "2026-11-08T00:00:00+00:00"


def run_generate(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "collector.generate", *args],
        cwd=REPO, capture_output=True, timeout=60, **kwargs,
    )


def generated(tmp_path, count=2000, seed="7", *extra) -> tuple:
    out = tmp_path / "alerts.csv"
    result = run_generate("--count", str(count), "--seed", seed, "--start", START, "--end", END, "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr.decode()
    return out, list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))


def test_output_is_csv_with_the_header_and_the_count(tmp_path):
    _, rows = generated(tmp_path, count=1234)
    assert rows[0] == list(FIELDS)
    assert len(rows) == 1 + 1234
    for row in rows[1:]:
        assert len(row) == 7
        normalize_alert(dict(zip(FIELDS, row)))  # raises on any bad value


def test_quoting_is_exactly_what_the_csv_module_writes(tmp_path):
    out, rows = generated(tmp_path, count=3000)
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert again.getvalue() == out.read_text(encoding="utf-8")
    assert any("," in row[4] for row in rows[1:]), "a provider holding a comma exercises quoting"
    assert any("é" in row[4] for row in rows[1:])


def test_messages_come_from_their_severity_list(tmp_path):
    _, rows = generated(tmp_path, count=5000)
    seen = defaultdict(set)
    for row in rows[1:]:
        seen[row[2]].add(row[3])
    assert {sev: set(texts) for sev, texts in MESSAGES.items()} == dict(seen)
    assert "Server is on fire" in seen["CRITICAL"] and "Backup successful." in seen["INFO"]


def test_severities_are_weighted_mostly_info_few_critical(tmp_path):
    _, rows = generated(tmp_path, count=5000)
    counts = Counter(row[2] for row in rows[1:])
    assert counts["INFO"] > counts["WARNING"] > counts["ERROR"] > counts["CRITICAL"] > 0
    assert counts["INFO"] > 0.5 * 5000 and counts["CRITICAL"] < 0.1 * 5000


def test_each_server_keeps_one_application_environment_and_provider(tmp_path):
    _, rows = generated(tmp_path, count=3000)
    tied = defaultdict(set)
    for row in rows[1:]:
        tied[row[1]].add((row[4], row[5], row[6]))
    assert len(tied) == 20
    assert all(len(v) == 1 for v in tied.values())
    assert {name.split("-")[0] for name in tied} >= {"web", "db", "app"}
    assert {v.copy().pop()[2] for v in tied.values()} >= {"prod"}


def test_timestamps_are_sorted_utc_and_inside_the_span(tmp_path):
    _, rows = generated(tmp_path, count=3000)
    stamps = [row[0] for row in rows[1:]]
    assert stamps == sorted(stamps)
    assert all(s.endswith("+00:00") for s in stamps)
    assert START <= stamps[0] and stamps[-1] < END


def test_working_hours_are_busier_than_nights(tmp_path):
    _, rows = generated(tmp_path, count=20000)
    hours = Counter(datetime.fromisoformat(row[0]).hour for row in rows[1:])
    assert hours[14] > 2 * hours[3]


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    first, _ = generated(tmp_path / "a", seed="42")
    second, _ = generated(tmp_path / "b", seed="42")
    other, _ = generated(tmp_path / "c", seed="43")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_servers_option_takes_a_count_or_names(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    _, rows = generated(tmp_path / "a", 2000, "1", "--servers", "3")
    assert len({row[1] for row in rows[1:]}) == 3
    _, rows = generated(tmp_path / "b", 2000, "1", "--servers", "web-frontal,db-principale,routeur, Ré")
    assert {row[1] for row in rows[1:]} == {"web-frontal", "db-principale", "routeur", "Ré"}


def test_stdout_is_the_default_output():
    result = run_generate("--count", "5", "--seed", "1")
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert lines[0] == ",".join(FIELDS) and len(lines) == 6


def test_relative_span_ends_now():
    before = datetime.now(timezone.utc).timestamp()
    result = run_generate("--count", "50", "--start", "-2h")
    assert result.returncode == 0, result.stderr.decode()
    stamps = [line.split(",")[0] for line in result.stdout.decode().splitlines()[1:]]
    assert len(stamps) == 50
    now = datetime.now(timezone.utc).timestamp()
    assert all(before - 2 * 3600 - 1 <= datetime.fromisoformat(s).timestamp() <= now for s in stamps)


def test_zero_count_writes_only_the_header(tmp_path):
    _, rows = generated(tmp_path, count=0)
    assert rows == [list(FIELDS)]


def test_writes_atomically_leaving_no_temp_file(tmp_path):
    out, _ = generated(tmp_path, count=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--count", "-3"], "cannot be negative"),
        (["--count", "many"], "not a whole number"),
        (["--start", "yesterday-ish"], "ISO 8601"),
        (["--start", "2026-11-02", "--end", "2026-11-01"], "--end must come after --start"),
        (["--servers", "0"], "at least one server"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(args, words):
    result = run_generate(*args)
    assert result.returncode == 2
    assert words in result.stderr.decode()


def test_unwritable_output_is_a_clear_error(tmp_path):
    result = run_generate("--count", "5", "--out", str(tmp_path / "missing" / "alerts.csv"))
    assert result.returncode == 1
    assert "cannot write" in result.stderr.decode() and "missing" in result.stderr.decode()


def test_help_describes_the_options():
    result = run_generate("--help")
    assert result.returncode == 0
    for option in ("--count", "--out", "--seed", "--servers", "--start", "--end"):
        assert option in result.stdout.decode()


def run_with_stderr_on_a_terminal(args, tmp_path) -> str:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "collector.generate", *args],
                                   cwd=REPO, stdout=subprocess.DEVNULL, stderr=terminal)
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 0
        return seen.decode()
    finally:
        os.close(controller)


def test_progress_bar_on_a_terminal_for_large_counts(tmp_path):
    shown = run_with_stderr_on_a_terminal(["--count", "100000", "--seed", "1", "--out", str(tmp_path / "a.csv")], tmp_path)
    assert "100%" in shown and "100,000/100,000 alerts" in shown and "[####" in shown


def test_no_progress_bar_for_small_counts_or_when_not_a_terminal(tmp_path):
    shown = run_with_stderr_on_a_terminal(["--count", "1000", "--out", str(tmp_path / "a.csv")], tmp_path)
    assert shown == ""
    result = run_generate("--count", "100000", "--out", str(tmp_path / "b.csv"))
    assert result.stderr == b""


def test_progress_bar_reports_each_chunk():
    stream = io.StringIO()
    generate.generate(io.StringIO(), 250_000, 0, 7 * 86400, seed=1, progress=generate.ProgressBar(stream))
    percents = [int(u.split()[2].rstrip("%")) for u in stream.getvalue().split("\r")[1:]]
    assert len(percents) >= 2 and percents == sorted(percents) and percents[-1] == 100
    assert stream.getvalue().endswith("250,000/250,000 alerts\n")
