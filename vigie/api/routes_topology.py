"""GET /api/topology: the network's topology (data/topology.json, vigie/topology.py),
scoped like everything else: a member of a scoped team sees the machines in scope,
the links between them and the unmanaged neighbours of those machines, nothing else."""

from pathlib import Path

from vigie import machines as mc, topology
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError


def topology_path(ctx) -> Path:
    return Path(ctx.settings["topology"])


def visible_machines(ctx) -> set:
    configs, _ = mc.load_all(ctx.machines_dir) if ctx.machines_dir.is_dir() else ([], [])
    return {c["name"] for c in configs if scoping.machine_visible(ctx, c["name"], c)}


def get_topology():
    ctx = context()
    ctx.require("viewer")
    try:
        found = topology.load(topology_path(ctx))
    except topology.TopologyError:
        raise ApiError(500, "the topology file cannot be read (see the discovery's and the collector's logs)") \
            from None
    if scoping.current_scopes(ctx) is not None:
        found = topology.scoped(found, visible_machines(ctx))
    return found


ROUTES = (
    ("GET", "/api/topology", get_topology),
)
