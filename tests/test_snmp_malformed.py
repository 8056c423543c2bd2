"""A polled device answering datagrams that are not SNMP: one clear line, not a traceback each."""

import json
import logging
import socket
import threading

import pytest

from collector import poll
from collector.snmp.session import MalformedLog


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_malformed_log_tells_once_per_sender_and_interval_with_a_count(caplog):
    clock = Clock()
    note = MalformedLog(every=60, clock=clock, logger=logging.getLogger("test.malformed"))
    with caplog.at_level(logging.WARNING, "test.malformed"):
        assert note(("192.0.2.1", 161), ValueError("Short substrate on input\nmore"))
        assert not note(("192.0.2.1", 161), ValueError("again"))
        assert not note(("192.0.2.1", 161, 0, 0), ValueError("again"))   # IPv6 addresses have 4 parts
        assert note(("192.0.2.2", 161), KeyError(9))                       # another sender is told at once
        clock.now += 61
        assert note(("192.0.2.1", 161), ValueError("later"))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "192.0.2.1:161: malformed SNMP datagram ignored (ValueError: Short substrate on input)",
        "192.0.2.2:161: malformed SNMP datagram ignored (KeyError: 9)",
        "192.0.2.1:161: malformed SNMP datagram ignored (ValueError: later); 2 more since the last report",
    ]


@pytest.mark.slow
def test_malformed_log_keeps_a_bounded_memory_of_senders():
    clock = Clock()
    note = MalformedLog(every=60, clock=clock, logger=logging.getLogger("test.malformed"))
    for i in range(MalformedLog.MAX_SENDERS * 3):
        clock.now += 1
        note((f"10.0.{i // 256}.{i % 256}", 161), ValueError("x"))
    assert len(note.last) <= MalformedLog.MAX_SENDERS + 1


@pytest.fixture
def garbage_device():
    """A UDP peer on 127.0.0.1 answering every request with the request cut short (not BER)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()
    seen = []

    def serve():
        while not stop.is_set():
            try:
                data, address = sock.recvfrom(65535)
            except socket.timeout:
                continue
            seen.append(data)
            sock.sendto(data[:-3], address)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], seen
    stop.set()
    thread.join()
    sock.close()


def test_a_device_answering_garbage_gives_one_line_per_interval(tmp_path, garbage_device, capfd):
    port, seen = garbage_device
    machines = tmp_path / "machines"
    machines.mkdir()
    (machines / "noisy.json").write_text(json.dumps({
        "host": "127.0.0.1", "port": port, "snmp": {"version": "2c", "community": "c"}, "timeout": 0.3, "retries": 3}))
    assert poll.main(["--once", "--machines", str(machines), "--samples", str(tmp_path / "samples"),
                      "--alertfiles", str(tmp_path / "alerts")]) == 0
    err = capfd.readouterr().err
    assert len(seen) == 4  # the request and its three retries, each answered with garbage
    told = [line for line in err.splitlines() if "malformed SNMP datagram ignored" in line]
    assert len(told) == 1 and f"127.0.0.1:{port}: malformed SNMP datagram ignored (" in told[0]
    assert "Traceback" not in err and "pyasn1" not in err
    status = json.loads((tmp_path / "samples" / "noisy.json").read_text())["status"]
    assert status["consecutive_failures"] == 1 and "No SNMP response" in status["last_error"]
