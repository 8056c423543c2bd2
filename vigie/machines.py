"""Machine files: machines/<name>.json, validated against machine_schema.json.

`load_machine` returns the config with defaults filled in, or raises
MachineConfigError naming the file and the field. Secrets may be inline or a
reference ({"env": VAR} / {"file": PATH}); `resolve_secret` reads them at poll
time and `public_view` strips them from anything shown to a person.
"""

import copy
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import jsonschema
from jsonschema.exceptions import best_match

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
SCHEMA_PATH = Path(__file__).with_name("machine_schema.json")
SECRET_KEYS = ("community", "auth_key", "priv_key")
HIDDEN = "********"
DEFAULTS = {"port": 161, "interfaces": "all", "oids": {}, "interval": 60, "timeout": 2,
            "retries": 1, "down_after": 2, "threshold_percent": 90, "tags": {}}


class MachineConfigError(ValueError):
    def __init__(self, source, field, message):
        where = f"{source}: " if source else ""
        at = f"{field}: " if field else ""
        super().__init__(f"{where}{at}{message}")
        self.source = str(source) if source else None
        self.field = field
        self.message = message


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    return jsonschema.Draft202012Validator(schema())


def check_name(name: str, source=None) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name) or name in (".", ".."):
        raise MachineConfigError(source, "name", f"invalid machine name {name!r}: use letters, digits, '.', '_', '-'")
    return name


def validate(data, source=None) -> dict:
    """The config with defaults filled in; raise MachineConfigError on the most relevant error."""
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or None
        if any(part in SECRET_KEYS for part in error.absolute_path):
            # jsonschema quotes the value; a secret must not reach a log line or a reply
            raise MachineConfigError(source, field, "invalid secret (value not shown): expected a string of "
                                     "1 to 256 characters, {\"env\": \"VAR\"} or {\"file\": \"/path\"}")
        raise MachineConfigError(source, field, error.message)
    config = copy.deepcopy(DEFAULTS)
    config.update(copy.deepcopy(data))
    return config


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MachineConfigError(path, None, f"cannot read: {exc}") from None
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
    """The secret's text: inline, from an environment variable, or from a file."""
    if isinstance(value, str):
        return value
    if "env" in value:
        if value["env"] not in os.environ:
            raise MachineConfigError(source, field, f"environment variable {value['env']} is not set")
        return os.environ[value["env"]]
    try:
        return Path(value["file"]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MachineConfigError(source, field, f"cannot read secret file {value['file']}: {exc.strerror}") from None


def public_view(config: dict) -> dict:
    """A copy fit to show: inline secrets replaced by a mask, references kept."""
    view = copy.deepcopy(config)
    snmp = view.get("snmp")
    if isinstance(snmp, dict):
        for key in SECRET_KEYS:
            if isinstance(snmp.get(key), str):
                snmp[key] = HIDDEN
    return view
