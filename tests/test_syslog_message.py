"""Syslog messages as devices send them, parsed on literal bytes (collector/syslog/message.py)."""

from datetime import datetime, timezone

import pytest

from collector.syslog.message import parse, parse_structured_data

RECEIVED = datetime(2026, 1, 2, 12, 0, 0, tzinfo=timezone.utc).timestamp()


def ts(*args):
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_rfc5424_with_structured_data_and_bom():
    fields = parse(b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
                   b'[exampleSDID@32473 iut="3" eventSource="Application"][meta q="a \\"b\\" \\] \\\\"] '
                   b'\xef\xbb\xbfAn application event log entry', RECEIVED, timezone.utc)
    assert fields["format"] == "rfc5424"
    assert (fields["facility"], fields["severity"]) == ("local4", "notice")
    assert (fields["host"], fields["app"], fields["pid"], fields["msgid"]) == ("mymachine.example.com", "evntslog", "", "ID47")
    assert fields["device_time"] == pytest.approx(ts(2003, 10, 11, 22, 14, 15) + 0.003)
    assert fields["sd"] == {"exampleSDID@32473": {"iut": "3", "eventSource": "Application"},
                            "meta": {"q": 'a "b" ] \\'}}
    assert fields["message"] == "An application event log entry"


def test_rfc5424_nil_values_and_offset():
    fields = parse(b"<14>1 2026-01-02T13:00:00+01:00 - - - - -", RECEIVED)
    assert fields["host"] == fields["app"] == fields["message"] == ""
    assert fields["device_time"] == ts(2026, 1, 2, 12, 0, 0)
    assert fields["severity"] == "info"


def test_rfc5424_malformed_structured_data_stays_in_the_message():
    fields = parse(b"<14>1 2026-01-01T00:00:00Z h a p m [broken sd", RECEIVED)
    assert fields["format"] == "rfc5424" and fields["sd"] is None and fields["message"] == "[broken sd"


def test_rfc3164_classic():
    fields = parse(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
                   ts(2025, 10, 12), timezone.utc)
    assert (fields["facility"], fields["severity"]) == ("auth", "crit")
    assert (fields["host"], fields["app"]) == ("mymachine", "su")
    assert fields["message"] == "'su root' failed for lonvick on /dev/pts/8"
    assert fields["device_time"] == ts(2025, 10, 11, 22, 14, 15)


def test_rfc3164_without_year_takes_the_year_closest_to_receipt():
    # received on 2 January 2026: 31 December is last year's
    fields = parse(b"<13>Dec 31 23:59:59 host app[12]: rollover", RECEIVED, timezone.utc)
    assert fields["device_time"] == ts(2025, 12, 31, 23, 59, 59)
    assert (fields["app"], fields["pid"]) == ("app", "12")


def test_rfc3164_29_february_only_exists_in_a_leap_year():
    fields = parse(b"<13>Feb 29 10:00:00 host app: leap", ts(2028, 3, 1), timezone.utc)
    assert fields["device_time"] == ts(2028, 2, 29, 10, 0, 0)


def test_rfc3164_without_host_name():
    fields = parse(b"<13>Jan  2 11:59:00 sshd[812]: Accepted publickey for root", RECEIVED, timezone.utc)
    assert (fields["host"], fields["app"], fields["pid"]) == ("", "sshd", "812")
    assert fields["message"] == "Accepted publickey for root"


def test_rfc3164_local_time_zone_is_applied():
    from zoneinfo import ZoneInfo

    fields = parse(b"<13>Jul  1 12:00:00 host app: summer", ts(2026, 7, 1), ZoneInfo("Europe/Paris"))
    assert fields["device_time"] == ts(2026, 7, 1, 10, 0, 0)  # CEST is UTC+2


def test_cisco_sequence_number_and_clock_marks():
    fields = parse(b"<187>57: *Mar  1 18:46:11.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, "
                   b"changed state to down", ts(2026, 3, 2), timezone.utc)
    assert (fields["facility"], fields["severity"]) == ("local7", "err")
    assert fields["host"] == "" and fields["app"] == "LINK-3-UPDOWN"
    assert fields["message"] == "Interface GigabitEthernet0/1, changed state to down"
    assert fields["device_time"] == pytest.approx(ts(2026, 3, 1, 18, 46, 11) + 0.123)


def test_cisco_origin_id_host_name():
    fields = parse(b"<189>45: core-rt1: .Apr 29 10:00:00: %SYS-5-CONFIG_I: Configured from console",
                   ts(2026, 4, 29), timezone.utc)
    assert (fields["host"], fields["app"], fields["message"]) == ("core-rt1", "SYS-5-CONFIG_I", "Configured from console")


def test_cisco_date_with_year():
    fields = parse(b"<189>Mar  1 2024 18:46:11 router2 %SEC-6-IPACCESSLOGP: list 101 denied", RECEIVED, timezone.utc)
    assert fields["device_time"] == ts(2024, 3, 1, 18, 46, 11)
    assert (fields["host"], fields["app"]) == ("router2", "SEC-6-IPACCESSLOGP")


def test_iso_timestamp_in_a_bsd_header():
    fields = parse(b"<13>2026-01-02T12:00:00.123456+01:00 host tag: text", RECEIVED)
    assert fields["device_time"] == pytest.approx(ts(2026, 1, 2, 11, 0, 0) + 0.123456)
    assert (fields["host"], fields["app"], fields["message"]) == ("host", "tag", "text")


@pytest.mark.parametrize("raw, message", [
    (b"no pri at all", "no pri at all"),
    (b"<999>pri out of range", "<999>pri out of range"),
    (b"<13>", ""),
    (b"", ""),
    (b"<13>\xff\xfe not utf-8", "\ufffd\ufffd not utf-8"),
    (b"<13>ends with a line feed and a NUL\r\n\x00", "ends with a line feed and a NUL"),
])
def test_malformed_input_is_kept_as_text(raw, message):
    fields = parse(raw, RECEIVED)
    assert fields["message"] == message
    if not raw.startswith(b"<13>"):
        assert (fields["facility"], fields["severity"]) == ("user", "notice")


def test_a_bad_date_is_no_date_but_keeps_the_message():
    fields = parse(b"<13>Feb 31 10:00:00 host app: impossible day", RECEIVED, timezone.utc)
    assert fields["device_time"] is None and fields["message"] == "impossible day"


@pytest.mark.parametrize("text", ['[id a="b"', '[id a=b]', "x", '[ a="b"]'])
def test_structured_data_errors(text):
    with pytest.raises(ValueError):
        parse_structured_data(text)
