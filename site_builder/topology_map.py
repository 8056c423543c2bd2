"""The map page's data (map.json) and each machine page's neighbours, from the topology
(vigie/topology.py) and the machines' dashboard rows. Pure: a topology and rows in,
plain data out.

A node's colour is its state (up, down, unknown; an unmanaged neighbour has none); a
link's is the utilisation of its busier direction, from whichever end is a machine
with rates for that interface (the higher of the two when both are).
"""

from vigie import topology
from vigie.samples import utilisation_percent


def interface_rates(view) -> dict:
    """{interface name: [in_bps, out_bps, speed_bps]} of a machine's current view."""
    found = {}
    for interface in (view or {}).get("interfaces") or ():
        rates = [interface.get("in_bps"), interface.get("out_bps"), interface.get("speed_bps")]
        for name in (interface.get("name"), interface.get("key")):
            if name:
                found.setdefault(name, rates)
    return found


def end_rates(rows: dict, end: dict):
    row = rows.get(end["node"])
    return (row or {}).get("rates", {}).get(end["interface"]) if end["interface"] else None


def link_view(link: dict, rows: dict) -> dict:
    ends = [(end, end_rates(rows, link[end])) for end in ("a", "b")]
    known = [(end, r) for end, r in ends if r]
    utilisations = [utilisation_percent(r[0], r[1], r[2]) for _, r in known]
    utilisations = [u for u in utilisations if u is not None]
    view = {"source": link["a"]["node"], "target": link["b"]["node"],
            "source_interface": link["a"]["interface"], "target_interface": link["b"]["interface"],
            "via": link["via"], "last_seen": link["last_seen"],
            "utilisation_percent": max(utilisations) if utilisations else None, "in_bps": None, "out_bps": None}
    if known:
        end, rates = known[0]
        view.update(in_bps=rates[0], out_bps=rates[1], rates_from=link[end]["node"])
    return view


def parent_end(link: dict, parents: dict):
    """Which end of a link is the other end's parent ("source", "target"), or None."""
    a, b = link["source"], link["target"]
    if a in parents.get(b, ()):
        return "source"
    if b in parents.get(a, ()):
        return "target"
    return None


def map_data(topo: dict, rows: list, upstreams=None) -> dict:
    """map.json: {"generated_at", "nodes": [{"id", "label", "machine", "state", "address", "href",
    "parents"}], "links": [{"source", "target", "source_interface", "target_interface", "via",
    "utilisation_percent", "in_bps", "out_bps", "parent"}]} for the machines of `rows` (those
    shown); `upstreams` (vigie/dependencies.py) gives each machine its parents, and each link
    between a machine and its parent says which end is the parent."""
    by_name = {r["name"]: r for r in rows}
    parents = {name: list(up.parents) for name, up in (upstreams or {}).items() if name in by_name}
    topo = topology.scoped(topo, set(by_name))
    nodes = []
    for node in topo["nodes"]:
        row = by_name.get(node.get("machine"))
        nodes.append({"id": node["id"], "label": node.get("machine") or node.get("name") or node["id"],
                      "machine": node.get("machine"), "address": node.get("address"),
                      "state": row["status"]["state"] if row else "unmanaged",
                      "href": f"machines/{node['machine']}.html" if row else None,
                      "parents": [p for p in parents.get(node.get("machine"), ()) if p in by_name] if row else []})
    present = {n["id"] for n in nodes} | set(by_name)
    for name, row in by_name.items():
        if name not in {n["id"] for n in nodes}:
            nodes.append({"id": name, "label": name, "machine": name, "address": row.get("host"),
                          "state": row["status"]["state"], "href": f"machines/{name}.html",
                          "parents": [p for p in parents.get(name, ()) if p in by_name]})
    links = [link_view(l, by_name) for l in topo["links"]
             if l["a"]["node"] in present and l["b"]["node"] in present]
    for link in links:
        link["parent"] = parent_end(link, parents)
    return {"generated_at": topo.get("generated_at"), "nodes": sorted(nodes, key=lambda n: n["id"]), "links": links}


def machine_neighbours(every: dict, name: str, shown) -> list:
    """The neighbours shown on machine `name`'s page (`every` is topology.all_neighbours):
    port, device (with its page when it is a machine shown), the device's port, how the
    link was learnt."""
    return [dict(n, href=f"{n['machine']}.html" if n["machine"] in shown else None) for n in every.get(name, ())]
