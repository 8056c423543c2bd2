"""schemathesis against the running server's own /api/openapi.json: every documented
operation, positive and negative data, all checks (status codes, content types,
schemas, auth, CSRF-free bearer/basic writes, stateful links). A fixed seed keeps
the run repeatable and bounded; the operations are run in four parts, each apart.
The server and the fuzzer share a network namespace with only a loopback: the hosts
the fuzzer makes up for "Test SNMP" (POST /api/machine/test) are never asked for."""

import errno
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.api_server import start_api
from tests.support.loopback_only import loopback_only
from vigie.api.openapi import spec

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

# Operations whose input is checked beyond what a schema can say: a channel URL by its
# service's own parser; names of other records (channels, teams, users) that must
# exist; a time that must be to come ("until", "ends_at"), an end after a start (a
# silence's, a report's period), a regular expression RE2 reads, a time zone that
# exists, a weekly schedule that falls within its bounds, a discovery's networks inside
# the setting discovery_networks (off on this server: nothing is ever probed), a CSV of
# devices whose rows must name stored credentials, a machine's parents that must be
# machines, a host's DNS labels of at most 63 characters. Schema-valid input may get a
# 400 naming the field there; every other check stays on for them.
CONFIG = """
[[operations]]
include-operation-id = ["putChannel", "putRule", "putTeam", "ackAlert", "shelveAlert", "addSilence",
                        "previewSilence", "editSilence", "extendSilence", "availability", "startDiscovery",
                        "addDiscovered", "importMachines", "addMachine", "replaceMachine", "testMachine"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


# The operations in four parts of about the same size, each run apart (in parallel under
# make test): by path, the last part everything the others leave.
PARTS = {"alerts": r"^/api/alert",
         "people": r"^/api/(notify|team|user|token|me|login|logout|audit)(/|$)",
         "machines": r"^/api/(machine|machine-import|discovery|topology|unknown-senders|availability)(/|$)"}
REST = "|".join(f"(?:{pattern})" for pattern in PARTS.values())
ITSELF = "/api/openapi.json"   # the document schemathesis reads: it leaves that operation out of its run


def operations(document: dict, part: str = None) -> int:
    """How many operations of the OpenAPI document fall in this part (all: None), the
    document's own left out."""
    paths = [path for path, item in document["paths"].items() for method in item
             if method != "parameters" and path != ITSELF]
    if part is None:
        return len(paths)
    if part == "rest":
        return sum(1 for path in paths if not re.search(REST, path))
    return sum(1 for path in paths if re.search(PARTS[part], path))


def test_the_parts_together_hold_every_documented_operation_once():
    document = spec({})
    total = sum(len([m for m in item if m != "parameters"]) for item in document["paths"].values())
    assert sum(operations(document, part) for part in [*PARTS, "rest"]) == operations(document) == total - 1
    assert all(operations(document, part) > 0 for part in [*PARTS, "rest"])


@pytest.fixture
def fuzzed_server(tmp_path):
    """The API under gunicorn, in a network namespace of its own with only a loopback,
    where this test's thread is too (and so the fuzzer it starts)."""
    with loopback_only():
        server = start_api(tmp_path)
        try:
            yield server
        finally:
            server.stop()


def test_inside_nothing_but_the_loopback_answers(tmp_path):
    home = os.readlink("/proc/thread-self/ns/net")
    with loopback_only():
        assert os.readlink("/proc/thread-self/ns/net") != home
        server = start_api(tmp_path)
        try:
            assert requests.get(f"{server.url}/api/health", timeout=5).status_code == 200
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(OSError) as refused:
                udp.connect(("192.0.2.1", 161))
            assert refused.value.errno == errno.ENETUNREACH
        finally:
            server.stop()
    assert os.readlink("/proc/thread-self/ns/net") == home  # the thread is back where it was


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.timeout(400)
@pytest.mark.parametrize("part", [*PARTS, "rest"])
def test_schemathesis_finds_no_failure(fuzzed_server, tmp_path, part):
    api_server = fuzzed_server
    admin = api_server.admin
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    document = requests.get(f"{api_server.url}/api/openapi.json", timeout=20).json()
    total = operations(document)
    chosen = ["--exclude-path-regex", REST] if part == "rest" else ["--include-path-regex", PARTS[part]]
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{api_server.url}/api/openapi.json",
               *chosen, "--auth", f"{admin.username}:{admin.password}", "--checks", "all",
               "--max-examples", "25", "--seed", "20261122", "--no-color", "--request-timeout", "20",
               "--generation-database", "none", "--report-dir", str(tmp_path / "report")]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=380)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    # every operation of the part was exercised
    assert f"{operations(document, part)} selected / {total} total" in output, output[-3000:]
    assert "Traceback" not in api_server.log_text()
