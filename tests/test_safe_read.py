"""Files people write are read by one rule (vigie/safe_read.py): regular files only,
opened without blocking, up to a size cap, refused with a clear error. A FIFO in
machines/ no longer blocks the API's threads, the site build or /metrics, and a
200 MB file is not parsed whole; the same for secret, settings and password files."""

import os
import threading

import pytest

from tests.support.api_wsgi import Api
from tests.support.site_data import write_machine
from vigie import machines as mc


def not_blocking(call, seconds=10.0):
    """call() in a thread; its result, or the exception it raised. Fails when it blocks."""
    outcome = []

    def run():
        try:
            outcome.append(call())
        except Exception as exc:  # the test looks at it
            outcome.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{call} blocked")
    return outcome[0]


@pytest.fixture
def api(tmp_path):
    api = Api(tmp_path)
    write_machine(api.machines_dir, "good-sw")
    os.mkfifo(api.machines_dir / "fifo-sw.json")
    with open(api.machines_dir / "huge-sw.json", "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB of nothing
    return api


def test_the_machine_list_answers_with_a_fifo_and_a_huge_file_in_the_folder(api):
    answer = not_blocking(lambda: api.call("GET", "/api/machine", "admin"))
    assert answer.status == 200 and [m["name"] for m in answer.json["results"]] == ["good-sw"]
    errors = {e["file"]: e["error"] for e in answer.json["errors"]}
    assert "a FIFO (named pipe), not a regular file" in errors["fifo-sw.json"]
    assert "larger than" in errors["huge-sw.json"]
    single = not_blocking(lambda: api.call("GET", "/api/machine/fifo-sw", "admin"))
    assert single.status == 500 and "FIFO" in single.json["error"]


def test_metrics_and_the_site_build_go_past_a_fifo(api, tmp_path):
    from site_builder.build import build

    assert not_blocking(lambda: api.call("GET", "/metrics", "admin")).status == 200
    not_blocking(lambda: build(api.machines_dir, tmp_path / "samples", api.db_path, api.www_dir), 60)
    assert (api.www_dir / "machines" / "good-sw.html").is_file()


def test_a_secret_file_that_is_a_fifo_is_an_error_naming_it(tmp_path):
    fifo = tmp_path / "community"
    os.mkfifo(fifo)
    error = not_blocking(lambda: mc.resolve_secret({"file": str(fifo)}, "snmp.community"))
    assert isinstance(error, mc.MachineConfigError) and "FIFO" in error.message and str(fifo) in error.message


def test_settings_and_password_files_too(tmp_path):
    import api as api_cli
    from vigie import config

    fifo = tmp_path / "vigie.toml"
    os.mkfifo(fifo)
    error = not_blocking(lambda: config.load(fifo, environ={}))
    assert isinstance(error, config.ConfigError) and "FIFO" in str(error)
    assert isinstance(not_blocking(lambda: api_cli.read_password(str(fifo))), ValueError)
    link = tmp_path / "real.toml"
    link.write_text("[api]\nport = 9999\n")
    (tmp_path / "link.toml").symlink_to(link)
    assert config.load(tmp_path / "link.toml", environ={})["api"]["port"] == 9999  # a link a person made is followed


def test_a_file_that_is_not_utf8_is_the_same_kind_of_error_everywhere(tmp_path):
    from vigie import config

    latin = tmp_path / "latin1"
    latin.write_bytes(b"[api]\n# caf\xe9\n")
    with pytest.raises(config.ConfigError, match=r"cannot read the configuration file .*latin1: not UTF-8 text "
                                                 r"\(byte 12\)"):
        config.load(latin, environ={})
    with pytest.raises(mc.MachineConfigError, match=r"cannot read secret file .*latin1: not UTF-8 text"):
        mc.resolve_secret({"file": str(latin)}, "snmp.community")
