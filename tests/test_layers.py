"""The house's layers: no import cycle inside `videos/` but the conventional
services <-> tasks pair, no module over MAX_LINES lines, no import placed below
code to dodge a cycle. Imports are read from the source (function-level ones
included), so a deferred import counts like any other."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "videos"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    tree = ast.parse(path.read_text())
    # Imports only a type checker reads make no runtime cycle.
    typing_only = {
        id(n) for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
        for stmt in block.body for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "videos":
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _allowed(component: set[str]) -> bool:
    return all(m == "videos.tasks" or m.startswith("videos.services") for m in component)


def test_no_import_cycle_but_services_and_tasks():
    cycles = _cycles(_graph())
    assert [sorted(c) for c in cycles if not _allowed(c)] == []


def test_the_cycle_check_sees_a_cycle():
    graph = {"videos.a": {"videos.b"}, "videos.b": {"videos.a"}, "videos.services.x": {"videos.tasks"}, "videos.tasks": {"videos.services.x"}}
    cycles = _cycles(graph)
    assert {frozenset(c) for c in cycles} == {frozenset({"videos.a", "videos.b"}), frozenset({"videos.services.x", "videos.tasks"})}
    assert [c for c in cycles if not _allowed(c)] == [{"videos.a", "videos.b"}]


def test_deferred_imports_are_read():
    graph = _graph()
    assert "videos.catalogue.cache" in graph["videos.signals"]
    assert "videos.services.jobs" in graph["videos.tasks"]


def test_modules_stay_small_and_imports_stay_on_top():
    too_long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}
    for path in [*ROOT.glob("videos/**/*.py"), *ROOT.glob("inference/*.py"), *ROOT.glob("summarizer_site/*.py")]:
        assert "noqa: E402" not in path.read_text(), path
