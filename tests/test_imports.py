"""The skii_glass modules import one another one way (no cycles, lazy imports included)."""

import ast
from pathlib import Path

import skii_glass
from skii_glass import datasets, pipeline

PACKAGE = Path(skii_glass.__file__).parent


def _internal_imports(path: Path) -> set[str]:
    """skii_glass modules that ``path`` imports anywhere (top level or inside functions)."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                deps |= {node.module.split(".")[0]} if node.module else {
                    a.name for a in node.names}
            elif node.module and node.module.startswith("skii_glass."):
                deps.add(node.module.split(".")[1])
    return deps


def test_no_import_cycles_between_modules():
    graph = {p.stem: _internal_imports(p) for p in PACKAGE.glob("*.py")
             if p.stem != "__init__"}
    graph = {m: {d for d in deps if d in graph} for m, deps in graph.items()}

    def cycle_from(start):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return trail + [start]
                if nxt not in trail:
                    stack.append((nxt, trail + [nxt]))
        return None

    cycles = [c for m in sorted(graph) if (c := cycle_from(m))]
    assert not cycles, f"import cycles: {[' -> '.join(c) for c in cycles]}"


def test_descriptor_table_has_one_home():
    assert datasets.descriptor_table.__module__ == "skii_glass.datasets"
    assert pipeline.descriptor_table is datasets.descriptor_table
    assert "pipeline" not in _internal_imports(PACKAGE / "datasets.py")
