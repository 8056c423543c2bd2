"""A network namespace with nothing but its own loopback, entered by the test's thread.

    with loopback_only():
        server = start_api(tmp_path)   # the processes it starts are inside too
        ...

The calling thread joins a fresh namespace (setns(2): the other threads of the worker stay
where they were); the processes it starts from there inherit it, and its own sockets are
made there, so the test talks to its servers over that loopback as usual. Nothing inside
can reach another address: a name to resolve, an address a fuzzer made up, fail at once
instead of leaving this machine. The thread goes back to its namespace on the way out.
"""

import contextlib
import ctypes
import itertools
import os

from tests.support.lldp_network import ip

CLONE_NEWNET = 0x40000000
_numbers = itertools.count()


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def loopback_only():
    name = f"vigie-lo-{os.getpid()}-{next(_numbers)}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        inside = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            _setns(inside)
            try:
                yield name
            finally:
                _setns(home)
        finally:
            os.close(inside)
            os.close(home)
    finally:
        ip("netns", "delete", name, check=False)
