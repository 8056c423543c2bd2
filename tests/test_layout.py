"""How the code is laid out: the core (`vigie/`) imports nothing from the processes
that use it (`collector/`, `site_builder/`), inside it each layer imports only from the
layers below it (the rules, then the database, then the notifier, then the API), and no
module imports, at any depth of its code, a module that imports it back."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("vigie", "collector", "site_builder")


def modules(root=ROOT) -> dict:
    """dotted module name -> its file, for the product's code."""
    found = {"api": root / "api.py"} if (root / "api.py").exists() else {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(root=ROOT) -> dict:
    """module -> the product modules it imports; `from package import name` counts as
    importing the submodule `package.name` when there is one, else the package."""
    mods = modules(root)
    graph = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods}
                deps |= subs if len(subs) == len(node.names) else subs | {base}
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def cycles(graph: dict) -> list:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_finder_sees_a_circle_through_a_lazy_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_imports_inside_functions_and_relative_ones(tmp_path):
    (tmp_path / "vigie" / "notify").mkdir(parents=True)
    for name in ("vigie/__init__.py", "vigie/notify/__init__.py", "vigie/errors.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "vigie" / "notify" / "a.py").write_text("def f():\n    from vigie.notify.b import X\n")
    (tmp_path / "vigie" / "notify" / "b.py").write_text("from . import a\nfrom vigie import errors\n")
    graph = import_graph(tmp_path)
    assert graph["vigie.notify.a"] == {"vigie.notify.b"}
    assert graph["vigie.notify.b"] == {"vigie.notify.a", "vigie.errors"}
    assert cycles(graph) == [["vigie.notify.a", "vigie.notify.b"]]


def test_no_module_imports_one_that_imports_it_back():
    assert cycles(import_graph()) == []


def test_the_core_imports_nothing_from_the_processes_that_use_it():
    graph = import_graph()
    upward = sorted((name, dep) for name, deps in graph.items() if name.startswith("vigie")
                    for dep in deps if dep.startswith(("collector", "site_builder")))
    assert upward == []


# The layers inside vigie/, lowest first: the rules and files (every module not named
# here), the database, the notifier, the HTTP edge (the API and the metrics it serves),
# then what starts the processes. A module imports only from its own layer or lower.
LAYERS = ({}, {"vigie.db"}, {"vigie.notify"}, {"vigie.api", "vigie.metrics"}, {"vigie.run", "vigie.__main__"})


def layer(module: str) -> int:
    """The index in LAYERS of a vigie module: that of the longest prefix named there, else 0."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        for index, names in enumerate(LAYERS):
            if prefix in names:
                return index
    return 0


def upward_imports(graph: dict) -> list:
    """(module, what it imports) for each import inside vigie/ of a higher layer."""
    return sorted((name, dep) for name, deps in graph.items() if name.startswith("vigie")
                  for dep in deps if dep.startswith("vigie") and layer(dep) > layer(name))


def test_the_layer_finder_sees_the_rules_reaching_up_to_the_database():
    graph = {"vigie.lifecycle": {"vigie.db.alerts", "vigie.utc"}, "vigie.db.alerts": {"vigie.utc"},
             "vigie.api.app": {"vigie.db", "vigie.notify.daemon"}, "vigie.notify.daemon": {"vigie.api.app"}}
    assert upward_imports(graph) == [("vigie.lifecycle", "vigie.db.alerts"), ("vigie.notify.daemon", "vigie.api.app")]
    assert layer("vigie.db") == 1 and layer("vigie.metrics") == 3 and layer("vigie.dbx") == 0


def test_each_layer_inside_the_core_imports_only_from_the_layers_below():
    assert upward_imports(import_graph()) == []
