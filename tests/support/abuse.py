"""Misbehaving HTTP clients, and a well-behaved one that measures how the server
answers it meanwhile. Used by tests/test_api_abuse.py and bench/bench_api_abuse.py.

    with attack("SlowHeaders", host, port, connections=16, interval=2.0):
        figures = probe(url + "/api/health", seconds=10)   # {"p50": ..., "p99": ..., "failed": ...}

`attack` runs the attacker in a process of its own (so its busy threads never
slow the measuring client down) until the `with` block ends.
"""

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import requests


class Attacker:
    """A background thread doing something rude to (host, port) until stopped."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.sockets = []
        self.closed_by_server = 0

    def connect(self, timeout=5.0):
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sockets.append(sock)
        return sock

    def _run(self):
        try:
            self.run()
        except OSError:
            pass

    def run(self):
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass
        return False


class SlowHeaders(Attacker):
    """`connections` clients that send a request line, then one header line every
    `interval` seconds, never finishing; a client the server drops connects again."""

    def __init__(self, host, port, connections=16, interval=2.0):
        super().__init__(host, port)
        self.connections, self.interval = connections, interval

    def open_one(self):
        sock = self.connect()
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        return sock

    def run(self):
        live = [self.open_one() for _ in range(self.connections)]
        n = 0
        while not self.stop.wait(self.interval):
            n += 1
            for i, sock in enumerate(live):
                try:
                    sock.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                except OSError:
                    self.closed_by_server += 1
                    try:
                        live[i] = self.open_one()
                    except OSError:
                        pass


class LongRequestLines(Attacker):
    """`connections` clients each sending a request line of `size` bytes, over and over."""

    def __init__(self, host, port, connections=8, size=10 * 1024 * 1024):
        super().__init__(host, port)
        self.connections, self.size = connections, size

    def one(self):
        block = b"a" * 65536
        while not self.stop.is_set():
            sock = None
            try:
                sock = self.connect(timeout=30)
                sock.sendall(b"GET /")
                sent = 0
                while sent < self.size and not self.stop.is_set():
                    sock.sendall(block)
                    sent += len(block)
                sock.sendall(b" HTTP/1.1\r\nHost: x\r\n\r\n")
                sock.recv(1024)
            except OSError:
                self.closed_by_server += 1
            finally:
                if sock is not None:
                    sock.close()

    def run(self):
        workers = [threading.Thread(target=self.one, daemon=True) for _ in range(self.connections)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


class SlowBodies(Attacker):
    """`connections` clients announcing a body of `length` bytes and sending 10 bytes
    every `interval` seconds; a client the server drops connects again."""

    def __init__(self, host, port, connections=16, interval=1.0, length=100_000, path="/api/login"):
        super().__init__(host, port)
        self.connections, self.interval, self.length, self.path = connections, interval, length, path

    def open_one(self):
        sock = self.connect()
        sock.sendall(f"POST {self.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {self.length}\r\n\r\n".encode())
        return sock

    def run(self):
        live = [self.open_one() for _ in range(self.connections)]
        while not self.stop.wait(self.interval):
            for i, sock in enumerate(live):
                try:
                    sock.sendall(b" " * 10)
                except OSError:
                    self.closed_by_server += 1
                    try:
                        live[i] = self.open_one()
                    except OSError:
                        pass


class LoginFlood(Attacker):
    """`connections` clients posting logins for `username` as fast as they can: wrong
    passwords, or the right one when `password` is given (a script logging in too often)."""

    def __init__(self, host, port, connections=16, username="admin", password=None):
        super().__init__(host, port)
        self.connections, self.username, self.password = connections, username, password

    def one(self, n):
        url = f"http://{self.host}:{self.port}/api/login"
        while not self.stop.is_set():
            try:
                requests.post(url, json={"username": self.username, "password": self.password or f"guess-{n}"},
                              timeout=10)
            except requests.RequestException:
                pass

    def run(self):
        workers = [threading.Thread(target=self.one, args=(n,), daemon=True) for n in range(self.connections)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def chunked_request(host, port, path, body: bytes, headers=None, chunk=1024, timeout=120.0):
    """POST `body` with Transfer-Encoding: chunked in chunks of `chunk` bytes; return
    (status, response bytes, seconds taken)."""
    started = time.monotonic()
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     f"Content-Type: application/json\r\nConnection: close\r\n{head}\r\n".encode())
        parts = []
        for start in range(0, len(body), chunk):
            piece = body[start:start + chunk]
            parts.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        parts.append(b"0\r\n\r\n")
        answer = b""
        try:
            sock.sendall(b"".join(parts))
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:  # refused before the end: the answer so far (maybe none)
            pass
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer, time.monotonic() - started


def probe(url, seconds=10.0, headers=None, timeout=5.0, pause=0.02) -> dict:
    """A normal client asking `url` again and again for `seconds`, each request on a
    new connection (as a browser opening a page would): latency percentiles in ms
    (a failed or timed-out request counts as `timeout`), and the failures."""
    latencies, failed = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            answer = requests.get(url, headers=headers, timeout=timeout)
            ok = answer.status_code < 500
        except requests.RequestException:
            ok = False
        elapsed = time.monotonic() - started
        if not ok:
            failed += 1
            elapsed = max(elapsed, timeout)
        latencies.append(elapsed * 1000)
        time.sleep(pause)
    latencies.sort()
    return {"requests": len(latencies), "failed": failed,
            "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max": latencies[-1]}


ATTACKERS = {"SlowHeaders": SlowHeaders, "LongRequestLines": LongRequestLines, "SlowBodies": SlowBodies,
             "LoginFlood": LoginFlood}


@contextlib.contextmanager
def attack(kind, host, port, **options):
    """Run ATTACKERS[kind](host, port, **options) in a child process for the `with` block."""
    process = subprocess.Popen([sys.executable, "-m", "tests.support.abuse", kind, host, str(port),
                                json.dumps(options)], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert process.stdout.readline().strip() == b"ready", f"{kind} did not start"
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # its sockets close with it
        process.wait(30)
        process.stdout.close()


def main(argv=None):
    kind, host, port, options = (argv or sys.argv[1:])
    with ATTACKERS[kind](host, int(port), **json.loads(options)):
        print("ready", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
