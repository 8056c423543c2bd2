"""Headless Debian Chromium driven through Playwright's Python API, plus a
plain static file server, for the web site tests.

`browser()` starts one Chromium with a fresh profile; `page(browser)` opens a
tab that records console errors, page errors and CSP violations so a test can
assert there were none.
"""

import contextlib
import functools
import http.server
import tempfile
import threading

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def browser():
    """A Chromium browser context (fresh --user-data-dir), closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="vigie-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris")
        try:
            yield context
        finally:
            context.close()


class WatchedPage:
    """A tab with its console errors, uncaught exceptions and failed requests collected."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors = []
        self.dialogs = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._dialog)

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.accept()

    def close(self):
        self.page.close()


@contextlib.contextmanager
def watched_page(context):
    page = WatchedPage(context)
    try:
        yield page
    finally:
        page.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def static_server(directory):
    """`python -m http.server` equivalent on 127.0.0.1, ephemeral port; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
