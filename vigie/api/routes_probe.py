"""POST /api/machine/test: ask a device once, before its machine file is saved.

The devices page's "Test SNMP" button sends the machine as the form has it; the
answer says what the device gave (its name, description, location, contact,
interfaces, the extra OIDs' values) or why it failed. The SNMP work is done by
`python -m collector.probe` in a child process, given the machine on its standard
input, so the API never holds an SNMP engine and a slow device holds one request
only. A mask sent back for a stored machine's secret uses the stored one.
"""

import json
import subprocess
import sys
import threading
from pathlib import Path

from vigie import machines as mc
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.api.routes_machines import SHOWN_ONLY, keep_masked_secrets, path_of, read_raw

PACKAGES_ROOT = Path(__file__).resolve().parents[2]   # where vigie/ and collector/ sit side by side
AT_ONCE = 2   # tests running at the same time in one worker
_running = threading.BoundedSemaphore(AT_ONCE)


OUTER_SECONDS = 90   # the probe bounds itself (2 s a request, one retry, 60 s in all) well within this


def run_probe(config_body: dict) -> dict:
    try:
        done = subprocess.run([sys.executable, "-m", "collector.probe"], input=json.dumps(config_body),
                              capture_output=True, text=True, cwd=PACKAGES_ROOT, timeout=OUTER_SECONDS)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"no answer within {OUTER_SECONDS} s"}
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise ApiError(500, "the test could not run (see the server log)") from None


def test_machine():
    ctx = context()
    ctx.require("admin")
    body = dict(ctx.read_object(': the machine as for POST /api/machine, with its "name"'))
    name = mc.check_name(body.pop("name", "test"))
    for key in SHOWN_ONLY:  # a machine as GET shows it may be sent back as it is
        body.pop(key, None)
    stored = read_raw(ctx, name) if path_of(ctx, name).exists() else None
    keep_masked_secrets(body, stored, replacing=stored is not None)
    mc.validate(body)
    if not _running.acquire(blocking=False):
        raise ApiError(429, "other tests are running: try again in a moment")
    try:
        return run_probe(dict(body, name=name))
    finally:
        _running.release()


ROUTES = (
    ("POST", "/api/machine/test", test_machine),
)
