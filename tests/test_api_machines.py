"""Machines endpoints: validated with vigie.machines, written atomically to
machines/<name>.json, never showing SNMP secrets."""

import json
import os
import stat

import pytest

from tests.support.api_wsgi import Api

V2 = {"host": "192.0.2.10", "snmp": {"version": "2c", "community": "s3cret-community"},
      "oids": {"load_1min": "1.3.6.1.4.1.2021.10.1.3.1"}, "interval": 30}
V3 = {"host": "router.example", "port": 1161, "snmp": {"version": "3", "user": "ops", "auth_protocol": "SHA",
                                                       "auth_key": "auth-secret", "priv_protocol": "AES",
                                                       "priv_key": "priv-secret"}}


@pytest.fixture
def api(tmp_path):
    return Api(tmp_path)


def test_add_writes_the_file_and_answers_without_secrets(api):
    answer = api.call("POST", "/api/machine", json=dict(V2, name="core-sw1"))
    assert answer.status == 201
    assert answer.json["name"] == "core-sw1" and answer.json["snmp"]["community"] == "********"
    assert answer.json["port"] == 161 and answer.json["interval"] == 30  # defaults filled in
    path = api.machines_dir / "core-sw1.json"
    assert json.loads(path.read_text()) == V2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert not [p for p in api.machines_dir.iterdir() if p.name.startswith(".")]  # no temp file left


def test_list_and_get_mask_every_secret(api):
    api.call("POST", "/api/machine", json=dict(V2, name="a"))
    api.call("POST", "/api/machine", json=dict(V3, name="b"))
    (api.machines_dir / "broken.json").write_text("{nope")
    listing = api.call("GET", "/api/machine", "viewer")
    text = listing.body.decode()
    for secret in ("s3cret-community", "auth-secret", "priv-secret"):
        assert secret not in text
    body = listing.json
    assert body["count"] == 2 and [m["name"] for m in body["results"]] == ["a", "b"]
    assert body["errors"][0]["file"] == "broken.json"  # never the server's folders
    assert str(api.machines_dir) not in json.dumps(body)
    one = api.call("GET", "/api/machine/b", "viewer").json
    assert one["snmp"]["auth_key"] == "********" and one["snmp"]["priv_key"] == "********"
    assert one["snmp"]["user"] == "ops"


@pytest.mark.parametrize("body, field", [
    ({"host": "x", "snmp": {"version": "2c"}}, "snmp.community"),
    ({"host": "x", "snmp": {"version": "2c", "community": "c"}, "port": 70000}, "port"),
    ({"host": "x", "snmp": {"version": "2c", "community": "c"}, "interval": "often"}, "interval"),
    ({"snmp": {"version": "2c", "community": "c"}}, None),
])
def test_invalid_machines_are_refused_and_nothing_is_written(api, body, field):
    answer = api.call("POST", "/api/machine", json=dict(body, name="bad"))
    assert answer.status == 400 and answer.json["error"]
    if field:
        assert answer.json["field"] == field
    assert list(api.machines_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["", "a b", "../etc", "..", "x" * 101, "é"])
def test_bad_names_are_refused(api, name):
    answer = api.call("POST", "/api/machine", json=dict(V2, name=name))
    assert answer.status == 400 and answer.json["field"] == "name"
    assert list(api.machines_dir.iterdir()) == []


def test_add_twice_is_409_and_put_replaces_keeping_masked_secrets(api):
    api.call("POST", "/api/machine", json=dict(V3, name="r1"))
    assert api.call("POST", "/api/machine", json=dict(V3, name="r1")).status == 409
    shown = api.call("GET", "/api/machine/r1").json
    shown["interval"] = 120
    replaced = api.call("PUT", "/api/machine/r1", json=shown)
    assert replaced.status == 200 and replaced.json["interval"] == 120
    stored = json.loads((api.machines_dir / "r1.json").read_text())
    assert stored["snmp"]["auth_key"] == "auth-secret" and stored["snmp"]["priv_key"] == "priv-secret"
    assert api.call("PUT", "/api/machine/r2", json=V2).status == 201
    renamed = api.call("PUT", "/api/machine/r2", json=dict(V2, name="other"))  # the URL names it
    assert renamed.status == 200 and renamed.json["name"] == "r2"
    assert "name" not in json.loads((api.machines_dir / "r2.json").read_text())
    assert not (api.machines_dir / "other.json").exists()


def test_a_mask_without_a_stored_secret_is_refused(api):
    body = dict(V2, snmp={"version": "2c", "community": "********"})
    answer = api.call("PUT", "/api/machine/new", json=body)
    assert answer.status == 409 and answer.json["field"] == "snmp.community"
    answer = api.call("POST", "/api/machine", json=dict(body, name="new"))
    assert answer.status == 400 and answer.json["field"] == "snmp.community"
    assert not (api.machines_dir / "new.json").exists()


def test_delete_removes_the_file(api):
    api.call("POST", "/api/machine", json=dict(V2, name="gone"))
    assert api.call("DELETE", "/api/machine/gone").status == 204
    assert not (api.machines_dir / "gone.json").exists()
    assert api.call("DELETE", "/api/machine/gone").status == 404
    assert api.call("GET", "/api/machine/gone").status == 404


@pytest.mark.parametrize("method, path", [("POST", "/api/machine"), ("PUT", "/api/machine/edge")])
def test_an_unknown_key_is_refused_with_the_nearest_known_one_and_nothing_is_written(api, method, path):
    answer = api.call(method, path, json=dict(V2, name="edge", intervall=30))
    assert answer.status == 400 and answer.json["field"] == "intervall"
    assert answer.json["error"] == "unknown field 'intervall'; did you mean 'interval'?"
    assert list(api.machines_dir.iterdir()) == []



def test_a_name_in_the_body_of_put_is_left_aside_when_text_and_refused_otherwise(api):
    assert api.call("POST", "/api/machine", json=dict(V2, name="core-sw1")).status == 201
    for kept in ("core-sw1", "core-sw2"):   # the address names the machine
        assert api.call("PUT", "/api/machine/core-sw1", json=dict(V2, name=kept)).status == 200
    for other in ({}, 7, None):
        refused = api.call("PUT", "/api/machine/core-sw1", json=dict(V2, name=other))
        assert refused.status == 400 and refused.json["field"] == "name", refused.json
    assert sorted(p.name for p in api.machines_dir.iterdir()) == ["core-sw1.json"]


def test_the_test_of_a_device_refuses_a_name_that_is_no_text(api):
    refused = api.call("POST", "/api/machine/test", json=dict(V2, name={}))
    assert refused.status == 400 and refused.json["field"] == "name", refused.json


@pytest.mark.parametrize("method, path", [("POST", "/api/machine"), ("POST", "/api/machine/test")])
def test_an_snmpv3_user_name_over_32_bytes_is_refused_naming_the_field(api, method, path):
    body = {"name": "edge", "host": "127.0.0.1", "port": 9,
            "snmp": {"version": "3", "user": "é" * 17, "auth_protocol": "SHA", "auth_key": "auth-secret"}}
    refused = api.call(method, path, json=body)
    assert refused.status == 400 and refused.json["field"] == "snmp.user", refused.json
    assert "é" not in refused.json["error"]
    assert not (api.machines_dir / "edge.json").exists()
    body["snmp"]["user"] = "é" * 16   # 32 bytes
    assert api.call(method, path, json=body).status < 300


@pytest.mark.parametrize("method, path", [("POST", "/api/machine"), ("POST", "/api/machine/test")])
def test_a_host_with_a_dns_label_over_63_characters_is_refused_naming_the_field(api, method, path):
    body = dict(V2, name="edge", host="0" * 64)
    refused = api.call(method, path, json=body)
    assert refused.status == 400 and refused.json["field"] == "host", refused.json
    assert not (api.machines_dir / "edge.json").exists()


def test_a_dns_label_of_63_characters_is_taken(api):
    body = dict(V2, name="edge", host="a" * 63 + ".example")
    assert api.call("POST", "/api/machine", json=body).status == 201
