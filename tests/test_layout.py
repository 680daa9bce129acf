"""The package's layout holds: no import cycles, the pipeline's stages import only the stages before
them (intake -> segments -> features -> model -> engine -> store -> report; the engine, which drives
them all, is the one exception), and the generic helpers import no stage.

Read from the source with ``ast``: every ``import forensic...`` and ``from forensic... import``, at
module level or inside a function (a lazy import hides a dependency, it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forensic"
STAGES = ("intake", "segments", "features", "model", "engine", "store", "report")
DRIVER = "engine"
LEAVES = ("forensic.fsutil", "forensic.records", "forensic.config", "forensic.resources", "forensic.parallel")


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``path`` imports (``from pkg import name`` counts as pkg.name
    when that is a module, else as pkg)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
            }
    return {m for m in out if m in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: imports(p, known) for m, p in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and modules importing themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_the_graph_is_read(graph):
    """The reader sees what it should (else the tests below would pass on nothing)."""
    assert len(graph) > 100
    assert "forensic.store.case" in graph["forensic.engine.scan"]
    assert "forensic.features.motion" in graph["forensic.features"]


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}, "b": set()}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_stages_import_only_earlier_stages(graph):
    later = sorted(
        (m, t)
        for m, targets in graph.items()
        for t in targets
        if stage_of(m) not in (None, DRIVER)
        and stage_of(t) is not None
        and STAGES.index(stage_of(t)) > STAGES.index(stage_of(m))
    )
    assert later == []


def test_generic_helpers_import_no_stage(graph):
    for leaf in LEAVES:
        assert {t for t in graph[leaf] if t.startswith("forensic.")} == set(), leaf
