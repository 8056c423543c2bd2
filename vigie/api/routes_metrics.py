"""GET /metrics: the Prometheus exposition of vigie/metrics.py, from the API.

A viewer's bearer token (Prometheus: `authorization: {credentials_file: ...}`)
unless the `metrics_open` setting lets anyone read it. Samples files are read
again only when they changed since the last scrape; the answer is gzipped for
a client that asks (Prometheus does).
"""

import gzip
import threading
import weakref
from pathlib import Path

from bottle import HTTPResponse, request

from vigie import metrics
from vigie.api import scoping
from vigie.api.context import context
from vigie.db.notify import outbox_size

_CACHES = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def exposition(ctx) -> str:
    """The whole text, for this app's folders and database."""
    with _LOCK:  # one scrape at a time reads the samples; a second waits and shares the cache
        cache = _CACHES.setdefault(ctx, metrics.SamplesCache())
        views, bad_files = metrics.collect_machines(ctx.machines_dir, Path(ctx.settings["samples"]), cache=cache)
        texts = dict(cache.texts)
    health = dict(metrics.watcher_backlog(Path(ctx.settings["alertfiles"])), machine_file_errors=bad_files,
                  syslog=metrics.intake_stats(Path(ctx.settings["logs"])),
                  **metrics.database_health(ctx.conn()),
                  outbox={"waiting_events": outbox_size(ctx.conn())})
    return metrics.render(views, health, texts)


def metrics_page():
    ctx = context()
    if not ctx.settings["metrics_open"]:
        ctx.require("viewer")
        scoping.refuse_if_scoped(ctx, "/metrics")
    body = exposition(ctx).encode("utf-8")
    headers = {"Content-Type": metrics.CONTENT_TYPE, "Cache-Control": "no-store"}
    if "gzip" in request.get_header("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=1)
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return HTTPResponse(body=body, status=200, headers=headers)


ROUTES = (
    ("GET", "/metrics", metrics_page),
)
