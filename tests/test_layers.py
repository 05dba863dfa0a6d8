"""The shape of the code (docs/ARCHITECTURE.md): no package imports a package above it except the CLI, and no two
files import each other, directly or around a loop (issue #21). Read from the source with `ast`, so an import inside
a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "datamill", "filters", "curation", "generators", "train_entry", "dashboards")
# What each package may import besides itself: the layers of docs/ARCHITECTURE.md, bottom up.
ALLOWED = {
    "schemas": set(),
    "datamill": {"schemas"},
    "filters": {"schemas", "datamill"},
    "curation": {"schemas", "datamill", "filters"},
    "generators": {"schemas", "datamill", "filters"},
    "train_entry": {"schemas", "datamill"},
    "dashboards": {"schemas", "datamill"},
}
CLI = ("datamill.cli", "datamill.commands", "datamill.demo")  # the top: wires every stage together


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in (REPO / pkg).rglob("*.py"):
            parts = p.relative_to(REPO).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Project modules this file imports (the longest known module prefix of each imported name)."""
    is_pkg = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            names |= {f"{base}.{a.name}" for a in node.names} | {base}
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in known:
                out.add(".".join(parts[:i]))
                break
    return out - {module}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(p, m, set(mods)) for m, p in mods.items()}


def test_no_package_imports_a_package_above_it():
    wrong = []
    for mod, deps in _graph().items():
        if mod.startswith(CLI):
            continue
        pkg = mod.split(".")[0]
        wrong += [f"{mod} imports {d}" for d in sorted(deps) if d.split(".")[0] not in ALLOWED[pkg] | {pkg}]
    assert not wrong, "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(edges.get(m, ())):
            if state.get(d) == 1:
                found.append(stack[stack.index(d) :] + [d])
            elif d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    return found


def test_no_import_cycle_between_files():
    graph = _graph()
    # a package's __init__ importing its own submodules is how a package lists its parts, not a cycle of files
    edges = {
        m: {
            d
            for d in deps
            if not (m == d.rsplit(".", 1)[0] and (REPO / m.replace(".", "/") / "__init__.py").exists())
        }
        for m, deps in graph.items()
    }
    cycles = _cycles(edges)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles[:10])


def test_the_checks_can_fail():
    """The parser sees a cycle and a layer break where there is one (a function-level import counts)."""
    mods = _modules()
    a = _imports(mods["datamill.demo"], "datamill.demo", set(mods))
    assert any(d.startswith("curation") for d in a), a  # the CLI layer does import curation
    assert "datamill.errors" in _imports(mods["datamill.engine.errors"], "datamill.engine.errors", set(mods))
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
