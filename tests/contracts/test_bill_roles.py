"""Runs the whole role matrix of roles.py (Consortium, BillOfLadingRegistry and the rows the other
contracts contribute): for every row and caller kind, allowed callers succeed and every other caller
is refused with the expected custom error, by name and, where the row says, by arguments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.chain import ChainClient, ContractRevert
from tests.contracts.roles import CASE_IDS, CASES, TABLE, Row
from tests.contracts.roles_attestation import World, build_world


@pytest.fixture(scope="module")
def world(chain: ChainClient, accounts: list[str]) -> Iterator[World]:
    snap = chain.snapshot()
    try:
        yield build_world(chain, accounts, with_bills=True)
    finally:
        chain.revert(snap)


@pytest.mark.parametrize(("row", "kind"), CASES, ids=CASE_IDS)
def test_only_allowed_callers_succeed_and_others_get_the_named_error(
    world: World, chain: ChainClient, row: Row, kind: str
) -> None:
    if row.contract not in world.contracts:
        pytest.skip(f"{row.contract} is not deployed in the shared world")
    snap = chain.snapshot()
    try:
        args = row.setup(world)
        contract = world.contracts[row.contract]
        sender = world.caller(kind)
        if kind in row.allowed:
            receipt = contract.transact(row.function, *args, sender=sender)
            assert receipt.status == 1
        else:
            with pytest.raises(ContractRevert) as refused:
                contract.transact(row.function, *args, sender=sender)
            name, arguments = row.expected(world, kind, args)
            assert refused.value.name == name, str(refused.value)
            if arguments is not None:
                assert refused.value.args == arguments
    finally:
        chain.revert(snap)


@pytest.mark.parametrize("contract", ["Consortium", "BillOfLadingRegistry"])
def test_matrix_covers_every_state_changing_function(chain: ChainClient, contract: str) -> None:
    abi = chain.artifacts.get(contract).abi
    writes = {
        f["name"]
        for f in abi
        if f["type"] == "function" and f["stateMutability"] in ("nonpayable", "payable")
    }
    covered = {row.function for row in TABLE if row.contract == contract}
    assert writes <= covered, f"no role-matrix row for {sorted(writes - covered)}"
