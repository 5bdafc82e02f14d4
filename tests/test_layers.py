"""The house in layers (issue 20): each layer of ``theorems/`` imports only from the layers below it,
and no module imports itself back through others.

    core       the claim model, domains, statistics, sampling, the engine, verdict rules, results
    catalogue  one module per document and its kit   |   report   the HTML/Markdown/figures writer
    runs       the runner, executors, output files, calibrate, bench
    frontends  the command line, the pytest plugin, lint, verify

``theorems/__init__.py`` (the public API) and ``__main__.py`` sit above them all. Every import counts,
those inside functions too: a lazy import that points up a layer is still a wrong-way dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "theorems"
LAYERS = {"core": 0, "catalogue": 1, "report": 1, "runs": 2, "frontends": 3}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, *, at_run_time: bool = False) -> set[str]:
    """The ``theorems`` modules a file imports, anywhere in it (``from theorems.x import y`` counts
    ``theorems.x.y`` when that is a module of its own, else ``theorems.x``). ``at_run_time`` leaves out
    the imports under ``if TYPE_CHECKING:``, which only a type checker follows."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(inner) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                   for inner in ast.walk(node)} if at_run_time else set()
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("theorems")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("theorems"):
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: {m for m in imported_modules(path) if m in MODULES and m != name} for name, path in MODULES.items()}
RUN_TIME_GRAPH = {name: {m for m in imported_modules(path, at_run_time=True) if m in MODULES and m != name}
                  for name, path in MODULES.items()}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_layer():
    loose = sorted(name for name in MODULES if layer(name) is None and name not in ("theorems", "theorems.__main__"))
    assert loose == [], f"modules outside the layer folders: {loose}"


@pytest.mark.parametrize("module", sorted(name for name in MODULES if layer(name) is not None))
def test_imports_point_down_the_layers(module):
    own = layer(module)
    wrong = sorted(m for m in GRAPH[module] if layer(m) is None or (layer(m) != own and LAYERS[layer(m)] >= LAYERS[own]))
    assert wrong == [], f"{module} ({own}) imports {wrong}, which are not below it"


def test_no_import_cycles():
    """Counting the imports that run (a type-only import back is how two modules name each other's types)."""
    cycles = []

    def visit(node: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for nxt in sorted(RUN_TIME_GRAPH[node]):
            if nxt in on_path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, path + [nxt], on_path | {nxt}, done)
        done.add(node)

    done: set[str] = set()
    for start in sorted(RUN_TIME_GRAPH):
        if start not in done:
            visit(start, [start], {start}, done)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
