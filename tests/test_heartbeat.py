"""Vigie's own heartbeat: parts beat, the notifier tells the admins' channels when one
stops reporting and when it is back (pure rules on literal times, then the notifier
on a real database and a real receiver)."""

import os

from tests.support.receivers import Receiver
from vigie import db, heartbeat, utc
from vigie.notify.daemon import Notifier, Settings

T0 = "2026-11-22T10:00:00+00:00"


def at(seconds):
    return utc.plus_seconds(T0, seconds)


def test_changes_down_after_the_stale_time_and_up_when_it_beats_again():
    beats = {"poll": T0, "build": T0}
    first = heartbeat.changes({}, beats, at(60), 600)
    assert first == [("build", "up", T0), ("poll", "up", T0)]
    known = {part: {"state": state, "since": since} for part, state, since in first}
    assert heartbeat.changes(known, beats, at(599), 600) == []
    down = heartbeat.changes(known, beats, at(600), 600)
    assert down == [("build", "down", at(600)), ("poll", "down", at(600))]
    assert all(heartbeat.is_news(known, c) for c in down)
    known = {part: {"state": state, "since": since} for part, state, since in down}
    back = heartbeat.changes(known, {"poll": at(700), "build": T0}, at(710), 600)
    assert back == [("poll", "up", at(700))]
    assert heartbeat.is_news(known, back[0])
    assert not heartbeat.is_news({}, ("watch", "up", T0))  # first seen up: only recorded


def test_beat_writes_the_file_whose_time_is_read_back(tmp_path):
    heartbeat._last_beat.clear()
    heartbeat.beat("poll", tmp_path)
    heartbeat.beat("poll", tmp_path)  # too soon: no second write
    assert set(heartbeat.last_beats(tmp_path)) == {"poll"}
    heartbeat.beat("poll", tmp_path / "missing" / "deeper")  # made as needed
    (tmp_path / "readonly").mkdir(mode=0o500)
    heartbeat.beat("build", tmp_path / "readonly" / "x")  # never raises


def test_the_admins_channel_is_told_when_a_part_stops_and_when_it_is_back(tmp_path):
    receiver = Receiver().start()
    try:
        conn = db.connect(tmp_path / "vigie.db")
        db.notify.put_channel(conn, "admins", f"json://127.0.0.1:{receiver.port}/admins", admin=True)
        db.notify.put_channel(conn, "others", f"json://127.0.0.1:{receiver.port}/others")
        beats = tmp_path / "beats"
        beats.mkdir()
        (beats / "poll").write_text(T0)
        stamp = lambda moment: os.utime(beats / "poll", (utc.unix_from_iso(moment),) * 2)  # noqa: E731
        stamp(T0)
        notifier = Notifier(tmp_path / "vigie.db", Settings(heartbeat_dir=str(beats), stale_minutes=10))
        notifier.plan(at(60))
        notifier.deliver_due(at(60))
        assert receiver.received() == []  # first seen up: nothing to say
        notifier.plan(at(601))
        notifier.deliver_due(at(601))
        [down] = receiver.wait_for(1)
        assert down.path == "/admins"
        assert down.json()["title"] == "[CRITICAL] Vigie: poll stopped reporting"
        notifier.plan(at(900))
        assert len(receiver.received()) == 1  # told once
        stamp(at(1000))
        notifier.plan(at(1001))
        notifier.deliver_due(at(1001))
        back = receiver.wait_for(2)[1]
        assert back.json()["title"] == "[INFO] Vigie: poll is reporting again"
    finally:
        receiver.stop()
