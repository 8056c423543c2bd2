"""/api/machine...: the machines/<name>.json files, validated, written atomically,
shown with their SNMP secrets masked."""

import json

from bottle import response

from vigie import machines as mc
from vigie.atomic import atomic_write_json
from vigie.api.errors import api_error

FILE_MODE = 0o640  # holds SNMP secrets: not world-readable


def shown(config: dict) -> dict:
    view = mc.public_view(config)
    view["name"] = config["name"]
    return view


def keep_masked_secrets(new: dict, old: dict) -> dict:
    """A client sending back the mask it was shown keeps the stored secret."""
    new_snmp, old_snmp = new.get("snmp"), (old or {}).get("snmp") or {}
    if isinstance(new_snmp, dict):
        for key in mc.SECRET_KEYS:
            if new_snmp.get(key) == mc.HIDDEN:
                if key not in old_snmp:
                    raise api_error(400, f"snmp.{key} is the mask {mc.HIDDEN!r}: send the real value", f"snmp.{key}")
                new_snmp[key] = old_snmp[key]
    return new


def register(app, ctx):
    def path_of(name):
        try:
            mc.check_name(name)
        except mc.MachineConfigError as exc:
            raise api_error(400, exc.message, "name") from None
        return ctx.machines_dir / f"{name}.json"

    def read_raw(name):
        try:
            return json.loads(path_of(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def validated(name, body):
        try:
            mc.validate(body, source=None)
        except mc.MachineConfigError as exc:
            raise api_error(400, exc.message, exc.field) from None

    def write(name, body, created):
        ctx.machines_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path_of(name), body, mode=FILE_MODE, indent=2)
        response.status = 201 if created else 200
        return shown(mc.load_machine(path_of(name)))

    @app.get("/api/machine")
    def list_machines():
        ctx.require("viewer")
        configs, errors = mc.load_all(ctx.machines_dir) if ctx.machines_dir.is_dir() else ([], [])
        return {"count": len(configs), "results": [shown(c) for c in configs],
                "errors": [{"file": e.source, "field": e.field, "error": e.message} for e in errors]}

    @app.post("/api/machine")
    def add_machine():
        ctx.require("admin")
        body = ctx.read_json()
        if not isinstance(body, dict):
            raise api_error(400, "send a JSON object: the machine file's content plus \"name\"")
        body = dict(body)
        name = body.pop("name", None)
        if name is None:
            raise api_error(400, "missing field 'name'", "name")
        path = path_of(name)
        if path.exists():
            raise api_error(409, f"machine {name!r} already exists: PUT /api/machine/{name} replaces it", "name")
        validated(name, body)
        keep_masked_secrets(body, None)
        return write(name, body, created=True)

    @app.get("/api/machine/<name>")
    def get_machine(name):
        ctx.require("viewer")
        path = path_of(name)
        if not path.exists():
            raise api_error(404, f"no machine {name!r}", "name")
        try:
            return shown(mc.load_machine(path))
        except mc.MachineConfigError as exc:
            raise api_error(500, f"machine file is invalid: {exc.message}", exc.field) from None

    @app.put("/api/machine/<name>")
    def replace_machine(name):
        ctx.require("admin")
        path = path_of(name)
        body = ctx.read_json()
        if not isinstance(body, dict):
            raise api_error(400, "send a JSON object: the machine file's content")
        body = dict(body)
        body.pop("name", None)  # the URL names the machine; a shown config may be sent back as it is
        keep_masked_secrets(body, read_raw(name))
        validated(name, body)
        return write(name, body, created=not path.exists())

    @app.delete("/api/machine/<name>")
    def delete_machine(name):
        ctx.require("admin")
        path = path_of(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise api_error(404, f"no machine {name!r}", "name") from None
        response.status = 204
        return ""
