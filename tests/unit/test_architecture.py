"""The architecture as import-linter's contracts in pyproject.toml, checked by the suite itself.

``make test`` (what CI runs) enforces the layers, not only ``make lint``: this test runs ``lint-imports``
from the suite's own environment over the contracts, and reads the contracts to check that the layering
is the documented one and that no contract carries an exceptions list. Cycles are
``test_import_graph.py``'s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"

LAYERS = [
    "cli",
    "ledger_api | oracles",
    "ledger.bootstrap",
    "ledger.services",
    "ledger.outbox | ledger.index",
    "ledger.chain | ledger.documents",
    "ledger.consortium_config",
    "ledger.domain | wallets",
]
"""Top first: entry points, then the HTTP API and the oracles, the composition root, the use cases, the
write and read sides, chain and documents, the consortium config, and the pure domain beside the wallets."""


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def contracts(pyproject: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = pyproject["tool"]["importlinter"]["contracts"]
    return found


def test_lint_imports_keeps_every_contract(contracts: list[dict[str, Any]]) -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"import-linter is not installed beside {sys.executable}: run make install"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", str(PYPROJECT)],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "500", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for contract in contracts:
        assert f"{contract['name']} KEPT" in report, report
    assert f"Contracts: {len(contracts)} kept, 0 broken." in report, report


def test_layers_contract_is_the_documented_layering(contracts: list[dict[str, Any]]) -> None:
    layers = [c for c in contracts if c["type"] == "layers"]
    assert [c["layers"] for c in layers] == [LAYERS]
    assert "containers" not in layers[0]


def test_no_contract_has_an_exceptions_list(contracts: list[dict[str, Any]]) -> None:
    assert [c["name"] for c in contracts if c.get("ignore_imports")] == []


def test_every_root_package_is_installed_type_checked_and_linted(pyproject: dict[str, Any]) -> None:
    roots = set(pyproject["tool"]["importlinter"]["root_packages"])
    assert roots == {"cli", "ledger", "ledger_api", "oracles", "wallets"}
    assert set(pyproject["tool"]["mypy"]["packages"]) == roots
    installed = set(pyproject["tool"]["setuptools"]["packages"]["find"]["include"])
    assert {f"{root}*" for root in roots} <= installed
    assert pyproject["project"]["scripts"]["portledger"] == "cli.main:app"
