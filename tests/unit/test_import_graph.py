"""The import graph of the chain and outbox packages stays acyclic.

Read from grimp's graph of ``ledger`` (the library import-linter builds on), with imports inside
functions and under ``TYPE_CHECKING`` counted: a lazy import that only hides a cycle from the
interpreter is still a cycle here. The deploy plan imports the deployment record and the consortium
config, never the reverse; the transaction manager composes its parts, and no part imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

WATCHED_PACKAGES = ("ledger.chain", "ledger.outbox")
WATCHED_MODULES = ("ledger.consortium_config",)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ledger", cache_dir=None)


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


def test_cycle_finder_reports_a_two_module_cycle() -> None:
    """The finder itself: the cycle the deploy plan and the record once had is reported."""
    edges = {
        "ledger.chain.deploy_plan": {"ledger.chain.deployment", "ledger.chain.client"},
        "ledger.chain.deployment": {"ledger.chain.deploy_plan", "ledger.chain.client"},
        "ledger.chain.client": set(),
    }
    assert _cycles(edges) == [["ledger.chain.deploy_plan", "ledger.chain.deployment"]]
