from datetime import datetime, timedelta, timezone

import pytest

from vigie import utc


def test_iso_converts_to_utc_and_drops_fractions():
    moment = datetime(2026, 11, 22, 11, 15, 3, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert utc.iso(moment) == "2026-11-22T10:15:03+00:00"


def test_iso_from_unix():
    assert utc.iso_from_unix(0) == "1970-01-01T00:00:00+00:00"
    assert utc.iso_from_unix(1795342503.75) == "2026-11-22T10:15:03+00:00"


def test_now_iso_is_now_in_utc():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    text = utc.now_iso()
    after = datetime.now(timezone.utc)
    assert text.endswith("+00:00") and len(text) == 25
    assert before <= datetime.fromisoformat(text) <= after


def test_iso_exact_keeps_a_fraction_only_when_there_is_one():
    moment = datetime(2026, 11, 22, 11, 15, 3, tzinfo=timezone(timedelta(hours=1)))
    assert utc.iso_exact(moment) == "2026-11-22T10:15:03+00:00"
    assert utc.iso_exact(moment.replace(microsecond=250000)) == "2026-11-22T10:15:03.250000+00:00"


def test_iso_millis_is_the_device_logs_spelling():
    assert utc.iso_millis_from_unix(1795342503.25) == "2026-11-22T10:15:03.250Z"
    assert utc.iso_millis_from_unix(1795342503.9999) == "2026-11-22T10:15:03.999Z"
    assert utc.iso_millis_from_unix(0) == "1970-01-01T00:00:00.000Z"


def test_moment_from_unix_is_aware_and_in_utc():
    assert utc.moment_from_unix(1795342503) == datetime(2026, 11, 22, 10, 15, 3, tzinfo=timezone.utc)
    assert utc.moment_from_unix(0).utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2026-11-22T10:15:03+00:00", "2026-11-22T10:15:03Z", "2026-11-22T10:15:03z",
                                  "2026-11-22T11:15:03+01:00", " 2026-11-22T10:15:03+00:00 ",
                                  "2026-11-22T10:15:03.000Z"])
def test_parse_reads_every_offset_into_utc(text):
    assert utc.parse(text) == datetime(2026, 11, 22, 10, 15, 3, tzinfo=timezone.utc)
    assert utc.parse(text).tzinfo == timezone.utc
    assert utc.unix_from_iso(text) == 1795342503


@pytest.mark.parametrize("text, reason", [("yesterday", utc.NOT_ISO), ("2026-02-30T10:15:03+00:00", utc.NOT_ISO),
                                          ("2026-11-22T10:15:03", utc.NO_OFFSET),
                                          ("0001-01-01T00:00:00+01:00", utc.OUT_OF_RANGE)])
def test_parse_says_why_a_text_names_no_moment(text, reason):
    with pytest.raises(utc.TimeTextError) as refused:
        utc.parse(text)
    assert refused.value.reason == reason
    assert utc.unix_from_iso(text) is None


def test_unix_from_iso_takes_only_text():
    assert utc.unix_from_iso(None) is None
    assert utc.unix_from_iso(1795342503) is None


def test_plus_seconds_moves_forward_and_back_in_the_stored_spelling():
    assert utc.plus_seconds("2026-11-22T10:15:03+00:00", 60) == "2026-11-22T10:16:03+00:00"
    assert utc.plus_seconds("2026-11-22T11:15:03+01:00", -3600) == "2026-11-22T09:15:03+00:00"
    assert utc.plus_seconds("2026-11-22T10:15:03Z", 0.5) == "2026-11-22T10:15:03.500000+00:00"
