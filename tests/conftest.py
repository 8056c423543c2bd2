"""Shared test fixtures. Area-specific helpers live in tests/support/.

The suite runs in parallel (`make test`: pytest-xdist, two workers per core and one more), so a
fixture here is made once per worker process when its scope is "session". What makes
tests fast, and how to use it, is in docs/development.md, "Writing tests that stay fast".
"""

import asyncio
import collections
import os

import pytest


SHARED_SCOPES = ("package", "module", "class")
SLOW_FIXTURES = ("chromium", "api_server")  # a test using one of these is slow, marked or not


def shares_a_fixture(item) -> bool:
    """Whether the test uses a fixture made once for its module (or class)."""
    return any(defs[-1].scope in SHARED_SCOPES for defs in item._fixtureinfo.name2fixturedefs.values())


def group_of(item):
    mark = item.get_closest_marker("xdist_group")
    return (mark.args[0] if mark.args else mark.kwargs.get("name", "default")) if mark else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests using the browser or a server of their own, or marked waits, are marked slow. How `make test`
    (`-n auto --dist loadgroup`) shares the tests out among the workers:
    - the tests of a module that use a fixture made once per module go to one worker
      together (an xdist_group named after the module), so it is made once;
    - every other test goes alone to whichever worker is free;
    - the tests marked long (half a minute or more each), and the groups holding one
      (their tests in the module's order), are handed out first, then the tests of
      modules with a test marked slow, the largest groups first: the long ones start
      early and the many short ones fill the end of the run (each worker collects in
      this order, the scheduler follows it)."""
    for item in items:
        if any(name in item.fixturenames for name in SLOW_FIXTURES) or item.get_closest_marker("waits"):
            item.add_marker(pytest.mark.slow)
        if shares_a_fixture(item) and group_of(item) is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    if hasattr(config, "workerinput"):
        slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
        sizes = collections.Counter(group_of(item) for item in items)
        # a group with a long test goes first as a whole, its tests in their own order
        long_groups = {group_of(item) for item in items if item.get_closest_marker("long") and group_of(item)}

        def long(item):
            return item.get_closest_marker("long") is not None or group_of(item) in long_groups

        items.sort(key=lambda item: (not long(item), item.nodeid.split("::")[0] not in slow,
                                     -sizes[group_of(item)] if group_of(item) else -1))


def pytest_xdist_auto_num_workers(config):
    """What `-n auto` means here: two workers per core, and one more. Much of a test's time
    is spent waiting (servers starting, devices timing out, a browser drawing), during which
    another worker uses the core; the tests that mostly wait on real time have workers of
    their own (marked waits, see the Makefile). On the 2-core VM, `make test` took 5 min 39 s
    with 4, 5 min 18 s with 5 and 5 min 28 s with 6. PYTEST_XDIST_AUTO_NUM_WORKERS overrides."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own reading of it
    return 2 * len(os.sched_getaffinity(0)) + 1


@pytest.fixture(autouse=True, scope="session")
def heartbeats_outside_the_checkout(tmp_path_factory):
    """Parts beat (vigie.heartbeat) into $VIGIE_HEARTBEAT_DIR: a test's, not the checkout's data/."""
    os.environ.setdefault("VIGIE_HEARTBEAT_DIR", str(tmp_path_factory.mktemp("heartbeat")))
    yield


@pytest.fixture
def api_server(tmp_path):
    """A real API server of the test's own (gunicorn, 127.0.0.1, ephemeral port) with
    admin/operator/viewer users."""
    from tests.support.api_server import start_api

    server = start_api(tmp_path)
    yield server
    server.stop()


# Playwright's sync API marks its event loop as running in this thread between its
# calls, for as long as the browser lives; asyncio.run() (pysnmp, the collector) then
# refuses to start. With one browser per worker, the loop is marked only while a test
# that uses the browser runs (its setup, call and teardown), and not during the others.
_PLAYWRIGHT_LOOP = []  # the event loop of this worker's Playwright, while it runs


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole worker (tests/support/browser.py); each test
    opens its own isolated context with `new_context(chromium)`."""
    from tests.support.browser import browser

    with browser() as started:
        _PLAYWRIGHT_LOOP.append(asyncio._get_running_loop())
        yield started
        asyncio._set_running_loop(_PLAYWRIGHT_LOOP.pop())  # the last test may not have used it


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    uses_browser = "chromium" in item.fixturenames
    if uses_browser and _PLAYWRIGHT_LOOP:
        asyncio._set_running_loop(_PLAYWRIGHT_LOOP[0])
    try:
        return (yield)
    finally:
        if uses_browser:
            asyncio._set_running_loop(None)
