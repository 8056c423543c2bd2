"""The OpenAPI 3.1 document served at /api/openapi.json.

Written to say exactly what the handlers accept and answer, so a generated
client (or schemathesis in the tests) finds no gap either way: patterns here
are derived from the same tables the handlers use (severity aliases, ordering
columns, the machine file's JSON Schema).
"""

import copy
import re

from vigie import machines
from vigie import __version__, db, device_log
from vigie import lifecycle as lc
from vigie.dependencies import SOURCES
from vigie.machine_state import MACHINE_STATES
from vigie import silences as sil
from vigie.api import auth, limits
from vigie.alert import MAX_FINGERPRINT, MAX_TEXT, MAX_TIMEOUT_SECONDS, SEVERITIES, SEVERITY_ALIASES
from vigie.notify.rules import (EVENTS, MAX_GROUP_WAIT_SECONDS, MAX_REPEAT_MINUTES, MAX_STEP_MINUTES, MAX_STEPS,
                                 NAME_MAX as NOTIFY_NAME_MAX)
from vigie.roles import ROLES
from vigie.scope import SCOPE_KEYS
from vigie.severity import in_words as severities_in_words

JSON = "application/json"


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


# str.isspace(), spelt out: what the handlers strip is exactly what these patterns skip
SPACE = r"[\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_SPACE = "[^" + SPACE[1:]
END = r"(?![\s\S])"  # end of text; unlike $, no newline allowed before it
SEVERITY_WORD = "(" + "|".join(_any_case(a) for a in sorted(SEVERITY_ALIASES, key=len, reverse=True)) + ")"
SEVERITY_PATTERN = f"^{SPACE}*{SEVERITY_WORD}{SPACE}*{END}"
SEVERITY_LIST_PATTERN = f"^{SPACE}*{SEVERITY_WORD}{SPACE}*(,{SPACE}*{SEVERITY_WORD}{SPACE}*)*{END}"
_ORDER_WORD = "-?(" + "|".join(sorted(db.ORDERING_COLUMNS, key=len, reverse=True)) + ")"
ORDERING_PATTERN = f"^({_ORDER_WORD}(,{_ORDER_WORD}){{0,{len(db.ORDERING_COLUMNS) - 1}}})?{END}"
MACHINE_NAME_PATTERN = rf"^(?:{machines.NAME_PATTERN}){END}"
_STATUS_WORD = "(" + "|".join(lc.STATUSES) + ")"
STATUS_LIST_PATTERN = f"^{SPACE}*{_STATUS_WORD}{SPACE}*(,{SPACE}*{_STATUS_WORD}{SPACE}*)*{END}"
ONE_LINE_PATTERN = rf"^[^\r\n]*{NOT_SPACE}[^\r\n]*{END}"  # what normalize_fingerprint keeps
_DAY_WORD = "(" + "|".join(_any_case(d) for d in sorted(sil._DAY_NAMES, key=len, reverse=True)) + ")"
DAY_PATTERN = f"^{SPACE}*{_DAY_WORD}{SPACE}*{END}"
CLOCK_PATTERN = rf"^{SPACE}*(([01][0-9]|2[0-3]):[0-5][0-9]|24:00){SPACE}*{END}"
ROWID = {"type": "integer", "minimum": 1, "maximum": 2 ** 63 - 1}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
USERNAME_PATTERN = f"^{limits.USERNAME_RE.pattern}{END}"
NOT_COMMON_PASSWORD = "^(?!(" + "|".join(_any_case(re.escape(p)) for p in sorted(auth.common_passwords())) + f"){END})"


def text(required: bool, description: str) -> dict:
    schema = {"type": "string", "maxLength": MAX_TEXT, "description": description}
    if required:
        schema["pattern"] = NOT_SPACE
    return schema


ALERT_FIELDS = {
    "timestamp": {"type": "string", "format": "date-time",
                  "description": "When it happened: ISO 8601 with a UTC offset (stored and returned in UTC)."},
    "server": text(True, "Machine concerned."),
    "severity": {"type": "string", "pattern": SEVERITY_PATTERN,
                 "description": f"{severities_in_words()}, in any case, or another accepted spelling: "
                                f"{', '.join(sorted(a for a in SEVERITY_ALIASES if a.upper() not in SEVERITIES))}. "
                                "Returned upper case."},
    "message": text(True, "What happened (line breaks become spaces)."),
    "provider": text(False, "Managed-service provider in charge."),
    "application": text(False, "Application concerned."),
    "environment": text(False, "prod, preprod, testing, dev... (stored lower case)."),
}
SOURCE_ID = {"type": ["string", "null"], "maxLength": limits.SOURCE_ID_MAX, "pattern": NOT_SPACE,
             "description": "Idempotency key: posting the same source_id again returns the existing alert."}


def _error_schema() -> dict:
    return {"type": "object", "required": ["error", "field"], "properties": {
        "error": {"type": "string", "description": "What is wrong, for a person."},
        "field": {"type": ["string", "null"], "description": "Field, parameter or header concerned."},
        "index": {"type": ["integer", "null"], "description": "Batch position of the bad alert."}}}


def _machine_schemas() -> dict:
    """The machine file's JSON Schema, its $defs moved to components."""
    source = copy.deepcopy(machines.schema())
    source = _inline_property_refs(source, source["properties"])
    defs = source.pop("$defs", {})
    for key in ("$schema", "$id"):
        source.pop(key, None)
    source["properties"]["snmp"] = _snmp_one_of(source["properties"]["snmp"])
    text_form = _rewrite_refs(source)
    schemas = {f"Machine_{k}": _rewrite_refs(v) for k, v in defs.items()}
    schemas["MachineConfig"] = text_form
    # what a machine body takes besides the file's keys: it refuses any other one, as the file does
    body = copy.deepcopy(text_form)
    body["properties"].update({"name": {"type": "string"},
                               "live": {"description": "What GET adds; ignored, so a machine as shown may be "
                                                       "sent back as it is."}})
    schemas["MachineBody"] = body
    return schemas


def _inline_property_refs(node, properties: dict):
    """References to the file's own top-level keys (`#/properties/threshold_percent`, as the
    per-interface thresholds use) replaced by a copy of what they name: the schema moves
    into components, where `#/properties/...` would name the document's root."""
    if isinstance(node, dict):
        target = node.get("$ref", "")
        if isinstance(target, str) and target.startswith("#/properties/"):
            named = copy.deepcopy(properties[target.removeprefix("#/properties/")])
            return _inline_property_refs(dict(named, **{k: v for k, v in node.items() if k != "$ref"}), properties)
        return {k: _inline_property_refs(v, properties) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_property_refs(v, properties) for v in node]
    return node


def _snmp_one_of(snmp: dict) -> dict:
    """The machine schema's `if version is 3 then ... else ...` plus dependentRequired on
    the privacy pair, spelt as three exclusive shapes (v1/v2c; v3 without privacy; v3
    with it): the same set of documents, in a form every OpenAPI tool reads alike."""
    v3, v12 = snmp["then"], snmp["else"]
    privacy = ("priv_protocol", "priv_key")
    without = {"type": "object", "required": list(v3["required"]), "additionalProperties": False,
               "properties": {k: v for k, v in v3["properties"].items() if k not in privacy}}
    with_privacy = {"type": "object", "required": list(v3["required"]) + list(privacy),
                    "additionalProperties": False, "properties": dict(v3["properties"])}
    return {"description": snmp.get("description", ""), "oneOf": [v12, without, with_privacy]}


def _rewrite_refs(node):
    """$defs references moved to components; dependentRequired also spelt the draft-7 way
    (dependencies) for tools reading the document with an older JSON Schema draft."""
    if isinstance(node, dict):
        out = {k: (v.replace("#/$defs/", "#/components/schemas/Machine_") if k == "$ref" else _rewrite_refs(v))
               for k, v in node.items()}
        if "dependentRequired" in out:
            out["dependencies"] = copy.deepcopy(out["dependentRequired"])
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


FINGERPRINT = {"type": ["string", "null"], "maxLength": MAX_FINGERPRINT, "pattern": ONE_LINE_PATTERN,
               "description": "Deduplication key: alerts with the same one are one alert (counted, reopened, resolved "
                              "by an INFO with it). Default: a hash of the fields of the fingerprint_fields setting."}
TIMEOUT = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS,
           "description": "Seconds: resolved on its own if not seen again within this time."}
NOTE = {"type": "string", "maxLength": MAX_TEXT, "description": "Why, for the history."}


def _alert_schema() -> dict:
    nullable_text = {"type": ["string", "null"]}
    properties = {
        "id": {"type": "integer"}, **{k: {"type": "string"} for k in ALERT_FIELDS},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "acknowledged": {"type": "boolean", "description": "Acknowledged now (an acknowledgement that expired is not)."},
        "acknowledged_by": nullable_text, "acknowledged_at": NULLABLE_TIME, "source_id": nullable_text,
        "fingerprint": {"type": "string"},
        "status": {"type": "string", "enum": list(lc.STATUSES),
                   "description": "Now: resolved, else shelved, else acknowledged, else open."},
        "duplicate_count": {"type": "integer", "description": "Times it was seen again (0: once)."},
        "first_seen": {"type": "string", "format": "date-time"}, "last_seen": {"type": "string", "format": "date-time"},
        "reopen_count": {"type": "integer"}, "ack_until": NULLABLE_TIME, "shelved_until": NULLABLE_TIME,
        "shelved_by": nullable_text, "resolved_at": NULLABLE_TIME, "resolved_by": nullable_text,
        "resolution": nullable_text, "timeout": {"type": ["integer", "null"]}, "expires_at": NULLABLE_TIME,
        "flapping": {"type": "boolean"}, "flap_count": {"type": "integer"},
        "silenced": {"type": "boolean", "description": "A silence active now matches it."},
        "silence_id": {"type": ["integer", "null"]},
        "suppressed": {"type": "boolean", "description": "The doing of another machine that is down: unreachable "
                                                         "behind it (or a port toward it); not told, not in needs "
                                                         "attention. A resolved alert keeps what it was."},
        "suppressed_by": {"type": ["string", "null"], "description": "The root-cause machine, when suppressed."},
        "suppressed_by_alert": {"type": ["integer", "null"], "description": "The root cause's alert."},
        "suppressing": {"type": "integer", "description": "Alerts not resolved that this one suppresses."},
    }
    return {"type": "object", "required": list(db.ALERT_COLUMNS), "properties": properties}


def _matchers_schema() -> dict:
    text = {"type": "string", "maxLength": MAX_TEXT, "pattern": NOT_SPACE}
    condition = {"type": "object", "required": ["op", "value"], "additionalProperties": False,
                 "properties": {"op": {"type": "string", "enum": list(sil.OPERATORS)}, "value": text}}
    one = {"oneOf": [text, condition, {"type": "array", "minItems": 1, "maxItems": sil.MAX_CONDITIONS,
                                       "items": {"oneOf": [text, condition]}}]}
    return {"type": "object", "minProperties": 1, "additionalProperties": False,
            "description": "Each one given must match: server exactly or as a glob (*, ?, [...]), severity among "
                           "those listed, message containing the text (any case), the others exactly. A text "
                           "field also takes conditions {\"op\", \"value\"}, all of which must hold: \"=\" (as "
                           "above), \"!=\" (its opposite), \"=~\" (the whole value matches the regular "
                           "expression), \"!~\" (it does not).",
            "properties": {"server": one, "application": one, "environment": one, "provider": one, "message": one,
                           "severity": {"oneOf": [{"type": "string", "pattern": SEVERITY_PATTERN},
                                                  {"type": "array", "minItems": 1,
                                                   "items": {"type": "string", "pattern": SEVERITY_PATTERN}}]}}}


def _lifecycle_schemas() -> dict:
    entry = {"type": "object", "required": ["id", "alert_id", "at", "kind", "actor", "note", "pending"], "properties": {
        "id": {"type": ["integer", "null"]}, "alert_id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time", "description": "When it happened."},
        "recorded_at": NULLABLE_TIME,
        "kind": {"type": "string", "description": "created, duplicate, severity, reopened, resolved, clear, "
                                                  "timed_out, acknowledged, unacknowledged, ack_expired, shelved, "
                                                  "unshelved, shelve_expired, silenced, unsilenced, flapping, "
                                                  "flapping_ended, suppressed, unsuppressed, edited, note, "
                                                  "deleted."},
        "actor": {"type": "string", "description": "A user, or \"system\"."}, "note": {"type": "string"},
        "detail": {"type": ["object", "null"]},
        "pending": {"type": "boolean", "description": "Made by time, not written down yet."}}}
    until = {"until": {"type": "string", "format": "date-time", "description": "A time to come."},
             "minutes": {"type": "integer", "minimum": 1, "maximum": limits.UNTIL_MINUTES_MAX,
                         "description": "From now."}}
    schedule = {"type": "object", "required": ["days", "start", "end"], "additionalProperties": False, "properties": {
        "days": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": DAY_PATTERN}},
        "start": {"type": "string", "pattern": CLOCK_PATTERN, "description": "HH:MM, wall-clock time in the zone."},
        "end": {"type": "string", "pattern": CLOCK_PATTERN, "description": "HH:MM (24:00: midnight); before start: "
                                                                          "the next day."},
        "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Paris (default UTC)."}}}
    silence = {"type": "object", "required": ["id", "matchers", "comment", "starts_at", "ends_at", "schedule",
                                              "created_by", "created_at", "state", "active", "window", "matching",
                                              "silencing"], "properties": {
        "id": {"type": "integer"}, "matchers": {"type": "object"}, "comment": {"type": "string"},
        "described": {"type": "string", "description": "The matchers as Alertmanager writes them: "
                                                       "server=~\"web-.*\", severity=\"CRITICAL\"."},
        "starts_at": {"type": "string", "format": "date-time"}, "ends_at": NULLABLE_TIME,
        "schedule": {"type": ["object", "null"]}, "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}, "ended_by": {"type": ["string", "null"]},
        "ended_at": NULLABLE_TIME, "state": {"type": "string", "enum": ["active", "pending", "expired"]},
        "replaces": {"type": "integer", "description": "After an edit: the silence this one replaces (now ended)."},
        "active": {"type": "boolean"},
        "window": {"type": ["object", "null"], "description": "The window on now, or the next one."},
        "matching": {"type": "integer", "description": "Alerts not resolved that it matches."},
        "silencing": {"type": "integer", "description": "Those it silences now."}}}
    audit_entry = {"type": "object", "required": ["id", "at", "actor", "action", "target_kind", "target"],
                   "properties": {"id": {"type": "integer"}, "at": {"type": "string"}, "actor": {"type": "string"},
                                  "action": {"type": "string"}, "target_kind": {"type": "string"},
                                  "target": {"type": "string"}, "detail": {"type": ["object", "null"]}}}
    return {
        "AckBody": {"type": "object", "additionalProperties": False, "not": {"required": ["until", "minutes"]},
                    "properties": {**until, "note": NOTE},
                    "description": "Until when (neither: until it is resolved), and why."},
        "ShelveBody": {"type": "object", "additionalProperties": False, "properties": {**until, "note": NOTE},
                       "oneOf": [{"required": ["until"]}, {"required": ["minutes"]}]},
        "NoteBody": {"type": "object", "additionalProperties": False, "properties": {"note": NOTE}},
        "NewNote": {"type": "object", "required": ["note"], "additionalProperties": False,
                    "properties": {"note": dict(NOTE, pattern=NOT_SPACE)}},
        "HistoryEntry": entry,
        "History": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer"}, "results": {"type": "array",
                                                      "items": {"$ref": "#/components/schemas/HistoryEntry"}}}},
        "Matchers": _matchers_schema(),
        "Schedule": schedule,
        "SilenceExtension": {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                             "properties": {"minutes": {"type": "integer", "minimum": 1,
                                                        "maximum": limits.UNTIL_MINUTES_MAX,
                                                        "description": "Added to its end."},
                                            "ends_at": {"type": "string", "format": "date-time",
                                                        "description": "Its new end, after now."}}},
        "NewSilence": {"type": "object", "required": ["matchers", "comment"], "additionalProperties": False,
                       "anyOf": [{"required": ["ends_at"]}, {"required": ["schedule"]}],
                       "properties": {"matchers": {"$ref": "#/components/schemas/Matchers"},
                                      "starts_at": {"type": "string", "format": "date-time",
                                                    "description": "Default: now."},
                                      "ends_at": {"type": "string", "format": "date-time",
                                                  "description": "A time to come, after starts_at; with a schedule, "
                                                                 "its last day (left out: for ever)."},
                                      "schedule": {"$ref": "#/components/schemas/Schedule"},
                                      "comment": {"type": "string", "maxLength": sil.MAX_COMMENT,
                                                  "pattern": NOT_SPACE, "description": "Why."}}},
        "Silence": silence,
        "SilencePreview": {"type": "object", "required": ["silence", "matching", "matches_everything",
                                                          "needs_admin", "allowed", "alerts"], "properties": {
            "silence": {"type": "object"}, "matching": {"type": "integer", "description": "Alerts not resolved it "
                                                                                           "would match."},
            "matches_everything": {"type": "boolean"},
            "needs_admin": {"type": ["string", "null"], "description": "Why only an admin may make it."},
            "allowed": {"type": "boolean", "description": "Whether this user may make it."},
            "alerts": {"type": "array", "items": {"type": "object"}, "description": "The newest of them."}}},
        "SilenceList": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/Silence"}}}},
        "AuditPage": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer"}, "results": {"type": "array", "items": audit_entry}}},
    }


def components() -> dict:
    alert_props = dict(ALERT_FIELDS)
    schemas = {
        "Error": _error_schema(),
        "Alert": _alert_schema(),
        "NewAlert": {"type": "object", "required": list(ALERT_FIELDS), "additionalProperties": False,
                     "properties": {**alert_props, "source_id": SOURCE_ID, "fingerprint": FINGERPRINT,
                                    "timeout": TIMEOUT}},
        "AlertBatch": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/NewAlert"}},
        "AlertChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                         "properties": {**alert_props, "acknowledged": {"type": "boolean"}},
                         "description": "Some of the fields; the others stay as they are."},
        "AlertReplacement": {"type": "object", "required": list(ALERT_FIELDS), "additionalProperties": False,
                             "properties": {**alert_props, "acknowledged": {"type": "boolean"}},
                             "description": "All seven fields (acknowledged optional)."},
        "AlertPage": {"type": "object", "required": ["count", "next", "previous", "results"], "properties": {
            "count": {"type": "integer", "description": "Alerts matching the filters, all pages."},
            "next": {"type": ["string", "null"], "description": "URL of the next page."},
            "previous": {"type": ["string", "null"], "description": "URL of the previous page."},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}}},
        "BatchResult": {"type": "object", "required": ["ids", "created"], "properties": {
            "ids": {"type": "array", "items": {"type": "integer"},
                    "description": "One id per alert sent, in order: the new alert, or the one it counted on."},
            "created": {"type": "integer", "description": "How many made a new alert (the others counted on one: a "
                                                          "duplicate, a return to normal, a known source_id)."}}},
        "AckFilters": {"type": "object", "additionalProperties": False, "properties": {
            "severity": {"oneOf": [{"type": "string", "pattern": SEVERITY_LIST_PATTERN},
                                   {"type": "array", "items": {"type": "string", "pattern": SEVERITY_LIST_PATTERN}}]},
            **{k: {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
               for k in db.EXACT_FILTERS},
            **{k: {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]}
               for k in ("acknowledged", "flapping", "silenced", "suppressed")},
            "status": {"oneOf": [{"type": "string", "pattern": STATUS_LIST_PATTERN},
                                 {"type": "array", "items": {"type": "string", "pattern": STATUS_LIST_PATTERN}}]},
            "fingerprint": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "silence": ROWID, "suppressed_by_alert": ROWID,
            "q": {"type": "string", "maxLength": MAX_TEXT},
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"}}},
        "AckResult": {"type": "object", "required": ["acknowledged"],
                      "properties": {"acknowledged": {"type": "integer", "description": "Alerts acknowledged now."}}},
        "Stats": {"type": "object", "required": ["total", "unacknowledged", "by_severity", "by_server",
                                                 "by_environment", "by_application", "by_provider",
                                                 "by_acknowledged", "unacknowledged_by_severity", "by_status",
                                                 "needs_attention", "needs_attention_by_severity", "silenced",
                                                 "suppressed", "flapping", "oldest", "newest"],
                  "properties": {
                      "total": {"type": "integer"}, "unacknowledged": {"type": "integer"},
                      **{f"by_{k}": {"type": "object", "additionalProperties": {"type": "integer"}}
                         for k in ("severity", "server", "environment", "application", "provider", "acknowledged",
                                   "status")},
                      "unacknowledged_by_severity": {"type": "object", "additionalProperties": {"type": "integer"}},
                      "needs_attention": {"type": "integer", "description": "Alerts open, not silenced and not "
                                                                            "suppressed: what needs a person."},
                      "needs_attention_by_severity": {"type": "object", "additionalProperties": {"type": "integer"}},
                      "silenced": {"type": "integer", "description": "Alerts not resolved that a silence mutes now."},
                      "suppressed": {"type": "integer", "description": "Alerts not resolved that are the doing of "
                                                                       "another machine that is down."},
                      "flapping": {"type": "integer"},
                      "oldest": {"type": ["string", "null"]}, "newest": {"type": ["string", "null"]}}},
        **_lifecycle_schemas(),
        "MachineInput": {"allOf": [{"$ref": "#/components/schemas/MachineBody"}, {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": MACHINE_NAME_PATTERN,
                                    "description": "File stem: machines/<name>.json."},
                           "snmp": {"properties": {key: {"not": {"const": machines.HIDDEN}} for key in
                                                   machines.SECRET_KEYS},
                                    "description": "A new machine has no stored secret the mask could keep."}}}]},
        "MachineImport": {"type": "object", "required": ["csv"], "additionalProperties": False, "properties": {
            "csv": {"type": "string", "description": "The CSV file's text: a header, then one device a row."},
            "dry_run": {"type": "boolean", "description": "true: check and say what would be added, write nothing."}}},
        "MachineImportResult": {"type": "object", "required": ["dry_run", "known", "errors"], "properties": {
            "dry_run": {"type": "boolean"},
            "add": {"type": "array", "items": {"type": "object"}, "description": "With dry_run: the rows to add."},
            "added": {"type": "array", "items": {"type": "object"}, "description": "The rows added."},
            "known": {"type": "array", "items": {"type": "object"}},
            "errors": {"type": "array", "items": {"type": "object"}}}},
        "MachineReplacement": {"allOf": [{"$ref": "#/components/schemas/MachineBody"}, {
            "type": "object", "properties": {"name": {"description": "Ignored: the URL names the machine."}}}]},
        "Machine": {"type": "object", "required": ["name", "host", "snmp"],
                    "description": "A machine's config with defaults filled in and SNMP secrets masked; GET adds "
                                   "\"live\", the collector's view of it now, and \"upstream\", its parents "
                                   "toward the collector (both dropped when sent back).",
                    "properties": {"name": {"type": "string"}, "host": {"type": "string"},
                                   "snmp": {"type": "object"}, "live": {"$ref": "#/components/schemas/LiveState"},
                                   "upstream": {"$ref": "#/components/schemas/Upstream"}}},
        "Upstream": {"type": "object", "required": ["parents", "source", "hops", "problem"],
                     "description": "What stands between the collector and the machine: when every parent is "
                                    "down, the machine is unreachable behind them, not down itself.",
                     "properties": {
                         "parents": {"type": "array", "items": {"type": "string"}},
                         "source": {"type": "string", "enum": list(SOURCES),
                                    "description": "manual (the machine file's parents), lldp, cdp, links (the "
                                                   "machine files' links), vantage (a machine nearest the "
                                                   "collector), none (no known path)."},
                         "hops": {"type": ["integer", "null"], "description": "Cables from the nearest vantage "
                                                                             "machine."},
                         "problem": {"type": ["string", "null"], "description": "Why the machine file's own "
                                                                                "parents were set aside."}}},
        "LiveState": {"type": "object", "description": "Up or down and since when, last answer, uptime as last "
                      "read (uptime_as_of), inventory, each interface's status and rates (unknown since the last "
                      "answer when the machine does not answer), the extra OIDs' last values; or an error.",
                      "properties": {
                          "status": {"type": "object", "properties": {
                              "state": {"type": "string", "enum": ["up", "down", "unknown"]},
                              "since": {"type": ["string", "null"]}, "last_seen": {"type": ["string", "null"]},
                              "answering": {"type": "boolean"},
                              "uptime_seconds": {"type": ["integer", "null"]},
                              "uptime_as_of": {"type": ["string", "null"]}}},
                          "polled_at": {"type": ["string", "null"]},
                          "interfaces": {"type": "array", "items": {"type": "object"}},
                          "oids": {"type": "object"}, "error": {"type": "string"}}},
        "MachineList": {"type": "object", "required": ["count", "results", "errors"], "properties": {
            "count": {"type": "integer"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Machine"}},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "file": {"type": ["string", "null"]}, "field": {"type": ["string", "null"]},
                "error": {"type": "string"}}}}}},
        "Login": {"type": "object", "required": ["username", "password"], "additionalProperties": False,
                  "properties": {"username": {"type": "string", "minLength": 1},
                                 "password": {"type": "string", "minLength": 1}}},
        "LoginResult": {"type": "object", "required": ["expires_at", "user", "role"], "properties": {
            "expires_at": {"type": "string", "format": "date-time"},
            "user": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)}}},
        "Me": {"type": "object", "required": ["username", "role"],
               "properties": {"username": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)}}},
        "User": {"type": "object", "required": ["username", "role"], "properties": {
            "username": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)},
            "created_at": {"type": "string"},
            "service": {"type": ["string", "null"], "description": "what a service account is for (it cannot be "
                                                                   "removed); null for a person's"}}},
        "NewUser": {"type": "object", "required": ["username", "role", "password"], "additionalProperties": False,
                    "properties": {"username": {"type": "string", "pattern": USERNAME_PATTERN},
                                   "role": {"type": "string", "enum": list(ROLES)},
                                   "password": {"type": "string", "minLength": limits.PASSWORD_MIN,
                                                "pattern": NOT_COMMON_PASSWORD,
                                                "description": "Not one of the most common passwords."}}},
        "UserChange": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "role": {"type": "string", "enum": list(ROLES)},
            "password": {"type": "string", "minLength": limits.PASSWORD_MIN, "pattern": NOT_COMMON_PASSWORD}}},
        "UserChanged": {"type": "object", "required": ["username", "role", "sessions_ended", "tokens_revoked"],
                        "properties": {"username": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)},
                                       "sessions_ended": {"type": "integer"}, "tokens_revoked": {"type": "integer"}}},
        "SessionsEnded": {"type": "object", "required": ["username", "sessions_ended"], "properties": {
            "username": {"type": "string"}, "sessions_ended": {"type": "integer"},
            "tokens_revoked": {"type": "integer"}}},
        "PasswordChange": {"type": "object", "required": ["current", "new"], "additionalProperties": False,
                           "properties": {"current": {"type": "string", "minLength": 1},
                                          "new": {"type": "string", "minLength": limits.PASSWORD_MIN,
                                                  "pattern": NOT_COMMON_PASSWORD}}},
        "UserList": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}},
        "Token": {"type": "object", "required": ["id", "username", "label", "created_at", "expires_at",
                                                 "revoked_at", "state"], "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"}, "label": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "state": {"type": "string", "enum": ["active", "expired", "revoked"]}}},
        "NewToken": {"type": "object", "additionalProperties": False, "properties": {
            "label": {"type": "string", "maxLength": limits.TOKEN_LABEL_MAX, "description": "What it is for."},
            "days": {"type": "integer", "minimum": 1, "maximum": limits.TOKEN_DAYS_MAX,
                     "description": "Lifetime (default: the token_days setting)."}}},
        "MadeToken": {"allOf": [{"$ref": "#/components/schemas/Token"}, {
            "type": "object", "required": ["token"], "properties": {
                "token": {"type": "string", "description": "The secret, shown this once: send it as "
                                                           "Authorization: Bearer <token>."}}}]},
        "TokenList": {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}},
        "Health": {"type": "object", "required": ["status", "database", "writes", "version"], "properties": {
            "status": {"type": "string", "enum": ["ok", "error"]},
            "database": {"type": "string", "description": "ok, or why it cannot be used."},
            "writes": {"type": "string", "description": "ok; busy (another process holds the write lock); no."},
            "version": {"type": "string"}}},
        "Logout": {"type": "object", "required": ["logged_out"], "properties": {"logged_out": {"type": "boolean"}}},
    }
    schemas.update(_machine_schemas())
    schemas["ProbeResult"] = {
        "type": "object", "required": ["ok"], "description": "What the device answered, or why it did not.",
        "properties": {
            "ok": {"type": "boolean"}, "error": {"type": "string"}, "seconds": {"type": "number"},
            "system": {"type": "object", "additionalProperties": {"type": ["string", "integer", "null"]}},
            "interface_count": {"type": "integer"},
            "interfaces": {"type": "array", "items": {"type": "object"}},
            "oids": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "value": {"type": ["number", "null"]}, "problem": {"type": ["string", "null"]}}}}}}
    schemas.update(_notify_schemas())
    responses = {
        name: {"description": text_, "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for name, text_ in (("BadRequest", "Bad input: the error names the field."),
                            ("Unauthorized", "No credentials, or wrong ones."),
                            ("Forbidden", "The user's role is too low, or the CSRF header is missing."),
                            ("NotFound", "No such resource."),
                            ("Conflict", "It already exists, or the change conflicts with the current state."),
                            ("TooLarge", "The body (or batch) is over the size limit."),
                            ("Throttled", "Too many failed logins for this user or from this address: the "
                                          "credentials are not checked until Retry-After seconds have passed."),
                            ("Unavailable", "The database cannot serve the request now; the error says why (busy "
                                            "with another writer: try again after Retry-After seconds; read-only, "
                                            "full or damaged: the server's log names the file)."),
                            ("Busy", "Too many at once: try again in a moment."))
    }
    responses["Unauthorized"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    responses["Throttled"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    responses["Unavailable"]["headers"] = {"Retry-After": {"schema": {"type": "string"},
                                                           "description": "Seconds, when the database is busy."}}
    security_schemes = {
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "From POST /api/login or `api.py mktoken`."},
        "session": {"type": "apiKey", "in": "cookie", "name": "vigie_session",
                    "description": "Set by the login page; state-changing requests also need the "
                                   "X-CSRF-Token header equal to the vigie_csrf cookie."},
    }
    schemas.update(_device_log_schemas())
    schemas.update(_percentile_schemas())
    schemas.update(_availability_schemas())
    return {"schemas": schemas, "responses": responses, "securitySchemes": security_schemes}


def _device_log_schemas() -> dict:
    entry = {"type": "object", "required": ["time", "severity", "host", "app", "message"],
             "description": "One line of a device log (vigie/device_log.py); more keys when known.",
             "properties": {"time": {"type": "string", "format": "date-time"},
                            "severity": {"type": "string", "enum": list(device_log.SEVERITIES)},
                            "host": {"type": "string"}, "app": {"type": "string"}, "message": {"type": "string"},
                            "device_time": {"type": "string"}, "facility": {"type": "string"},
                            "source": {"type": "string"}, "kind": {"type": "string", "enum": ["syslog", "trap"]}}}
    page = {"type": "object", "required": ["machine", "results", "next", "previous"], "properties": {
        "machine": {"type": "string"},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/DeviceLogEntry"}},
        "next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]}}}
    labels = {"type": "object", "additionalProperties": {"type": "string"}}
    # only what the route reads and checks; the payload's other keys are taken as they come
    am_alert = {"type": "object", "required": ["status", "labels", "startsAt", "fingerprint"], "properties": {
        "status": {"type": "string", "enum": ["firing", "resolved"]}, "labels": labels,
        "annotations": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
        "startsAt": {"type": "string", "format": "date-time"},
        "fingerprint": {"type": "string", "pattern": NOT_SPACE}},
        "if": {"properties": {"status": {"const": "resolved"}}},
        "then": {"required": ["endsAt"], "properties": {"endsAt": {"type": "string", "format": "date-time"}}}}
    payload = {"type": "object", "required": ["version", "alerts"], "properties": {
        "version": {"const": "4"}, "alerts": {"type": "array", "items": am_alert}},
        "description": "Alertmanager's (and Grafana alerting's) webhook payload, version 4; endsAt is read "
                       "when an alert is resolved."}
    result = {"type": "object", "required": ["received", "firing", "resolved", "ids", "created"], "properties": {
        "received": {"type": "integer"}, "firing": {"type": "integer"}, "resolved": {"type": "integer"},
        "ids": {"type": "array", "items": {"type": "integer"}}, "created": {"type": "integer"}}}
    end = {"type": "object", "required": ["node", "interface"], "properties": {
        "node": {"type": "string"}, "interface": {"type": ["string", "null"]}}}
    topology = {"type": "object", "required": ["generated_at", "nodes", "links"], "properties": {
        "generated_at": {"type": ["string", "null"]},
        "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "machine"], "properties": {
            "id": {"type": "string"}, "machine": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
            "chassis_id": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}}}},
        "links": {"type": "array", "items": {"type": "object", "required": ["a", "b", "via"], "properties": {
            "a": end, "b": end, "via": {"type": "array", "items": {"type": "string", "enum": ["lldp", "cdp", "manual"]}},
            "last_seen": {"type": ["string", "null"]}}}}},
        "description": "The devices (machines, and unmanaged neighbours: id chassis:..., name:... or address:...) "
                       "and the cables between them, each once."}
    strings = {"type": "array", "maxItems": 64, "items": {"type": "string", "minLength": 1}}
    discovery_input = {"type": "object", "properties": {
        "subnets": dict(strings, description="CIDR networks to sweep"),
        "seeds": dict(strings, description="ADDRESS or ADDRESS:PORT of devices to start from"),
        "within": dict(strings, description="CIDR networks never left (default: the subnets and seeds)"),
        "credentials_from": dict(strings, description="machines whose stored SNMP credentials to try, in order")},
        "description": "A discovery inside the networks of the setting discovery_networks; no secret is sent."}
    candidate = {"type": "object", "properties": {
        "name": {"type": "string"}, "host": {"type": "string"}, "port": {"type": "integer"},
        "description": {"type": "string"}, "via": {"type": "string"}, "snmp_version": {"type": "string"},
        "addresses": {"type": "array", "items": {"type": "string"}}, "added": {"type": "boolean"}}}
    discovery = {"type": "object", "required": ["id", "state"], "properties": {
        "id": {"type": "string"}, "state": {"type": "string", "enum": ["running", "done", "failed"]},
        "probed": {"type": "integer"}, "answered": {"type": "integer"}, "queued": {"type": "integer"},
        "found": {"type": "array", "items": {"type": "string"}}, "error": {"type": "string"},
        "summary": {"type": "object"}, "candidates": {"type": "array", "items": candidate}}}
    add_input = {"type": "object", "properties": {"names": dict(strings, description="the devices to add (none: all)")}}
    add_result = {"type": "object", "required": ["added", "skipped"], "properties": {
        "added": {"type": "array", "items": {"type": "string"}},
        "skipped": {"type": "array", "items": {"type": "object"}}}}
    sender = {"type": "object", "required": ["address", "hosts", "count", "first_seen", "last_seen", "last"],
              "properties": {"address": {"type": "string", "description": "Its source address (else the name it gave)."},
                             "hosts": {"type": "array", "items": {"type": "string"},
                                       "description": "The host names it gave itself, newest first."},
                             "count": {"type": "integer", "description": "Its entries the unknown log holds."},
                             "first_seen": {"type": ["string", "null"]}, "last_seen": {"type": ["string", "null"]},
                             "last": {"$ref": "#/components/schemas/DeviceLogEntry"}}}
    senders = {"type": "object", "required": ["count", "results"], "properties": {
        "count": {"type": "integer"}, "results": {"type": "array", "items": sender}}}
    return {"DeviceLogEntry": entry, "DeviceLogPage": page, "AlertmanagerPayload": payload,
            "AlertmanagerResult": result, "Topology": topology, "DiscoveryInput": discovery_input,
            "Discovery": discovery, "DiscoveryAdd": add_input, "DiscoveryAdded": add_result,
            "UnknownSenders": senders}


LOG_SEVERITY_WORD = "(" + "|".join(_any_case(w) for w in sorted(
    set(device_log.SEVERITIES) | set(device_log.SEVERITY_ALIASES), key=lambda w: (-len(w), w))) + "|[0-7])"
LOG_SEVERITY_PATTERN = f"^{SPACE}*({LOG_SEVERITY_WORD}{SPACE}*)?{END}"


def _percentile_schemas() -> dict:
    rate = {"type": ["number", "null"], "description": "Bits per second (null: not known)."}
    directions = {"in_bps": rate, "out_bps": rate, "busier_bps": dict(rate, description="The greater of in and out.")}
    interface = {"type": "object", "required": ["name", "in_bps", "out_bps", "p95_day", "p95_month"], "properties": {
        "name": {"type": "string", "description": "The interface's name (ifName, else ifDescr): its series' key."},
        "index": {"type": ["integer", "null"]}, "in_bps": rate, "out_bps": rate,
        "in_peak_bps": rate, "out_peak_bps": rate,
        "p95_day": {"type": "object", "description": "95th percentile of the last whole UTC day (exact).",
                    "properties": dict(directions, date={"type": ["string", "null"]})},
        "p95_month": {"type": "object", "description": "95th percentile of the calendar month up to its last "
                      "whole day (within 0.5 %).", "properties": dict(
                          directions, month={"type": ["string", "null"]}, days={"type": ["integer", "null"]})}}}
    by_name = {"type": "object", "additionalProperties": {"type": "object", "properties": directions}}
    number = {"type": ["number", "null"]}
    health = {"type": "object", "required": ["name", "family", "unit", "last"], "properties": {
        "name": {"type": "string", "description": "cpu, cpu:<n>, memory, storage:<mount>, load:1min, processes, "
                                                  "sensor:<name>, fan:<name>, supply:<name>..."},
        "family": {"type": "string"}, "label": {"type": ["string", "null"]},
        "unit": {"type": ["string", "null"], "description": "%, B, °C, V, A, W, RPM, dBm... (empty: a plain number)"},
        "source": {"type": ["string", "null"], "description": "The MIB it was read from."},
        "last": dict(number, description="The last value (null: not answered, or the machine is not answering)."),
        "size": dict(number, description="Memory and storage: the size in bytes."),
        "percent": dict(number, description="Memory and storage: the percentage used."),
        "status": {"type": ["string", "null"], "description": "Sensors, fans, supplies: the device's own status."},
        "days_to_full": dict(number, description="Storage: days until full at the trend of the last week (null: "
                                                 "not filling, or less than three days known)."),
        "trend_per_day": dict(number, description="Storage: bytes a day, the trend of the last week.")}}
    return {"HealthMetric": health, "MachineHealth": {
        "type": "object", "required": ["machine", "metrics"], "properties": {
            "machine": {"type": "string"}, "updated": {"type": ["string", "null"]},
            "metrics": {"type": "array", "items": {"$ref": "#/components/schemas/HealthMetric"}}}},
            "InterfacePercentiles": interface, "MachinePercentiles": {
        "type": "object", "required": ["machine", "interfaces", "days", "months"], "properties": {
            "machine": {"type": "string"}, "updated": {"type": ["string", "null"]},
            "interfaces": {"type": "array", "items": {"$ref": "#/components/schemas/InterfacePercentiles"}},
            "days": {"type": "array", "description": "The last 31 whole UTC days, oldest first.", "items": {
                "type": "object", "properties": {"date": {"type": "string"}, "interfaces": by_name}}},
            "months": {"type": "array", "description": "Calendar months, oldest first (the current one to date).",
                       "items": {"type": "object", "properties": {"month": {"type": "string"},
                                                                  "days": {"type": "integer"},
                                                                  "interfaces": by_name}}}}}}


def _availability_schemas() -> dict:
    whole = {"type": "integer", "minimum": 0}
    seconds = {"type": "object", "required": list(AVAILABILITY_SECONDS), "properties": {
        key: dict(whole, description=text) for key, text in AVAILABILITY_SECONDS.items()}}
    outage = {"type": "object", "required": ["start", "end", "ended_by", "seconds", "seconds_in_period",
                                             "maintenance_seconds"], "properties": {
        "start": {"type": "string", "format": "date-time", "description": "When it began (even before the period)."},
        "end": dict(NULLABLE_TIME, description="When it ended (even after the period); null: still down now."),
        "ended_by": {"type": ["string", "null"], "enum": ["up", "off", "no data", None],
                     "description": "What came next: up, off (administratively down), no data; null: still down."},
        "seconds": whole, "seconds_in_period": whole,
        "maintenance_seconds": dict(whole, description="Of its seconds in the period, those in maintenance.")}}
    subject = {"availability_percent": {"type": ["number", "null"], "minimum": 0, "maximum": 100,
                                        "description": "up / (up + down), rounded down to 4 decimals; maintenance "
                                                       "left out of both with exclude_maintenance; null: no up or "
                                                       "down time in the period (no data)."},
               "seconds": {"$ref": "#/components/schemas/AvailabilitySeconds"},
               "outages": {"type": "array", "items": {"$ref": "#/components/schemas/Outage"}}}
    interface = {"type": "object", "required": ["interface", *subject], "properties": dict(
        subject, interface={"type": "string", "description": "The interface's name (its series' key)."})}
    machine = {"type": "object", "required": ["machine", *subject, "interfaces"], "properties": dict(
        subject, machine={"type": "string"}, error={
            "type": "string", "description": "Why its state history could not be read (its time is no data)."},
        interfaces={
            "type": "array", "items": {"$ref": "#/components/schemas/InterfaceAvailability"},
            "description": "Those with a known state in the period, least available first."})}
    answer = {"type": "object", "required": ["from", "to", "measured_to", "exclude_maintenance", "count", "results"],
              "properties": {"from": {"type": "string", "format": "date-time"},
                             "to": {"type": "string", "format": "date-time"},
                             "measured_to": {"type": "string", "format": "date-time",
                                             "description": "to, or now when to is to come."},
                             "exclude_maintenance": {"type": "boolean"}, "count": {"type": "integer"},
                             "results": {"type": "array", "description": "Least available first; no data last.",
                                         "items": {"$ref": "#/components/schemas/MachineAvailability"}}}}
    return {"AvailabilitySeconds": seconds, "Outage": outage, "InterfaceAvailability": interface,
            "MachineAvailability": machine, "Availability": answer}


AVAILABILITY_SECONDS = {
    "period": "The period measured: from, to measured_to.", "up": "Up.", "down": "Down.",
    "off": "An interface administratively down (not counted).", "no_data": "Nothing known (not counted).",
    "maintenance": "Under a silence that would have matched its down alert (the machine's, or the "
                   "interface's), whatever the state.",
    "up_in_maintenance": "Up and in maintenance.", "down_in_maintenance": "Down and in maintenance."}
YES_NO_PATTERN = f"^{SPACE}*(" + "|".join(_any_case(w) for w in ("true", "false", "yes", "no", "1", "0")) + \
    f"){SPACE}*{END}"


def _availability_paths(settings: dict) -> dict:
    def q(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    return {"/api/availability": {"get": _op(
        "How available each machine and interface was over a period, its outages and its time in maintenance",
        "viewer", {"200": {"description": "The machines the user may see, least available first.", "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/Availability"}},
            "text/csv": {"schema": {"type": "string"}}}},
            "400": _ref("BadRequest"), "404": _ref("NotFound")},
        bool(settings.get("anonymous_read")), operationId="availability", parameters=[
            q("from", {"type": "string", "format": "date-time"},
              "Start of the period, ISO 8601 with an offset (default: 7 days before to)."),
            q("to", {"type": "string", "format": "date-time"}, "End of the period (default: now)."),
            q("machine", {"type": "string", "pattern": MACHINE_NAME_PATTERN}, "Only this machine."),
            q("exclude_maintenance", {"type": "string", "pattern": YES_NO_PATTERN},
              "true: the time in maintenance counts neither up nor down (default false: shown apart only)."),
            q("format", {"type": "string", "enum": ["json", "csv", "outages.csv"]},
              "csv: one row per machine and interface; outages.csv: one row per outage.")])}}


def _device_paths(settings: dict, machine_name: dict) -> dict:
    run_id = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "The discovery's id, as POST /api/discovery answered it."}

    def q(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    anon = bool(settings.get("anonymous_read"))
    metrics_role = None if settings.get("metrics_open") else "viewer"
    return {
        "/api/machine/{name}/log": {
            "parameters": [machine_name],
            "get": _op("The device's own log (syslog, SNMP traps), newest first", "viewer", {
                "200": _json("DeviceLogPage", "One page of entries."), "400": _ref("BadRequest"),
                "404": _ref("NotFound")}, anon, operationId="machineLog", parameters=[
                    q("q", {"type": "string"}, "Text in the message, app or host (case-insensitive)."),
                    q("severity", {"type": "string", "pattern": LOG_SEVERITY_PATTERN},
                      "Entries at this syslog severity or graver: emerg, alert, crit, err, warning, notice, "
                      "info, debug (or 0-7)."),
                    q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size (default 100)."),
                    q("offset", {"type": "integer", "minimum": 0, "maximum": limits.OFFSET_MAX},
                      "Entries to skip.")]),
        },
        "/api/unknown-senders": {
            "get": _op("Who sends syslog messages or traps that match no machine, most recently heard first",
                       "viewer", {"200": _json("UnknownSenders", "The senders; one matching a machine now is left "
                                               "out.")}, anon, operationId="unknownSenders",
                       description="Only admins and users in no scoped team: unknown senders belong to no team."),
        },
        "/api/machine/{name}/percentiles": {
            "parameters": [machine_name],
            "get": _op("Each interface's rates, 24 h peaks and 95th percentiles by day and by month", "viewer", {
                "200": _json("MachinePercentiles", "The machine's percentiles."), "400": _ref("BadRequest"),
                "404": _ref("NotFound")}, anon, operationId="machinePercentiles"),
        },
        "/api/machine/{name}/health": {
            "parameters": [machine_name],
            "get": _op("The device's health metrics: cpu, memory, storage (with its days until full), sensors, fans "
                       "and supplies, as the collector last read them", "viewer", {
                           "200": _json("MachineHealth", "The machine's health metrics."),
                           "400": _ref("BadRequest"), "404": _ref("NotFound")}, anon, operationId="machineHealth"),
        },
        "/api/discovery": {
            "post": _op("Start a network discovery (one at a time) with stored credentials: 202 and its id",
                        "admin", {"202": _json("Discovery", "Started."), "400": _ref("BadRequest"),
                                  "409": _ref("Conflict"), "413": _ref("TooLarge")},
                        requestBody=_body("DiscoveryInput"), operationId="startDiscovery"),
        },
        "/api/discovery/{run_id}": {
            "parameters": [run_id],
            "get": _op("A discovery's progress, and the devices it found (never their credentials)", "admin", {
                "200": _json("Discovery", "Its progress."), "404": _ref("NotFound")}, operationId="getDiscovery"),
        },
        "/api/discovery/{run_id}/add": {
            "parameters": [run_id],
            "post": _op("Add devices a discovery found as machines (names, or none for all); an existing machine "
                        "is never replaced", "admin", {"200": _json("DiscoveryAdded", "What was added."),
                                                       "400": _ref("BadRequest"), "404": _ref("NotFound"),
                                                       "413": _ref("TooLarge")},
                        requestBody=_body("DiscoveryAdd"), operationId="addDiscovered"),
        },
        "/api/topology": {
            "get": _op("The network's topology from LLDP, CDP and the machine files' links (a team member: its "
                       "machines, the links between them, their unmanaged neighbours)", "viewer", {
                "200": _json("Topology", "The topology.")}, anon, operationId="topology"),
        },
        "/api/webhook/alertmanager": {
            "post": _op("Alertmanager's webhook: each alert becomes a Vigie alert with Alertmanager's fingerprint; "
                        "resolved ones resolve it", "operator", {
                            "200": _json("AlertmanagerResult", "Taken."), "400": _ref("BadRequest"),
                            "413": _ref("TooLarge")},
                        requestBody=_body("AlertmanagerPayload"), operationId="alertmanagerWebhook"),
        },
        "/metrics": {"get": _op("Prometheus metrics (text format 0.0.4)", metrics_role, {
            "200": {"description": "The exposition.", "content": {"text/plain": {"schema": {"type": "string"}}}}},
            anon, operationId="metrics")},
    }


def _ref(name):
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema_name, description, status_schema=None):
    return {"description": description,
            "content": {JSON: {"schema": status_schema or {"$ref": f"#/components/schemas/{schema_name}"}}}}


def _body(schema_name, description=""):
    return {"required": True, "description": description,
            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


def _op(summary, role, responses, anonymous_read=False, **extra):
    """An operation needing `role` (None: anyone)."""
    op = {"summary": summary, "responses": responses}
    if role is None:
        op["security"] = []
    else:
        op["description"] = (extra.pop("description", "") + f" Role needed: {role}.").strip()
        op["security"] = [{"basic": []}, {"bearer": []}, {"session": []}] + ([{}] if anonymous_read else [])
        op["responses"] = dict(responses, **{"401": _ref("Unauthorized"), "403": _ref("Forbidden"),
                                             "429": _ref("Throttled")})
    op["responses"] = dict({"503": _ref("Unavailable")}, **op["responses"])
    op.update(extra)
    return op


def _filter_params(with_paging: bool) -> list:
    def q(name, schema, description, **extra):
        return dict({"name": name, "in": "query", "required": False, "schema": schema,
                     "description": description}, **extra)
    params = [
        q("severity", {"type": "array", "items": {"type": "string", "pattern": SEVERITY_LIST_PATTERN}},
          "One or several severities (repeat the parameter or separate by commas).", style="form", explode=True),
        *[q(name, {"type": "array", "items": {"type": "string"}}, f"Exact {name} (repeat for several).",
            style="form", explode=True) for name in db.EXACT_FILTERS],
        q("acknowledged", {"type": "string", "enum": ["true", "false"]}, "Only acknowledged now (true) or not (false)."),
        q("status", {"type": "array", "items": {"type": "string", "pattern": STATUS_LIST_PATTERN}},
          f"Status now: {', '.join(lc.STATUSES)} (repeat or separate by commas). What needs a person: "
          "status=open&silenced=false&suppressed=false.", style="form", explode=True),
        q("flapping", {"type": "string", "enum": ["true", "false"]}, "Only flapping now (true) or not (false)."),
        q("silenced", {"type": "string", "enum": ["true", "false"]}, "Only silenced now (true) or not (false)."),
        q("fingerprint", {"type": "array", "items": {"type": "string"}}, "Exact fingerprint (repeat for several).",
          style="form", explode=True),
        q("silence", ROWID, "Only the alerts this silence matches."),
        q("suppressed", {"type": "string", "enum": ["true", "false"]},
          "Only the alerts that are (true) or are not (false) the doing of another machine that is down."),
        q("suppressed_by_alert", ROWID, "Only the alerts this alert suppresses (what is unreachable behind it)."),
        q("q", {"type": "string", "maxLength": MAX_TEXT}, "Text the message contains (case-insensitive for ASCII)."),
        q("since", {"type": "string", "format": "date-time"}, "Alerts at or after this time (ISO 8601 with offset)."),
        q("until", {"type": "string", "format": "date-time"}, "Alerts at or before this time (ISO 8601 with offset)."),
    ]
    if with_paging:
        params += [
            q("ordering", {"type": "string", "pattern": ORDERING_PATTERN},
              f"Sort fields, comma separated, '-' for descending (default -timestamp); -severity puts {SEVERITIES[0]} first."),
            q("limit", {"type": "integer", "minimum": 1, "maximum": limits.MAX_PAGE_SIZE}, "Page size."),
            q("offset", {"type": "integer", "minimum": 0, "maximum": limits.OFFSET_MAX}, "Alerts to skip."),
            q("format", {"type": "string", "enum": ["json", "csv"]},
              "csv: every match of the filters (all pages, or `limit` when given) as a CSV file, streamed."),
        ]
    return params


def paths(settings: dict) -> dict:
    anon = bool(settings.get("anonymous_read"))
    max_page = settings.get("max_page_size", limits.MAX_PAGE_SIZE)
    page_size = settings.get("page_size", limits.PAGE_SIZE)
    alert_id = {"name": "alert_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}}
    machine_name = {"name": "name", "in": "path", "required": True,
                    "schema": {"type": "string", "pattern": MACHINE_NAME_PATTERN}, "description": "Machine name."}
    list_params = _filter_params(True)
    limit_param = next(p for p in list_params if p["name"] == "limit")
    limit_param["schema"]["maximum"] = max_page
    limit_param["description"] = f"Page size (default {page_size})."
    one_alert = _json("Alert", "The alert.")
    changed = {"200": one_alert, "400": _ref("BadRequest"), "404": _ref("NotFound"), "413": _ref("TooLarge")}
    silence_id = {"name": "silence_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}}

    def action(summary, body, operation_id, required=False):
        return {"parameters": [alert_id], "post": _op(summary, "operator", dict(
            changed, **{"409": _ref("Conflict")}), operationId=operation_id,
            requestBody={"required": required, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{body}"}}}})}
    return {
        "/api/alert": {
            "get": _op("List alerts, filtered, sorted and paginated (or, with format=csv, all of them as CSV)",
                       "viewer", {"200": dict(_json("AlertPage", "One page of alerts."), content={
                           JSON: {"schema": {"$ref": "#/components/schemas/AlertPage"}},
                           "text/csv": {"schema": {"type": "string"}}}), "400": _ref("BadRequest")},
                       anon, parameters=list_params, operationId="listAlerts"),
            "post": _op("Add one alert (object) or a batch (array, all or nothing)", "operator", {
                "200": _json("Alert", "It counted on an alert (same fingerprint, or a source_id already sent): that "
                                      "alert, as it is now."),
                "201": _json("Alert", "Created: the alert, or for a batch {ids, created}.", {
                    "oneOf": [{"$ref": "#/components/schemas/Alert"}, {"$ref": "#/components/schemas/BatchResult"}]}),
                "400": _ref("BadRequest"), "413": _ref("TooLarge")},
                requestBody={"required": True, "content": {JSON: {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/NewAlert"}, {"$ref": "#/components/schemas/AlertBatch"}]}}}},
                operationId="addAlerts"),
        },
        "/api/alert/ack": {
            "post": _op("Acknowledge every alert matching the filters (query or JSON body)", "operator", {
                "200": _json("AckResult", "How many were acknowledged."), "400": _ref("BadRequest"),
                "413": _ref("TooLarge")}, parameters=_filter_params(False),
                requestBody={"required": False, "content": {JSON: {"schema": {"$ref": "#/components/schemas/AckFilters"}}}},
                operationId="ackMatching"),
        },
        "/api/alert/{alert_id}": {
            "parameters": [alert_id],
            "get": _op("One alert", "viewer", {"200": one_alert, "404": _ref("NotFound")}, anon, operationId="getAlert"),
            "post": _op("Change some fields of an alert", "operator", changed,
                        requestBody=_body("AlertChanges"), operationId="changeAlert"),
            "patch": _op("Change some fields of an alert", "operator", changed,
                         requestBody=_body("AlertChanges"), operationId="patchAlert"),
            "put": _op("Replace the seven fields of an alert", "operator", changed,
                       requestBody=_body("AlertReplacement"), operationId="replaceAlert"),
            "delete": _op("Delete an alert", "admin", {"204": {"description": "Deleted."}, "404": _ref("NotFound")},
                          operationId="deleteAlert"),
        },
        "/api/alert/{alert_id}/ack": action("Acknowledge an alert until a time, for some minutes, or until it is "
                                            "resolved (records who and when)", "AckBody", "ackAlert"),
        "/api/alert/{alert_id}/unack": action("Withdraw an alert's acknowledgement", "NoteBody", "unackAlert"),
        "/api/alert/{alert_id}/shelve": action("Shelve (mute) an alert until a time or for some minutes", "ShelveBody",
                                               "shelveAlert", required=True),
        "/api/alert/{alert_id}/unshelve": action("Take an alert off the shelf", "NoteBody", "unshelveAlert"),
        "/api/alert/{alert_id}/resolve": action("Resolve an alert by hand", "NoteBody", "resolveAlert"),
        "/api/alert/{alert_id}/note": {
            "parameters": [alert_id],
            "post": _op("Add a note to an alert's history", "operator", {
                "201": _json("HistoryEntry", "The note, as written."), "400": _ref("BadRequest"),
                "404": _ref("NotFound"), "413": _ref("TooLarge")}, requestBody=_body("NewNote"), operationId="addNote"),
        },
        "/api/alert/{alert_id}/history": {
            "parameters": [alert_id],
            "get": _op("An alert's history, oldest first (kept after the alert is deleted)", "viewer", {
                "200": _json("History", "Every change, who made it and when."), "404": _ref("NotFound")}, anon,
                operationId="alertHistory"),
        },
        "/api/silence": {
            "get": _op("Silences, newest first", "viewer", {"200": _json("SilenceList", "Silences."),
                                                            "400": _ref("BadRequest")}, anon,
                       parameters=[{"name": "state", "in": "query", "required": False,
                                    "schema": {"type": "string", "enum": list(db.silences.STATES)},
                                    "description": "current (default: active or to come), active, pending, "
                                                   "expired or all."}],
                       operationId="listSilences"),
            "post": _op("Silence the alerts that match, for one window or on a weekly schedule", "operator", {
                "201": dict(_json("Silence", "Made."), links={
                    "GetSilence": {"operationId": "getSilence", "parameters": {"silence_id": "$response.body#/id"}},
                    "EndSilence": {"operationId": "endSilence", "parameters": {"silence_id": "$response.body#/id"}},
                    "EditSilence": {"operationId": "editSilence", "parameters": {"silence_id": "$response.body#/id"}},
                    "ExtendSilence": {"operationId": "extendSilence",
                                      "parameters": {"silence_id": "$response.body#/id"}}}),
                "400": _ref("BadRequest"), "413": _ref("TooLarge")}, requestBody=_body("NewSilence"),
                operationId="addSilence",
                description="A time in the past, an end before the start, an unknown time zone or a schedule that "
                            "never matches are refused (400 naming the field). A silence that matches every "
                            "alert, has no end, or lasts more than silence_max_days needs an admin (403)."),
        },
        "/api/silence/preview": {
            "post": _op("What a silence would match if it were made now (a dry run: nothing is written)",
                        "operator", {"200": _json("SilencePreview", "The alerts not resolved it would hold, and "
                                                                    "whether it needs an admin."),
                                     "400": _ref("BadRequest"), "413": _ref("TooLarge")},
                        requestBody=_body("NewSilence"), operationId="previewSilence",
                        description="The body of POST /api/silence; its comment may be left out."),
        },
        "/api/silence/{silence_id}": {
            "parameters": [silence_id],
            "get": _op("One silence, with how many alerts it matches and silences now", "viewer", {
                "200": _json("Silence", "The silence."), "404": _ref("NotFound")}, anon, operationId="getSilence"),
            "put": _op("Edit a silence not over (its author or an admin), with the body of a new one: as in "
                       "Alertmanager, a new silence is made and this one ends now (\"replaces\" names it)",
                       "operator", {"200": _json("Silence", "The new silence."), "400": _ref("BadRequest"),
                                    "404": _ref("NotFound"), "409": _ref("Conflict"), "413": _ref("TooLarge")},
                       requestBody=_body("NewSilence"), operationId="editSilence"),
            "delete": _op("Delete a silence (its author or an admin); the alerts' histories keep what it did",
                          "operator", {"204": {"description": "Deleted."}, "404": _ref("NotFound")},
                          operationId="deleteSilence"),
        },
        "/api/silence/{silence_id}/extend": {
            "parameters": [silence_id],
            "post": _op("Move the end of a silence not over, keeping it (its author or an admin; past "
                        "silence_max_days, an admin)", "operator", {
                            "200": _json("Silence", "Extended."), "400": _ref("BadRequest"),
                            "404": _ref("NotFound"), "409": _ref("Conflict")},
                        requestBody=_body("SilenceExtension"), operationId="extendSilence"),
        },
        "/api/silence/{silence_id}/end": {
            "parameters": [silence_id],
            "post": _op("End a silence now (its author or an admin); it stays listed as expired", "operator", {
                "200": _json("Silence", "Ended."), "404": _ref("NotFound"), "409": _ref("Conflict")},
                operationId="endSilence"),
        },
        "/api/audit": {
            "get": _op("Who changed silences, machines and users, newest first", "admin", {
                "200": _json("AuditPage", "Entries."), "400": _ref("BadRequest")}, parameters=[
                {"name": "kind", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["silence", "machine", "user"]}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": max_page}},
                {"name": "offset", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "maximum": limits.OFFSET_MAX}}],
                operationId="audit"),
        },
        "/api/stats": {"get": _op("Counts for the dashboard", "viewer", {"200": _json("Stats", "Counts.")}, anon,
                                  operationId="stats")},
        "/api/machine": {
            "get": _op("Machines (SNMP secrets masked), with their live state", "viewer", {
                "200": _json("MachineList", "Machines."), "400": _ref("BadRequest")}, anon,
                parameters=[{"name": "state", "in": "query", "required": False,
                             "schema": {"type": "string", "enum": list(MACHINE_STATES)},
                             "description": "only the machines in this state (e.g. down)."}],
                operationId="listMachines"),
            "post": _op("Add a machine: validated, then written to machines/<name>.json", "admin", {
                "201": _json("Machine", "Created."), "400": _ref("BadRequest"), "409": _ref("Conflict"),
                "413": _ref("TooLarge")}, requestBody=_body("MachineInput"), operationId="addMachine"),
        },
        "/api/machine/test": {
            "post": _op("Ask a device once, as the collector would, before saving it: what it answers or why "
                        "it does not (the machine is not saved)", "admin", {
                            "200": _json("ProbeResult", "The device's answer, or why there was none."),
                            "400": _ref("BadRequest"), "409": _ref("Conflict"), "413": _ref("TooLarge"),
                            "429": _ref("Busy")},
                        requestBody=_body("MachineInput"), operationId="testMachine"),
        },
        "/api/machine-import": {
            "post": _op("Add machines from a CSV text (name, address, credentials, tags, port, description), "
                        "checked whole: with an error nothing is added; an existing machine is never written over",
                        "admin", {"200": _json("MachineImportResult", "What was added (with dry_run: what would "
                                               "be) and the rows of machines that exist."),
                                  "400": _ref("BadRequest"), "413": _ref("TooLarge")},
                        requestBody=_body("MachineImport"), operationId="importMachines",
                        description="A 400 for the rows holds \"errors\": [{\"line\", \"column\", "
                                    "\"error\"}], each row's errors by line and column."),
        },
        "/api/machine/{name}": {
            "parameters": [machine_name],
            "get": _op("One machine (SNMP secrets masked)", "viewer", {
                "200": _json("Machine", "The machine."), "400": _ref("BadRequest"), "404": _ref("NotFound")}, anon,
                operationId="getMachine"),
            "put": _op("Replace (or create) a machine; a masked secret sent back keeps the stored one", "admin", {
                "200": _json("Machine", "Replaced."), "201": _json("Machine", "Created."),
                "400": _ref("BadRequest"), "409": _ref("Conflict"), "413": _ref("TooLarge")},
                requestBody=_body("MachineReplacement"), operationId="replaceMachine"),
            "delete": _op("Delete a machine's file", "admin", {
                "204": {"description": "Deleted."}, "400": _ref("BadRequest"), "404": _ref("NotFound")},
                operationId="deleteMachine"),
        },
        "/api/user": {
            "get": _op("Users", "admin", {"200": _json("UserList", "Users.")}, operationId="listUsers"),
            "post": _op("Add a user", "admin", {"201": dict(_json("User", "Created."), links={
                "DeleteUser": {"operationId": "deleteUser", "parameters": {"username": "$response.body#/username"}}}),
                                                "400": _ref("BadRequest"),
                                                "409": _ref("Conflict"), "413": _ref("TooLarge")},
                        requestBody=_body("NewUser"), operationId="addUser"),
        },
        "/api/user/{username}": {
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "delete": _op("Delete a user (and their tokens); not yourself, nor a service account", "admin", {
                "204": {"description": "Deleted."}, "404": _ref("NotFound"), "409": _ref("Conflict")},
                operationId="deleteUser"),
            "patch": _op("Change a user's role, or reset their password (which ends their browser sessions); "
                         "not your own role", "admin", {
                             "200": _json("UserChanged", "Changed."), "400": _ref("BadRequest"),
                             "404": _ref("NotFound"), "409": _ref("Conflict"), "413": _ref("TooLarge")},
                         requestBody=_body("UserChange"), operationId="changeUser"),
        },
        "/api/user/{username}/sessions": {
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "delete": _op("End a user's browser sessions (yours, the one in use aside)", "admin", {
                "200": _json("SessionsEnded", "Ended."), "404": _ref("NotFound")}, operationId="endSessions"),
        },
        "/api/me/password": {
            "post": _op("Change your own password (your other browser sessions end)", "viewer", {
                "200": _json("SessionsEnded", "Changed."), "400": _ref("BadRequest"), "413": _ref("TooLarge")},
                requestBody=_body("PasswordChange"), operationId="changeOwnPassword",
                description="403 also when the current password is wrong."),
        },
        "/api/token": {
            "get": _op("Bearer tokens: yours (an admin: everyone's), never their secret", "viewer", {
                "200": _json("TokenList", "Tokens, oldest first.")}, operationId="listTokens"),
            "post": _op("Make a bearer token for yourself; the secret is in this answer only", "viewer", {
                "201": dict(_json("MadeToken", "Made."), links={"RevokeToken": {
                    "operationId": "revokeToken", "parameters": {"token_id": "$response.body#/id"}}}),
                "400": _ref("BadRequest"), "413": _ref("TooLarge")},
                requestBody={"required": False, "content": {JSON: {"schema": {"$ref": "#/components/schemas/NewToken"}}}},
                operationId="makeToken"),
        },
        "/api/token/{token_id}": {
            "parameters": [{"name": "token_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}}],
            "delete": _op("Revoke a token: yours (an admin: anyone's)", "viewer", {
                "204": {"description": "Revoked."}, "404": _ref("NotFound"), "409": _ref("Conflict")},
                operationId="revokeToken"),
        },
        "/api/login": {
            "post": _op("Log in: the browser's session cookies (a script gets a bearer token from POST /api/token)",
                        None, {
                "200": dict(_json("LoginResult", "Logged in."), headers={
                    "Set-Cookie": {"schema": {"type": "string"},
                                   "description": "vigie_session (HttpOnly, SameSite=Strict) and vigie_csrf."}}),
                "400": _ref("BadRequest"), "401": _ref("Unauthorized"), "403": _ref("Forbidden"),
                "413": _ref("TooLarge"), "429": _ref("Throttled")},
                requestBody=_body("Login"), operationId="login"),
        },
        "/api/logout": {
            "post": _op("Log out: revoke the token or session used, clear the cookies", "viewer", {
                "200": _json("Logout", "Logged out.")}, anon, operationId="logout"),
        },
        "/api/me": {
            "get": {"summary": "Who am I", "operationId": "me",
                    "security": [{"basic": []}, {"bearer": []}, {"session": []}],
                    "responses": {"200": _json("Me", "The user."), "401": _ref("Unauthorized")}},
        },
        "/api/health": {"get": _op("Health: 200 when the database can be read and written", None, {
            "200": _json("Health", "Healthy."),
            "503": _json("Health", "The database cannot be read or written (read-only, full, damaged...).")},
            operationId="health")},
        "/api/openapi.json": {"get": _op("This document", None, {
            "200": {"description": "OpenAPI 3.1 document.", "content": {JSON: {"schema": {"type": "object"}}}}},
            operationId="openapi")},
        **_device_paths(settings, machine_name),
        **_availability_paths(settings),
    }



# ---------------------------------------------------------------- notifications and teams

def _list_of(name):
    return {"type": "object", "required": ["count", "results"], "properties": {
        "count": {"type": "integer"}, "results": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}}}


def _notify_schemas() -> dict:
    names = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": NOTIFY_NAME_MAX}}
    value = {"type": "string", "maxLength": MAX_TEXT}
    pattern = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S", "not": {"pattern": r"\["}}
    scope = {"type": "object", "additionalProperties": False,
             "properties": {k: {"oneOf": [v, {"type": "array", "maxItems": 100, "items": v}]}
                            for k, v in ((k, pattern if k == "server" else value) for k in SCOPE_KEYS)},
             "description": "Matchers: provider, application, environment (exact), server (globs with * and ?)."}
    when = {"type": ["string", "null"], "format": "date-time"}
    return {
        "Channel": {"type": "object", "required": ["name", "url", "scheme", "service", "team", "admin"],
                    "properties": {"name": {"type": "string"}, "url": {"type": "string", "const": "********",
                                                                       "description": "Never shown."},
                                   "scheme": {"type": "string"}, "service": {"type": ["string", "null"]},
                                   "team": {"type": ["string", "null"]}, "admin": {"type": "boolean"},
                                   "created_at": {"type": "string"}, "updated_at": {"type": "string"}}},
        "NewChannel": {"type": "object", "required": ["name", "url"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": NOTIFY_NAME_MAX},
            "url": {"type": "string", "description": "An Apprise URL (mailto://, json://, ntfy://...) or "
                                                     "alertmanager://host:port; \"********\" keeps the stored one."},
            "team": {"type": ["string", "null"]},
            "admin": {"type": "boolean", "description": "The admins' channel: told when a part of Vigie stops."}}},
        "ChannelList": _list_of("Channel"),
        "Rule": {"type": "object", "required": ["name", "team", "enabled", "match", "events", "steps",
                                                "group_wait_seconds", "repeat_minutes"], "properties": {
            "name": {"type": "string"}, "team": {"type": ["string", "null"]}, "enabled": {"type": "boolean"},
            "match": {"type": "object"}, "events": {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}},
            "steps": {"type": "array", "items": {"type": "object"}}, "group_wait_seconds": {"type": "integer"},
            "repeat_minutes": {"type": "integer"}}},
        "NewRule": {"type": "object", "required": ["name", "steps"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": NOTIFY_NAME_MAX},
            "team": {"type": ["string", "null"]}, "enabled": {"type": "boolean"},
            "match": {"type": "object", "additionalProperties": False, "properties": dict(
                scope["properties"], min_severity={"type": "string", "pattern": SEVERITY_PATTERN})},
            "events": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENTS)}},
            "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": {
                "type": "object", "required": ["channels"], "additionalProperties": False, "properties": {
                    "channels": dict(names, minItems=1),
                    "after_minutes": {"type": "integer", "minimum": 0, "maximum": MAX_STEP_MINUTES}}}},
            "group_wait_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_GROUP_WAIT_SECONDS},
            "repeat_minutes": {"type": "integer", "minimum": 0, "maximum": MAX_REPEAT_MINUTES}},
            "description": "Steps: the first is told at once (after_minutes 0), each next one when the alert is "
                           "still open and unacknowledged after its after_minutes."},
        "RuleList": _list_of("Rule"),
        "Team": {"type": "object", "required": ["name", "scope", "members"], "properties": {
            "name": {"type": "string"}, "scope": {"type": "object"},
            "members": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string"}}},
        "NewTeam": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": NOTIFY_NAME_MAX},
            "scope": {"anyOf": [scope, {"type": "null"}], "description": "null or {}: the team sees everything."},
            "members": {"type": "array", "items": {"type": "string"}}}},
        "TeamList": _list_of("Team"),
        "Attempt": {"type": "object", "required": ["started_at", "finished_at", "ok", "answer"], "properties": {
            "started_at": {"type": "string"}, "finished_at": when, "ok": {"type": ["boolean", "null"]},
            "answer": {"type": ["string", "null"]}}},
        "Notification": {"type": "object", "required": ["id", "kind", "state", "channel", "attempts"], "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "state": {"type": "string"},
            "channel": {"type": ["string", "null"]}, "rule": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "delivered_at": when,
            "last_error": {"type": ["string", "null"]},
            "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}}}},
        "NotificationList": _list_of("Notification"),
        "TestQueued": {"type": "object", "required": ["message", "state"], "properties": {
            "message": {"type": "integer", "description": "Read it back at /api/notify/message/{message_id}."},
            "state": {"type": "string"}}},
    }


def _notify_paths() -> dict:
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    gone = {"204": {"description": "Deleted."}, "404": _ref("NotFound")}
    put = {"200": None, "201": None, "400": _ref("BadRequest"), "413": _ref("TooLarge")}

    def made(schema, what):
        return dict(put, **{"200": _json(schema, f"{what} replaced."), "201": _json(schema, f"{what} made.")})

    def named(path, schema, listed, deleted, gone_answers=gone) -> dict:
        """An admin's collection of things known by name: list, add or replace, get, delete."""
        what = schema.lower()
        return {
            path: {
                "get": _op(listed, "admin", {"200": _json(f"{schema}List", f"{schema}s by name.")},
                           operationId=f"list{schema}s"),
                "post": _op(f"Add or replace a {what}", "admin", made(schema, schema),
                            requestBody=_body(f"New{schema}"), operationId=f"put{schema}"),
            },
            path + "/{name}": {
                "parameters": [name],
                "get": _op(f"One {what}", "admin", {"200": _json(schema, f"The {what}."), "404": _ref("NotFound")},
                           operationId=f"get{schema}"),
                "delete": _op(deleted, "admin", gone_answers, operationId=f"delete{schema}"),
            },
        }

    return {
        **named("/api/notify/channel", "Channel", "Notification channels (their URLs never shown)",
                "Delete a channel no rule uses", dict(gone, **{"409": _ref("Conflict")})),
        **named("/api/notify/rule", "Rule", "Notification rules", "Delete a rule"),
        **named("/api/team", "Team", "Teams, their scopes and members", "Delete a team (its rules go with it)"),
        "/api/notify/channel/{name}/test": {
            "parameters": [name],
            "post": _op("Send a test message through a channel", "admin", {
                "202": _json("TestQueued", "Queued; the notifier delivers it."), "404": _ref("NotFound")},
                operationId="testChannel"),
        },
        "/api/notify/message/{message_id}": {
            "parameters": [{"name": "message_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}}],
            "get": _op("A message: its state and every delivery attempt", "admin", {
                "200": _json("Notification", "The message."), "404": _ref("NotFound")}, operationId="getMessage"),
        },
        "/api/alert/{alert_id}/notifications": {
            "parameters": [{"name": "alert_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}}],
            "get": _op("What was told of an alert: where, when, and what failed", "viewer", {
                "200": _json("NotificationList", "Newest first."), "404": _ref("NotFound")},
                operationId="alertNotifications"),
        },
    }


def spec(settings: dict) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Vigie API", "version": __version__,
                 "description": "Alerts, machines and users of a Vigie supervision server. Errors are JSON "
                                "{\"error\", \"field\"}. GET /api/health and this document need no login."},
        "paths": dict(paths(settings), **_notify_paths()),
        "components": components(),
    }
