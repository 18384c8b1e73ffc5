"""The folder tree is the architecture: no import cycles, imports point down, private stays
private. `make test` also runs `lint-imports` on the layers contract of ``pyproject.toml``;
these tests say the same from the import graph (imports inside functions included)."""

from __future__ import annotations

import ast
import pathlib

import pytest

grimp = pytest.importorskip("grimp")

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "mixedopt"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("mixedopt")


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.find_modules_directly_imported_by(w)))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_cycles(graph):
    """Not even through an import inside a function."""
    assert _cycles(graph) == []


def test_problems_never_import_solvers(graph):
    for mod in graph.find_descendants("mixedopt.problems") | {"mixedopt.problems"}:
        for dep in graph.find_modules_directly_imported_by(mod):
            assert not dep.startswith(("mixedopt.solvers", "mixedopt.targets", "mixedopt.exact")), (
                mod,
                dep,
            )


def _private_imports() -> list[tuple[str, str, str]]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("mixedopt")
            ):
                parts = node.module.split(".")
                names = [a.name for a in node.names]
                for name in [*parts, *names]:
                    if name.startswith("_") and not name.startswith("__"):
                        bad.append((str(path.relative_to(PACKAGE.parent)), node.module, name))
    return bad


def test_no_private_name_crosses_a_module():
    """An underscore marks what is private to its module: no other module imports it."""
    assert _private_imports() == []


def test_the_cycle_check_can_fail():
    """The cycle finder finds a planted cycle (so the test above is not vacuous)."""

    class Planted:
        modules = frozenset({"a", "b", "c"})

        @staticmethod
        def find_modules_directly_imported_by(m):
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}}[m]

    assert _cycles(Planted) == [["a", "b", "c"]]
