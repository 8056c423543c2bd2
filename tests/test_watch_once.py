"""`python -m collector.watch --once` against the real API server: exit codes and the folder afterwards."""

import os
import socket
import time

import pytest
import requests

from vigie.alert_file import render, source_id, parse
from tests.support.api_server import start_api
from tests.support.watcher import (
    STRAY_KINDS, adopt_strays, assert_stray_rejected, files_below, files_in, make_stray, messages_in_db, record,
    run_once, token_file, write_alerts, write_big_alerts, write_in_place,
)

pytestmark = pytest.mark.slow

BAD_FILES = {
    "bad-severity.txt": (render(record(1)).replace("ERROR", "PANIC"), "line 3: unknown severity 'PANIC'"),
    "bad-lines.txt": ("Date : 2026-11-22T10:15:03+00:00\n", "expected 7 lines, found 1"),
    "bad-utf8.txt": (None, "line 4: not valid UTF-8"),
    "bad-empty.txt": ("", "expected 7 lines, found 0"),
}


def write_bad_files(folder):
    for name, (text, _) in BAD_FILES.items():
        if text is None:
            (folder / name).write_bytes(render(record(2)).encode().replace(b"m-2", b"m-\xff2"))
        else:
            write_in_place(folder, name, text)


@pytest.fixture(scope="module")
def reading_server(tmp_path_factory):
    """One server for the tests whose runs send it nothing that gets in."""
    server = start_api(tmp_path_factory.mktemp("reading"))
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_once_ingests_everything_rejects_bad_files_and_exits_0(api_server, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    expected = write_alerts(drop, 0, 1200)
    write_bad_files(drop)
    result = run_once(drop, api_server.url, token_file(tmp_path, api_server.operator), "--batch-size", "500")
    assert result.returncode == 0, result.stderr
    assert sorted(messages_in_db(api_server.db_path)) == sorted(expected)
    assert files_in(drop) == []
    assert files_in(drop / "done") == sorted(f"m-{i:06d}.txt" for i in range(1200))
    assert files_in(drop / "rejected") == sorted(BAD_FILES)
    for name, (_, words) in BAD_FILES.items():
        assert (drop / "rejected" / f"{name}.reason").read_text().startswith(words)
    assert "1204 file(s): 1200 in, 4 rejected, 0 left for the next run" in result.stderr
    assert result.stderr.count("batch of") == 3  # one log line per batch, not per file
    assert files_below(drop / "processing") == []


def test_once_sends_the_source_id_so_a_file_sent_again_makes_no_duplicate(api_server, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 10)
    token = token_file(tmp_path, api_server.operator)
    assert run_once(drop, api_server.url, token).returncode == 0
    for path in (drop / "done").glob("*.txt"):  # the same files dropped again, as after a crash
        path.rename(drop / path.name)
    assert run_once(drop, api_server.url, token).returncode == 0
    assert len(messages_in_db(api_server.db_path)) == 10
    text = (drop / "done" / "m-000003.txt").read_text()
    expected_id = source_id(parse(text), "m-000003.txt")
    answer = requests.get(api_server.url + "/api/alert", params={"q": "m-3", "limit": 50},
                          headers=api_server.viewer.headers, timeout=10).json()
    assert [a["source_id"] for a in answer["results"] if a["message"] == "m-3"] == [expected_id]


def test_once_exits_1_and_keeps_every_good_file_when_the_api_is_unreachable(tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    names = sorted(f"m-{i:06d}.txt" for i in range(30))
    write_alerts(drop, 0, 30)
    token = tmp_path / "token"
    token.write_text("whatever\n")
    result = run_once(drop, f"http://127.0.0.1:{free_port()}", token)
    assert result.returncode == 1
    assert files_in(drop) == names
    assert files_in(drop / "rejected") == [] and files_in(drop / "done") == []
    assert files_below(drop / "processing") == []
    assert "30 left for the next run" in result.stderr
    assert "giving up for now" in result.stderr


def test_once_exits_1_and_keeps_files_when_the_token_is_refused(reading_server, tmp_path):
    api_server = reading_server
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 5)
    token = tmp_path / "token"
    token.write_text("not-a-valid-token\n")
    result = run_once(drop, api_server.url, token)
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr
    assert len(files_in(drop)) == 5 and files_in(drop / "rejected") == []
    assert "not-a-valid-token" not in result.stderr


def test_once_viewer_token_is_refused_and_files_stay(reading_server, tmp_path):
    api_server = reading_server
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 3)
    result = run_once(drop, api_server.url, token_file(tmp_path, api_server.viewer))
    assert result.returncode == 1
    assert "HTTP 403" in result.stderr
    assert len(files_in(drop)) == 3


def test_once_exits_2_without_a_token(tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 2)
    result = run_once(drop, "http://127.0.0.1:9", tmp_path / "no-such-token")
    assert result.returncode == 2
    assert "mktoken" in result.stderr
    assert len(files_in(drop)) == 2


def test_once_exits_2_when_the_folder_does_not_exist(tmp_path):
    token = tmp_path / "token"
    token.write_text("t\n")
    result = run_once(tmp_path / "nope", "http://127.0.0.1:9", token)
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_once_splits_batches_the_api_finds_too_large(tmp_path):
    server = start_api(tmp_path, settings={"max_batch": 40})
    try:
        drop = tmp_path / "alertfiles"
        drop.mkdir()
        expected = write_alerts(drop, 0, 250)
        result = run_once(drop, server.url, token_file(tmp_path, server.operator), "--batch-size", "100")
        assert result.returncode == 0, result.stderr
        assert sorted(messages_in_db(server.db_path)) == sorted(expected)
        assert files_in(drop / "rejected") == []
    finally:
        server.stop()


def test_once_keep_days_0_deletes_ingested_files(api_server, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 20)
    result = run_once(drop, api_server.url, token_file(tmp_path, api_server.operator), "--keep-days", "0")
    assert result.returncode == 0, result.stderr
    assert len(messages_in_db(api_server.db_path)) == 20
    assert files_below(drop) == []


def test_once_leaves_a_file_still_being_written(api_server, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    expected = write_alerts(drop, 0, 5)
    text = render(record(99, "late"))
    with open(drop / "late.txt", "w", encoding="utf-8") as writer:
        writer.write(text[:40])
        writer.flush()
        result = run_once(drop, api_server.url, token_file(tmp_path, api_server.operator))
        assert result.returncode == 0, result.stderr
        assert "1 still being written" in result.stderr
        assert files_in(drop) == ["late.txt"] and files_in(drop / "rejected") == []
        writer.write(text[40:])
    assert sorted(messages_in_db(api_server.db_path)) == sorted(expected)
    assert run_once(drop, api_server.url, token_file(tmp_path, api_server.operator)).returncode == 0
    assert sorted(messages_in_db(api_server.db_path)) == sorted(expected + ["late-99"])


# Root without CAP_LEASE, reading files another user owns: the kernel grants no lease,
# as for a watcher running as its own user on files another program drops.
WITHOUT_LEASES = ("setpriv", "--bounding-set", "-lease", "--inh-caps", "-lease")
OTHER_USER = 65534


def test_once_without_leases_takes_a_file_only_once_untouched_for_the_settle_time(api_server, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    expected = write_alerts(drop, 0, 3)
    old = time.time() - 30
    for path in drop.iterdir():
        os.chown(path, OTHER_USER, OTHER_USER)
        os.utime(path, (old, old))
    text = render(record(99, "late"))
    token = token_file(tmp_path, api_server.operator)
    with open(drop / "late.txt", "w", encoding="utf-8") as writer:
        os.chown(drop / "late.txt", OTHER_USER, OTHER_USER)
        writer.write(text[:40])
        writer.flush()
        result = run_once(drop, api_server.url, token, "--settle", "3", prefix=WITHOUT_LEASES)
        assert result.returncode == 0, result.stderr
        assert "3 in" in result.stderr and "1 still being written" in result.stderr, result.stderr
        assert files_in(drop) == ["late.txt"]
        writer.write(text[40:])
    assert sorted(messages_in_db(api_server.db_path)) == sorted(expected)
    # Just finished: still too fresh to tell from a writer pausing.
    assert "1 still being written" in run_once(drop, api_server.url, token, "--settle", "3",
                                               prefix=WITHOUT_LEASES).stderr
    settled = time.time() - 4
    os.utime(drop / "late.txt", (settled, settled))
    result = run_once(drop, api_server.url, token, "--settle", "3", prefix=WITHOUT_LEASES)
    assert result.returncode == 0 and "1 in" in result.stderr, result.stderr
    assert sorted(messages_in_db(api_server.db_path)) == sorted(expected + ["late-99"])
    assert (drop / "done" / "late.txt").read_text() == text


def test_once_prunes_done_files_older_than_keep_days(reading_server, tmp_path):
    api_server = reading_server
    import os
    import time

    drop = tmp_path / "alertfiles"
    (drop / "done").mkdir(parents=True)
    old, recent = drop / "done" / "old.txt", drop / "done" / "recent.txt"
    for path, age_days in ((old, 8), (recent, 6)):
        path.write_text("x")
        moment = time.time() - age_days * 86400
        os.utime(path, (moment, moment))
    result = run_once(drop, api_server.url, token_file(tmp_path, api_server.operator), "--keep-days", "7")
    assert result.returncode == 0, result.stderr
    assert not old.exists() and recent.exists()
    assert "pruned 1 file(s)" in result.stderr


def test_an_alert_the_api_refuses_goes_to_rejected_with_its_reason_and_the_rest_go_in(api_server, tmp_path):
    from collector.watch.api_client import AlertClient
    from collector.watch.cli import build_parser
    from collector.watch.drop_folder import DropFolder
    from collector.watch.ingest import Pump

    drop = tmp_path / "alertfiles"
    drop.mkdir()
    write_alerts(drop, 0, 6)
    folder = DropFolder(drop)
    folder.open()
    client = AlertClient(api_server.url, lambda: api_server.operator.token)
    try:
        pump = Pump(build_parser().parse_args(["--keep-days", "7"]), folder, client)
        items = pump.prepare([folder.claim(p) for p in folder.scan()])
        items[3][1]["severity"] = "PANIC"  # as if the API's checks were stricter than the file format's
        assert pump.send(items) == []
    finally:
        client.close()
        folder.close()
    assert sorted(messages_in_db(api_server.db_path)) == sorted(f"m-{i}" for i in range(6) if i != 3)
    assert files_in(drop / "rejected") == ["m-000003.txt"]
    reason = (drop / "rejected" / "m-000003.txt.reason").read_text()
    assert reason.startswith("the API refused it: alert 3: unknown severity 'PANIC'")
    assert "(field severity)" in reason
    assert len(files_in(drop / "done")) == 5


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory):
    """One server for tests that tell their alerts apart by tag."""
    server = start_api(tmp_path_factory.mktemp("shared"))
    yield server
    server.stop()


def tagged(db_path, tag) -> list:
    return sorted(m for m in messages_in_db(db_path) if m.startswith(tag + "-"))


@pytest.mark.parametrize("kind", sorted(STRAY_KINDS))
def test_once_moves_what_is_not_a_regular_file_to_rejected_unread(shared_api, tmp_path, kind):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    expected = write_alerts(drop, 0, 5, tag=f"once-{kind}")
    make_stray(drop, "stray.txt", kind)
    result = run_once(drop, shared_api.url, token_file(tmp_path, shared_api.operator), timeout=30)
    assert result.returncode == 0, result.stderr
    assert tagged(shared_api.db_path, f"once-{kind}") == sorted(expected)
    assert files_in(drop) == [] and files_below(drop / "processing") == []
    assert files_in(drop / "rejected") == ["stray.txt"]
    assert_stray_rejected(drop, "stray.txt", kind)
    assert "6 file(s): 5 in, 1 rejected" in result.stderr


def test_once_rejects_strays_a_stopped_watcher_had_claimed_instead_of_hanging_on_them(shared_api, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    strays = adopt_strays(drop)
    expected = write_alerts(drop, 0, 5, tag="once-adopted")
    result = run_once(drop, shared_api.url, token_file(tmp_path, shared_api.operator), timeout=30)
    assert result.returncode == 0, result.stderr
    assert tagged(shared_api.db_path, "once-adopted") == sorted(expected)
    assert files_in(drop / "rejected") == sorted(strays)
    for name, kind in zip(strays, sorted(STRAY_KINDS)):
        assert_stray_rejected(drop, name, kind)
    assert not (drop / "processing" / "dead-watcher").exists()


def test_once_sends_500_files_of_32_kb_under_the_apis_body_limit(shared_api, tmp_path):
    drop = tmp_path / "alertfiles"
    drop.mkdir()
    expected = write_big_alerts(drop, 0, 500, tag="oncebig")
    assert 30_000 < (drop / "oncebig-000000.txt").stat().st_size < 34_000  # 500 of them: about twice 8 MiB
    expected += write_alerts(drop, 0, 10, tag="onceafter")
    result = run_once(drop, shared_api.url, token_file(tmp_path, shared_api.operator), timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(tagged(shared_api.db_path, "oncebig") + tagged(shared_api.db_path, "onceafter")) == sorted(expected)
    assert files_in(drop / "rejected") == [] and len(files_in(drop / "done")) == 510
    assert "510 file(s): 510 in, 0 rejected" in result.stderr


def test_once_splits_a_batch_the_api_refuses_with_413_before_reading_it(tmp_path):
    server = start_api(tmp_path, settings={"max_body_bytes": 1024 * 1024})
    try:
        drop = tmp_path / "alertfiles"
        drop.mkdir()
        expected = write_big_alerts(drop, 0, 200, tag="split")  # 6 MB, over 1 MiB
        result = run_once(drop, server.url, token_file(tmp_path, server.operator), timeout=60)
        assert result.returncode == 0, result.stderr
        assert sorted(messages_in_db(server.db_path)) == sorted(expected)
        assert files_in(drop / "rejected") == []
        assert "as too large" in result.stderr and "--batch-bytes" in result.stderr
    finally:
        server.stop()
