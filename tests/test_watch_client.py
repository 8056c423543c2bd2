"""The API client and batch sizing against real sockets: servers that refuse a body before reading it."""

import json
import socket
import struct
import threading

import pytest

from collector.watch import api_client
from collector.watch.api_client import ACCEPTED, CUT, SPLIT, UNAVAILABLE, AlertClient, encode
from collector.watch.cli import build_parser
from collector.watch.drop_folder import DropFolder
from collector.watch.ingest import Pump, batch_bounds
from tests.support.watcher import big_record, files_in, record, write_big_alerts


class RawHttpServer:
    """An HTTP/1.1 server on 127.0.0.1 written on bare sockets, so it can misbehave as asked:
    `handle(conn, headers)` gets each request once its headers are read."""

    def __init__(self, handle):
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.bodies = []  # the size of every body read in full
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        pending = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
                pending = self.handle(self, conn, int(headers[b"Content-Length"]), pending)
                if pending is None:
                    return

    def read_body(self, conn, length, pending):
        while len(pending) < length:
            pending += conn.recv(65536)
        self.bodies.append(length)
        return pending[:length], pending[length:]

    def close(self):
        self.listener.close()


def answer(conn, status, body: dict, close=False):
    data = json.dumps(body).encode()
    conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        status, len(data), b"Connection: close\r\n" if close else b"", data))


def reset(conn):
    """Close with an RST, as a server does when it closes with unread data."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


LIMIT = 100_000


def accept_small_refuse_large(server, conn, length, pending):
    """201 for a body up to LIMIT; a larger one is answered 413 at once, then the connection reset."""
    if length > LIMIT:
        answer(conn, 413, {"error": f"request body of {length} bytes is over the limit of {LIMIT}"}, close=True)
        reset(conn)
        return None
    body, pending = server.read_body(conn, length, pending)
    answer(conn, 201, {"ids": list(range(len(json.loads(body))))})
    return pending


def accept_small_cut_large(server, conn, length, pending):
    """201 for a body up to LIMIT; for a larger one, reset without a word once some of it came."""
    if length > LIMIT:
        while len(pending) < 10_000:
            pending += conn.recv(65536)
        reset(conn)
        return None
    return accept_small_refuse_large(server, conn, length, pending)


@pytest.fixture
def serve():
    servers = []

    def start(handle):
        servers.append(RawHttpServer(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def big_batch(count=60):
    return [big_record(i, "c") for i in range(count)]  # about 2 MB


@pytest.mark.parametrize("piece", [api_client.BODY_PIECE_BYTES, 1 << 30])
def test_a_413_given_before_the_body_is_read_is_heard_through_the_reset(serve, monkeypatch, piece):
    # In pieces the client sees the answer before sending on; in one piece it meets
    # a broken pipe or a reset first, and still reads the answer given before it.
    monkeypatch.setattr(api_client, "BODY_PIECE_BYTES", piece)
    server = serve(accept_small_refuse_large)
    client = AlertClient(server.url, lambda: "t")
    outcome = client.post(big_batch())
    assert (outcome.kind, outcome.message.startswith("HTTP 413")) == (SPLIT, True), outcome
    assert client.post([record(1)]).kind == ACCEPTED  # on a fresh connection
    client.close()


def test_a_connection_cut_before_any_answer_is_told_apart_from_an_api_that_is_down(serve):
    server = serve(accept_small_cut_large)
    client = AlertClient(server.url, lambda: "t")
    assert client.post(big_batch()).kind == CUT
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        down = AlertClient("http://127.0.0.1:%d" % unused.getsockname()[1], lambda: "t")
    assert down.post(big_batch()).kind == UNAVAILABLE


def test_a_keep_alive_connection_the_server_dropped_is_retried_once_fresh(serve):
    def once_per_connection(server, conn, length, pending):
        body, _ = server.read_body(conn, length, pending)
        answer(conn, 201, {"ids": list(range(len(json.loads(body))))})
        return None  # closes without saying so: the client's next request finds it gone

    client = AlertClient(serve(once_per_connection).url, lambda: "t")
    assert [client.post([record(i)]).kind for i in range(3)] == [ACCEPTED] * 3


@pytest.mark.parametrize("handle", [accept_small_refuse_large, accept_small_cut_large])
def test_the_pump_halves_what_the_server_finds_too_large_until_every_file_is_in(serve, tmp_path, handle):
    server = serve(handle)
    names = write_big_alerts(tmp_path, 0, 40, tag="p")
    folder = DropFolder(tmp_path)
    folder.open()
    config = build_parser().parse_args(["--batch-bytes", str(10 * LIMIT)])
    pump = Pump(config, folder, AlertClient(server.url, lambda: "t"))
    try:
        assert pump.send(pump.prepare([folder.claim(p) for p in folder.scan()])) == []
    finally:
        pump.close()
    assert len(files_in(tmp_path / "done")) == len(names) == 40
    assert files_in(tmp_path / "rejected") == []
    assert server.bodies and max(server.bodies) <= LIMIT


def test_files_wait_and_are_never_rejected_when_even_one_alert_is_cut_off(serve, tmp_path):
    def cut_everything(server, conn, length, pending):
        reset(conn)

    server = serve(cut_everything)
    write_big_alerts(tmp_path, 0, 3, tag="w")
    folder = DropFolder(tmp_path)
    folder.open()
    pump = Pump(build_parser().parse_args([]), folder, AlertClient(server.url, lambda: "t"))
    try:
        items = pump.prepare([folder.claim(p) for p in folder.scan()])
        assert pump.send(items) == items
        assert pump.last_failure.kind == CUT
    finally:
        pump.close()
    assert len(files_in(tmp_path)) == 3  # given back to the drop folder
    assert files_in(tmp_path / "rejected") == [] and files_in(tmp_path / "done") == []


@pytest.mark.parametrize("sizes, max_count, max_bytes, bounds", [
    ([], 10, 100, []),
    ([10, 10, 10], 10, 100, [(0, 3)]),
    ([10, 10, 10], 2, 100, [(0, 2), (2, 3)]),
    ([10, 10, 10], 10, 2 + 10 + 1 + 10, [(0, 2), (2, 3)]),      # exactly two fit: [a,b]
    ([10, 10, 10], 10, 2 + 10 + 1 + 10 - 1, [(0, 1), (1, 2), (2, 3)]),
    ([500, 10, 10], 10, 100, [(0, 1), (1, 3)]),                 # too large alone: sent alone all the same
    ([10, 500, 10], 10, 100, [(0, 1), (1, 2), (2, 3)]),
])
def test_batch_bounds_keep_every_body_within_count_and_bytes(sizes, max_count, max_bytes, bounds):
    assert batch_bounds(sizes, max_count, max_bytes) == bounds


def test_batch_bounds_match_the_bytes_actually_sent():
    alerts = [dict(record(i), message="x" * (i * 37 % 900)) for i in range(200)]
    sizes = [len(encode(a)) for a in alerts]
    for start, end in batch_bounds(sizes, 500, 20_000):
        body = encode(alerts[start:end])
        assert len(body) <= 20_000 or end - start == 1
        assert len(body) == 2 + sum(sizes[start:end]) + (end - start - 1)
