"""A built site with something on every page, for the tests that walk every page (fit on a
phone and a laptop, text contrast): the real API under gunicorn with a machine whose
interfaces have long aliases, alerts with long messages (open, acknowledged, resolved),
a silence, a notification channel and rule, all built by site_builder into its www/.

    server = start_full_site(tmp_path)
    for path in site_pages(server.www_dir): ...
"""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.api_wsgi import alert

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
MACHINE = "core-sw-01"
ALIASES = {i: f"uplink to the distribution switch of building {i} (fibre, 10G)" for i in range(1, 9)}
LONG = ("Interface ge-0/0/1 of the distribution switch went down after 3 flaps in 10 minutes; "
        "the peer reports loss of signal on its optic")

# What a page waits for before it is looked at (beyond the load itself), by page file name
READY = {"index.html": "#machines", "alerts.html": "#alerts tbody tr[data-id]", "devices.html": "#devices tbody tr",
         "silences.html": "#silences tbody tr", "users.html": "#users tbody tr", "account.html": "#password-form",
         "login.html": "#login-form", "reports.html": "#report-machines tbody tr",
         "notify.html": "#channels tbody tr", "map.html": "#map"}


def _post(server, path, body):
    answer = requests.post(server.url + path, json=body, headers=server.admin.headers, timeout=30)
    assert answer.status_code < 300, (path, answer.status_code, answer.text)
    return answer.json() if answer.text else None


def _fill(server):
    ids = _post(server, "/api/alert", [
        alert(server=MACHINE, severity="CRITICAL", message=LONG, application="network-core-routing"),
        alert(server=MACHINE, severity="WARNING", message="CPU above 90 % for 15 minutes"),
        alert(server="web-billing-frontend-042", severity="ERROR", message="HTTP 502 from the upstream pool"),
        alert(server="db-01", severity="INFO", message="Backup finished")])["ids"]
    _post(server, f"/api/alert/{ids[1]}/ack", {})
    _post(server, f"/api/alert/{ids[3]}/resolve", {})
    _post(server, "/api/silence", {"matchers": {"server": "db-01"}, "comment": "maintenance of the database host",
                                   "ends_at": (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()})
    _post(server, "/api/notify/channel", {"name": "ops-mail", "url": "json://127.0.0.1:1/vigie-hook"})
    _post(server, "/api/notify/rule", {"name": "network-prod", "match": {"server": ["core-*"]},
                                       "steps": [{"channels": ["ops-mail"]}]})


def start_full_site(root):
    root = Path(root)
    server = start_api(root)
    try:
        samples = root / "samples"
        sd.write_machine(server.machines_dir, MACHINE, host="192.0.2.10",
                         tags={"environment": "prod", "application": "network"})
        sd.write_samples(samples, sd.make_samples(MACHINE, NOW, interfaces=8, day_rows=60, aliases=ALIASES))
        _fill(server)
        build(server.machines_dir, samples, server.db_path, server.www_dir, workers=1)
        return server
    except BaseException:
        server.stop()
        raise


def site_pages(www_dir) -> list:
    """Every page the builder wrote: the top level's and one per machine (team copies of the
    top-level pages come from the same templates)."""
    www_dir = Path(www_dir)
    pages = sorted(p.name for p in www_dir.glob("*.html"))
    return pages + sorted(f"machines/{p.name}" for p in (www_dir / "machines").glob("*.html"))


def ready_selector(path: str) -> str:
    return "#interfaces" if path.startswith("machines/") else READY.get(path, "main")


def open_site_page(context, server, path, tab=None):
    """A tab at `path` once its content is in (its ready selector, the network quiet): a new
    one, or `tab` (a WatchedPage of the context, what it collected cleared), so that a walk
    over every page starts one browser tab and not one a page."""
    from tests.support.browser import WatchedPage

    wp = tab.clear() if tab is not None else WatchedPage(context)
    wp.page.goto(f"{server.url}/{path}")
    wp.page.wait_for_selector(ready_selector(path), state="attached")
    if path.startswith("machines/"):   # graphs are drawn as they come into view
        wp.page.locator("section.graph-box:not([hidden]) .graph").first.scroll_into_view_if_needed()
        wp.page.wait_for_selector(".graph[data-rendered]")
        wp.page.evaluate("window.scrollTo(0, 0)")
    wp.wait_for_quiet()
    return wp


def admin_session(context, server):
    answer = context.request.post(server.url + "/api/login",
                                  data={"username": "admin", "password": server.admin.password})
    assert answer.status == 200, answer.text()

