"""The index's names for the contracts' enum values are the Solidity enums, member by member and in
order (a new or reordered member would silently mislabel every projected status)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.domain import codes

ROOT = Path(__file__).resolve().parents[3]


def solidity_enum(path: str, name: str) -> tuple[str, ...]:
    source = (ROOT / path).read_text(encoding="utf-8")
    match = re.search(rf"enum\s+{name}\s*\{{(.*?)\}}", source, re.S)
    assert match, f"enum {name} not found in {path}"
    body = re.sub(r"//[^\n]*", "", match.group(1))
    return tuple(m.strip() for m in body.split(",") if m.strip())


@pytest.mark.parametrize(
    ("path", "enum", "mirror"),
    [
        ("contracts/types/BillTypes.sol", "BillStatus", codes.BILL_STATUS),
        ("contracts/types/BillTypes.sol", "BillKind", codes.BILL_KIND),
        ("contracts/types/BillTypes.sol", "PledgeStatus", codes.PLEDGE_STATUS),
        ("contracts/types/BillTypes.sol", "BillAction", codes.BILL_ACTION),
        ("contracts/types/BillTypes.sol", "SurrenderReason", codes.SURRENDER_REASON),
        ("contracts/types/ReleaseTypes.sol", "ReleaseStatus", codes.RELEASE_STATUS),
        ("contracts/interfaces/IConsortium.sol", "ProposalKind", codes.PROPOSAL_KIND),
    ],
)
def test_index_codes_equal_the_solidity_enum(path: str, enum: str, mirror: tuple[str, ...]) -> None:
    assert solidity_enum(path, enum) == mirror
