"""Pledge overlay of the BillOfLadingRegistry (docs/design.md §1.2): request with terms, acceptance of
exactly those terms before the deadline, what an active pledge blocks, release, enforcement (at maturity,
or on the pledgee's own default after its notice period), one pledge at a time, the suspended bank's
discharge, and the attacks the overlay must withstand: double financing, enforcement at will and terms
substitution."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from ledger.chain import ChainClient
from ledger.domain import ids, schemas
from ledger.domain.pledges import PledgeTerms
from tests.contracts.model import Action, Kind, PledgeState, Reason, Status, acted, org_address
from tests.contracts.roles_attestation import World, attest, revoke
from tests.contracts.roles_bill import (
    DAY,
    ZERO32,
    act,
    at,
    bill_state,
    bills,
    issue,
    pledge_default,
    refused,
    request_pledge,
    second_bank,
    terms,
)

REF = hashlib.sha256(b"MPR-2026-000123").digest()
NOTICE = 7 * DAY


def request(
    world: World, bill: int, accept_in: int = DAY, bank: str = "BANK", by: str = "TRADER", **kw: Any
) -> tuple[PledgeTerms, bytes]:
    """``by`` asks ``bank`` to accept a pledge of ``bill`` within ``accept_in`` seconds; returns the terms
    and the hash the bank's acceptance must carry."""
    now = world.chain.latest_timestamp()
    t = terms(world, bank, amount=250_000_00, accept_by=now + accept_in, registration=REF, **kw)
    return t, request_pledge(world, by, bill, t)


def request_refused(world: World, bill: int, t: PledgeTerms, error: str, /, **arguments: Any) -> None:
    """TRADER's request to pledge ``bill`` on terms ``t`` reverts with ``error`` (and these arguments)."""
    refused(world, "TRADER", "requestPledge", bill, t.as_struct(), ZERO32, error=error, **arguments)


def pledged(world: World, **kw: Any) -> int:
    bill = issue(world)
    _, digest = request(world, bill, **kw)
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    return bill


def snapshot(world: World, bill: int) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    """Everything an attack could change: the title, its pledge, and the possession counters of the
    parties involved."""
    b = bills(world)
    counters = (b.call("balanceOfOrg", world.org["TRADER"]), b.call("balanceOfOrg", world.org["BANK"]))
    return (bill_state(world, bill), b.call("pledgeOf", bill), *counters)


def block_time(world: World, receipt: Any) -> int:
    return int(world.chain.get_block(receipt.block_number)["timestamp"], 16)


# -- request and acceptance ----------------------------------------------------------------------------


def test_pledge_request_records_terms_and_accept_activates(world: World) -> None:
    bill = issue(world)
    now = world.chain.latest_timestamp()
    t = terms(world, amount=250_000_00, accept_by=now + DAY, maturity=now + 30 * DAY, registration=REF)
    receipt = bills(world).transact(
        "requestPledge", bill, t.as_struct(), ZERO32, sender=world.caller("TRADER")
    )
    digest = t.terms_hash(bill, 1, world.org["TRADER"])
    assert bills(world).call("pledgeTermsHash", bill, 1, world.org["TRADER"], t.as_struct()) == digest
    assert bills(world).call("pledgeOf", bill) == {
        "status": PledgeState.REQUESTED,
        "pledgee": world.org["BANK"],
        "nonce": 1,
        "acceptBy": t.accept_by,
        "maturity": t.maturity,
        "noticePeriod": t.notice_period,
        "acceptedAt": 0,
        "termsHash": digest,
    }
    requested = receipt.event("BillPledgeRequested").args
    assert (requested["pledgee"], requested["nonce"], requested["pledgor"], requested["termsHash"]) == (
        world.org["BANK"],
        1,
        world.org["TRADER"],
        digest,
    )
    assert tuple(requested["terms"].values()) == t.as_struct()
    event = receipt.event("BillActed").args
    assert (acted(event)[0], event["recipient"], acted(event)[2].pledge_status) == (
        Action.PLEDGE,
        world.org["BANK"],
        "REQUESTED",
    )

    receipt = bills(world).transact("acceptPledge", bill, digest, ZERO32, sender=world.caller("BANK"))
    pledge = bills(world).call("pledgeOf", bill)
    assert (pledge["status"], pledge["acceptedAt"]) == (PledgeState.ACTIVE, block_time(world, receipt))
    assert acted(receipt.event("BillActed").args)[0] == Action.ACCEPT_PLEDGE
    assert bill_state(world, bill)["possessor"] == world.org["TRADER"]  # a pledge does not move possession


@pytest.mark.parametrize("kind", [Kind.STRAIGHT, Kind.SWB])
def test_pledge_on_non_negotiable_reverts_bill_not_negotiable(world: World, kind: Kind) -> None:
    bill = issue(world, kind=kind, consignee="FORWARDER")
    request_refused(world, bill, terms(world), "BillNotNegotiable", billId=bill)


def test_pledge_to_non_bank_reverts_bill_recipient_not_eligible(world: World) -> None:
    bill = issue(world)
    org = world.org["FORWARDER"]
    request_refused(world, bill, terms(world, "FORWARDER"), "BillRecipientNotEligible", org=org)


def test_bank_holding_the_title_cannot_pledge_it_to_itself(world: World) -> None:
    bill = issue(world, to="BANK")
    before = snapshot(world, bill)
    refused(
        world,
        "BANK",
        "requestPledge",
        bill,
        terms(world, "BANK").as_struct(),
        ZERO32,
        error="BillSelfTransfer",
        billId=bill,
        org=world.org["BANK"],
    )
    assert snapshot(world, bill) == before


def test_pledge_with_past_accept_by_reverts_bill_pledge_expired(world: World) -> None:
    bill = issue(world)
    accept_by = world.chain.latest_timestamp() - 1
    t = terms(world, accept_by=accept_by)
    request_refused(world, bill, t, "BillPledgeExpired", billId=bill, acceptBy=accept_by)


def test_pledge_maturing_before_its_accept_by_reverts_bill_pledge_maturity_invalid(world: World) -> None:
    bill = issue(world)
    now = world.chain.latest_timestamp()
    for maturity in (now + DAY, now + DAY - 1):
        t = terms(world, accept_by=now + DAY, maturity=maturity)
        request_refused(world, bill, t, "BillPledgeMaturityInvalid", acceptBy=now + DAY, maturity=maturity)
    assert bills(world).call("pledgeOf", bill)["nonce"] == 0


def test_request_expires_and_can_no_longer_be_accepted(world: World, chain: ChainClient) -> None:
    bill = issue(world)
    t, digest = request(world, bill, accept_in=600)
    chain.increase_time(1_200)
    refused(
        world,
        "BANK",
        "acceptPledge",
        bill,
        digest,
        ZERO32,
        error="BillPledgeExpired",
        billId=bill,
        acceptBy=t.accept_by,
    )
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.NONE
    # The lapsed request no longer blocks the title, and the transfer clears it for good.
    act(world, "TRADER", "transfer", bill, world.org["FORWARDER"], ZERO32)
    state = bill_state(world, bill)
    assert (state["pledgeStatus"], state["pledgee"]) == (PledgeState.NONE, 0)


def test_accept_at_its_deadline_is_allowed_and_one_second_later_refused(world: World) -> None:
    late, in_time = issue(world), issue(world)
    now = world.chain.latest_timestamp()
    t = terms(world, accept_by=now + 100)
    late_digest, digest = (
        request_pledge(world, "TRADER", late, t),
        request_pledge(world, "TRADER", in_time, t),
    )
    at(world, t.accept_by)
    act(world, "BANK", "acceptPledge", in_time, digest, ZERO32)
    at(world, t.accept_by + 1)
    refused(
        world,
        "BANK",
        "acceptPledge",
        late,
        late_digest,
        ZERO32,
        error="BillPledgeExpired",
        billId=late,
        acceptBy=t.accept_by,
    )
    assert bills(world).call("pledgeOf", in_time)["status"] == PledgeState.ACTIVE


# -- what a pledge blocks, release ---------------------------------------------------------------------


def _blocked_actions(world: World, bill: int) -> list[tuple[str, str, tuple[Any, ...]]]:
    again = terms(world, amount=1, registration=REF)
    return [
        ("TRADER", "transfer", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "endorse", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "endorseToOrder", (bill, world.org["FORWARDER"], ZERO32)),
        ("TRADER", "blankEndorse", (bill, ZERO32)),
        ("TRADER", "surrenderForDelivery", (bill, ZERO32)),
        ("TRADER", "surrenderForAmendment", (bill, int(Reason.SWTP), ZERO32)),
        ("TRADER", "requestPledge", (bill, again.as_struct(), ZERO32)),
    ]


@pytest.mark.parametrize("state", ["requested", "active"])
def test_pledge_blocks_transfer_endorsement_surrender_amendment_and_second_pledge(
    world: World, state: str
) -> None:
    bill = issue(world)
    _, digest = request(world, bill)
    if state == "active":
        act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    before = snapshot(world, bill)
    for kind, fn, args in _blocked_actions(world, bill):
        refused(world, kind, fn, *args, error="BillPledged", billId=bill, pledgee=world.org["BANK"])
    assert snapshot(world, bill) == before


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


# -- enforcement ---------------------------------------------------------------------------------------


def test_enforcement_after_maturity_makes_the_bank_possessor_and_title_holder(world: World) -> None:
    now = world.chain.latest_timestamp()
    bill = pledged(world, maturity=now + 2 * DAY)
    at(world, now + 2 * DAY + 1)
    receipt = bills(world).transact("enforcePledge", bill, ZERO32, ZERO32, sender=world.caller("BANK"))
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"], state["pledgeStatus"], state["pledgee"]) == (
        world.org["BANK"],
        world.org["BANK"],
        PledgeState.NONE,
        0,
    )
    assert receipt.event("Transfer").args["to"].lower() == org_address(world.org["BANK"])
    assert bills(world).call("ownerOf", bill).lower() == org_address(world.org["BANK"])
    assert acted(receipt.event("BillActed").args)[0] == Action.ENFORCE_PLEDGE
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
        ZERO32,
        error="BillPledgeWrongStatus",
        billId=bill,
        status=int(PledgeState.REQUESTED),
    )


def test_suspended_bank_can_still_release_but_not_accept_or_enforce(world: World) -> None:
    now = world.chain.latest_timestamp()
    active = pledged(world, maturity=now + 2 * DAY)
    requested = issue(world)
    _, digest = request(world, requested)
    world.suspend(world.org["BANK"])
    world.chain.increase_time(3 * DAY)  # past maturity: only the suspension stands in the way
    for fn, args in (("acceptPledge", (requested, digest)), ("enforcePledge", (active, ZERO32))):
        refused(world, "BANK", fn, *args, ZERO32, error="BillCallerSuspended", org=world.org["BANK"])
    act(world, "BANK", "releasePledge", active, ZERO32)
    assert bills(world).call("pledgeOf", active)["status"] == PledgeState.NONE
    # The possessor is free again, and a suspended bank cannot be named as pledgee.
    request_refused(world, active, terms(world), "BillRecipientSuspended", org=world.org["BANK"])
    act(world, "TRADER", "transfer", active, world.org["FORWARDER"], ZERO32)
    # The suspended bank's (lapsed) request reads as none and no longer blocks the other title.
    assert bills(world).call("pledgeOf", requested)["status"] == PledgeState.NONE
    act(world, "BANK", "releasePledge", requested, ZERO32)
    act(world, "TRADER", "transfer", requested, world.org["FORWARDER"], ZERO32)


def test_suspended_bank_pending_request_blocks_until_released(world: World) -> None:
    requested = issue(world)
    request(world, requested)
    world.suspend(world.org["BANK"])
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


# -- attack: double financing --------------------------------------------------------------------------


@pytest.mark.parametrize("endorsement", ["endorse", "endorseToOrder"])
def test_endorser_who_kept_possession_cannot_pledge_the_title_again(world: World, endorsement: str) -> None:
    """TRADER endorses the title to BANK (financing it) and keeps possession until the transfer: it must not
    pledge the same title to a second bank, nor to BANK itself."""
    other = second_bank(world)
    bill = issue(world)
    act(world, "TRADER", endorsement, bill, world.org["BANK"], ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"]) == (world.org["TRADER"], world.org["BANK"])
    before = snapshot(world, bill)
    for bank in (other, "BANK"):
        request_refused(
            world, bill, terms(world, bank), "BillNotTitleHolder", billId=bill, org=world.org["TRADER"]
        )
    # Signing (which leaves the endorsee's right to reject intact) gives the endorser no control either.
    act(world, "TRADER", "sign", bill, ZERO32)
    request_refused(
        world, bill, terms(world, other), "BillNotTitleHolder", billId=bill, org=world.org["TRADER"]
    )
    assert snapshot(world, bill) == before
    assert bills(world).call("pledgeOf", bill)["nonce"] == 0


def test_second_pledge_to_another_bank_is_refused_while_the_first_stands(world: World) -> None:
    other = second_bank(world)
    org = world.org[other]
    bill = issue(world)
    _, digest = request(world, bill)
    # Neither can the other bank take the request over ...
    refused(world, other, "acceptPledge", bill, digest, ZERO32, error="BillNotPledgee", billId=bill, org=org)
    for accept in (False, True):
        if accept:
            act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
        before = snapshot(world, bill)
        request_refused(
            world, bill, terms(world, other), "BillPledged", billId=bill, pledgee=world.org["BANK"]
        )
        assert snapshot(world, bill) == before
    # ... nor enforce the active pledge, even past maturity.
    world.chain.increase_time(91 * DAY)
    refused(world, other, "enforcePledge", bill, ZERO32, ZERO32, error="BillNotPledgee", billId=bill, org=org)
    assert bill_state(world, bill)["possessor"] == world.org["TRADER"]


@pytest.mark.parametrize("how", ["endorsed to order", "blank-endorsed"])
def test_pledge_while_a_transfer_is_still_rejectable_reverts_bill_still_rejectable(
    world: World, how: str
) -> None:
    """The transferee cannot finance the title while it may still hand it back by REJECT (the pledge would
    follow the title back to the transferor)."""
    trader, forwarder = world.org["TRADER"], world.org["FORWARDER"]
    bill = issue(world)
    if how == "blank-endorsed":
        act(world, "TRADER", "blankEndorse", bill, ZERO32)
    else:
        act(world, "TRADER", "endorseToOrder", bill, forwarder, ZERO32)
    act(world, "TRADER", "transfer", bill, forwarder, ZERO32)
    before = snapshot(world, bill)
    refused(
        world,
        "FORWARDER",
        "requestPledge",
        bill,
        terms(world).as_struct(),
        ZERO32,
        error="BillStillRejectable",
        billId=bill,
    )
    assert snapshot(world, bill) == before
    # The right to reject is intact, and the rejection returns the title unencumbered.
    act(world, "FORWARDER", "reject", bill, ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["pledgeStatus"], state["pledgee"]) == (trader, PledgeState.NONE, 0)


def test_transferee_may_pledge_once_it_signed_for_the_title(world: World) -> None:
    forwarder = world.org["FORWARDER"]
    bill = issue(world)
    act(world, "TRADER", "endorseToOrder", bill, forwarder, ZERO32)
    act(world, "TRADER", "transfer", bill, forwarder, ZERO32)
    act(world, "FORWARDER", "sign", bill, ZERO32)
    digest = request_pledge(world, "FORWARDER", bill, terms(world))
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.ACTIVE
    refused(world, "FORWARDER", "reject", bill, ZERO32, error="BillNotRejectable", billId=bill)


def test_possessor_of_a_blank_endorsed_title_may_pledge_it(world: World) -> None:
    forwarder = world.org["FORWARDER"]
    bill = issue(world)
    act(world, "TRADER", "blankEndorse", bill, ZERO32)
    act(world, "TRADER", "transfer", bill, forwarder, ZERO32)
    act(world, "FORWARDER", "sign", bill, ZERO32)
    # The transferor, no longer possessor, cannot.
    refused(
        world,
        "TRADER",
        "requestPledge",
        bill,
        terms(world).as_struct(),
        ZERO32,
        error="BillNotPossessor",
        billId=bill,
        org=world.org["TRADER"],
    )
    t = terms(world)
    receipt = bills(world).transact(
        "requestPledge", bill, t.as_struct(), ZERO32, sender=world.caller("FORWARDER")
    )
    requested = receipt.event("BillPledgeRequested").args
    assert (requested["pledgor"], requested["termsHash"]) == (forwarder, t.terms_hash(bill, 1, forwarder))
    act(world, "BANK", "acceptPledge", bill, requested["termsHash"], ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"], state["pledgeStatus"]) == (forwarder, 0, PledgeState.ACTIVE)


# -- attack: enforcement at will -----------------------------------------------------------------------


def _accepted_at(world: World, t: PledgeTerms, when: int) -> int:
    """A title pledged on ``t`` whose acceptance is mined at block time ``when``."""
    bill = issue(world)
    digest = request_pledge(world, "TRADER", bill, t)
    at(world, when)
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    assert bills(world).call("pledgeOf", bill)["acceptedAt"] == when
    return bill


def _enforce_refused(world: World, bill: int, default_uid: bytes, error: str, /, **arguments: Any) -> None:
    """BANK's enforcement of ``bill`` on ``default_uid`` reverts with ``error`` and changes nothing."""
    before = snapshot(world, bill)
    refused(world, "BANK", "enforcePledge", bill, default_uid, ZERO32, error=error, billId=bill, **arguments)
    assert snapshot(world, bill) == before


def _enforced(world: World, bill: int, uid: bytes = ZERO32) -> None:
    act(world, "BANK", "enforcePledge", bill, uid, ZERO32)
    state = bill_state(world, bill)
    assert (state["possessor"], state["holder"], state["pledgeStatus"]) == (
        world.org["BANK"],
        world.org["BANK"],
        PledgeState.NONE,
    )


def test_pledge_accepted_at_its_deadline_is_not_enforceable_until_maturity(world: World) -> None:
    now = world.chain.latest_timestamp()
    t = terms(world, accept_by=now + 100, maturity=now + 10 * DAY)
    bill = _accepted_at(world, t, t.accept_by)
    for moment in (t.accept_by + 1, t.maturity - 1, t.maturity):
        at(world, moment)
        _enforce_refused(world, bill, ZERO32, "BillPledgeNotEnforceable", maturity=t.maturity)
    at(world, t.maturity + 1)
    _enforced(world, bill)


def test_default_attested_before_acceptance_does_not_count(world: World) -> None:
    now = world.chain.latest_timestamp()
    t = terms(world, accept_by=now + DAY, maturity=now + 90 * DAY, notice=0)
    bill = issue(world)
    # Made before the request even exists (for the nonce it will get), and between request and acceptance.
    at(world, now + 10)
    early = pledge_default(world, bill, 1)
    digest = request_pledge(world, "TRADER", bill, t)
    at(world, now + 20)
    between = pledge_default(world, bill, 1)
    # And in the very second of the acceptance: not strictly after it.
    at(world, now + 30)
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    at(world, now + 30)
    same_second = pledge_default(world, bill, 1)
    assert world.attestations.call("attestation", same_second)["time"] == now + 30
    world.chain.increase_time(DAY)
    for uid in (early, between, same_second):
        _enforce_refused(world, bill, uid, "BillPledgeDefaultInvalid", uid=uid)
    valid = pledge_default(world, bill, 1)
    _enforced(world, bill, valid)


def test_default_about_an_earlier_pledge_of_the_same_title_does_not_count(world: World) -> None:
    bill = pledged(world, notice=0)
    act(world, "BANK", "releasePledge", bill, ZERO32)
    _, digest = request(world, bill, notice=0)
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    assert bills(world).call("pledgeOf", bill)["nonce"] == 2
    world.chain.increase_time(60)
    # Attested after the second acceptance, by the pledgee, but about the first pledge.
    stale = pledge_default(world, bill, 1)
    world.chain.increase_time(60)
    _enforce_refused(world, bill, stale, "BillPledgeDefaultInvalid", uid=stale)
    # Nor about another title's (active) pledge.
    foreign = pledge_default(world, pledged(world), 1)
    world.chain.increase_time(60)
    _enforce_refused(world, bill, foreign, "BillPledgeDefaultInvalid", uid=foreign)
    current = pledge_default(world, bill, 2)
    world.chain.increase_time(60)
    _enforced(world, bill, current)


def test_default_by_another_bank_does_not_count(world: World) -> None:
    other = second_bank(world)
    bill = pledged(world, notice=0)
    world.chain.increase_time(60)
    uid = pledge_default(world, bill, 1, bank=other)
    world.chain.increase_time(60)
    _enforce_refused(world, bill, uid, "BillPledgeDefaultInvalid", uid=uid)
    refused(
        world,
        other,
        "enforcePledge",
        bill,
        uid,
        ZERO32,
        error="BillNotPledgee",
        billId=bill,
        org=world.org[other],
    )


def test_revoked_or_foreign_schema_or_unknown_attestation_does_not_count(world: World) -> None:
    bill = pledged(world, notice=0)
    world.chain.increase_time(60)
    revoked = pledge_default(world, bill, 1)
    revoke(world, "BANK", "PLEDGE_DEFAULT", revoked)
    data = schemas.COLLATERAL_CHECK.encode(
        {
            "validUntil": world.chain.latest_timestamp() + 365 * DAY,
            "documentChecksum": bills(world).call("documentChecksum", bill),
            "encumbered": True,
            "result": "DEFAULT",
        }
    )
    foreign_schema = attest(world, "BANK", "COLLATERAL_CHECK", ids.pledge_subject(bill, 1), data)
    unknown = hashlib.sha256(b"no such attestation").digest()
    world.chain.increase_time(60)
    for uid in (revoked, foreign_schema, unknown):
        _enforce_refused(world, bill, uid, "BillPledgeDefaultInvalid", uid=uid)


def test_valid_default_counts_only_once_its_notice_period_has_run(world: World) -> None:
    now = world.chain.latest_timestamp()
    t = terms(world, accept_by=now + DAY, maturity=now + 90 * DAY, notice=NOTICE)
    bill = _accepted_at(world, t, now + 100)
    at(world, now + 200)
    uid = pledge_default(world, bill, 1)
    assert world.attestations.call("attestation", uid)["time"] == now + 200
    for moment in (now + 200, now + 200 + NOTICE - 1):
        at(world, moment)
        _enforce_refused(
            world, bill, uid, "BillPledgeNoticeRunning", uid=uid, enforceableAt=now + 200 + NOTICE
        )
    # Without the default, the same moment is still before maturity.
    _enforce_refused(world, bill, ZERO32, "BillPledgeNotEnforceable", maturity=t.maturity)
    at(world, now + 200 + NOTICE)
    _enforced(world, bill, uid)


# -- attack: terms substitution ------------------------------------------------------------------------


def test_accept_with_the_hash_of_other_terms_reverts_bill_pledge_terms_mismatch(world: World) -> None:
    bill = issue(world)
    t, digest = request(world, bill)
    trader = world.org["TRADER"]
    others = [
        replace(t, amount=t.amount // 10).terms_hash(bill, 1, trader),  # what the bank thinks it finances
        replace(t, maturity=t.maturity + DAY).terms_hash(bill, 1, trader),
        replace(t, notice_period=0).terms_hash(bill, 1, trader),
        replace(t, registration_ref=ZERO32).terms_hash(bill, 1, trader),
        replace(t, currency="EUR").terms_hash(bill, 1, trader),
        t.terms_hash(bill, 2, trader),  # another nonce
        t.terms_hash(bill, 1, world.org["FORWARDER"]),  # another pledgor
        t.terms_hash(bill + 1, 1, trader),  # another title
        ZERO32,
    ]
    before = snapshot(world, bill)
    for given in others:
        refused(
            world,
            "BANK",
            "acceptPledge",
            bill,
            given,
            ZERO32,
            error="BillPledgeTermsMismatch",
            billId=bill,
            expected=digest,
            given=given,
        )
    assert snapshot(world, bill) == before
    act(world, "BANK", "acceptPledge", bill, digest, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.ACTIVE


def test_lapsed_request_remade_on_other_terms_is_not_activated_by_the_old_hash(world: World) -> None:
    bill = issue(world)
    t1, old = request(world, bill, accept_in=600)
    world.chain.increase_time(1_200)
    # Re-made on worse terms for the bank (a fraction of the amount, no notice), after the first lapsed.
    now = world.chain.latest_timestamp()
    t2 = replace(t1, amount=t1.amount // 10, notice_period=0, accept_by=now + DAY, maturity=now + 2 * DAY)
    new = request_pledge(world, "TRADER", bill, t2)
    assert new == t2.terms_hash(bill, 2, world.org["TRADER"]) != old
    before = snapshot(world, bill)
    refused(
        world,
        "BANK",
        "acceptPledge",
        bill,
        old,
        ZERO32,
        error="BillPledgeTermsMismatch",
        billId=bill,
        expected=new,
        given=old,
    )
    assert snapshot(world, bill) == before
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.REQUESTED


def test_declined_request_remade_on_the_same_terms_needs_a_fresh_acceptance(world: World) -> None:
    """Same terms, new request: the nonce changes the hash, so an acceptance of the declined request
    (e.g. replayed) cannot activate the new one."""
    bill = issue(world)
    t, old = request(world, bill)
    act(world, "BANK", "releasePledge", bill, ZERO32)
    new = request_pledge(world, "TRADER", bill, t)
    assert new == t.terms_hash(bill, 2, world.org["TRADER"]) != old
    refused(
        world,
        "BANK",
        "acceptPledge",
        bill,
        old,
        ZERO32,
        error="BillPledgeTermsMismatch",
        billId=bill,
        expected=new,
        given=old,
    )
    act(world, "BANK", "acceptPledge", bill, new, ZERO32)
    assert bills(world).call("pledgeOf", bill)["status"] == PledgeState.ACTIVE
