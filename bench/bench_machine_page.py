"""A machine page's first and second load in headless Chromium, with plotly.min.js sent
gzip-compressed and cached for good, beside the same page with plotly sent plain.

    .venv/bin/python bench/bench_machine_page.py [--runs 5]

Builds a site for one machine with 8 interfaces and a year of samples, serves it with
the API (gunicorn) on 127.0.0.1, and times, in a fresh browser context each run, the
first load (until the first graph is drawn) and a second load of the same page. Prints
medians and the bytes plotly took on the wire.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from site_builder.build import build
from tests.support import site_data as sd
from tests.support.api_server import start_api
from tests.support.browser import browser, new_context


def one_run(chromium, api, plain: bool) -> tuple:
    with new_context(chromium) as context:
        if plain:
            context.set_extra_http_headers({"Accept-Encoding": "identity"})
        context.request.post(api.url + "/api/login", data={"username": "viewer", "password": api.viewer.password})
        page = context.new_page()
        wire = {}
        page.on("requestfinished", lambda r: "/static/plotly-" in r.url and wire.setdefault(
            len(wire), r.sizes()["responseBodySize"]))
        times = []
        for _ in range(2):
            started = time.monotonic()
            page.goto(api.url + "/machines/bench-sw.html")
            page.wait_for_selector(".graph[data-rendered]")
            times.append(time.monotonic() - started)
        return times[0], times[1], wire.get(0, 0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        api = start_api(root)
        try:
            now = datetime.now(timezone.utc)
            sd.write_machine(api.machines_dir, "bench-sw")
            sd.write_samples(root / "samples", sd.make_samples("bench-sw", now, interfaces=8))
            build(api.machines_dir, root / "samples", api.db_path, api.www_dir, workers=1)
            with browser() as chromium:
                results = {kind: [one_run(chromium, api, kind == "plain") for _ in range(args.runs)]
                           for kind in ("gzip + cache", "plain")}
        finally:
            api.stop()
    print(f"machine page, 8 interfaces, a year of samples; median of {args.runs} runs")
    for kind, runs in results.items():
        first = statistics.median(r[0] for r in runs)
        second = statistics.median(r[1] for r in runs)
        print(f"  plotly {kind:<13} first load {first:5.2f} s   second load {second:5.2f} s   "
              f"plotly on the wire {runs[0][2] / 1e6:4.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
