"""POST /api/webhook/alertmanager: Alertmanager's (and Grafana alerting's) webhook, version 4.

Each alert of the payload becomes a Vigie alert carrying the fingerprint
Alertmanager gives it, so its repeats count as duplicates of one alert; a
`resolved` one arrives as the INFO "back to normal" with that fingerprint,
which resolves it (vigie/lifecycle.py). Labels map onto server, application,
environment, provider and severity through the `alertmanager_labels` setting:
for each field, the labels to look at, first found wins. An Alertmanager
re-sending an alert still firing (its repeat interval) changes nothing: the
same alert, start and status make the same source_id.

`parse_payload` and `to_record` are pure; a payload that is not Alertmanager's
is a 400 naming the field (`alerts.2.startsAt`).
"""

import hashlib
import re

from bottle import response

from vigie import db
from vigie.alert import MAX_FINGERPRINT, MAX_TEXT, AlertError, normalize_alert, normalize_timestamp
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.api.routes_alerts import check_batch_size, check_in_scope
from vigie.errors import InputError

FIELDS = ("server", "application", "environment", "provider", "severity")
DEFAULT_LABELS = ("server=machine,instance,host,hostname,server,node", "application=application,app,service,job",
                  "environment=environment,env", "provider=provider,team,owner", "severity=severity,priority,level")
SEVERITY_WORDS = {
    "CRITICAL": ("critical", "crit", "emergency", "emerg", "alert", "page", "fatal", "disaster", "p1"),
    "ERROR": ("error", "err", "major", "high", "p2"),
    "WARNING": ("warning", "warn", "minor", "medium", "average", "p3"),
    "INFO": ("info", "informational", "information", "notice", "low", "none", "ok", "p4", "p5"),
}
WORD_TO_SEVERITY = {word: name for name, words in SEVERITY_WORDS.items() for word in words}
PORT_RE = re.compile(r"^(?P<host>[^:\[\]]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$")


def label_mapping(entries) -> dict:
    """{field: (label, ...)} from "field=label,label" entries; InputError on a bad one."""
    mapping = {}
    for entry in entries:
        field, sep, labels = str(entry).partition("=")
        field = field.strip()
        if not sep or field not in FIELDS or not labels.strip():
            raise InputError("alertmanager_labels", f"alertmanager_labels: {entry!r}: expected FIELD=label,label "
                                                    f"with FIELD one of {', '.join(FIELDS)}")
        mapping[field] = tuple(label.strip() for label in labels.split(",") if label.strip())
    return mapping


def _text(value, field: str, index: int, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(f"alerts.{index}.{field}", f"alerts[{index}].{field} must be a"
                         f"{' non-empty' if required else ''} string", index=index)
    return value


def _string_map(value, field: str, index: int) -> dict:
    if value is None and field == "annotations":
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InputError(f"alerts.{index}.{field}", f"alerts[{index}].{field} must be an object of strings",
                         index=index)
    return value


def _moment(value, field: str, index: int) -> str:
    try:
        return normalize_timestamp(_text(value, field, index, required=True))
    except AlertError as exc:
        raise InputError(f"alerts.{index}.{field}", f"alerts[{index}].{field}: {exc.message}", index=index) from None


def parse_payload(body) -> list:
    """The alerts of a version 4 webhook payload, checked: [{status, labels, annotations,
    startsAt, endsAt, fingerprint}]. InputError naming the first bad field."""
    if not isinstance(body, dict):
        raise InputError(None, "send Alertmanager's webhook payload: a JSON object")
    if body.get("version") != "4":
        raise InputError("version", f"version must be \"4\" (Alertmanager's webhook payload), not "
                                    f"{body.get('version')!r}")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise InputError("alerts", "alerts must be a list")
    checked = []
    for i, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise InputError(f"alerts.{i}", f"alerts[{i}] must be an object", index=i)
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            raise InputError(f"alerts.{i}.status", f"alerts[{i}].status must be firing or resolved, not {status!r}",
                             index=i)
        ends = alert.get("endsAt")
        checked.append({
            "status": status, "labels": _string_map(alert.get("labels"), "labels", i),
            "annotations": _string_map(alert.get("annotations"), "annotations", i),
            "startsAt": _moment(alert.get("startsAt"), "startsAt", i),
            "endsAt": _moment(ends, "endsAt", i) if status == "resolved" else None,
            "fingerprint": _text(alert.get("fingerprint"), "fingerprint", i, required=True).strip()[:MAX_FINGERPRINT],
        })
    return checked


def _first(labels: dict, names) -> str:
    return next((labels[n].strip() for n in names if labels.get(n, "").strip()), "")


def severity_of(word: str) -> str:
    return WORD_TO_SEVERITY.get(word.strip().lower(), "WARNING")


def server_of(text: str) -> str:
    """An `instance` label's host: "db-01:9100" -> "db-01"."""
    match = PORT_RE.match(text)
    return match.group("host").strip("[]") if match else text


def to_record(alert: dict, mapping: dict) -> dict:
    """The Vigie alert record (with fingerprint and source_id) for one checked alert."""
    labels, notes = alert["labels"], alert["annotations"]
    name = labels.get("alertname", "").strip()
    summary = (notes.get("summary") or notes.get("description") or notes.get("message") or "").strip()
    message = f"{name}: {summary}" if name and summary and name not in summary else summary or name or "alert"
    resolved = alert["status"] == "resolved"
    record = {
        "timestamp": alert["endsAt"] if resolved else alert["startsAt"],
        "server": server_of(_first(labels, mapping["server"])) or "alertmanager",
        "severity": "INFO" if resolved else severity_of(_first(labels, mapping["severity"])),
        "message": (message + " (resolved)" if resolved else message)[:MAX_TEXT],
        **{field: _first(labels, mapping[field])[:MAX_TEXT] for field in ("application", "environment", "provider")},
    }
    record = normalize_alert(record)
    key = "\x1f".join(("alertmanager", alert["fingerprint"], alert["startsAt"], alert["status"]))
    record.update(fingerprint=alert["fingerprint"], source_id="am:" + hashlib.sha256(key.encode()).hexdigest())
    return record


def alertmanager_webhook():
    ctx = context()
    user = ctx.signed_in("operator")
    try:
        mapping = dict(label_mapping(DEFAULT_LABELS), **label_mapping(ctx.settings["alertmanager_labels"]))
    except InputError as exc:
        raise ApiError(500, f"the server's setting is wrong: {exc.message}") from None
    body = ctx.read_json()
    sent = body.get("alerts") if isinstance(body, dict) else None
    if isinstance(sent, list):
        check_batch_size(ctx, len(sent), "alerts", advice=": lower Alertmanager's max_alerts")
    alerts = parse_payload(body)
    records = [to_record(alert, mapping) for alert in alerts]
    check_in_scope(ctx, records)
    results = db.insert_alerts(ctx.conn(), records, actor=user["username"],
                               scopes=scoping.current_scopes(ctx)) if records else []
    response.status = 200
    return {"received": len(records), "firing": sum(a["status"] == "firing" for a in alerts),
            "resolved": sum(a["status"] == "resolved" for a in alerts),
            "ids": [alert_id for alert_id, _ in results], "created": sum(1 for _, new in results if new)}


ROUTES = (
    ("POST", "/api/webhook/alertmanager", alertmanager_webhook),
)
