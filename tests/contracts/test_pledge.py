"""Pledge overlay of the BillOfLadingRegistry (DESIGN §1.2): request, acceptance before expiry, what an
active pledge blocks, release, enforcement, one pledge at a time, and the suspended bank's discharge."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from ledger.chain import ChainClient
from tests.contracts.model import Kind, PledgeState, Reason, Status, org_address
from tests.contracts.roles_attestation import World
from tests.contracts.roles_bill import ZERO32, act, bill_state, bills, issue, refused

REF = hashlib.sha256(b"MPR-2026-000123").digest()
DAY = 86_400


def request(world: World, bill: int, expiry_in: int = DAY, bank: str = "BANK", by: str = "TRADER") -> int:
    expiry = world.chain.latest_timestamp() + expiry_in
    act(world, by, "requestPledge", bill, world.org[bank], 250_000_00, b"USD", REF, expiry, ZERO32)
    return expiry


def request_refused(
    world: World, bill: int, until: int, error: str, /, bank: str = "BANK", **arguments: Any
) -> None:
    """TRADER's request to pledge ``bill`` to ``bank`` (amount 1 USD, expiring at ``until``) reverts with
    ``error`` (and these revert ``arguments``, if given)."""
    refused(
        world,
        "TRADER",
        "requestPledge",
        bill,
        world.org[bank],
        1,
        b"USD",
        REF,
        until,
        ZERO32,
        error=error,
        **arguments,
    )


def pledged(world: World) -> int:
    bill = issue(world)
    request(world, bill)
    act(world, "BANK", "acceptPledge", bill, ZERO32)
    return bill


def test_pledge_request_records_terms_and_accept_activates(world: World) -> None:
    bill = issue(world)
    expiry = request(world, bill)
    terms = bills(world).call("pledgeOf", bill)
    assert terms == {
        "status": PledgeState.REQUESTED,
        "pledgee": world.org["BANK"],
        "expiry": expiry,
        "currency": b"USD",
        "amount": 250_000_00,
        "registrationRef": REF,
    }
    act(world, "BANK", "acceptPledge", bill, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.ACTIVE
    assert bill_state(world, bill)["possessor"] == world.org["TRADER"]  # a pledge does not move possession


@pytest.mark.parametrize("kind", [Kind.STRAIGHT, Kind.SWB])
def test_pledge_on_non_negotiable_reverts_bill_not_negotiable(world: World, kind: Kind) -> None:
    bill = issue(world, kind=kind, consignee="FORWARDER")
    expiry = world.chain.latest_timestamp() + DAY
    request_refused(world, bill, expiry, "BillNotNegotiable", billId=bill)


def test_pledge_to_non_bank_reverts_bill_recipient_not_eligible(world: World) -> None:
    bill = issue(world)
    expiry = world.chain.latest_timestamp() + DAY
    request_refused(
        world, bill, expiry, "BillRecipientNotEligible", bank="FORWARDER", org=world.org["FORWARDER"]
    )


def test_pledge_with_past_expiry_reverts_bill_pledge_expired(world: World) -> None:
    bill = issue(world)
    expiry = world.chain.latest_timestamp() - 1
    request_refused(world, bill, expiry, "BillPledgeExpired", billId=bill, expiry=expiry)


def test_request_expires_and_can_no_longer_be_accepted(world: World, chain: ChainClient) -> None:
    bill = issue(world)
    expiry = request(world, bill, expiry_in=600)
    chain.increase_time(1_200)
    refused(
        world, "BANK", "acceptPledge", bill, ZERO32, error="BillPledgeExpired", billId=bill, expiry=expiry
    )
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.NONE
    # The lapsed request no longer blocks the title, and the transfer clears it for good.
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    state = bill_state(world, bill)
    assert (state["pledgeStatus"], state["pledgee"]) == (PledgeState.NONE, 0)


def _blocked_actions(world: World, bill: int) -> list[tuple[str, str, tuple[Any, ...]]]:
    return [
        ("TRADER", "transfer", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "endorse", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "endorseToOrder", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "blankEndorse", (bill, ZERO32)),
        ("TRADER", "surrenderForDelivery", (bill, ZERO32)),
        ("TRADER", "surrenderForAmendment", (bill, int(Reason.SWTP), ZERO32)),
        ("TRADER", "requestPledge", (bill, world.org["BANK"], 1, b"EUR", REF, 2**40, ZERO32)),
    ]


@pytest.mark.parametrize("state", ["requested", "active"])
def test_pledge_blocks_transfer_endorsement_surrender_amendment_and_second_pledge(
    world: World, state: str
) -> None:
    bill = issue(world)
    request(world, bill)
    if state == "active":
        act(world, "BANK", "acceptPledge", bill, ZERO32)
    for kind, fn, args in _blocked_actions(world, bill):
        refused(world, kind, fn, *args, error="BillPledged", billId=bill, pledgee=world.org["BANK"])


def test_pledged_title_cannot_be_switched_to_paper_or_voided(world: World) -> None:
    bill = pledged(world)
    # Switch to paper and void need a surrender for amendment, which the pledge blocks.
    for fn in ("switchToPaper", "voidTitle"):
        refused(
            world,
            "CARRIER",
            fn,
            bill,
            ZERO32,
            error="BillWrongStatus",
            billId=bill,
            status=int(Status.ISSUED),
        )
    assert bills(world).call("statusOf", bill) == Status.ISSUED


def test_release_frees_the_title(world: World) -> None:
    bill = pledged(world)
    act(world, "BANK", "releasePledge", bill, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.NONE
    act(world, "TRADER", "surrenderForDelivery", bill, ZERO32)
    assert bills(world).call("statusOf", bill) == Status.SURRENDER_PENDING_DELIVERY


def test_bank_may_decline_a_request_by_releasing_it(world: World) -> None:
    bill = issue(world)
    request(world, bill)
    act(world, "BANK", "releasePledge", bill, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.NONE


def test_enforcement_makes_the_bank_possessor_and_title_holder(world: World) -> None:
    bill = pledged(world)
    receipt = bills(world).transact("enforcePledge", bill, ZERO32, sender=world.caller("BANK"))
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"], state["pledgeStatus"], state["pledgee"]) == (
        world.org["BANK"],
        world.org["BANK"],
        PledgeState.NONE,
        0,
    )
    assert receipt.event("Transfer").args["to"].lower() == org_address(world.org["BANK"])
    assert bills(world).call("ownerOf", bill).lower() == org_address(world.org["BANK"])
    # The bank now holds the title in its own right.
    act(world, "BANK", "endorseToOrder", bill, world.org["FORWARDER"], ZERO32)


def test_enforce_on_requested_pledge_reverts_bill_pledge_wrong_status(world: World) -> None:
    bill = issue(world)
    request(world, bill)
    refused(
        world,
        "BANK",
        "enforcePledge",
        bill,
        ZERO32,
        error="BillPledgeWrongStatus",
        billId=bill,
        status=int(PledgeState.REQUESTED),
    )


def test_suspended_bank_can_still_release_but_not_accept_or_enforce(world: World) -> None:
    active = pledged(world)
    requested = issue(world)
    request(world, requested)
    world.suspend(world.org["BANK"])
    for fn, bill in (("acceptPledge", requested), ("enforcePledge", active)):
        refused(world, "BANK", fn, bill, ZERO32, error="BillCallerSuspended", org=world.org["BANK"])
    act(world, "BANK", "releasePledge", active, ZERO32)
    assert bills(world).call("pledgeOf", active)["status"] == PledgeState.NONE
    # The possessor is free again, and a suspended bank cannot be named as pledgee.
    request_refused(world, active, 2**40, "BillRecipientSuspended", org=world.org["BANK"])
    act(world, "TRADER", "transfer", active, world.org["FORWARDER"], ZERO32)
    # The suspended bank's pending request still blocks the other title until released or lapsed.
    refused(
        world,
        "TRADER",
        "transfer",
        requested,
        world.org["FORWARDER"],
        ZERO32,
        error="BillPledged",
        billId=requested,
        pledgee=world.org["BANK"],
    )
    act(world, "BANK", "releasePledge", requested, ZERO32)
    act(world, "TRADER", "transfer", requested, world.org["FORWARDER"], ZERO32)
