"""One silence cannot blind everyone: a silence matching every alert, without an end, or
longer than silence_max_days needs an admin; every silence can be previewed (a dry
run) before it is made; the dashboard says loudly when silences hide alerts."""

from datetime import datetime, timedelta, timezone

import pytest

from site_builder.build import build
from tests.support.api_wsgi import Api, alert
from vigie import db
from vigie import silences as rules

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment):
    return moment.isoformat()


def body(matchers, days=1.0, **extra):
    made = {"matchers": matchers, "comment": "maintenance", "ends_at": iso(NOW + timedelta(days=days))}
    made.update(extra)
    return made


@pytest.mark.parametrize("matchers, everything", [
    ({"server": "*"}, True), ({"server": "**"}, True), ({"server": "?*"}, True), ({"server": "*?*"}, True),
    ({"severity": ["CRITICAL", "ERROR", "WARNING", "INFO"]}, True),
    ({"server": "*", "severity": ["CRITICAL", "ERROR", "WARNING", "INFO"]}, True),
    ({"server": "?"}, False), ({"server": "web-*"}, False), ({"severity": ["CRITICAL"]}, False),
    ({"server": "*", "environment": "prod"}, False), ({"message": "e"}, False),
])
def test_what_matches_every_alert(matchers, everything):
    assert rules.matches_everything(matchers) is everything


def test_why_a_silence_needs_an_admin_on_literal_times():
    now = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    one = {"matchers": {"server": "web-01"}, "starts_at": now, "ends_at": now + timedelta(days=7)}
    assert rules.needs_admin(one, now, 7) is None
    assert "more than silence_max_days (7)" in rules.needs_admin(dict(one, ends_at=now + timedelta(days=8)), now, 7)
    assert rules.needs_admin(dict(one, ends_at=None), now, 7) == "it has no end"
    assert rules.needs_admin(dict(one, matchers={"server": "*"}), now, 7) == "it matches every alert"
    later = dict(one, starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=36))
    assert rules.needs_admin(later, now, 7) is None  # six days, a month from now


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    for i in range(3):
        api.call("POST", "/api/alert", json=alert(server=f"web-0{i}", message=f"disk {i}", provider="Initech"))
    return api


@pytest.mark.parametrize("sent, field", [
    (body({"server": "*"}), "matchers"),
    (body({"severity": ["CRITICAL", "ERROR", "WARNING", "INFO"]}), "matchers"),
    (body({"server": "web-01"}, days=36500), "ends_at"),
    (dict(body({"server": "web-01"}, days=1), ends_at=iso(NOW.replace(year=2126))), "ends_at"),
    ({"matchers": {"server": "*"}, "comment": "x", "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                                        "sun"], "start": "00:00", "end": "24:00"}},
     "matchers"),
    ({"matchers": {"server": "web-01"}, "comment": "x", "schedule": {"days": ["sun"], "start": "02:00",
                                                                     "end": "04:00"}}, "ends_at"),
])
def test_an_operator_cannot_make_a_silence_that_blinds_everyone(api, sent, field):
    refused = api.call("POST", "/api/silence", "operator", json=sent)
    assert refused.status == 403 and refused.json["field"] == field and "admin" in refused.json["error"]
    assert db.silences.list_silences(api.conn, NOW, "all") == []
    assert api.call("POST", "/api/silence", "admin", json=sent).status == 201


def test_the_limit_is_a_setting(tmp_path):
    api = Api(tmp_path, silence_max_days=30.0)
    assert api.call("POST", "/api/silence", "operator", json=body({"server": "web-01"}, days=20)).status == 201
    assert api.call("POST", "/api/silence", "operator", json=body({"server": "web-01"}, days=31)).status == 403


def test_a_preview_shows_what_it_would_match_and_writes_nothing(api):
    answer = api.call("POST", "/api/silence/preview", "operator", json={"matchers": {"server": "web-0*"},
                                                                       "ends_at": iso(NOW + timedelta(hours=2))})
    assert answer.status == 200
    preview = answer.json
    assert preview["matching"] == 3 and [a["server"] for a in preview["alerts"]] == ["web-02", "web-01", "web-00"]
    assert preview["needs_admin"] is None and preview["allowed"] is True and preview["matches_everything"] is False
    assert preview["silence"]["state"] == "active"
    assert db.silences.list_silences(api.conn, NOW, "all") == []
    assert all(not a["silenced"] for a in api.call("GET", "/api/alert").json["results"])
    wide = api.call("POST", "/api/silence/preview", "operator", json=body({"server": "*"})).json
    assert wide["matches_everything"] and wide["needs_admin"] == "it matches every alert" and not wide["allowed"]
    assert api.call("POST", "/api/silence/preview", "admin", json=body({"server": "*"})).json["allowed"]
    bad = api.call("POST", "/api/silence/preview", "operator", json=body({"server": "x"}, ends_at="yesterday"))
    assert bad.status == 400 and bad.json["field"] == "ends_at"
    assert api.call("POST", "/api/silence/preview", "viewer", json=body({"server": "x"})).status == 403


def test_a_member_previews_only_inside_the_scope(api):
    api.call("POST", "/api/alert", json=alert(server="acme-1", provider="Acme"))
    api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["operator"]})
    preview = api.call("POST", "/api/silence/preview", "operator", json=body({"provider": "Acme"})).json
    assert preview["matching"] == 1 and [a["server"] for a in preview["alerts"]] == ["acme-1"]
    assert api.call("POST", "/api/silence/preview", "operator", json=body({"server": "web-0*"})).status == 403


def test_the_dashboard_says_loudly_when_silences_hide_alerts(api, tmp_path):
    samples = tmp_path / "samples"
    build(api.machines_dir, samples, api.db_path, api.www_dir)
    assert 'id="silenced-banner"' not in (api.www_dir / "index.html").read_text()
    assert api.call("POST", "/api/silence", "operator", json=body({"server": "web-0*"})).status == 201
    build(api.machines_dir, samples, api.db_path, api.www_dir)
    page = (api.www_dir / "index.html").read_text()
    assert 'id="silenced-banner"' in page and "3 alerts are hidden by silences" in page
    assert 'href="alerts.html?view=silenced"' in page.split('id="silenced-banner"')[1].split("</p>")[0]
