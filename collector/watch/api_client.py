"""Posting batches of alerts to the Vigie API, and what its answer means for the files.

`classify` is pure: an HTTP status and body in, an Outcome out. It decides
which failures are the file's fault (reject it) and which are the API's or the
set-up's (keep every file and retry later): only an error the API ties to one
item, or a 4xx for a batch of one, rejects a file.

A server may refuse a body as too large (413) as soon as it has read the
headers, and close the connection while the body is still on its way. So the
body goes out in pieces, the client stops sending as soon as an answer is
there, and after a broken pipe or a reset it still reads the answer the
server gave before closing. A connection that breaks with no answer at all may
be a server or proxy dropping a body too large for it: that is CUT, for which
the pump halves the batch but never rejects a file.
"""

import http.client
import json
import os
import select
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from vigie import safe_read

ACCEPTED = "accepted"        # every item is in the database
ITEM_REFUSED = "item"        # the item at `index` is bad; the others may be sent again
SPLIT = "split"              # refused without naming an item (too large, ...): halve the batch
CUT = "cut"                  # the connection broke and no answer came: perhaps a server dropping
                             # a body too large for it; halve the batch, never reject a file
UNAVAILABLE = "unavailable"  # down, 5xx, timeout: retry later
SETUP = "setup"              # 401/403/404...: wrong token or URL; retry later, tell the admin

BODY_PIECE_BYTES = 64 * 1024


def encode(value) -> bytes:
    """The JSON text sent for an alert or a list of alerts: a list's size is 2 + its items' sizes + commas."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Outcome:
    kind: str
    message: str = ""
    index: int | None = None
    ids: list | None = None


def error_text(body: dict | None, status: int) -> str:
    if not isinstance(body, dict):
        return f"HTTP {status}"
    text = str(body.get("error") or f"HTTP {status}")
    field = body.get("field")
    return f"{text} (field {field})" if field else text


def classify(status: int, body, batch_size: int) -> Outcome:
    """What an answer to a POST of `batch_size` alerts means."""
    if status in (200, 201):
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or len(ids) != batch_size:
            # Not the Vigie API (a proxy's page, a wrong URL): never take it as a yes.
            return Outcome(SETUP, f"HTTP {status} without the ids of the {batch_size} alert(s) sent")
        return Outcome(ACCEPTED, ids=ids)
    message = error_text(body, status)
    if status < 200 or 300 <= status < 400 or status in (401, 403, 404, 405):
        return Outcome(SETUP, f"HTTP {status}: {message}")
    if status in (400, 409, 413, 422) or (400 <= status < 500 and status not in (408, 429)):
        index = body.get("index") if isinstance(body, dict) else None
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < batch_size and status != 413:
            return Outcome(ITEM_REFUSED, message, index=index)
        if batch_size == 1 and status != 413:
            return Outcome(ITEM_REFUSED, message, index=0)
        return Outcome(SPLIT, f"HTTP {status}: {message}")
    return Outcome(UNAVAILABLE, f"HTTP {status}: {message}")


def read_token(token_file=None, environ=None) -> str:
    """The bearer token: from token_file when given, else $VIGIE_TOKEN. ValueError if none."""
    environ = os.environ if environ is None else environ
    if token_file is None:
        token = environ.get("VIGIE_TOKEN", "").strip()
        if not token:
            raise ValueError("no token: set VIGIE_TOKEN or pass --token-file")
        return token
    path = Path(token_file)
    try:
        token = safe_read.read_text(path, safe_read.SMALL_FILE_MAX, what="a token file").strip()
    except FileNotFoundError:
        raise ValueError(
            f"token file {path} does not exist: create it with "
            f"`python api.py mktoken <operator> --db <db> --out {path}`"
        ) from None
    except (OSError, safe_read.Unreadable) as exc:
        raise ValueError(f"cannot read token file {path}: {exc.strerror}") from None
    if not token:
        raise ValueError(f"token file {path} is empty")
    return token


class AlertClient:
    """A keep-alive connection to the API posting JSON arrays to /api/alert."""

    def __init__(self, base_url: str, token_source, timeout: float = 30.0):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"API URL {base_url!r} is not http(s)://host[:port]")
        if parts.username or parts.password:
            raise ValueError("the API URL must not hold credentials: the watcher uses a token file")
        self.base_url = base_url
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/") + "/api/alert"
        self._token_source = token_source
        self._timeout = timeout
        self._conn = None

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def post(self, alerts: list, body: bytes | None = None) -> Outcome:
        """POST the alerts (`body`: their encoding, when the caller has it already)."""
        try:
            token = self._token_source()
        except ValueError as exc:
            return Outcome(SETUP, str(exc))
        body = encode(alerts) if body is None else body
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            "Content-Length": str(len(body)),
        }
        for attempt in (1, 2):
            reused = self._conn is not None and self._conn.sock is not None
            try:
                status, raw = self._exchange(body, headers)
                break
            except NoAnswer as exc:
                self.close()
                if reused and attempt == 1:  # a stale keep-alive connection gets one fresh try
                    continue
                return Outcome(CUT, f"{self.base_url}: {exc}")
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                return Outcome(UNAVAILABLE, f"{self.base_url}: {exc}")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return classify(status, parsed, len(alerts))

    def _exchange(self, body: bytes, headers: dict) -> tuple[int, bytes]:
        """One request and its answer: (status, body). NoAnswer when the connection broke without one."""
        conn = self._connection()
        if conn.sock is None:
            conn.connect()  # refused, unreachable: OSError, the API is not there
        conn.putrequest("POST", self._path)
        for name, value in headers.items():
            conn.putheader(name, value)
        broken = None
        try:
            conn.endheaders()
            stopped_early = send_unless_answered(conn, body)
        except (BrokenPipeError, ConnectionResetError) as exc:
            broken, stopped_early = exc, True  # it may have answered before closing: read on
        try:
            response = conn.getresponse()
            raw = response.read()
        except (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
                BrokenPipeError) as exc:
            raise NoAnswer(f"{(broken or exc).__class__.__name__} before any answer") from None
        if response.will_close or stopped_early:
            self.close()  # the rest of an unsent body would be read as the next request
        return response.status, raw


class NoAnswer(Exception):
    """The connection broke and the server said nothing."""


def send_unless_answered(conn: http.client.HTTPConnection, body: bytes) -> bool:
    """Send the body in pieces, stopping when the server has answered already. True if stopped early."""
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    view = memoryview(body)
    for start in range(0, len(view), BODY_PIECE_BYTES):
        if poller.poll(0):  # an answer (or a close) before the whole body: the server has refused it
            return True
        conn.send(view[start:start + BODY_PIECE_BYTES])
    return False
