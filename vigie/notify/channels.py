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
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from vigie import config
from vigie.addresses import host_address, network
from vigie.notify import alertmanager
from vigie.errors import ChannelError

MASK = "********"
URL_MAX = 2000
ANSWER_MAX = 1000
SEND_TIMEOUT_SECONDS = 30
IDEMPOTENCY_HEADER = "X-Vigie-Notification"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_apprise_lock = threading.Lock()


# The channel policy: where a notification may be sent. Link-local addresses hold the
# clouds' metadata services (169.254.169.254, fd00:ec2::254, Alibaba's 100.100.100.200).
# The default is the setting api.channel_refused_networks (vigie/config.py).
DEFAULT_REFUSED_NETWORKS = tuple(config.default("api.channel_refused_networks"))
METADATA_NAMES = ("metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal")


@dataclass(frozen=True)
class Policy:
    """refused_networks: no channel may send there (its host, or what its name resolves
    to when the message leaves); headers: whether a URL may set HTTP headers (Apprise's
    `+Header=value`). Redirects are never followed: a channel URL says where it goes."""
    refused_networks: tuple = DEFAULT_REFUSED_NETWORKS
    headers: bool = False

    @classmethod
    def from_settings(cls, networks, headers: bool) -> "Policy":
        return cls(tuple(networks), bool(headers))


DEFAULT_POLICY = Policy()


def _refused_address(text: str, networks) -> bool:
    address = host_address(text)
    return address is not None and any(address in network(net) for net in networks)


def _resolved(host: str) -> list:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError):
        return []  # a name that does not resolve is not sent to either


def destinations(url: str) -> list:
    """The hosts a channel URL sends to (those its own text names: a slack:// or
    tgram:// token is not a host; those services have fixed public addresses)."""
    if alertmanager.is_alertmanager_url(url):
        return [alertmanager.split_host(url)]
    plugin = _apprise().Apprise.instantiate(url)
    if plugin is None:
        return []
    hosts = [plugin.host] if "host" in getattr(plugin, "template_tokens", {}) and plugin.host else []
    smtp = getattr(plugin, "smtp_host", None)
    return hosts + ([smtp] if smtp else [])


def _url_host(url: str) -> str:
    """The host of the URL's own authority as written, whatever Apprise makes of it (a
    URL it cannot use still names an address); never looked up: it may be a token."""
    try:
        netloc = urlsplit(url).netloc.rpartition("@")[2]
    except ValueError:  # an unbalanced [ ]: no host Apprise would use either
        return ""
    return netloc if netloc.startswith("[") else netloc.partition(":")[0]


def policy_problem(url: str, policy: Policy = DEFAULT_POLICY, resolve: bool = False):
    """What the policy refuses in this channel URL, or None. With `resolve`, the hosts'
    names are looked up too (when a message leaves: the address it goes to now)."""
    if not policy.headers and not alertmanager.is_alertmanager_url(url):
        from apprise.utils.parse import parse_url

        if (parse_url(url, verify_host=False) or {}).get("qsd+"):
            return "the URL sets HTTP headers (+Header=...), which the channel policy refuses (channel_headers)"
    hosts = destinations(url)
    named = [_url_host(url)] + hosts
    resolved = [a for host in hosts for a in _resolved(host)] if resolve else []
    if any(host.lower().rstrip(".") in METADATA_NAMES for host in named) or any(
            _refused_address(a, policy.refused_networks) for a in named + resolved):
        return "its host is in a network the channel policy refuses (channel_refused_networks: link-local " \
               "and cloud metadata addresses by default)"
    return None


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


def describe(url: str, policy: Policy = None) -> dict:
    """{"scheme", "service"} of a URL that works; raise ChannelError otherwise (with a
    policy: also when the policy refuses it)."""
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
        service = "Alertmanager"
    else:
        plugin = _apprise().Apprise.instantiate(url)
        service = str(plugin.service_name) if plugin is not None else None
    problem = policy_problem(url, policy) if policy is not None else None
    if problem:  # first: a URL aimed at a refused address is refused for that, whatever else it lacks
        raise ChannelError("url", f"url refused: {problem}")
    if service is None:
        raise ChannelError("url", f"url with scheme {scheme}:// is not a channel this notifier can use "
                                  "(unknown scheme, or a part missing or malformed): see Apprise's URL list")
    return {"scheme": scheme, "service": service}


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


def deliver(url: str, message: dict, key: str = None, policy: Policy = DEFAULT_POLICY) -> Outcome:
    """Send one message: {"title", "body", "type"} (and "alerts" for Alertmanager), if
    the channel policy lets it go where the URL's hosts resolve now. Never raises for a
    delivery failure: the Outcome says what happened."""
    started = time.monotonic()
    try:
        problem = policy_problem(url, policy, resolve=True)
        if problem:
            ok, answer = False, f"not sent: {problem}"
        elif alertmanager.is_alertmanager_url(url):
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
    plugin.redirects = False  # a redirect could lead anywhere: it is a failure
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
