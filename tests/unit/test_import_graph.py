"""The import graph stays acyclic: between the top-level packages, between ``ledger``'s packages, and
between any two modules.

Read from grimp's graph of every root package import-linter checks (the library it builds on), with
imports inside functions and under ``TYPE_CHECKING`` counted: a lazy import that only hides a cycle from
the interpreter is still a cycle here. The deploy plan imports the deployment record and the consortium
config, never the reverse; the transaction manager composes its parts, and no part imports it. The
layer rules themselves are import-linter's contracts, run by ``test_architecture.py``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
ROOT_PACKAGES: tuple[str, ...] = tuple(
    tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["root_packages"]
)
WATCHED_PACKAGES = ("ledger.chain", "ledger.outbox")
WATCHED_MODULES = ("ledger.consortium_config",)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)


def _watched(graph: grimp.ImportGraph) -> set[str]:
    return {
        module
        for module in graph.modules
        if module in WATCHED_PACKAGES
        or module in WATCHED_MODULES
        or module.startswith(tuple(f"{p}." for p in WATCHED_PACKAGES))
    }


def _cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module importing itself
    (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges.get(module, ()):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in edges.get(module, ()):
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def _edges(graph: grimp.ImportGraph, modules: set[str]) -> dict[str, set[str]]:
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}


def _squashed_edges(graph: grimp.ImportGraph, depth: int, within: str = "") -> dict[str, set[str]]:
    """The imports between the packages ``depth`` dots deep (``1``: ``ledger``, ``cli``, …; ``2`` with
    ``within="ledger"``: ``ledger.chain``, ``ledger.bootstrap``, …), a package's own imports left out."""
    prefix = f"{within}." if within else ""

    def unit(module: str) -> str:
        return ".".join(module.split(".")[:depth])

    modules = {m for m in graph.modules if m.startswith(prefix)}
    edges: dict[str, set[str]] = {unit(m): set() for m in modules if m != within}
    for module in modules - {within}:
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported != within and unit(imported) != unit(module):
                edges[unit(module)].add(unit(imported))
    return edges


def test_top_level_packages_import_without_cycles(graph: grimp.ImportGraph) -> None:
    edges = _squashed_edges(graph, depth=1)
    assert set(edges) == set(ROOT_PACKAGES)
    assert _cycles(edges) == []


def test_ledger_packages_import_without_cycles(graph: grimp.ImportGraph) -> None:
    edges = _squashed_edges(graph, depth=2, within="ledger")
    expected = {"ledger.bootstrap", "ledger.services", "ledger.outbox", "ledger.chain", "ledger.domain"}
    assert expected <= set(edges)
    assert _cycles(edges) == []


def test_no_two_modules_import_each_other(graph: grimp.ImportGraph) -> None:
    """Every module of every root package: a cycle inside a package is still a cycle."""
    modules = set(graph.modules)
    assert {"cli.main", "cli.stack.supervisor", "ledger.documents.validation"} <= modules
    assert _cycles(_edges(graph, modules)) == []


def test_entry_points_are_imported_by_nothing_else(graph: grimp.ImportGraph) -> None:
    """``cli`` is the top: no module of another root package imports it, even lazily."""
    importers = graph.find_modules_that_directly_import("cli") | {
        importer
        for module in graph.find_descendants("cli")
        for importer in graph.find_modules_that_directly_import(module)
    }
    assert {m for m in importers if m.split(".")[0] != "cli"} == set()


def test_chain_and_outbox_modules_import_without_cycles(graph: grimp.ImportGraph) -> None:
    modules = _watched(graph)
    assert {"ledger.chain.deploy_plan", "ledger.chain.deployment", "ledger.outbox.manager"} <= modules
    assert _cycles(_edges(graph, modules)) == []


def test_deployment_record_does_not_import_the_deploy_plan(graph: grimp.ImportGraph) -> None:
    assert graph.chain_exists(importer="ledger.chain.deploy_plan", imported="ledger.chain.deployment")
    assert not graph.chain_exists(importer="ledger.chain.deployment", imported="ledger.chain.deploy_plan")


def test_consortium_config_imports_neither_chain_nor_outbox(graph: grimp.ImportGraph) -> None:
    for package in WATCHED_PACKAGES:
        assert not graph.chain_exists(importer="ledger.consortium_config", imported=package, as_packages=True)


@pytest.mark.parametrize(
    "part", ["gas", "nonces", "sending", "tracking", "recovery", "transactions", "enqueue", "models"]
)
def test_outbox_part_does_not_import_the_manager(graph: grimp.ImportGraph, part: str) -> None:
    assert not graph.chain_exists(importer=f"ledger.outbox.{part}", imported="ledger.outbox.manager")


def test_squashed_edges_report_a_cycle_between_packages() -> None:
    """The squashing itself: two packages whose modules import each other form a cycle."""
    graph = grimp.ImportGraph()
    for module in ("ledger", "ledger.a", "ledger.a.x", "ledger.b", "ledger.b.y"):
        graph.add_module(module)
    graph.add_import(importer="ledger.a.x", imported="ledger.b.y")
    graph.add_import(importer="ledger.b.y", imported="ledger.a")
    assert _cycles(_squashed_edges(graph, depth=2, within="ledger")) == [["ledger.a", "ledger.b"]]


def test_cycle_finder_reports_a_two_module_cycle() -> None:
    """The finder itself: the cycle the deploy plan and the record once had is reported."""
    edges = {
        "ledger.chain.deploy_plan": {"ledger.chain.deployment", "ledger.chain.client"},
        "ledger.chain.deployment": {"ledger.chain.deploy_plan", "ledger.chain.client"},
        "ledger.chain.client": set(),
    }
    assert _cycles(edges) == [["ledger.chain.deploy_plan", "ledger.chain.deployment"]]
