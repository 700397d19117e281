"""The module graph has no import cycle (docs/architecture.md).

import-linter (scripts/lint.sh) checks the layers; this test checks what layers cannot: that no
two modules of zkgate -- the gateway included -- reach each other through their imports.  The
graph is built by grimp (import-linter's engine) from the source tree, where the gRPC layer is the
root package ``services`` (installed as ``zkgate.services``; its modules import each other relatively).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from testsupport import REPO_ROOT

grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (the test extras)")


def strongly_connected_components(graph, modules: set[str]) -> list[set[str]]:
    """Tarjan's algorithm, iterative, over the direct imports between ``modules``."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_pos = work.pop()
            if child_pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges[node]
            if child_pos < len(children):
                work.append((node, child_pos + 1))
                child = children[child_pos]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def test_tarjan_finds_a_planted_cycle():
    class Graph:
        imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.imports[module]

    components = strongly_connected_components(Graph(), {"a", "b", "c", "d"})
    assert {"a", "b", "c"} in components and {"d"} in components


def test_no_import_cycle():
    code = (
        "import json, grimp\n"
        "g = grimp.build_graph('zkgate', 'services', cache_dir=None)\n"
        "print(json.dumps({m: sorted(g.find_modules_directly_imported_by(m)) for m in g.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imports = {m: set(v) for m, v in json.loads(proc.stdout).items()}
    assert "services.gateway.server" in imports, "the graph must include the gRPC layer"

    class Graph:
        def find_modules_directly_imported_by(self, module):
            return imports[module]

    cycles = [sorted(c) for c in strongly_connected_components(Graph(), set(imports)) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"
