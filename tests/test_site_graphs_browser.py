"""Machine page graphs in headless Chromium, judged by what the screen shows: samples from
the real collector polling a real agent (snmpsim), the site built from them, the page
served by the API. Axis ticks present, readable and inside the graph (an extra OID with
a long unit included); an idle interface never reads "500mb/s"; on a phone nothing
covers the period buttons; dark mode reaches the graphs; hover times say their zone;
a value that cannot be graphed says why."""

import re
import subprocess
import sys
import time

import pytest

from site_builder.build import build
from tests.support.api_server import start_api
from tests.support.browser import WatchedPage, new_context
from tests.support.snmp_agents import SnmpsimAgent
from vigie import simulated_devices as sim

SEGMENTS = "1.3.6.1.4.1.99999.2.0"
STATE = "1.3.6.1.4.1.99999.3.0"
LA_LOAD = "1.3.6.1.4.1.2021.10.1.3.1"
BPS_TICK = re.compile(r"^(0|\d{1,3}(\.\d+)?) (b/s|kb/s|Mb/s|Gb/s|Tb/s)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("graphs")
    interfaces = [sim.interface(1, "idle0", 1_000_000_000, 0, 0), sim.interface(2, "busy1", 1_000_000_000, 2_500_000, 125_000)]
    extra = {SEGMENTS: "65:numeric|rate=1234567,initial=0", STATE: "4|running", LA_LOAD: "4|0.12"}
    agent = SnmpsimAgent(root / "snmpsim", {"graphs-c": sim.device_snmprec("rt-graphs", interfaces, extra=extra)}).start()
    api = start_api(root)
    samples = root / "samples"
    try:
        machine = dict(agent.machine("graphs-c"), interval=5, oids={
            "tcp_out": {"oid": SEGMENTS, "type": "counter", "unit": "segments/s"},
            "state": STATE, "load": LA_LOAD})
        (api.machines_dir / "rt-graphs.json").write_text(__import__("json").dumps(machine))
        for _ in range(4):
            subprocess.run([sys.executable, "-m", "collector.poll", "--once", "-q", "--machines", str(api.machines_dir),
                            "--samples", str(samples), "--alertfiles", str(root / "alerts")], check=True, timeout=120)
            time.sleep(1.2)
        build(api.machines_dir, samples, api.db_path, api.www_dir, workers=1)
        yield api
    finally:
        api.stop()
        agent.stop()


def open_machine(context, site):
    context.request.post(site.url + "/api/login", data={"username": "viewer", "password": site.viewer.password})
    wp = WatchedPage(context)
    wp.page.goto(site.url + "/machines/rt-graphs.html")
    return wp


def rendered(page, gid):
    page.locator(f"#graph-{gid}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#graph-{gid}[data-rendered]")
    return f"#graph-{gid}"


def graph_id(page, title):
    return page.eval_on_selector_all(".graph-box", f"""boxes => boxes.filter(b => b.querySelector('h3').textContent
        .trim().startsWith({title!r})).map(b => b.querySelector('.graph').dataset.graph)[0]""")


TICKS = """(div) => {
  const box = div.getBoundingClientRect();
  return Array.from(div.querySelectorAll('.ytick text, .g-ytitle text')).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, cls: t.closest('.g-ytitle') ? 'title' : 'tick',
            inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.width > 0,
            fill: getComputedStyle(t).fill};
  });
}"""


def test_an_extra_oid_with_a_unit_keeps_its_axis_readable(chromium, site):
    with new_context(chromium) as context:
        wp = open_machine(context, site)
        selector = rendered(wp.page, graph_id(wp.page, "tcp_out"))
        labels = wp.page.eval_on_selector(selector, TICKS)
        ticks = [l for l in labels if l["cls"] == "tick"]
        assert len(ticks) >= 3 and all(l["text"] for l in ticks), labels
        assert all(l["inside"] for l in labels), f"labels cut at the edge: {labels}"
        assert [l["text"] for l in labels if l["cls"] == "title"] == ["segments/s"]
        assert any(t["text"].endswith(" M") or t["text"].endswith(" k") for t in ticks), ticks
        assert wp.errors == []


def test_an_idle_interface_reads_in_bits_never_milli(chromium, site):
    with new_context(chromium) as context:
        wp = open_machine(context, site)
        selector = rendered(wp.page, graph_id(wp.page, "idle0"))
        ticks = [l["text"] for l in wp.page.eval_on_selector(selector, TICKS) if l["cls"] == "tick"]
        assert len(ticks) >= 3 and all(BPS_TICK.match(t) for t in ticks), ticks
        assert "1 kb/s" in ticks or "1000 b/s" in ticks or ticks[-1].endswith("b/s")
        busy = rendered(wp.page, graph_id(wp.page, "busy1"))
        busy_ticks = [l["text"] for l in wp.page.eval_on_selector(busy, TICKS) if l["cls"] == "tick"]
        assert any("Mb/s" in t for t in busy_ticks), busy_ticks
        hover = wp.page.eval_on_selector(busy, "d => d.layout.xaxis.hoverformat")
        assert hover.endswith("+01:00") or hover.endswith("+02:00"), hover   # Europe/Paris, the context's zone


def test_a_value_that_cannot_be_graphed_says_why(chromium, site):
    with new_context(chromium) as context:
        wp = open_machine(context, site)
        wp.page.wait_for_selector(".oid-problem")
        problems = wp.page.eval_on_selector_all(".graph-box", """boxes => boxes.map(b =>
            [b.querySelector('h3').textContent.trim().split(' ')[0], (b.querySelector('.oid-problem') || {}).textContent])""")
        found = {name: text for name, text in problems if text}
        assert found == {"state": "No value to graph: the device answers text ('running'), not a number."}
        assert "0.12" in wp.page.text_content('[data-oid="load"]')


def test_on_a_phone_nothing_covers_the_period_buttons(chromium, site):
    with new_context(chromium, width=390, height=844, is_mobile=True, has_touch=True) as context:
        wp = open_machine(context, site)
        selector = rendered(wp.page, graph_id(wp.page, "busy1"))
        wp.page.hover(f"{selector} .nsewdrag")   # what shows Plotly's tool bar, when it has one
        wp.page.wait_for_timeout(300)
        covered = wp.page.eval_on_selector("#page-range", """bar => Array.from(bar.querySelectorAll('button'))
          .map(b => { const r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
                      const top = document.elementFromPoint(x, y);
                      return [b.textContent, !!top && (top === b || b.contains(top))]; })""")
        assert [label for label, _ in covered] == ["day", "week", "month", "year", "all"]
        assert all(visible for _, visible in covered), covered


def test_dark_mode_reaches_the_graphs(chromium, site):
    with new_context(chromium, color_scheme="dark") as context:
        wp = open_machine(context, site)
        selector = rendered(wp.page, graph_id(wp.page, "busy1"))
        background = wp.page.eval_on_selector(selector, "d => getComputedStyle(d.querySelector('.main-svg')).backgroundColor")
        assert background in ("rgba(0, 0, 0, 0)", "transparent"), background
        fills = {l["fill"] for l in wp.page.eval_on_selector(selector, TICKS)}
        for fill in fills:
            r, g, b = [int(x) for x in re.findall(r"\d+", fill)[:3]]
            assert (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.6, fills


def test_plotly_arrives_compressed_once_then_from_the_cache(chromium, site):
    with new_context(chromium) as context:
        context.request.post(site.url + "/api/login", data={"username": "viewer", "password": site.viewer.password})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        seen = []
        cdp.on("Network.responseReceived", lambda e: seen.append(("response", e["response"]["url"],
                                                                 e["response"].get("fromDiskCache"), e["requestId"])))
        cdp.on("Network.requestServedFromCache", lambda e: seen.append(("cache", e["requestId"])))
        sizes = {}
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        for _ in range(2):
            page.goto(site.url + "/machines/rt-graphs.html")
            page.wait_for_selector(".graph[data-rendered]")
        plotly = [(kind, rest) for kind, *rest in seen if kind == "response" and "/static/plotly-" in rest[0]]
        assert len(plotly) == 2, seen
        (first_url, first_cached, first_id), (_, second_cached, second_id) = plotly[0][1], plotly[1][1]
        assert first_cached is False and sizes[first_id] < 2_000_000, "sent once, gzip-compressed"
        served_from_cache = {e[1] for e in seen if e[0] == "cache"}
        assert second_cached or second_id in served_from_cache, "then taken from the browser's cache"
