"""Channels: where notifications go, written as URLs in the convention of Apprise.

`mailto://`, `mailtos://`, `json://`, `ntfy://`, `gotify://`, `matrix://`, `slack://`,
`mmost://`, `tgram://` and the hundred others of the maintained Apprise library are
delivered by it; `alertmanager://host:port` (`alertmanagers://` for HTTPS), or an
Alertmanager API v2 URL (`http://host:9093/api/v2/alerts`), by `alertmanager.py`.

A channel URL is a secret (it often holds a password or a token): it is stored in
the database, shown by the API as `********`, and never written to a log line or an
error. What a delivery attempt answered is kept for the alert's notifications page,
with every part of the URL that could be secret cut out (`redact`).

Apprise is imported on first use only: the API imports this module to check URLs,
and pays Apprise's import (about 0.2 s) and plugin loading (about 0.5 s) once.
"""

import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from vigie.notify import alertmanager
from vigie.errors import ChannelError

MASK = "********"
URL_MAX = 2000
ANSWER_MAX = 1000
SEND_TIMEOUT_SECONDS = 30
IDEMPOTENCY_HEADER = "X-Vigie-Notification"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_apprise_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    answer: str
    seconds: float


def _apprise():
    """The apprise module, imported once, its own log lines kept out of ours (they may
    name a host or part of a token): what matters comes back in its results."""
    with _apprise_lock:
        import apprise

        quiet = logging.getLogger("apprise")
        quiet.propagate = False
        quiet.addHandler(logging.NullHandler())
        return apprise


def scheme_of(url: str) -> str:
    found = _SCHEME.match(url)
    return found.group(1).lower() if found else ""


def describe(url: str) -> dict:
    """{"scheme", "service"} of a URL that works; raise ChannelError otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise ChannelError("url", "url must be a channel URL such as mailto://user:password@example.org")
    url = url.strip()
    if len(url) > URL_MAX or any(ord(c) < 32 for c in url):
        raise ChannelError("url", f"url must be one line of at most {URL_MAX} characters")
    scheme = scheme_of(url)
    if not scheme:
        raise ChannelError("url", "url has no scheme: write it as scheme://..., e.g. json://host/path")
    if alertmanager.is_alertmanager_url(url):
        alertmanager.endpoint(url)  # raises ChannelError-compatible ValueError
        return {"scheme": scheme, "service": "Alertmanager"}
    apprise = _apprise()
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise ChannelError("url", f"url with scheme {scheme}:// is not a channel this notifier can use "
                                  "(unknown scheme, or a part missing or malformed): see Apprise's URL list")
    return {"scheme": scheme, "service": str(plugin.service_name)}


def masked(url: str) -> str:
    return MASK


def secret_parts(url: str) -> list:
    """The parts of a URL that may be secret: user, password, path segments, query
    values, and the host when it is not a plain host name (some services put a token
    there, e.g. tgram://123456:ABC-DEF/...). Longest first, for `redact`."""
    parts = {url}
    try:
        split = urlsplit(url)
    except ValueError:
        return [url]
    netloc = split.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    if userinfo:
        parts.update(p for p in userinfo.split(":") if p)
        parts.update(unquote(p) for p in userinfo.split(":") if p)
    plain_host = r"([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost|[0-9.]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?"
    if hostport and not re.fullmatch(plain_host, hostport):
        parts.update(p for p in hostport.split(":") if p)
        parts.add(hostport)
    for segment in split.path.split("/"):
        if segment:
            parts.update((segment, unquote(segment)))
    for _, value in parse_qsl(split.query, keep_blank_values=False):
        parts.add(value)
    parts.add(split.query)
    return sorted((p for p in parts if len(p) >= 3), key=len, reverse=True)


def redact(text: str, url: str) -> str:
    """The text with every possibly secret part of the URL replaced by ********."""
    for part in secret_parts(url):
        text = text.replace(part, MASK)
    # Apprise's own privacy form of a token: first and last character around "..."
    return re.sub(r"\b\w\.\.\.\w\b", MASK, text)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ANSWER_MAX else text[:ANSWER_MAX - 1] + "…"


def deliver(url: str, message: dict, key: str = None) -> Outcome:
    """Send one message: {"title", "body", "type"} (and "alerts" for Alertmanager).
    Never raises for a delivery failure: the Outcome says what happened."""
    started = time.monotonic()
    try:
        if alertmanager.is_alertmanager_url(url):
            ok, answer = alertmanager.post(url, message["alerts"], key)
        else:
            ok, answer = _deliver_apprise(url, message, key)
    except Exception as exc:  # a plugin's own bug must not stop the notifier
        ok, answer = False, f"{type(exc).__name__}: {exc}"
    return Outcome(ok, _clip(redact(answer, url)), time.monotonic() - started)


def _deliver_apprise(url: str, message: dict, key: str = None):
    apprise = _apprise()
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return False, "the channel URL is no longer accepted (unknown scheme, or a part missing or malformed)"
    headers = getattr(plugin, "headers", None)
    if key and isinstance(headers, dict):
        headers[IDEMPOTENCY_HEADER] = key
    sender = apprise.Apprise()
    sender.add(plugin)
    result = sender.notify(body=message["body"] or " ", title=message["title"], notify_type=message["type"],
                           body_format="text", timeout=SEND_TIMEOUT_SECONDS)
    lines = [entry.message for entry in result.logs()]
    if result:
        return True, "; ".join([f"accepted by {plugin.service_name}"] + lines)
    return False, "; ".join(lines) or f"{plugin.service_name} refused the message ({result.status.name})"
