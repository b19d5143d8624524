"""BillOfLadingRegistry: issue, transfer, endorsement chain, rejection, surrender, amendment, switch to
paper, void, the ERC-721 window and the event log, against a real anvil."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi.abi import encode as abi_encode

from ledger.chain import ChainClient, ContractRevert
from ledger.domain import ids
from ledger.domain.bill_state import unpack_state
from tests.contracts.model import Action, Kind, Reason, Status, acted, org_address, replay, title_id
from tests.contracts.roles_attestation import World
from tests.contracts.roles_bill import (
    CID,
    CONTAINERS,
    ZERO32,
    act,
    bill_state,
    bills,
    issue,
    issue_request,
    refused,
)

AMENDED = ("MSKU1234565", "CSQU3054383")  # the amended document lists fewer containers


def request(
    world: World,
    ref: str,
    kind: Kind = Kind.NEGOTIABLE,
    to: int | None = None,
    consignee: int = 0,
    checksum: bytes = b"\x02" * 32,
    root: bytes | None = None,
) -> tuple[object, ...]:
    """An ``IssueRequest`` with explicit fields (organisation ids, not kinds)."""
    base = issue_request(world, ref=ref)
    return (
        ref,
        int(kind),
        world.org["TRADER"] if to is None else to,
        consignee,
        checksum,
        base[5] if root is None else root,
        CID,
    )


SUSPEND, REINSTATE = 1, 2


def surrender_accepted(world: World, bill: int, by: str, reason: Reason | None = None) -> None:
    """``by`` surrenders ``bill`` for delivery (or for amendment with ``reason``); the carrier accepts."""
    if reason is None:
        act(world, by, "surrenderForDelivery", bill, ZERO32)
    else:
        act(world, by, "surrenderForAmendment", bill, int(reason), ZERO32)
    act(world, "CARRIER", "acceptSurrender", bill, ZERO32)


# -- issue ------------------------------------------------------------------------------------------


def test_issue_creates_title_with_design_id_owner_checksum_and_events(world: World) -> None:
    ref = "MAEU240000001"
    checksum = hashlib.sha256(b"transport document").digest()
    root = ids.container_root(CONTAINERS)
    receipt = bills(world).transact(
        "issue",
        request(world, ref, checksum=checksum, root=root),
        b"\x01" * 32,
        sender=world.caller("CARRIER"),
    )
    bill_id = title_id(world.org["CARRIER"], ref)
    assert bills(world).call("titleIdOf", world.org["CARRIER"], ref) == bill_id
    assert bills(world).call("ownerOf", bill_id).lower() == org_address(world.org["TRADER"])
    assert bills(world).call("documentChecksum", bill_id) == checksum
    assert bills(world).call("statusOf", bill_id) == Status.ISSUED
    state = bill_state(world, bill_id)
    assert (state["carrier"], state["possessor"], state["holder"], state["version"]) == (
        world.org["CARRIER"],
        world.org["TRADER"],
        world.org["TRADER"],
        1,
    )
    # The container root is kept to its first 24 bytes, with the issue time of the version.
    facts = bills(world).call("issueFacts", bill_id)
    block = world.chain.get_block(receipt.block_number)
    assert (bytes(facts[0]), facts[1]) == (root[: ids.ROOT_BYTES], int(block["timestamp"], 16))
    names = [e.name for e in receipt.events]
    assert names == ["Transfer", "BillIssued", "BillActed"]
    transfer = receipt.event("Transfer").args
    assert transfer["from"] == "0x" + "00" * 20 and transfer["tokenId"] == bill_id
    issued = receipt.event("BillIssued").args
    assert (issued["cid"], issued["transportDocumentReference"], issued["checksum"]) == (CID, ref, checksum)
    assert bytes(issued["containerRoot"]) == root[: ids.ROOT_BYTES]
    event = receipt.event("BillActed").args
    action, reason, _ = acted(event)
    assert (action, reason, event["actor"], event["recipient"], event["remarkHash"]) == (
        Action.ISSUE,
        Reason.NONE,
        world.org["CARRIER"],
        world.org["TRADER"],
        b"\x01" * 32,
    )
    # The state word carries the title as stored (bits 0-239), the action and the reason above it.
    assert event["state"] & ((1 << 240) - 1) == _stored_word(world, bill_id)


def _stored_word(world: World, bill_id: int) -> int:
    """The title's word packed from the ``bill`` view, in the layout of ``struct Bill``."""
    b = bill_state(world, bill_id)
    fields = (
        (b["carrier"], 0),
        (b["possessor"], 32),
        (b["holder"], 64),
        (b["prevPossessor"], 96),
        (b["prevHolder"], 128),
        (b["pledgee"], 160),
        (b["status"], 192),
        (b["kind"], 200),
        (b["pledgeStatus"], 208),
        (b["version"], 216),
        (b["flags"], 232),
    )
    return sum(int(value) << shift for value, shift in fields)


def test_issue_twice_with_same_reference_reverts_bill_already_issued(world: World) -> None:
    args = (request(world, "REF-1"), ZERO32)
    bills(world).transact("issue", *args, sender=world.caller("CARRIER"))
    refused(
        world,
        "CARRIER",
        "issue",
        *args,
        error="BillAlreadyIssued",
        billId=title_id(world.org["CARRIER"], "REF-1"),
    )


@pytest.mark.parametrize(
    ("kind", "consignee"), [(Kind.NEGOTIABLE, "BANK"), (Kind.STRAIGHT, None), (Kind.SWB, None)]
)
def test_issue_with_wrong_consignee_shape_reverts_bill_consignee_invalid(
    world: World, kind: Kind, consignee: str | None
) -> None:
    org = world.org[consignee] if consignee else 0
    refused(
        world,
        "CARRIER",
        "issue",
        request(world, "REF-C", kind=kind, consignee=org),
        ZERO32,
        error="BillConsigneeInvalid",
        consignee=org,
    )


def test_issue_with_zero_checksum_reverts_bill_checksum_invalid(world: World) -> None:
    refused(
        world,
        "CARRIER",
        "issue",
        request(world, "REF-Z", checksum=ZERO32),
        ZERO32,
        error="BillChecksumInvalid",
        checksum=ZERO32,
    )


def test_issue_with_zero_container_root_reverts_bill_container_root_invalid(world: World) -> None:
    refused(
        world,
        "CARRIER",
        "issue",
        request(world, "REF-0", root=ZERO32),
        ZERO32,
        error="BillContainerRootInvalid",
    )
    assert bills(world).call("statusOf", title_id(world.org["CARRIER"], "REF-0")) == Status.NONE


@pytest.mark.parametrize(
    ("recipient", "error"),
    [
        ("UNKNOWN", "BillRecipientUnknown"),
        ("SUSPENDED", "BillRecipientSuspended"),
        ("TERMINAL", "BillRecipientNotEligible"),
        ("CUSTOMS", "BillRecipientNotEligible"),
    ],
)
def test_issue_to_unfit_recipient_reverts_named_error(world: World, recipient: str, error: str) -> None:
    org = world.org.get(recipient, 999)
    refused(world, "CARRIER", "issue", request(world, "REF-R", to=org), ZERO32, error=error, org=org)


# -- transfer and rejection -----------------------------------------------------------------------


def test_transfer_moves_possession_only_and_emits_erc721_transfer(world: World) -> None:
    bill = issue(world)
    receipt = bills(world).transact(
        "transfer", bill, world.org["FORWARDER"], ZERO32, sender=world.caller("TRADER")
    )
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (world.org["FORWARDER"], world.org["TRADER"])
    moved = receipt.event("Transfer").args
    assert moved["from"].lower() == org_address(world.org["TRADER"])
    assert moved["to"].lower() == org_address(world.org["FORWARDER"])
    assert bills(world).call("balanceOfOrg", world.org["FORWARDER"]) == 1
    assert bills(world).call("balanceOfOrg", world.org["TRADER"]) == 0
    assert bills(world).call("balanceOf", org_address(world.org["FORWARDER"])) == 1


def test_transfer_to_self_reverts_bill_self_transfer(world: World) -> None:
    bill = issue(world)
    refused(
        world,
        "TRADER",
        "transfer",
        bill,
        world.org["TRADER"],
        ZERO32,
        error="BillSelfTransfer",
        billId=bill,
        org=world.org["TRADER"],
    )


def test_reject_of_transfer_by_recipient_returns_possession(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    assert bill_state(world, bill)["possessor"] == world.org["FORWARDER"]
    receipt = bills(world).transact("reject", bill, ZERO32, sender=world.caller("FORWARDER"))
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (world.org["TRADER"], world.org["TRADER"])
    assert bills(world).call("ownerOf", bill).lower() == org_address(world.org["TRADER"])
    assert [e.name for e in receipt.events] == ["Transfer", "BillActed"]
    # Rejection is an answer, not a delivery: it cannot be rejected back.
    refused(world, "TRADER", "reject", bill, ZERO32, error="BillNotRejectable", billId=bill)


def test_reject_after_recipient_acted_reverts_bill_not_rejectable(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    act(world, "FORWARDER", "sign", bill, ZERO32)
    refused(world, "FORWARDER", "reject", bill, ZERO32, error="BillNotRejectable", billId=bill)


# -- endorsement chain -------------------------------------------------------------------------------


def test_endorse_keeps_possession_with_the_endorser(world: World) -> None:
    bill = issue(world)
    trader, forwarder = world.org["TRADER"], world.org["FORWARDER"]
    before = bill_state(world, bill)
    balances = (bills(world).call("balanceOfOrg", trader), bills(world).call("balanceOfOrg", forwarder))
    receipt = bills(world).transact("endorse", bill, forwarder, ZERO32, sender=world.caller("TRADER"))
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"], state["prevHolder"]) == (trader, forwarder, trader)
    assert state["prevPossessor"] == before["prevPossessor"]
    assert bills(world).call("ownerOf", bill).lower() == org_address(trader)
    assert (
        bills(world).call("balanceOfOrg", trader),
        bills(world).call("balanceOfOrg", forwarder),
    ) == balances
    # The title moves, not possession: no ERC-721 Transfer, only the action record.
    assert [e.name for e in receipt.events] == ["BillActed"]
    event = receipt.event("BillActed").args
    assert (acted(event)[0], event["actor"], event["recipient"]) == (Action.ENDORSE, trader, forwarder)
    # The endorsee holds the title but cannot act as possessor until it is transferred.
    refused(
        world,
        "FORWARDER",
        "surrenderForDelivery",
        bill,
        ZERO32,
        error="BillNotPossessor",
        billId=bill,
        org=forwarder,
    )
    # Nor can the endorser, who keeps possession, still act as title holder.
    refused(
        world,
        "TRADER",
        "endorseToOrder",
        bill,
        world.org["BANK"],
        ZERO32,
        error="BillNotTitleHolder",
        billId=bill,
        org=trader,
    )


def test_endorse_then_transfer_gives_title_and_possession_to_the_consignee(world: World) -> None:
    shipper, consignee, carrier = world.org["TRADER"], world.org["FORWARDER"], world.org["CARRIER"]
    bill = issue(world)
    act(world, "TRADER", "blankEndorse", bill, ZERO32)
    assert bill_state(world, bill)["holder"] == 0
    act(world, "TRADER", "endorse", bill, consignee, ZERO32)
    state = bill_state(world, bill)
    assert (state["holder"], state["possessor"]) == (consignee, shipper)
    act(world, "TRADER", "transfer", bill, consignee, ZERO32)
    state = bill_state(world, bill)
    assert (state["holder"], state["possessor"]) == (consignee, consignee)
    assert bills(world).call("ownerOf", bill).lower() == org_address(consignee)
    act(world, "FORWARDER", "surrenderForDelivery", bill, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.SURRENDER_PENDING_DELIVERY
    act(world, "CARRIER", "acceptSurrender", bill, ZERO32)
    state = bill_state(world, bill)
    assert (state["status"], state["possessor"], state["prevPossessor"], state["holder"]) == (
        Status.ACCOMPLISHED,
        carrier,
        consignee,
        consignee,
    )


def test_reject_of_endorsement_by_endorsee_restores_holder(world: World) -> None:
    trader, forwarder = world.org["TRADER"], world.org["FORWARDER"]
    bill = issue(world)
    act(world, "TRADER", "endorse", bill, forwarder, ZERO32)
    # The endorser signing is not the endorsee's first action: the endorsement stays rejectable.
    act(world, "TRADER", "sign", bill, ZERO32)
    receipt = bills(world).transact("reject", bill, ZERO32, sender=world.caller("FORWARDER"))
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (trader, trader)
    assert bills(world).call("ownerOf", bill).lower() == org_address(trader)
    assert [e.name for e in receipt.events] == ["BillActed"]
    event = receipt.event("BillActed").args
    assert (acted(event)[0], event["actor"], event["recipient"]) == (Action.REJECT, forwarder, trader)
    # The plain ENDORSE closed the endorsee, not the endorser: the restored holder may endorse again.
    act(world, "TRADER", "endorseToOrder", bill, world.org["BANK"], ZERO32)
    assert bill_state(world, bill)["holder"] == world.org["BANK"]


def test_reject_of_endorsement_by_possessor_is_refused(world: World) -> None:
    trader, forwarder = world.org["TRADER"], world.org["FORWARDER"]
    bill = issue(world)
    act(world, "TRADER", "endorse", bill, forwarder, ZERO32)
    for kind in ("TRADER", "BANK"):
        refused(
            world, kind, "reject", bill, ZERO32, error="BillNotTitleHolder", billId=bill, org=world.org[kind]
        )
    assert (bill_state(world, bill)["possessor"], bill_state(world, bill)["holder"]) == (trader, forwarder)
    # A later change by the possessor (here the transfer to the endorsee) ends the right to reject the
    # endorsement; the endorsee may now reject only that transfer, which returns possession alone.
    act(world, "TRADER", "transfer", bill, forwarder, ZERO32)
    act(world, "FORWARDER", "reject", bill, ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (trader, forwarder)
    refused(world, "FORWARDER", "reject", bill, ZERO32, error="BillNotPossessor", billId=bill, org=forwarder)


def test_endorsee_by_plain_endorse_cannot_endorse_further_but_can_surrender(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "endorse", bill, world.org["FORWARDER"], ZERO32)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    for fn, args in (
        ("endorse", (bill, world.org["BANK"], ZERO32)),
        ("endorseToOrder", (bill, world.org["BANK"], ZERO32)),
        ("blankEndorse", (bill, ZERO32)),
    ):
        refused(world, "FORWARDER", fn, *args, error="BillEndorsementClosed", billId=bill)
    act(world, "FORWARDER", "surrenderForDelivery", bill, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.SURRENDER_PENDING_DELIVERY


def test_endorsee_to_order_may_endorse_further(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "endorseToOrder", bill, world.org["FORWARDER"], ZERO32)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    act(world, "FORWARDER", "endorseToOrder", bill, world.org["BANK"], ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (world.org["FORWARDER"], world.org["BANK"])


def test_possessor_who_is_not_holder_cannot_endorse_or_surrender(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    for fn, args in (
        ("endorse", (bill, world.org["BANK"], ZERO32)),
        ("surrenderForDelivery", (bill, ZERO32)),
        ("surrenderForAmendment", (bill, int(Reason.COD), ZERO32)),
    ):
        refused(
            world, "FORWARDER", fn, *args, error="BillNotTitleHolder", billId=bill, org=world.org["FORWARDER"]
        )


def test_blank_endorsed_title_lets_any_possessor_endorse_or_surrender(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "blankEndorse", bill, ZERO32)
    assert bill_state(world, bill)["holder"] == 0
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    act(world, "FORWARDER", "endorseToOrder", bill, world.org["BANK"], ZERO32)
    act(world, "FORWARDER", "transfer", bill, world.org["BANK"], ZERO32)
    act(world, "BANK", "blankEndorse", bill, ZERO32)
    act(world, "BANK", "surrenderForDelivery", bill, ZERO32)
    assert bill_state(world, bill)["prevPossessor"] == world.org["BANK"]


# -- straight B/L and sea waybill ------------------------------------------------------------------


def test_straight_bill_goes_only_to_its_consignee(world: World) -> None:
    bill = issue(world, kind=Kind.STRAIGHT, consignee="FORWARDER")
    refused(
        world,
        "TRADER",
        "transfer",
        bill,
        world.org["BANK"],
        ZERO32,
        error="BillStraightRecipientMismatch",
        billId=bill,
        recipient=world.org["BANK"],
    )
    refused(
        world,
        "TRADER",
        "endorse",
        bill,
        world.org["FORWARDER"],
        ZERO32,
        error="BillNotNegotiable",
        billId=bill,
    )
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    surrender_accepted(world, bill, "FORWARDER")
    state = bill_state(world, bill)
    assert (state["status"], state["prevPossessor"], state["holder"]) == (
        Status.ACCOMPLISHED,
        world.org["FORWARDER"],
        world.org["FORWARDER"],
    )


def test_sea_waybill_never_moves(world: World) -> None:
    bill = issue(world, kind=Kind.SWB, consignee="FORWARDER")
    assert bill_state(world, bill)["holder"] == world.org["FORWARDER"]
    for fn, args, error in (
        ("transfer", (bill, world.org["FORWARDER"], ZERO32), "BillSeaWaybill"),
        ("surrenderForDelivery", (bill, ZERO32), "BillSeaWaybill"),
        ("surrenderForAmendment", (bill, int(Reason.SWI), ZERO32), "BillSeaWaybill"),
        ("endorse", (bill, world.org["FORWARDER"], ZERO32), "BillNotNegotiable"),
    ):
        refused(world, "TRADER", fn, *args, error=error, billId=bill)
    act(world, "TRADER", "sign", bill, ZERO32)
    assert bill_state(world, bill)["possessor"] == world.org["TRADER"]


# -- surrender, amendment, final states --------------------------------------------------------------


def test_rejected_surrender_returns_possession_to_requester(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "surrenderForDelivery", bill, ZERO32)
    assert bills(world).call("ownerOf", bill).lower() == org_address(world.org["CARRIER"])
    act(world, "CARRIER", "rejectSurrender", bill, ZERO32)
    state = bill_state(world, bill)
    assert (state["status"], state["possessor"]) == (Status.ISSUED, world.org["TRADER"])


def test_nothing_moves_after_accomplished(world: World) -> None:
    bill = issue(world)
    surrender_accepted(world, bill, "TRADER")
    accomplished = int(Status.ACCOMPLISHED)
    for kind, fn, args in (
        ("CARRIER", "transfer", (bill, world.org["TRADER"], ZERO32)),
        ("CARRIER", "acceptSurrender", (bill, ZERO32)),
        ("CARRIER", "voidTitle", (bill, ZERO32)),
        ("CARRIER", "reissue", (bill, b"\x09" * 32, ids.container_root(CONTAINERS), CID, ZERO32)),
        ("TRADER", "reject", (bill, ZERO32)),
    ):
        refused(world, kind, fn, *args, error="BillWrongStatus", billId=bill, status=accomplished)


def test_amendment_reissues_new_version_to_the_org_that_surrendered(world: World) -> None:
    bill = issue(world)
    act(world, "TRADER", "endorseToOrder", bill, world.org["FORWARDER"], ZERO32)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    surrender_accepted(world, bill, "FORWARDER", Reason.COD)
    assert bills(world).call("statusOf", bill) == Status.SURRENDERED_FOR_AMENDMENT
    old = bills(world).call("documentChecksum", bill)
    amended = ids.container_root(AMENDED)
    refused(
        world,
        "CARRIER",
        "reissue",
        bill,
        old,
        amended,
        CID,
        ZERO32,
        error="BillChecksumInvalid",
        checksum=old,
    )
    new = hashlib.sha256(b"amended document").digest()
    refused(world, "CARRIER", "reissue", bill, new, ZERO32, CID, ZERO32, error="BillContainerRootInvalid")
    refused(world, "CARRIER", "switchToPaper", bill, ZERO32, error="BillSwitchNotRequested", billId=bill)
    receipt = bills(world).transact(
        "reissue", bill, new, amended, CID, ZERO32, sender=world.caller("CARRIER")
    )
    issued = receipt.event("BillIssued").args
    assert (issued["version"], bytes(issued["containerRoot"])) == (2, amended[: ids.ROOT_BYTES])
    # The amended version's container list and issue time replace the first version's.
    block = world.chain.get_block(receipt.block_number)
    facts = bills(world).call("issueFacts", bill)
    assert (bytes(facts[0]), facts[1]) == (amended[: ids.ROOT_BYTES], int(block["timestamp"], 16))
    assert unpack_state(receipt.event("BillActed").args["state"]).action == "REISSUE"
    state = bill_state(world, bill)
    assert (state["status"], state["possessor"], state["holder"], state["version"]) == (
        Status.ISSUED,
        world.org["FORWARDER"],
        world.org["FORWARDER"],
        2,
    )
    assert bills(world).call("documentChecksum", bill) == new


def test_switch_to_paper_after_swtp_surrender_is_final(world: World) -> None:
    bill = issue(world)
    surrender_accepted(world, bill, "TRADER", Reason.SWTP)
    act(world, "CARRIER", "switchToPaper", bill, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.SWITCHED_TO_PAPER
    refused(
        world,
        "CARRIER",
        "voidTitle",
        bill,
        ZERO32,
        error="BillWrongStatus",
        billId=bill,
        status=int(Status.SWITCHED_TO_PAPER),
    )


def test_void_after_amendment_surrender_is_final(world: World) -> None:
    bill = issue(world)
    surrender_accepted(world, bill, "TRADER", Reason.SWI)
    act(world, "CARRIER", "voidTitle", bill, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.VOIDED
    refused(
        world,
        "CARRIER",
        "reissue",
        bill,
        b"\x07" * 32,
        ids.container_root(AMENDED),
        CID,
        ZERO32,
        error="BillWrongStatus",
        billId=bill,
        status=int(Status.VOIDED),
    )


def test_surrender_for_amendment_without_reason_reverts_bill_invalid_reason(world: World) -> None:
    bill = issue(world)
    refused(world, "TRADER", "surrenderForAmendment", bill, 0, ZERO32, error="BillInvalidReason", reason=0)


def test_unknown_title_reverts_bill_unknown(world: World) -> None:
    refused(world, "TRADER", "sign", 12345, ZERO32, error="BillUnknown", billId=12345)


# -- suspension ------------------------------------------------------------------------------------


def test_suspended_carrier_answers_surrenders_but_cannot_issue(world: World) -> None:
    bill = issue(world)
    other = issue(world)
    act(world, "TRADER", "surrenderForDelivery", bill, ZERO32)
    act(world, "TRADER", "surrenderForDelivery", other, ZERO32)
    world.suspend(world.org["CARRIER"])
    act(world, "CARRIER", "acceptSurrender", bill, ZERO32)
    act(world, "CARRIER", "rejectSurrender", other, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.ACCOMPLISHED
    assert bills(world).call("statusOf", other) == Status.ISSUED
    refused(
        world,
        "CARRIER",
        "issue",
        request(world, "REF-S", checksum=b"\x05" * 32),
        ZERO32,
        error="BillCallerSuspended",
        org=world.org["CARRIER"],
    )


def test_reinstated_organisation_acts_again(world: World) -> None:
    bill = issue(world)
    world.suspend(world.org["TRADER"])
    refused(world, "TRADER", "sign", bill, ZERO32, error="BillCallerSuspended", org=world.org["TRADER"])
    world.consortium.transact(
        "propose", REINSTATE, abi_encode(["uint32"], [world.org["TRADER"]]), sender=world.governor
    )
    act(world, "TRADER", "sign", bill, ZERO32)


# -- ERC-721 window ----------------------------------------------------------------------------------


def test_erc721_metadata_and_interfaces(world: World) -> None:
    bill = issue(world)
    b = bills(world)
    for interface, expected in (
        ("01ffc9a7", True),
        ("80ac58cd", True),
        ("5b5e139f", True),
        ("ffffffff", False),
    ):
        assert b.call("supportsInterface", bytes.fromhex(interface)) is expected
    assert b.call("name") == "PortLedger Bill of Lading"
    assert b.call("symbol") == "PLBL"
    assert b.call("tokenURI", bill) == f"portledger:bill:0x{bill:064x}"
    assert b.call("getApproved", bill) == "0x" + "00" * 20
    assert b.call("isApprovedForAll", world.caller("TRADER"), world.caller("BANK")) is False
    assert b.call("balanceOf", "0x" + "11" * 20) == 0


def test_balance_of_zero_address_reverts_bill_invalid_owner(world: World) -> None:
    with pytest.raises(ContractRevert) as refused:
        bills(world).call("balanceOf", "0x" + "00" * 20)
    assert refused.value.name == "BillInvalidOwner"


def test_owner_of_unknown_title_reverts_bill_unknown(world: World) -> None:
    with pytest.raises(ContractRevert) as refused:
        bills(world).call("ownerOf", 7)
    assert (refused.value.name, refused.value.args) == ("BillUnknown", {"billId": 7})


# -- event log -------------------------------------------------------------------------------------


def test_event_log_rebuilds_endorsement_chain_and_state(world: World, chain: ChainClient) -> None:
    start = chain.block_number() + 1
    bill = issue(world)
    act(world, "TRADER", "endorseToOrder", bill, world.org["FORWARDER"], ZERO32)
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    act(world, "FORWARDER", "endorse", bill, world.org["BANK"], ZERO32)
    act(world, "BANK", "reject", bill, ZERO32)
    act(world, "FORWARDER", "blankEndorse", bill, ZERO32)
    act(world, "FORWARDER", "transfer", bill, world.org["BANK"], ZERO32)
    surrender_accepted(world, bill, "BANK", Reason.COD)
    act(world, "CARRIER", "reissue", bill, b"\x44" * 32, ids.container_root(AMENDED), CID, ZERO32)
    events = chain.get_logs(bills(world).address, start, chain.block_number())
    rebuilt = replay(events)[bill]
    state = bill_state(world, bill)
    assert (rebuilt.possessor, rebuilt.holder, rebuilt.status, rebuilt.version) == (
        state["possessor"],
        state["holder"],
        state["status"],
        state["version"],
    )
    assert rebuilt.checksum == bills(world).call("documentChecksum", bill)
    assert rebuilt.container_root == bytes(bills(world).call("issueFacts", bill)[0])
    # The last event's state word is the stored title word.
    assert rebuilt.state is not None and rebuilt.state.prev_holder == state["prevHolder"]
    assert rebuilt.state.flags == state["flags"]
    chain_of_actions = [Action(h[0]).name for h in rebuilt.history]
    assert chain_of_actions == [
        "ISSUE",
        "ENDORSE_TO_ORDER",
        "TRANSFER",
        "ENDORSE",
        "REJECT",
        "BLANK_ENDORSE",
        "TRANSFER",
        "SURRENDER_FOR_AMENDMENT",
        "SACC",
        "REISSUE",
    ]
