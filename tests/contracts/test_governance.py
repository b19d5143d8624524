"""Consortium governance: proposals approved by a threshold of governors (admit, suspend, reinstate,
grant/revoke role, threshold, governors, admin recovery, schemas and signer sets of the attestation
registry), the audit trail in events, and what a suspended organisation can still do (only discharge what
it owes)."""

from __future__ import annotations

import hashlib
import os

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address

from ledger.chain import ChainClient, ContractRevert
from ledger.domain import schemas
from ledger.domain.pledges import PledgeTerms
from tests.contracts.model import Status
from tests.contracts.roles_attestation import oracle_keys
from tests.contracts.roles_bill import ZERO32, reverts
from tests.contracts.roles_consortium import (
    ADD_GOVERNOR,
    ADMIT,
    CHANGE_THRESHOLD,
    GRANT_ROLE,
    PROPOSAL_KINDS,
    REGISTER_SCHEMA,
    REINSTATE,
    REMOVE_GOVERNOR,
    REPLACE_ADMIN,
    REPLACE_ADMIN_TYPES,
    REVOKE_ROLE,
    SCHEMA_RECORD_TYPE,
    SET_REPORT_SIGNERS,
    SET_SCHEMA_ACTIVE,
    SUSPEND,
    Governed,
    issue,
    issue_request,
)

ADMIT_TYPES = ["string", "string", "uint16", "bytes32", "address"]
ACTIVE_TYPES = ["address", "bytes32", "bool"]
SIGNERS_TYPES = ["address", "uint32", "bytes32", "address[]", "uint8"]
DAY = 86_400


def pledge_terms(gov: Governed, bank: str = "BANK") -> PledgeTerms:
    now = gov.chain.latest_timestamp()
    return PledgeTerms(
        bank=gov.org[bank],
        amount=5_00,
        currency="USD",
        registration_ref=hashlib.sha256(b"MPR-GOV").digest(),
        accept_by=now + DAY,
        maturity=now + 90 * DAY,
        notice_period=7 * DAY,
    )


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
        issue_request("GOV-X", count + 1),
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
    issue(gov, ref="GOV-N", org=org)


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
    reverts(
        c,
        "propose",
        PROPOSAL_KINDS,
        b"",
        sender=g,
        error="ConsortiumInvalidProposalKind",
        kind=PROPOSAL_KINDS,
    )
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
        issue_request("GOV-R", gov.org["TRADER"]),
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
        ("requestPledge", (bill, pledge_terms(gov).as_struct(), ZERO32)),
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
    terms = pledge_terms(gov)
    gov.bills.transact("requestPledge", pledged, terms.as_struct(), ZERO32, sender=gov.admin["TRADER"])
    terms_hash = terms.terms_hash(pledged, 1, gov.org["TRADER"])
    assert gov.bills.call("pledgeOf", pledged)["termsHash"] == terms_hash
    gov.bills.transact("acceptPledge", pledged, terms_hash, ZERO32, sender=gov.admin["BANK"])
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


# -- schemas and signer sets of the attestation registry, by proposal ------------------------------


def test_schema_registration_by_proposal_takes_effect_only_at_threshold(gov: Governed) -> None:
    record = ("AEO_STATUS", "uint64 validUntil,string status", True, True, False, False, 1 << 5, 0)
    schema_id = gov.attestations.call("schemaIdOf", record)
    pid = gov.propose(REGISTER_SCHEMA, ["address", SCHEMA_RECORD_TYPE], [gov.attestations.address, record])
    assert gov.attestations.call("schema", schema_id)[1] is False
    receipt = gov.approve(pid)
    registered = receipt.event("SchemaRegistered").args
    assert (registered["schemaId"], registered["name"], registered["registrar"]) == (
        schema_id,
        "AEO_STATUS",
        gov.consortium.address,
    )
    stored, active = gov.attestations.call("schema", schema_id)
    assert (tuple(stored.values()), active) == (record, True)


@pytest.mark.parametrize("name", ["CUSTOMS_HOLD", "CUSTOMS_RELEASE", "PLEDGE_DEFAULT"])
def test_proposal_to_deactivate_a_permanent_schema_can_never_execute(gov: Governed, name: str) -> None:
    """The registry's refusal surfaces as the revert of the approval that would execute the proposal:
    the vote is undone, the proposal stays pending, and no further approval can ever execute it."""
    schema_id = schemas.WELL_KNOWN_SCHEMAS[name].schema_id
    assert gov.attestations.call("schema", schema_id)[0]["permanent"] is True
    pid = gov.propose(SET_SCHEMA_ACTIVE, ACTIVE_TYPES, [gov.attestations.address, schema_id, False])
    for by in (1, 2):
        with pytest.raises(ContractRevert) as refused:
            gov.approve(pid, by=by)
        assert (refused.value.name, refused.value.args) == (
            "AttestationSchemaPermanent",
            {"schemaId": schema_id},
        )
        assert gov.consortium.call("hasApproved", pid, gov.governors[by]) is False
    proposal = gov.consortium.call("proposal", pid)
    assert (proposal["executed"], proposal["approvals"]) == (False, 1)
    assert gov.attestations.call("schema", schema_id)[1] is True


def test_non_permanent_schema_is_deactivated_and_reactivated_by_proposal(gov: Governed) -> None:
    schema_id = schemas.VESSEL_EVENT.schema_id
    receipt = gov.decide(SET_SCHEMA_ACTIVE, ACTIVE_TYPES, [gov.attestations.address, schema_id, False])
    assert receipt.event("SchemaActiveChanged").args == {
        "schemaId": schema_id,
        "active": False,
        "by": gov.consortium.address,
    }
    assert gov.attestations.call("schema", schema_id)[1] is False
    gov.decide(SET_SCHEMA_ACTIVE, ACTIVE_TYPES, [gov.attestations.address, schema_id, True])
    assert gov.attestations.call("schema", schema_id)[1] is True


def test_schema_administration_directly_by_a_governor_is_refused(gov: Governed) -> None:
    schema_id = schemas.VESSEL_EVENT.schema_id
    record = ("X", "string x", False, False, False, False, 1 << 5, 0)
    for fn, args in (
        ("setSchemaActive", (schema_id, False)),
        ("registerSchema", (record,)),
        ("setReportSigners", (gov.org["CUSTOMS"], schemas.CUSTOMS_HOLD.schema_id, [gov.governors[0]], 1)),
    ):
        reverts(
            gov.attestations,
            fn,
            *args,
            sender=gov.governors[0],
            error="AttestationNotSchemaAdmin",
            caller=gov.governors[0],
        )
    assert gov.attestations.call("schema", schema_id)[1] is True


@pytest.mark.parametrize("kind", [REGISTER_SCHEMA, SET_SCHEMA_ACTIVE, SET_REPORT_SIGNERS])
def test_registry_proposal_naming_an_unattached_registry_reverts_unknown_registry(
    gov: Governed, kind: int
) -> None:
    stranger = to_checksum_address(os.urandom(20))
    data = abi_encode(ACTIVE_TYPES, [stranger, schemas.VESSEL_EVENT.schema_id, False])
    reverts(
        gov.consortium,
        "propose",
        kind,
        data,
        sender=gov.governors[0],
        error="ConsortiumUnknownRegistry",
        registry=stranger,
    )


def test_registry_proposal_naming_another_attached_cache_can_never_execute(gov: Governed) -> None:
    """The proposal check only asks whether the address is an attached cache, so a proposal naming the
    bill registry is recorded; it cannot execute (the bill registry has no schema functions) and changes
    nothing. (A precise check would refuse it at proposal with ConsortiumUnknownRegistry.)"""
    schema_id = schemas.VESSEL_EVENT.schema_id
    pid = gov.propose(SET_SCHEMA_ACTIVE, ACTIVE_TYPES, [gov.bills.address, schema_id, False])
    with pytest.raises(ContractRevert):
        gov.approve(pid)
    assert gov.consortium.call("proposal", pid)["executed"] is False
    assert gov.attestations.call("schema", schema_id)[1] is True


def test_signer_set_proposal_installs_the_set_at_threshold(gov: Governed) -> None:
    keys = oracle_keys(3)
    schema_id, agency = schemas.CUSTOMS_HOLD.schema_id, gov.org["CUSTOMS"]
    pid = gov.propose(
        SET_REPORT_SIGNERS,
        SIGNERS_TYPES,
        [gov.attestations.address, agency, schema_id, [k.address for k in keys], 2],
    )
    assert gov.attestations.call("reportSigners", agency, schema_id) == ([], 0)
    receipt = gov.approve(pid)
    assert receipt.event("ReportSignersSet").args == {
        "agency": agency,
        "schemaId": schema_id,
        "signers": [k.address for k in keys],
        "threshold": 2,
        "epoch": 1,
    }
    assert gov.attestations.call("reportSigners", agency, schema_id) == ([k.address for k in keys], 2)


@pytest.mark.parametrize(
    ("agency", "threshold", "error"),
    [
        ("CUSTOMS", 0, "AttestationInvalidSignerSet"),
        ("CUSTOMS", 4, "AttestationInvalidSignerSet"),
        ("BANK", 2, "AttestationAgencyNotAccredited"),
    ],
)
def test_malformed_signer_set_proposal_is_refused_at_execution(
    gov: Governed, agency: str, threshold: int, error: str
) -> None:
    keys = [k.address for k in oracle_keys(3)]
    schema_id = schemas.CUSTOMS_HOLD.schema_id
    pid = gov.propose(
        SET_REPORT_SIGNERS,
        SIGNERS_TYPES,
        [gov.attestations.address, gov.org[agency], schema_id, keys, threshold],
    )
    reverts(gov.consortium, "approve", pid, sender=gov.governors[1], error=error)
    assert gov.consortium.call("proposal", pid)["executed"] is False
    assert gov.attestations.call("reportSigners", gov.org[agency], schema_id) == ([], 0)


# -- admin key recovery ---------------------------------------------------------------------------


def sign_bill(gov: Governed, account: str, ref: str) -> None:
    """Issues a title to TRADER and has ``account`` sign it (only a member of TRADER in good standing can)."""
    gov.bills.transact("sign", issue(gov, ref=ref), ZERO32, sender=account)


def test_replace_admin_recovers_an_organisation_from_a_stolen_admin_key(
    gov: Governed, chain: ChainClient
) -> None:
    """Every account leaves but the new admin and the ones the proposal keeps: the stolen key and whatever
    the thief planted with it go, whether or not the governors know about them."""
    trader, stolen = gov.org["TRADER"], gov.admin["TRADER"]
    clerk, thief_account, new_admin = gov.spare[0], gov.spare[1], gov.spare[2]
    gov.consortium.transact("addAccount", trader, clerk, sender=stolen)
    # The thief uses the stolen admin key to plant an account of its own.
    gov.consortium.transact("addAccount", trader, thief_account, sender=stolen)
    pid = gov.propose(REPLACE_ADMIN, REPLACE_ADMIN_TYPES, [trader, new_admin, [clerk]])
    assert gov.consortium.call("organisation", trader)["admin"] == stolen  # one vote is not enough
    start = chain.block_number() + 1
    receipt = gov.approve(pid)
    changes = [
        (e.name, e.args)
        for e in chain.get_logs(gov.consortium.address, start, chain.block_number())
        if e.name in ("AccountRemoved", "AccountAdded", "AdminChanged")
    ]
    by = gov.governors[1]
    assert changes[0] == ("AdminChanged", {"org": trader, "previous": stolen, "admin": new_admin})
    assert {(name, args["account"], args["by"]) for name, args in changes[1:3]} == {
        ("AccountRemoved", stolen, by),
        ("AccountRemoved", thief_account, by),
    }
    assert changes[3:] == [("AccountAdded", {"org": trader, "account": new_admin, "by": by})]
    assert receipt.event("ProposalExecuted").args == {"proposalId": pid}
    assert gov.consortium.call("organisation", trader)["admin"] == new_admin
    assert set(gov.consortium.call("accountsOf", trader)) == {clerk, new_admin}
    # The stolen key and the planted account no longer act for the organisation, anywhere.
    for gone in (stolen, thief_account):
        assert gov.consortium.call("orgOf", gone) == 0
        assert gov.consortium.call("transactionAllowed", gone, gov.bills.address, 0, 0, 0, b"") is False
        with pytest.raises(ContractRevert) as refused:
            sign_bill(gov, gone, f"RECOVER-{gone[-6:]}")
        assert (refused.value.name, refused.value.args) == ("BillCallerNotMember", {"account": gone})
    for fn, args in (
        ("addAccount", (trader, gov.spare[3])),
        ("removeAccount", (trader, clerk)),
        ("setAdmin", (trader, stolen)),
        ("setEncryptionKey", (trader, b"\x01" * 32)),
    ):
        reverts(
            gov.consortium, fn, *args, sender=stolen, error="ConsortiumNotOrgAdmin", org=trader, caller=stolen
        )
    assert set(gov.consortium.call("accountsOf", trader)) == {clerk, new_admin}
    # The new admin manages the organisation, and its accounts act again.
    gov.consortium.transact("addAccount", trader, gov.spare[3], sender=new_admin)
    sign_bill(gov, new_admin, "RECOVER-NEW")
    sign_bill(gov, clerk, "RECOVER-CLERK")


@pytest.mark.parametrize("who", ["stolen", "new_admin", "other_admin", "deployer"])
def test_replace_admin_by_a_non_governor_is_refused(gov: Governed, who: str) -> None:
    trader, stolen, new_admin = gov.org["TRADER"], gov.admin["TRADER"], gov.spare[2]
    sender = {
        "stolen": stolen,
        "new_admin": new_admin,
        "other_admin": gov.admin["BANK"],
        "deployer": gov.deployer,
    }[who]
    data = abi_encode(REPLACE_ADMIN_TYPES, [trader, new_admin, []])
    reverts(
        gov.consortium,
        "propose",
        REPLACE_ADMIN,
        data,
        sender=sender,
        error="ConsortiumNotGovernor",
        caller=sender,
    )
    # A pending recovery cannot be pushed through by a non-governor either.
    pid = gov.propose(REPLACE_ADMIN, REPLACE_ADMIN_TYPES, [trader, new_admin, []])
    reverts(gov.consortium, "approve", pid, sender=sender, error="ConsortiumNotGovernor", caller=sender)
    assert gov.consortium.call("organisation", trader)["admin"] == stolen
    assert gov.consortium.call("accountsOf", trader) == [stolen]
    assert gov.consortium.call("orgOf", new_admin) == 0


def test_replace_admin_proposal_arguments_are_checked(gov: Governed) -> None:
    trader, stolen = gov.org["TRADER"], gov.admin["TRADER"]
    fresh = gov.spare[2]
    zero = "0x" + "00" * 20
    too_many = [to_checksum_address(os.urandom(20)) for _ in range(33)]
    for values, error, arguments in (
        ([77, fresh, []], "ConsortiumUnknownOrganisation", {"org": 77}),
        ([trader, zero, []], "ConsortiumZeroAddress", {}),
        (
            [trader, gov.admin["BANK"], []],
            "ConsortiumAccountTaken",
            {"account": gov.admin["BANK"], "org": gov.org["BANK"]},
        ),
        ([trader, fresh, too_many], "ConsortiumTooManyAccounts", {"org": trader, "max": 32}),
    ):
        data = abi_encode(REPLACE_ADMIN_TYPES, values)
        reverts(
            gov.consortium, "propose", REPLACE_ADMIN, data, sender=gov.governors[0], error=error, **arguments
        )
    assert gov.consortium.call("organisation", trader)["admin"] == stolen


def test_replace_admin_with_an_existing_member_promotes_it(gov: Governed) -> None:
    trader, stolen, clerk = gov.org["TRADER"], gov.admin["TRADER"], gov.spare[0]
    gov.consortium.transact("addAccount", trader, clerk, sender=stolen)
    receipt = gov.decide(REPLACE_ADMIN, REPLACE_ADMIN_TYPES, [trader, clerk, []])
    names = [e.name for e in gov.consortium.events(receipt)]
    assert "AccountAdded" not in names and names.count("AccountRemoved") == 1
    assert gov.consortium.call("organisation", trader)["admin"] == clerk
    assert gov.consortium.call("accountsOf", trader) == [clerk]


def test_recovery_of_a_suspended_organisation(gov: Governed) -> None:
    """Suspended first, the thief can neither appoint another admin nor add accounts; the recovery still
    runs on the suspended organisation, whose new admin acts once it is reinstated."""
    trader, stolen, new_admin = gov.org["TRADER"], gov.admin["TRADER"], gov.spare[2]
    gov.decide(SUSPEND, ["uint32"], [trader])
    pid = gov.propose(REPLACE_ADMIN, REPLACE_ADMIN_TYPES, [trader, new_admin, []])
    for fn, args, error in (
        ("setAdmin", (trader, stolen), "ConsortiumOrganisationSuspended"),
        ("addAccount", (trader, gov.spare[4]), "ConsortiumOrganisationSuspended"),
        ("removeAccount", (trader, stolen), "ConsortiumAccountIsAdmin"),
    ):
        reverts(gov.consortium, fn, *args, sender=stolen, error=error)
    gov.approve(pid)
    assert gov.consortium.call("organisation", trader)["admin"] == new_admin
    assert gov.consortium.call("accountsOf", trader) == [new_admin]
    # The new admin joined a suspended organisation: it acts once the organisation is reinstated.
    key = b"\x02" * 32
    reverts(
        gov.consortium,
        "setEncryptionKey",
        trader,
        key,
        sender=new_admin,
        error="ConsortiumOrganisationSuspended",
        org=trader,
    )
    gov.decide(REINSTATE, ["uint32"], [trader])
    gov.consortium.transact("setEncryptionKey", trader, key, sender=new_admin)
    sign_bill(gov, new_admin, "RECOVER-BACK")


def test_thief_cannot_make_a_pending_recovery_fail(gov: Governed) -> None:
    """Seeing the proposal, the thief hands the admin role to a second key, removes the stolen one and a kept
    account, and plants a third: nothing it does makes the recovery fail or survive it."""
    trader, stolen, new_admin = gov.org["TRADER"], gov.admin["TRADER"], gov.spare[2]
    clerk, thief_second, thief_third = gov.spare[0], gov.spare[1], gov.spare[3]
    gov.consortium.transact("addAccount", trader, clerk, sender=stolen)
    pid = gov.propose(REPLACE_ADMIN, REPLACE_ADMIN_TYPES, [trader, new_admin, [clerk, stolen]])
    gov.consortium.transact("addAccount", trader, thief_second, sender=stolen)
    gov.consortium.transact("setAdmin", trader, thief_second, sender=stolen)
    gov.consortium.transact("removeAccount", trader, stolen, sender=thief_second)
    gov.consortium.transact("addAccount", trader, thief_third, sender=thief_second)
    gov.consortium.transact("removeAccount", trader, clerk, sender=thief_second)
    gov.approve(pid)
    assert gov.consortium.call("organisation", trader)["admin"] == new_admin
    assert gov.consortium.call("accountsOf", trader) == [new_admin]
    for gone in (stolen, thief_second, thief_third, clerk):
        assert gov.consortium.call("orgOf", gone) == 0
