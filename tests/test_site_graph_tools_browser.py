"""The machine page's graph tools in headless Chromium, on a site built from a year of
samples, alerts and a maintenance window: one time range for every graph (kept in the
address, and set by a zoom on any graph), alerts and maintenance marked on the graphs,
the 95th percentile line, a port's day/week/month/year set side by side, the sum of
interfaces ticked in the table, and errors graphs folded when flat zero."""

from datetime import datetime, timedelta, timezone

import pytest

from site_builder.build import build
from tests.support import samples_history as history
from tests.support import site_data as sd
from tests.support.browser import WatchedPage, new_context, static_server
from vigie import db
from vigie import samples as sl
from vigie import silences as rules
from vigie.samples import journal
from vigie.samples.store import Family, _write_json

pytestmark = pytest.mark.slow

MACHINE = "tools-sw"
DAY = 86400
NOW = int(datetime.now(timezone.utc).timestamp()) // 60 * 60
ALERT_AT = NOW - 6 * 3600
MAINTENANCE = (NOW - 3 * DAY, NOW - 3 * DAY + 4 * 3600)


def write_samples(samples):
    fam = history.write_history(samples, MACHINE, history.interfaces(3, "eth"), NOW,
                                oids={"err-eth0": "/s", "err-eth1": "/s"})
    head = journal.loads(open(fam.head, "rb").read())
    for name, iface in (("err-eth0", "eth0"), ("err-eth1", "eth1")):   # errors and discards of two ports
        head["oids"][name]["interface"] = iface
    _write_json(fam.head, head)
    fine = journal.read_all(fam.archive(sl.FINE))
    for line in fine:                               # eth1 never had an error
        line["oid"]["err-eth1"] = 0
    fine[-1]["oid"]["err-eth0"] = 3.5
    journal.rewrite(fam.archive(sl.FINE), fine)
    return fam


def write_alerts(db_path):
    sd.write_alerts(db_path, [{"timestamp": sd.iso(datetime.fromtimestamp(ALERT_AT, timezone.utc)), "server": MACHINE,
                               "severity": "CRITICAL", "message": "uplink flapping on tools-sw", "provider": "",
                               "application": "", "environment": ""}])
    conn = db.connect(db_path)
    try:
        moment = datetime.fromtimestamp(NOW, timezone.utc)
        body = {"matchers": {"server": MACHINE}, "comment": "line card swap",
                "starts_at": sd.iso(datetime.fromtimestamp(MAINTENANCE[0], timezone.utc)),
                "ends_at": sd.iso(datetime.fromtimestamp(MAINTENANCE[1], timezone.utc))}
        db.silences.create(conn, rules.normalize_silence(body, moment - timedelta(days=4)), "alice", moment)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("tools")
    machines, samples, www = root / "machines", root / "samples", root / "www"
    sd.write_machine(machines, MACHINE)
    site_fam = write_samples(samples)
    write_alerts(root / "vigie.db")
    build(machines, samples, root / "vigie.db", www, now=datetime.fromtimestamp(NOW + 30, timezone.utc))
    with static_server(www) as url:
        yield url, site_fam


def open_page(context, site, query=""):
    wp = WatchedPage(context)
    wp.page.goto(f"{site[0]}/machines/{MACHINE}.html{query}")
    return wp


def drawn(page, gid, timeout=20_000):
    page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#graph-{gid}[data-rendered]", timeout=timeout)


SPAN = """id => { const r = document.getElementById(id).layout.xaxis.range;
  return [new Date(r[0]).getTime() / 1000, new Date(r[1]).getTime() / 1000]; }"""


def span_days(page, gid):
    lo, hi = page.evaluate(SPAN, f"graph-{gid}")
    return (hi - lo) / DAY


def period_days(span: float) -> int:
    """A span in whole days, the year's as 365: a year of history begins at the start of
    its first whole UTC day, so its span is 365 days and the part of today gone by."""
    return 365 if 365 <= span <= 366 else round(span)


def test_one_time_range_for_every_graph_kept_in_the_address(chromium, site):
    with new_context(chromium) as context:
        wp = open_page(context, site)
        for gid in ("if-eth0", "if-eth1"):
            drawn(wp.page, gid)
            assert span_days(wp.page, gid) == pytest.approx(1, abs=0.01)
        for label, days in (("week", 7), ("month", 31), ("year", 365)):
            wp.page.click(f'#page-range button[data-range="{label}"]')
            wp.page.wait_for_selector(f'#page-range[data-range="{label}"]')
            assert [period_days(span_days(wp.page, g)) for g in ("if-eth0", "if-eth1")] == [days, days], label
        assert "range=year" in wp.page.url
        wp.page.reload()
        drawn(wp.page, "if-eth2")                     # a graph drawn later takes the page's range
        assert period_days(span_days(wp.page, "if-eth2")) == 365
        # a zoom on one graph: every graph shows that period, and the address keeps it
        lo, hi = NOW - 2 * DAY, NOW - DAY
        wp.page.evaluate("""([lo, hi]) => Plotly.relayout(document.getElementById('graph-if-eth2'),
                            {'xaxis.range': [new Date(lo * 1000), new Date(hi * 1000)]})""", [lo, hi])
        wp.page.wait_for_selector('#page-range[data-range="custom"]')
        drawn(wp.page, "if-eth0")
        assert wp.page.evaluate(SPAN, "graph-if-eth0") == pytest.approx([lo, hi], abs=1)
        assert f"from={lo}" in wp.page.url and f"to={hi}" in wp.page.url
        assert [e for e in wp.errors if "/api/" not in e] == []


MARKS = """id => { const l = document.getElementById(id).layout;
  return {shapes: (l.shapes || []).map(s => [s.type, s.name, new Date(s.x0).getTime() / 1000,
                                             new Date(s.x1).getTime() / 1000]),
          labels: (l.annotations || []).map(a => a.hovertext || a.text)}; }"""


def test_alerts_and_maintenance_are_marked_on_the_graphs(chromium, site):
    with new_context(chromium) as context:
        wp = open_page(context, site, "?range=week")
        drawn(wp.page, "if-eth1")
        marks = wp.page.evaluate(MARKS, "graph-if-eth1")
        assert ["rect", "maintenance", *MAINTENANCE] in marks["shapes"]
        assert ["line", "mark", ALERT_AT, ALERT_AT] in marks["shapes"]
        assert any("CRITICAL" in t and "uplink flapping on tools-sw" in t for t in marks["labels"]), marks["labels"]
        assert any(t == "maintenance: line card swap" for t in marks["labels"]), marks["labels"]


def nearest_rank(values, p=95):
    values = sorted(values)
    return values[max(0, -(-p * len(values) // 100) - 1)]


def test_the_95th_percentile_of_what_is_shown_is_drawn(chromium, site):
    fine = journal.read_all(site[1].archive(sl.FINE))
    day = [x for x in fine if x["t"] >= fine[-1]["t"] - DAY]
    ins = [x["if"]["eth1"][sl.IN] for x in day]
    outs = [x["if"]["eth1"][sl.OUT] for x in day]
    expected = max(nearest_rank(ins), nearest_rank(outs))
    with new_context(chromium) as context:
        wp = open_page(context, site)
        drawn(wp.page, "if-eth1")
        p95 = float(wp.page.get_attribute("#graph-if-eth1", "data-p95"))
        assert p95 == pytest.approx(expected, rel=1e-3)
        line = wp.page.evaluate("""() => document.getElementById('graph-if-eth1').layout.shapes
                                   .filter(s => s.name === 'p95').map(s => [s.y0, s.y1])""")
        assert line == [[p95, p95]]
        busier = "in" if nearest_rank(ins) >= nearest_rank(outs) else "out"
        labels = wp.page.evaluate("""() => document.getElementById('graph-if-eth1').layout.annotations
                                     .filter(a => a.name === 'p95').map(a => a.text)""")
        assert len(labels) == 1 and labels[0].startswith(f"95th percentile ({busier}): "), labels
        on_screen = wp.page.eval_on_selector_all("#graph-if-eth1 .annotation-text", "ts => ts.map(t => t.textContent)")
        assert labels[0] in on_screen, on_screen


def test_a_port_shows_its_day_week_month_and_year_side_by_side(chromium, site):
    with new_context(chromium, width=1366) as context:
        wp = open_page(context, site, "?port=eth1#port-set")
        for period in ("day", "week", "month", "year"):
            drawn(wp.page, f"set-{period}")
        spans = [period_days(span_days(wp.page, f"set-{p}")) for p in ("day", "week", "month", "year")]
        assert spans == [1, 7, 31, 365]
        boxes = wp.page.evaluate("""() => ['day', 'week'].map(p =>
            document.getElementById('graph-set-' + p).getBoundingClientRect()).map(r => [r.top, r.left])""")
        assert boxes[0][0] == pytest.approx(boxes[1][0], abs=2) and boxes[1][1] > boxes[0][1]   # side by side
        assert wp.page.text_content("#port-set .port-name").startswith("eth1")
        assert wp.page.evaluate("() => document.getElementById('port-set').getBoundingClientRect().top") < 200


def test_ticked_interfaces_are_graphed_as_their_sum(chromium, site):
    fine = journal.read_all(site[1].archive(sl.FINE))
    with new_context(chromium) as context:
        wp = open_page(context, site)
        wp.page.wait_for_selector("#interfaces input.pick")
        assert wp.page.is_disabled("#sum-show")
        wp.page.check('#interfaces input.pick[value="eth0"]')
        wp.page.check('#interfaces input.pick[value="eth2"]')
        wp.page.click("#sum-show")
        wp.page.wait_for_url("**sum=eth0%2Ceth2**")
        drawn(wp.page, "sum")
        assert wp.page.text_content("#sum-box .sum-names") == "eth0 + eth2"
        last_in = wp.page.evaluate("""() => { const t = document.getElementById('graph-sum').data
                                       .find(t => t.name === 'in' && t.hoverinfo !== 'skip'); return t.y[t.y.length - 1]; }""")
        expected = fine[-1]["if"]["eth0"][sl.IN] + fine[-1]["if"]["eth2"][sl.IN]
        assert last_in == pytest.approx(expected, rel=1e-3)
        assert wp.page.is_checked('#interfaces input.pick[value="eth2"]')


def test_errors_graphs_with_only_zeros_are_folded(chromium, site):
    with new_context(chromium) as context:
        wp = open_page(context, site)
        drawn(wp.page, "oid-err-eth0")               # errors in the last day: open, drawn
        assert wp.page.get_attribute('details[data-fold="oid-err-eth0"]', "open") is not None
        folded = 'details[data-fold="oid-err-eth1"]'
        assert wp.page.get_attribute(folded, "open") is None
        assert "none in the last day" in wp.page.text_content(f"{folded} summary")
        assert wp.page.is_hidden("#graph-oid-err-eth1")
        assert wp.page.get_attribute("#graph-oid-err-eth1", "data-rendered") is None
        wp.page.click(f"{folded} summary")
        drawn(wp.page, "oid-err-eth1")
