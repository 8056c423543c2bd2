"""vigie.alert.normalize_timestamp on literal input: a timestamp already in the stored
form is kept as sent once its date and time are checked; anything else is parsed and
written again; both ways give what parse + format give."""

import pytest

from vigie.alert import AlertError, normalize_timestamp, parse_timestamp
from vigie.utc import iso_exact

SAME_AS_PARSED = [
    "2026-11-22T10:15:03+00:00",      # the stored form
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "2028-02-29T12:00:00+00:00",      # a leap day
    "2026-11-22T10:15:03Z",
    "2026-11-22T11:15:03+01:00",
    "2026-11-22T10:15:03.250+00:00",
    "2026-11-22T10:15:03.000000+00:00",
    " 2026-11-22T10:15:03+00:00 ",
    "2026-11-22 10:15:03+00:00",
]


@pytest.mark.parametrize("text", SAME_AS_PARSED)
def test_the_same_as_parsing_and_writing_again(text):
    assert normalize_timestamp(text) == iso_exact(parse_timestamp(text))


def test_the_stored_form_is_kept_and_others_are_rewritten():
    assert normalize_timestamp("2026-11-22T10:15:03+00:00") == "2026-11-22T10:15:03+00:00"
    assert normalize_timestamp("2026-11-22T11:15:03+01:00") == "2026-11-22T10:15:03+00:00"
    assert normalize_timestamp("2026-11-22T10:15:03.000000+00:00") == "2026-11-22T10:15:03+00:00"


@pytest.mark.parametrize("text", [
    "2026-02-30T10:15:03+00:00",      # the stored form's shape, but no such day
    "2027-02-29T10:15:03+00:00",
    "2026-11-22T24:00:00+00:00",
    "2026-11-22T10:60:03+00:00",
    "2026-13-22T10:15:03+00:00",
    "٢٠٢٦-11-22T10:15:03+00:00",      # digits, but not ASCII ones
    "2026-11-22T10:15:03",            # no offset
    "yesterday",
])
def test_impossible_times_are_refused_naming_the_field(text):
    with pytest.raises(AlertError) as refused:
        normalize_timestamp(text)
    assert refused.value.field == "timestamp"
    assert repr(text) in refused.value.message


def test_only_strings():
    with pytest.raises(AlertError, match="must be a string"):
        normalize_timestamp(1764000000)


@pytest.mark.parametrize("value, said", [("yesterday", "since 'yesterday' is not ISO 8601"),
                                         ("2026-11-22T10:15:03", "since '2026-11-22T10:15:03' has no UTC offset"),
                                         (3, "since must be a string")])
def test_another_time_field_is_named_in_its_error(value, said):
    with pytest.raises(AlertError) as refused:
        normalize_timestamp(value, "since")
    assert refused.value.field == "since"
    assert refused.value.message.startswith(said)
