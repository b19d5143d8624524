"""Gas regression check: every operation measured by bench/gas.py (and the bench/gas_*.py modules, which
measure the release and attestation operations) stays within its ceiling in bench/gas-snapshot.json,
and the headline operations stay within the hard limits of ADR 0005 whatever the snapshot says.
Deterministic: fixed inputs on a fresh deployment inside an EVM snapshot of the session chain."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from ledger.chain import ChainClient
from tests.contracts.conftest import reverted

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
RELEASE_OPERATIONS = ("release_grant", "gate_out")
# The hard limits (docs/adr/0005-pledge-enforcement-and-release-gate.md): a snapshot may tighten them,
# never loosen them. The pledge operations have no fixed figure: their snapshot ceilings are the limit.
HARD_LIMITS = {
    "transfer": 45_000,
    "endorse": 46_000,
    "surrender": 47_000,
    "issue": 115_000,
    "gate_out": 90_000,
    "release_grant": 80_000,
}
SNAPSHOT_LIMITED = ("pledge_request", "pledge_accept")


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portledger_bench_gas", ROOT / "bench" / "gas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured(chain: ChainClient, accounts: list[str]) -> Iterator[dict[str, int]]:
    bench = load_bench()
    with reverted(chain):
        yield {m.key: m.gas for m in bench.run(chain, accounts)}


def test_title_targets_are_the_ceilings() -> None:
    ceilings = SNAPSHOT["ceilings"]
    for operation, target in SNAPSHOT["targets"].items():
        assert ceilings[operation] <= target, operation
    assert all(op in ceilings for op in (*TITLE_OPERATIONS, *RELEASE_OPERATIONS))


def test_snapshot_never_loosens_the_hard_limits() -> None:
    for operation, limit in HARD_LIMITS.items():
        assert SNAPSHOT["targets"][operation] <= limit, operation
        assert SNAPSHOT["ceilings"][operation] <= limit, operation
    for operation in SNAPSHOT_LIMITED:
        assert SNAPSHOT["ceilings"][operation] <= SNAPSHOT["targets"][operation], operation


@pytest.mark.parametrize("operation", sorted(HARD_LIMITS))
def test_headline_operation_is_within_its_hard_limit(measured: dict[str, int], operation: str) -> None:
    assert operation in measured, f"bench/gas.py did not measure {operation}"
    assert measured[operation] <= HARD_LIMITS[operation], (operation, measured[operation])


@pytest.mark.parametrize("operation", SNAPSHOT_LIMITED)
def test_pledge_operation_is_within_its_snapshot_ceiling(measured: dict[str, int], operation: str) -> None:
    assert operation in measured, f"bench/gas.py did not measure {operation}"
    assert measured[operation] <= SNAPSHOT["ceilings"][operation], (operation, measured[operation])


def test_no_operation_exceeds_its_ceiling(measured: dict[str, int]) -> None:
    assert set(TITLE_OPERATIONS) | set(RELEASE_OPERATIONS) <= set(measured)
    over = {
        op: (gas, SNAPSHOT["ceilings"][op])
        for op, gas in measured.items()
        if op in SNAPSHOT["ceilings"] and gas > SNAPSHOT["ceilings"][op]
    }
    assert not over, f"over ceiling (measured, ceiling): {over}"


def test_every_ceiling_is_measured(measured: dict[str, int]) -> None:
    assert set(SNAPSHOT["ceilings"]) <= set(measured)
