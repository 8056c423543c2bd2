"""Posting batches of alerts to the Vigie API, and what its answer means for the files.

`classify` is pure: an HTTP status and body in, an Outcome out. It decides
which failures are the file's fault (reject it) and which are the API's or the
set-up's (keep every file and retry later): only an error the API ties to one
item, or a 4xx for a batch of one, rejects a file.
"""

import http.client
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ACCEPTED = "accepted"        # every item is in the database
ITEM_REFUSED = "item"        # the item at `index` is bad; the others may be sent again
SPLIT = "split"              # refused without naming an item: halve the batch to find it
UNAVAILABLE = "unavailable"  # down, 5xx, timeout: retry later
SETUP = "setup"              # 401/403/404...: wrong token or URL; retry later, tell the admin


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
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ValueError(
            f"token file {path} does not exist: create it with "
            f"`python api.py mktoken <operator> --db <db> --out {path}`"
        ) from None
    except OSError as exc:
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

    def post(self, alerts: list) -> Outcome:
        try:
            token = self._token_source()
        except ValueError as exc:
            return Outcome(SETUP, str(exc))
        body = json.dumps(alerts, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        }
        for attempt in (1, 2):
            try:
                conn = self._connection()
                conn.request("POST", self._path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
                if response.will_close:
                    self.close()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:  # a stale keep-alive connection gets one fresh try
                    return Outcome(UNAVAILABLE, f"{self.base_url}: {exc.__class__.__name__}")
            except (OSError, http.client.HTTPException, socket.timeout) as exc:
                self.close()
                return Outcome(UNAVAILABLE, f"{self.base_url}: {exc}")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return classify(status, parsed, len(alerts))
