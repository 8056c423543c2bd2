"""Devices from a CSV file: one machine file per row, the whole file checked before any is written.

    name,address,credentials,tags
    core-sw-02,192.0.2.12,core-sw-01,environment=prod;application=core-network
    edge-07,2001:db8::7,env:EDGE_COMMUNITY,site=Lyon

UTF-8 (a BOM is allowed), comma-separated, RFC 4180 quoting, a header naming the columns in
any order and any case. Blank lines and lines starting with `#` are skipped.

- `name` (required): the machine's name, as a machine file's stem.
- `address` (required): the agent's IPv4 or IPv6 address or DNS name (the file's `host`).
- `credentials` (required): a stored credential set, named by the machine that holds it
  (its whole `snmp` section, v1, v2c or v3, is copied: no secret in the CSV), or a v2c
  community kept out of the file as the machine file keeps one, `env:VARIABLE` or
  `file:/path`.
- `tags` (optional): `key=value` pairs separated by `;` (`environment`, `application`,
  `provider` reach the alerts; any other key is kept).
- `port` (optional, 161) and `description` (optional).

An unknown column is refused with the nearest known one. Each row becomes a machine file
checked by vigie/machines.py; every error is named by its line and column. A row naming a
machine that exists (by name, or by the same address and port) is reported as known and
never written over. A file with any error writes nothing: fix it and run it again (the
rows added meanwhile are then known).

`plan` is pure (the text and the existing machines in, what to do out); `write` does it.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from vigie import machines as mc
from vigie.atomic import atomic_write_json
from vigie.errors import nearest

REQUIRED = ("name", "address", "credentials")
OPTIONAL = ("tags", "port", "description")
COLUMNS = REQUIRED + OPTIONAL
MAX_BYTES = 4 * 1024 * 1024   # some 40,000 rows
MAX_ROWS = 10_000
REFERENCES = ("env", "file")   # credentials written env:VAR or file:/path: a v2c community kept elsewhere
# which column a machine-file field comes from, for the error's words
COLUMN_OF = {"name": "name", "host": "address", "port": "port", "description": "description", "tags": "tags",
             "snmp": "credentials"}


@dataclass(frozen=True)
class Problem:
    line: int
    column: str    # None: the whole line
    message: str

    def text(self, source: str) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{source}: {where}: {self.message}"


@dataclass
class Plan:
    """What a CSV file asks: the machine files to add, the rows already known, the errors."""
    add: list = field(default_factory=list)      # (line, name, machine file content, credentials as written)
    known: list = field(default_factory=list)    # (line, name, why)
    errors: list = field(default_factory=list)   # Problem


def plan(text: str, existing: dict) -> Plan:
    """What importing `text` would do, given `existing` machines ({name: config, or None for a
    file that does not load}); their valid configs are the stored credential sets."""
    result = Plan()
    rows = _rows(text, result.errors)
    if len(rows) > MAX_ROWS:
        result.errors.append(Problem(rows[MAX_ROWS][0], None, f"more than {MAX_ROWS} rows: split the file"))
        return result
    seen_names, seen_addresses = {}, {}
    known_addresses = {address_of(c): name for name, c in existing.items() if c}
    for line, values in rows:
        machine = _machine(line, values, existing, result.errors)
        if machine is None:
            continue
        name, target = values["name"], address_of(machine)
        if name in seen_names or target in seen_addresses:
            first = seen_names.get(name) or seen_addresses[target]
            column = "name" if name in seen_names else "address"
            result.errors.append(Problem(line, column, f"the same {'name' if column == 'name' else 'device'} "
                                                       f"as line {first}"))
            continue
        seen_names[name], seen_addresses[target] = line, line
        if name in existing:
            result.known.append((line, name, "a machine of this name exists"))
        elif target in known_addresses:
            result.known.append((line, name, f"the same address and port as machine {known_addresses[target]}"))
        else:
            result.add.append((line, name, machine, values["credentials"]))
    return result


def address_of(machine: dict) -> tuple:
    """(host, port) of a machine file's content, the port's default filled in."""
    return machine["host"], machine.get("port", mc.defaults()["port"])


def address_text(machine: dict) -> str:
    """host:port, the host in brackets when it is an IPv6 address."""
    host, port = address_of(machine)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _rows(text: str, errors: list) -> list:
    """[(line, {column: value})] of the data rows; header problems go to `errors`."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    header, rows, line = None, [], 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1   # a quoted cell may span lines: a row starts where it starts
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = _header(start, cells, errors)
                if header is None:
                    return []
                continue
            if len(cells) > len(header):
                errors.append(Problem(start, None, f"{len(cells)} values for the {len(header)} columns of the header"))
                continue
            rows.append((start, {column: (cells[i].strip() if i < len(cells) else "") for i, column in
                                 enumerate(header)}))
    except csv.Error as exc:
        errors.append(Problem(reader.line_num, None, f"not valid CSV: {exc}"))
        return []
    if header is None:
        errors.append(Problem(1, None, f"no header: the first line names the columns, {', '.join(REQUIRED)} "
                                       f"at least"))
    return rows


def _header(line: int, cells: list, errors: list):
    names = [c.strip().lower() for c in cells]
    for name in dict.fromkeys(names):
        if name not in COLUMNS:
            errors.append(Problem(line, name, f"unknown column{nearest(name, COLUMNS)} "
                                              f"(the columns: {', '.join(COLUMNS)})"))
        elif names.count(name) > 1:
            errors.append(Problem(line, name, "this column is named twice"))
    for name in REQUIRED:
        if name not in names:
            errors.append(Problem(line, name, "missing column"))
    return None if errors else names


def _machine(line: int, values: dict, existing: dict, errors: list):
    """The machine file a row describes, checked as any machine file is; None after adding its errors."""
    before = len(errors)
    for column in REQUIRED:
        if not values.get(column):
            errors.append(Problem(line, column, "empty: it is required"))
    if len(errors) > before:
        return None
    snmp = _credentials(line, values["credentials"], existing, errors)
    machine = {"host": values["address"], "snmp": snmp or _CHECKED_APART}
    port = _port(line, values.get("port") or "", errors)
    if port is not None:
        machine["port"] = port
    if values.get("description"):
        machine["description"] = values["description"]
    tags = _tags(line, values.get("tags") or "", errors)
    if tags:
        machine["tags"] = tags
    for check in (lambda: mc.check_name(values["name"]), lambda: mc.validate(machine)):
        try:
            check()
        except mc.MachineConfigError as exc:
            top = (exc.field or "").split(".", 1)[0]
            errors.append(Problem(line, COLUMN_OF.get(top, top or None), exc.message))
    return machine if len(errors) == before else None


# stands for credentials already refused, so the row's other columns are checked too
_CHECKED_APART = {"version": "2c", "community": "-"}


def _credentials(line: int, text: str, existing: dict, errors: list):
    kind, colon, rest = text.partition(":")
    if colon and kind in REFERENCES:
        if not rest:
            errors.append(Problem(line, "credentials", f"{kind}: names nothing (write {kind}:"
                                                       f"{'VARIABLE' if kind == 'env' else '/path'})"))
            return None
        return {"version": "2c", "community": {kind: rest}}
    if colon:
        errors.append(Problem(line, "credentials", "expected the name of a machine whose credentials to use, or "
                                                   "env:VARIABLE or file:/path holding a v2c community"))
        return None
    if existing.get(text) is None:
        why = "its file does not load" if text in existing else "there is none"
        errors.append(Problem(line, "credentials", f"no stored credential set {text!r}: a machine of that name "
                                                   f"holds one, and {why}"))
        return None
    return dict(existing[text]["snmp"])


def _tags(line: int, text: str, errors: list) -> dict:
    tags = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            errors.append(Problem(line, "tags", f"{pair!r} is not key=value (pairs separated by ';')"))
        else:
            tags[key.strip()] = value.strip()
    return tags


def _port(line: int, text: str, errors: list):
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        errors.append(Problem(line, "port", "a whole number from 1 to 65535"))
        return None
    return int(text)


def outcome(result: Plan, added, known, dry_run: bool) -> dict:
    """What an import did (or, dry, would do), as the command's --json and the API say it."""
    rows = [{"line": line, "name": name, "host": address_of(machine)[0], "port": address_of(machine)[1],
             "credentials": credentials} for line, name, machine, credentials in result.add
            if dry_run or name in added]
    return {"dry_run": dry_run, "add" if dry_run else "added": rows,
            "known": [{"line": line, "name": name, "reason": why} for line, name, why in known],
            "errors": [{"line": p.line, "column": p.column, "error": p.message} for p in result.errors]}


# ---------------------------------------------------------------- reading and writing

def existing_machines(machines_dir) -> dict:
    """{name: config, or None for a file that does not load} of the machines folder."""
    configs, errors = mc.load_all(machines_dir) if Path(machines_dir).is_dir() else ([], [])
    found = {c["name"]: c for c in configs}
    for error in errors:
        found.setdefault(Path(error.source).stem, None)
    return found


def write(result: Plan, machines_dir, mode: int) -> tuple:
    """(added, known): write the planned machine files, never one that exists by now."""
    Path(machines_dir).mkdir(parents=True, exist_ok=True)
    added, known = [], list(result.known)
    for line, name, machine, _ in result.add:
        try:
            atomic_write_json(Path(machines_dir) / f"{name}.json", machine, mode=mode, indent=2, replace=False)
            added.append(name)
        except FileExistsError:
            known.append((line, name, "a machine of this name was added meanwhile"))
    return added, known
