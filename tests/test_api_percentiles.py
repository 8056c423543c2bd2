"""GET /api/machine/<name>/percentiles through the app (in-process WSGI), on samples the
collector's store wrote."""

import pytest

from tests.support import samples_history
from tests.support.api_wsgi import Api
from vigie import samples as sl
from vigie.samples import consolidate, percentile

MACHINE = {"name": "sw1", "host": "192.0.2.1", "snmp": {"version": "2c", "community": "s3cret-community"}}
DAY = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    assert api.call("POST", "/api/machine", json=MACHINE).status == 201
    return api


def poll_two_days(samples_dir):
    """Two days of 60 s polls through the store, so their days close and are consolidated."""
    store = sl.SamplesStore(samples_dir)
    record = sl.MachineSamples("sw1", 60)
    record.head["interfaces"] = [dict(i) for i in samples_history.interfaces(2)]
    values = {}
    for minute in range(2 * 1440 + 90):
        t = DAY + minute * 60
        rates = {"ge-0/0/0": [float(minute % 97) * 1e6, 5e5], "ge-0/0/1": [None, float(minute % 13)]}
        values[t] = rates
        record.now.update(time=t)
        consolidate.fold_max(record.now["open_max"], "ge-0/0/0", rates["ge-0/0/0"])
        record.fine.append({"t": t, "if": rates, "oid": {}})
        store.save(record, now_ts=t)
    return values


@pytest.mark.slow
def test_percentiles_of_each_day_and_month(api, tmp_path):
    values = poll_two_days(tmp_path / "samples")
    answer = api.call("GET", "/api/machine/sw1/percentiles", "viewer")
    assert answer.status == 200, answer.json
    got = answer.json
    assert [d["date"] for d in got["days"]] == ["2026-01-01", "2026-01-02"]
    second = [values[t]["ge-0/0/0"][0] for t in range(DAY + 86400, DAY + 2 * 86400, 60)]
    day = got["days"][1]["interfaces"]["ge-0/0/0"]
    assert day["in_bps"] == percentile.nearest_rank(second) and day["busier_bps"] == day["in_bps"]
    both = [values[t]["ge-0/0/0"][0] for t in range(DAY, DAY + 2 * 86400, 60)]
    month = got["months"][0]
    assert month["month"] == "2026-01" and month["days"] == 2
    assert month["interfaces"]["ge-0/0/0"]["in_bps"] == pytest.approx(percentile.nearest_rank(both),
                                                                      rel=percentile.RELATIVE_ERROR * 1.001)
    eth0 = got["interfaces"][0]
    assert eth0["name"] == "ge-0/0/0" and eth0["p95_day"] == dict(day, date="2026-01-02")
    assert eth0["p95_month"]["days"] == 2 and eth0["in_peak_bps"] == 96e6
    quiet = got["interfaces"][1]
    assert quiet["p95_day"]["in_bps"] is None and quiet["p95_day"]["out_bps"] == 12


def test_a_machine_not_polled_yet_has_none_and_unknown_ones_are_refused(api):
    empty = api.call("GET", "/api/machine/sw1/percentiles", "viewer")
    assert empty.status == 200 and empty.json["interfaces"] == [] and empty.json["days"] == []
    assert api.call("GET", "/api/machine/nobody/percentiles", "viewer").status == 404
    bad = api.call("GET", "/api/machine/sw1/percentiles", "viewer", query={"days": "3"})
    assert bad.status == 400 and bad.json["field"] == "days"
    assert api.call("GET", "/api/machine/sw1/percentiles", None).status == 401


def test_unreadable_samples_say_so_without_a_path(api, tmp_path):
    (tmp_path / "samples").mkdir(exist_ok=True)
    (tmp_path / "samples" / "sw1.json").write_text("{half")
    answer = api.call("GET", "/api/machine/sw1/percentiles", "viewer")
    assert answer.status == 500 and "sw1" in answer.json["error"] and str(tmp_path) not in answer.json["error"]


def test_the_document_describes_it(api):
    doc = api.call("GET", "/api/openapi.json", None).json
    operation = doc["paths"]["/api/machine/{name}/percentiles"]["get"]
    assert operation["operationId"] == "machinePercentiles"
    assert "MachinePercentiles" in doc["components"]["schemas"]
