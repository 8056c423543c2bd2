"""How the suite itself runs: `make test`'s two parts and their exit status, and the
parallel run's sharing out of the tests (tests/conftest.py) under pytest-xdist."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAKE_PYTEST = """
import os, sys, time
args = sys.argv[1:]
if "--collect-only" in args:
    with open(sys.argv[0] + ".log", "a") as log:
        log.write("collect\\n")
    sys.exit(0)
part = args[args.index("-m") + 1]
if part.startswith("waits"):
    time.sleep(0.5)   # still running when the other parallel part ends: make waits for it
    print("the waiting part's output")
with open(sys.argv[0] + ".log", "a") as log:
    log.write(" ".join(args) + "\\n")
with open(sys.argv[0] + ".tmpdir", "a") as log:
    log.write(os.environ.get("TMPDIR", "") + "\\n")
sys.exit(int({statuses!r}[part]))
"""


def make_test(tmp_path, parallel: int, serial: int, waiting: int = 0, env=None) -> tuple:
    """`make test` with a stand-in for pytest that exits with `parallel` for the parallel
    part, `waiting` for the part marked waits and `serial` for the serial one; (make's
    status, the arguments of each part in the order they ended, make's output)."""
    fake = tmp_path / "fake_pytest.py"
    fake.write_text(FAKE_PYTEST.format(statuses={"not serial and not waits": parallel, "serial": serial,
                                                 "waits and not serial": waiting}))
    run = subprocess.run(["make", "--no-print-directory", "-o", "deps", "test", f"PYTEST={sys.executable} {fake}",
                          "TEST_ARGS=--extra"], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, **(env or {})))
    return run.returncode, (tmp_path / "fake_pytest.py.log").read_text().splitlines(), run.stdout


@pytest.mark.parametrize("parallel, serial, waiting, fails", [
    (0, 0, 0, False),
    (0, 5, 0, False),   # 5: no test is marked serial
    (0, 0, 5, False),   # nor waits
    (1, 0, 0, True),
    (0, 1, 0, True),
    (0, 0, 1, True),
    (1, 1, 1, True),
    (1, 5, 5, True),
    (5, 0, 0, True),    # the parallel part found no test at all
])
def test_make_test_fails_when_any_part_fails_and_always_runs_them_all(tmp_path, parallel, serial, waiting, fails):
    status, parts, output = make_test(tmp_path, parallel, serial, waiting)
    assert (status != 0) is fails
    assert parts == ["collect", "-n auto -m not serial and not waits --extra",
                     "-n 5 -m waits and not serial -o cache_dir=.pytest_cache/waits --extra",
                     "-m serial --extra"]
    assert "the waiting part's output" in output


def test_every_part_gets_the_temporary_folder_the_script_names(tmp_path):
    chosen = tmp_path / "elsewhere"
    chosen.mkdir()
    status, _, _ = make_test(tmp_path, 0, 0, env={"TEST_TMPDIR": str(chosen), "TMPDIR": "/nowhere"})
    assert status == 0
    assert (tmp_path / "fake_pytest.py.tmpdir").read_text().splitlines() == [str(chosen)] * 3


def temporary_folder(env: dict) -> str:
    run = subprocess.run(["bash", str(REPO / "scripts" / "test-tmpdir.sh")], capture_output=True, text=True,
                         timeout=10, env={key: value for key, value in dict(os.environ, **env).items()
                                          if key != "TEST_TMPDIR"})
    assert run.returncode == 0 and run.stderr == "", run.stderr
    return run.stdout.strip()


def file_system(path) -> str:
    return subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True).stdout.strip()


def test_the_temporary_folder_is_a_private_one_in_memory_when_a_tmpfs_has_room(tmp_path):
    shm = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        assert file_system(shm) == "tmpfs"
        folder = shm / f"vigie-tests-{os.getuid()}"
        assert temporary_folder({"VIGIE_TEST_SHM": str(shm), "TMPDIR": "/usual"}) == str(folder)
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert temporary_folder({"VIGIE_TEST_SHM": str(shm), "TMPDIR": "/usual"}) == str(folder), "found again"
        folder.rmdir()
        folder.symlink_to(tmp_path)   # made by someone else: never followed
        assert temporary_folder({"VIGIE_TEST_SHM": str(shm), "TMPDIR": "/usual"}) == "/usual"
    finally:
        shutil.rmtree(shm)


def test_the_temporary_folder_is_the_usual_one_without_a_tmpfs():
    on_disk = next(path for path in (REPO, Path("/var/tmp"), Path("/"))
                   if file_system(path) not in ("tmpfs", "") and os.access(path, os.W_OK))
    assert temporary_folder({"VIGIE_TEST_SHM": str(on_disk), "TMPDIR": "/usual"}) == "/usual"
    assert not (on_disk / f"vigie-tests-{os.getuid()}").exists()
    assert temporary_folder({"VIGIE_TEST_SHM": "/no/such/folder"}) == os.environ.get("TMPDIR", "/tmp")


SHARED_MODULE = """
import os, time
import pytest

def note(name, text):
    with open(os.path.join(os.environ["RUN_LOG"], name), "a") as log:
        log.write(text + "\\n")

@pytest.fixture(scope="module")
def world():
    note("made", os.environ["PYTEST_XDIST_WORKER"])
    return "world"

@pytest.mark.parametrize("n", range(6))
def test_shared(world, n):
    time.sleep(0.3)
    note("ran", "shared " + os.environ["PYTEST_XDIST_WORKER"] + " " + os.environ["PYTEST_XDIST_WORKER_COUNT"])
"""

ALONE_MODULE = """
import os, time
import pytest
from test_shared import note

@pytest.mark.parametrize("n", range(6))
def test_alone(n):
    time.sleep(0.2)
    note("ran", "alone " + os.environ["PYTEST_XDIST_WORKER"] + " " + os.environ["PYTEST_XDIST_WORKER_COUNT"])
"""


@pytest.mark.slow
def test_tests_sharing_a_module_fixture_run_on_one_worker_and_the_others_spread(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems, pytest_xdist_auto_num_workers  # noqa: F401\n")
    (suite / "test_shared.py").write_text(textwrap.dedent(SHARED_MODULE))
    (suite / "test_alone.py").write_text(textwrap.dedent(ALONE_MODULE))
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_AUTO_NUM_WORKERS"}
    env.update(RUN_LOG=str(logs), PYTHONPATH=f"{REPO}:{suite}")
    run = subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pytest.ini"), "-n", "auto", "-q",
                          "-p", "no:cacheprovider", str(suite)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert len((logs / "made").read_text().splitlines()) == 1, "the module's fixture was made once"
    ran = [line.split() for line in (logs / "ran").read_text().splitlines()]
    assert len(ran) == 12
    assert len({worker for kind, worker, _ in ran if kind == "shared"}) == 1
    assert len({worker for _, worker, _ in ran}) >= 2, "the other tests went to the free workers"
    assert {int(count) for _, _, count in ran} == {2 * len(os.sched_getaffinity(0)) + 1}, "-n auto: two per core, and one"


ORDERED_MODULE = """
import os
import pytest

@pytest.fixture(scope="module")
def state():
    return []

@pytest.mark.parametrize("n", [0, 1, pytest.param(2, marks=pytest.mark.long), 3])
def test_in_turn(state, n):
    state.append(n)
    with open(os.path.join(os.environ["RUN_LOG"], "order"), "a") as log:
        log.write(f"{n}\\n")
"""


def test_a_group_holding_a_long_test_goes_first_whole_in_its_module_order(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text("from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n")
    (suite / "test_ordered.py").write_text(textwrap.dedent(ORDERED_MODULE))
    (suite / "test_a_short.py").write_text("def test_short():\n    pass\n")  # before the other by name
    logs = tmp_path / "logs"
    logs.mkdir()
    env = dict(os.environ, RUN_LOG=str(logs), PYTHONPATH=f"{REPO}:{suite}")
    run = subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pytest.ini"), "-n", "1", "-v",
                          "-p", "no:cacheprovider", str(suite)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (logs / "order").read_text().split() == ["0", "1", "2", "3"], "the module's own order"
    passed = [re.search(r"test_\w+\.py", line).group() for line in run.stdout.splitlines() if "PASSED" in line]
    assert passed == ["test_ordered.py"] * 4 + ["test_a_short.py"], run.stdout[-3000:]
