"""The engine's dependencies run one way (issue 12): no import cycle among its modules.

Every import counts, at module level or inside a function: an import moved into a function to dodge a cycle is
still the cycle. The package itself (``engine/__init__.py``, the public API that imports the pipeline) is left out:
a module's ``import engine`` reaches the API, not a layer.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import networkx as nx

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            # ``from PKG import name``: the submodule PKG.name when there is one, else PKG itself
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    return {m for m in found if m in modules and m != name and m != "engine"}


def import_graph() -> nx.DiGraph:
    files = {_module_name(path): path for path in ENGINE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        graph.add_edges_from((name, target) for target in _imports(path, name, set(files)))
    return graph


def test_the_graph_sees_the_imports():
    graph = import_graph()
    assert ("engine.eval.evaluate", "engine.pack.rules") in graph.edges  # a module-level import
    assert ("engine.cli", "engine.render.text") in graph.edges


def test_no_import_cycle():
    cycles = sorted(" -> ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(import_graph()))
    assert not cycles, "import cycles among engine modules:\n" + "\n".join(cycles[:20])


#: the layers, lowest first: a module may import its own layer and the layers before it, never one after it
LAYERS = [
    "engine.errors",
    "engine.k8s",
    "engine.documents",
    "engine.pack",
    "engine.inputs",
    "engine.eval",
    "engine.render",
    "engine.tools",
    "engine.cli_args",
    "engine.cli_tools",
    "engine.cli",
    "engine.__main__",
]


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS (and to docs/architecture.md)")


def test_dependencies_run_one_way():
    """The pipeline of docs/architecture.md: Kubernetes structure -> documents -> pack -> inputs -> evaluation ->
    renderers -> tools -> CLI. The package ``engine`` itself (the public API) is outside the layers."""
    upward = sorted(
        f"{source} -> {target}"
        for source, target in import_graph().edges
        if source != "engine" and _layer(target) > _layer(source)
    )
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_every_subpackage_says_what_it_owns_and_may_import():
    for init in sorted(ENGINE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, f"{init}: the docstring says what the package owns and what it may import"


def _function_level_imports_without_reason(text: str, shown: str) -> list[str]:
    """``shown:line: import`` for each import inside a function whose line carries no comment (its reason)."""
    commented = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type == tokenize.COMMENT
    }
    lines = text.splitlines()
    found = []
    for function in ast.walk(ast.parse(text)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in commented:
                found.append(f"{shown}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_every_import_inside_a_function_says_why():
    """Imports sit at module level; one inside a function stays only for start-up time (``podeval render`` does not
    import what it does not need) or an optional extra (flytekit, flyteidl, the kubernetes client), and says which
    in a comment on its line."""
    offenders = sorted(
        line
        for path in ENGINE.rglob("*.py")
        for line in _function_level_imports_without_reason(
            path.read_text(encoding="utf-8"), str(path.relative_to(ENGINE.parent))
        )
    )
    assert not offenders, "imports inside functions without a '# reason' on their line:\n" + "\n".join(offenders)


def test_the_import_check_sees_a_missing_reason():
    source = (
        "import os\n\n"
        "def f():\n"
        "    import json  # start-up: a reason\n"
        "    from difflib import (  # an optional extra\n"
        "        get_close_matches,\n"
        "    )\n"
        "    import re\n"
        "    return os, json, get_close_matches, re\n"
    )
    assert _function_level_imports_without_reason(source, "m.py") == ["m.py:8: import re"]
