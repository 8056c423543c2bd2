"""Helpers for the watcher tests: write alert files, run `python -m collector.watch`, read what arrived."""

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from vigie.alert_file import render

REPO_ROOT = Path(__file__).resolve().parents[2]


def record(i: int, tag: str = "m") -> dict:
    return {
        "timestamp": f"2026-11-22T10:{(i // 60) % 60:02d}:{i % 60:02d}+00:00",
        "server": f"web-{i % 7:02d}",
        "severity": ("CRITICAL", "ERROR", "WARNING", "INFO")[i % 4],
        "message": f"{tag}-{i}",
        "provider": "Acme Infogérance",
        "application": "billing",
        "environment": "prod",
    }


def write_in_place(folder, name: str, text: str) -> Path:
    path = Path(folder) / name
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_renamed(folder, name: str, text: str) -> Path:
    """Written under a dot name and renamed into place, as the format asks writers to do."""
    path = Path(folder) / name
    tmp = Path(folder) / f".{name}.part"
    tmp.write_text(text, encoding="utf-8")
    os.rename(tmp, path)
    return path


def big_record(i: int, tag: str) -> dict:
    """A valid alert of about 32 KB: five fields of 2,000 characters (the most allowed), most of them 3-byte."""
    def wide(start=""):
        return start + "€" * (2000 - len(start))

    return dict(record(i, tag), server=wide(f"srv-{i % 7:02d}-"), message=wide(f"{tag}-{i} "),
                provider=wide(), application=wide(), environment=wide())


def write_big_alerts(folder, start: int, count: int, tag: str) -> list:
    """Alert files of about 32 KB, renamed in. Returns the messages."""
    messages = []
    for i in range(start, start + count):
        alert = big_record(i, tag)
        write_renamed(folder, f"{tag}-{i:06d}.txt", render(alert))
        messages.append(alert["message"])
    return messages


def write_alerts(folder, start: int, count: int, tag: str = "m", pause: float = 0.0) -> list:
    """Alert files tag-<i>.txt, half written in place and half renamed in. Returns the messages."""
    messages = []
    for i in range(start, start + count):
        writer = write_in_place if i % 2 else write_renamed
        writer(folder, f"{tag}-{i:06d}.txt", render(record(i, tag)))
        messages.append(f"{tag}-{i}")
        if pause:
            time.sleep(pause)
    return messages


# Things named like alert files that are not regular files, and the words their `.reason` starts with.
STRAY_KINDS = {
    "fifo": "a FIFO (named pipe), not a regular file",
    "symlink": "a symbolic link, not a regular file",
    "socket": "a socket, not a regular file",
    "directory": "a directory, not a regular file",
}
SECRET_LINE = "Date : the-first-line-of-a-file-outside-the-drop-folder"


def make_stray(folder, name: str, kind: str, outside=None) -> Path:
    """A `kind` from STRAY_KINDS at folder/name; a symlink points to a file in `outside` (default: folder's
    parent) holding SECRET_LINE."""
    path = Path(folder) / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        target = Path(outside or Path(folder).parent) / f"{name}.outside"
        target.write_text(SECRET_LINE + "\n")
        os.symlink(target, path)
    elif kind == "socket":
        # The socket's inode, made without binding (bind is limited to paths of 107 bytes)
        os.mknod(path, 0o600 | stat.S_IFSOCK)
    elif kind == "directory":
        path.mkdir()
        (path / "inside.txt").write_text(SECRET_LINE + "\n")
    else:
        raise ValueError(kind)
    return path


def assert_stray_rejected(folder, name: str, kind: str) -> None:
    """The stray is in rejected/ as it was (never followed, never read), with a reason naming its kind."""
    rejected = Path(folder) / "rejected"
    reason = (rejected / f"{name}.reason").read_text()
    assert reason.startswith(STRAY_KINDS[kind]), reason
    assert "outside-the-drop-folder" not in reason
    mode = os.lstat(rejected / name).st_mode
    is_kind = {"fifo": stat.S_ISFIFO, "symlink": stat.S_ISLNK, "socket": stat.S_ISSOCK, "directory": stat.S_ISDIR}
    assert is_kind[kind](mode), oct(mode)
    if kind == "symlink":
        assert Path(os.readlink(rejected / name)).read_text() == SECRET_LINE + "\n"


def adopt_strays(folder) -> list:
    """One stray of each kind left in the claim folder of a watcher that died. Returns their names."""
    dead = Path(folder) / "processing" / "dead-watcher"
    dead.mkdir(parents=True)
    (dead / ".lock").touch()
    return [make_stray(dead, f"left-{kind}.txt", kind, Path(folder).parent).name for kind in sorted(STRAY_KINDS)]


def messages_in_db(db_path) -> list:
    """Every alert message stored, duplicates included (read-only)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return [row[0] for row in conn.execute("SELECT message FROM alerts")]
    finally:
        conn.close()


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def files_in(folder) -> list:
    folder = Path(folder)
    return sorted(p.name for p in folder.glob("*.txt")) if folder.is_dir() else []


def files_below(folder) -> list:
    return sorted(p.name for p in Path(folder).rglob("*.txt"))


def token_file(tmp_path, user) -> Path:
    path = Path(tmp_path) / f"{user.username}.token"
    path.write_text(user.token + "\n")
    path.chmod(0o600)
    return path


def watch_command(folder, api_url, token_path, *extra) -> list:
    return [sys.executable, "-m", "collector.watch", "--dir", str(folder), "--api", api_url,
            "--token-file", str(token_path), *extra]


def run_once(folder, api_url, token_path, *extra, timeout: float = 120, prefix=()) -> subprocess.CompletedProcess:
    """`collector.watch --once`; `prefix` runs it under another command (setpriv, ...)."""
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    return subprocess.run([*prefix, *watch_command(folder, api_url, token_path, "--once", *extra)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env)


class WatcherProcess:
    """The daemon as a child process, logging to a file."""

    def __init__(self, folder, api_url, token_path, *extra, log_path=None):
        self.log_path = Path(log_path or Path(folder).parent / f"watch-{time.monotonic_ns()}.log")
        self.command = watch_command(folder, api_url, token_path, *extra)
        self.process = None

    def start(self):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)
        wait_until(lambda: "watching" in self.log() or self.process.poll() is not None, 20, what="watcher start")
        assert self.process.poll() is None, self.log()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum):
        self.process.send_signal(signum)

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("watcher did not stop on SIGTERM:\n" + self.log())
        self._log.close()
        return self.process.returncode

    def kill(self):
        self.process.kill()
        self.process.wait()
        self._log.close()
