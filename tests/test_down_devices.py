"""The down devices view: a machine's state read once (vigie.machine_state.state_of),
GET /api/machine?state=down listing only the machines that are down, and the built
pages carrying each machine's state (Devices' state column, the dashboard's "N down"
badge linking to the down machines)."""

import re
from datetime import datetime, timezone

import pytest

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_wsgi import Api
from vigie.machine_state import MACHINE_STATES, state_of

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
STATES = {"core-sw-01": "up", "edge-rt-02": "down", "lab-sw-03": "down", "new-ap-04": None}


@pytest.mark.parametrize("live, state", [
    ({"status": {"state": "down"}}, "down"), ({"status": {"state": "up"}}, "up"),
    ({"status": {"state": None}}, "unknown"), ({"error": "cannot read the samples"}, "unknown"),
    ({"status": {"state": "rebooting"}}, "unknown"), (None, "unknown")])
def test_state_of_a_machine_is_its_live_state_or_unknown(live, state):
    assert state_of(live) == state


def test_states_sort_the_worst_first():
    assert MACHINE_STATES == ("down", "unknown", "up")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    api = Api(tmp_path_factory.mktemp("down"))
    for i, (name, state) in enumerate(STATES.items()):
        sd.write_machine(api.machines_dir, name, host=f"192.0.2.{10 + i}")
        if state is not None:   # new-ap-04 was never polled
            sd.write_samples(api.root / "samples", sd.make_samples(name, NOW, interfaces=1, day_rows=5, days=1,
                                                                   state=state))
    return api


def names(answer):
    assert answer.status == 200, answer
    return sorted(m["name"] for m in answer.json["results"])


def test_the_machine_list_filters_by_state(fleet):
    assert names(fleet.call("GET", "/api/machine", "viewer", query={"state": "down"})) == ["edge-rt-02", "lab-sw-03"]
    assert names(fleet.call("GET", "/api/machine", "viewer", query={"state": "up"})) == ["core-sw-01"]
    assert names(fleet.call("GET", "/api/machine", "viewer", query={"state": "unknown"})) == ["new-ap-04"]
    assert names(fleet.call("GET", "/api/machine", "viewer")) == sorted(STATES)
    listed = fleet.call("GET", "/api/machine", "viewer", query={"state": "down"}).json
    assert listed["count"] == 2


def test_a_state_filter_leaves_out_the_files_in_error(fleet, tmp_path):
    api = fleet.copy(tmp_path)
    (api.machines_dir / "broken.json").write_text("{nope")
    assert len(api.call("GET", "/api/machine").json["errors"]) == 1
    assert api.call("GET", "/api/machine", query={"state": "down"}).json["errors"] == []


@pytest.mark.parametrize("value", ["DOWN", "error", ""])
def test_an_unknown_state_is_a_400_naming_the_field(fleet, value):
    answer = fleet.call("GET", "/api/machine", "viewer", query={"state": value})
    assert answer.status == 400
    assert answer.json["field"] == "state" and "down, unknown, up" in answer.json["error"]


def test_the_pages_carry_each_machine_state_and_the_down_badge_opens_the_down_machines(fleet, tmp_path):
    www = tmp_path / "www"
    build(fleet.machines_dir, fleet.root / "samples", fleet.db_path, www, workers=1)
    devices = (www / "devices.html").read_text()
    rows = dict(re.findall(r'<tr data-machine="([^"]+)" data-state="([^"]+)">', devices))
    assert rows == {"core-sw-01": "up", "edge-rt-02": "down", "lab-sw-03": "down", "new-ap-04": "unknown"}
    assert "<th>State</th>" in devices and 'data-state-filter' in devices
    dashboard = (www / "index.html").read_text()
    badge = re.search(r'<a class="state state-down" id="down-link" href="([^"]+)"[^>]*>(\d+) down</a>', dashboard)
    assert badge and badge.group(1) == "index.html?state=down#machines" and badge.group(2) == "2"
    options = re.search(r'<select name="state" data-state-filter>(.*?)</select>', dashboard).group(1)
    assert re.findall(r'value="(\w*)"', options) == ["", "down", "unknown", "up"]
