"""The watcher's parts that need no API: claiming, the folder life cycle, answers, tokens, options."""

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from collector.watch import api_client, cli as watch
from collector.watch.api_client import ACCEPTED, ITEM_REFUSED, SETUP, SPLIT, UNAVAILABLE, classify, read_token
from vigie.alert_file import render
from collector.watch.drop_folder import DropFolder, free_name, is_alert_file_name, open_for_writing, read_limited
from tests.support.watcher import REPO_ROOT, STRAY_KINDS, make_stray, record


def make_files(folder, count, tag="u"):
    return [write(folder / f"{tag}-{i}.txt", render(record(i, tag))) for i in range(count)]


@pytest.mark.parametrize("name, wanted", [
    ("a.txt", True), ("alert-000001.txt", True), (".a.txt", False), (".a.txt.part", False),
    ("a.txt.tmp", False), ("a.csv", False), ("a.reason", False),
])
def test_only_txt_files_not_starting_with_a_dot_are_alert_files(name, wanted):
    assert is_alert_file_name(name) is wanted


def test_two_watchers_claiming_the_same_files_never_both_get_one(tmp_path):
    files = make_files(tmp_path, 200)
    a, b = DropFolder(tmp_path), DropFolder(tmp_path)
    a.open(), b.open()
    got_a = [a.claim(p) for p in files[::2]] + [a.claim(p) for p in files[1::2]]
    got_b = [b.claim(p) for p in files]
    taken = [p.name for p in got_a + got_b if p]
    assert sorted(taken) == sorted(p.name for p in files)
    assert len(set(taken)) == 200
    assert a.claim(files[0]) is None


def test_a_claim_never_replaces_a_file_of_the_same_name_in_flight(tmp_path):
    folder = DropFolder(tmp_path)
    folder.open()
    first = tmp_path / "same.txt"
    first.write_text("first")
    claimed = folder.claim(first)
    (tmp_path / "same.txt").write_text("second")
    assert folder.claim(tmp_path / "same.txt") is None
    assert claimed.read_text() == "first"
    assert (tmp_path / "same.txt").read_text() == "second"


def test_close_puts_unsent_files_back_in_the_drop_folder(tmp_path):
    files = make_files(tmp_path, 3)
    folder = DropFolder(tmp_path)
    folder.open()
    for path in files:
        folder.claim(path)
    assert not any(p.exists() for p in files)
    assert folder.close(give_back=True) == 3
    assert all(p.exists() for p in files)
    assert list((tmp_path / "processing").iterdir()) == []


def test_files_of_a_killed_watcher_are_adopted_and_a_live_ones_are_not(tmp_path):
    make_files(tmp_path, 5)
    script = (
        "import sys, time; from collector.watch.drop_folder import DropFolder;"
        "f = DropFolder(sys.argv[1], owner='victim'); f.open();"
        "[f.claim(p) for p in f.scan()]; print('claimed', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "claimed"
        alive_view = DropFolder(tmp_path)
        assert alive_view.open() == []  # its owner holds the lock
        assert len(list((tmp_path / "processing" / "victim").glob("*.txt"))) == 5
        alive_view.close()
    finally:
        child.kill()
        child.wait()
    heir = DropFolder(tmp_path)
    adopted = heir.open()
    assert sorted(p.name for p in adopted) == [f"u-{i}.txt" for i in range(5)]
    assert all(p.parent == heir.mine for p in adopted)
    assert not (tmp_path / "processing" / "victim").exists()


def test_reject_writes_a_reason_beside_the_file(tmp_path):
    folder = DropFolder(tmp_path)
    folder.open()
    path = folder.claim(write(tmp_path / "bad.txt", "garbage"))
    folder.reject(path, "line 3: unknown severity 'PANIC'")
    assert (tmp_path / "rejected" / "bad.txt").read_text() == "garbage"
    reason = (tmp_path / "rejected" / "bad.txt.reason").read_text()
    assert reason.startswith("line 3: unknown severity 'PANIC'\n")


def test_done_and_rejected_never_overwrite_an_earlier_file(tmp_path):
    folder = DropFolder(tmp_path)
    folder.open()
    for text in ("one", "two"):
        folder.finish(folder.claim(write(tmp_path / "x.txt", text)), keep_days=7)
        folder.reject(folder.claim(write(tmp_path / "y.txt", text)), f"reason {text}")
    assert sorted(p.read_text() for p in (tmp_path / "done").iterdir()) == ["one", "two"]
    rejected = sorted(p.read_text() for p in (tmp_path / "rejected").iterdir() if not p.name.endswith(".reason"))
    assert rejected == ["one", "two"]
    reasons = sorted(p.read_text().split("\n")[0] for p in (tmp_path / "rejected").glob("*.reason"))
    assert reasons == ["reason one", "reason two"]


def test_free_name_adds_a_time_suffix_when_taken(tmp_path):
    (tmp_path / "a.txt").write_text("")
    other = free_name(tmp_path, "a.txt")
    assert other.name.startswith("a.") and other.name.endswith(".txt") and other.name != "a.txt"


def test_done_files_are_kept_then_pruned_and_keep_days_zero_deletes(tmp_path):
    folder = DropFolder(tmp_path)
    folder.open()
    folder.finish(folder.claim(write(tmp_path / "old.txt", "old")), keep_days=7)
    folder.finish(folder.claim(write(tmp_path / "new.txt", "new")), keep_days=7)
    old = tmp_path / "done" / "old.txt"
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    assert time.time() - (tmp_path / "done" / "new.txt").stat().st_mtime < 60
    assert folder.prune_done(7) == 1
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["new.txt"]
    folder.finish(folder.claim(write(tmp_path / "gone.txt", "x")), keep_days=0)
    assert not (tmp_path / "done" / "gone.txt").exists() and not (tmp_path / "gone.txt").exists()


def test_open_for_writing_sees_a_writer(tmp_path):
    path = tmp_path / "w.txt"
    with open(path, "w") as writer:
        writer.write("half")
        writer.flush()
        assert open_for_writing(path) is True
    assert open_for_writing(path) is False


def test_read_limited_refuses_huge_files(tmp_path):
    big = write(tmp_path / "big.txt", "x" * 70_000)
    with pytest.raises(ValueError, match="larger than"):
        read_limited(big)


def test_scan_lists_oldest_first_and_skips_temp_names(tmp_path):
    for name, age in (("b.txt", 30), ("a.txt", 10), (".c.txt", 50), ("d.csv", 60)):
        path = write(tmp_path / name, "x")
        os.utime(path, (time.time() - age, time.time() - age))
    (tmp_path / "sub.txt").mkdir()  # listed to be rejected: only regular files are read
    assert [p.name for p in DropFolder(tmp_path).scan()] == ["b.txt", "a.txt", "sub.txt"]


@pytest.mark.parametrize("status, body, size, kind, index", [
    (201, {"ids": [1, 2]}, 2, ACCEPTED, None),
    (200, {"ids": [7], "created": 0}, 1, ACCEPTED, None),
    (200, {"id": 7}, 1, SETUP, None),                     # not an answer to a batch
    (200, None, 3, SETUP, None),                          # an HTML page from a wrong URL
    (201, {"ids": [1]}, 2, SETUP, None),
    (301, None, 2, SETUP, None),
    (400, {"error": "alert 3: unknown severity", "field": "severity", "index": 3}, 5, ITEM_REFUSED, 3),
    (400, {"error": "bad", "field": None, "index": 9}, 5, SPLIT, None),      # index out of range: not trusted
    (400, {"error": "bad", "field": None, "index": True}, 5, SPLIT, None),
    (400, {"error": "bad"}, 1, ITEM_REFUSED, 0),
    (413, {"error": "too many", "index": None}, 50, SPLIT, None),
    (413, {"error": "too big"}, 1, SPLIT, None),
    (401, {"error": "login required"}, 5, SETUP, None),
    (403, {"error": "operator role needed"}, 5, SETUP, None),
    (404, None, 5, SETUP, None),
    (500, None, 5, UNAVAILABLE, None),
    (503, {"error": "busy"}, 5, UNAVAILABLE, None),
    (429, None, 5, UNAVAILABLE, None),
])
def test_classify_rejects_a_file_only_when_the_api_blames_it(status, body, size, kind, index):
    outcome = classify(status, body, size)
    assert (outcome.kind, outcome.index) == (kind, index)


def test_classify_reports_the_api_error_and_field():
    outcome = classify(400, {"error": "alert 0: unknown severity 'X'", "field": "severity", "index": 0}, 1)
    assert outcome.message == "alert 0: unknown severity 'X' (field severity)"


def test_token_comes_from_the_file_or_the_environment(tmp_path):
    path = write(tmp_path / "t", "  abc123\n")
    assert read_token(path, environ={}) == "abc123"
    assert read_token(None, environ={"VIGIE_TOKEN": "fromenv"}) == "fromenv"
    with pytest.raises(ValueError, match="mktoken"):
        read_token(tmp_path / "missing", environ={})
    with pytest.raises(ValueError, match="empty"):
        read_token(write(tmp_path / "e", "\n"), environ={})
    with pytest.raises(ValueError, match="VIGIE_TOKEN"):
        read_token(None, environ={})


def test_explicit_token_file_wins_over_the_environment(tmp_path):
    config = watch.build_parser().parse_args(["--token-file", str(write(tmp_path / "t", "file-token"))])
    assert watch.token_source(config, {"VIGIE_TOKEN": "env-token"})() == "file-token"
    config = watch.build_parser().parse_args([])
    assert watch.token_source(config, {"VIGIE_TOKEN": "env-token"})() == "env-token"


def test_client_refuses_a_url_that_is_not_http_or_holds_a_password():
    with pytest.raises(ValueError, match="not http"):
        api_client.AlertClient("ftp://127.0.0.1", lambda: "t")
    with pytest.raises(ValueError, match="credentials") as exc:
        api_client.AlertClient("http://op:s3cret@127.0.0.1:8080", lambda: "t")
    assert "s3cret" not in str(exc.value)


@pytest.mark.parametrize("args, words", [
    (["--batch-size", "0"], "batch-size"),
    (["--keep-days", "-1"], "keep-days"),
    (["--rescan", "0"], "rescan"),
    (["--batch-bytes", "100"], "batch-bytes"),
])
def test_bad_options_exit_2_with_a_clear_message(args, words, tmp_path, capsys):
    assert watch.main(args + ["--dir", str(tmp_path)]) == 2
    assert words in capsys.readouterr().err


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        watch.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--once", "--dir", "--api", "--token-file", "--batch-size", "--batch-bytes", "--keep-days",
                 "--rescan"):
        assert flag in out
    assert "VIGIE_TOKEN" in out


def write(path, text):
    path.write_text(text)
    return path


def test_rename_no_replace_refuses_to_overwrite(tmp_path):
    from collector.watch.drop_folder import rename_no_replace

    a, b = write(tmp_path / "a", "A"), write(tmp_path / "b", "B")
    with pytest.raises(FileExistsError):
        rename_no_replace(a, b)
    assert a.read_text() == "A" and b.read_text() == "B"
    rename_no_replace(a, tmp_path / "c")
    assert not a.exists() and (tmp_path / "c").read_text() == "A"
    with pytest.raises(FileNotFoundError):
        rename_no_replace(a, tmp_path / "d")


@pytest.mark.parametrize("kind", sorted(STRAY_KINDS))
def test_read_limited_refuses_what_is_not_a_regular_file_without_blocking(tmp_path, kind):
    drop = tmp_path / "drop"
    drop.mkdir()
    path = make_stray(drop, "x.txt", kind)
    outcome = []

    def read():
        try:
            outcome.append(read_limited(path))
        except Exception as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # blocked in open(): a writer's open releases it
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("read_limited blocked on a FIFO")
    assert isinstance(outcome[0], ValueError), outcome
    assert str(outcome[0]).startswith(STRAY_KINDS[kind])


def test_a_reason_is_never_more_readable_than_the_file_it_may_quote(tmp_path):
    folder = DropFolder(tmp_path)
    folder.open()
    private = write(tmp_path / "private.txt", "secret words\n")
    private.chmod(0o600)
    folder.reject(folder.claim(private), "expected 'Date : <value>', found 'secret words'")
    assert stat.S_IMODE(os.stat(tmp_path / "rejected" / "private.txt.reason").st_mode) == 0o600
    shared = write(tmp_path / "shared.txt", "x")
    shared.chmod(0o644)
    folder.reject(folder.claim(shared), "expected 7 lines, found 1")
    assert stat.S_IMODE(os.stat(tmp_path / "rejected" / "shared.txt.reason").st_mode) == 0o644
