"""A storage filling up over a week: the trend of its daily averages (the year archive the
store writes), the days until full in the samples and GET /api/machine/<name>/health, and
the capacity alert raised under capacity_days."""

import pytest

from collector import poll
from collector.snmp import cycle, health
from collector.snmp import health_rules as hr
from tests.support.api_wsgi import Api
from vigie import machines
from vigie import samples as sl

MACHINE = {"name": "srv", "host": "192.0.2.1", "snmp": {"version": "2c", "community": "s3cret-community"}}
DAY = 1_767_225_600  # 2026-01-01T00:00:00Z
UNITS = 4096
SIZE = 1_000_000                     # allocation units: 4.096 GB
COLUMNS = {health.HR_STORAGE_TYPE: {"35": f"{health.HR_STORAGE_TYPES}.4"}, health.HR_STORAGE_DESCR: {"35": "/var"},
           health.HR_STORAGE_UNITS: {"35": UNITS}, health.HR_STORAGE_SIZE: {"35": SIZE}}


def used_at(t) -> int:
    """40 % used at the start, 5 points more a day."""
    return int(SIZE * (0.40 + 0.05 * (t - DAY) / 86400))


def reading(t) -> dict:
    return {"time": t, "uptime_ticks": int((t - DAY) * 100), "if_number": 0, "interfaces": {}, "oids": {},
            "health_raw": {f"{health.HR_STORAGE_USED}.35": used_at(t), f"{health.HR_STORAGE_SIZE}.35": SIZE}}


def poll_a_week(samples_dir, config):
    """Hourly polls for eight days through the cycle's rules and the store, the trend fitted
    again by the collector's own edge once a day has closed; returns every event."""
    store = sl.SamplesStore(samples_dir)
    record = sl.MachineSamples("srv", 3600)
    record.discovery = {"interfaces": [], "if_number": 0, "time": DAY, "health": health.catalogue(COLUMNS, {})}
    events = []
    for hour in range(8 * 24 + 2):
        t = DAY + hour * 3600
        poll.refresh_trends(samples_dir, record)
        found = cycle.apply_reading(record, config, [], reading(t), {}, None, cycle.health_metrics(record, config))
        events += found
        record.events += found
        store.save(record, now_ts=t)
    return events


def test_the_trends_are_due_once_the_year_archive_gained_a_day():
    record = sl.MachineSamples("srv", 60)
    assert not poll.trends_due(record)
    record.state["consolidated"] = {sl.YEAR: DAY}
    assert poll.trends_due(record)
    record.state["trend_day"] = DAY
    assert not poll.trends_due(record)
    record.state["consolidated"] = {sl.YEAR: DAY + 86400}
    assert poll.trends_due(record)


@pytest.fixture
def config():
    found = machines.validate({k: v for k, v in MACHINE.items() if k != "name"})
    found["name"] = "srv"
    return found


def test_a_filling_storage_tells_its_days_until_full_and_alerts_under_capacity_days(tmp_path, config):
    events = poll_a_week(tmp_path / "samples", config)
    view = sl.read_current(tmp_path / "samples", "srv")["health"]["storage:/var"]
    assert view["trend_per_day"] == pytest.approx(0.05 * SIZE * UNITS, rel=0.02)
    left = (SIZE * UNITS - view["last"]) / view["trend_per_day"]
    assert view["days_to_full"] == pytest.approx(left, abs=0.1) and 3.5 < view["days_to_full"] < 4.5
    capacity = [e for e in events if e["kind"].startswith("capacity")]
    assert [e["kind"] for e in capacity] == ["capacity_low"]
    assert capacity[0]["message"].startswith("Storage /var full in ") and "(threshold: 7 days)" in capacity[0]["message"]
    # raised when the trend first said fewer than 7 days: three days of averages, at 55 % used
    assert capacity[0]["time"] >= "2026-01-04"

    api = Api(tmp_path)
    assert api.call("POST", "/api/machine", json=MACHINE).status == 201
    answer = api.call("GET", "/api/machine/srv/health", "viewer")
    assert answer.status == 200, answer.json
    [metric] = answer.json["metrics"]
    assert metric["name"] == "storage:/var" and metric["unit"] == "B" and metric["size"] == SIZE * UNITS
    assert metric["days_to_full"] == view["days_to_full"] and metric["percent"] == view["percent"]
    assert api.call("GET", "/api/machine/srv/health", "viewer", query={"x": "1"}).status == 400
    assert api.call("GET", "/api/machine/nope/health", "viewer").status == 404


def test_capacity_days_zero_raises_nothing(tmp_path, config):
    config["health_rules"] = hr.resolve(config, capacity_days=0)
    events = poll_a_week(tmp_path / "samples", config)
    assert not [e for e in events if e["kind"].startswith("capacity")]
    assert sl.read_current(tmp_path / "samples", "srv")["health"]["storage:/var"]["days_to_full"] is not None


def test_a_cpu_hovering_about_its_threshold_leaves_the_samples_head_alone(tmp_path, config):
    """The alerts' state moves with the values; the head, 27 kB for 48 interfaces, is written
    only when what it describes changes."""
    store = sl.SamplesStore(tmp_path / "samples")
    record = sl.MachineSamples("srv", 60)
    processors = {health.HR_PROCESSOR_FRW_ID: {"768": "0.0"}}
    record.discovery = {"interfaces": [], "if_number": 0, "time": DAY, "health": health.catalogue(processors, {})}
    writes = []
    for n, load in enumerate([50, 91, 89, 92, 93, 88, 95, 89, 91]):
        t = DAY + n * 60
        got = {"time": t, "uptime_ticks": n * 6000, "if_number": 0, "interfaces": {}, "oids": {},
               "health_raw": {f"{health.HR_PROCESSOR_LOAD}.768": load}}
        cycle.apply_reading(record, config, [], got, {}, None, cycle.health_metrics(record, config))
        before = record.head_digest
        store.save(record, now_ts=t)
        writes.append(record.head_digest != before)
    assert writes[0] and not any(writes[1:])


def test_the_collector_takes_capacity_days_from_the_configuration_file(tmp_path):
    from vigie import config as settings
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "srv.json").write_text('{"host": "192.0.2.1", "snmp": {"version": "2c", '
                                                    '"community": "c"}, "health_thresholds": {"storage:/tmp": '
                                                    '{"days": 1}}}')
    (tmp_path / "vigie.toml").write_text("[poll]\ncapacity_days = 2.5\n")
    args = poll.parser().parse_args(["--config", str(tmp_path / "vigie.toml"), "--once"])
    settings.from_args(args)
    assert args.cfg["poll"]["capacity_days"] == 2.5
    loaded, _ = poll.load_machines(tmp_path / "machines", poll.Reporter(), None, args.cfg["poll"]["capacity_days"])
    rules = loaded["srv"]["health_rules"]
    assert hr.rule_for(rules, "storage:/var")["days"] == 2.5 and hr.rule_for(rules, "storage:/tmp")["days"] == 1
