"""The systemd units in systemd/: checked by systemd's own tools.

`systemd-analyze verify` exits 0 on unknown keys and on a timer whose service
is missing, so the tests read its stderr and check the timer/service pairs
themselves. Exposure scores come from `systemd-analyze security --offline`,
which reads the units with their drop-ins (the shared sandbox,
systemd/vigie-.service.d/), as systemd does.
"""

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNIT_DIR = REPO / "systemd"
SERVICES = sorted(p.name for p in UNIT_DIR.glob("*.service"))
TIMERS = sorted(p.name for p in UNIT_DIR.glob("*.timer"))
SOCKETS = sorted(p.name for p in UNIT_DIR.glob("*.socket"))
DROPINS = sorted(str(p.relative_to(UNIT_DIR)) for p in UNIT_DIR.glob("*.d/*.conf"))
SANDBOX = UNIT_DIR / "vigie-.service.d" / "10-sandbox.conf"
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def read_unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    text = Path(path).read_text()
    # Repeated keys (SystemCallFilter=...) would clash in configparser: keep the last.
    parser.read_string(text)
    return parser


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The units with /opt/vigie pointing at a stand-in prefix whose programs exist,
    as install.sh --prefix renders them."""
    root = tmp_path_factory.mktemp("units")
    prefix = root / "prefix"
    (prefix / ".venv" / "bin").mkdir(parents=True)
    (prefix / ".venv" / "bin" / "python").symlink_to(sys.executable)
    out = root / "units"
    out.mkdir()
    for name in SERVICES + TIMERS + SOCKETS + DROPINS:
        text = (UNIT_DIR / name).read_text().replace("/opt/vigie", str(prefix))
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text(text)
    return out


def effective(service):
    """The [Service] settings of a unit as systemd sees them: the unit file, then its
    drop-ins (prefix ones first), a later value replacing an earlier one."""
    settings = dict(read_unit(UNIT_DIR / service)["Service"])
    prefix = service.split("-")[0] + "-.service.d"
    for folder in (prefix, service + ".d"):
        for dropin in sorted((UNIT_DIR / folder).glob("*.conf")):
            settings.update(read_unit(dropin)["Service"])
    return settings


def verify(paths):
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )


def test_units_are_there():
    assert {"vigie-api.service", "vigie-watch.service", "vigie-watchd.service",
            "vigie-generate.service", "vigie-poll.service", "vigie-build.service"} <= set(SERVICES)
    assert {"vigie-watch.timer", "vigie-generate.timer", "vigie-build.timer"} <= set(TIMERS)


@pytest.mark.parametrize("name", SERVICES + TIMERS + SOCKETS)
def test_verify_passes_without_warning(rendered, name):
    result = verify([rendered / name])
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_verify_would_report_an_unknown_key(rendered, tmp_path):
    """The check above can fail: a misspelt key shows on stderr."""
    bad = tmp_path / "vigie-poll.service"
    bad.write_text((rendered / "vigie-poll.service").read_text().replace(
        "TimeoutStopSec=", "TimeoutStopSecs="))
    result = verify([bad])
    assert "TimeoutStopSecs" in result.stderr
    dropin = tmp_path / "vigie-.service.d" / "10-sandbox.conf"  # and in the shared drop-in
    dropin.parent.mkdir()
    dropin.write_text(SANDBOX.read_text().replace("ProtectHome=yes", "ProtectHomes=yes"))
    assert "ProtectHomes" in verify([bad]).stderr


@pytest.mark.parametrize("timer", TIMERS)
def test_each_timer_has_its_service(timer):
    unit = read_unit(UNIT_DIR / timer)
    service = unit["Timer"].get("Unit", timer.replace(".timer", ".service"))
    assert (UNIT_DIR / service).is_file(), f"{timer} starts {service}, which is missing"
    assert read_unit(UNIT_DIR / service)["Service"]["Type"] == "oneshot", \
        "a timer's service is a oneshot, so a run still going is never started twice"


@pytest.mark.parametrize("timer", TIMERS)
def test_timer_schedules_parse(timer):
    section = read_unit(UNIT_DIR / timer)["Timer"]
    assert "AccuracySec" in section, "the 1-minute default accuracy is too coarse"
    specs = [v for k, v in section.items() if k == "OnCalendar"]
    spans = [v for k, v in section.items()
             if k in ("OnActiveSec", "OnBootSec", "OnUnitActiveSec", "AccuracySec", "RandomizedDelaySec")]
    assert specs or any(k.startswith("On") for k in section), f"{timer} never fires"
    for spec in specs:
        result = subprocess.run(["systemd-analyze", "calendar", spec],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{timer}: OnCalendar={spec}: {result.stderr}"
        assert "Next elapse:" in result.stdout
    for span in spans:
        result = subprocess.run(["systemd-analyze", "timespan", span],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{timer}: {span}: {result.stderr}"


def test_calendar_check_would_reject_a_bad_spec():
    result = subprocess.run(["systemd-analyze", "calendar", "*:0/75:99"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0


def test_poller_is_a_service_that_keeps_each_machines_interval():
    """A timer running `poll --once` every minute would poll every machine every minute,
    whatever its `interval`: the poller runs as a service with its own schedule."""
    assert not (UNIT_DIR / "vigie-poll.timer").exists()
    unit = read_unit(UNIT_DIR / "vigie-poll.service")
    assert unit["Service"]["Type"] == "exec" and "--once" not in unit["Service"]["ExecStart"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def exposure(path):
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


@pytest.mark.parametrize("service", SERVICES)
def test_security_exposure_is_low(rendered, service):
    score = exposure(rendered / service)
    assert score <= MAX_EXPOSURE, f"{service}: exposure {score} > {MAX_EXPOSURE}"


def test_exposure_check_would_catch_a_plain_service(tmp_path):
    plain = tmp_path / "plain.service"
    plain.write_text("[Service]\nExecStart=/bin/true\n")
    assert exposure(plain) > MAX_EXPOSURE


def test_the_score_comes_from_the_shared_drop_in(rendered, tmp_path):
    """Without systemd/vigie-.service.d/ next to it, a unit alone is far from sandboxed."""
    alone = tmp_path / "vigie-api.service"
    alone.write_text((rendered / "vigie-api.service").read_text())
    assert exposure(alone) > MAX_EXPOSURE


def test_the_sandbox_is_written_once():
    """No unit repeats a setting of the shared drop-in; each names its own address families,
    which the drop-in cannot hold (systemd merges those lists instead of replacing them)."""
    shared = set(read_unit(SANDBOX)["Service"])
    assert {"User", "ProtectSystem", "SystemCallFilter", "CapabilityBoundingSet"} <= shared
    assert "RestrictAddressFamilies" not in shared
    for service in SERVICES:
        own = set(read_unit(UNIT_DIR / service)["Service"])
        assert not own & shared, f"{service} repeats {sorted(own & shared)}"
        assert "RestrictAddressFamilies" in own, service


@pytest.mark.parametrize("service", SERVICES)
def test_services_run_sandboxed_as_vigie(service):
    section = effective(service)
    assert section["User"] == "vigie"
    assert section["ProtectSystem"] == "strict"
    assert section["CapabilityBoundingSet"] == ""
    assert section["StateDirectory"] == "vigie"
    if section["Type"] == "oneshot":
        assert "TimeoutStartSec" in section
    else:
        assert section["Restart"] == "on-failure"


SECRET_WORDS = re.compile(r"community|password|passwd|priv_key|auth_key|token=|Bearer", re.I)


@pytest.mark.parametrize("name", SERVICES + TIMERS + SOCKETS + DROPINS)
def test_no_secret_in_unit_files(name):
    for line in (UNIT_DIR / name).read_text().splitlines():
        if line.startswith("#"):
            continue
        # The watcher's token arrives as a credential, by file name only.
        assert not SECRET_WORDS.search(line.replace("watcher.token", "")), line


@pytest.mark.parametrize("name", SERVICES)
def test_entry_points_named_by_units_exist(name):
    for line in (UNIT_DIR / name).read_text().splitlines():
        if not line.startswith("ExecStart="):
            continue
        words = line.split("=", 1)[1].split()
        if "-m" in words:
            module = words[words.index("-m") + 1].replace(".", "/")
            assert (REPO / f"{module}.py").is_file() or (REPO / module / "__main__.py").is_file(), line
        for word in words:
            if word.startswith("/opt/vigie/") and ".venv" not in word:
                assert (REPO / word.removeprefix("/opt/vigie/")).is_file(), line


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_given_only_the_configuration(name):
    """Folders, addresses and settings live in /etc/vigie/vigie.toml, which every command reads:
    a unit passing a folder of its own is how the API once read empty folders while the
    collector wrote elsewhere."""
    unit = read_unit(UNIT_DIR / name)["Service"]
    words = unit["ExecStart"].split()
    assert words[-2:] == ["--config", "/etc/vigie/vigie.toml"] or \
        words[-3:-1] == ["--config", "/etc/vigie/vigie.toml"] and words[-1] == "--once", unit["ExecStart"]
    for word in words[:-2]:
        assert not word.startswith(("/var/lib/vigie", "/etc/vigie", "${", "--")) or word == "--once", word
    assert "Environment" not in unit and "EnvironmentFile" not in unit


def test_the_trap_handler_is_given_only_the_configuration():
    text = (UNIT_DIR / "traps.sh").read_text()
    line = next(line for line in text.splitlines() if line.startswith("traphandle"))
    assert line.endswith("-m collector.traps --config $CONFIG") and "$STATE" not in line


@pytest.mark.parametrize("script", ["install.sh", "uninstall.sh"])
def test_scripts_parse_and_answer_help(script):
    path = UNIT_DIR / script
    assert subprocess.run(["bash", "-n", str(path)], timeout=30).returncode == 0
    result = subprocess.run(["bash", str(path), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "usage:" in (result.stdout + result.stderr)


def test_install_scripts_know_every_unit_file():
    """common.sh's lists drive install and uninstall: a unit missing there would never be
    installed, or would be left behind."""
    listed = subprocess.run(["bash", "-c", f'. "{UNIT_DIR}/common.sh"; echo $UNITS_SERVICE; echo $UNITS_TIMER; '
                             'echo $UNITS_SOCKET'], capture_output=True, text=True, timeout=30, check=True).stdout.split("\n")
    assert sorted(listed[0].split()) == SERVICES
    assert sorted(listed[1].split()) == TIMERS
    assert sorted(listed[2].split()) == SOCKETS
    dropins = subprocess.run(["bash", "-c", f'. "{UNIT_DIR}/common.sh"; echo $DROPINS'],
                             capture_output=True, text=True, timeout=30, check=True).stdout.split()
    assert sorted(dropins) == DROPINS
