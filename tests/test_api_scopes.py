"""Teams and scopes: a member of a team scoped to one provider sees only that provider's
alerts, machines, silences and pages, everywhere; admins see everything. One test asks
every route of the app, enumerated from the app itself so a new endpoint cannot be
forgotten, and finds no trace of an alert, a machine or a silence outside the scope."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from site_builder.build import build
from tests.support.api_wsgi import Api, alert
from tests.support.site_data import write_machine
from vigie import db, scope

OUTSIDE = {"server": "globex-db-9", "provider": "Globex Corp", "message": "GLOBEX-SECRET-MESSAGE"}
MARKERS = ("globex-db-9", "Globex", "GLOBEX-SECRET-MESSAGE", "globex-rt", "GLOBEX-SILENCE")


@pytest.fixture
def world(tmp_path):
    api = Api(tmp_path / "scopes")
    admin = lambda method, path, **kw: api.call(method, path, "admin", **kw)  # noqa: E731
    api.inside = admin("POST", "/api/alert", json=alert(server="acme-web-1", provider="Acme",
                                                         message="ACME-VISIBLE")).json["id"]
    api.outside = admin("POST", "/api/alert", json=alert(**OUTSIDE)).json["id"]
    write_machine(api.machines_dir, "acme-sw", tags={"provider": "Acme"})
    write_machine(api.machines_dir, "globex-rt", tags={"provider": "Globex Corp"})
    api.silence = admin("POST", "/api/silence", json={
        "matchers": {"provider": "Globex Corp"}, "comment": "GLOBEX-SILENCE maintenance",
        "starts_at": "2026-01-01T00:00:00+00:00", "ends_at": "2036-01-01T00:00:00+00:00"}).json["id"]
    assert admin("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]},
                                            "members": ["viewer", "operator"]}).status == 201
    build(api.machines_dir, api.db_path.parent / "samples", api.db_path, api.www_dir)
    return api


def concrete(rule: str, api) -> str:
    """A route's rule with every parameter naming the out-of-scope alert, machine or silence."""
    values = {"alert_id": api.outside, "silence_id": api.silence, "name": "globex-rt", "token_id": 1,
              "message_id": 1, "run_id": "1700000000-abcdef"}

    def fill(match):
        name = match.group(1).split(":")[0]
        if name == "path":
            return "machines/globex-rt.html"
        return str(values[name])
    return re.sub(r"<([^>]+)>", fill, rule)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_no_endpoint_leaks_what_is_outside_the_scope(world, role):
    api = world
    asked = 0
    for route in api.app.routes:
        if route.rule == "/api/logout" or (route.method == "DELETE" and route.rule.startswith("/api/token")):
            continue  # would end the session the next requests are made with
        path = concrete(route.rule, api)
        for body in (None, {}):
            answer = api.call(route.method, path, role, json=body)
            assert answer.status != 401, f"{route.method} {route.rule}: the session ended"
            text = answer.body.decode("utf-8", "replace")
            if answer.status >= 400:  # an error may repeat what was asked (the URL's name), nothing more
                text = text.replace(repr("globex-rt"), "").replace(path, "")
            for marker in MARKERS:
                assert marker not in text, f"{route.method} {route.rule} answered {answer.status} with {marker}"
            asked += 1
    assert asked >= 2 * 50
    # writes aimed at the outside alert changed nothing
    outside = db.get_alert(api.conn, api.outside)
    assert outside["status"] == "open" and not outside["acknowledged"]
    assert db.silences.get(api.conn, api.silence)["ended_at"] is None


def test_the_same_endpoints_show_everything_to_an_admin(world):
    api = world
    assert api.call("GET", f"/api/alert/{api.outside}").status == 200
    assert "GLOBEX-SECRET-MESSAGE" in api.call("GET", "/api/alert").body.decode()
    assert "globex-rt" in api.call("GET", "/api/machine").body.decode()
    assert "GLOBEX-SILENCE" in api.call("GET", "/api/silence").body.decode()
    assert "GLOBEX-SECRET-MESSAGE" in api.call("GET", "/alerts.html").body.decode()


def test_a_member_sees_the_alerts_machines_and_counts_in_scope(world):
    api = world
    listed = api.call("GET", "/api/alert", "viewer").json
    assert [a["id"] for a in listed["results"]] == [api.inside] and listed["count"] == 1
    assert api.call("GET", f"/api/alert/{api.inside}", "viewer").status == 200
    assert api.call("GET", f"/api/alert/{api.outside}", "viewer").status == 404
    stats = api.call("GET", "/api/stats", "viewer").json
    assert stats["total"] == 1 and stats["by_provider"] == {"Acme": 1}
    assert [m["name"] for m in api.call("GET", "/api/machine", "viewer").json["results"]] == ["acme-sw"]
    assert api.call("GET", "/api/machine/globex-rt", "viewer").status == 404
    assert api.call("GET", "/machines/acme-sw.html", "viewer").status == 200
    assert api.call("GET", "/machines/globex-rt.html", "viewer").status == 404
    page = api.call("GET", "/alerts.html", "viewer").body.decode()
    assert "ACME-VISIBLE" in page
    assert api.call("GET", "/metrics", "viewer").status == 403


def test_the_csv_export_holds_only_the_alerts_in_scope(world):
    api = world
    member = api.call("GET", "/api/alert", "viewer", query={"format": "csv"})
    assert member.status == 200
    rows = member.body.decode().splitlines()
    assert len(rows) == 2 and "ACME-VISIBLE" in rows[1]                    # the header and the one alert
    assert not any(marker in member.body.decode() for marker in MARKERS)
    assert "GLOBEX-SECRET-MESSAGE" in api.call("GET", "/api/alert", query={"format": "csv"}).body.decode()  # an admin's


def test_bulk_acknowledge_and_new_alerts_stay_inside_the_scope(tmp_path):
    api = Api(tmp_path)
    inside = api.call("POST", "/api/alert", json=alert(provider="Acme", server="a")).json["id"]
    outside = api.call("POST", "/api/alert", json=alert(**OUTSIDE)).json["id"]
    api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["operator"]})
    assert api.call("POST", "/api/alert/ack", "operator", json={}).json == {"acknowledged": 1}
    assert db.get_alert(api.conn, inside)["acknowledged"] and not db.get_alert(api.conn, outside)["acknowledged"]
    refused = api.call("POST", "/api/alert", "operator", json=alert(**OUTSIDE, severity="ERROR"))
    assert refused.status == 403 and refused.json["field"] == "server"
    assert api.call("POST", "/api/alert", "operator", json=[alert(provider="Acme"), alert(**OUTSIDE)]).json["index"] == 1
    silence = {"comment": "c", "ends_at": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}
    assert api.call("POST", "/api/silence", "operator", json=dict(silence, matchers={"server": "x"})).status == 403
    assert api.call("POST", "/api/silence", "operator", json=dict(silence, matchers={"provider": "Acme"})).status == 201


def test_users_in_several_teams_see_the_union_and_an_unscoped_team_sees_all(tmp_path):
    assert scope.user_scopes("viewer", [{"provider": ["A"]}, {"provider": ["B"]}]) == \
        [{"provider": ["A"]}, {"provider": ["B"]}]
    api = Api(tmp_path)
    for provider in ("Acme", "Initech", "Globex Corp"):
        api.call("POST", "/api/alert", json=alert(provider=provider, server=provider.lower()[:4]))
    api.call("POST", "/api/team", json={"name": "a", "scope": {"provider": ["Acme"]}, "members": ["viewer"]})
    api.call("POST", "/api/team", json={"name": "i", "scope": {"provider": ["Initech"]}, "members": ["viewer"]})
    assert api.call("GET", "/api/alert", "viewer").json["count"] == 2
    api.call("POST", "/api/team", json={"name": "all", "scope": {}, "members": ["viewer"]})
    assert api.call("GET", "/api/alert", "viewer").json["count"] == 3


def test_the_builder_writes_a_copy_of_the_mixed_pages_per_scope_and_removes_stale_ones(world, tmp_path):
    api = world
    key = scope.scopes_key([{"provider": ["Acme"]}])
    folder = api.www_dir / scope.SCOPED_DIR / key
    assert sorted(p.name for p in folder.iterdir()) == sorted(scope.SCOPED_PAGES)
    for page in scope.SCOPED_PAGES:
        text = (folder / page).read_text()
        assert not any(m in text for m in MARKERS), page
    assert "GLOBEX-SECRET-MESSAGE" in (api.www_dir / "alerts.html").read_text()
