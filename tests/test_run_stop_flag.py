"""vigie.run's stop flag is set from signal handlers while the main loop waits on it.

A timer signal every 200 µs lands at every point of wait(); a flag whose set()
took a lock held by wait() (threading.Event's does) wedges or crashes here."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HAMMER = textwrap.dedent("""
    import signal, time
    from vigie.run import StopFlag

    current = [StopFlag()]
    signal.signal(signal.SIGALRM, lambda *_: current[0].set())
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
    stops, end = 0, time.monotonic() + 2
    while time.monotonic() < end:
        current[0].wait(0.001)
        if current[0].is_set():
            current[0] = StopFlag()
            stops += 1
    signal.setitimer(signal.ITIMER_REAL, 0)
    print(stops)
""")


def test_flag_set_from_a_signal_handler_during_wait_never_wedges():
    result = subprocess.run([sys.executable, "-c", HAMMER], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 100, "the handler interrupted the waits many times"


def test_wait_returns_at_once_when_set_and_after_its_timeout_otherwise():
    from vigie.run import StopFlag

    flag = StopFlag()
    assert flag.wait(0.05) is False and not flag.is_set()
    flag.set()
    assert flag.wait(10) is True and flag.is_set()
