"""Devices from a CSV file (vigie/device_import.py, python -m collector.import_devices): each
row checked as a machine file, every error named by line and column, a dry run, existing
machines never written over, and an imported device polled by the real collector."""

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.support.snmp_agents import SnmpsimAgent
from vigie import device_import as di
from vigie import machines as mc
from vigie import simulated_devices as sim

CORE = mc.validate({"host": "192.0.2.1", "snmp": {"version": "3", "user": "ops", "auth_protocol": "SHA",
                                                  "auth_key": {"file": "/etc/vigie/core.auth"}}})
EXISTING = {"core-sw-01": dict(CORE, name="core-sw-01"), "broken": None}


def problems(result) -> list:
    return [(p.line, p.column, p.message) for p in result.errors]


def test_rows_become_machine_files_with_their_credentials_and_tags():
    text = ("\ufeffName,Address,Credentials,Tags,Port\n"
            "# the lab\n"
            "edge-01,192.0.2.11,core-sw-01,environment=prod; application=core-network ;site=Lyon,\n"
            "\n"
            "edge-02,2001:db8::2,env:EDGE_COMMUNITY,,1161\n"
            "edge-03,edge-03.example.net,file:/etc/vigie/edge.community,,\n")
    result = di.plan(text, EXISTING)
    assert result.errors == [] and result.known == []
    assert [(line, name, credentials) for line, name, _, credentials in result.add] == [
        (3, "edge-01", "core-sw-01"), (5, "edge-02", "env:EDGE_COMMUNITY"), (6, "edge-03", "file:/etc/vigie/edge.community")]
    first, second, third = (machine for _, _, machine, _ in result.add)
    assert first == {"host": "192.0.2.11", "snmp": CORE["snmp"],
                     "tags": {"environment": "prod", "application": "core-network", "site": "Lyon"}}
    assert second == {"host": "2001:db8::2", "port": 1161, "snmp": {"version": "2c", "community": {"env": "EDGE_COMMUNITY"}}}
    assert third["snmp"]["community"] == {"file": "/etc/vigie/edge.community"}
    assert di.address_text(second) == "[2001:db8::2]:1161"


def test_machines_that_exist_by_name_or_by_address_are_known_not_added():
    text = "name,address,credentials\ncore-sw-01,192.0.2.50,core-sw-01\nother,192.0.2.1,core-sw-01\nbroken,192.0.2.9,env:C\n"
    result = di.plan(text, EXISTING)
    assert result.errors == [] and result.add == []
    assert result.known == [(2, "core-sw-01", "a machine of this name exists"),
                            (3, "other", "the same address and port as machine core-sw-01"),
                            (4, "broken", "a machine of this name exists")]


@pytest.mark.parametrize("text, expected", [
    ("name,adress,credentials\n", [(1, "adress", "unknown column; did you mean 'address'? (the columns: name, address, "
                                               "credentials, tags, port, description)"),
                                   (1, "address", "missing column")]),
    ("name,address,credentials,name\n", [(1, "name", "this column is named twice")]),
    ("", [(1, None, "no header: the first line names the columns, name, address, credentials at least")]),
    ("name,address,credentials\n\nsw1,,core-sw-01\n", [(3, "address", "empty: it is required")]),
    ("name,address,credentials\nsw1,192.0.2.5,nobody\n",
     [(2, "credentials", "no stored credential set 'nobody': a machine of that name holds one, and there is none")]),
    ("name,address,credentials\nsw1,192.0.2.5,broken\n",
     [(2, "credentials", "no stored credential set 'broken': a machine of that name holds one, and its file does "
                         "not load")]),
    ("name,address,credentials\nsw1,192.0.2.5,env:\n", [(2, "credentials", "env: names nothing (write env:VARIABLE)")]),
    ("name,address,credentials\nsw1,192.0.2.5,ldap:ops\n",
     [(2, "credentials", "expected the name of a machine whose credentials to use, or env:VARIABLE or file:/path "
                         "holding a v2c community")]),
    ("name,address,credentials,port\nsw1,192.0.2.5,env:C,99999\n", [(2, "port", "a whole number from 1 to 65535")]),
    ("name,address,credentials,tags\nsw1,192.0.2.5,env:C,prod\n",
     [(2, "tags", "'prod' is not key=value (pairs separated by ';')")]),
    ("name,address,credentials\nsw 1,192.0.2.5,env:C\n",
     [(2, "name", "invalid machine name 'sw 1': use letters, digits, '.', '_', '-'")]),
    ("name,address,credentials\nsw1,192.0.2.5 /24,env:C\n", [(2, "address", "host is not valid: IPv4 or IPv6 address, "
                                                                            "or DNS name, of the SNMP agent (letters, "
                                                                            "digits, '.', ':', '_', '-').")]),
    ("name,address,credentials\nsw1,192.0.2.5,env:C,extra\n", [(2, None, "4 values for the 3 columns of the header")]),
    ('name,address,credentials,description\n"sw1",192.0.2.5,env:C,"two\nlines"\nsw1,192.0.2.6,env:C,\n'
     "sw3,192.0.2.5,env:C,\n",
     [(4, "name", "the same name as line 2"), (5, "address", "the same device as line 2")]),
    ('name,address,credentials\n"sw1,192.0.2.5,env:C\n', [(2, None, "not valid CSV: unexpected end of data")]),
])
def test_each_error_is_named_by_line_and_column(text, expected):
    result = di.plan(text, EXISTING)
    assert problems(result) == expected


def test_the_text_of_an_error_names_the_file_the_line_and_the_column():
    result = di.plan("name,address,credentials\nsw1,192.0.2.5,nobody\n", EXISTING)
    assert result.errors[0].text("lab.csv").startswith("lab.csv: line 2, column 'credentials': no stored credential")


# ---- the command

def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "collector.import_devices", *map(str, args)], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_help_says_the_columns_and_the_exit_status():
    result = run("--help")
    assert result.returncode == 0 and "--dry-run" in result.stdout and "credentials" in result.stdout
    assert "Exit status" in result.stdout


def test_a_dry_run_writes_nothing_then_the_import_writes_and_a_second_one_finds_them_known(tmp_path):
    machines = tmp_path / "machines"
    machines.mkdir()
    core = {"host": "192.0.2.1", "snmp": {"version": "2c", "community": "c0re-secret"}}
    (machines / "core-sw-01.json").write_text(json.dumps(core))
    csv_file = tmp_path / "lab.csv"
    csv_file.write_text("name,address,credentials,tags\nedge-01,192.0.2.11,core-sw-01,environment=lab\n"
                        "core-sw-01,192.0.2.77,env:X,\n")
    dry = run(csv_file, "--dry-run", "--machines", machines)
    assert dry.returncode == 0, dry.stderr
    assert "add    edge-01" in dry.stdout and "192.0.2.11:161  credentials core-sw-01" in dry.stdout
    assert "known  core-sw-01" in dry.stdout and "1 device to add, 1 known (dry run: nothing written)" in dry.stdout
    assert sorted(p.name for p in machines.iterdir()) == ["core-sw-01.json"]
    assert "c0re-secret" not in dry.stdout + dry.stderr

    done = run(csv_file, "--machines", machines)
    assert done.returncode == 0, done.stderr
    assert "lab.csv: 1 device added, 1 known" in done.stdout and "c0re-secret" not in done.stdout
    written = machines / "edge-01.json"
    assert stat.S_IMODE(os.stat(written).st_mode) == mc.FILE_MODE
    assert json.loads(written.read_text()) == {"host": "192.0.2.11", "snmp": core["snmp"],
                                               "tags": {"environment": "lab"}}
    assert json.loads((machines / "core-sw-01.json").read_text()) == core, "an existing machine is never written over"
    assert not [p for p in machines.iterdir() if p.name.startswith(".")], "no temporary file left"

    again = run(csv_file, "--machines", machines, "--json")
    assert again.returncode == 0
    outcome = json.loads(again.stdout)
    assert outcome["added"] == [] and [k["name"] for k in outcome["known"]] == ["edge-01", "core-sw-01"]


def test_a_file_with_errors_writes_nothing_and_says_each(tmp_path):
    csv_file = tmp_path / "lab.csv"
    csv_file.write_text("name,address,credentials\ngood,192.0.2.11,env:C\nbad,not an address,env:C\nworse,,env:C\n")
    result = run(csv_file, "--machines", tmp_path / "machines")
    assert result.returncode == 1
    assert f"{csv_file}: line 3, column 'address': host is not valid" in result.stderr
    assert f"{csv_file}: line 4, column 'address': empty: it is required" in result.stderr
    assert "2 error(s): nothing written" in result.stderr
    assert not (tmp_path / "machines").exists() or not list((tmp_path / "machines").iterdir())


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "No such file or directory"),
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: p.write_bytes(b"name,address\n\xff\n"), "not UTF-8"),
])
def test_an_unreadable_file_is_a_clear_error(tmp_path, make, reason):
    path = tmp_path / "lab.csv"
    make(path)
    result = run(path, "--machines", tmp_path / "machines")
    assert result.returncode == 2 and f"cannot read {path}" in result.stderr and reason in result.stderr


@pytest.mark.slow
def test_an_imported_device_is_polled_with_the_credential_set_it_names(tmp_path):
    agent = SnmpsimAgent(tmp_path / "snmpsim", {"lab-community": sim.device_snmprec(
        "lab-sw", [sim.interface(1, "ge-0/0/0", 1_000_000_000, 10, 10)])}).start()
    try:
        machines = tmp_path / "machines"
        machines.mkdir()
        (machines / "template.json").write_text(json.dumps({
            "host": "192.0.2.1", "snmp": {"version": "2c", "community": "lab-community"}}))
        csv_file = tmp_path / "lab.csv"
        csv_file.write_text(f"name,address,port,credentials\nlab-sw,127.0.0.1,{agent.port},template\n")
        assert run(csv_file, "--machines", machines).returncode == 0
        (machines / "template.json").unlink()   # only the imported device is polled
        poll = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines", machines, "--samples",
                               tmp_path / "samples", "--alertfiles", tmp_path / "alerts"],
                              capture_output=True, text=True, timeout=120)
        assert poll.returncode == 0, poll.stderr
        status = subprocess.run([sys.executable, "-m", "collector.status", "--json", "--machines", machines,
                                 "--samples", tmp_path / "samples"], capture_output=True, text=True, timeout=60)
        assert [(m["name"], m["status"]) for m in json.loads(status.stdout)] == [("lab-sw", "up")]
    finally:
        agent.stop()


# ---- the API (what the Devices page sends)

LAB = "name,address,credentials,tags\nedge-01,192.0.2.11,core-sw-01,environment=lab\ncore-sw-01,192.0.2.77,env:X,\n"


@pytest.fixture
def api(tmp_path):
    from tests.support.api_wsgi import Api
    api = Api(tmp_path)
    assert api.call("POST", "/api/machine", json={"name": "core-sw-01", "host": "192.0.2.1",
                                                  "snmp": {"version": "2c", "community": "c0re-secret"}}).status == 201
    return api


def test_the_api_checks_then_imports_for_an_admin_only(api):
    dry = api.call("POST", "/api/machine-import", json={"csv": LAB, "dry_run": True})
    assert dry.status == 200 and dry.json["add"] == [{"line": 2, "name": "edge-01", "host": "192.0.2.11", "port": 161,
                                                      "credentials": "core-sw-01"}]
    assert dry.json["known"] == [{"line": 3, "name": "core-sw-01", "reason": "a machine of this name exists"}]
    assert not (api.machines_dir / "edge-01.json").exists()
    assert api.call("POST", "/api/machine-import", "operator", json={"csv": LAB}).status == 403
    done = api.call("POST", "/api/machine-import", json={"csv": LAB})
    assert done.status == 200 and [r["name"] for r in done.json["added"]] == ["edge-01"]
    assert "c0re-secret" not in done.body.decode()
    shown = api.call("GET", "/api/machine/edge-01", "viewer").json
    assert shown["snmp"]["community"] == "********" and shown["tags"] == {"environment": "lab"}
    audit = api.call("GET", "/api/audit").json["results"]
    assert any(e["action"] == "create" and e["target"] == "edge-01" and e["actor"] == "admin" for e in audit)


def test_the_api_refuses_a_file_with_errors_naming_each_by_line_and_column(api):
    answer = api.call("POST", "/api/machine-import", json={"csv": LAB + "bad,not an address,nobody,\n"})
    assert answer.status == 400 and answer.json["field"] == "csv"
    assert answer.json["error"] == "2 errors in the CSV: nothing was added"
    assert [(e["line"], e["column"]) for e in answer.json["errors"]] == [(4, "credentials"), (4, "address")]
    assert not (api.machines_dir / "edge-01.json").exists()
    for body, field in (({"csv": 5}, "csv"), ({"csv": LAB, "dry_run": "yes"}, "dry_run"),
                        ({"csv": LAB, "dryrun": True}, "dryrun")):
        refused = api.call("POST", "/api/machine-import", json=body)
        assert refused.status == 400 and refused.json["field"] == field


@pytest.mark.slow
def test_an_admin_checks_then_imports_a_csv_from_the_devices_page(chromium, tmp_path):
    from site_builder.build import build
    from tests.support.api_server import start_api
    from tests.support.browser import login, new_context, open_page

    server = start_api(tmp_path)
    try:
        (server.machines_dir / "core-sw-01.json").write_text(json.dumps({
            "host": "192.0.2.1", "snmp": {"version": "2c", "community": "c0re-secret"}}))
        build(server.machines_dir, server.root / "samples", server.db_path, server.www_dir, workers=1)
        with new_context(chromium) as context:
            login(context, server, server.admin)
            wp = open_page(context, server.url + "/devices.html", "#import-devices:not([hidden])")
            page = wp.page
            bad = "name,address,credentials\nedge-09,192.0.2.19,nobody\n"
            page.set_input_files('#import-form [name="file"]', files=[
                {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
            page.click("#import-check")
            page.wait_for_selector('#import-rows tr[data-line="2"].import-error')
            assert "column credentials: no stored credential set 'nobody'" in page.text_content("#import-rows")
            assert "bad.csv: 1 error in the CSV: nothing was added." in page.text_content("#import-error")
            page.set_input_files('#import-form [name="file"]', files=[
                {"name": "lab.csv", "mimeType": "text/csv", "buffer": LAB.encode()}])
            page.click("#import-check")
            page.wait_for_selector('#import-rows tr[data-line="2"].import-to')
            assert "lab.csv: 1 device to add, 1 already here (nothing written yet)." in page.text_content("#import-summary")
            assert "known" in page.text_content('#import-rows tr[data-line="3"]')
            assert not (server.machines_dir / "edge-01.json").exists()
            page.click("#import-run")
            page.wait_for_selector('#devices tr[data-machine="edge-01"]')
            assert "lab.csv: 1 device added, 1 already here." in page.text_content("#import-summary")
            assert json.loads((server.machines_dir / "edge-01.json").read_text())["tags"] == {"environment": "lab"}
            assert "c0re-secret" not in page.content()
            assert [e for e in wp.errors if "Failed to load resource" not in e] == []   # the 400 of the bad file
            wp.close()
    finally:
        server.stop()
