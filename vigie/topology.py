"""The network's topology: the devices (nodes) and the cables between them (links).

`data/topology.json`, written by `python -m collector.discover` and by the collector
(each machine's LLDP and CDP tables, read again with its hourly interface discovery),
read by the API (`GET /api/topology`) and the site builder (the map, the neighbours
on each machine page):

    {"generated_at": "2026-11-22T10:15:03+00:00",
     "nodes": [{"id", "machine" (a machine's name, or null), "name", "chassis_id", "address"}],
     "links": [{"a": {"node", "interface"}, "b": {"node", "interface"}, "via": ["lldp", "cdp", "manual"],
                "last_seen"}]}

A node that is a machine has the machine's name for id; a neighbour that is no machine
(an unmanaged node) is known by its LLDP chassis id (`chassis:<id>`), else its name
(`name:<sysName>`), else its address (`address:<ip>`). Machine names hold no ':', so the
two never meet. A link seen from both ends is one link: two links are the same cable
when they join the same two nodes and agree on the interface of at least one end.

Everything but `load`, `save` and `update` is a pure function of its arguments, so the
rules (matching a neighbour to a machine and a port to an interface, counting a link
once, what a team may see) are tested on literal input.
"""

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

from vigie.atomic import atomic_write_json
from vigie.utc import iso_from_unix, unix_from_iso

VIA = ("lldp", "cdp", "manual")
# a link its own end no longer reports, whose other end is a machine that may still see
# it, is kept this long after it was last seen (twice the collector's rediscovery)
GRACE_SECONDS = 2 * 3600
# a link nobody reported for this long is gone
STALE_SECONDS = 7 * 24 * 3600
# a device reporting the same neighbours again rewrites them (their last_seen) this often
REFRESH_SECONDS = 24 * 3600
NODE_KEYS = ("id", "machine", "name", "chassis_id", "address")


class TopologyError(ValueError):
    """The topology file cannot be read; the message names the file."""


def path_beside(samples_dir) -> Path:
    """Where the topology file is when no option says: beside the samples folder
    (data/topology.json beside data/samples/)."""
    return Path(samples_dir).parent / "topology.json"


def empty(now: float = 0) -> dict:
    return {"generated_at": iso_from_unix(now) if now else None, "nodes": [], "links": []}


# --- identities: who a node is, which machine it is ---------------------------------

def machine_identity(config: dict, system: dict = None) -> dict:
    """What tells machine `config` apart on the wire: its chassis id (from its "discovered"
    record or the collector's last discovery), its names, its addresses, its interfaces.
    `system` is what the collector found of it ({"sys_name", "chassis_id", "interfaces"})."""
    system = system or {}
    discovered = config.get("discovered") or {}
    names = {config["name"].lower()}
    if system.get("sys_name"):
        names.add(str(system["sys_name"]).lower())
    chassis = {c for c in (discovered.get("chassis_id"), system.get("chassis_id")) if c}
    addresses = {config.get("host")} | set(config.get("syslog_hosts") or ())
    ports = {}
    for field in ("alias", "descr", "name"):     # a name wins over a description, an alias
        for interface in system.get("interfaces") or ():
            if interface.get(field) and interface.get("name"):
                ports[str(interface[field]).lower()] = interface["name"]
    return {"machine": config["name"], "chassis_ids": chassis, "names": names,
            "addresses": {a for a in addresses if a}, "ports": ports}


MATCH_KEYS = ("chassis_ids", "names", "addresses")


def machine_index(machines) -> dict:
    """{"chassis_ids": {id: machine}, "names": ..., "addresses": ..., "by_name": ...} of a list
    of machine identities (the first machine wins a value two share); an index is its own."""
    if isinstance(machines, dict):
        return machines
    index = {key: {} for key in MATCH_KEYS}
    for machine in machines:
        for key in MATCH_KEYS:
            for value in machine[key]:
                index[key].setdefault(value, machine)
    index["by_name"] = {m["machine"]: m for m in machines}
    return index


def match_machine(identity: dict, machines):
    """The machine identity (of `machine_identity`) that `identity` ({"chassis_id", "name",
    "address"}) is, or None: by chassis id first, then by name, then by address.
    `machines` is a list of identities or their machine_index."""
    index = machine_index(machines)
    chassis, name, address = identity.get("chassis_id"), identity.get("name"), identity.get("address")
    for key, value in zip(MATCH_KEYS, (chassis, name and name.lower(), address)):
        if value and value in index[key]:
            return index[key][value]
    return None


def unmanaged_id(identity: dict) -> str:
    for prefix, key in (("chassis", "chassis_id"), ("name", "name"), ("address", "address")):
        if identity.get(key):
            return f"{prefix}:{identity[key]}"
    raise ValueError("a node needs a chassis id, a name or an address")


def node_for(identity: dict, machines: list) -> dict:
    """The node of a device known by `identity`: a machine's when it is one."""
    machine = match_machine(identity, machines)
    node = {key: identity.get(key) for key in NODE_KEYS}
    node["machine"] = machine["machine"] if machine else None
    node["id"] = node["machine"] or unmanaged_id(identity)
    return node


def interface_name(port, machine) -> str:
    """A port as a neighbour names it, as the machine names the interface (ifName) when
    it matches one of its interfaces' name, description or alias; else as given."""
    if not port or machine is None:
        return port
    return machine["ports"].get(str(port).lower(), port)


# --- building the graph -------------------------------------------------------------

def _merge_node(nodes: dict, node: dict) -> None:
    """Add `node`, or fill in what is missing of the node with its id."""
    kept = nodes.setdefault(node["id"], dict(node))
    for key in NODE_KEYS:
        if node.get(key) and not kept.get(key):
            kept[key] = node[key]


def _ends(link: dict) -> tuple:
    return (link["a"]["node"], link["a"]["interface"]), (link["b"]["node"], link["b"]["interface"])


def same_cable(one: dict, other: dict) -> bool:
    """Whether two links are one cable: the same two nodes, and the same interface at one
    end at least (a neighbour may name a port otherwise than its own device does)."""
    (a1, b1), (a2, b2) = _ends(one), _ends(other)
    if (a1[0], b1[0]) != (a2[0], b2[0]):
        a2, b2 = b2, a2
    if (a1[0], b1[0]) != (a2[0], b2[0]):
        return False
    if a1[0] == b1[0]:   # a device cabled to itself: both ends must agree
        return {a1, b1} == {a2, b2}
    return (a1[1] is not None and a1[1] == a2[1]) or (b1[1] is not None and b1[1] == b2[1])


def _same_way(kept: dict, link: dict) -> bool:
    """Whether two links of one cable name its ends in the same order."""
    if kept["a"]["node"] != kept["b"]["node"]:
        return kept["a"]["node"] == link["a"]["node"]
    return kept["a"]["interface"] == link["a"]["interface"] or kept["b"]["interface"] == link["b"]["interface"]


def copied(link: dict) -> dict:
    """A link of its own (deepcopy costs ten times more, and a topology holds thousands)."""
    return {"a": dict(link["a"]), "b": dict(link["b"]), "via": list(link["via"]), "last_seen": link["last_seen"]}


class Links:
    """Links, each cable once: `put` adds a link or merges it into the link of the same
    cable (found among the links between the same two nodes, not the whole list)."""

    def __init__(self, links=()):
        self.items, self.by_pair = [], {}
        for one in links:
            self.put(one)

    def put(self, link: dict) -> None:
        pair = frozenset((link["a"]["node"], link["b"]["node"]))
        kept = self.by_pair.setdefault(pair, [])
        if not _merge_link(kept, link):
            kept.append(copied(link))
            self.items.append(kept[-1])

    def has_cable(self, link: dict) -> bool:
        pair = frozenset((link["a"]["node"], link["b"]["node"]))
        return any(same_cable(kept, link) for kept in self.by_pair.get(pair, ()))


def _merge_link(links: list, link: dict) -> bool:
    """Merge `link` into the link of the same cable in `links`: the ways it was seen
    together, the latest time, and an interface where one end lacked it. False when
    there is none."""
    for kept in links:
        if same_cable(kept, link):
            if not _same_way(kept, link):
                link = dict(link, a=link["b"], b=link["a"])
            for end in ("a", "b"):
                if kept[end]["interface"] is None:
                    kept[end]["interface"] = link[end]["interface"]
            kept["via"] = sorted(set(kept["via"]) | set(link["via"]), key=VIA.index)
            kept["last_seen"] = max(kept["last_seen"] or "", link["last_seen"] or "") or None
            return True
    return False


def link(node_a: str, interface_a, node_b: str, interface_b, via, last_seen) -> dict:
    via = [via] if isinstance(via, str) else list(via)
    return {"a": {"node": node_a, "interface": interface_a}, "b": {"node": node_b, "interface": interface_b},
            "via": via, "last_seen": last_seen}


def observe(topology: dict, reporter: dict, neighbours: list, machines: list, now: float) -> dict:
    """The topology after device `reporter` ({"chassis_id", "name", "address"}, matched to
    a machine if it is one) told its whole neighbour table: `neighbours` is
    [{"interface" (its own port), "via", "chassis_id", "name", "address", "port"}].

    Its links are those it reports now; one it no longer reports is dropped, unless the
    other end is a machine that saw it within GRACE_SECONDS."""
    seen = iso_from_unix(now)
    machines = machine_index(machines)
    nodes = {n["id"]: dict(n) for n in topology["nodes"]}
    here = node_for(reporter, machines)
    _merge_node(nodes, here)
    mine = match_machine(reporter, machines)
    fresh = Links()
    for neighbour in neighbours:
        identity = {"chassis_id": neighbour.get("chassis_id"), "name": neighbour.get("name"),
                    "address": neighbour.get("address")}
        if not any(identity.values()):
            continue
        there = node_for(identity, machines)
        _merge_node(nodes, there)
        theirs = match_machine(identity, machines)
        fresh.put(link(here["id"], interface_name(neighbour.get("interface"), mine),
                       there["id"], interface_name(neighbour.get("port"), theirs), neighbour.get("via") or "lldp", seen))
    links = Links()
    for old in topology["links"]:
        ends = {old["a"]["node"], old["b"]["node"]}
        if here["id"] in ends and "manual" not in old["via"] and not fresh.has_cable(old):
            other = (ends - {here["id"]}) or {here["id"]}
            other_is_machine = any(nodes.get(o, {}).get("machine") for o in other) and other != {here["id"]}
            if not other_is_machine or _age(old, now) > GRACE_SECONDS:
                continue
        links.put(old)
    for new in fresh.items:
        links.put(new)
    return finish({"generated_at": seen, "nodes": list(nodes.values()), "links": links.items}, now)


def _age(link_: dict, now: float) -> float:
    seen = unix_from_iso(link_["last_seen"])
    return float("inf") if seen is None else now - seen


def rematch(topology: dict, machines: list) -> dict:
    """The topology with every node matched again to today's machines: a neighbour that
    became a machine takes its name for id, a machine removed becomes unmanaged, and
    nodes or links that now are the same are merged."""
    renamed, nodes = {}, {}
    machines = machine_index(machines)
    by_machine = machines["by_name"]
    for node in topology["nodes"]:
        identity = {k: node.get(k) for k in ("chassis_id", "name", "address")}
        machine = by_machine.get(node.get("machine")) or match_machine(identity, machines)
        if machine is None and not any(identity.values()):
            identity["name"] = node["id"].split(":", 1)[-1]
        new = dict(node, machine=machine["machine"] if machine else None)
        new["id"] = new["machine"] or unmanaged_id(identity)
        renamed[node["id"]] = new["id"]
        _merge_node(nodes, new)
    links = Links()
    for old in topology["links"]:
        moved = copied(old)
        for end in ("a", "b"):
            moved[end]["node"] = renamed.get(moved[end]["node"], moved[end]["node"])
            machine = by_machine.get(moved[end]["node"])
            moved[end]["interface"] = interface_name(moved[end]["interface"], machine)
        links.put(moved)
    return dict(topology, nodes=list(nodes.values()), links=links.items)


def with_manual_links(topology: dict, configs: list, machines: list, now: float) -> dict:
    """The topology with the links machine files declare ("links": [{"interface", "neighbor",
    "neighbor_interface"}]), via "manual"; a neighbour that is no machine is an unmanaged
    node of that name. Manual links a file no longer declares are dropped."""
    seen = iso_from_unix(now)
    machines = machine_index(machines)
    nodes = {n["id"]: dict(n) for n in topology["nodes"]}
    links = Links()
    for old in topology["links"]:
        if old["via"] != ["manual"]:
            links.put(dict(old, via=[v for v in old["via"] if v != "manual"]))
    by_name = machines["by_name"]
    for config in configs:
        for declared in config.get("links") or ():
            here = node_for({"name": config["name"]}, machines)
            here["machine"] = here["id"] = config["name"]
            _merge_node(nodes, here)
            there = by_name.get(declared["neighbor"])
            far = node_for({"name": declared["neighbor"]}, machines) if there is None else \
                dict({k: None for k in NODE_KEYS}, id=there["machine"], machine=there["machine"])
            _merge_node(nodes, far)
            links.put(link(config["name"], declared["interface"], far["id"], declared.get("neighbor_interface"),
                           "manual", seen))
    return finish({"generated_at": seen, "nodes": list(nodes.values()), "links": links.items}, now)


def finish(topology: dict, now: float) -> dict:
    """Links nobody reported for STALE_SECONDS dropped, unmanaged nodes without a link
    dropped, everything in a stable order."""
    links = [l for l in topology["links"] if "manual" in l["via"] or _age(l, now) <= STALE_SECONDS]
    linked = {end["node"] for l in links for end in (l["a"], l["b"])}
    nodes = [n for n in topology["nodes"] if n.get("machine") or n["id"] in linked]
    return {"generated_at": topology.get("generated_at") or iso_from_unix(now),
            "nodes": sorted(nodes, key=lambda n: n["id"]),
            "links": sorted(links, key=lambda l: (l["a"]["node"], str(l["a"]["interface"]),
                                                   l["b"]["node"], str(l["b"]["interface"])))}


# --- reading the graph ----------------------------------------------------------------

def all_neighbours(topology: dict) -> dict:
    """{node id: its neighbours (as `neighbours` gives them)} of every node, in one pass."""
    nodes = {n["id"]: n for n in topology["nodes"]}
    found = {}
    for l in topology["links"]:
        for here, there in (("a", "b"), ("b", "a")):
            other = nodes.get(l[there]["node"], {})
            found.setdefault(l[here]["node"], []).append({
                "interface": l[here]["interface"], "node": l[there]["node"],
                "name": other.get("machine") or other.get("name") or l[there]["node"],
                "machine": other.get("machine"), "neighbor_interface": l[there]["interface"],
                "via": l["via"], "last_seen": l["last_seen"]})
            if l["a"]["node"] == l["b"]["node"]:
                break
    for entries in found.values():
        entries.sort(key=lambda n: (str(n["interface"]), n["node"]))
    return found


def neighbours(topology: dict, node_id: str) -> list:
    """Who is cabled to node `node_id`: [{"interface", "node", "name", "machine",
    "neighbor_interface", "via", "last_seen"}], by interface."""
    return all_neighbours(topology).get(node_id, [])


def links_of(topology: dict, machine: str) -> list:
    """The links with an end at machine `machine`."""
    return [l for l in topology["links"] if machine in (l["a"]["node"], l["b"]["node"])]


def node_of_machine(topology: dict, machine: str):
    return next((n for n in topology["nodes"] if n.get("machine") == machine), None)


def scoped(topology: dict, visible) -> dict:
    """What a team member sees: the machines in `visible` (names), the links between them,
    and the unmanaged neighbours of those machines with their links to them."""
    visible = set(visible)
    nodes = {n["id"]: n for n in topology["nodes"]}

    def shown_machine(node_id):
        return nodes.get(node_id, {}).get("machine") in visible

    def unmanaged(node_id):
        return node_id in nodes and not nodes[node_id].get("machine")

    links = [l for l in topology["links"]
             if (shown_machine(l["a"]["node"]) and (shown_machine(l["b"]["node"]) or unmanaged(l["b"]["node"])))
             or (shown_machine(l["b"]["node"]) and unmanaged(l["a"]["node"]))]
    kept = {end["node"] for l in links for end in (l["a"], l["b"])}
    return dict(topology, nodes=[n for n in topology["nodes"] if n.get("machine") in visible or n["id"] in kept],
                links=links)


# --- the file ---------------------------------------------------------------------------

def check(data, source="topology") -> dict:
    """`data` when it has the topology's shape; TopologyError naming the file and the key."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) or \
            not isinstance(data.get("links"), list):
        raise TopologyError(f"{source}: expected an object with \"nodes\" and \"links\" lists")
    for i, node in enumerate(data["nodes"]):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            raise TopologyError(f"{source}: nodes[{i}].id: expected text")
    ids = {n["id"] for n in data["nodes"]}
    for i, l in enumerate(data["links"]):
        for end in ("a", "b"):
            if not isinstance(l, dict) or not isinstance(l.get(end), dict) or l[end].get("node") not in ids:
                raise TopologyError(f"{source}: links[{i}].{end}.node: expected the id of a node")
        if not isinstance(l.get("via"), list):
            raise TopologyError(f"{source}: links[{i}].via: expected a list")
    return data


def load(path) -> dict:
    """The topology in `path`, or an empty one when there is no file yet."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty()
    except (OSError, UnicodeDecodeError) as exc:
        raise TopologyError(f"{path}: cannot read the file: {exc}") from None
    try:
        return check(json.loads(text), path)
    except json.JSONDecodeError as exc:
        raise TopologyError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None


def save(path, topology: dict) -> None:
    atomic_write_json(path, topology, indent=1)


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update(path, change) -> dict:
    """Read, change (a pure function of the topology) and write the file under a lock, so
    the discovery and the collector never lose each other's links. A file that cannot
    be read is started anew."""
    path = Path(path)
    with _locked(path):
        try:
            current = load(path)
        except TopologyError:
            current = empty()
        new = change(current)
        save(path, new)
    return new


def systems_from_samples(samples_dir, names) -> dict:
    """{name: what the collector last discovered of it} for the machines it has polled."""
    from vigie.samples import read_discovery

    found = {}
    for name in names:
        discovery = read_discovery(samples_dir, name) if samples_dir else None
        if isinstance(discovery, dict):
            found[name] = discovery
    return found


def record(path, configs: list, systems: dict, sightings: list, now: float) -> dict:
    """Write into the topology file what devices reported: `sightings` is [(identity of the
    reporting device, its whole neighbour list)]; `configs` are today's machines, `systems`
    what is known of each ({name: {"sys_name", "chassis_id", "interfaces"}}). Every node
    is matched again to the machines, and the machine files' own links are applied."""
    machines = machine_index([machine_identity(c, systems.get(c["name"])) for c in configs])

    def change(current):
        topology = rematch(current, machines)
        for reporter, found in sightings:
            topology = observe(topology, reporter, found, machines, now)
        return with_manual_links(topology, configs, machines, now)

    return update(path, change)
