"""Take the README screenshots from the real site: the API under gunicorn, the
site built by site_builder, pages opened in headless Chromium.

    .venv/bin/python docs/screenshots/take.py
"""

import csv
import io
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]

from collector.generate import generate  # noqa: E402
from site_builder.build import build  # noqa: E402
from tests.support import site_data as sd  # noqa: E402
from tests.support.api_server import start_api  # noqa: E402
from tests.support.browser import CHROMIUM, WatchedPage, browser, new_context  # noqa: E402

OUT = Path(__file__).resolve().parent
MACHINES = [("core-sw-01", "up", "Core switch, server room"), ("edge-rt-02", "down", "Internet edge router"),
            ("web-01", "up", "Front web server"), ("db-01", "up", "PostgreSQL primary")]


def populate(server, samples_dir, now):
    for i, (name, state, description) in enumerate(MACHINES):
        sd.write_machine(server.machines_dir, name, description=description,
                         oids={"load_1min": "1.3.6.1.4.1.2021.10.1.3.1"}, tags={"environment": "prod"})
        events = [{"time": sd.iso(now - timedelta(hours=30)), "kind": "up", "interface": None, "message": f"{name} answers again"},
                  {"time": sd.iso(now - timedelta(hours=5)), "kind": "if_down", "interface": "eth3", "message": "eth3 is down"}]
        if state == "down":
            events.append({"time": sd.iso(now - timedelta(minutes=5)), "kind": "down", "interface": None,
                           "message": f"{name} does not answer SNMP (timeout)"})
        sd.write_samples(samples_dir, sd.make_samples(name, now, interfaces=4, seed=i, state=state,
                                                      oids={"load_1min": "load"}, events=events))
    text = io.StringIO()
    generate(text, 400, int((now - timedelta(days=2)).timestamp()), int(now.timestamp()), seed=7, servers=12)
    alerts = list(csv.DictReader(io.StringIO(text.getvalue())))
    for i, (name, _, _) in enumerate(MACHINES):
        alerts.append({"timestamp": sd.iso(now - timedelta(minutes=7 * i + 3)), "server": name,
                       "severity": ("CRITICAL", "WARNING", "ERROR", "INFO")[i], "message": f"{name}: link utilisation over 90 %",
                       "provider": "NetOps", "application": "network", "environment": "prod"})
    answer = requests.post(server.url + "/api/alert", json=alerts, headers=server.admin.headers, timeout=60)
    answer.raise_for_status()


def shoot(context, url, ready, path, full_page=False, clip_height=None, graphs=False):
    page = WatchedPage(context)
    page.page.goto(url)
    page.page.wait_for_selector(ready, state="attached")
    if graphs:   # graphs are drawn as they come into view
        for graph in page.page.locator(".graph").all():
            graph.scroll_into_view_if_needed()
            page.page.wait_for_selector(f"#{graph.get_attribute('id')}[data-rendered]")
        page.page.evaluate("window.scrollTo(0, 0)")
    page.page.wait_for_timeout(800)
    options = {"path": str(OUT / path), "full_page": full_page}
    if clip_height:
        options["clip"] = {"x": 0, "y": 0, "width": page.page.viewport_size["width"], "height": clip_height}
    page.page.screenshot(**options)
    page.close()
    print("wrote", OUT / path)


def main():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_api(Path(tmp))
        try:
            populate(server, Path(tmp) / "samples", now)
            build(server.machines_dir, Path(tmp) / "samples", server.db_path, server.www_dir)
            with browser(CHROMIUM) as chromium:
                with new_context(chromium, width=1280, height=900) as context:
                    context.request.post(server.url + "/api/login",
                                         data={"username": server.operator.username, "password": server.operator.password})
                    shoot(context, server.url + "/", "#machines", "dashboard.png")
                    shoot(context, server.url + "/machines/core-sw-01.html", "#graph-specs",
                          "machine.png", full_page=True, clip_height=1050, graphs=True)
                    shoot(context, server.url + "/alerts.html?acknowledged=false", "#alerts button.ack", "alerts.png")
                with new_context(chromium, width=1280, height=900) as context:
                    context.request.post(server.url + "/api/login",
                                         data={"username": server.admin.username, "password": server.admin.password})
                    shoot(context, server.url + "/devices.html", "#add-device:not([hidden])", "devices.png", full_page=True)
                with new_context(chromium, width=390, height=844, is_mobile=True, has_touch=True) as context:
                    context.request.post(server.url + "/api/login",
                                         data={"username": server.viewer.username, "password": server.viewer.password})
                    shoot(context, server.url + "/", "#machines", "phone-dashboard.png")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
