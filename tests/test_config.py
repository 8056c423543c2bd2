"""One configuration for every command (vigie/config.py): the table, the file, where each
value comes from, the errors a sysadmin gets, and the page generated from the table."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from vigie import config
from vigie.config import ConfigError, Flag

REPO = Path(__file__).resolve().parent.parent
NO_ENV = {}


def write(tmp_path, text, name="vigie.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path) -> str:
    with pytest.raises(ConfigError) as exc:
        config.load(path, environ=NO_ENV)
    return str(exc.value)


# ------------------------------------------------------------------ the table

def test_every_section_and_setting_says_what_it_is_for():
    for name, section in config.SECTIONS.items():
        assert section.help, name
        for key, spec in section.settings.items():
            assert spec.help and spec.kind in config.KIND_NAMES, f"{name}.{key}"


def test_the_defaults_pass_their_own_checks_and_types():
    cfg = config.builtin()
    for name, section in config.SECTIONS.items():
        for key, spec in section.settings.items():
            value = cfg[name][key]
            assert config.typed(value, spec.kind) == value, f"{name}.{key}"
            assert config.checked(f"{name}.{key}", spec, value) == value


def test_the_reference_page_is_generated_from_the_table():
    """docs/configuration.md is `python -m vigie config --markdown`: a setting added without
    regenerating it fails here."""
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == config.markdown(), "run: python -m vigie config --markdown > docs/configuration.md"
    for name, section in config.SECTIONS.items():
        assert f"## [{name}]" in page
        for key in section.settings:
            assert f"| `{key}` |" in page


def test_the_readme_links_the_reference_page():
    assert "docs/configuration.md" in (REPO / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ reading

def test_defaults_file_then_environment_then_flags_each_say_where_they_come_from(tmp_path):
    path = write(tmp_path, '[api]\nport = 9000\nworkers = 3\n[poll]\nconcurrency = 8\n')
    cfg = config.load(path, {"api.workers": (5, "flag --workers")}, environ={"VIGIE_HEARTBEAT_DIR": "/hb"})
    assert cfg.get("api.port") == 9000 and cfg.origin("api.port") == f"file {path}"
    assert cfg.get("api.workers") == 5 and cfg.origin("api.workers") == "flag --workers"
    assert cfg.get("paths.heartbeat") == "/hb" and cfg.origin("paths.heartbeat") == "env VIGIE_HEARTBEAT_DIR"
    assert cfg.get("api.threads") == 4 and cfg.origin("api.threads") == "default"
    assert cfg.where("api.port") == f"{path}: [api] port" and cfg.where("api.workers") == "--workers"


def test_setting_the_data_folder_moves_what_lives_under_it_unless_set_one_by_one(tmp_path):
    cfg = config.load(write(tmp_path, '[paths]\ndata = "/srv/vigie"\nlogs = "/var/log/vigie"\n'), environ=NO_ENV)
    assert cfg["paths"]["samples"] == "/srv/vigie/samples"
    assert cfg["paths"]["db"] == "/srv/vigie/vigie.db"
    assert cfg["paths"]["heartbeat"] == "/srv/vigie/heartbeat"
    assert cfg["watch"]["token_file"] == "/srv/vigie/watcher.token"
    assert cfg["paths"]["logs"] == "/var/log/vigie"
    assert cfg.origin("paths.samples") == "default (paths.data/samples)"


def test_the_api_url_and_the_links_follow_the_address_the_api_listens_on(tmp_path):
    cfg = config.load(write(tmp_path, '[api]\nhost = "0.0.0.0"\nport = 8181\n'), environ=NO_ENV)
    assert cfg["api"]["url"] == "http://127.0.0.1:8181" and cfg["notify"]["site_url"] == "http://127.0.0.1:8181"
    cfg = config.load(write(tmp_path, '[api]\nhost = "::1"\n[notify]\nsite_url = "https://vigie.example"\n'),
                      environ=NO_ENV)
    assert cfg["api"]["url"] == "http://[::1]:8080" and cfg["notify"]["site_url"] == "https://vigie.example"


def test_relative_paths_in_a_file_are_taken_from_its_folder(tmp_path):
    (tmp_path / "etc").mkdir()
    cfg = config.load(write(tmp_path / "etc", '[paths]\ndata = "../state"\nmachines = "machines"\n'),
                      environ=NO_ENV)
    assert cfg["paths"]["data"] == str(tmp_path / "state")
    assert cfg["paths"]["machines"] == str(tmp_path / "etc" / "machines")


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize("text, words", [
    ("[api]\nprot = 1\n", "[api] unknown key 'prot'; did you mean 'port'?"),
    ("[apis]\nport = 1\n", "unknown section [apis]; did you mean [api]?"),
    ("[api]\nsamples = 'x'\n", "[api] unknown key 'samples'; did you mean [paths] samples?"),
    ("port = 1\n", "'port' is outside any section; did you mean [api] port?"),
    ("[colours]\nred = 1\n", "unknown section [colours]"),
    ("[api]\nport = 'x'\n", "[api] port must be a whole number, got 'x'"),
    ("[api]\nport = true\n", "[api] port must be a whole number"),
    ("[api]\nport = 70000\n", "[api] port must be between 0 and 65535, got 70000"),
    ("[api]\npassword_cost = 8\n", "[api] password_cost must be between 10 and 16, got 8"),
    ("[api]\ncors_origins = 'http://a'\n", "[api] cors_origins must be a list of texts"),
    ("[syslog]\nalert_severity = 'loud'\n", "[syslog] alert_severity must be a syslog severity"),
    ("[poll]\nshard = '3/2'\n", "[poll] shard must be K/N with 1 <= K <= N"),
    ("[api]\nport = \n", "not valid TOML"),
])
def test_a_bad_file_is_refused_naming_the_file_the_section_and_the_key(tmp_path, text, words):
    path = write(tmp_path, text)
    message = refused(path)
    assert str(path) in message and words in message


def test_a_secret_value_is_never_quoted_nor_printed(tmp_path, monkeypatch):
    monkeypatch.setitem(config.SECTIONS, "vault", config.Section("a test section", {
        "password": config.setting("", str, "a secret", lambda v: None if len(v) >= 8 else "at least 8 long",
                                   secret=True)}))
    message = refused(write(tmp_path, "[vault]\npassword = 'hunter2'\n"))
    assert "[vault] password must be at least 8 long" in message and "hunter2" not in message
    message = refused(write(tmp_path, "[vault]\npassword = 12345678\n"))
    assert "[vault] password must be text" in message and "12345678" not in message
    cfg = config.load(write(tmp_path, "[vault]\npassword = 'correct horse'\n"), environ=NO_ENV)
    assert "correct horse" not in config.describe(cfg) and config.MASK in config.describe(cfg)
    assert "correct horse" not in config.dump(cfg)


def test_a_missing_file_named_by_the_user_is_an_error(tmp_path):
    assert "does not exist" in refused(tmp_path / "nope.toml")


# ------------------------------------------------------------------ which file

def test_which_file_flag_then_environment_then_the_checkouts_or_the_installed_one(tmp_path, monkeypatch):
    assert config.config_file("/a.toml", {"VIGIE_CONFIG": "/b.toml"}) == (Path("/a.toml"), "flag --config")
    assert config.config_file(None, {"VIGIE_CONFIG": "/b.toml"}) == (Path("/b.toml"), "env VIGIE_CONFIG")
    assert config.config_file(None, {"VIGIE_CONFIG": ""}) == (None, "env VIGIE_CONFIG")
    monkeypatch.setattr(config, "CHECKOUT_FILE", tmp_path / "data" / "vigie.toml")
    assert config.config_file(None, {}, checkout=True) == (None, "checkout")
    write(tmp_path / "data" if (tmp_path / "data").mkdir() is None else tmp_path, "")
    assert config.config_file(None, {}, checkout=True) == (tmp_path / "data" / "vigie.toml", "checkout")
    monkeypatch.setattr(config, "INSTALLED_FILE", tmp_path / "etc" / "vigie.toml")
    with pytest.raises(ConfigError, match="systemd/install.sh writes it"):
        config.config_file(None, {}, checkout=False)
    installed = write((tmp_path / "etc") if (tmp_path / "etc").mkdir() is None else tmp_path, "")
    assert config.config_file(None, {}, checkout=False) == (installed, "installed")


def test_a_checkout_is_told_by_its_pyproject(tmp_path):
    assert config.is_checkout(REPO)
    assert not config.is_checkout(tmp_path)


# ------------------------------------------------------------------ flags

def parser_with(*flags):
    parser = argparse.ArgumentParser()
    config.add_options(parser, flags)
    return parser


def test_a_flag_overrides_the_file_for_one_run_and_a_flag_not_given_does_not(tmp_path):
    path = write(tmp_path, '[paths]\nsamples = "/from/file"\nlogs = "/from/file/logs"\n')
    parser = parser_with(Flag("--samples", "paths.samples"), Flag("--logs", "paths.logs"),
                         Flag("--cors-origin", "api.cors_origins", dest="cors", append=True),
                         Flag("--metrics-open", "api.metrics_open", const=True))
    args = parser.parse_args(["--config", str(path), "--samples", "/from/flag", "--cors-origin", "http://a",
                              "--cors-origin", "http://b", "--metrics-open"])
    cfg = config.from_args(args, environ=NO_ENV)
    assert args.samples == "/from/flag" and cfg.origin("paths.samples") == "flag --samples"
    assert args.logs == "/from/file/logs" and cfg.origin("paths.logs") == f"file {path}"
    assert args.cors == ["http://a", "http://b"] and cfg.get("api.metrics_open") is True


def test_a_namespace_parsed_alone_holds_the_built_in_defaults():
    args = parser_with(Flag("--concurrency", "poll.concurrency"), Flag("--samples", "paths.samples")).parse_args([])
    assert args.concurrency == 32 and args.samples == config.builtin()["paths"]["samples"]


def test_a_bad_flag_value_names_the_flag():
    parser = parser_with(Flag("--concurrency", "poll.concurrency"))
    with pytest.raises(ConfigError, match="--concurrency must be at least 1, got 0"):
        config.from_args(parser.parse_args(["--concurrency", "0"]), environ={"VIGIE_CONFIG": ""})


# ------------------------------------------------------------------ writing

def test_the_template_sets_what_is_chosen_and_leaves_the_rest_at_its_default(tmp_path):
    text = config.template({"paths.data": "/var/lib/vigie", "api.port": 8181})
    assert "#workers = 2" in text and "# gunicorn worker processes" in text
    cfg = config.load(write(tmp_path, text), environ=NO_ENV)
    assert cfg["paths"]["data"] == "/var/lib/vigie" and cfg["paths"]["samples"] == "/var/lib/vigie/samples"
    assert cfg["api"]["port"] == 8181 and cfg.origin("api.workers") == "default"


def test_a_dump_reads_back_as_the_same_configuration(tmp_path):
    cfg = config.load(write(tmp_path, '[paths]\ndata = "/d"\n[api]\ncors_origins = ["http://a"]\n'),
                      environ=NO_ENV)
    again = config.load(write(tmp_path, config.dump(cfg), "dump.toml"), environ=NO_ENV)
    assert again.values == cfg.values


# ------------------------------------------------------------------ commands

def vigie(*args, env=None):
    return subprocess.run([sys.executable, "-m", "vigie", *map(str, args)], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env=env)


def test_vigie_config_prints_each_value_and_where_it_came_from(tmp_path):
    path = write(tmp_path, '[api]\nport = 9090\n')
    result = vigie("config", "--config", path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines["api.port"].split()[1:] == ["9090", "file", str(path)]
    assert lines["api.url"].split()[1] == "http://127.0.0.1:9090"
    assert lines["api.workers"].split()[1:] == ["2", "default"]
    assert vigie("config", "--config", path, "--get", "api.port", "api.url").stdout == \
        "9090\nhttp://127.0.0.1:9090\n"


def test_vigie_config_refuses_a_bad_file_with_status_2(tmp_path):
    result = vigie("config", "--config", write(tmp_path, "[api]\nprot = 1\n"))
    assert result.returncode == 2 and "did you mean 'port'" in result.stderr


ENTRY_POINTS = [["api.py", "serve"], ["api.py", "adduser", "x", "--role", "viewer"], ["api.py", "mktoken", "x", "--out", "/nonexistent/token"],
                ["api.py", "tokens"], ["api.py", "revoke", "x"], ["-m", "collector.poll"], ["-m", "collector.watch"],
                ["-m", "collector.syslog"], ["-m", "collector.traps"], ["-m", "collector.status"],
                ["-m", "collector.generate"], ["-m", "site_builder"], ["-m", "vigie.notify"], ["-m", "vigie.metrics"],
                ["-m", "vigie.run"], ["-m", "collector.import_devices", "devices.csv"], ["-m", "collector.discover"],
                ["-m", "vigie", "parents"]]


@pytest.mark.parametrize("command", ENTRY_POINTS, ids=" ".join)
def test_every_command_reads_the_file_given_and_refuses_a_bad_one(tmp_path, command):
    good = write(tmp_path, '[paths]\ndata = "/srv/somewhere"\n')
    result = subprocess.run([sys.executable, *command, "--config", str(good), "--show-config"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    shown = "generate.count" if "collector.generate" in command else "paths.data  "
    assert f"configuration file: {good}" in result.stdout and shown in result.stdout
    bad = write(tmp_path, "[paths]\ndta = 1\n", "bad.toml")
    result = subprocess.run([sys.executable, *command, "--config", str(bad)], capture_output=True, text=True,
                            timeout=60, cwd=REPO, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and f"{bad}: [paths] unknown key 'dta'; did you mean 'data'?" in result.stderr


def test_the_notifier_applies_the_channel_policy_the_api_applies(tmp_path):
    """One file: the networks refused when a channel is saved are those refused when a message leaves."""
    from vigie.notify.__main__ import settings_of

    cfg = config.load(write(tmp_path, '[api]\nchannel_refused_networks = ["10.0.0.0/8"]\nchannel_headers = true\n'),
                      environ=NO_ENV)
    policy = settings_of(cfg).channel_policy
    assert policy.refused_networks == ("10.0.0.0/8",) and policy.headers is True
    assert settings_of(config.builtin()).channel_policy.refused_networks[0] == "169.254.0.0/16"
