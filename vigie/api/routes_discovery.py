"""/api/discovery: the Devices page runs a network discovery, watches it, and adds what it found.

An admin gives subnets and seeds and picks credential sets among the stored ones (the
SNMP credentials of existing machines, named by machine): no secret ever travels
through the browser, nor is shown back. The API starts `python -m collector.discover
--candidates` in a child process, one discovery at a time; the child keeps its progress
in DISCOVERY/<id>/progress.json and the machine files it proposes in candidates.json
(mode 0600). GET shows the progress and the candidates without their credentials; POST
.../add writes the chosen ones (or all) as machine files, never over an existing one.
"""

import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

from bottle import response

from vigie import config, db, machines as mc, topology
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.api.routes_machines import FILE_MODE
from vigie.api.routes_topology import topology_path
from vigie.atomic import atomic_write_json
from vigie.errors import InputError

PACKAGES_ROOT = Path(__file__).resolve().parents[2]   # where vigie/ and collector/ sit side by side
RUN_ID = re.compile(r"[0-9]{10}-[0-9a-f]{6}")
MAX_ITEMS = 64
_lock = threading.Lock()


def discovery_dir(ctx) -> Path:
    return Path(ctx.settings["discovery"])


def string_list(body: dict, field: str) -> list:
    value = body.get(field) or []
    if not isinstance(value, list) or len(value) > MAX_ITEMS or not all(isinstance(v, str) and v.strip()
                                                                        for v in value):
        raise InputError(field, f"{field} must be a list of at most {MAX_ITEMS} non-empty strings")
    return [v.strip() for v in value]


def networks(body: dict, field: str) -> list:
    found = string_list(body, field)
    for text in found:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise InputError(field, f"{field}: {text!r} is not a CIDR network (such as 192.0.2.0/24)") from None
    return found


def allowed_networks(ctx) -> list:
    """The networks the web discovery may probe (the setting discovery_networks); 403 when none."""
    allowed = [ipaddress.ip_network(n, strict=False) for n in ctx.settings.get("discovery_networks") or ()]
    if not allowed:
        raise ApiError(403, "the discovery from the web is off: list the networks it may probe in the API's "
                            "setting discovery_networks (or run python -m collector.discover)")
    return allowed


def inside_allowed(text: str, field: str, allowed: list) -> None:
    network = ipaddress.ip_network(text, strict=False)
    if not any(network.version == a.version and network.subnet_of(a) for a in allowed):
        raise InputError(field, f"{field}: {text} lies outside the networks the discovery from the web may probe "
                                f"({', '.join(map(str, allowed))})")


def seed_address(text: str) -> str:
    """The address of a seed written ADDRESS or ADDRESS:PORT ([ADDRESS]:PORT for IPv6)."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?|([0-9.]+)(?::\d{1,5})?|([0-9A-Fa-f:.]+)", text)
    address = match and (match.group(1) or match.group(2) or match.group(3))
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        raise InputError("seeds", f"seeds: {text!r} is not ADDRESS or ADDRESS:PORT") from None


def seeds(body: dict, allowed: list) -> list:
    found = string_list(body, "seeds")
    for text in found:
        inside_allowed(seed_address(text), "seeds", allowed)
    return found


def credential_machines(ctx, body: dict) -> list:
    names = string_list(body, "credentials_from")
    if not names:
        raise InputError("credentials_from", "credentials_from: pick at least one stored credential set "
                                             "(a machine whose SNMP credentials to try)")
    for name in names:
        if mc.name_problem(name) or not (ctx.machines_dir / f"{name}.json").is_file():
            raise InputError("credentials_from", f"credentials_from: no machine {name!r}")
    return names


def command(ctx, body: dict, run_dir: Path) -> list:
    allowed = allowed_networks(ctx)
    subnets, within = networks(body, "subnets"), networks(body, "within")
    starts = seeds(body, allowed)
    if not subnets and not starts:
        raise InputError("subnets", "give at least one subnet or seed")
    for field, values in (("subnets", subnets), ("within", within)):
        for text in values:
            inside_allowed(text, field, allowed)
    within = within or subnets + [str(ipaddress.ip_network(seed_address(s))) for s in starts]
    cmd = [sys.executable, "-m", "collector.discover", "--config", ctx.settings["config_file"]] \
        if ctx.settings.get("config_file") else [sys.executable, "-m", "collector.discover"]
    cmd += ["--machines", str(ctx.machines_dir),
           "--samples", ctx.settings["samples"], "--topology", str(topology_path(ctx)),
           "--candidates", str(run_dir / "candidates.json"), "--progress-file", str(run_dir / "progress.json")]
    for option, values in (("--subnet", subnets), ("--seed", starts), ("--within", within),
                           ("--credentials-from", credential_machines(ctx, body))):
        for value in values:
            cmd += [option, value]
    return cmd


def running(base: Path):
    """The id of the discovery under way, or None."""
    try:
        current = json.loads((base / "current.json").read_text())
        os.kill(current["pid"], 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    progress = read_json(base / current["id"] / "progress.json") or {}
    return current["id"] if progress.get("state", "running") == "running" else None


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def launch(cmd: list, run_dir: Path) -> subprocess.Popen:
    with open(run_dir / "discover.log", "ab") as log:
        # the API's own configuration file, or none (VIGIE_CONFIG empty: the built-in defaults)
        environ = dict(os.environ) if "--config" in cmd else dict(os.environ, **{config.ENV_FILE: ""})
        proc = subprocess.Popen(cmd, cwd=PACKAGES_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, start_new_session=True, env=environ)
    threading.Thread(target=proc.wait, name=f"discovery {run_dir.name}", daemon=True).start()
    return proc


def start_discovery():
    ctx = context()
    user = ctx.require("admin")
    body = ctx.read_object(': {"subnets", "seeds", "within", "credentials_from"}')
    base = discovery_dir(ctx)
    with _lock:
        if running(base):
            raise ApiError(409, "a discovery is under way: wait for it to end")
        run_id = f"{int(time.time())}-{secrets.token_hex(3)}"
        run_dir = base / run_id
        cmd = command(ctx, body, run_dir)
        run_dir.mkdir(parents=True, mode=0o700)
        atomic_write_json(run_dir / "progress.json", {"state": "running", "probed": 0, "answered": 0, "queued": 0,
                                                      "found": []})
        proc = launch(cmd, run_dir)
        atomic_write_json(base / "current.json", {"id": run_id, "pid": proc.pid})
    db.record_audit(ctx.conn(), user["username"], "run", "discovery", run_id,
                    {"subnets": body.get("subnets") or [], "seeds": body.get("seeds") or []})
    response.status = 202
    return dict(read_json(run_dir / "progress.json"), id=run_id)


def run_dir_of(ctx, run_id: str) -> Path:
    path = discovery_dir(ctx) / run_id
    if not RUN_ID.fullmatch(run_id) or not path.is_dir():
        raise ApiError(404, f"no discovery {run_id!r}", "id")
    return path


def candidates(run_dir: Path, machines_dir: Path) -> list:
    """What a person is shown of each proposed machine: never its credentials."""
    found = (read_json(run_dir / "candidates.json") or {}).get("candidates") or []
    return [{"name": c["name"], "host": c["machine"]["host"], "port": c["machine"]["port"],
             "description": c["machine"].get("description", ""), "via": c["machine"]["discovered"]["via"],
             "snmp_version": c["machine"]["snmp"]["version"], "addresses": c.get("addresses") or [],
             "added": (machines_dir / f"{c['name']}.json").is_file()} for c in sorted(found, key=lambda c: c["name"])]


def get_discovery(run_id):
    ctx = context()
    ctx.require("admin")
    run_dir = run_dir_of(ctx, run_id)
    progress = read_json(run_dir / "progress.json") or {"state": "running"}
    if progress.get("state") == "running" and running(discovery_dir(ctx)) != run_id:
        progress = dict(progress, state="failed", error="the discovery stopped before its end")
    return dict(progress, id=run_id, candidates=candidates(run_dir, ctx.machines_dir))


def add_found(run_id):
    ctx = context()
    user = ctx.require("admin")
    run_dir = run_dir_of(ctx, run_id)
    body = ctx.read_object(': {"names": [...]} (none: all)')
    wanted = string_list(body, "names") if "names" in body else None
    found = {c["name"]: c["machine"] for c in (read_json(run_dir / "candidates.json") or {}).get("candidates") or []}
    unknown = [n for n in wanted or () if n not in found]
    if unknown:
        raise InputError("names", f"names: {unknown[0]!r} is not a device this discovery found")
    added, skipped = [], []
    for name in wanted if wanted is not None else sorted(found):
        mc.validate(found[name], source=name)
        ctx.machines_dir.mkdir(parents=True, exist_ok=True)
        try:
            atomic_write_json(ctx.machines_dir / f"{name}.json", found[name], mode=FILE_MODE, indent=2, replace=False)
        except FileExistsError:
            skipped.append({"name": name, "why": "a machine of that name exists"})
            continue
        db.record_audit(ctx.conn(), user["username"], "create", "machine", name, {"host": found[name]["host"]})
        added.append(name)
    if added:
        rematch_topology(ctx)
    return {"added": added, "skipped": skipped}


def rematch_topology(ctx) -> None:
    """Neighbours that just became machines are drawn as such at once."""
    configs, _ = mc.load_all(ctx.machines_dir)
    systems = topology.systems_from_samples(ctx.settings["samples"], [c["name"] for c in configs])
    try:
        topology.record(topology_path(ctx), configs, systems, [], time.time())
    except OSError:
        pass    # the collector's next discovery matches them


ROUTES = (
    ("POST", "/api/discovery", start_discovery),
    ("GET", "/api/discovery/<run_id>", get_discovery),
    ("POST", "/api/discovery/<run_id>/add", add_found),
)
