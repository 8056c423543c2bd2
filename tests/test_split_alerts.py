"""collector/split_alerts.sh run as a real bash process on real CSV files."""

import csv
import io
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from vigie.alert_file import parse, parse_raw
from vigie.alert import FIELDS, AlertError, normalize_alert

REPO = Path(__file__).resolve().parent.parent
SPLIT = REPO / "collector" / "split_alerts.sh"
HEADER = ",".join(FIELDS)
NAME = re.compile(r"^\d{8}T\d{6}_[A-Za-z0-9._-]+_[0-9a-f]{8}(-\d+)?\.txt$")

TRICKY = [
    ["2026-11-22T10:15:03+00:00", "web-01", "CRITICAL", 'Disk "full", really', "Acme Infogérance", "billing", "prod"],
    ["2026-11-22T10:15:04+00:00", "db-01", "critique", "two\nlines\r\nhere", "Durand, Martin & Fils", "crm", "PROD"],
    ["2026-11-22T11:15:05+01:00", "app-01", "avertissement", "  padded  ", "", "", ""],
    ["2026-11-22T10:15:06Z", "app-02", "Info", "déjà vu, ça marche 💥", "Société \"Nord\"", "paie, RH", "préprod"],
    ["2026-11-22 10:15:07.5+00:00", "lb-01", "ERROR", "a,b,c,,", '""', "x", "dev"],
]


def write_csv(path: Path, rows, header=True) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(FIELDS)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def split(csv_path, outdir, *options, input=None):
    return subprocess.run(["bash", str(SPLIT), *options, str(csv_path), str(outdir)],
                          capture_output=True, text=True, timeout=120, input=input)


def alerts_in(outdir: Path) -> Counter:
    return Counter(tuple(parse(f.read_text(encoding="utf-8")).values()) for f in outdir.glob("*.txt"))


def expected(rows) -> Counter:
    return Counter(tuple(normalize_alert(dict(zip(FIELDS, row))).values()) for row in rows)


def test_every_row_becomes_one_file_that_parses_back_to_the_row(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    result = split(source, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "5 alert files written" in result.stdout
    assert alerts_in(tmp_path / "out") == expected(TRICKY)


def test_files_hold_the_seven_lines_with_values_trimmed_and_line_breaks_as_spaces(tmp_path):
    split(write_csv(tmp_path / "alerts.csv", TRICKY[1:3]), tmp_path / "out")
    texts = sorted(f.read_text(encoding="utf-8") for f in (tmp_path / "out").glob("*.txt"))
    assert texts[0] == (
        "Date : 2026-11-22T10:15:04+00:00\nServeur : db-01\nCriticité : CRITICAL\n"
        "Message : two lines here\nInfogerant : Durand, Martin & Fils\nApplication : crm\nEnvironnement : PROD\n"
    )
    assert parse_raw(texts[1])["message"] == "padded" and parse_raw(texts[1])["severity"] == "WARNING"


def test_generated_csv_round_trips_exactly(tmp_path):
    source = tmp_path / "alerts.csv"
    subprocess.run([sys.executable, "-m", "collector.generate", "--count", "3000", "--seed", "5", "--out", str(source)],
                   cwd=REPO, check=True, timeout=60)
    rows = list(csv.reader(source.open(encoding="utf-8", newline="")))[1:]
    result = split(source, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").iterdir())) == 3000
    assert alerts_in(tmp_path / "out") == expected(rows)


def test_file_names_are_stable_readable_and_never_hidden(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    split(source, tmp_path / "a")
    split(source, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert all(NAME.match(n) for n in names), names
    assert "20261122T101503_web-01_" in names[0]


def test_rerun_on_the_same_csv_writes_nothing_new(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    split(source, tmp_path / "out")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    result = split(source, tmp_path / "out")
    assert result.returncode == 0
    assert "0 alert files written" in result.stdout and "5 already there" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()} == before


def test_files_the_watcher_already_moved_aside_are_not_written_again(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    out = tmp_path / "out"
    split(source, out)
    (out / "done").mkdir()
    (out / "processing" / "1234-abcd").mkdir(parents=True)
    files = sorted(out.glob("*.txt"))
    files[0].rename(out / "processing" / "1234-abcd" / files[0].name)
    for f in files[1:]:
        f.rename(out / "done" / f.name)
    result = split(source, out)
    assert "0 alert files written" in result.stdout and "5 already there" in result.stdout
    assert list(out.glob("*.txt")) == []


def test_different_alerts_at_the_same_second_never_share_a_file(tmp_path):
    row = ["2026-11-22T10:15:03+00:00", "web-01", "INFO", "first", "p", "a", "prod"]
    split(write_csv(tmp_path / "one.csv", [row]), tmp_path / "out")
    split(write_csv(tmp_path / "two.csv", [row[:3] + ["second"] + row[4:]]), tmp_path / "out")
    assert sorted(a[3] for a in alerts_in(tmp_path / "out")) == ["first", "second"]


def test_identical_rows_in_one_csv_are_kept_apart(tmp_path):
    row = ["2026-11-22T10:15:03+00:00", "web-01", "INFO", "same", "p", "a", "prod"]
    result = split(write_csv(tmp_path / "alerts.csv", [row, row, row]), tmp_path / "out")
    assert "3 alert files written" in result.stdout
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names[0].endswith("-2.txt") and names[1].endswith("-3.txt") and names[2] == names[0][:-6] + ".txt"
    assert sum(alerts_in(tmp_path / "out").values()) == 3


BAD_ROWS = [
    ('2026-11-22T10:15:03+00:00,web-01,INFO,too few,p,a', "expected 7 fields, found 6"),
    ('2026-11-22T10:15:03+00:00,web-01,INFO,too,many,p,a,prod', "expected 7 fields, found 8"),
    ('2026-11-22T10:15:03+00:00,web-01,PANIC,msg,p,a,prod', "unknown severity 'PANIC'"),
    ('yesterday,web-01,INFO,msg,p,a,prod', "timestamp 'yesterday' is not ISO 8601"),
    ('2026-11-22T10:15:03,web-01,INFO,no offset,p,a,prod', "timestamp '2026-11-22T10:15:03' is not ISO 8601 with an offset"),
    ('2026-02-30T10:15:03+00:00,web-01,INFO,msg,p,a,prod', "timestamp '2026-02-30T10:15:03+00:00' is not a real date"),
    ('2026-11-22T25:15:03+00:00,web-01,INFO,msg,p,a,prod', "timestamp '2026-11-22T25:15:03+00:00' is not a real time of day"),
    ('2026-11-22T10:15:03+00:00, ,INFO,msg,p,a,prod', "server is empty"),
    ('2026-11-22T10:15:03+00:00,web-01,INFO,"",p,a,prod', "message is empty"),
    ('2026-11-22T10:15:03+00:00,web-01,INFO,"closed" late,p,a,prod', "unexpected text after the closing quote"),
    ('2026-11-22T10:15:03+00:00,web-01,INFO,a "stray" quote,p,a,prod', "stray quote in unquoted field 4"),
]


@pytest.mark.parametrize("bad, words", BAD_ROWS)
def test_a_bad_row_is_named_on_stderr_and_the_good_rows_are_still_written(tmp_path, bad, words):
    good = "2026-11-22T10:15:0{}+00:00,web-0{},INFO,fine,p,a,prod"
    source = tmp_path / "alerts.csv"
    source.write_text("\n".join([HEADER, good.format(1, 1), bad, good.format(2, 2)]) + "\n", encoding="utf-8")
    result = split(source, tmp_path / "out")
    assert result.returncode == 1
    assert f"{source} line 3: {words}" in result.stderr
    assert "2 alert files written" in result.stdout and "1 rows rejected" in result.stdout
    assert sorted(a[1] for a in alerts_in(tmp_path / "out")) == ["web-01", "web-02"]


def test_invalid_utf8_is_rejected_with_its_line(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_bytes(f"{HEADER}\n2026-11-22T10:15:03+00:00,web-01,INFO,caf\xe9,p,a,prod\n".encode("latin-1")
                       + "2026-11-22T10:15:04+00:00,web-02,INFO,café,p,a,prod\n".encode())
    result = split(source, tmp_path / "out")
    assert result.returncode == 1 and "line 2: not valid UTF-8" in result.stderr
    assert [a[3] for a in alerts_in(tmp_path / "out")] == ["café"]


def test_a_runaway_quote_loses_only_its_own_row(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_text(
        f'{HEADER}\n2026-11-22T10:15:03+00:00,web-01,INFO,"never closed,p,a,prod\n'
        "2026-11-22T10:15:04+00:00,web-02,INFO,after,p,a,prod\n"
        '2026-11-22T10:15:05+00:00,web-03,INFO,"multi\nline",p,a,prod\n', encoding="utf-8")
    result = split(source, tmp_path / "out")
    assert result.returncode == 1
    assert "line 2: unexpected text after the closing quote" in result.stderr
    assert "(a quote opened on this line runs to line 4)" in result.stderr
    assert result.stderr.count("row skipped") == 1
    assert sorted(a[3] for a in alerts_in(tmp_path / "out")) == ["after", "multi line"]


def test_a_quote_open_to_the_end_of_the_file_loses_only_its_own_row(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_text(
        f'{HEADER}\n2026-11-22T10:15:03+00:00,web-01,INFO,"never closed,p,a,prod\n'
        "2026-11-22T10:15:04+00:00,web-02,INFO,after,p,a,prod\n", encoding="utf-8")
    result = split(source, tmp_path / "out")
    assert result.returncode == 1
    assert "line 2: a quoted field opened here is never closed" in result.stderr
    assert [a[3] for a in alerts_in(tmp_path / "out")] == ["after"]


def test_a_bad_multi_line_row_is_named_by_its_line_range(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_text(f'{HEADER}\n2026-11-22T10:15:03+00:00,web-01,INFO,"a\nb\nc",p,a\n', encoding="utf-8")
    result = split(source, tmp_path / "out")
    assert "line 2-4: expected 7 fields, found 6" in result.stderr


@pytest.mark.parametrize(
    "text, words",
    [
        ("time,server,severity,message,provider,application,environment\n", "line 1: the header must be"),
        ("2026-11-22T10:15:03+00:00,web-01,INFO,no header,p,a,prod\n", "line 1: the header must be"),
        ("", "the file is empty"),
    ],
)
def test_a_wrong_header_writes_nothing(tmp_path, text, words):
    source = tmp_path / "alerts.csv"
    source.write_text(text + "2026-11-22T10:15:04+00:00,web-02,INFO,x,p,a,prod\n" * bool(text), encoding="utf-8")
    result = split(source, tmp_path / "out")
    assert result.returncode == 2
    assert words in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_header_may_carry_a_bom_and_lines_may_end_in_crlf(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_bytes(("\ufeff" + HEADER + "\r\n2026-11-22T10:15:03+00:00,web-01,INFO,crlf,p,a,prod\r\n").encode())
    result = split(source, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert [a[3] for a in alerts_in(tmp_path / "out")] == ["crlf"]


def test_missing_or_unreadable_csv_is_a_clear_error(tmp_path):
    result = split(tmp_path / "nope.csv", tmp_path / "out")
    assert result.returncode == 2 and "cannot read" in result.stderr and "no such file" in result.stderr
    result = split(tmp_path, tmp_path / "out")
    assert result.returncode == 2 and "is a directory" in result.stderr


def test_an_unusable_output_folder_is_a_clear_error(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    (tmp_path / "file").write_text("x")
    result = split(source, tmp_path / "file" / "out")
    assert result.returncode == 2 and "cannot create the output folder" in result.stderr


def test_reads_standard_input_and_leaves_no_temporary_folder(tmp_path):
    text = write_csv(tmp_path / "alerts.csv", TRICKY).read_text(encoding="utf-8")
    result = split("-", tmp_path / "out", input=text)
    assert result.returncode == 0, result.stderr
    assert alerts_in(tmp_path / "out") == expected(TRICKY)
    assert all(not p.name.startswith(".") for p in (tmp_path / "out").iterdir())


def test_error_messages_are_capped(tmp_path):
    source = tmp_path / "alerts.csv"
    source.write_text(HEADER + "\n" + "bad,row\n" * 30, encoding="utf-8")
    result = split(source, tmp_path / "out", "--max-errors", "5")
    assert result.returncode == 1
    assert result.stderr.count("row skipped") == 5 and "25 more rejected rows not shown" in result.stderr


def test_help_and_bad_usage():
    result = subprocess.run(["bash", str(SPLIT), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "Usage:" in result.stdout and "OUTDIR" in result.stdout
    result = subprocess.run(["bash", str(SPLIT), "only-one-arg"], capture_output=True, text=True)
    assert result.returncode == 2 and "Usage:" in result.stderr


# Text that a CSV can carry: commas, quotes, line breaks, accents, emoji, padding.
cell = st.text(st.sampled_from(list('ab ,"\n\r\té€💥-.') + ["ç", "Z", "\u00a0"]), max_size=12)
timestamps = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 1, 1))
    .map(lambda d: d.replace(microsecond=0).isoformat() + "+00:00"),
    st.sampled_from(["2026-02-29T00:00:00+00:00", "2024-02-29T23:59:59-05:30", "2026-11-22T10:15Z", "nope", "2026-13-01T00:00:00+00:00"]),
)
severities = st.sampled_from(["INFO", "critical", "Erreur", "warn", "PANIC", " info "])
rows = st.lists(st.tuples(timestamps, cell, severities, cell, cell, cell, cell).map(list), min_size=1, max_size=8)


def python_accepts(row) -> bool:
    try:
        normalize_alert(dict(zip(FIELDS, row)))
        return True
    except AlertError:
        return False


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_splitter_accepts_exactly_the_rows_python_accepts_and_round_trips_them(tmp_path_factory, batch):
    folder = tmp_path_factory.mktemp("prop")
    result = split(write_csv(folder / "alerts.csv", batch), folder / "out")
    good = [row for row in batch if python_accepts(row)]
    assert result.returncode == (0 if len(good) == len(batch) else 1), result.stderr
    assert alerts_in(folder / "out") == expected(good)


def test_a_hidden_folder_left_by_a_killed_run_is_removed_after_a_day(tmp_path):
    out = tmp_path / "out"
    stale, fresh = out / ".split.AbC123", out / ".split.XyZ789"
    stale.mkdir(parents=True)
    fresh.mkdir()
    (stale / "20261122T101503_web-01_00000000.txt").write_text("half")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    split(write_csv(tmp_path / "alerts.csv", TRICKY), out)
    assert not stale.exists() and fresh.exists()


def test_two_runs_at_once_on_the_same_csv_write_each_alert_once(tmp_path):
    source = tmp_path / "alerts.csv"
    subprocess.run([sys.executable, "-m", "collector.generate", "--count", "3000", "--seed", "8", "--out", str(source)],
                   cwd=REPO, check=True, timeout=60)
    command = ["bash", str(SPLIT), str(source), str(tmp_path / "out")]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reports = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], reports
    written = [int(re.search(r"(\d+) alert files written", out).group(1)) for out, _ in reports]
    present = [int(re.search(r"\((\d+) already there", out).group(1)) for out, _ in reports]
    assert sum(written) == 3000 and [w + p for w, p in zip(written, present)] == [3000, 3000]
    assert len(list((tmp_path / "out").iterdir())) == 3000


def test_sync_option_writes_the_same_files(tmp_path):
    source = write_csv(tmp_path / "alerts.csv", TRICKY)
    split(source, tmp_path / "plain")
    result = split(source, tmp_path / "synced", "--sync")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "synced").iterdir()) == sorted(p.name for p in (tmp_path / "plain").iterdir())
    assert alerts_in(tmp_path / "synced") == expected(TRICKY)
