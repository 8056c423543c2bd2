"""The Alertmanager channel: Vigie's alerts posted to an Alertmanager's API v2.

`alertmanager://host:9093` (HTTP), `alertmanagers://host:9093` (HTTPS), with an
optional path prefix and `user:password@`, or the API URL itself
(`http://host:9093/api/v2/alerts`). Alerts are posted as Alertmanager's clients
must (as Prometheus does): a firing alert carries an `endsAt` a few resend periods
ahead and is posted again every `RESEND_SECONDS` while it is not resolved, so
Alertmanager never times it out; a resolved one is posted once more with `endsAt`
at its resolution. Its labels (`alertname="Vigie"`, `server`, `severity`,
`application`, `environment`, `provider`, `vigie_id`) stay the same for the whole
life of the alert, so Alertmanager sees one alert open then resolve.
"""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

from vigie import utc
from vigie.errors import ChannelError

SCHEMES = {"alertmanager": "http", "alertmanagers": "https"}
API_PATH = "/api/v2/alerts"
RESEND_SECONDS = 60
HOLD_SECONDS = 4 * RESEND_SECONDS  # endsAt of a firing alert: four resends ahead
TIMEOUT_SECONDS = 10


def is_alertmanager_url(url: str) -> bool:
    lowered = url.strip().lower()
    if lowered.split("://", 1)[0] in SCHEMES:
        return True
    return lowered.startswith(("http://", "https://")) and urlsplit(lowered).path.rstrip("/").endswith(API_PATH)


def endpoint(url: str):
    """(API URL without credentials, (user, password) or None); ValueError when unusable."""
    split = urlsplit(url.strip())
    scheme = SCHEMES.get(split.scheme.lower(), split.scheme.lower())
    if scheme not in ("http", "https") or not split.hostname:
        raise ChannelError("url", "an Alertmanager URL is alertmanager://host:port, or http(s)://host:port/api/v2/alerts")
    try:
        port = split.port
    except ValueError:
        raise ChannelError("url", "the Alertmanager URL has a port that is not a number from 1 to 65535") from None
    path = split.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    host = f"[{split.hostname}]" if ":" in split.hostname else split.hostname
    netloc = f"{host}:{port}" if port else host
    auth = (split.username or "", split.password or "") if split.username else None
    return urlunsplit((scheme, netloc, path, "", "")), auth


def split_host(url: str) -> str:
    """The host an Alertmanager URL posts to."""
    return urlsplit(url.strip()).hostname or ""


def labels_of(alert: dict) -> dict:
    labels = {"alertname": "Vigie", "vigie_id": str(alert["id"]), "server": alert["server"],
              "severity": alert["severity"].lower()}
    for name in ("application", "environment", "provider"):
        if alert[name]:
            labels[name] = alert[name]
    return labels


def entry(alert: dict, resolved_at, link: str) -> dict:
    """What a message keeps of one alert for Alertmanager (endsAt is set when posting)."""
    return {"labels": labels_of(alert), "annotations": {"summary": alert["message"]},
            "startsAt": alert.get("first_seen") or alert["timestamp"], "resolved_at": resolved_at,
            "generatorURL": link}


def postable(entries, now: datetime) -> list:
    """Alertmanager's postableAlerts from message entries, at `now`."""
    hold = utc.iso(now + timedelta(seconds=HOLD_SECONDS))
    return [{"labels": e["labels"], "annotations": e["annotations"], "startsAt": e["startsAt"],
             "endsAt": e["resolved_at"] or hold, "generatorURL": e["generatorURL"]} for e in entries]


def post(url: str, entries, key: str = None):
    """(ok, answer) of one POST of these entries to the Alertmanager at `url`."""
    api, auth = endpoint(url)
    body = json.dumps(postable(entries, datetime.now(timezone.utc)))
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-Vigie-Notification"] = key
    import requests  # here, not at the top: every API start would pay its import for this one use
    try:
        answer = requests.post(api, data=body, headers=headers, auth=auth, timeout=TIMEOUT_SECONDS,
                               allow_redirects=False)  # a redirect could lead anywhere: a failure
    except requests.RequestException as exc:
        return False, f"Alertmanager unreachable: {type(exc).__name__}"
    text = answer.text.strip()[:300]
    if 200 <= answer.status_code < 300:
        return True, f"accepted by Alertmanager: HTTP {answer.status_code}, {len(entries)} alert(s)"
    return False, f"Alertmanager answered HTTP {answer.status_code}: {text}"
