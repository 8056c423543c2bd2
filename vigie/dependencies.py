"""Who is behind whom: each machine's parents toward the collector, and which machines
that stop answering are unreachable behind a machine that is down, not down themselves.

**Parents.** The collector reaches the network through its vantage machines (the
setting `dependencies.vantage`; by default the seeds of the discovery, and in a part of
the network holding none of them, its most central machine). A breadth-first walk of
the topology from them gives every device its distance; a machine's parents are its
neighbours one step closer. A neighbour that is no machine (a switch Vigie does not
poll) is looked through: its own parents stand in for it. A device with two uplinks
has two parents and is cut off only when both are down. A machine file's `"parents":
[names]` overrides what the topology says (`[]`: directly reachable, behind nothing);
a manual parent that is no machine, the machine itself, or a cycle of parents is set
aside with a problem naming the files, and the parents found in the topology are used.

**Verdict.** Given everyone's parents and the set of machines that are down (their
reachability alert not resolved), a down machine is *unreachable* when every one of
its parents is down; its *root cause* is the nearest down machine up its parents that
is not itself unreachable (the first by name among several as near). An interface-down
alert of a port whose cable leads to a down machine is that machine's doing too. The
verdict is a function of the set of down machines alone: neither the order the polls
came in, nor the collector's shards, nor the order of the alert files changes it.

Pure functions of their arguments, tested on literal input.
"""

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field

from vigie.down_alerts import interface_down_fingerprint

SOURCES = ("manual", "lldp", "cdp", "links", "vantage", "none")
VIA_SOURCE = (("lldp", "lldp"), ("cdp", "cdp"), ("manual", "links"))   # a link's via -> where the parents came from


@dataclass(frozen=True)
class Upstream:
    """What stands between the collector and one machine."""
    parents: tuple = ()        # machine names, sorted
    source: str = "none"       # one of SOURCES
    hops: int = None           # links from the nearest vantage machine (None: not in the topology)
    problem: str = None        # why the machine file's parents were set aside

    def as_dict(self) -> dict:
        return {"parents": list(self.parents), "source": self.source, "hops": self.hops, "problem": self.problem}


# --- the graph ------------------------------------------------------------------------

def graph(topology: dict) -> dict:
    """{node id: {neighbour id: set of vias}} of the topology's links, each cable both ways."""
    found = {n["id"]: {} for n in topology.get("nodes") or ()}
    for link in topology.get("links") or ():
        a, b = link["a"]["node"], link["b"]["node"]
        if a == b:
            continue
        for here, there in ((a, b), (b, a)):
            found.setdefault(here, {}).setdefault(there, set()).update(link.get("via") or ())
    return found


def distances(adjacency: dict, starts) -> dict:
    """{node: links from the nearest of `starts`} for the nodes reached."""
    dist = {s: 0 for s in starts}
    queue = deque(sorted(dist))
    while queue:
        node = queue.popleft()
        for other in sorted(adjacency.get(node, ())):
            if other not in dist:
                dist[other] = dist[node] + 1
                queue.append(other)
    return dist


def components(adjacency: dict) -> list:
    """The connected parts of the graph, each a set of nodes, in the order of their smallest id."""
    seen, parts = set(), []
    for node in sorted(adjacency):
        if node not in seen:
            part = set(distances(adjacency, [node]))
            seen |= part
            parts.append(part)
    return parts


def centre(adjacency: dict, part: set, machines: set):
    """The most central machine of a connected part: the machine nearest the middle of its
    longest path (found by two walks, exact on a tree), then the one with the most
    neighbours, then the first by name. None when the part holds no machine."""
    candidates = sorted(part & machines)
    if not candidates:
        return None
    first = distances(adjacency, [candidates[0]])
    a = max(sorted(first), key=lambda n: first[n])
    from_a = distances(adjacency, [a])
    b = max(sorted(from_a), key=lambda n: from_a[n])
    from_b = distances(adjacency, [b])
    return min(candidates, key=lambda m: (max(from_a[m], from_b[m]), -len(adjacency.get(m, ())), m))


def vantage_points(configs: list, topology: dict, chosen=()) -> tuple:
    """(vantage machines, problems): the machines named by the setting (`chosen`), else those
    the discovery started from (`discovered.via == "seed"`); a part of the network that
    holds none of them gets its most central machine."""
    names = {c["name"] for c in configs}
    problems = [f"dependencies.vantage: {name!r} is not a machine" for name in chosen if name not in names]
    picked = {name for name in chosen if name in names} or \
        {c["name"] for c in configs if (c.get("discovered") or {}).get("via") == "seed"}
    adjacency = graph(topology)
    for part in components(adjacency):
        if not part & picked:
            middle = centre(adjacency, part, names)
            if middle is not None:
                picked.add(middle)
    return picked, problems


# --- parents from the topology --------------------------------------------------------

def _source(vias: set) -> str:
    return next((source for via, source in VIA_SOURCE if via in vias), "none")


def inferred(topology: dict, vantage, machines) -> dict:
    """{machine: Upstream} from the topology and the vantage machines: a machine's parents
    are its neighbours one link closer to the vantage, neighbours that are no machine
    replaced by their own parents; a vantage machine has none (source "vantage"); a
    machine the topology does not reach has none (source "none")."""
    machines = set(machines)
    adjacency = graph(topology)
    dist = distances(adjacency, [v for v in vantage if v in adjacency])
    closer = {node: {n for n in adjacency[node] if dist.get(n) == d - 1} for node, d in dist.items() if d > 0}
    looked_through = {}

    def machine_parents(node) -> set:
        """The machines that stand in for node `node` as a parent."""
        if node in machines:
            return {node}
        if node not in looked_through:
            looked_through[node] = set()   # a graph walked by distance has no cycle; this is a guard
            looked_through[node] = set().union(*(machine_parents(n) for n in closer.get(node, ())))
        return looked_through[node]

    found = {}
    for name in machines:
        if name in vantage and name in dist:
            found[name] = Upstream((), "vantage", 0)
        elif name in dist:
            parents = set().union(*(machine_parents(n) for n in closer[name])) - {name}
            vias = set().union(*(adjacency[name][n] for n in closer[name]))
            found[name] = Upstream(tuple(sorted(parents)), _source(vias) if parents else "none", dist[name])
        else:
            found[name] = Upstream((), "vantage" if name in vantage else "none", 0 if name in vantage else None)
    return found


# --- parents written by hand ----------------------------------------------------------

def _file(name: str) -> str:
    return f"{name}.json"


def manual_problem(name: str, parents, machines, source=_file) -> str:
    """Why machine `name`'s own "parents" cannot be used ("" when they can): a parent that
    is not a machine, or the machine itself."""
    for parent in parents:
        if parent == name:
            return f"{source(name)}: parents: {name!r} cannot be its own parent"
        if parent not in machines:
            return f"{source(name)}: parents: {parent!r} is not a machine"
    return ""


def find_cycle(parents: dict):
    """A cycle of the parent graph ([a, b, ..., a]), the first found walking machines by
    name, or None."""
    state = {}
    for start in sorted(parents):
        if state.get(start):
            continue
        path, stack = [], [(start, iter(sorted(parents.get(start, ()))))]
        state[start] = "open"
        path.append(start)
        while stack:
            node, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = "open"
                path.append(nxt)
                stack.append((nxt, iter(sorted(parents.get(nxt, ())))))
    return None


def upstreams(configs: list, topology: dict, vantage=(), source=_file) -> tuple:
    """({machine: Upstream}, [problems]) for every machine: its file's "parents" where they
    can be used, else the topology's. `source(name)` names a machine's file in problems."""
    names = {c["name"] for c in configs}
    points, problems = vantage_points(configs, topology, vantage)
    from_topology = inferred(topology, points, names)
    found, refused = dict(from_topology), {}
    for config in sorted(configs, key=lambda c: c["name"]):
        if config.get("parents") is None:
            continue
        problem = manual_problem(config["name"], config["parents"], names, source)
        if problem:
            refused[config["name"]] = problem
        else:
            found[config["name"]] = Upstream(tuple(sorted(set(config["parents"]))), "manual",
                                             from_topology[config["name"]].hops)
    while True:
        cycle = find_cycle(parents_of(found))
        by_hand = sorted({name for name in cycle or () if found[name].source == "manual"})
        if not by_hand:   # the topology's own parents never make a cycle
            break
        problem = f"{', '.join(source(name) for name in by_hand)}: parents make a cycle {' -> '.join(cycle)}"
        for name in by_hand:
            refused[name] = problem
            found[name] = from_topology[name]
    said = {name: f"{problem}: the parents found in the topology are used" for name, problem in refused.items()}
    for name, text in said.items():
        found[name] = Upstream(found[name].parents, found[name].source, found[name].hops, text)
    problems += sorted(set(said.values()))
    return found, problems


def parents_of(found: dict) -> dict:
    """{machine: parents} of what `upstreams` found."""
    return {name: up.parents for name, up in found.items()}


# --- the verdict ----------------------------------------------------------------------

def unreachable(parents: dict, down) -> set:
    """The down machines every one of whose parents is down."""
    down = set(down)
    return {m for m in down if parents.get(m) and all(p in down for p in parents[m])}


def root_causes(parents: dict, down) -> dict:
    """{machine: its root cause} for every down machine that is unreachable: the nearest
    down machine up its parents that is not unreachable itself (the first by name among
    several as near). Machines that are unreachable only behind each other (a loop of
    parents, all down) have none and are left out: they are told as any down machine."""
    down = set(down)
    cut_off = unreachable(parents, down)
    found = {}
    for machine in sorted(cut_off):
        seen, layer = {machine}, [machine]
        while layer:
            layer = sorted({p for node in layer for p in parents.get(node, ()) if p not in seen})
            seen.update(layer)
            roots = [p for p in layer if p not in cut_off]
            if roots:
                found[machine] = roots[0]
                break
    return found


def far_ends(topology: dict) -> dict:
    """{interface-down fingerprint: the machine at the other end of that port's cable}, for
    the ports of machines cabled to machines."""
    machines = {n["id"] for n in topology.get("nodes") or () if n.get("machine")}
    found = {}
    for link in topology.get("links") or ():
        for here, there in (("a", "b"), ("b", "a")):
            near, far = link[here], link[there]
            if near["node"] in machines and far["node"] in machines and near.get("interface") \
                    and near["node"] != far["node"]:
                found[interface_down_fingerprint(near["node"], near["interface"])] = far["node"]
    return found


def suppression(parents: dict, ends: dict, reachability: dict, interfaces: dict) -> dict:
    """What the verdict says of the open down alerts: `reachability` is {machine: its
    alert id} of the machines down, `interfaces` {alert id: fingerprint} of the open
    interface-down alerts; the answer is {alert id: (root cause, the root's alert id)}
    for every alert that is the doing of another machine."""
    roots = root_causes(parents, reachability)
    found = {reachability[m]: (root, reachability[root]) for m, root in roots.items()}
    for alert_id, fingerprint in interfaces.items():
        far = ends.get(fingerprint)
        if far in reachability:
            root = roots.get(far, far)
            found[alert_id] = (root, reachability[root])
    return found


@dataclass(frozen=True)
class Network:
    """What the verdict needs: everyone's parents and the far end of every cabled port, with
    a version that changes when they do (and only then)."""
    parents: dict = field(default_factory=dict)   # {machine: (parents...)}
    ends: dict = field(default_factory=dict)      # {interface-down fingerprint: far machine}
    version: str = ""


def network(found: dict, topology: dict) -> Network:
    """The Network of `upstreams`' answer and the topology."""
    parents, ends = parents_of(found), far_ends(topology)
    text = json.dumps([sorted(parents.items()), sorted(ends.items())], separators=(",", ":"))
    return Network(parents, ends, hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])
