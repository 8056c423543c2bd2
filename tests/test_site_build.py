"""The site builder's output, page by page, without a browser."""

import gzip
import json
from html import unescape
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from site_builder import build as site_build
from site_builder import series
from vigie import units
from site_builder.writer import MANIFEST
from vigie import samples as samples_lib
from tests.support import samples_history
from tests.support import site_data as sd
from vigie import db

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parent.parent
SECRET = "s3cret-community"
V3_KEYS = ("auth-key-hidden-123", "priv-key-hidden-456")


@pytest.fixture
def inputs(tmp_path):
    machines, samples, db_path = tmp_path / "machines", tmp_path / "samples", tmp_path / "vigie.db"
    for i, name in enumerate(("core-sw-01", "edge-rt-02")):
        sd.write_machine(machines, name, community=SECRET, description="<b>core</b> & more",
                         oids={"load": "1.3.6.1.4.1.2021.10.1.3.1"})
        sd.write_samples(samples, sd.make_samples(name, NOW, interfaces=3, day_rows=120, seed=i,
                                                  state="down" if i else "up", oids={"load": "load"},
                                                  aliases={1: '<img src=x onerror="window.__xss=1">'}))
    sd.write_machine(machines, "v3-box", snmp={"version": "3", "user": "mon", "auth_protocol": "SHA",
                                               "auth_key": V3_KEYS[0], "priv_protocol": "AES",
                                               "priv_key": V3_KEYS[1]})
    (machines / "broken.json").write_text('{"host": "x", "snmp": {"version": "2c"}}')
    alerts = sd.make_alerts(40, NOW, ["core-sw-01", "edge-rt-02"])
    alerts.append(dict(alerts[0], message="<script>window.__xss=1</script>", server="core-sw-01"))
    sd.write_alerts(db_path, alerts)
    return {"machines_dir": machines, "samples_dir": samples, "db_path": db_path, "out_dir": tmp_path / "www"}


def run_build(inputs, now=NOW, **extra):
    return site_build.build(now=now, **dict(inputs, **extra))


def page(inputs, relpath) -> str:
    return (inputs["out_dir"] / relpath).read_text(encoding="utf-8")


def test_build_writes_every_page_and_shared_assets(inputs):
    report = run_build(inputs)
    out = inputs["out_dir"]
    for relpath in ("index.html", "alerts.html", "silences.html", "devices.html", "login.html", "machines/core-sw-01.html",
                    "machines/edge-rt-02.html", "machines/v3-box.html", "static/graphs.js", "static/vigie.css"):
        assert (out / relpath).is_file(), relpath
    assert not (out / "machines/broken.html").exists()
    [plotly] = sorted((out / "static").glob("plotly-*.min.js"))
    assert plotly.read_bytes() == site_build.PLOTLY_BUNDLE.read_bytes()
    assert b"plotly.js (basic - minified)" in plotly.read_bytes()[:200]   # the official partial bundle
    assert gzip.decompress((out / "static" / (plotly.name + ".gz")).read_bytes()) == plotly.read_bytes()
    assert not (out / "static/plotly.min.js").exists()
    assert report["machines"] == 3 and report["config_errors"] == 1


def test_the_vendored_plotly_bundle_is_the_release_the_pinned_plotly_package_bundles():
    """requirements.txt pins plotly; scripts/update-plotly.sh vendors the partial bundle of
    the same plotly.js release, so the graphs run the release the pin names."""
    assert site_build.vendored_plotly_version() == site_build.pinned_plotly_version()
    version_file = (site_build.PLOTLY_BUNDLE.parent / "plotly-VERSION.txt").read_text().split()
    assert version_file == ["plotly.js-basic-dist-min", site_build.pinned_plotly_version()]


def test_plotly_is_shared_not_inlined_and_no_cdn(inputs):
    run_build(inputs)
    html = page(inputs, "machines/core-sw-01.html")
    assert re.search(r'<link rel="preload" href="\.\./static/plotly-[0-9a-f]{12}\.min\.js" as="script">', html)
    specs = json.loads(re.search(r'id="graph-specs">(.*?)</script>', html, re.S).group(1))
    assert re.fullmatch(r"\.\./static/plotly-[0-9a-f]{12}\.min\.js", specs["plotly"])
    assert len(html) < 300_000
    for path in inputs["out_dir"].rglob("*.html"):
        assert "cdn.plot.ly" not in path.read_text() and "https://" not in path.read_text()


def test_dashboard_shows_states_and_config_error(inputs):
    run_build(inputs)
    html = page(inputs, "index.html")
    row = re.search(r'<tr class="config-error" data-machine="broken"[^>]*>.*?</tr>', html, re.S).group(0)
    assert "config error" in row and "community" in row
    assert re.search(r'data-machine="core-sw-01"[^>]*>.*?state-up', html, re.S)
    assert re.search(r'data-machine="edge-rt-02"[^>]*>.*?state-down', html, re.S)
    assert '<time datetime="2026-11-22T10:00:00+00:00">' in html  # build time, localised in the browser
    # the alert cards count what needs a person (open, not silenced), as the database says at build time
    counts = re.findall(r'<span class="count">(\d+)</span><span class="label">(\w+)</span>', html)
    by_severity = {label: int(n) for n, label in counts if label in ("CRITICAL", "ERROR", "WARNING", "INFO")}
    conn = db.connect(inputs["db_path"], readonly=True)
    stats = db.get_stats(conn, now=NOW.isoformat())
    conn.close()
    assert dict(by_severity, INFO=0) == stats["needs_attention_by_severity"] and "INFO" not in by_severity
    attention = re.search(r'id="needs-attention".*?<span class="count">(\d+)</span>', html, re.S).group(1)
    assert int(attention) == sum(by_severity.values()) == stats["needs_attention"] and 0 < int(attention) < 41
    assert re.search(r'id="count-acknowledged".*?<span class="count">(\d+)</span>', html, re.S).group(1) == \
        str(stats["by_status"]["acknowledged"])


def graph_file(inputs, machine, name):
    return json.loads((inputs["out_dir"] / "machines" / machine / name).read_text())


def recent_lines(inputs, machine):
    return (inputs["out_dir"] / "machines" / machine / "recent.jsonl").read_text().splitlines()


def test_machine_page_has_fixed_graph_ids_and_lazy_data_files(inputs):
    run_build(inputs)
    html = page(inputs, "machines/core-sw-01.html")
    assert re.findall(r'<div class="graph" id="([^"]+)" data-graph="(?!sum)', html) == [
        "graph-if-eth0", "graph-if-eth1", "graph-if-eth2", "graph-oid-load"]
    specs = json.loads(re.search(r'<script type="application/json" id="graph-specs">(.*?)</script>', html, re.S).group(1))
    assert specs["base"] == "core-sw-01/"
    assert [g["gid"] for g in specs["graphs"]] == ["if-eth0", "if-eth1", "if-eth2", "oid-load"]
    assert "runs" not in html and len(html) < 60_000       # no graph data inlined
    fine = graph_file(inputs, "core-sw-01", "if-eth0.fine.json")
    coarse = graph_file(inputs, "core-sw-01", "if-eth0.coarse.json")
    # 120 polls at the poll step, then the week/month/year rows older than them, with their peaks
    assert fine["points"] == len(series.expand_runs(fine["runs"])) == 120
    coarse_times = series.expand_runs(coarse["runs"])
    assert coarse["points"] == len(coarse_times) > 300 and coarse_times[-1] + 1800 <= series.expand_runs(fine["runs"])[0]
    assert set(coarse) >= {"in", "out", "in_max", "out_max"} and set(fine) >= {"in", "out"}
    samples_view = samples_lib.read_current(inputs["samples_dir"], "core-sw-01")
    last = samples_lib.read_archive(inputs["samples_dir"], "core-sw-01", samples_lib.FINE)[-1]
    assert series.unpack_u16(fine["in"])[-1] == pytest.approx(last["if"]["eth0"][samples_lib.IN], rel=1e-4)
    assert json.loads(recent_lines(inputs, "core-sw-01")[0])["cut"] == last["t"]
    live = graph_file(inputs, "core-sw-01", "live.json")
    row = dict(zip(live["columns"], live["interfaces"]["eth0"]))
    assert row["in_bps"] == samples_view["interfaces"][0]["in_bps"]
    p95 = samples_view["interfaces"][0]["p95"]
    cells = re.search(r'<tr data-key="eth0".*?</tr>', html, re.S).group(0)
    assert f'title="{p95["day"]["date"]}"' in cells and f'title="{p95["month"]["month"]}, 1 days"' in cells
    assert units.bits_per_second(p95["day"]["in_bps"]) in cells
    day_cell = re.search(r'<td class="num p95[^"]*"[^>]*>(.*?)</td>', cells).group(1)
    busier = "in" if p95["day"]["in_bps"] >= p95["day"]["out_bps"] else "out"
    assert re.findall(r'<span class="v busier">([^<]*)</span>', day_cell) == [
        units.bits_per_second(p95["day"][f"{busier}_bps"])]                  # the direction transit is billed on
    assert live["graphs"]["cut"] == last["t"]


def poll_once(inputs, machine, t, value):
    """One more poll in the machine's samples, through the collector's store."""
    store = samples_lib.SamplesStore(inputs["samples_dir"])
    record = store.load(machine, 60)
    rates = {i["key"]: [value, value / 2] for i in record.head["interfaces"]}
    record.now.update(time=t)
    record.fine.append({"t": t, "if": rates, "oid": {"load": 1.5}})
    store.save(record, now_ts=t)


def mtimes(inputs, machine):
    folder = inputs["out_dir"] / "machines" / machine
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if not p.name.startswith(".")}   # spares aside


def test_a_poll_appends_a_line_and_rewrites_no_graph(inputs):
    run_build(inputs)
    before = mtimes(inputs, "core-sw-01")
    page_before = (inputs["out_dir"] / "machines/core-sw-01.html").stat().st_mtime_ns
    t = int(NOW.timestamp()) + 60
    poll_once(inputs, "core-sw-01", t, 7_777_000.0)
    report = run_build(inputs, now=NOW + timedelta(seconds=61))
    after = mtimes(inputs, "core-sw-01")
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["live.json", "recent.jsonl"], changed
    assert (inputs["out_dir"] / "machines/core-sw-01.html").stat().st_mtime_ns == page_before
    lines = recent_lines(inputs, "core-sw-01")
    header, row = json.loads(lines[0]), json.loads(lines[1])
    assert len(lines) == 2 and row[0] == t
    assert row[1 + header["columns"].index(["if", "eth1", samples_lib.IN])] == 7_777_000
    live = graph_file(inputs, "core-sw-01", "live.json")
    assert live["interfaces"]["eth1"][live["columns"].index("in_bps")] == 7_777_000
    assert report["bytes"] < 40_000


def test_polls_after_a_stopped_collector_follow_a_gap_in_recent(inputs):
    run_build(inputs)
    t = int(NOW.timestamp())
    poll_once(inputs, "core-sw-01", t + 60, 1e6)
    run_build(inputs, now=NOW + timedelta(seconds=61))
    poll_once(inputs, "core-sw-01", t + 900, 2e6)               # nothing polled for a quarter of an hour
    poll_once(inputs, "core-sw-01", t + 960, 3e6)
    run_build(inputs, now=NOW + timedelta(seconds=961))
    header, *rows = [json.loads(x) for x in recent_lines(inputs, "core-sw-01")]
    column = 1 + header["columns"].index(["if", "eth0", samples_lib.IN])
    assert [(r[0], r[column]) for r in rows] == [(t + 60, 1e6), (t + 120, None), (t + 900, 2e6), (t + 960, 3e6)]


def test_the_hourly_cut_rewrites_the_fine_files_and_starts_recent_again(inputs):
    run_build(inputs)
    fine_before = graph_file(inputs, "core-sw-01", "if-eth0.fine.json")
    t = int(NOW.timestamp())
    for n in range(1, 4):
        poll_once(inputs, "core-sw-01", t + 60 * n, 1e6 * n)
        run_build(inputs, now=NOW + timedelta(seconds=60 * n + 1))
    assert len(recent_lines(inputs, "core-sw-01")) == 4
    run_build(inputs, now=NOW + timedelta(hours=1, seconds=200))    # this machine's cut slot has changed
    lines = recent_lines(inputs, "core-sw-01")
    assert len(lines) == 1 and json.loads(lines[0])["cut"] == t + 180
    fine = graph_file(inputs, "core-sw-01", "if-eth0.fine.json")
    assert series.expand_runs(fine["runs"])[-1] == t + 180 and fine != fine_before
    assert series.unpack_u16(fine["in"])[-1] == pytest.approx(3e6, rel=1e-4)


def test_removed_interface_loses_its_graph_files(inputs):
    run_build(inputs)
    sd.write_samples(inputs["samples_dir"], sd.make_samples("core-sw-01", NOW, interfaces=2, day_rows=120,
                                                            oids={"load": "load"}))
    run_build(inputs)
    folder = inputs["out_dir"] / "machines" / "core-sw-01"
    assert not (folder / "if-eth2.fine.json").exists() and (folder / "if-eth1.fine.json").exists()
    assert 'id="graph-if-eth2"' not in page(inputs, "machines/core-sw-01.html")


def test_output_is_repeatable(inputs, tmp_path):
    run_build(inputs)
    other = dict(inputs, out_dir=tmp_path / "www2")
    run_build(other)
    for relpath in ("machines/core-sw-01.html", "alerts.html", "devices.html", "index.html"):
        assert page(inputs, relpath) == page(other, relpath), relpath


def test_no_secret_anywhere_in_www(inputs):
    run_build(inputs)
    for path in inputs["out_dir"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (SECRET,) + V3_KEYS:
                assert secret.encode() not in data, (path, secret)


def test_html_from_inputs_is_escaped(inputs):
    run_build(inputs)
    machine = page(inputs, "machines/core-sw-01.html")
    assert '<img src=x onerror' not in machine
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in machine
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in machine
    assert "&lt;b&gt;core&lt;/b&gt; &amp; more" in machine
    alerts = page(inputs, "alerts.html")
    block = re.search(r'id="alerts-snapshot">(.*?)</script>', alerts, re.S).group(1)
    assert "<" not in block and "\\u003cscript\\u003e" in block


def test_pages_carry_csp_and_no_inline_script(inputs):
    run_build(inputs)
    for path in inputs["out_dir"].rglob("*.html"):
        html = path.read_text()
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1)
        assert "script-src 'self';" in unescape(csp) and "unsafe-eval" not in csp, path
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="' in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+=", html), path


def test_rebuild_with_nothing_changed_writes_nothing(inputs):
    run_build(inputs)
    out = inputs["out_dir"]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
    report = run_build(inputs)
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert report["written"] == 0 and before == after
    assert report["skipped"] >= 3


def test_changed_samples_rewrite_only_that_machine(inputs):
    run_build(inputs)
    samples = sd.make_samples("edge-rt-02", NOW + timedelta(minutes=1), interfaces=3, day_rows=120, seed=9)
    sd.write_samples(inputs["samples_dir"], samples)
    before = mtimes(inputs, "core-sw-01")
    report = run_build(inputs, now=NOW + timedelta(minutes=1))
    assert report["written"] >= 2 and mtimes(inputs, "core-sw-01") == before
    html = page(inputs, "index.html")
    assert re.search(r'data-machine="edge-rt-02"[^>]*>.*?state-up', html, re.S)
    manifest = json.loads((inputs["out_dir"] / MANIFEST).read_text())
    assert "machines/core-sw-01.html" in manifest["pages"]


def test_write_order_assets_then_machines_then_lists(inputs, monkeypatch):
    order = []
    real = site_build.Files.write

    def spy(self, relpath, data, **how):
        order.append(relpath)
        return real(self, relpath, data, **how)

    monkeypatch.setattr(site_build.Files, "write", spy)
    run_build(inputs)
    last_asset = max(i for i, p in enumerate(order) if p.startswith("static/"))
    first_page = min(i for i, p in enumerate(order) if p.endswith(".html"))
    last_machine = max(i for i, p in enumerate(order) if p.startswith("machines/"))
    assert last_asset < first_page
    assert last_machine < order.index("index.html") and last_machine < order.index("devices.html")


def test_removed_machine_loses_its_page(inputs):
    run_build(inputs)
    (inputs["machines_dir"] / "edge-rt-02.json").unlink()
    report = run_build(inputs)
    assert report["removed"] == 2         # the page and its folder of graph files
    assert not (inputs["out_dir"] / "machines/edge-rt-02.html").exists()
    assert not (inputs["out_dir"] / "machines/edge-rt-02").exists()
    assert "edge-rt-02.html" not in page(inputs, "index.html")


def test_bad_samples_file_only_affects_that_machine(inputs):
    (inputs["samples_dir"] / "edge-rt-02.json").write_text("{not json")
    run_build(inputs)
    html = page(inputs, "index.html")
    assert re.search(r'data-machine="edge-rt-02"[^>]*>.*?samples error', html, re.S)
    assert "cannot read samples" in page(inputs, "machines/edge-rt-02.html")
    assert 'id="graph-if-eth0"' in page(inputs, "machines/core-sw-01.html")


def test_a_machine_cut_to_its_interface_limit_says_so(inputs):
    fam = samples_history.write_history(inputs["samples_dir"], "edge-rt-02", samples_history.interfaces(2),
                                        NOW.timestamp(), days=2)
    head = json.loads(fam.head.read_text())
    head["notices"] = ["1000 interfaces to watch, more than the 256 a machine may have"]
    fam.head.write_text(json.dumps(head))
    run_build(inputs)
    assert "1000 interfaces to watch, more than the 256" in page(inputs, "machines/edge-rt-02.html")


def test_machine_without_samples_says_so(inputs):
    run_build(inputs)
    html = page(inputs, "machines/v3-box.html")
    assert "No traffic samples yet." in html and "state-unknown" in html


def cli(*args):
    return subprocess.run([sys.executable, "-m", "site_builder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_help():
    result = cli("--help")
    assert result.returncode == 0 and "--machines" in result.stdout and "--api-url" in result.stdout


def test_cli_missing_machines_folder_fails_clearly(tmp_path):
    result = cli("--machines", tmp_path / "nope", "--out", tmp_path / "www", "--db", tmp_path / "x.db",
                 "--samples", tmp_path)
    assert result.returncode == 1
    assert "machines folder" in result.stderr and "nope" in result.stderr
    assert not (tmp_path / "www" / "index.html").exists()


def test_cli_unreadable_database_fails_clearly(inputs, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = cli("--machines", inputs["machines_dir"], "--samples", inputs["samples_dir"], "--db", bad,
                 "--out", inputs["out_dir"])
    assert result.returncode == 1 and "cannot read database" in result.stderr


def test_cli_builds_and_reports(inputs):
    result = cli("--machines", inputs["machines_dir"], "--samples", inputs["samples_dir"], "--db",
                 inputs["db_path"], "--out", inputs["out_dir"])
    assert result.returncode == 0, result.stderr
    assert "site built" in result.stderr and "broken.json" in result.stderr
    assert (inputs["out_dir"] / "index.html").is_file()


def test_database_is_opened_read_only(inputs):
    conn = sqlite3.connect(inputs["db_path"])
    before = conn.execute("SELECT COUNT(*), MAX(id) FROM alerts").fetchone()
    conn.close()
    run_build(inputs)
    conn = sqlite3.connect(inputs["db_path"])
    assert conn.execute("SELECT COUNT(*), MAX(id) FROM alerts").fetchone() == before
    conn.close()


def test_samples_with_nonsense_values_only_affect_that_machine(inputs):
    sd.write_samples(inputs["samples_dir"], sd.make_samples("edge-rt-02", NOW, interfaces=2, day_rows=10))
    fine = inputs["samples_dir"] / "edge-rt-02" / "fine.jsonl"
    lines = fine.read_text().splitlines()
    lines[3] = lines[3].replace('"eth0":[', '"eth0":["lots",', 1)
    fine.write_text("\n".join(lines) + "\n")
    run_build(inputs)
    assert "cannot use samples" in page(inputs, "machines/edge-rt-02.html")
    assert 'id="graph-if-eth0"' in page(inputs, "machines/core-sw-01.html")


def test_worker_processes_give_the_same_site(inputs, tmp_path):
    for i in range(3):
        sd.write_machine(inputs["machines_dir"], f"extra-{i}")
        sd.write_samples(inputs["samples_dir"], sd.make_samples(f"extra-{i}", NOW, interfaces=2, day_rows=30, seed=i))
    run_build(inputs, workers=1)
    other = dict(inputs, out_dir=tmp_path / "www-parallel")
    run_build(other, workers=2)
    pages = sorted(p.relative_to(inputs["out_dir"]) for p in inputs["out_dir"].rglob("*.html"))
    assert len(pages) > 8
    for relpath in pages:
        assert page(inputs, relpath) == page(other, relpath), relpath


def test_api_on_another_origin_is_allowed_to_connect():
    from site_builder.render import content_security_policy
    assert "connect-src 'self';" in content_security_policy("")
    assert "connect-src 'self' https://api.example.org;" in content_security_policy("https://api.example.org/v/")
    assert "javascript" not in content_security_policy("javascript:alert(1)")


def section_before(html, table_id) -> str:
    """The heading of the section a table is in: the last <h2> before it."""
    return re.findall(r"<h2[^>]*>([^<]*)</h2>", html[:html.index(f'id="{table_id}"')])[-1]


def test_the_machine_page_names_its_alerts_and_its_device_log_for_what_they_hold(inputs):
    run_build(inputs)
    html = page(inputs, "machines/core-sw-01.html")
    assert section_before(html, "alert-log") == "Alerts and events", "Vigie's alerts and state changes"
    assert section_before(html, "device-messages") == "Device log", "what the device sent: syslog and traps"
    assert html.count("<h2>Device log</h2>") == 1


def test_the_login_page_shows_no_navigation(inputs):
    """Before logging in there is nowhere to go: the login page has the brand and its form only."""
    run_build(inputs)
    login, index = page(inputs, "login.html"), page(inputs, "index.html")
    assert "<nav" in index and 'id="search"' in index
    assert "<nav" not in login and 'id="search"' not in login and 'id="logout"' not in login
    assert 'id="login-form"' in login and 'class="brand"' in login


def test_volumes_are_read_again_only_when_the_year_archive_or_the_day_changes(inputs, monkeypatch):
    """The volumes come from the year archive, which gains a line a day: a build that finds
    it and the day unchanged neither reads it nor renders the page again."""
    from site_builder import inputs as site_inputs
    from vigie import volume
    reads = []
    real = site_inputs.with_volumes
    monkeypatch.setattr(site_inputs, "with_volumes", lambda d, name, *rest: reads.append(name) or real(d, name, *rest))
    run_build(inputs)
    assert sorted(reads) == ["core-sw-01", "edge-rt-02"]
    reads.clear()
    run_build(inputs)
    assert reads == []

    year = inputs["samples_dir"] / "core-sw-01" / "year.jsonl"
    yesterday = volume.yesterday(NOW.timestamp())
    year.write_text(json.dumps({"t": yesterday, "if": {"eth0": [800, 80, 900, 90]}}) + "\n")
    run_build(inputs)
    assert reads == ["core-sw-01"]
    row = page(inputs, "machines/core-sw-01.html").split('data-key="eth0"')[1].split("</tr>")[0]
    assert '<span class="v">8.64 MB</span> / <span class="v">864 kB</span>' in row, "800 b/s and 80 b/s for a day"
    reads.clear()
    run_build(inputs, now=NOW + timedelta(days=1))
    assert sorted(reads) == ["core-sw-01", "edge-rt-02"]


def test_the_manifest_keeps_no_dashboard_rows(inputs):
    """Each build makes every machine's dashboard row afresh; the manifest, read and
    written at every build, keeps only what the next build compares."""
    run_build(inputs)
    pages = json.loads((inputs["out_dir"] / MANIFEST).read_text())["pages"]
    entry = pages["machines/core-sw-01.html"]
    assert set(entry) == {"inputs", "graphs", "samples"}
    assert "core-sw-01" in page(inputs, "index.html")


def test_a_fresh_machine_says_why_its_percentiles_and_volumes_are_empty(inputs):
    """Before the first whole UTC day the 95th percentiles and volumes cannot be known: the
    cells say so, rather than '– / –'."""
    sd.write_machine(inputs["machines_dir"], "fresh-sw")
    sd.write_samples(inputs["samples_dir"], sd.make_samples("fresh-sw", NOW, interfaces=1, day_rows=10, days=0))
    run_build(inputs)
    row = re.search(r'<tr data-key="eth0".*?</tr>', page(inputs, "machines/fresh-sw.html"), re.S).group(0)
    cells = re.findall(r'<td class="num (?:p95|volume)[^"]*"[^>]*>(.*?)</td>', row, re.S)
    assert len(cells) == 4 and all("no whole day yet" in c and "–" not in c for c in cells), cells
