"""The watcher daemon against the real API server (gunicorn) and real inotify through watchdog."""

import collections
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from collector.watch import cli
from collector.watch.daemon import Daemon, EventHandler
from collector.watch.api_client import AlertClient
from vigie.alert_file import render
from collector.watch.drop_folder import DropFolder
from tests.support.api_server import start_api
from tests.support.watcher import (
    STRAY_KINDS, WatcherProcess, adopt_strays, assert_stray_rejected, files_below, files_in, make_stray,
    messages_in_db, record, run_once, token_file, wait_until, write_alerts, write_big_alerts,
)

pytestmark = pytest.mark.slow

FAST = ("--rescan", "1", "--max-backoff", "1", "--settle", "0.5")


def drop_folder(tmp_path) -> Path:
    folder = tmp_path / "alertfiles"
    folder.mkdir()
    return folder


def assert_exactly_once(db_path, expected):
    assert_exactly_once_in(messages_in_db(db_path), expected)


def assert_exactly_once_in(stored, expected):
    duplicates = [m for m, n in collections.Counter(stored).items() if n > 1]
    assert duplicates == []
    assert sorted(stored) == sorted(expected)


def arrived(db_path, count):
    return lambda: len(messages_in_db(db_path)) >= count


def test_1000_files_written_while_running_arrive_exactly_once(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator), *FAST).start()
    try:
        expected = write_alerts(drop, 0, 1000, pause=0.001)
        wait_until(arrived(api_server.db_path, 1000), 60, what="1000 alerts")
        time.sleep(1.5)  # one more rescan: nothing more may arrive
        assert_exactly_once(api_server.db_path, expected)
        assert files_in(drop) == []
        assert len(files_in(drop / "done")) == 1000
        assert files_in(drop / "rejected") == []
    finally:
        assert watcher.stop() == 0
    log = watcher.log()
    assert "batch of" in log
    assert log.count("\n") < 400  # one line per batch, not per file
    assert files_below(drop / "processing") == []


def test_files_present_before_start_are_taken(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    expected = write_alerts(drop, 0, 300)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator),
                             "--rescan", "3600").start()
    try:
        wait_until(arrived(api_server.db_path, 300), 30, what="300 alerts")
        assert_exactly_once(api_server.db_path, expected)
    finally:
        watcher.stop()


def test_a_burst_larger_than_the_inotify_queue_all_arrives_through_the_rescan(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    queue_size = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    count = queue_size + 1000
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator),
                             "--rescan", "2", "--batch-size", "1000").start()
    try:
        # The watcher is frozen while the burst is written, so the kernel queue
        # certainly fills up and drops events, as it does under a real burst.
        watcher.signal(signal.SIGSTOP)
        try:
            expected = write_alerts(drop, 0, count, tag="burst")
        finally:
            watcher.signal(signal.SIGCONT)
        wait_until(arrived(api_server.db_path, count), 240, interval=0.5, what=f"{count} alerts")
        assert_exactly_once(api_server.db_path, expected)
        assert files_in(drop) == []
    finally:
        watcher.stop()
    log = watcher.log()
    assert "Inotify queue overflowed" in log  # the kernel did drop events...
    assert "rescanning the folder" in log     # ...and the watcher noticed at once


def test_a_half_written_file_is_never_read(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator),
                             "--rescan", "0.3", "--settle", "0.2").start()
    text = render(record(42, tag="slow-writer"))
    cut = text.index("Infogerant") + 5
    try:
        with open(drop / "half.txt", "w", encoding="utf-8") as writer:
            writer.write(text[:cut])
            writer.flush()
            time.sleep(2.5)  # several rescans, and far beyond the settle time
            assert files_in(drop) == ["half.txt"]
            assert files_in(drop / "rejected") == []
            assert messages_in_db(api_server.db_path) == []
            writer.write(text[cut:])
        wait_until(arrived(api_server.db_path, 1), 10, what="the finished file")
        assert messages_in_db(api_server.db_path) == ["slow-writer-42"]
        assert (drop / "done" / "half.txt").read_text() == text
    finally:
        watcher.stop()


def test_malformed_files_are_rejected_with_a_reason_and_the_others_go_in(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator), *FAST).start()
    try:
        expected = write_alerts(drop, 0, 50)
        (drop / "bad-date.txt").write_text(render(record(1)).replace("2026-11-22T10:00:01+00:00", "yesterday"))
        (drop / "bad-key.txt").write_text(render(record(2)).replace("Serveur :", "Server :"))
        expected += write_alerts(drop, 50, 50)
        wait_until(arrived(api_server.db_path, 100), 30, what="100 alerts")
        wait_until(lambda: len(files_in(drop / "rejected")) == 2, 10, what="2 rejected files")
        assert_exactly_once(api_server.db_path, expected)
        assert (drop / "rejected" / "bad-date.txt.reason").read_text().startswith("line 1: timestamp 'yesterday'")
        assert (drop / "rejected" / "bad-key.txt.reason").read_text().startswith("line 2: expected 'Serveur")
    finally:
        watcher.stop()
    assert "rejected bad-date.txt" in watcher.log()


def test_api_stopped_mid_run_and_restarted_every_alert_arrives_exactly_once(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator), *FAST,
                             "--batch-size", "50").start()
    expected = []
    writer = threading.Thread(target=lambda: expected.extend(write_alerts(drop, 0, 1000, pause=0.003)))
    try:
        writer.start()
        wait_until(arrived(api_server.db_path, 100), 30, interval=0.02, what="the first alerts")
        api_server.stop()
        time.sleep(2.0)
        assert files_in(drop / "rejected") == []
        stored = len(messages_in_db(api_server.db_path))
        assert stored < 1000
        api_server.start()
        writer.join()
        wait_until(arrived(api_server.db_path, 1000), 60, what="all 1000 alerts")
        time.sleep(1.5)
        assert_exactly_once(api_server.db_path, expected)
        assert files_in(drop) == [] and files_in(drop / "rejected") == []
    finally:
        writer.join()
        watcher.stop()
    log = watcher.log()
    assert "API unavailable" in log and "API reachable again" in log


def test_a_watcher_killed_mid_run_loses_nothing_and_duplicates_nothing(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    token = token_file(tmp_path, api_server.operator)
    expected = write_alerts(drop, 0, 3000)
    first = WatcherProcess(drop, api_server.url, token, "--batch-size", "100").start()
    wait_until(arrived(api_server.db_path, 300), 30, interval=0.01, what="the first alerts")
    first.kill()  # SIGKILL: files may be claimed, sent and not yet moved
    assert len(messages_in_db(api_server.db_path)) < 3000
    second = WatcherProcess(drop, api_server.url, token, *FAST).start()
    try:
        wait_until(arrived(api_server.db_path, 3000), 60, what="all 3000 alerts")
        time.sleep(1.5)
        assert_exactly_once(api_server.db_path, expected)
        assert files_below(drop / "processing") == []
        assert len(files_in(drop / "done")) == 3000
    finally:
        second.stop()


def test_two_watchers_and_a_timer_run_on_one_folder_make_no_duplicates(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    token = token_file(tmp_path, api_server.operator)
    watchers = [WatcherProcess(drop, api_server.url, token, *FAST, "--batch-size", "20",
                               log_path=tmp_path / f"w{n}.log").start() for n in (1, 2)]
    try:
        expected = write_alerts(drop, 0, 600)
        once = run_once(drop, api_server.url, token, "--batch-size", "20")
        assert once.returncode == 0, once.stderr
        expected += write_alerts(drop, 600, 400)
        wait_until(arrived(api_server.db_path, 1000), 60, what="1000 alerts")
        time.sleep(1.5)
        assert_exactly_once(api_server.db_path, expected)
        assert len(files_in(drop / "done")) == 1000
    finally:
        codes = [w.stop() for w in watchers]
    assert codes == [0, 0]
    assert all("batch of" in w.log() for w in watchers)  # both took a share


def test_the_daemon_exits_non_zero_when_its_drop_folder_disappears(tmp_path):
    drop = drop_folder(tmp_path)
    token = tmp_path / "token"
    token.write_text("t\n")
    watcher = WatcherProcess(drop, "http://127.0.0.1:9", token, "--rescan", "0.5").start()
    shutil.rmtree(drop)
    try:
        watcher.process.wait(10)
    finally:
        if watcher.process.poll() is None:
            watcher.kill()
    assert watcher.process.returncode == 1
    assert "restarts the watcher" in watcher.log()


class ExplodingHandler(EventHandler):
    def dispatch(self, event):
        raise RuntimeError("handler failure")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_observer_thread_makes_the_daemon_exit_non_zero(tmp_path):
    drop = drop_folder(tmp_path)
    config = cli.build_parser().parse_args(["--dir", str(drop), "--rescan", "3600"])
    daemon = Daemon(config, DropFolder(drop), AlertClient("http://127.0.0.1:9", lambda: "t"),
                    make_handler=ExplodingHandler)
    result = []
    runner = threading.Thread(target=lambda: result.append(daemon.run()))
    runner.start()
    wait_until(lambda: daemon.observer is not None and daemon.observer.is_alive(), 10, what="observer start")
    (drop / "x.txt").write_text("anything")
    runner.join(15)
    if runner.is_alive():
        daemon.stop()
        runner.join(10)
        pytest.fail("the daemon kept running with a dead observer")
    assert result == [False]  # main() turns it into exit status 1
    assert (drop / "x.txt").exists()  # nothing was lost on the way out
    assert files_below(drop / "processing") == []


def test_sigterm_puts_waiting_files_back_and_exits_0(tmp_path):
    drop = drop_folder(tmp_path)
    token = tmp_path / "token"
    token.write_text("t\n")
    write_alerts(drop, 0, 20)
    watcher = WatcherProcess(drop, "http://127.0.0.1:9", token, *FAST).start()
    wait_until(lambda: "API unavailable" in watcher.log(), 10, what="the first failed send")
    assert len(files_in(drop)) < 20  # claimed into processing/
    assert watcher.stop() == 0
    assert len(files_in(drop)) == 20
    assert files_below(drop / "processing") == [] and files_in(drop / "rejected") == []
    assert "put back in the drop folder" in watcher.log()


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory):
    """One server for tests that tell their alerts apart by tag."""
    server = start_api(tmp_path_factory.mktemp("shared"))
    yield server
    server.stop()


def assert_tag_exactly_once(db_path, tag, expected):
    assert_exactly_once_in([m for m in messages_in_db(db_path) if m.startswith(tag + "-")], expected)


@pytest.mark.parametrize("kind", sorted(STRAY_KINDS))
def test_the_daemon_moves_what_is_not_a_regular_file_to_rejected_and_goes_on(shared_api, tmp_path, kind):
    drop = drop_folder(tmp_path)
    tag = f"daemon-{kind}"
    watcher = WatcherProcess(drop, shared_api.url, token_file(tmp_path, shared_api.operator), *FAST).start()
    try:
        make_stray(drop, "stray.txt", kind)
        expected = write_alerts(drop, 0, 10, tag=tag)
        wait_until(lambda: len(files_in(drop / "done")) == 10, 20, what="the 10 alerts dropped after it")
        wait_until(lambda: files_in(drop / "rejected") == ["stray.txt"], 10, what="the stray in rejected/")
        assert_tag_exactly_once(shared_api.db_path, tag, expected)
        assert_stray_rejected(drop, "stray.txt", kind)
        assert files_in(drop) == []
    finally:
        assert watcher.stop() == 0
    assert "rejected stray.txt" in watcher.log()


def test_the_daemon_rejects_strays_a_stopped_watcher_had_claimed_and_goes_on(shared_api, tmp_path):
    drop = drop_folder(tmp_path)
    strays = adopt_strays(drop)
    watcher = WatcherProcess(drop, shared_api.url, token_file(tmp_path, shared_api.operator), *FAST).start()
    try:
        expected = write_alerts(drop, 0, 10, tag="daemon-adopted")
        wait_until(lambda: len(files_in(drop / "done")) == 10, 20, what="the 10 alerts dropped after them")
        wait_until(lambda: len(files_in(drop / "rejected")) == len(strays), 10, what="the strays in rejected/")
        assert_tag_exactly_once(shared_api.db_path, "daemon-adopted", expected)
        for name, kind in zip(strays, sorted(STRAY_KINDS)):
            assert_stray_rejected(drop, name, kind)
    finally:
        assert watcher.stop() == 0


def test_500_files_of_32_kb_then_ordinary_ones_all_arrive(api_server, tmp_path):
    drop = drop_folder(tmp_path)
    watcher = WatcherProcess(drop, api_server.url, token_file(tmp_path, api_server.operator), *FAST).start()
    try:
        watcher.signal(signal.SIGSTOP)  # so that all 500 wait together, as after an outage
        try:
            expected = write_big_alerts(drop, 0, 500, tag="big")
        finally:
            watcher.signal(signal.SIGCONT)
        time.sleep(0.5)
        expected += write_alerts(drop, 0, 10, tag="after")
        wait_until(arrived(api_server.db_path, 510), 60, what="the 500 big alerts and the 10 after them")
        assert_exactly_once(api_server.db_path, expected)
        assert files_in(drop / "rejected") == []
    finally:
        assert watcher.stop() == 0
    assert "API unavailable" not in watcher.log()
