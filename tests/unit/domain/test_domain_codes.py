"""``ledger.domain.codes`` is the contracts' vocabulary: its tuples are the Solidity enums member by member
and in order, every Solidity enum has one, each title action the API offers calls a registry function that
takes exactly the field its row names, and the service and the API take their names from it.

A new or reordered enum member would silently mislabel every projected status; a renamed function or a
changed argument would only show when someone first tried the action. The members come from the
compiler's syntax tree of ``contracts/`` (solc, parsing only: an ABI names an enum's type, never its
members); the functions and the enums in use come from the built ABIs (``build/artifacts``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
import solcx

from ledger.chain.artifacts import Artifacts
from ledger.domain import codes
from ledger.services import bills as bill_service
from ledger.services import organisations
from ledger_api.schemas import bills as bill_schemas

ROOT = Path(__file__).resolve().parents[3]
SOLC = ROOT / "build" / "solcx" / "solc-v0.8.37"

MIRRORS: dict[str, tuple[str, ...]] = {
    "BillStatus": codes.BILL_STATUS,
    "BillKind": codes.BILL_KIND,
    "PledgeStatus": codes.PLEDGE_STATUS,
    "BillAction": codes.BILL_ACTION,
    "SurrenderReason": codes.SURRENDER_REASON,
    "ReleaseStatus": codes.RELEASE_STATUS,
    "IConsortium.ProposalKind": codes.PROPOSAL_KIND,
    "ReportAction": codes.REPORT_ACTION,
    "Role": codes.ROLE,
}
"""Solidity enum (qualified as the ABI's ``internalType`` qualifies it) → its Python tuple."""

NEEDED_INPUT: dict[str, tuple[str, ...]] = {
    "recipient": ("uint32",),
    "reason": ("enum SurrenderReason",),
    "pledge": ("struct IBillOfLadingRegistry.PledgeTerms",),
    "terms": ("bytes32",),
    "default": ("bytes32",),
    "none": (),
}
"""What a registry function takes between the bill id and the remark hash, by the field an action needs
(as the ABI's ``internalType``)."""


def _enums(node: Any, scope: str, out: dict[str, tuple[str, ...]]) -> None:
    if isinstance(node, list):
        for child in node:
            _enums(child, scope, out)
        return
    if not isinstance(node, dict):
        return
    if node.get("nodeType") == "EnumDefinition":
        name = f"{scope}.{node['name']}" if scope else node["name"]
        assert name not in out, f"two Solidity enums named {name}"
        out[name] = tuple(member["name"] for member in node["members"])
    if node.get("nodeType") == "ContractDefinition":
        scope = node["name"]
    for child in node.values():
        _enums(child, scope, out)


@pytest.fixture(scope="module")
def solidity_enums(artifacts_built: Path) -> dict[str, tuple[str, ...]]:
    """Every enum declared under ``contracts/``, by qualified name, as the compiler parses it."""
    sources = {
        str(path.relative_to(ROOT)): {"content": path.read_text(encoding="utf-8")}
        for path in sorted((ROOT / "contracts").rglob("*.sol"))
    }
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": sources,
            "settings": {
                "stopAfter": "parsing",
                "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
                "outputSelection": {"*": {"": ["ast"]}},
            },
        },
        base_path=str(ROOT),
        allow_paths=[str(ROOT / "node_modules"), str(ROOT / "contracts")],
        solc_binary=str(SOLC),
    )
    found: dict[str, tuple[str, ...]] = {}
    for name, source in output["sources"].items():
        if name.startswith("contracts/"):
            _enums(source["ast"], "", found)
    return found


@pytest.fixture(scope="module")
def artifacts(artifacts_built: Path) -> Artifacts:
    return Artifacts(artifacts_built)


def _internal_types(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_internal_types(child) for child in node))
    if isinstance(node, dict):
        own = {node["internalType"]} if isinstance(node.get("internalType"), str) else set()
        return own.union(*(_internal_types(child) for child in node.values()))
    return set()


@pytest.mark.parametrize("enum", sorted(MIRRORS))
def test_python_codes_equal_the_solidity_enum(solidity_enums: dict[str, tuple[str, ...]], enum: str) -> None:
    assert solidity_enums.get(enum) == MIRRORS[enum]


def test_every_solidity_enum_has_its_python_tuple(solidity_enums: dict[str, tuple[str, ...]]) -> None:
    assert set(solidity_enums) == set(MIRRORS)


def test_every_enum_an_abi_carries_is_mirrored(artifacts: Artifacts) -> None:
    used = {
        kind.removeprefix("enum ")
        for name in artifacts.names()
        for kind in _internal_types(artifacts.get(name).abi)
        if kind.startswith("enum ")
    }
    assert used and used <= set(MIRRORS)


def test_the_api_actions_are_the_registry_actions_without_issue_and_reissue() -> None:
    # ISSUE and REISSUE carry a document and have routes of their own.
    assert tuple(a for a in codes.BILL_ACTION if a not in ("ISSUE", "REISSUE")) == codes.API_BILL_ACTIONS


@pytest.mark.parametrize("action", codes.API_BILL_ACTIONS)
def test_each_api_action_calls_a_registry_function_taking_the_field_it_needs(
    artifacts: Artifacts, action: str
) -> None:
    function, needs = codes.BILL_ACTION_CALLS[action]
    overloads = artifacts.get("BillOfLadingRegistry").functions.get(function, [])
    assert len(overloads) == 1, f"{action}: BillOfLadingRegistry.{function} is not one function"
    (item,) = overloads
    inputs = tuple(str(i["internalType"]) for i in item["inputs"])
    assert inputs == ("uint256", *NEEDED_INPUT[needs], "bytes32")
    assert (item["inputs"][0]["name"], item["inputs"][-1]["name"]) == ("billId", "remarkHash")
    assert item["stateMutability"] == "nonpayable"


def test_the_service_and_the_api_take_their_names_from_the_codes() -> None:
    assert bill_service.ACTIONS is codes.BILL_ACTION_CALLS
    assert get_args(bill_schemas.ActionCode) == codes.API_BILL_ACTIONS
    assert get_args(bill_schemas.BillStatus) == codes.BILL_STATUS[1:]
    assert get_args(bill_schemas.BillKindCode) == codes.BILL_KIND
    assert get_args(bill_schemas.PledgeStatusCode) == codes.PLEDGE_STATUS[1:]
    assert get_args(bill_schemas.SurrenderReasonCode) == codes.SURRENDER_REASON[1:]
    assert organisations.ROLES == codes.ROLE


def test_the_openapi_document_lists_the_action_names(tmp_path: Path) -> None:
    from ledger.settings import Settings
    from ledger_api.main import create_app

    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    request = spec["components"]["schemas"]["BillActionRequest"]["properties"]
    assert tuple(request["action"]["enum"]) == codes.API_BILL_ACTIONS
    reason = request["reasonCode"]["anyOf"][0]
    assert tuple(reason["enum"]) == codes.SURRENDER_REASON[1:]
