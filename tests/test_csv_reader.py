"""The splitter and the explorer read an alerts CSV with one shared reader (collector/csv.awk):
on the same file they keep the same rows and name the same bad lines."""

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from vigie.alert import FIELDS
from vigie.alert_file import parse

REPO = Path(__file__).resolve().parent.parent
HEADER = ",".join(FIELDS)
GOOD = [f"2026-11-22T10:15:0{i}+00:00,web-0{i},INFO,fine {i},p,a,prod" for i in range(1, 4)]


def split(path, out):
    return subprocess.run(["bash", str(REPO / "collector/split_alerts.sh"), str(path), str(out)],
                          capture_output=True, text=True, timeout=60)


def explore_tsv(path):
    return subprocess.run(["bash", str(REPO / "collector/explore.sh"), str(path), "--tsv"],
                          capture_output=True, text=True, timeout=60)


def split_rows(out: Path) -> list:
    return sorted(tuple(parse(p.read_text(encoding="utf-8")).values())[1:] for p in out.glob("*.txt"))


def tsv_rows(text: str) -> list:
    return sorted(tuple(line.split("\t"))[1:] for line in text.splitlines())


def named_lines(stderr: str) -> list:
    return sorted(re.findall(r"line (\d+(?:-\d+)?): ", stderr))


def both(tmp_path, text):
    path = tmp_path / "alerts.csv"
    path.write_bytes(text.encode("utf-8"))
    return split(path, tmp_path / "out"), explore_tsv(path)


def test_a_quote_opened_on_row_1_and_never_closed_costs_that_row_in_both(tmp_path):
    text = HEADER + '\n2026-11-22T10:15:00+00:00,web-00,INFO,"never closed,p,a,prod\n' + "\n".join(GOOD) + "\n"
    splitter, explorer = both(tmp_path, text)
    assert splitter.returncode == 1 and explorer.returncode == 1
    assert len(split_rows(tmp_path / "out")) == 3 and len(explorer.stdout.splitlines()) == 3
    assert split_rows(tmp_path / "out") == tsv_rows(explorer.stdout)
    assert named_lines(splitter.stderr) == named_lines(explorer.stderr) == ["2"]
    assert "never closed" in splitter.stderr and "never closed" in explorer.stderr


def test_a_quote_opened_mid_file_that_swallows_lines_costs_its_line_only_in_both(tmp_path):
    text = HEADER + "\n" + GOOD[0] + '\n2026-11-22T10:16:00+00:00,web-09,INFO,"runs on,p,a,prod\n' + GOOD[1] + \
        '\n2026-11-22T10:17:00+00:00,web-08,INFO,"closed" here,p,a,prod\n' + GOOD[2] + "\n"
    splitter, explorer = both(tmp_path, text)
    assert split_rows(tmp_path / "out") == tsv_rows(explorer.stdout)
    assert named_lines(splitter.stderr) == named_lines(explorer.stderr)


def test_a_bom_a_padded_header_and_crlf_are_read_alike(tmp_path):
    text = "\ufeff" + HEADER.replace(",server,", ", server ,") + "\r\n" + "\r\n".join(GOOD) + "\r\n"
    splitter, explorer = both(tmp_path, text)
    assert splitter.returncode == 0 and explorer.returncode == 0, splitter.stderr + explorer.stderr
    assert split_rows(tmp_path / "out") == tsv_rows(explorer.stdout) and len(GOOD) == 3


# Lines of a CSV with quoting mistakes: good rows, quotes opened and never closed, stray quotes,
# quoted line breaks, short rows, blank lines.
line = st.one_of(
    st.sampled_from(GOOD),
    st.sampled_from(['2026-11-22T10:20:00+00:00,db-01,ERROR,"open,p,a,prod',
                     '2026-11-22T10:21:00+00:00,db-02,WARNING,"two', 'lines",p,a,prod',
                     '2026-11-22T10:22:00+00:00,db-03,INFO,st"ray,p,a,prod', "short,row", "", '"', 'x,"y"z,1',
                     '2026-11-22T10:23:00+00:00,db-04,CRITICAL,"a ""quoted"" word",p,a,prod']),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line, min_size=1, max_size=10))
def test_splitter_and_explorer_agree_on_any_mix_of_good_and_broken_lines(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("agree")
    splitter, explorer = both(folder, HEADER + "\n" + "\n".join(lines) + "\n")
    assert split_rows(folder / "out") == tsv_rows(explorer.stdout)
    assert named_lines(splitter.stderr) == named_lines(explorer.stderr)
    assert splitter.returncode == explorer.returncode
