"""docs/devices.md documents every machine-file key (each extra-OID and per-interface option
too), by its name in backquotes: a key added without a word for the sysadmin fails here.
The settings are documented in docs/configuration.md, generated from their table
(tests/test_config.py)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "docs" / "devices.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "vigie" / "machine_schema.json").read_text(encoding="utf-8"))


def section(title: str) -> str:
    """The page's text from a heading to the next heading of its level or above."""
    start = README.index(title) + len(title)
    level = title.split(" ")[0]
    end = re.search(r"^#{1,%d} " % len(level), README[start:], re.M)
    return README[start:start + end.start()] if end else README[start:]


MACHINE_FILES = section("## Adding a device")


def documented(key: str, text: str = README) -> bool:
    """`key` in backquotes, alone or as the last part of a dotted name (`oids.<name>.scale`)
    or a list of them (`oids.<name>.above`, `.below`)."""
    return re.search(r"`[^`\n]*\.?" + re.escape(key) + "`", text) is not None


def schema_keys() -> set:
    props = SCHEMA["properties"]
    keys = set(props)
    for name, spec in props.items():
        keys |= set(spec.get("properties") or ())
    oid_object = next(o for o in props["oids"]["additionalProperties"]["oneOf"] if o.get("type") == "object")
    keys |= set(oid_object["properties"])
    keys |= set(props["interface_thresholds"]["additionalProperties"]["properties"])
    return keys


def test_every_machine_file_key_is_in_the_readme():
    missing = sorted(k for k in schema_keys() if not documented(k, MACHINE_FILES))
    assert missing == [], f"machine-file keys not documented in docs/devices.md's machine files: {missing}"
