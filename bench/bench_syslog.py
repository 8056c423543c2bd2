"""Syslog messages per second into the device logs, beside Debian's rsyslogd writing the same
stream to a file.

    python bench/bench_syslog.py [--messages 200000]

Each receiver gets the same messages from one sender process: over TCP (one connection,
newline-framed, as fast as the receiver reads) and over UDP (sent in bursts, paced so a
receiver that keeps up loses nothing). The figure is messages written per second of wall
time, from the first message sent to the last one on disk, with the CPU seconds the
receiver used and, for UDP, how many were lost. Vigie parses each message, finds its
machine and appends JSON Lines; rsyslog parses and writes its plain file format.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proc_stats import cpu_seconds  # noqa: E402
from tests.support.syslog import Rsyslog, SyslogIntake

LINE = b"<13>Jan  1 00:00:00 rt1 bench[42]: message number %d: interface ge-0/0/1 changed state to up\n"


def count_lines(paths) -> int:
    total = 0
    for path in paths:
        try:
            with open(path, "rb") as f:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        except FileNotFoundError:
            pass
    return total


def wait_written(paths, wanted: int, timeout: float) -> tuple:
    """(lines, seconds) once `wanted` lines are there, or when the count stops moving."""
    started, last, still = time.monotonic(), -1, time.monotonic()
    while time.monotonic() - started < timeout:
        now = count_lines(paths)
        if now >= wanted:
            return now, time.monotonic()
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still > 3:
            return now, still
        time.sleep(0.05)
    return count_lines(paths), time.monotonic()


def send_tcp(port: int, count: int) -> None:
    data = b"".join(LINE % i for i in range(count))
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data)


def send_udp(port: int, count: int, burst: int = 200, pause: float = 0.002) -> None:
    lines = [LINE % i for i in range(count)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for start in range(0, count, burst):
            for line in lines[start:start + burst]:
                sock.sendto(line[:-1], ("127.0.0.1", port))
            time.sleep(pause)


def measure(name: str, pid: int, port: int, paths, count: int, transport: str) -> dict:
    base = count_lines(paths)
    cpu_before = cpu_seconds([pid])
    started = time.monotonic()
    (send_tcp if transport == "tcp" else send_udp)(port, count)
    lines, done = wait_written(paths, base + count, timeout=300)
    written = lines - base
    elapsed = done - started
    return {"receiver": name, "transport": transport, "messages": count, "written": written,
            "lost": count - written, "seconds": round(elapsed, 2), "per_second": round(written / elapsed),
            "cpu_seconds": round(cpu_seconds([pid]) - cpu_before, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="vigie-bench-syslog-"))
    intake = SyslogIntake(root, machines={"rt1": {"host": "127.0.0.1"}},
                          args=["--log-max-bytes", str(1 << 40), "--alert-severity", "none"]).start()
    rsyslog = Rsyslog(root, to_file=root / "rsyslog.log").start()
    rows = []
    try:
        vigie_paths = [intake.logs_dir / "rt1.jsonl"]
        for transport in ("tcp", "udp"):
            rows.append(measure("vigie collector.syslog", intake.proc.pid,
                                intake.tcp_port if transport == "tcp" else intake.udp_port,
                                vigie_paths, args.messages, transport))
            rows.append(measure("rsyslogd 8.2302 (omfile)", rsyslog.proc.pid,
                                rsyslog.tcp_port if transport == "tcp" else rsyslog.udp_port,
                                [root / "rsyslog.log"], args.messages, transport))
    finally:
        intake.stop()
        rsyslog.stop()
    load = os.getloadavg()[0]
    print(f"syslog intake, {args.messages:,} messages per run, load average {load:.1f}")
    print(f"{'receiver':28} {'transport':9} {'written':>9} {'lost':>7} {'seconds':>8} {'msg/s':>8} {'CPU s':>6}")
    for r in rows:
        print(f"{r['receiver']:28} {r['transport']:9} {r['written']:>9,} {r['lost']:>7,} {r['seconds']:>8} "
              f"{r['per_second']:>8,} {r['cpu_seconds']:>6}")
    print(json.dumps({"load": round(load, 1), "rows": rows}))
    subprocess.run(["rm", "-rf", str(root)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
