"""Gas regression check: every operation measured by bench/gas.py stays within its ceiling in
bench/gas-snapshot.json (the targets, or the measured figure plus a small margin). Deterministic:
fixed inputs on a fresh deployment inside an EVM snapshot of the session chain."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ledger.chain import ChainClient

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = json.loads((ROOT / "bench" / "gas-snapshot.json").read_text())
TITLE_OPERATIONS = (
    "issue",
    "transfer",
    "endorse",
    "surrender",
    "surrender_accept",
    "pledge_request",
    "pledge_accept",
    "pledge_release",
)


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portledger_bench_gas", ROOT / "bench" / "gas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured(chain: ChainClient, accounts: list[str]) -> dict[str, int]:
    bench = load_bench()
    return {m.key: m.gas for m in bench.run(chain, accounts)}


def test_title_targets_are_the_ceilings() -> None:
    ceilings = SNAPSHOT["ceilings"]
    for operation, target in SNAPSHOT["targets"].items():
        assert ceilings[operation] <= target, operation
    assert all(op in ceilings for op in TITLE_OPERATIONS)


def test_no_operation_exceeds_its_ceiling(measured: dict[str, int]) -> None:
    assert set(TITLE_OPERATIONS) <= set(measured)
    over = {
        op: (gas, SNAPSHOT["ceilings"][op])
        for op, gas in measured.items()
        if op in SNAPSHOT["ceilings"] and gas > SNAPSHOT["ceilings"][op]
    }
    assert not over, f"over ceiling (measured, ceiling): {over}"


def test_every_ceiling_is_measured(measured: dict[str, int]) -> None:
    assert set(SNAPSHOT["ceilings"]) <= set(measured)
