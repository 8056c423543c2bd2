"""The gunicorn worker serving the API: gunicorn's asyncio (ASGI) worker, whose
HTTP/1 protocol also guards each request's head (its request line and header fields).

- Time: gunicorn bounds the head of every later request on a kept-alive connection
  (it must arrive within the keep-alive time) but not that of the first one, so a
  client sending one header line every few seconds would keep its connection
  forever. Here the connection is closed when the first request's head is not
  complete `header_seconds` after it opened.
- Size: gunicorn bounds the request line (414) and each header field (431), not the
  head as a whole (100 fields of 8 KiB each: 800 KiB held for one connection). Here
  a head still not complete after `limits.HEAD_MAX` bytes gets a 431.
- A refused head (414, 431, 400) is answered at once; then nothing more is read from
  the connection, which is closed when its head's time is up (the deadline above,
  or the keep-alive time). A client sending oversize request lines over and over
  waits there, instead of having the server read and refuse them as fast as it
  can send them while everyone else waits for the processor.
"""

import asyncio

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

from vigie.api.limits import HEAD_MAX

DEFAULT_HEADER_SECONDS = 10.0


class HeadGuardProtocol(ASGIProtocol):
    _header_timer = None
    _head_bytes = 0       # bytes of the head being read (none while a request is served)
    _refusing = False     # the parser is being fed a head: a close now is a refusal

    def connection_made(self, transport):
        super().connection_made(transport)
        self.worker.connections.add(self)
        seconds = getattr(self.worker.asgi, "header_seconds", DEFAULT_HEADER_SECONDS)
        # gunicorn's keep-alive expiry closes the transport and wakes the connection's task
        self._header_timer = self.worker.loop.call_later(seconds, self._keepalive_timeout)

    def _cancel_header_timer(self):
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _on_headers_complete(self):
        self._cancel_header_timer()
        return super()._on_headers_complete()

    def _feed_callback_parser(self, data):
        """gunicorn's, with the size of the head counted: bytes fed while no request
        has its headers complete are all head (a body only follows a complete one)."""
        in_head = self._current_request is None
        self._head_bytes += len(data) if in_head else 0
        self._refusing = in_head
        try:
            fed = super()._feed_callback_parser(data)
            if fed and self._current_request is None and self._head_bytes > HEAD_MAX:
                self._send_error_response(431, f"Request head over {HEAD_MAX} bytes")
                self._close_transport()
                return False
        finally:
            self._refusing = False
        if self._current_request is not None:
            self._head_bytes = 0  # the next head counts from its own first byte
        return fed

    def _close_transport(self):
        """Close, unless this refuses a head while a deadline runs for it: then the
        answer is complete (end of stream written), nothing more is read, and the
        deadline closes the connection."""
        if self._refusing and (self._header_timer is not None or self._keepalive_handle is not None):
            self._refusing = False
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self._pause_reading()
            return
        super()._close_transport()

    def connection_lost(self, exc):
        self._cancel_header_timer()
        self.worker.connections.discard(self)
        return super().connection_lost(exc)

    def close_if_idle(self):
        """Close the connection when it is waiting for a request, not answering one."""
        if self._awaiting_request and not self._finishing_calls:
            self._keepalive_timeout()


class Worker(gasgi.ASGIWorker):
    """gasgi's worker, which also stops at once when told to.

    gasgi's serving loop looks whether it should stop once a second, between two
    heartbeats (an asyncio.sleep of 1 s): a stop or restart waited up to a second
    for it. The stop signals here also cut that sleep short."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = set()
        self._serving = None     # the task of the serving loop, once it beats

    def init_process(self):
        # gasgi builds each connection's protocol from this module-level name
        gasgi.ASGIProtocol = HeadGuardProtocol
        super().init_process()

    def notify(self):
        # called by the serving loop before each heartbeat's sleep
        self._serving = asyncio.current_task()
        super().notify()

    def _wake(self):
        if self._serving is not None and not self.alive:
            self._serving.cancel()   # the loop takes the cancelled sleep as its end

    def handle_exit_signal(self):
        super().handle_exit_signal()
        self._wake()

    def handle_quit_signal(self):
        super().handle_quit_signal()
        self._wake()

    async def _shutdown(self):
        if self._serving is not None and self._serving.cancelling():
            self._serving.uncancel()   # the shutdown's own waits must not be cut short
        self._serving = None
        # Idle kept-alive connections would hold a graceful stop for the whole
        # keep-alive time; requests being answered still finish.
        for protocol in list(self.connections):
            protocol.close_if_idle()
        await super()._shutdown()
