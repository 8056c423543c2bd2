"""A real SMTP server for tests: aiosmtpd run as its own process on 127.0.0.1.

    smtp = SmtpServer(tmp_path).start()
    channel_url = smtp.mailto("ops@example.org")   # mailto://127.0.0.1:PORT?...
    mails = smtp.wait_for(1)                        # email.message.Message objects
    smtp.stop()

aiosmtpd's own `Mailbox` handler stores every mail it accepts in a Maildir, read
back here with the standard library.
"""

import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, folder, port: int = 0):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.maildir = self.folder / "maildir"
        self.port = port or free_tcp_port()
        self.process = None

    def start(self, timeout: float = 15.0):
        self.log = open(self.folder / "smtp.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"aiosmtpd exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("aiosmtpd did not answer")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def mailto(self, to: str = "ops@example.org", sender: str = "vigie@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"

    def mails(self) -> list:
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(str(self.maildir), create=False)
        found = [box.get_message(key) for key in box.iterkeys()]
        return sorted(found, key=lambda m: m.get_date() or 0.0)

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mails()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.mails()
