"""Machine files: the name rule, the schema's defaults, and errors that never show a secret."""

import json
import logging

import pytest
import requests

from site_builder.build import build
from tests.support.api_server import start_api
from vigie import machines as mc

SECRET = "the-community-s3cret"
GOOD = {"host": "192.0.2.10", "snmp": {"version": "2c", "community": "c"}}

# Machine files that hold a secret in the wrong place: (content, field the error names)
SECRET_MISPLACED = [
    ({"host": "h", "snmp": SECRET}, "snmp"),
    ([SECRET], None),
    ([{"community": SECRET}], None),
    (SECRET, None),
    ({"host": "h", "snmp": {"version": SECRET}}, "snmp.community"),
    ({"host": "h", "snmp": {"version": "2c", "community": "c", SECRET: 1}}, "snmp"),
    ({"host": "h", "snmp": {"version": "2c", "community": 12345678}}, "snmp.community"),
    ({"host": "h", "snmp": {"version": "2c", "community": [SECRET]}}, "snmp.community"),
    ({"host": "h", "snmp": {"version": "2c", "community": SECRET * 20}}, "snmp.community"),
    ({"host": "h", "snmp": {"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": {"env": SECRET}}},
     "snmp.auth_key"),
    ({"host": SECRET + " !", "snmp": {"version": "2c", "community": "c"}}, "host"),
    ({"host": "h", "snmp": {"version": "2c", "community": "c"}, "port": SECRET}, "port"),
    ({"host": "h", "snmp": {"version": "2c", "community": "c"}, "interfaces": SECRET}, "interfaces"),
    ({"host": "h", "snmp": {"version": "2c", "community": "c"}, "oids": {"x": SECRET}}, "oids.x"),
    ({"host": "h", "snmp": {"version": "2c", "community": "c"}, "description": [SECRET]}, "description"),
]


@pytest.mark.parametrize("name", ["core-sw-01", "a", "r1.lab", "x" * 100, "A_b-9", "a.", "a..b"])
def test_good_names_are_accepted(name):
    assert mc.check_name(name) == name


@pytest.mark.parametrize("name, why", [
    ("abc\n", "use letters"), ("", "empty"), (".hidden", "must not start with '.'"), (".", "must not start"),
    ("..", "must not start"), ("x" * 101, "longer than 100"), ("a b", "use letters"), ("é", "use letters"),
    ("a/b", "use letters"), (5, "must be a string"), (None, "must be a string"),
])
def test_bad_names_are_refused_with_the_reason(name, why):
    with pytest.raises(mc.MachineConfigError, match=why) as caught:
        mc.check_name(name)
    assert caught.value.field == "name"


def test_defaults_are_the_schemas():
    config = mc.validate(GOOD)
    for key, spec in mc.schema()["properties"].items():
        if "default" in spec:
            assert config[key] == spec["default"]
    assert config["tags"] == {} and config["port"] == 161
    assert not hasattr(mc, "DEFAULTS")


def test_defaults_are_copies():
    first = mc.validate(GOOD)
    first["oids"]["x"] = "1.3.6.1"
    assert mc.validate(GOOD)["oids"] == {}


@pytest.mark.parametrize("content, field", SECRET_MISPLACED)
def test_an_error_names_the_field_and_never_the_value(content, field):
    with pytest.raises(mc.MachineConfigError) as caught:
        mc.validate(content, source="machines/m.json")
    assert caught.value.field == field
    assert SECRET not in str(caught.value) and SECRET not in caught.value.message
    assert caught.value.message


@pytest.mark.parametrize("key", ["auth_key", "priv_key"])
def test_snmpv3_keys_under_8_characters_are_refused(key):
    snmp = {"version": "3", "user": "u", "auth_protocol": "SHA", "auth_key": "12345678",
            "priv_protocol": "AES", "priv_key": "12345678"}
    mc.validate({"host": "h", "snmp": snmp})
    with pytest.raises(mc.MachineConfigError, match="8 to 256 characters") as caught:
        mc.validate({"host": "h", "snmp": dict(snmp, **{key: "1234567"})})
    assert caught.value.field == f"snmp.{key}" and "1234567" not in str(caught.value)


def test_a_short_snmpv3_key_from_a_reference_is_refused_when_read(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_TEST_KEY", "short")
    with pytest.raises(mc.MachineConfigError, match="shorter than 8 characters") as caught:
        mc.resolve_secret({"env": "VIGIE_TEST_KEY"}, "snmp.auth_key", "machines/r.json")
    assert "short" not in caught.value.message.replace("shorter", "")
    key_file = tmp_path / "key"
    key_file.write_text("seven77\n")
    with pytest.raises(mc.MachineConfigError, match="shorter than 8"):
        mc.resolve_secret({"file": str(key_file)}, "snmp.priv_key")
    key_file.write_text("eight888\n")
    assert mc.resolve_secret({"file": str(key_file)}, "snmp.priv_key") == "eight888"
    assert mc.resolve_secret({"env": "VIGIE_TEST_KEY"}, "snmp.community") == "short"  # v1/v2c: any length


def write_misplaced(machines_dir) -> dict:
    """One machine file per misplaced secret: {name: field}."""
    names = {}
    for i, (content, field) in enumerate(SECRET_MISPLACED):
        (machines_dir / f"bad-{i}.json").write_text(json.dumps(content))
        names[f"bad-{i}"] = field
    return names


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_api(tmp_path_factory.mktemp("machines-api"))
    try:
        yield server
    finally:
        server.stop()


def test_the_real_api_shows_no_secret_from_a_bad_machine_file(api):
    names = write_misplaced(api.machines_dir)
    listing = requests.get(api.url + "/api/machine", headers=api.viewer.headers, timeout=10)
    assert listing.status_code == 200 and SECRET not in listing.text
    fields = {e["file"].rsplit("/", 1)[-1].removesuffix(".json"): e["field"] for e in listing.json()["errors"]}
    assert fields == names
    for name, field in names.items():
        one = requests.get(f"{api.url}/api/machine/{name}", headers=api.viewer.headers, timeout=10)
        assert one.status_code == 500 and SECRET not in one.text
        assert one.json()["field"] == field
        # the same content sent to the API is refused the same way
        sent = requests.put(f"{api.url}/api/machine/{name}", data=(api.machines_dir / f"{name}.json").read_bytes(),
                            headers=dict(api.admin.headers, **{"Content-Type": "application/json"}), timeout=10)
        assert sent.status_code == 400 and SECRET not in sent.text
        if field:
            assert sent.json()["field"] == field
    assert SECRET not in api.log_text()


@pytest.mark.parametrize("name", [".hidden", "abc\n", "x" * 101, "..", ""])
def test_the_real_api_refuses_names_that_every_reader_would_skip(api, name):
    answer = requests.post(api.url + "/api/machine", headers=api.admin.headers, json=dict(GOOD, name=name),
                           timeout=10)
    assert answer.status_code == 400 and answer.json()["field"] == "name"
    assert not (api.machines_dir / f"{name}.json").exists()


def test_the_built_site_and_its_log_show_no_secret(tmp_path, caplog):
    machines_dir = tmp_path / "machines"
    machines_dir.mkdir()
    names = write_misplaced(machines_dir)
    www = tmp_path / "www"
    with caplog.at_level(logging.INFO):
        build(machines_dir, tmp_path / "samples", tmp_path / "vigie.db", www)
    assert SECRET not in caplog.text and "bad-0.json: snmp must be an object, not a string" in caplog.text
    for page in ("index.html", "devices.html"):
        text = (www / page).read_text()
        assert SECRET not in text
        assert all(f'data-machine="{name}"' in text for name in names), page


def test_the_collector_log_shows_no_secret(tmp_path):
    import subprocess
    import sys
    machines_dir = tmp_path / "machines"
    machines_dir.mkdir()
    names = write_misplaced(machines_dir)
    result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines", str(machines_dir),
                             "--samples", str(tmp_path / "samples"), "--alertfiles", str(tmp_path / "alerts")],
                            capture_output=True, text=True, timeout=60)
    assert SECRET not in result.stderr + result.stdout
    assert all(f"{name}.json" in result.stderr for name in names)


# ---- unknown keys: refused like a missing one, with the nearest known key

@pytest.mark.parametrize("content, field, nearest", [
    (dict(GOOD, intervall=30), "intervall", "interval"),
    (dict(GOOD, treshold_percent=80), "treshold_percent", "threshold_percent"),
    (dict(GOOD, interface_thresholds={"ge-0/0/1": {"threshold_percnt": 70}}),
     "interface_thresholds.ge-0/0/1.threshold_percnt", "threshold_percent"),
    (dict(GOOD, oids={"load": {"oid": "1.3.6.1.4.1.2021.10.1.3.1", "scal": 0.01}}), "oids.load.scal", "scale"),
    (dict(GOOD, zzz=1), "zzz", None),
])
def test_an_unknown_key_is_refused_naming_the_file_the_key_and_the_nearest_known_one(content, field, nearest):
    with pytest.raises(mc.MachineConfigError) as caught:
        mc.validate(content, source="machines/edge.json")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"machines/edge.json: unknown field {field!r}")
    if nearest:
        assert f"did you mean {nearest!r}?" in caught.value.message
    else:
        assert "did you mean" not in caught.value.message


def test_an_unknown_key_among_the_credentials_is_refused_without_quoting_it():
    """A key of "snmp" may be a community pasted in the wrong place: its name is not shown."""
    with pytest.raises(mc.MachineConfigError) as caught:
        mc.validate({"host": "h", "snmp": {"version": "2c", "comunity": "c"}}, source="machines/edge.json")
    assert caught.value.field == "snmp"
    assert "comunity" not in str(caught.value)
    assert "unknown field" in caught.value.message and "did you mean 'community'?" in caught.value.message


def test_every_key_the_schema_declares_is_accepted_and_tags_stay_free():
    """The schema's properties are the one list of keys: each, set to its default, is accepted."""
    declared = {key: spec["default"] for key, spec in mc.schema()["properties"].items() if "default" in spec}
    config = mc.validate(dict(GOOD, **dict(declared, tags={"site": "Lyon", "rack": "B3"})))
    assert config["tags"] == {"site": "Lyon", "rack": "B3"}
    assert mc.schema()["additionalProperties"] is False


def write_typo(machines_dir):
    machines_dir.mkdir(exist_ok=True)
    (machines_dir / "edge.json").write_text(json.dumps(dict(GOOD, intervall=30)))
    (machines_dir / "core.json").write_text(json.dumps(GOOD))


TYPO = "edge.json: unknown field 'intervall'; did you mean 'interval'?"


def test_the_collector_skips_a_file_with_an_unknown_key_and_says_which(tmp_path):
    import subprocess
    import sys
    write_typo(tmp_path / "machines")
    result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--machines", str(tmp_path / "machines"),
                             "--samples", str(tmp_path / "samples"), "--alertfiles", str(tmp_path / "alerts")],
                            capture_output=True, text=True, timeout=60)
    assert f"machine file skipped: {tmp_path / 'machines'}/{TYPO}" in result.stderr
    assert (tmp_path / "samples" / "core.json").exists() and not (tmp_path / "samples" / "edge.json").exists()


def test_the_site_shows_a_file_with_an_unknown_key_as_a_config_error(tmp_path, caplog):
    write_typo(tmp_path / "machines")
    with caplog.at_level(logging.INFO):
        build(tmp_path / "machines", tmp_path / "samples", tmp_path / "vigie.db", tmp_path / "www")
    assert TYPO in caplog.text
    page = (tmp_path / "www" / "devices.html").read_text()
    row = page[page.index('<tr class="config-error" data-machine="edge"'):]
    assert "unknown field &#39;intervall&#39;; did you mean &#39;interval&#39;?" in row[:row.index("</tr>")]
    assert not (tmp_path / "www" / "machines" / "edge.html").exists()


def test_a_file_with_text_utf8_cannot_hold_is_refused_naming_the_key_never_the_value():
    data = json.loads('{"host": "127.0.0.1", "snmp": {"version": "3", "user": "ops\\udafc", "auth_protocol": "SHA", '
                      '"auth_key": "auth-secret"}}')
    with pytest.raises(mc.MachineConfigError) as caught:
        mc.validate(data, source="edge.json")
    assert caught.value.field == "snmp.user" and "ops" not in str(caught.value)
    assert str(caught.value).startswith("edge.json: snmp.user")
