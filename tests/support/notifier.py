"""The notifier as its own process, for tests that kill it: `python -m vigie.notify`."""

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class NotifierProcess:
    def __init__(self, db_path, folder, site_url="http://127.0.0.1:8080", extra_args=()):
        self.db_path, self.folder = Path(db_path), Path(folder)
        self.site_url, self.extra_args = site_url, list(extra_args)
        self.process = None

    def start(self):
        self.log = open(self.folder / "notifier.log", "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("JOURNAL_STREAM", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vigie.notify", "--db", str(self.db_path), "--site-url", self.site_url,
             "--tick", "0.1", "--heartbeat-dir", "", *self.extra_args],
            cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        return self

    def kill(self):
        """kill -9: no chance to finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close()

    def stop(self, timeout=15.0):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._close()

    def _close(self):
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def log_text(self) -> str:
        path = self.folder / "notifier.log"
        return path.read_text(errors="replace") if path.exists() else ""
