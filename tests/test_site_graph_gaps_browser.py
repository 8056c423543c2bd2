"""Outages read as gaps on every graph of a machine page, judged in headless Chromium by
what the drawn SVG covers: a device that did not answer (its polls hold nulls) and a
collector that was stopped (no poll at all) in the last day, and periods with no data
in the week, month and year archives. At the middle of each gap no filled area and no
line of any trace is drawn, in the day, week, month and year views, for a filled graph
(an interface's traffic) and a plain one (an extra value), in Plotly's graph and in the
first look drawn before Plotly runs."""

from datetime import datetime, timezone

import pytest

from site_builder.build import build
from tests.support import samples_history as history
from tests.support import site_data as sd
from tests.support.browser import WatchedPage, new_context, static_server
from vigie import samples as sl
from vigie.samples import journal
from vigie.samples.store import Family

pytestmark = pytest.mark.slow

MACHINE = "gap-sw"
HOUR, DAY = 3600, 86400
NOW = int(datetime.now(timezone.utc).timestamp()) // 60 * 60
# (name, start, end, archives emptied, how): the outages the samples hold
GAPS = (("down", NOW - 10 * HOUR, NOW - 8 * HOUR, (sl.FINE,), "nulls"),
        ("stopped", NOW - 5 * HOUR, NOW - 4 * HOUR, (sl.FINE,), "none"),
        ("week", NOW - 4 * DAY, NOW - 3 * DAY, (sl.WEEK, sl.MONTH, sl.YEAR), "none"),
        ("month", NOW - 20 * DAY, NOW - 17 * DAY, (sl.MONTH, sl.YEAR), "none"),
        ("year", NOW - 200 * DAY, NOW - 170 * DAY, (sl.YEAR,), "none"))
VIEWS = {"day": ("down", "stopped"), "week": ("week",), "month": ("month",), "year": ("year",)}
# where each view surely shows values again after its last gap: past the archive's next bucket
AFTER = {"day": HOUR, "week": 2 * HOUR, "month": 6 * HOUR, "year": 3 * DAY}
GRAPHS = ("if-eth1", "oid-load")


def punch(fam: Family, archive: str, start: int, end: int, how: str) -> None:
    """The polls of [start, end) as a device that did not answer leaves them (a line with
    its time only), or gone, as when nothing polled."""
    path = fam.archive(archive)
    kept = []
    for line in journal.read_all(path):
        inside = start <= line["t"] < end
        if not inside:
            kept.append(line)
        elif how == "nulls":
            kept.append({"t": line["t"]})
    journal.rewrite(path, kept)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("gaps")
    machines, samples, www = root / "machines", root / "samples", root / "www"
    sd.write_machine(machines, MACHINE, oids={"load": "1.3.6.1.4.1.2021.10.1.3.1"})
    fam = history.write_history(samples, MACHINE, history.interfaces(3, "eth"), NOW, oids={"load": None})
    for _, start, end, archives, how in GAPS:
        for archive in archives:
            punch(fam, archive, start, end, how)
    build(machines, samples, root / "vigie.db", www, now=datetime.fromtimestamp(NOW + 30, timezone.utc))
    with static_server(www) as url:
        yield url


# What the graph draws at the middle of [start, end], from just above the zero line to the
# top: the traces whose fill or line covers a point there.
COVERED = """([gid, start, end]) => {
  const div = document.getElementById('graph-' + gid), xa = div._fullLayout.xaxis, ya = div._fullLayout.yaxis;
  const at = t => xa.c2p(xa.d2c(new Date(t * 1000)));      // as the page gives its times: Date objects
  const x = at((start + end) / 2), bottom = ya.c2p(0) - 1.5;
  const found = new Set();
  for (const path of div.querySelectorAll('.scatterlayer .trace path')) {
    const style = getComputedStyle(path);
    for (let y = bottom; y >= 0; y -= 0.5) {
      const point = new DOMPoint(x, y);
      if ((style.fill !== 'none' && path.isPointInFill(point)) ||
          (style.stroke !== 'none' && path.isPointInStroke(point))) {
        found.add(path.closest('.trace').__data__[0].trace.name + (path.classList.contains('js-fill') ? ' (fill)' : ''));
        break;
      }
    }
  }
  return {x: x, width: xa._length, span: at(end) - at(start), found: [...found]};
}"""


def show(page, gid):
    page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#graph-{gid}[data-rendered]", timeout=20_000)


def view(page, label):
    """Click the page's period button and wait for the graphs to be redrawn."""
    page.click(f'#page-range button[data-range="{label}"]')
    page.wait_for_selector(f'#page-range[data-range="{label}"]')
    page.wait_for_timeout(200)


def gap(name):
    return next(g for g in GAPS if g[0] == name)


def test_every_outage_reads_as_a_gap_in_every_view_of_plotly_graphs(chromium, site):
    with new_context(chromium) as context:
        wp = WatchedPage(context)
        wp.page.goto(f"{site}/machines/{MACHINE}.html")
        drawn = {}
        for gid in GRAPHS:
            show(wp.page, gid)
        for label, names in VIEWS.items():
            view(wp.page, label)
            for gid in GRAPHS:
                for name in names:
                    _, start, end, _, _ = gap(name)
                    seen = wp.page.evaluate(COVERED, [gid, start, end])
                    assert seen["span"] >= 4, f"{gid} {label}: the {name} gap is too narrow to judge: {seen}"
                    drawn[(gid, label, name)] = seen["found"]
                # outside the gaps the graph is drawn
                _, _, end, _, _ = gap(names[-1])
                after = wp.page.evaluate(COVERED, [gid, end + AFTER[label], end + AFTER[label]])
                assert after["found"], f"{gid} {label}: nothing drawn after the {names[-1]} gap"
        assert {k: v for k, v in drawn.items() if v} == {}
        assert [e for e in wp.errors if "/api/" not in e] == []


PREVIEW = """([gid, start, end]) => {
  const svg = document.querySelector('#graph-' + gid + ' svg.preview'), d = svg.dataset;
  const toX = t => +d.x0 + (t - d.t0) / (d.t1 - d.t0) * (d.x1 - d.x0);
  const x = toX((start + end) / 2), found = [];
  const height = svg.viewBox.baseVal.height;
  svg.querySelectorAll('path').forEach((path, i) => {
    for (let y = 0; y < height; y += 0.5) {
      const point = new DOMPoint(x, y);
      if ((path.getAttribute('fill') !== 'none' && path.isPointInFill(point)) ||
          (path.getAttribute('stroke') && path.isPointInStroke(point))) { found.push(i); break; }
    }
  });
  return {span: toX(end) - toX(start), found: found};
}"""


@pytest.mark.parametrize("gid", GRAPHS)
def test_outages_read_as_gaps_in_the_first_look(chromium, site, gid):
    with new_context(chromium) as context:
        context.route("**/plotly-*.min.js", lambda route: route.abort())   # the first look stays
        wp = WatchedPage(context)
        wp.page.goto(f"{site}/machines/{MACHINE}.html")
        wp.page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
        wp.page.wait_for_selector(f"#graph-{gid} svg.preview path")
        for name in VIEWS["day"]:
            _, start, end, _, _ = gap(name)
            seen = wp.page.evaluate(PREVIEW, [gid, start, end])
            assert seen["span"] >= 4 and seen["found"] == [], f"{name}: {seen}"
        assert wp.page.evaluate(PREVIEW, [gid, NOW - 2 * HOUR, NOW - 2 * HOUR])["found"], "drawn outside the gaps"
