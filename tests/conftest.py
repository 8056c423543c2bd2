"""Shared test fixtures. Area-specific helpers live in tests/support/."""

import pytest


@pytest.fixture
def api_server(tmp_path):
    """A real API server (gunicorn, 127.0.0.1, ephemeral port) with admin/operator/viewer users."""
    from tests.support.api_server import start_api

    server = start_api(tmp_path)
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def heartbeats_outside_the_checkout(tmp_path_factory):
    """Parts beat (vigie.heartbeat) into $VIGIE_HEARTBEAT_DIR: a test's, not the checkout's data/."""
    import os

    os.environ.setdefault("VIGIE_HEARTBEAT_DIR", str(tmp_path_factory.mktemp("heartbeat")))
    yield


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium shared by the tests of one module (tests/support/browser.py)."""
    from tests.support.browser import browser

    with browser() as started:
        yield started
