"""GET /api/availability through the app (WSGI, in process): state histories written
by the collector's store at chosen times, silences in the real database, teams
scoping what each user sees, CSV, and every refusal naming its parameter."""

import csv
import io
from datetime import datetime, timezone

import pytest

from tests.support.api_wsgi import Api
from tests.support.site_data import write_machine
from vigie import db, samples, silences
from vigie.samples import states

T0 = 1_767_225_600          # 2026-01-01T00:00:00Z
HOUR = 3600
FROM, TO = "2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00"


def at(t):
    return datetime.fromtimestamp(t, timezone.utc)


def write_history(samples_dir, machine, lines, last_poll):
    """A machine's state history as the collector's store writes it, its last poll at `last_poll`."""
    store = samples.SamplesStore(samples_dir)
    record = store.load(machine, 60)
    record.states = lines
    store.save(record, now_ts=last_poll)


def silence(api, matchers, start, end, comment="router swap"):
    """A silence made back then (its end was to come when it was made)."""
    made = silences.normalize_silence({"matchers": matchers, "starts_at": at(start).isoformat(),
                                       "ends_at": at(end).isoformat(), "comment": comment}, at(start))
    return db.silences.create(api.conn, made, "admin", at(start))


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    api.samples_dir = tmp_path / "samples"
    write_machine(api.machines_dir, "edge-1", tags={"provider": "Acme"})
    write_machine(api.machines_dir, "core-1", tags={"provider": "Globex"})
    write_machine(api.machines_dir, "new-1", tags={"provider": "Acme"})
    write_history(api.samples_dir, "edge-1", [
        states.mark(T0 - 60, "up"), states.mark(T0 - 60, "up", "ge-0/0/1"), states.mark(T0 - 60, "up", "ge-0/0/2"),
        states.mark(T0 + 600, "down", "ge-0/0/2"), states.mark(T0 + 900, "up", "ge-0/0/2"),
        states.mark(T0 + 1800, "down"), states.mark(T0 + 2400, "up")], T0 + HOUR)
    write_history(api.samples_dir, "core-1", [states.mark(T0 - 60, "up")], T0 + HOUR)
    return api


def get(api, role="admin", **params):
    return api.call("GET", "/api/availability", role, query=dict({"from": FROM, "to": TO}, **params))


def by_machine(answer):
    return {m["machine"]: m for m in answer.json["results"]}


def test_a_machine_down_ten_minutes_of_the_hour_reads_83_3_percent_with_its_outage(api):
    answer = get(api)
    assert answer.status == 200
    edge = by_machine(answer)["edge-1"]
    assert edge["availability_percent"] == pytest.approx(83.333, abs=0.001)
    assert edge["seconds"]["down"] == 600 and edge["seconds"]["no_data"] == 0
    assert edge["outages"] == [{"start": "2026-01-01T00:30:00+00:00", "end": "2026-01-01T00:40:00+00:00",
                                "ended_by": "up", "seconds": 600, "seconds_in_period": 600,
                                "maintenance_seconds": 0}]
    assert answer.json["from"] == FROM and answer.json["to"] == TO and answer.json["exclude_maintenance"] is False


def test_silenced_and_excluded_it_reads_100_percent(api):
    silence(api, {"server": "edge-1"}, T0 + 1800, T0 + 2400)
    kept = by_machine(get(api))["edge-1"]
    excluded = by_machine(get(api, exclude_maintenance="true"))["edge-1"]
    assert kept["availability_percent"] == pytest.approx(83.333, abs=0.001)
    assert kept["seconds"]["maintenance"] == 600 and kept["outages"][0]["maintenance_seconds"] == 600
    assert excluded["availability_percent"] == 100.0


def test_a_silence_of_the_interfaces_alert_is_its_maintenance_not_the_machines(api):
    silence(api, {"server": "edge-1", "message": "ge-0/0/2 is down"}, T0 + 600, T0 + 900)
    edge = by_machine(get(api, exclude_maintenance="true"))["edge-1"]
    ports = {i["interface"]: i for i in edge["interfaces"]}
    assert ports["ge-0/0/2"]["seconds"]["maintenance"] == 300 and ports["ge-0/0/2"]["availability_percent"] == 100.0
    assert edge["seconds"]["maintenance"] == 0 and ports["ge-0/0/1"]["seconds"]["maintenance"] == 0


def test_the_least_available_come_first_and_no_data_last(api):
    results = get(api).json["results"]
    assert [m["machine"] for m in results] == ["edge-1", "core-1", "new-1"]
    assert results[2]["availability_percent"] is None and results[2]["seconds"]["no_data"] == HOUR
    edge = results[0]
    assert [i["interface"] for i in edge["interfaces"]] == ["ge-0/0/2", "ge-0/0/1"]
    assert edge["interfaces"][0]["seconds"] == {"period": 3600, "up": 2700, "down": 300, "off": 0, "no_data": 600,
                                                "maintenance": 0, "up_in_maintenance": 0, "down_in_maintenance": 0}


def test_one_machine(api):
    answer = get(api, machine="core-1")
    assert [m["machine"] for m in answer.json["results"]] == ["core-1"]
    assert answer.json["results"][0]["availability_percent"] == 100.0


def test_a_team_member_sees_only_the_machines_in_scope(api):
    api.call("POST", "/api/team", json={"name": "acme", "scope": {"provider": ["Acme"]}, "members": ["viewer"]})
    answer = get(api, "viewer")
    assert sorted(by_machine(answer)) == ["edge-1", "new-1"]
    for params in ({"machine": "core-1"}, {"machine": "no-such"}):
        hidden = get(api, "viewer", **params)
        assert hidden.status == 404 and hidden.json["field"] == "machine"
    assert "core-1" not in get(api, "viewer", format="csv").body.decode()


def test_csv_has_a_row_per_machine_and_interface(api):
    answer = get(api, format="csv")
    assert answer.status == 200 and answer.header("Content-Type").startswith("text/csv")
    assert "attachment" in answer.header("Content-Disposition")
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    edge = [r for r in rows if r["machine"] == "edge-1"]
    assert [r["interface"] for r in edge] == ["", "ge-0/0/2", "ge-0/0/1"]
    assert float(edge[0]["availability_percent"]) == pytest.approx(83.333, abs=0.001)
    assert (edge[0]["down_seconds"], edge[0]["outages"], edge[0]["from"]) == ("600", "1", FROM)
    new = next(r for r in rows if r["machine"] == "new-1")
    assert new["availability_percent"] == "" and new["no_data_seconds"] == "3600"


def test_outages_csv_has_a_row_per_outage(api):
    rows = list(csv.DictReader(io.StringIO(get(api, format="outages.csv").body.decode())))
    assert [(r["machine"], r["interface"], r["start"], r["seconds"]) for r in rows] == [
        ("edge-1", "", "2026-01-01T00:30:00+00:00", "600"),
        ("edge-1", "ge-0/0/2", "2026-01-01T00:10:00+00:00", "300")]


def test_defaults_are_the_last_seven_days_to_now(api):
    answer = api.call("GET", "/api/availability", "viewer")
    assert answer.status == 200
    start, end = (datetime.fromisoformat(answer.json[k]) for k in ("from", "to"))
    assert (end - start).total_seconds() == 7 * 86400
    assert abs((datetime.now(timezone.utc) - end).total_seconds()) < 60


@pytest.mark.parametrize("params, field", [
    ({"from": "yesterday"}, "from"), ({"to": "2026-01-01T01:00:00"}, "to"),
    ({"from": TO, "to": FROM}, "from"), ({"from": FROM, "to": FROM}, "from"),
    ({"machine": "../etc"}, "machine"), ({"exclude_maintenance": "maybe"}, "exclude_maintenance"),
    ({"format": "xml"}, "format"), ({"colour": "red"}, "colour"), ({"to": ""}, "to"),
    ({"from": FROM, "machine": ""}, "machine"), ({"to": [TO, TO]}, "to")])
def test_bad_parameters_are_refused_naming_them(api, params, field):
    answer = api.call("GET", "/api/availability", "viewer", query=params)
    assert answer.status == 400 and answer.json["field"] == field, answer.json


def test_a_history_that_cannot_be_read_is_that_machines_no_data_only(api):
    (api.samples_dir / "core-1" / "states.jsonl").unlink()
    (api.samples_dir / "core-1" / "states.jsonl").mkdir()       # read(2) fails: EISDIR
    answer = get(api)
    assert answer.status == 200
    machines = by_machine(answer)
    assert machines["core-1"]["availability_percent"] is None and "cannot be read" in machines["core-1"]["error"]
    assert machines["edge-1"]["availability_percent"] == pytest.approx(83.333, abs=0.001)
    assert "error" not in machines["edge-1"]


def test_a_head_that_cannot_be_read_leaves_the_history_readable(api):
    (api.samples_dir / "core-1.json").write_text("{not json")
    assert by_machine(get(api))["core-1"]["availability_percent"] == 100.0


def test_a_login_is_needed(api):
    assert api.call("GET", "/api/availability", None).status == 401
