"""Headless Debian Chromium driven through Playwright's Python API, plus a
plain static file server, for the web site tests.

`browser()` starts one Chromium (Playwright gives it a fresh temporary
--user-data-dir): by default Debian's chromium-headless-shell, the same Blink
engine without the desktop browser around it, which takes half the CPU of a
page load; `browser(CHROMIUM)` starts the whole browser a person runs (the
benches that time a page use it); `new_context(browser, ...)` opens an isolated session (own
cookies, time zone, screen size); `watched_page(context)` opens a tab that
records console errors and uncaught exceptions so a test can assert there
were none.
"""

import contextlib
import functools
import http.server
import threading
import time

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def browser(executable: str = HEADLESS_SHELL):
    """A headless Chromium, closed afterwards."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def new_context(chromium, width=1280, height=900, timezone_id="Europe/Paris", **opts):
    """An isolated browser session; the viewer's time zone is set on purpose."""
    context = chromium.new_context(viewport={"width": width, "height": height}, timezone_id=timezone_id,
                                   locale="en-GB", **opts)
    context.set_default_timeout(20_000)
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
        self.in_flight = 0                      # requests sent and not yet answered (or failed)
        self.changed = time.monotonic()         # when that count last changed
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda _: self._count(+1))
        self.page.on("requestfinished", lambda _: self._count(-1))
        self.page.on("requestfailed", lambda _: self._count(-1))

    def _count(self, step):
        self.in_flight += step
        self.changed = time.monotonic()

    def wait_for_quiet(self, quiet_seconds=0.1, timeout=20.0):
        """Until no request has been in flight for `quiet_seconds`: Playwright's
        "networkidle" with a window of 0.1 s instead of 0.5 s (a page's next request
        follows the answer to its previous one within milliseconds)."""
        deadline = time.monotonic() + timeout
        while self.in_flight > 0 or time.monotonic() - self.changed < quiet_seconds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.in_flight} request(s) still in flight after {timeout} s")
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's events meanwhile

    def _console(self, message):
        if message.type == "error":
            url = (message.location or {}).get("url", "")
            self.errors.append(f"console: {message.text} [{url}]")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.accept()

    def clear(self) -> "WatchedPage":
        """Forget what was collected, before the tab goes to another page."""
        self.errors.clear()
        self.dialogs.clear()
        return self

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


def login(context, site, user) -> None:
    """A session for `user` (its .username and .password) in this browser context."""
    answer = context.request.post(site.url + "/api/login", data={"username": user.username, "password": user.password})
    assert answer.status == 200, answer.text()


def text_when(page, selector, start="", timeout=20.0, exact=None) -> str:
    """The text of `selector` once it starts with `start` (or equals `exact`), polled
    from here: the pages' Content-Security-Policy forbids the eval wait_for_function needs."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.text_content(selector) or ""
        if (text == exact) if exact is not None else text.startswith(start):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} never said {exact if exact is not None else start!r}: {text!r}")
        time.sleep(0.1)


def open_page(context, url, ready="body") -> "WatchedPage":
    """The page at `url`, watched for errors, once `ready` (a selector) is in it."""
    wp = WatchedPage(context)
    wp.page.goto(url)
    wp.page.wait_for_selector(ready, state="attached")
    return wp
