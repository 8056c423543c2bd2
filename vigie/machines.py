"""Machine files: machines/<name>.json, validated against machine_schema.json.

`load_machine` returns the config with the schema's defaults filled in, or
raises MachineConfigError naming the file and the field. Its message is built
from the schema, never from the value found: a community pasted in the wrong
place must not reach a log line, a page or an API answer through the error
that refuses it. Secrets may be inline or a reference ({"env": VAR} /
{"file": PATH}); `resolve_secret` reads them at poll time and `public_view`
strips them from anything shown to a person.
"""

import copy
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from vigie import safe_read
from vigie.errors import InputError, nearest

# The machine-name rule, for Python's fullmatch, JavaScript (the devices form) and the
# OpenAPI document alike. No leading dot: every reader skips hidden files.
NAME_MAX = 100
NAME_PATTERN = rf"(?!\.)[A-Za-z0-9._\-]{{1,{NAME_MAX}}}"
NAME_RE = re.compile(NAME_PATTERN)
SCHEMA_PATH = Path(__file__).with_name("machine_schema.json")
SECRET_KEYS = ("community", "auth_key", "priv_key")
FILE_MODE = 0o640  # a machine file may hold SNMP secrets: never world-readable
HIDDEN = "********"


class MachineConfigError(InputError):
    """A machine file that cannot be used: `message` names the field itself (and never shows
    a value that could be a secret); str() puts the file in front."""

    def __init__(self, source, field, message):
        super().__init__(field, message)
        self.source = str(source) if source else None

    def __str__(self):
        return f"{self.source}: {self.message}" if self.source else self.message


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    """The schema's validator, and the ranking of its errors. jsonschema is imported on the
    first validation, not with this module: most commands that load it never validate."""
    import jsonschema
    from jsonschema.exceptions import by_relevance
    # An unknown key beside a missing one is most often that key misspelt: it is the one said.
    relevance = by_relevance(strong=frozenset({"additionalProperties"}))
    return jsonschema.Draft202012Validator(schema()), relevance


def defaults() -> dict:
    """The top-level defaults, as the schema's "default"s give them."""
    return {key: copy.deepcopy(spec["default"]) for key, spec in schema()["properties"].items() if "default" in spec}


def min_secret_chars(key: str) -> int:
    """The fewest characters an inline secret of this key may have (8 for SNMPv3 keys)."""
    return schema()["$defs"][_secret_definition(key)]["oneOf"][0]["minLength"]


def _secret_definition(key: str) -> str:
    return "v3_key" if key in ("auth_key", "priv_key") else "secret"


def name_problem(name) -> str:
    """Why `name` cannot name a machine, or "" when it can."""
    if not isinstance(name, str):
        return f"machine name must be a string, not {json_type(name)}"
    if NAME_RE.fullmatch(name):
        return ""
    if not name:
        return "machine name is empty"
    if len(name) > NAME_MAX:
        return f"machine name is longer than {NAME_MAX} characters"
    if name.startswith("."):
        return f"invalid machine name {name!r}: it must not start with '.' (such files are hidden and never read)"
    return f"invalid machine name {name!r}: use letters, digits, '.', '_', '-'"


def check_name(name: str, source=None) -> str:
    problem = name_problem(name)
    if problem:
        raise MachineConfigError(source, "name", problem)
    return name


def validate(data, source=None) -> dict:
    """The config with defaults filled in; raise MachineConfigError on the most relevant error."""
    from jsonschema.exceptions import best_match
    validator, relevance = _validator()
    error = best_match(map(_unknown_key_within, validator.iter_errors(data)), key=relevance)
    if error is not None:
        field, message = describe(error)
        raise MachineConfigError(source, field, message)
    unreadable = _not_text(data)
    if unreadable is not None:
        raise MachineConfigError(source, unreadable, f"{unreadable}: not text (an unpaired surrogate: "
                                                     "\\ud800 to \\udfff alone cannot be written in UTF-8)")
    for key in SNMP_ADMIN_STRINGS:
        text = (data.get("snmp") or {}).get(key)
        if isinstance(text, str) and len(text.encode("utf-8")) > SNMP_ADMIN_BYTES:
            raise MachineConfigError(source, f"snmp.{key}", f"snmp.{key}: more than {SNMP_ADMIN_BYTES} bytes in "
                                                            "UTF-8 (an SNMPv3 name, RFC 3414)")
    host = data.get("host")
    if isinstance(host, str) and ":" not in host and max(map(len, host.split("."))) > DNS_LABEL_MAX:
        raise MachineConfigError(source, "host", f"host: a DNS name's parts between dots are at most "
                                                 f"{DNS_LABEL_MAX} characters (RFC 1035)")
    config = defaults()
    config.update(copy.deepcopy(data))
    return config


DNS_LABEL_MAX = 63


SNMP_ADMIN_STRINGS = ("user", "context")   # SnmpAdminString (SIZE(0..32)): bytes, not characters
SNMP_ADMIN_BYTES = 32


def _not_text(node, where: str = ""):
    """The dotted place of the first string (key or value) that UTF-8 cannot hold, or None."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        place = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and _unpaired(key) or isinstance(value, str) and _unpaired(value):
            return place
        inner = _not_text(value, place)
        if inner is not None:
            return inner
    return None


def _unpaired(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unknown_key_within(error):
    """A "oneOf" refusing an object (an extra OID in its long form) because of an unknown
    key: that key's error, which names it, rather than "is not valid"."""
    for inner in error.context if error.validator == "oneOf" else ():
        if inner.validator == "additionalProperties" and inner.instance is error.instance:
            return inner
    return error


_TYPE_WORDS = {"object": "an object", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}
_BOUNDS = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
           "exclusiveMaximum": "less than", "minLength": "at least", "maxLength": "at most",
           "minItems": "at least", "maxItems": "at most"}


def json_type(value) -> str:
    """The JSON type of a value in words ("a string"), never the value itself."""
    for name, kinds in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                        ("array", (list, tuple)), ("object", dict)):
        if isinstance(value, kinds):
            return _TYPE_WORDS[name]
    return _TYPE_WORDS["null"]


def _words(items, quote=True) -> str:
    """'a, b or c'; JSON values other than plain words are shown as JSON."""
    items = [json.dumps(i) if quote and not (isinstance(i, str) and i.isidentifier()) else str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe(error) -> tuple:
    """(field, message) for a jsonschema error, from the schema only: no value is quoted."""
    path = [str(p) for p in error.absolute_path]
    secret = next((p for p in path if p in SECRET_KEYS), None)
    if secret is not None:
        field = ".".join(path[:path.index(secret) + 1])
        definition = schema()["$defs"][_secret_definition(secret)]
        return field, f"{field}: invalid secret (value not shown): expected {definition['description']}"
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = next((p for p in expected if p not in instance), expected[0])
        return ".".join(path + [missing]), f"missing field {'.'.join(path + [missing])!r}"
    if keyword == "dependentRequired":
        needing = next((k for k, needs in expected.items() if k in instance and any(n not in instance for n in needs)), "")
        return ".".join(path + [needing]), f"{'.'.join(path + [needing])} needs {_words(expected.get(needing, []))} too"
    field = ".".join(path) or None
    subject = field or "the machine file"
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else expected
        return field, f"{subject} must be {_words([_TYPE_WORDS[t] for t in types], quote=False)}, not {json_type(instance)}"
    if keyword in ("enum", "const"):
        choices = expected if keyword == "enum" else [expected]
        return field, f"{subject} must be {_words(choices)}"
    if keyword in _BOUNDS:
        unit = {"minLength": " character", "maxLength": " character", "minItems": " item", "maxItems": " item"}
        plural = "s" if keyword in unit and expected != 1 else ""
        return field, f"{subject} must be {_BOUNDS[keyword]} {expected:g}{unit.get(keyword, '')}{plural}"
    if keyword == "additionalProperties":
        return unknown_field(path, instance, list(error.schema.get("properties", {})))
    described = expected.get("description") if keyword == "not" else error.schema.get("description")
    return field, f"{subject} is not valid" + (f": {described}" if described else "")


def unknown_field(path: list, instance: dict, known: list) -> tuple:
    """(field, message) for keys the schema does not declare, said as a missing key is: the
    first one and the nearest known key. Under "snmp" a key may be a secret pasted in the
    wrong place: its name is not quoted there."""
    extra = sorted(key for key in instance if key not in known)
    hint = nearest(extra[0], known)
    more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
    if "snmp" in path[:1]:
        return "snmp", f"snmp: unknown field (name not shown: it could be a secret){hint}{more}"
    field = ".".join(path + [extra[0]])
    return field, f"unknown field {field!r}{hint}{more}"


def parse_machine(name: str, text: str, source=None) -> dict:
    check_name(name, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MachineConfigError(source, None, f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    config = validate(data, source)
    config["name"] = name
    return config


def load_machine(path) -> dict:
    path = Path(path)
    try:
        text = safe_read.read_text(path, safe_read.MACHINE_FILE_MAX, what="a machine file")
    except (OSError, safe_read.Unreadable) as exc:
        raise MachineConfigError(path, None, f"cannot read the file: {exc.strerror}") from None
    return parse_machine(path.stem, text, source=path)


def machine_files(machines_dir) -> list:
    return sorted(p for p in Path(machines_dir).glob("*.json") if not p.name.startswith("."))


def load_all(machines_dir):
    """(configs, errors): every valid machine, and one MachineConfigError per bad file."""
    configs, errors = [], []
    for path in machine_files(machines_dir):
        try:
            configs.append(load_machine(path))
        except MachineConfigError as exc:
            errors.append(exc)
    return configs, errors


def resolve_secret(value, field="secret", source=None) -> str:
    """The secret's text: inline, from an environment variable, or from a file.

    A secret read from elsewhere gets the length check the schema gives an inline
    one: an SNMPv3 key under 8 characters would fail every poll as "no answer".
    """
    if isinstance(value, str):
        return value
    if "env" in value:
        if value["env"] not in os.environ:
            raise MachineConfigError(source, field, f"{field}: environment variable {value['env']} is not set")
        text, origin = os.environ[value["env"]], f"environment variable {value['env']}"
    else:
        try:
            text = safe_read.read_text(value["file"], safe_read.SMALL_FILE_MAX, what="a secret file").strip()
        except (OSError, safe_read.Unreadable) as exc:
            raise MachineConfigError(source, field, f"{field}: cannot read secret file {value['file']}: "
                                     f"{exc.strerror}") from None
        origin = f"secret file {value['file']}"
    least = min_secret_chars(field.rsplit(".", 1)[-1])
    if len(text) < least:
        raise MachineConfigError(source, field, f"{field}: the value of {origin} is shorter than {least} "
                                 f"character{'s' if least > 1 else ''} (value not shown)")
    return text


def public_view(config: dict) -> dict:
    """A copy fit to show: inline secrets replaced by a mask, references kept."""
    view = copy.deepcopy(config)
    snmp = view.get("snmp")
    if isinstance(snmp, dict):
        for key in SECRET_KEYS:
            if isinstance(snmp.get(key), str):
                snmp[key] = HIDDEN
    return view
