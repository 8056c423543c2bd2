"""The gunicorn worker serving the API: gunicorn's asyncio (ASGI) worker, whose
HTTP/1 protocol also puts a deadline on the first request's headers.

gunicorn bounds the headers of every later request on a kept-alive connection
(they must arrive within the keep-alive time) but not those of the first one,
so a client sending one header line every few seconds would keep its
connection forever. Here the connection is closed when the first request's
headers are not complete `header_seconds` after it opened.
"""

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

DEFAULT_HEADER_SECONDS = 10.0


class HeaderDeadlineProtocol(ASGIProtocol):
    _header_timer = None

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

    def connection_lost(self, exc):
        self._cancel_header_timer()
        self.worker.connections.discard(self)
        return super().connection_lost(exc)

    def close_if_idle(self):
        """Close the connection when it is waiting for a request, not answering one."""
        if self._awaiting_request and not self._finishing_calls:
            self._keepalive_timeout()


class Worker(gasgi.ASGIWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = set()

    def init_process(self):
        # gasgi builds each connection's protocol from this module-level name
        gasgi.ASGIProtocol = HeaderDeadlineProtocol
        super().init_process()

    async def _shutdown(self):
        # Idle kept-alive connections would hold a graceful stop for the whole
        # keep-alive time; requests being answered still finish.
        for protocol in list(self.connections):
            protocol.close_if_idle()
        await super()._shutdown()
