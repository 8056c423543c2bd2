import re

import pytest
from hypothesis import given, strategies as st

from vigie import alert_file
from vigie.alert_file import AlertFileError, parse, parse_bytes, parse_raw, render, source_id
from vigie.alert import MAX_TEXT, SEVERITIES, machine_record

GOOD = (
    "Date : 2026-11-22T10:15:03+00:00\n"
    "Serveur : web-01\n"
    "Criticité : CRITICAL\n"
    "Message : Disk space running low.\n"
    "Infogerant : Acme Infogérance\n"
    "Application : billing\n"
    "Environnement : prod\n"
)


def test_parse_reads_the_seven_fields():
    assert parse(GOOD) == {
        "timestamp": "2026-11-22T10:15:03+00:00",
        "server": "web-01",
        "severity": "CRITICAL",
        "message": "Disk space running low.",
        "provider": "Acme Infogérance",
        "application": "billing",
        "environment": "prod",
    }


def test_parse_tolerates_bom_crlf_and_trailing_spaces():
    text = "\ufeff" + GOOD.replace("web-01\n", "web-01   \n").replace("\n", "\r\n")
    assert parse(text) == parse(GOOD)


def test_parse_converts_offsets_to_utc_and_french_severities():
    text = GOOD.replace("2026-11-22T10:15:03+00:00", "2026-11-22T11:15:03+01:00").replace("CRITICAL", "critique")
    record = parse(text)
    assert record["timestamp"] == "2026-11-22T10:15:03+00:00"
    assert record["severity"] == "CRITICAL"


@pytest.mark.parametrize(
    "text, line, words",
    [
        (GOOD.replace("Serveur :", "Server :"), 2, "expected 'Serveur"),
        (GOOD.replace("CRITICAL", "PANIC"), 3, "unknown severity"),
        (GOOD.replace("2026-11-22T10:15:03+00:00", "yesterday"), 1, "ISO 8601"),
        (GOOD.replace("2026-11-22T10:15:03+00:00", "2026-11-22T10:15:03"), 1, "offset"),
        (GOOD.replace("2026-11-22T10:15:03+00:00", "0001-01-01T00:00:00+01:00"), 1, "out of range"),
        (GOOD + "Extra : x\n", 8, "unknown line 'Extra : x': after the seven lines only Fingerprint : ..."),
        (GOOD.split("Environnement")[0], None, "found 6"),
        (GOOD.replace("Serveur : web-01", "Serveur : "), 2, "must not be empty"),
        (GOOD + "Timeout : 1h\n", 8, "timeout must be a whole number of seconds"),
        (GOOD + "Timeout : 0\n", 8, "timeout must be a whole number of seconds"),
        (GOOD + "Fingerprint : a\nTimeout : 60\nTimeout : 60\n", None, "at most Fingerprint, Timeout"),
        (GOOD + "Timeout : 60\nTimeout : 60\n", 9, "'Timeout' is given twice"),
        (GOOD + "Fingerprint :\n", 8, "fingerprint must be a non-empty string"),
        (GOOD + "Fingerprint : " + "x" * 201 + "\n", 8, "at most 200 characters"),
        (GOOD + "Fingerprint : a\nTimeout :60\n", 9, "expected a space after 'Timeout :'"),
        # the line of a bad value is the line it stands on, whichever order the two optional lines come in
        (GOOD + "Timeout : 1h\nFingerprint : a\n", 8, "timeout must be a whole number of seconds"),
        (GOOD + "Timeout : 60\nFingerprint :\n", 9, "fingerprint must be a non-empty string"),
    ],
)
def test_parse_rejects_with_a_reason_naming_the_line(text, line, words):
    with pytest.raises(AlertFileError) as info:
        parse(text)
    assert info.value.line == line
    assert words in str(info.value)


def test_parse_bytes_names_the_line_of_bad_utf8():
    data = GOOD.encode().replace(b"billing", b"bil\xffling")
    with pytest.raises(AlertFileError) as info:
        parse_bytes(data)
    assert info.value.line == 6


def test_render_replaces_line_breaks_by_spaces():
    record = parse(GOOD) | {"message": "two\nlines\r\nhere"}
    assert "Message : two lines here\n" in render(record)
    assert len(render(record).splitlines()) == 7


def test_source_id_depends_on_file_name_and_content():
    record = parse(GOOD)
    assert source_id(record, "a.txt") == source_id(dict(record), "a.txt")
    assert source_id(record, "a.txt") != source_id(record, "b.txt")
    assert source_id(record, "a.txt") != source_id(record | {"message": "other"}, "a.txt")


one_line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff"),
    min_size=1,
    max_size=80,
).map(str.strip).filter(bool)


@given(
    server=one_line_text,
    severity=st.sampled_from(SEVERITIES),
    message=one_line_text,
    provider=one_line_text,
    application=one_line_text,
    environment=one_line_text.map(str.lower).filter(lambda s: s == s.lower().strip() and s),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
)
def test_render_then_parse_round_trips(server, severity, message, provider, application, environment, seconds):
    from datetime import datetime, timezone

    record = {
        "timestamp": datetime.fromtimestamp(seconds, timezone.utc).isoformat(),
        "server": server,
        "severity": severity,
        "message": message,
        "provider": provider,
        "application": application,
        "environment": environment,
    }
    assert parse_raw(render(record)) == record
    assert parse(render(record)) == record


def test_fingerprint_and_timeout_lines_may_follow_the_seven_and_round_trip():
    text = GOOD + "Fingerprint : reachability:edge-rt-02\nTimeout : 3600\n"
    record = parse(text)
    assert record["fingerprint"] == "reachability:edge-rt-02" and record["timeout"] == 3600
    assert render(record) == text
    only_timeout = parse(GOOD + "Timeout : 90\n")
    assert only_timeout["timeout"] == 90 and "fingerprint" not in only_timeout
    assert parse(GOOD + "Timeout : 90\nFingerprint : x\n")["fingerprint"] == "x"  # in either order
    seven = parse(GOOD)
    assert "fingerprint" not in seven and "timeout" not in seven and render(seven) == GOOD
    # the watcher's idempotency key is the same whatever optional lines a file holds
    assert source_id(record, "a.txt") == source_id(seven, "a.txt")


def test_write_drops_a_whole_file_named_for_its_writer_and_time(tmp_path):
    record = machine_record("rt1", {"provider": "NetOps", "environment": "prod"}, "2026-11-22T10:15:03+00:00",
                            "ERROR", "Interface ge-0/0/1 is down", "snmp:oper-status:rt1:ge-0/0/1")
    path = alert_file.write(tmp_path / "new", "vigie-rt1-if-down", record)
    assert re.fullmatch(r"vigie-rt1-if-down-20261122T101503-[0-9a-f]{8}\.txt", path.name)
    assert [p.name for p in path.parent.iterdir()] == [path.name]   # no temporary file left
    assert parse(path.read_text(encoding="utf-8")) == dict(record, application="")
    assert alert_file.write(tmp_path / "new", "vigie-rt1-if-down", record) != path   # never the same file


def test_a_message_over_the_limit_is_cut_with_an_ellipsis_and_the_rest_kept(tmp_path):
    record = machine_record("rt1", {}, "2026-11-22T10:15:03+00:00", "ERROR", "y" * 5000)
    assert alert_file.clipped(record)["message"] == "y" * (MAX_TEXT - 1) + "…"
    assert alert_file.clipped(dict(record, message="short")) == dict(record, message="short")
    path = alert_file.write(tmp_path, "syslog-rt1", record)
    assert parse(path.read_text(encoding="utf-8"))["message"] == "y" * (MAX_TEXT - 1) + "…"
    assert "fingerprint" not in parse(path.read_text(encoding="utf-8"))
