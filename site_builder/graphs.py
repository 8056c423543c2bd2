"""A machine page's graph data: static files written incrementally, fetched by the browser.

    www/machines/<name>/recent.jsonl     the polls since the last cut: a header line
                                         {"cut", "step", "columns"}, then [t, v1, v2, ...]
                                         a line; appended at every build
    www/machines/<name>/<graph>.fine.json    one graph's polls of the day before the cut
                                         (packed, site_builder/series.py); rewritten at
                                         each cut, every two hours
    www/machines/<name>/<graph>.coarse.json  its week, month and year rows before that
                                         (with their peaks); rewritten once a day

A build costs a line a machine plus, for the machines whose cut is due, their
graph files: each machine cuts at its own minute of every two hours (and
rebuilds its coarse files at its own moment of the day), so a fleet's rewrites
spread evenly. Two hours balance the rewrites against the size of recent.jsonl,
which a page fetches whole (about 1 kB a poll for 48 interfaces).
The browser fetches a graph's two files and the shared recent.jsonl when the
graph comes into view. An appended line may be caught half written by a
reader: graphs.js ignores a last line without its newline.
"""

import functools
import hashlib
import re
import zlib
from pathlib import Path

from site_builder import series
from vigie import samples as sl
from vigie.samples import journal

CUT_SECONDS = 7200          # how often a machine's fine graph files are written again
COARSE_SECONDS = 86400
COARSE_MAX_AGE = 20 * 3600      # coarse rows must reach the start of the fine window
RECENT = "recent.jsonl"
LIVE = "live.json"          # written by the build beside the graph files
_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=65536)
def slug(key: str) -> str:
    """A form of an interface or OID name safe in a file name, an HTML id and a CSS
    selector: the name itself when it is, else its safe characters and a hash of it."""
    if _SAFE.fullmatch(key) and not key.startswith("."):
        return key
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", key).strip("_") or "x"
    return f"{cleaned}-{zlib.crc32(key.encode('utf-8')):08x}"


GRAPH_PREFIX = {"interface": "if", "oid": "oid", "health": "health"}


def graph_id(kind: str, key: str) -> str:
    """"if-<slug>", "oid-<slug>" or "health-<slug>": the graph's element id and file names."""
    return f"{GRAPH_PREFIX[kind]}-{slug(key)}"


def health_graphed(view: dict) -> list:
    """The health metrics that have a graph, in the device's order (a fan or a supply that
    tells only its state has none)."""
    return [name for name, spec in (view.get("health") or {}).items() if not spec.get("state_only")]


def slot(machine: str, what: str, now: float, period: int) -> int:
    """The period number, shifted by an offset fixed for the machine: when it changes, the work is due."""
    offset = zlib.crc32(f"{machine}\0{what}".encode()) % period
    return int((now + offset) // period)


def columns_of(view: dict) -> list:
    """The values a recent line holds: in and out of each interface, then each extra OID, then
    each health metric."""
    cols = []
    for iface in view.get("interfaces") or ():
        cols += [["if", iface["key"], sl.IN], ["if", iface["key"], sl.OUT]]
    for name in sorted(view.get("oids") or {}):
        cols.append(["oid", name, None])
    cols += [["health", name, None] for name in health_graphed(view)]
    return cols


def columns_signature(columns: list) -> str:
    return hashlib.sha256(journal.dumps(columns)).hexdigest()[:16]


def recent_row(line: dict, columns: list) -> list:
    row = [line["t"]]
    for section, key, index in columns:
        value = (line.get(section) or {}).get(key)
        if index is not None:
            value = value[index] if isinstance(value, list) and len(value) > index else None
        row.append(value if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
    return row


def _fine_columns(lines: list) -> dict:
    """{(section, key): [its value in each line, None where it has none]}: the lines read
    once for all of a machine's graphs."""
    count, found = len(lines), {}
    for n, line in enumerate(lines):
        for section in ("if", "oid", "health"):
            for key, value in (line.get(section) or {}).items():
                column = found.get((section, key))
                if column is None:
                    column = found[(section, key)] = [None] * count
                column[n] = value
    return found


def _graph_columns(found: dict, section: str, key: str, count: int) -> dict:
    """One graph's fine columns: in and out of an interface, else its values."""
    values = found.get((section, key)) or [None] * count
    if section != "if":
        return {"avg": values}
    pairs = [v if isinstance(v, list) else (None, None) for v in values]
    return {"in": [p[sl.IN] for p in pairs], "out": [p[sl.OUT] for p in pairs]}


def _coarse_rows(lines: list, section: str, key: str) -> list:
    rows = []
    for line in lines:
        value = (line.get(section) or {}).get(key)
        if not isinstance(value, list):
            continue
        if section == "if":
            rows.append([line["t"], value[sl.IN_AVG], value[sl.OUT_AVG], value[sl.IN_MAX], value[sl.OUT_MAX]])
        else:
            rows.append([line["t"], value[sl.AVG], value[sl.MAX]])
    return rows


class MachineGraphs:
    """The graph files of one machine, brought up to date with its samples."""

    def __init__(self, out_dir, samples_dir, machine: str, state: dict = None, files=None):
        self.dir = Path(out_dir) / "machines" / machine
        self.relprefix = f"machines/{machine}/"
        self.samples_dir = samples_dir
        self.machine = machine
        self.state = dict(state or {})
        self.files = files          # site_builder.writer.Files: write, append, remove_others
        self.cut_done = False

    def graphs(self, view: dict) -> list:
        """[(graph id, section, key)] of the machine's graphs, in page order."""
        out = [(graph_id("interface", i["key"]), "if", i["key"]) for i in view.get("interfaces") or ()]
        out += [(graph_id("oid", name), "oid", name) for name in sorted(view.get("oids") or {})]
        out += [(graph_id("health", name), "health", name) for name in health_graphed(view)]
        return out

    def due(self, view: dict, now: float) -> bool:
        """Whether the graph files must be cut again: the hour's slot came, the graphs
        changed, or the files are gone."""
        return (self.state.get("columns") != columns_signature(columns_of(view))
                or self.state.get("cut") != slot(self.machine, "cut", now, CUT_SECONDS)
                or not (self.dir / RECENT).exists())

    def refresh(self, view: dict, now: float) -> dict:
        """Append the new polls, or cut when due; return the state to keep for the next build."""
        columns = columns_of(view)
        if self.due(view, now):
            self._cut(view, columns, slot(self.machine, "cut", now, CUT_SECONDS), now)
        else:
            self._append(columns)
        return self.state

    def _append(self, columns: list) -> None:
        lines, cursor = sl.follow_fine(self.samples_dir, self.machine, self.state.get("follow"))
        self.state["follow"] = cursor
        rows = [recent_row(x, columns) for x in lines if x["t"] > self.state.get("cut_t", -1)]
        if rows:
            self._note_values(columns, rows)
            rows = self._with_gaps(rows)
            self.files.append(self.relprefix + RECENT, b"".join(journal.dumps(r) + b"\n" for r in rows))
            self.state["recent"] = self.state.get("recent", 0) + len(rows)
            self.state["last_t"] = rows[-1][0]

    def _note_values(self, columns: list, rows: list) -> None:
        """Remember the extra values' graphs (errors and discards among them) that show
        something else than zero since the cut: the page folds the others."""
        found = set(self.state.get("nonzero") or ())
        for i, (section, key, _) in enumerate(columns, start=1):
            if section == "oid" and any(r[i] for r in rows):
                found.add(graph_id("oid", key))
        self.state["nonzero"] = sorted(found)

    def _with_gaps(self, rows: list) -> list:
        """New recent rows with their gaps marked, the first one's counted from the last row
        written (the cut's last poll, or the last row appended since)."""
        step, last_t = self.state.get("step") or 0, self.state.get("last_t")
        if last_t is None:
            return series.with_gaps([(step, rows)])
        return series.with_gaps([(step, [[last_t] + [None] * (len(rows[0]) - 1)] + rows)])[1:]

    def _cut(self, view: dict, columns: list, cut: int, now: float) -> None:
        lines, cursor = sl.follow_fine(self.samples_dir, self.machine, None)
        step = (view.get("archives") or {}).get(sl.FINE, {}).get("step") or 60
        cut_t = lines[-1]["t"] if lines else int(now)
        window = [x for x in lines if x["t"] > cut_t - sl.DAY_SECONDS]
        fine_start = window[0]["t"] if window else cut_t
        graphs = self.graphs(view)
        keep = {RECENT, LIVE}
        nonzero = []
        found, layout = _fine_columns(window), series.fine_layout([x["t"] for x in window], step)
        for gid, section, key in graphs:
            values = _graph_columns(found, section, key, len(window))
            if section == "oid" and any(values["avg"]):
                nonzero.append(gid)
            packed = series.fine_packed(layout, values)
            self.files.write(f"{self.relprefix}{gid}.fine.json", journal.dumps(packed))
            keep |= {f"{gid}.fine.json", f"{gid}.coarse.json"}
        coarse_slot = slot(self.machine, "coarse", now, COARSE_SECONDS)
        signature = columns_signature(columns)
        if (self.state.get("columns") != signature or self.state.get("coarse") != coarse_slot
                or self.state.get("coarse_t", -1) < fine_start - COARSE_MAX_AGE):
            self._coarse(view, graphs, fine_start)
            self.state.update(coarse=coarse_slot, coarse_t=fine_start)
        header = {"cut": cut_t, "step": step, "columns": [c[:2] + ([c[2]] if c[2] is not None else []) for c in columns]}
        self.files.write(self.relprefix + RECENT, journal.dumps(header) + b"\n")
        self.files.remove_others(self.relprefix, keep)
        self.state.update(columns=signature, cut=cut, cut_t=cut_t, fine_start=fine_start, follow=cursor, recent=0,
                          step=step, last_t=cut_t, nonzero=nonzero)
        self.cut_done = True

    def _coarse(self, view: dict, graphs: list, fine_start: int) -> None:
        archives = {a: sl.read_archive(self.samples_dir, self.machine, a) for a in (sl.WEEK, sl.MONTH, sl.YEAR)}
        steps = {a: (view.get("archives") or {}).get(a, {}).get("step") or sl.COARSE_ARCHIVES[a][0]
                 for a in archives}
        for gid, section, key in graphs:
            rows = {a: _coarse_rows(lines, section, key) for a, lines in archives.items()}
            packed = series.coarse_series(rows, steps, fine_start, section == "if")
            self.files.write(f"{self.relprefix}{gid}.coarse.json", journal.dumps(packed))

    def info(self) -> dict:
        """What live.json tells the browser about the graph files (their versions)."""
        return {"cut": self.state.get("cut_t"), "coarse": self.state.get("coarse_t"),
                "recent": self.state.get("recent", 0), "fine_start": self.state.get("fine_start"),
                "nonzero": self.state.get("nonzero", [])}
