"""Consortium governance: proposals approved by a threshold of governors (admit, suspend, reinstate,
grant/revoke role, threshold, governors), the audit trail in events, and what a suspended organisation
can still do (only discharge what it owes)."""

from __future__ import annotations

import hashlib

from eth_abi.abi import encode as abi_encode

from ledger.chain import ChainClient
from tests.contracts.model import Status
from tests.contracts.roles_bill import CID, ZERO32, reverts
from tests.contracts.roles_consortium import (
    ADD_GOVERNOR,
    ADMIT,
    CHANGE_THRESHOLD,
    GRANT_ROLE,
    REINSTATE,
    REMOVE_GOVERNOR,
    REVOKE_ROLE,
    SUSPEND,
    Governed,
)

ADMIT_TYPES = ["string", "string", "uint16", "bytes32", "address"]


def issue(gov: Governed, to: str = "TRADER", ref: str = "GOV-1") -> int:
    receipt = gov.bills.transact(
        "issue",
        ref,
        0,
        gov.org[to],
        0,
        hashlib.sha256(ref.encode()).digest(),
        CID,
        ZERO32,
        sender=gov.admin["CARRIER"],
    )
    return int(receipt.event("BillIssued").args["billId"])


def test_admission_below_threshold_changes_nothing(gov: Governed) -> None:
    newcomer = gov.spare[0]
    count = gov.consortium.call("organisationCount")
    pid = gov.propose(ADMIT, ADMIT_TYPES, ["LEI-NEW", "New Trading Ltd", 2, b"\x07" * 32, newcomer])
    assert gov.consortium.call("organisationCount") == count
    assert gov.consortium.call("orgOf", newcomer) == 0
    proposal = gov.consortium.call("proposal", pid)
    assert (proposal["approvals"], proposal["executed"], proposal["proposer"]) == (1, False, gov.governors[0])
    # The registries do not know the organisation either.
    reverts(
        gov.bills,
        "issue",
        "GOV-X",
        0,
        count + 1,
        0,
        b"\x01" * 32,
        CID,
        ZERO32,
        sender=gov.admin["CARRIER"],
        error="BillRecipientUnknown",
        org=count + 1,
    )


def test_admission_at_threshold_executes_and_leaves_an_audit_trail(gov: Governed, chain: ChainClient) -> None:
    newcomer = gov.spare[0]
    start = chain.block_number() + 1
    pid = gov.propose(ADMIT, ADMIT_TYPES, ["LEI-NEW", "New Trading Ltd", 2, b"\x07" * 32, newcomer])
    receipt = gov.approve(pid)
    org = int(receipt.event("OrganisationAdmitted").args["org"])
    assert gov.consortium.call("orgOf", newcomer) == org
    record = gov.consortium.call("organisation", org)
    assert (record["legalId"], record["name"], record["roles"], record["admin"], record["suspended"]) == (
        "LEI-NEW",
        "New Trading Ltd",
        2,
        newcomer,
        False,
    )
    assert gov.consortium.call("hasApproved", pid, gov.governors[1]) is True
    # Who admitted whom, when, by which votes: from the logs alone.
    trail = [
        (e.name, e.args)
        for e in chain.get_logs(gov.consortium.address, start, chain.block_number())
        if e.name in ("ProposalCreated", "ProposalApproved", "ProposalExecuted", "OrganisationAdmitted")
    ]
    assert [name for name, _ in trail] == [
        "ProposalCreated",
        "ProposalApproved",
        "ProposalApproved",
        "OrganisationAdmitted",
        "ProposalExecuted",
    ]
    assert [args["governor"] for name, args in trail if name == "ProposalApproved"] == gov.governors[:2]
    assert trail[3][1]["proposalId"] == pid and trail[3][1]["admin"] == newcomer
    # The new organisation is in the registry's cache at once.
    issue(gov, to="TRADER")
    gov.bills.transact("issue", "GOV-N", 0, org, 0, b"\x02" * 32, CID, ZERO32, sender=gov.admin["CARRIER"])


def test_approving_twice_reverts_consortium_already_approved(gov: Governed) -> None:
    pid = gov.propose(SUSPEND, ["uint32"], [gov.org["TERMINAL"]])
    reverts(
        gov.consortium,
        "approve",
        pid,
        sender=gov.governors[0],
        error="ConsortiumAlreadyApproved",
        proposalId=pid,
        governor=gov.governors[0],
    )


def test_approving_executed_or_unknown_proposal_reverts(gov: Governed) -> None:
    pid = gov.propose(SUSPEND, ["uint32"], [gov.org["TERMINAL"]])
    gov.approve(pid)
    reverts(
        gov.consortium,
        "approve",
        pid,
        sender=gov.governors[2],
        error="ConsortiumProposalExecuted",
        proposalId=pid,
    )
    reverts(
        gov.consortium,
        "approve",
        999,
        sender=gov.governors[2],
        error="ConsortiumUnknownProposal",
        proposalId=999,
    )


def test_proposal_is_checked_again_at_execution(gov: Governed) -> None:
    first = gov.propose(ADMIT, ADMIT_TYPES, ["LEI-TWICE", "A", 2, ZERO32, gov.spare[0]])
    second = gov.propose(ADMIT, ADMIT_TYPES, ["LEI-TWICE", "B", 2, ZERO32, gov.spare[1]])
    gov.approve(first)
    reverts(
        gov.consortium,
        "approve",
        second,
        sender=gov.governors[1],
        error="ConsortiumDuplicateLegalId",
        legalId="LEI-TWICE",
        org=gov.consortium.call("orgOf", gov.spare[0]),
    )


def test_invalid_proposals_revert_at_proposal(gov: Governed) -> None:
    c, g = gov.consortium, gov.governors[0]
    reverts(c, "propose", 8, b"", sender=g, error="ConsortiumInvalidProposalKind", kind=8)
    reverts(
        c,
        "propose",
        CHANGE_THRESHOLD,
        abi_encode(["uint256"], [4]),
        sender=g,
        error="ConsortiumInvalidThreshold",
        threshold=4,
        governors=3,
    )
    reverts(
        c,
        "propose",
        CHANGE_THRESHOLD,
        abi_encode(["uint256"], [0]),
        sender=g,
        error="ConsortiumInvalidThreshold",
        threshold=0,
        governors=3,
    )
    reverts(
        c,
        "propose",
        GRANT_ROLE,
        abi_encode(["uint32", "uint8"], [gov.org["TRADER"], 1]),
        sender=g,
        error="ConsortiumRoleAlreadyHeld",
        org=gov.org["TRADER"],
        role=1,
    )
    reverts(
        c,
        "propose",
        REVOKE_ROLE,
        abi_encode(["uint32", "uint8"], [gov.org["TRADER"], 2]),
        sender=g,
        error="ConsortiumRoleNotHeld",
        org=gov.org["TRADER"],
        role=2,
    )
    reverts(
        c,
        "propose",
        GRANT_ROLE,
        abi_encode(["uint32", "uint8"], [gov.org["TRADER"], 9]),
        sender=g,
        error="ConsortiumInvalidRole",
        roles=9,
    )
    reverts(
        c,
        "propose",
        SUSPEND,
        abi_encode(["uint32"], [77]),
        sender=g,
        error="ConsortiumUnknownOrganisation",
        org=77,
    )
    reverts(
        c,
        "propose",
        REINSTATE,
        abi_encode(["uint32"], [gov.org["TRADER"]]),
        sender=g,
        error="ConsortiumOrganisationNotSuspended",
        org=gov.org["TRADER"],
    )
    reverts(
        c,
        "propose",
        ADD_GOVERNOR,
        abi_encode(["address"], [gov.governors[1]]),
        sender=g,
        error="ConsortiumAlreadyGovernor",
        account=gov.governors[1],
    )


def test_revoke_and_grant_role_take_effect_in_the_registry(gov: Governed) -> None:
    carrier = gov.org["CARRIER"]
    gov.decide(REVOKE_ROLE, ["uint32", "uint8"], [carrier, 0])
    reverts(
        gov.bills,
        "issue",
        "GOV-R",
        0,
        gov.org["TRADER"],
        0,
        b"\x03" * 32,
        CID,
        ZERO32,
        sender=gov.admin["CARRIER"],
        error="BillCallerLacksRole",
        org=carrier,
        role=0,
    )
    receipt = gov.decide(GRANT_ROLE, ["uint32", "uint8"], [carrier, 0])
    assert receipt.event("RoleGranted").args["roles"] == 1
    issue(gov, ref="GOV-R")


def test_threshold_change_requires_more_votes(gov: Governed) -> None:
    receipt = gov.decide(CHANGE_THRESHOLD, ["uint256"], [3])
    assert receipt.event("ThresholdChanged").args["threshold"] == 3
    pid = gov.propose(SUSPEND, ["uint32"], [gov.org["TERMINAL"]])
    gov.approve(pid, by=1)
    assert gov.consortium.call("organisation", gov.org["TERMINAL"])["suspended"] is False
    gov.approve(pid, by=2)
    assert gov.consortium.call("organisation", gov.org["TERMINAL"])["suspended"] is True


def test_governor_added_and_removed_by_vote(gov: Governed) -> None:
    newcomer = gov.spare[3]
    gov.decide(ADD_GOVERNOR, ["address"], [newcomer])
    assert gov.consortium.call("isGovernor", newcomer) is True
    gov.decide(REMOVE_GOVERNOR, ["address"], [gov.governors[2]])
    assert gov.consortium.call("isGovernor", gov.governors[2]) is False
    assert set(gov.consortium.call("governors")) == {gov.governors[0], gov.governors[1], newcomer}
    reverts(
        gov.consortium,
        "propose",
        SUSPEND,
        b"\x00" * 32,
        sender=gov.governors[2],
        error="ConsortiumNotGovernor",
        caller=gov.governors[2],
    )


def test_removing_a_governor_below_threshold_reverts(gov: Governed) -> None:
    gov.decide(CHANGE_THRESHOLD, ["uint256"], [3])
    reverts(
        gov.consortium,
        "propose",
        REMOVE_GOVERNOR,
        abi_encode(["address"], [gov.governors[2]]),
        sender=gov.governors[0],
        error="ConsortiumInvalidThreshold",
        threshold=3,
        governors=2,
    )


def test_suspended_organisation_cannot_write_anything(gov: Governed) -> None:
    bill = issue(gov)
    gov.decide(SUSPEND, ["uint32"], [gov.org["TRADER"]])
    trader, admin = gov.org["TRADER"], gov.admin["TRADER"]
    for fn, args in (
        ("transfer", (bill, gov.org["BANK"], ZERO32)),
        ("endorse", (bill, gov.org["BANK"], ZERO32)),
        ("sign", (bill, ZERO32)),
        ("surrenderForDelivery", (bill, ZERO32)),
        ("requestPledge", (bill, gov.org["BANK"], 1, b"USD", ZERO32, 2**40, ZERO32)),
        ("releasePledge", (bill, ZERO32)),
    ):
        # Releasing a pledge is a discharge: it gets past the suspension check (and finds no pledge).
        expected = "BillCallerSuspended" if fn != "releasePledge" else "BillPledgeWrongStatus"
        reverts(gov.bills, fn, *args, sender=admin, error=expected)
    for fn, admin_args in (
        ("addAccount", (trader, gov.spare[5])),
        ("setAdmin", (trader, admin)),
        ("setEncryptionKey", (trader, b"\x01" * 32)),
        ("addNode", (trader, "ab" * 64)),
    ):
        reverts(
            gov.consortium, fn, *admin_args, sender=admin, error="ConsortiumOrganisationSuspended", org=trader
        )
    # It may still read, and its accounts stay allowed on the network so that it can discharge.
    assert gov.bills.call("bill", bill)["possessor"] == trader
    assert gov.consortium.call("transactionAllowed", admin, gov.bills.address, 0, 0, 0, b"") is True
    # Reinstated, it acts again.
    gov.decide(REINSTATE, ["uint32"], [trader])
    gov.bills.transact("sign", bill, ZERO32, sender=admin)


def test_suspended_organisation_still_discharges_pledge_and_surrender(gov: Governed) -> None:
    pledged = issue(gov, ref="GOV-P")
    surrendered = issue(gov, ref="GOV-S")
    expiry = gov.chain.latest_timestamp() + 3_600
    gov.bills.transact(
        "requestPledge",
        pledged,
        gov.org["BANK"],
        5,
        b"USD",
        ZERO32,
        expiry,
        ZERO32,
        sender=gov.admin["TRADER"],
    )
    gov.bills.transact("acceptPledge", pledged, ZERO32, sender=gov.admin["BANK"])
    gov.bills.transact("surrenderForDelivery", surrendered, ZERO32, sender=gov.admin["TRADER"])
    gov.decide(SUSPEND, ["uint32"], [gov.org["BANK"]])
    gov.decide(SUSPEND, ["uint32"], [gov.org["CARRIER"]])
    gov.bills.transact("releasePledge", pledged, ZERO32, sender=gov.admin["BANK"])
    gov.bills.transact("acceptSurrender", surrendered, ZERO32, sender=gov.admin["CARRIER"])
    assert gov.bills.call("pledgeOf", pledged)["status"] == 0
    assert gov.bills.call("statusOf", surrendered) == Status.ACCOMPLISHED


def test_removing_an_account_of_a_suspended_organisation_is_allowed(gov: Governed) -> None:
    trader, admin = gov.org["TRADER"], gov.admin["TRADER"]
    extra = gov.spare[6]
    gov.consortium.transact("addAccount", trader, extra, sender=admin)
    gov.decide(SUSPEND, ["uint32"], [trader])
    gov.consortium.transact("removeAccount", trader, extra, sender=admin)
    assert gov.consortium.call("orgOf", extra) == 0


def test_approval_of_a_removed_governor_no_longer_counts(gov: Governed) -> None:
    # governor 2 approves a suspension, then is removed before the second vote arrives
    pid = gov.propose(SUSPEND, ["uint32"], [gov.org["TERMINAL"]], by=2)
    gov.decide(REMOVE_GOVERNOR, ["address"], [gov.governors[2]])
    receipt = gov.approve(pid, by=0)
    assert receipt.event("ProposalApproved").args["approvals"] == 1
    assert gov.consortium.call("organisation", gov.org["TERMINAL"])["suspended"] is False
    gov.approve(pid, by=1)
    assert gov.consortium.call("organisation", gov.org["TERMINAL"])["suspended"] is True
