"""/api/machine...: the machines/<name>.json files, validated, written atomically,
shown with their SNMP secrets masked, with what the collector sees of them now (`live`)
and what stands between the collector and them (`upstream`: parents and where they
came from, vigie/dependencies.py). Writing or deleting a machine makes the verdict of
dependencies again at once."""

import json
from pathlib import Path

from bottle import request, response

from vigie import db, device_import
from vigie import dependencies as dp
from vigie import machines as mc, safe_read
from vigie.api import scoping
from vigie.api.context import context, no_content, reject_unknown_fields
from vigie.api.errors import ApiError
from vigie.atomic import atomic_write_json
from vigie.errors import InputError
from vigie.machine_state import MACHINE_STATES, read_live, state_of

FILE_MODE = mc.FILE_MODE
SHOWN_ONLY = ("live", "upstream")   # what GET adds: never the file's, dropped from what is sent back


def shown(config: dict) -> dict:
    view = mc.public_view(config)
    view["name"] = config["name"]
    return view


def keep_masked_secrets(new: dict, old: dict, replacing: bool = False) -> dict:
    """A client sending back the mask it was shown keeps the stored secret. The mask in a
    new machine (POST) is a bad value (400); in a PUT where no such secret is stored, it
    conflicts with what is there (409)."""
    new_snmp, old_snmp = new.get("snmp"), (old or {}).get("snmp") or {}
    if isinstance(new_snmp, dict):
        for key in mc.SECRET_KEYS:
            if new_snmp.get(key) == mc.HIDDEN:
                if not replacing:
                    raise InputError(f"snmp.{key}", f"snmp.{key} is the mask {mc.HIDDEN!r}: send the real value")
                if key not in old_snmp:
                    raise ApiError(409, f"snmp.{key} is the mask {mc.HIDDEN!r} but the stored machine has no "
                                        f"{key} to keep: send the real value", f"snmp.{key}")
                new_snmp[key] = old_snmp[key]
    return new


def path_of(ctx, name):
    return ctx.machines_dir / f"{mc.check_name(name)}.json"


def read_raw(ctx, name):
    try:
        return json.loads(safe_read.read_text(path_of(ctx, name), safe_read.MACHINE_FILE_MAX))
    except (OSError, ValueError):
        return None


def check_parents(ctx, name: str, body: dict) -> None:
    """Parents set by hand must be machines, not the machine itself, and make no cycle with
    the others' (400 naming the field, and the files of a cycle)."""
    if body.get("parents") is None:
        return
    others = [c for c in mc.load_all(ctx.machines_dir)[0] if c["name"] != name] if ctx.machines_dir.is_dir() else []
    names = {c["name"] for c in others} | {name}
    problem = dp.manual_problem(name, body["parents"], names, source=lambda n: f"{n}.json")
    if problem:
        raise InputError("parents", problem)
    parents = {c["name"]: c["parents"] for c in others if c.get("parents") is not None}
    cycle = dp.find_cycle(dict(parents, **{name: body["parents"]}))
    if cycle:
        raise InputError("parents", f"{', '.join(sorted({f'{n}.json' for n in cycle}))}: parents make a cycle "
                                    f"{' -> '.join(cycle)}")


def decide_again(ctx) -> None:
    """The machines changed: the verdict of dependencies is made again from the files."""
    db.dependencies.refresh(ctx.conn(), ctx.network.network(force=True))


def write(ctx, user, name, body, created):
    check_parents(ctx, name, body)
    ctx.machines_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path_of(ctx, name), body, mode=FILE_MODE, indent=2)
    response.status = 201 if created else 200
    machine = shown(mc.load_machine(path_of(ctx, name)))
    db.record_audit(ctx.conn(), user["username"], "create" if created else "replace", "machine", name,
                    {"host": machine.get("host")})  # never the SNMP secrets
    decide_again(ctx)
    return dict(machine, upstream=upstream_of(ctx, name))


def upstream_of(ctx, name: str) -> dict:
    """The machine's parents as the files say them now, where they came from, and why its own
    "parents" were set aside (if they were)."""
    return ctx.network.current().upstreams.get(name, dp.Upstream()).as_dict()


def with_live(ctx, config: dict) -> dict:
    """The machine as shown, with its live state from the collector's samples and its parents."""
    return dict(shown(config), live=read_live(Path(ctx.settings["samples"]), config["name"]),
                upstream=upstream_of(ctx, config["name"]))


def parse_state_filter(query):
    """?state=down (or unknown, up): only the machines in that state; None: all."""
    state = query.get("state")
    if state is not None and state not in MACHINE_STATES:
        raise InputError("state", f"unknown state {state!r}: expected {', '.join(MACHINE_STATES)}")
    return state


def list_machines():
    """Machines with their live state; ?state=down lists only the machines in that state
    (a state filter leaves out the files that cannot be read: they have no state)."""
    ctx = context()
    ctx.require("viewer")
    wanted = parse_state_filter(request.query.decode())
    configs, errors = mc.load_all(ctx.machines_dir) if ctx.machines_dir.is_dir() else ([], [])
    if scoping.current_scopes(ctx) is not None:  # a member: the machines in scope, no broken file's name
        configs, errors = [c for c in configs if scoping.machine_visible(ctx, c["name"], c)], []
    results = [with_live(ctx, c) for c in configs]
    if wanted is not None:
        results, errors = [m for m in results if state_of(m["live"]) == wanted], []
    return {"count": len(results), "results": results,
            "errors": [{"file": Path(e.source).name if e.source else None, "field": e.field, "error": e.message}
                       for e in errors]}  # the file's name: a viewer never sees the server's folders


def add_machine():
    ctx = context()
    user = ctx.require("admin")
    body = dict(ctx.read_object(': the machine file\'s content plus "name"'))
    name = body.pop("name", None)
    for key in SHOWN_ONLY:
        body.pop(key, None)
    if name is None:
        raise InputError("name", "missing field 'name'")
    path = path_of(ctx, name)
    if path.exists():
        raise ApiError(409, f"machine {name!r} already exists: PUT /api/machine/{name} replaces it", "name")
    mc.validate(body)
    keep_masked_secrets(body, None)
    return write(ctx, user, name, body, created=True)


def get_machine(name):
    ctx = context()
    ctx.require("viewer")
    path = path_of(ctx, name)
    if not path.exists():
        raise ApiError(404, f"no machine {name!r}", "name")
    try:
        config = mc.load_machine(path)
    except mc.MachineConfigError as exc:
        if scoping.current_scopes(ctx) is not None:
            raise ApiError(404, f"no machine {name!r}", "name") from None
        raise ApiError(500, f"machine file is invalid: {exc.message}", exc.field) from None
    if not scoping.machine_visible(ctx, name, config):
        raise ApiError(404, f"no machine {name!r}", "name")
    return with_live(ctx, config)


def replace_machine(name):
    ctx = context()
    user = ctx.require("admin")
    path = path_of(ctx, name)
    body = dict(ctx.read_object(": the machine file's content"))
    if not isinstance(body.pop("name", name), str):   # the URL names the machine; a shown one may be sent back
        raise InputError("name", "name must be a string (the address names the machine)")
    for key in SHOWN_ONLY:
        body.pop(key, None)
    keep_masked_secrets(body, read_raw(ctx, name), replacing=True)
    mc.validate(body)
    return write(ctx, user, name, body, created=not path.exists())


def delete_machine(name):
    ctx = context()
    user = ctx.require("admin")
    try:
        path_of(ctx, name).unlink()
    except FileNotFoundError:
        raise ApiError(404, f"no machine {name!r}", "name") from None
    db.record_audit(ctx.conn(), user["username"], "delete", "machine", name)
    decide_again(ctx)
    return no_content()


def import_machines():
    """Machines from a CSV text (vigie/device_import.py): {"csv": "...", "dry_run": bool}. 200 with
    what was (or would be) added and what is known; 400 with every error by line and column,
    nothing written."""
    ctx = context()
    user = ctx.require("admin")
    body = ctx.read_object('{"csv": "the CSV text", "dry_run": true or false}')
    reject_unknown_fields(body, ("csv", "dry_run"))
    text, dry_run = body.get("csv"), body.get("dry_run", False)
    if not isinstance(text, str):
        raise InputError("csv", "csv must be the text of the CSV file")
    if not isinstance(dry_run, bool):
        raise InputError("dry_run", "dry_run must be true or false")
    result = device_import.plan(text, device_import.existing_machines(ctx.machines_dir))
    if result.errors:
        count = len(result.errors)
        raise ApiError(400, f"{count} error{'s' if count > 1 else ''} in the CSV: nothing was added", "csv",
                       errors=device_import.outcome(result, [], [], dry_run)["errors"])
    added, known = ([], result.known) if dry_run else device_import.write(result, ctx.machines_dir, FILE_MODE)
    for _, name, machine, _ in result.add:
        if name in added:
            db.record_audit(ctx.conn(), user["username"], "create", "machine", name, {"host": machine["host"]})
    return device_import.outcome(result, added, known, dry_run)


ROUTES = (
    ("GET", "/api/machine", list_machines),
    ("POST", "/api/machine", add_machine),
    ("POST", "/api/machine-import", import_machines),
    ("GET", "/api/machine/<name>", get_machine),
    ("PUT", "/api/machine/<name>", replace_machine),
    ("DELETE", "/api/machine/<name>", delete_machine),
)
