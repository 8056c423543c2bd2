"""The one severity definition and everything derived from it."""

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from vigie import db, severity
from vigie.alert import AlertError, normalize_severity

ROOT = Path(__file__).resolve().parent.parent
AWK = shutil.which("mawk") or shutil.which("awk")


def test_definition_is_read_most_severe_first():
    assert severity.SEVERITIES == ("CRITICAL", "ERROR", "WARNING", "INFO")
    assert severity.RANK == {"CRITICAL": 3, "ERROR": 2, "WARNING": 1, "INFO": 0}
    assert severity.in_words() == "CRITICAL, ERROR, WARNING or INFO"


def test_parse_definition_skips_comments_and_blank_lines():
    text = "# comment\n\nHIGH high h  # trailing comment\nLOW low\n"
    assert severity.parse_definition(text) == (("HIGH", ("high", "h")), ("LOW", ("low",)))


@pytest.mark.parametrize("spelling, name", [
    ("critique", "CRITICAL"), (" Crit ", "CRITICAL"), ("ERREUR", "ERROR"), ("warn", "WARNING"),
    ("avertissement", "WARNING"), ("informations", "INFO"), ("info", "INFO"),
])
def test_accepted_spellings(spelling, name):
    assert normalize_severity(spelling) == name


def test_unknown_severity_names_the_choices():
    with pytest.raises(AlertError, match="expected CRITICAL, ERROR, WARNING or INFO"):
        normalize_severity("PANIC")


def awk_aliases(env=None) -> subprocess.CompletedProcess:
    program = ('BEGIN { if (!severity_load()) { print SEVERITY_ERROR > "/dev/stderr"; exit 2 }\n'
               '  for (s in SEVERITY) print s "\\t" SEVERITY[s]\n'
               '  for (i = 1; i <= SEVERITY_COUNT; i++) print "#" i "\\t" SEVERITY_NAME[i]\n'
               '  print "words\\t" SEVERITY_WORDS }\n')
    return subprocess.run([AWK, "-f", str(ROOT / "collector/severity.awk"), "-f", "/dev/stdin"],
                          input=program, capture_output=True, text=True,
                          env={"LC_ALL": "C", **(env if env is not None else {"VIGIE_SEVERITIES": str(severity.DEFINITION)})})


def test_awk_reads_the_same_definition_as_python():
    done = awk_aliases()
    assert done.returncode == 0, done.stderr
    pairs = dict(line.split("\t") for line in done.stdout.splitlines())
    assert {k: v for k, v in pairs.items() if not k.startswith("#") and k != "words"} == severity.ALIASES
    assert [pairs[f"#{i + 1}"] for i in range(len(severity.SEVERITIES))] == list(severity.SEVERITIES)
    assert pairs["words"] == severity.in_words()


def test_awk_says_when_the_definition_is_missing(tmp_path):
    done = awk_aliases({"VIGIE_SEVERITIES": str(tmp_path / "none.txt")})
    assert done.returncode == 2
    assert "cannot read the severities from" in done.stderr


def test_no_other_copy_of_the_alias_table():
    """The aliases live in the definition file only: no source file spells the table again."""
    hits = subprocess.run(["git", "grep", "-l", "-i", "avertissement", "--", "*.py", "*.awk", "*.sh", "*.js"],
                          cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert [h for h in hits if not h.startswith("tests/")] == []


def test_sql_check_refuses_what_the_definition_does_not_name(tmp_path):
    conn = db.connect(tmp_path / "a.db")
    row = ("2026-11-22T10:15:03+00:00", "web-01", "PANIC", "m", "", "", "", "2026-11-22T10:15:03+00:00")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO alerts (timestamp, server, severity, message, provider, application,"
                     " environment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)


def test_sql_rank_sorts_by_gravity(tmp_path):
    conn = sqlite3.connect(tmp_path / "r.db")
    conn.execute("CREATE TABLE t (severity TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(s,) for s in ("INFO", "CRITICAL", "WARNING", "ERROR")])
    got = [r[0] for r in conn.execute(f"SELECT severity FROM t ORDER BY {severity.sql_rank()} DESC")]
    assert got == list(severity.SEVERITIES)


def test_alerts_page_gets_the_rank_from_the_builder():
    from site_builder import context
    page = context.alerts_page(0, [], None, "2026-11-22T10:15:03+00:00")
    assert page["severity_rank"] == severity.RANK
    assert json.loads(json.dumps(page["severity_rank"]))["CRITICAL"] > page["severity_rank"]["INFO"]
    js = (ROOT / "site_builder/static/alerts.js").read_text()
    assert "CRITICAL" not in js and "severity-rank" in js


def test_released_schema_check_still_matches_the_definition():
    """Migration 1 builds its CHECK from the definition: a new severity needs a new migration."""
    from vigie.db.schema import MIGRATIONS
    assert "CHECK (severity IN ('CRITICAL','ERROR','WARNING','INFO'))" in MIGRATIONS[0], \
        "the severities changed: add a migration that rebuilds the alerts table with the new CHECK"
