"""Real HTTP receivers on 127.0.0.1 for notification tests: they record what arrives
on the wire (method, path, headers, body) and answer as told.

    hook = Receiver().start()
    url = f"json://127.0.0.1:{hook.port}/hook"
    hook.wait_for(1)[0].json()
    hook.stop(); hook.start()        # down, then up again on the same port
    hook.status = 500                # answer errors
    hook.delay = 1.0                 # hold each request before answering
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Arrival:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.monotonic)
    answered: bool = False

    def json(self):
        return json.loads(self.body)

    @property
    def key(self):
        return self.headers.get("X-Vigie-Notification")


class Receiver:
    def __init__(self, port: int = 0):
        self.port = port
        self.arrivals = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                arrival = Arrival(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                with receiver.lock:
                    receiver.arrivals.append(arrival)
                if receiver.delay:
                    time.sleep(receiver.delay)
                body = b'{"status": "ok"}'
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    arrival.answered = True
                except OSError:
                    pass

            do_PUT = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self) -> list:
        with self.lock:
            return list(self.arrivals)

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.received()
