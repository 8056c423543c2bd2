"""collector/explore.sh answers checked against Python's own counts on the same CSV."""

import csv
import io
import subprocess
import sys
from collections import Counter
from datetime import timezone
from pathlib import Path

import pytest

from vigie.alert import FIELDS, normalize_alert, parse_timestamp

REPO = Path(__file__).resolve().parent.parent
EXPLORE = REPO / "collector" / "explore.sh"

# Rows the generator never writes: French severities, other offsets, quoted commas, line breaks.
EXTRA = [
    ["2026-11-03T23:30:00-02:00", "db-01", "critique", "Réplication, en retard", "Durand, Martin & Fils", "crm", "PROD"],
    ["2026-11-04T00:10:00+05:30", "web-01", "Avertissement", "deux\nlignes", "Acme Infogérance", "shop", "prod"],
    ["2026-11-04T09:59:59Z", "routeur \"cœur\"", "erreur", "lien, \"down\"", "NetOps", "réseau", "prod"],
]


@pytest.fixture(scope="module")
def alerts_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("explore") / "alerts.csv"
    subprocess.run([sys.executable, "-m", "collector.generate", "--count", "4000", "--seed", "11",
                    "--start", "2026-11-01", "--end", "2026-11-08", "--out", str(path)],
                   cwd=REPO, check=True, timeout=60)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(EXTRA)
    with path.open("a", encoding="utf-8") as f:
        f.write(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def rows(alerts_csv):
    """Each row as explore.sh shows it: values cleaned, severity spelled in full, environment lower case."""
    records = csv.DictReader(alerts_csv.open(encoding="utf-8", newline=""))
    return [[r["timestamp"].strip(), *list(normalize_alert(r).values())[1:]] for r in records]


def explore(*args):
    result = subprocess.run(["bash", str(EXPLORE), *map(str, args)], capture_output=True, text=True, timeout=120)
    return result


def answer(*args) -> str:
    result = explore(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def counted(text: str) -> list:
    """'   123 some name' lines -> [(123, 'some name')]."""
    return [(int(count), name) for count, name in (line.split(None, 1) for line in text.splitlines())]


def ranking(values) -> list:
    return sorted(((n, v) for v, n in Counter(values).items()), key=lambda item: (-item[0], item[1].encode()))


def tsv(text: str) -> list:
    return [line.split("\t") for line in text.splitlines()]


def test_number_of_distinct_servers(alerts_csv, rows):
    assert int(answer(alerts_csv, "--servers")) == len({r[1] for r in rows}) == 21


def test_alerts_per_server_busiest_first(alerts_csv, rows):
    assert counted(answer(alerts_csv, "--per-server")) == ranking(r[1] for r in rows)
    assert counted(answer(alerts_csv, "--per-server", "--top", "3")) == ranking(r[1] for r in rows)[:3]


def test_alerts_of_one_server(alerts_csv, rows):
    assert tsv(answer(alerts_csv, "--server", "db-01")) == [r for r in rows if r[1] == "db-01"]
    assert tsv(answer(alerts_csv, "--server", 'routeur "cœur"')) == [rows[-1]]
    assert answer(alerts_csv, "--server", "nobody") == ""


def test_critical_alerts(alerts_csv, rows):
    listed = tsv(answer(alerts_csv, "--critical"))
    assert listed == [r for r in rows if r[2] == "CRITICAL"]
    assert rows[-3] in listed  # written 'critique' in the CSV


def test_alerts_that_are_not_info(alerts_csv, rows):
    assert tsv(answer(alerts_csv, "--non-info")) == [r for r in rows if r[2] != "INFO"]


def test_counts_by_severity_and_environment(alerts_csv, rows):
    lines = [line.split() for line in answer(alerts_csv, "--severity-env").splitlines()]
    environments = lines[0][1:-1]
    table = {(line[0], env): int(n) for line in lines[1:5] for env, n in zip(environments, line[1:])}
    want = Counter((r[2], r[6]) for r in rows)
    assert {key: n for key, n in table.items() if n} == dict(want)
    assert [line[0] for line in lines[1:5]] == ["CRITICAL", "ERROR", "WARNING", "INFO"]
    assert int(lines[-1][-1]) == len(rows)
    env_totals = Counter(r[6] for r in rows)
    assert environments == sorted(env_totals, key=lambda e: (-env_totals[e], e))


def test_counts_by_provider_and_by_application(alerts_csv, rows):
    assert counted(answer(alerts_csv, "--provider")) == ranking(r[4] for r in rows)
    assert counted(answer(alerts_csv, "--application")) == ranking(r[5] for r in rows)
    assert (1, "réseau") in counted(answer(alerts_csv, "--application"))


def test_busiest_hour_in_utc(alerts_csv, rows):
    hours = [parse_timestamp(r[0]).astimezone(timezone.utc) for r in rows]
    per_hour = Counter(h.strftime("%Y-%m-%d %H:00") for h in hours)
    best = min(per_hour, key=lambda h: (-per_hour[h], h))
    of_day = Counter(h.hour for h in hours)
    best_of_day = min(of_day, key=lambda h: (-of_day[h], h))
    lines = answer(alerts_csv, "--busiest-hour").splitlines()
    assert lines[0] == f"busiest hour: {best} UTC, {per_hour[best]} alerts"
    assert lines[1] == f"busiest hour of the day: {best_of_day:02d}:00-{best_of_day:02d}:59 UTC, {of_day[best_of_day]} alerts in all"


def test_offsets_count_in_the_right_utc_hour(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(",".join(FIELDS) + "\n"
                    + "2026-03-01T00:30:00+01:00,a,INFO,m,p,x,prod\n" * 2
                    + "2026-02-28T23:10:00Z,b,INFO,m,p,x,prod\n"
                    + "2026-03-01T00:30:00Z,c,INFO,m,p,x,prod\n", encoding="utf-8")
    assert answer(path, "--busiest-hour").splitlines()[0] == "busiest hour: 2026-02-28 23:00 UTC, 3 alerts"


def test_tsv_is_one_clean_line_per_alert(alerts_csv, rows):
    assert tsv(answer(alerts_csv, "--tsv")) == rows


def test_report_answers_every_question(alerts_csv, rows):
    report = answer(alerts_csv)
    assert report.startswith(f"Alerts: {len(rows)}, servers: 21\n")
    for heading in ("Alerts per server (top 10):", "Alerts by severity and environment:", "Alerts by provider",
                    "Alerts by application (top 10):", "Busiest hour:", "Critical alerts: ", "Alerts that are not INFO: "):
        assert heading in report
    assert f"Critical alerts: {sum(r[2] == 'CRITICAL' for r in rows)} " in report
    assert f"Alerts that are not INFO: {sum(r[2] != 'INFO' for r in rows)} " in report


def test_bad_rows_are_named_and_left_out(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(",".join(FIELDS) + "\n2026-11-22T10:00:00Z,a,INFO,m,p,x,prod\nshort,row\n"
                    "2026-11-22T11:00:00Z,b,INFO,m,p,x,prod\n", encoding="utf-8")
    result = explore(path, "--servers")
    assert result.returncode == 1
    assert "line 3: expected 7 fields, found 2" in result.stderr
    assert result.stdout.strip() == "2"


@pytest.mark.parametrize("text, words", [("a,b,c\n", "the header must be"), ("", "the file is empty")])
def test_wrong_header_or_empty_file_is_refused(tmp_path, text, words):
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8")
    result = explore(path)
    assert result.returncode == 2 and words in result.stderr


def test_missing_file_help_and_bad_options(tmp_path):
    result = explore(tmp_path / "nope.csv")
    assert result.returncode == 2 and "no such file" in result.stderr
    result = explore("--help")
    assert result.returncode == 0 and "--busiest-hour" in result.stdout and "--server NAME" in result.stdout
    result = explore(tmp_path / "nope.csv", "--frobnicate")
    assert result.returncode == 2 and "unknown option '--frobnicate'" in result.stderr


def test_reads_standard_input_and_matches_server_names_literally():
    text = ",".join(FIELDS) + "\n2026-11-22T10:00:00Z,a\\b,INFO,m,p,x,prod\n2026-11-22T10:00:01Z,ab,INFO,m,p,x,prod\n"
    result = subprocess.run(["bash", str(EXPLORE), "-", "--server", "a\\b"], input=text,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert tsv(result.stdout) == [["2026-11-22T10:00:00Z", "a\\b", "INFO", "m", "p", "x", "prod"]]
