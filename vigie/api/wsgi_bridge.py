"""Serving the WSGI app from gunicorn's asyncio (ASGI) worker, so that a slow or
misbehaving client costs a coroutine and never a thread.

The event loop receives each request whole before the app sees it: its body is
gathered in memory up to `max_body_bytes` (413 beyond; bodies sent in chunks
arrive de-chunked, in linear time) within `body_seconds` (408 beyond). Only
then does the request go to a bounded pool of threads running the app, which
reads a plain in-memory body of known length. The answer goes back chunk by
chunk: the thread reads the next chunk of the app's answer only when the
loop asks for it, so a client that reads slowly holds no thread either.

Reads (GET, HEAD) and writes have a pool each: writes waiting for SQLite's
write lock (another process holding it, a slow disk) never leave the reads
without a thread.
"""

import asyncio
import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

from vigie.api.errors import error_body

log = logging.getLogger("vigie.api")

# request headers the app never sees as such: the bridge hands it the whole body
HOP_BY_HOP = {b"transfer-encoding", b"content-length", b"content-type", b"expect", b"connection"}


class RequestRefused(Exception):
    """A request answered by the bridge itself (413, 408), before the app."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class WsgiBridge:
    """An ASGI app running a WSGI `app` on `threads` threads for reads and as many for writes."""

    READS = ("GET", "HEAD")

    def __init__(self, app, threads: int, max_body_bytes: int, body_seconds: float = 60.0):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_seconds = body_seconds
        self.read_pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="vigie-read")
        self.write_pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="vigie-write")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if scope["type"] != "http":
            return None  # no websockets: the connection is closed
        try:
            body = await self.read_body(scope, receive)
        except RequestRefused as refused:
            return await self.refuse(send, refused)
        if body is None:  # the client went away
            return None
        return await self.run_app(scope, body, send)

    async def lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.read_pool.shutdown(wait=False, cancel_futures=True)
                self.write_pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def read_body(self, scope, receive):
        """The whole request body (bytes), None if the client left; RequestRefused
        when it is over the size limit or too slow to arrive."""
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise RequestRefused(413, f"request body of {int(declared)} bytes is over the limit of "
                                      f"{self.max_body_bytes}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_seconds
        body = bytearray()
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise RequestRefused(408, f"request body not received within {self.body_seconds:g} s") from None
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                raise RequestRefused(413, f"request body is over the limit of {self.max_body_bytes} bytes")
            if not message.get("more_body", False):
                return bytes(body)

    async def refuse(self, send, refused: RequestRefused):
        payload = error_body(refused.message).encode("utf-8")
        await send({"type": "http.response.start", "status": refused.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})

    async def run_app(self, scope, body: bytes, send):
        loop = asyncio.get_running_loop()
        pool = self.read_pool if scope["method"] in self.READS else self.write_pool
        started = {}

        def write(data):
            raise RuntimeError("the WSGI write() callable is not supported: return the body")

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = status, headers
            return write

        def call():
            result = self.app(environ(scope, body), start_response)
            return result, iter(result)

        result, chunks = await loop.run_in_executor(pool, call)
        try:
            first = await loop.run_in_executor(pool, next, chunks, None)
            status = int(started["status"].split(" ", 1)[0])
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in started["headers"]]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            chunk = first
            while chunk is not None:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await loop.run_in_executor(pool, next, chunks, None)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            if hasattr(result, "close"):
                await loop.run_in_executor(pool, result.close)


def header(scope, name: bytes):
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def environ(scope, body: bytes) -> dict:
    """The WSGI environ of an ASGI request whose whole body is `body`."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    env = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]), "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for key, value in scope["headers"]:
        if key == b"content-type":
            env["CONTENT_TYPE"] = value.decode("latin-1")
        elif key not in HOP_BY_HOP:
            name = "HTTP_" + key.decode("latin-1").upper().replace("-", "_")
            text = value.decode("latin-1")
            env[name] = f"{env[name]},{text}" if name in env else text
    return env
