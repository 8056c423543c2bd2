"""GET /api/alert?format=csv: the console's export, with its filters, streamed from the
real server; cells a spreadsheet would run as formulas are neutralised."""

import csv
import io

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.api_wsgi import alert
from vigie import alert_csv


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_api(tmp_path_factory.mktemp("csv"))
    batch = [alert(server=f"web-{i % 7:02d}", message=f"Disk {i} running low.", severity=("critical", "info")[i % 2],
                   timestamp=f"2026-11-22T10:{i // 60 % 60:02d}:{i % 60:02d}+00:00") for i in range(2500)]
    batch.append(alert(server="db-01", message='=HYPERLINK("http://evil.example","click"), "quoted", and a, comma'))
    answer = requests.post(server.url + "/api/alert", json=batch, headers=server.operator.headers, timeout=60)
    assert answer.status_code == 201, answer.text
    yield server
    server.stop()


def export(api, **params):
    answer = requests.get(api.url + "/api/alert", params=dict(params, format="csv"), headers=api.viewer.headers,
                          timeout=60, stream=True)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.content.decode("utf-8")
    return answer, list(csv.DictReader(io.StringIO(body)))


def listed(api, **params):
    rows, offset = [], 0
    while True:
        page = requests.get(api.url + "/api/alert", params=dict(params, limit=1000, offset=offset),
                            headers=api.viewer.headers, timeout=60).json()
        rows += page["results"]
        offset += 1000
        if offset >= page["count"]:
            return rows


def test_the_export_holds_every_match_of_the_filters_in_order_not_one_page(api):
    answer, rows = export(api, server="web-03", severity="critical", ordering="timestamp")
    assert answer.headers.get("Transfer-Encoding") == "chunked", "streamed, not built whole"
    expected = listed(api, server="web-03", severity="critical", ordering="timestamp")
    assert len(rows) == len(expected) > 100
    assert [int(r["id"]) for r in rows] == [a["id"] for a in expected]
    assert list(rows[0]) == list(alert_csv.COLUMNS)
    assert {r["server"] for r in rows} == {"web-03"} and {r["severity"] for r in rows} == {"CRITICAL"}


def test_all_of_a_large_table_and_text_that_needs_quoting(api):
    _, rows = export(api)
    assert len(rows) == 2501
    evil = next(r for r in rows if r["server"] == "db-01")
    assert evil["message"] == "'" + '=HYPERLINK("http://evil.example","click"), "quoted", and a, comma'


def test_a_bad_format_is_a_400_naming_it(api):
    answer = requests.get(api.url + "/api/alert", params={"format": "xml"}, headers=api.viewer.headers, timeout=10)
    assert answer.status_code == 400 and answer.json()["field"] == "format"


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("-2", "'-2"), ("@x", "'@x"), ("plain", "plain"),
                                         (None, ""), (True, "true"), (42, "42")])
def test_cells(value, cell):
    assert alert_csv.cell(value) == cell


def test_the_consoles_export_link_carries_its_filters(chromium, api):
    from site_builder.build import build
    from tests.support.browser import WatchedPage, new_context
    build(api.machines_dir, api.root / "samples", api.db_path, api.www_dir, workers=1)
    with new_context(chromium) as context:
        context.request.post(api.url + "/api/login", data={"username": "viewer", "password": api.viewer.password})
        wp = WatchedPage(context)
        wp.page.goto(api.url + "/alerts.html?server=web-05&view=all")
        wp.page.wait_for_selector("#export-csv:not([hidden])")
        href = wp.page.get_attribute("#export-csv", "href")
        assert "format=csv" in href and "server=web-05" in href
        answer = context.request.get(href if href.startswith("http") else api.url + href)
        rows = list(csv.DictReader(io.StringIO(answer.text())))
        assert answer.status == 200 and rows and {r["server"] for r in rows} == {"web-05"}
        assert len(rows) == len(listed(api, server="web-05"))
