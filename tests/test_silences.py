"""vigie.silences: matchers and weekly windows, on literal alerts and times (DST included)."""

from datetime import date, datetime, timezone

import pytest

from vigie import silences as sil

ALERT = {"timestamp": "2026-11-22T10:15:03+00:00", "server": "edge-rt-02", "severity": "CRITICAL",
         "message": "Machine is not answering SNMP: timeout", "provider": "NetOps",
         "application": "core-network", "environment": "prod"}
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)


def utc(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def sunday_night(**extra):
    body = {"matchers": {"server": "edge-*"}, "comment": "weekly reboot",
            "schedule": {"days": ["sun"], "start": "02:00", "end": "04:00", "timezone": "Europe/Paris"}}
    body.update(extra)
    return sil.normalize_silence(body, NOW)


# ---- matchers

@pytest.mark.parametrize("matchers, expected", [
    ({"server": "edge-rt-02"}, True),
    ({"server": "edge-*"}, True),
    ({"server": "edge-rt-0[13]"}, False),
    ({"server": "EDGE-*"}, False),                       # server names are compared as written
    ({"server": "edge"}, False),                         # exact unless it holds * ? [
    ({"severity": ["critical", "error"]}, True),
    ({"severity": "warning"}, False),
    ({"message": "NOT ANSWERING"}, True),                # text: contained, any case
    ({"message": "disk"}, False),
    ({"environment": "PROD", "provider": "NetOps"}, True),
    ({"environment": "prod", "application": "billing"}, False),   # every matcher must match
])
def test_matchers(matchers, expected):
    assert sil.matches(sil.normalize_matchers(matchers), ALERT) is expected


@pytest.mark.parametrize("raw, field", [
    ({}, "matchers"), ("edge-*", "matchers"), ({"host": "x"}, "matchers.host"),
    ({"severity": "urgent"}, "matchers.severity"), ({"severity": []}, "matchers.severity"),
    ({"server": ""}, "matchers.server"), ({"server": 3}, "matchers.server"),
])
def test_bad_matchers_name_the_field(raw, field):
    with pytest.raises(sil.SilenceError) as caught:
        sil.normalize_matchers(raw)
    assert caught.value.field == field


def test_the_index_finds_exact_and_glob_silences_only_where_they_can_match():
    silences = [{"id": 1, "matchers": {"server": "edge-rt-02"}}, {"id": 2, "matchers": {"server": "web-01"}},
                {"id": 3, "matchers": {"server": "edge-*"}}, {"id": 4, "matchers": {"environment": "dev"}}]
    index = sil.MatcherIndex(silences)
    assert [s["id"] for s in index.matching(ALERT)] == [1, 3]
    assert index.by_server.keys() == {"edge-rt-02", "web-01"} and len(index.others) == 2
    assert not sil.MatcherIndex([])


# ---- one window

def test_a_one_off_window_is_active_from_its_start_until_its_end():
    silence = sil.normalize_silence({"matchers": {"server": "db-01"}, "comment": "disk swap",
                                     "starts_at": "2026-03-20T13:00:00+01:00", "ends_at": "2026-03-20T14:00:00Z"}, NOW)
    assert sil.active_window(silence, utc("2026-03-20T11:59:59Z")) is None
    assert sil.active_window(silence, utc("2026-03-20T12:00:00Z")) == (utc("2026-03-20T12:00:00Z"),
                                                                        utc("2026-03-20T14:00:00Z"))
    assert sil.active_window(silence, utc("2026-03-20T14:00:00Z")) is None
    assert sil.next_boundary(silence, utc("2026-03-20T12:30:00Z")) == utc("2026-03-20T14:00:00Z")
    assert sil.next_boundary(silence, utc("2026-03-20T15:00:00Z")) is None


# ---- weekly windows across daylight saving time (Europe/Paris, 2026)

@pytest.mark.parametrize("sunday, start, end", [
    (date(2026, 3, 22), "2026-03-22T01:00:00Z", "2026-03-22T03:00:00Z"),  # winter time: UTC+1
    (date(2026, 3, 29), "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"),  # 02:00 does not exist: from 03:00
    (date(2026, 4, 5), "2026-04-05T00:00:00Z", "2026-04-05T02:00:00Z"),   # summer time: UTC+2
    (date(2026, 10, 25), "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z"),  # 02:00-03:00 twice: both passes
    (date(2026, 11, 1), "2026-11-01T01:00:00Z", "2026-11-01T03:00:00Z"),
])
def test_sunday_two_to_four_paris_time_keeps_its_wall_clock_hours(sunday, start, end):
    assert sil.day_window(sunday_night()["schedule"], sunday) == (utc(start), utc(end))


def test_a_recurring_window_is_active_on_its_days_only_and_across_the_spring_change():
    silence = sunday_night()
    assert sil.active_window(silence, utc("2026-03-22T02:59:59Z"))            # 03:59:59 Paris
    assert sil.active_window(silence, utc("2026-03-22T03:00:00Z")) is None    # 04:00 Paris
    assert sil.active_window(silence, utc("2026-03-28T01:30:00Z")) is None    # a Saturday
    assert sil.active_window(silence, utc("2026-03-29T00:59:59Z")) is None    # 01:59:59 winter time
    assert sil.active_window(silence, utc("2026-03-29T01:00:00Z"))            # 03:00 summer time
    assert sil.active_window(silence, utc("2026-03-29T02:00:00Z")) is None    # 04:00 summer time
    assert sil.windows(silence, utc("2026-03-21T00:00:00Z"), utc("2026-04-06T00:00:00Z")) == [
        (utc("2026-03-22T01:00:00Z"), utc("2026-03-22T03:00:00Z")),
        (utc("2026-03-29T01:00:00Z"), utc("2026-03-29T02:00:00Z")),
        (utc("2026-04-05T00:00:00Z"), utc("2026-04-05T02:00:00Z"))]


def test_boundaries_within_a_period_and_the_next_one():
    silence = sunday_night()
    assert sil.boundaries(silence, utc("2026-03-22T01:00:00Z"), utc("2026-03-29T01:00:00Z")) == [
        (utc("2026-03-22T03:00:00Z"), "end"), (utc("2026-03-29T01:00:00Z"), "start")]
    assert sil.next_boundary(silence, utc("2026-03-23T00:00:00Z")) == utc("2026-03-29T01:00:00Z")
    assert sil.next_boundary(silence, utc("2026-03-29T01:30:00Z")) == utc("2026-03-29T02:00:00Z")


def test_an_overnight_window_ends_the_next_day_and_is_clipped_by_the_silence_bounds():
    silence = sil.normalize_silence({
        "matchers": {"environment": "dev"}, "comment": "nightly rebuild",
        "starts_at": "2026-03-21T00:00:00Z", "ends_at": "2026-03-24T22:30:00Z",
        "schedule": {"days": ["mon", "tue", "sat"], "start": "22:00", "end": "02:00", "timezone": "UTC"}}, NOW)
    assert sil.windows(silence, utc("2026-03-20T00:00:00Z"), utc("2026-03-30T00:00:00Z")) == [
        (utc("2026-03-21T22:00:00Z"), utc("2026-03-22T02:00:00Z")),
        (utc("2026-03-23T22:00:00Z"), utc("2026-03-24T02:00:00Z")),
        (utc("2026-03-24T22:00:00Z"), utc("2026-03-24T22:30:00Z"))]


def test_a_schedule_starting_weeks_ahead_still_has_a_next_window():
    silence = sunday_night(starts_at="2026-05-01T00:00:00Z")
    assert sil.next_window(silence, NOW) == (utc("2026-05-03T00:00:00Z"), utc("2026-05-03T02:00:00Z"))


# ---- bad silences: 400 naming the field

@pytest.mark.parametrize("body, field", [
    ({"matchers": {"server": "x"}, "comment": "c"}, "ends_at"),                                    # no end, no schedule
    ({"matchers": {"server": "x"}, "comment": "c", "starts_at": "2026-03-21T10:00:00Z",
      "ends_at": "2026-03-21T09:00:00Z"}, "ends_at"),                                              # end before start
    ({"matchers": {"server": "x"}, "comment": "c", "starts_at": "2026-03-19T10:00:00Z",
      "ends_at": "2026-03-20T11:00:00Z"}, "ends_at"),                                              # already over
    ({"matchers": {"server": "x"}, "comment": "c", "ends_at": "tomorrow"}, "ends_at"),
    ({"matchers": {"server": "x"}, "ends_at": "2026-03-21T09:00:00Z"}, "comment"),
    ({"matchers": {"server": "x"}, "comment": " ", "ends_at": "2026-03-21T09:00:00Z"}, "comment"),
    ({"comment": "c", "ends_at": "2026-03-21T09:00:00Z"}, "matchers"),
    ({"matchers": {"server": "x"}, "comment": "c", "ends_at": "2026-03-21T09:00:00Z", "colour": 1}, "colour"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": ["sun"], "start": "02:00", "end": "04:00",
                                                                "timezone": "Mars/Olympus"}}, "schedule.timezone"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": [], "start": "02:00", "end": "04:00"}},
     "schedule.days"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": ["sunday", "funday"], "start": "02:00",
                                                                "end": "04:00"}}, "schedule.days"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": ["sun"], "start": "2h", "end": "04:00"}},
     "schedule.start"),
    ({"matchers": {"server": "x"}, "comment": "c", "schedule": {"days": ["sun"], "start": "04:00", "end": "04:00"}},
     "schedule.end"),
    # Sundays only, between a Monday and a Friday: never
    ({"matchers": {"server": "x"}, "comment": "c", "starts_at": "2026-03-23T00:00:00Z", "ends_at": "2026-03-27T00:00:00Z",
      "schedule": {"days": ["sun"], "start": "02:00", "end": "04:00", "timezone": "UTC"}}, "schedule"),
])
def test_bad_silences_name_the_field(body, field):
    with pytest.raises(sil.SilenceError) as caught:
        sil.normalize_silence(body, NOW)
    assert caught.value.field == field, caught.value.message
    assert caught.value.message


def test_a_good_silence_is_normalised():
    silence = sunday_night(comment="  weekly\n reboot ")
    assert silence["comment"] == "weekly reboot" and silence["starts_at"] == NOW and silence["ends_at"] is None
    assert silence["schedule"] == {"days": ["sun"], "start": "02:00", "end": "04:00", "timezone": "Europe/Paris"}
    whole_days = sil.normalize_schedule({"days": ["Saturday", "sun"], "start": "00:00", "end": "24:00"})
    assert whole_days == {"days": ["sat", "sun"], "start": "00:00", "end": "24:00", "timezone": "UTC"}
    assert sil.day_window(whole_days, date(2026, 3, 21)) == (utc("2026-03-21T00:00:00Z"), utc("2026-03-22T00:00:00Z"))
