from datetime import datetime, timedelta, timezone

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
