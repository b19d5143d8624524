"""A decoded revert's arguments in plain terms: enums by member name, title ids in hex."""

from __future__ import annotations

import pickle

from ledger.domain.codes import enum_name
from ledger.domain.errors import ContractRevert


def test_enum_arguments_are_named_and_title_ids_are_hex() -> None:
    revert = ContractRevert("BillWrongStatus", {"billId": 0x5C, "status": 2}, enums={"status": "BillStatus"})
    assert revert.plain_args() == {"billId": "0x" + "00" * 31 + "5c", "status": "SURRENDER_PENDING_DELIVERY"}
    assert revert.args == {"billId": 0x5C, "status": 2}  # the decoded values stay as they were


def test_roles_and_qualified_enum_types_are_named_and_unknown_members_stay_numbers() -> None:
    revert = ContractRevert("ConsortiumRoleNotHeld", {"org": 4, "role": 5}, enums={"role": "Role"})
    assert revert.plain_args() == {"org": 4, "role": "CUSTOMS"}
    assert enum_name("IConsortium.ProposalKind", 0) == "ADMIT"
    assert enum_name("BillStatus", 99) == 99 and enum_name("NoSuchEnum", 1) == 1


def test_a_revert_keeps_its_enums_across_processes() -> None:
    revert = ContractRevert(
        "ReleaseRightNotActive", {"rightId": b"\x01", "status": 3}, enums={"status": "ReleaseStatus"}
    )
    copy = pickle.loads(pickle.dumps(revert))
    assert copy.plain_args()["status"] == "GATED_OUT"
