"""Consortium: construction, bootstrap, organisation records, member accounts managed by the admin
account (effective in every attached cache at once), and the Besu permissioning views."""

from __future__ import annotations

import os

import pytest
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger.chain import ChainClient, ContractRevert
from ledger.domain import schemas
from tests.contracts.roles_bill import ZERO32, reverts
from tests.contracts.roles_consortium import SUSPEND, Governed, issue, issue_request

MAX_ACCOUNTS = 32


def random_address() -> str:
    return to_checksum_address(os.urandom(20))


def sign_as(gov: Governed, account: str) -> None:
    """Issues a title to TRADER and has ``account`` sign it: succeeds only for a member of TRADER."""
    bill = issue(gov, ref=f"SIGN-{os.urandom(4).hex()}")
    gov.bills.transact("sign", bill, ZERO32, sender=account)


# -- construction and bootstrap --------------------------------------------------------------------


def test_constructor_records_governors_and_threshold(gov: Governed) -> None:
    assert gov.consortium.call("governors") == gov.governors
    assert gov.consortium.call("threshold") == 2
    assert all(gov.consortium.call("isGovernor", g) for g in gov.governors)
    assert gov.consortium.call("isGovernor", gov.deployer) is False


@pytest.mark.parametrize(
    ("threshold", "error"), [(0, "ConsortiumInvalidThreshold"), (3, "ConsortiumInvalidThreshold")]
)
def test_constructor_with_invalid_threshold_reverts(
    chain: ChainClient, accounts: list[str], threshold: int, error: str
) -> None:
    with pytest.raises(ContractRevert) as refused:
        chain.deploy("Consortium", accounts[1:3], threshold, sender=accounts[0])
    assert (refused.value.name, refused.value.args) == (error, {"threshold": threshold, "governors": 2})


def test_constructor_with_duplicate_governor_reverts(chain: ChainClient, accounts: list[str]) -> None:
    with pytest.raises(ContractRevert) as refused:
        chain.deploy("Consortium", [accounts[1], accounts[1]], 1, sender=accounts[0])
    assert refused.value.name == "ConsortiumAlreadyGovernor"


def test_attach_cache_pushes_existing_organisations_and_accounts(
    chain: ChainClient, accounts: list[str]
) -> None:
    snap = chain.snapshot()
    try:
        deployer = accounts[0]
        consortium = chain.deploy("Consortium", [accounts[1]], 1, sender=deployer)
        consortium.transact("bootstrapAdmit", "LEI-C", "Carrier", 1, ZERO32, accounts[5], sender=deployer)
        consortium.transact("bootstrapAdmit", "LEI-T", "Trader", 2, ZERO32, accounts[6], sender=deployer)
        attestations = chain.deploy("AttestationRegistry", consortium.address, sender=deployer)
        attestations.transact("registerSchema", schemas.PLEDGE_DEFAULT.as_record(), sender=deployer)
        bills = chain.deploy(
            "BillOfLadingRegistry",
            consortium.address,
            attestations.address,
            schemas.PLEDGE_DEFAULT.schema_id,
            sender=deployer,
        )
        consortium.transact("attachCache", bills.address, sender=deployer)
        assert consortium.call("caches") == [bills.address]
        # The cache learnt both organisations and their admin accounts: the carrier can issue to the trader.
        request = issue_request("LATE-1", 2)
        bills.transact("issue", request, ZERO32, sender=accounts[5])
        reverts(
            consortium,
            "attachCache",
            bills.address,
            sender=deployer,
            error="ConsortiumCacheAlreadyAttached",
            cache=bills.address,
        )
        consortium.transact("sealBootstrap", sender=deployer)
        reverts(
            consortium,
            "bootstrapAdmit",
            "LEI-X",
            "X",
            2,
            ZERO32,
            accounts[7],
            sender=deployer,
            error="ConsortiumNotBootstrapper",
            caller=deployer,
        )
    finally:
        chain.revert(snap)


def test_bootstrap_admission_checks_legal_id_roles_and_admin(gov: Governed, chain: ChainClient) -> None:
    consortium = chain.deploy("Consortium", [gov.governors[0]], 1, sender=gov.deployer)
    admin = gov.spare[0]
    consortium.transact("bootstrapAdmit", "LEI-A", "A", 2, ZERO32, admin, sender=gov.deployer)
    for args, error, arguments in (
        (
            ("LEI-A", "B", 2, ZERO32, gov.spare[1]),
            "ConsortiumDuplicateLegalId",
            {"legalId": "LEI-A", "org": 1},
        ),
        (("LEI-B", "B", 1 << 9, ZERO32, gov.spare[1]), "ConsortiumInvalidRole", {"roles": 1 << 9}),
        (("LEI-B", "B", 2, ZERO32, admin), "ConsortiumAccountTaken", {"account": admin, "org": 1}),
        (("LEI-B", "B", 2, ZERO32, "0x" + "00" * 20), "ConsortiumZeroAddress", {}),
    ):
        reverts(consortium, "bootstrapAdmit", *args, sender=gov.deployer, error=error, **arguments)


# -- organisation record and accounts ---------------------------------------------------------------


def test_organisation_record_and_views(gov: Governed) -> None:
    trader = gov.org["TRADER"]
    record = gov.consortium.call("organisation", trader)
    assert (record["id"], record["legalId"], record["roles"], record["accountCount"], record["admin"]) == (
        trader,
        "LEI-TRADER",
        2,
        1,
        gov.admin["TRADER"],
    )
    assert record["admittedAt"] > 0
    assert gov.consortium.call("accountsOf", trader) == [gov.admin["TRADER"]]
    assert gov.consortium.call("orgOf", gov.admin["TRADER"]) == trader
    assert gov.consortium.call("organisation", 99)["id"] == 0


def test_added_account_acts_for_its_organisation_at_once(gov: Governed) -> None:
    clerk = gov.spare[0]
    receipt = gov.consortium.transact("addAccount", gov.org["TRADER"], clerk, sender=gov.admin["TRADER"])
    assert receipt.event("AccountAdded").args == {
        "org": gov.org["TRADER"],
        "account": clerk,
        "by": gov.admin["TRADER"],
    }
    sign_as(gov, clerk)


def test_removed_account_is_refused_at_once(gov: Governed) -> None:
    clerk = gov.spare[0]
    gov.consortium.transact("addAccount", gov.org["TRADER"], clerk, sender=gov.admin["TRADER"])
    gov.consortium.transact("removeAccount", gov.org["TRADER"], clerk, sender=gov.admin["TRADER"])
    assert gov.consortium.call("accountsOf", gov.org["TRADER"]) == [gov.admin["TRADER"]]
    with pytest.raises(ContractRevert) as refused:
        sign_as(gov, clerk)
    assert (refused.value.name, refused.value.args) == ("BillCallerNotMember", {"account": clerk})


def test_account_rules(gov: Governed) -> None:
    trader, admin = gov.org["TRADER"], gov.admin["TRADER"]
    c = gov.consortium
    reverts(
        c,
        "addAccount",
        trader,
        gov.admin["BANK"],
        sender=admin,
        error="ConsortiumAccountTaken",
        account=gov.admin["BANK"],
        org=gov.org["BANK"],
    )
    reverts(c, "addAccount", trader, "0x" + "00" * 20, sender=admin, error="ConsortiumZeroAddress")
    reverts(
        c,
        "removeAccount",
        trader,
        admin,
        sender=admin,
        error="ConsortiumAccountIsAdmin",
        org=trader,
        account=admin,
    )
    stranger = random_address()
    reverts(
        c,
        "removeAccount",
        trader,
        stranger,
        sender=admin,
        error="ConsortiumAccountNotMember",
        org=trader,
        account=stranger,
    )
    reverts(c, "addAccount", 99, stranger, sender=admin, error="ConsortiumUnknownOrganisation", org=99)


def test_accounts_per_organisation_are_bounded(gov: Governed) -> None:
    trader, admin = gov.org["TRADER"], gov.admin["TRADER"]
    for _ in range(MAX_ACCOUNTS - 1):
        gov.consortium.transact("addAccount", trader, random_address(), sender=admin)
    assert gov.consortium.call("organisation", trader)["accountCount"] == MAX_ACCOUNTS
    reverts(
        gov.consortium,
        "addAccount",
        trader,
        random_address(),
        sender=admin,
        error="ConsortiumTooManyAccounts",
        org=trader,
        max=MAX_ACCOUNTS,
    )
    # A suspension re-syncs every account into every cache, within the block gas limit.
    pid = gov.propose(SUSPEND, ["uint32"], [trader])
    receipt = gov.approve(pid)
    assert receipt.gas_used < 3_000_000


def test_new_admin_takes_over_management(gov: Governed) -> None:
    trader, old = gov.org["TRADER"], gov.admin["TRADER"]
    new = gov.spare[1]
    gov.consortium.transact("addAccount", trader, new, sender=old)
    reverts(
        gov.consortium,
        "setAdmin",
        trader,
        random_address(),
        sender=old,
        error="ConsortiumAccountNotMember",
    )
    receipt = gov.consortium.transact("setAdmin", trader, new, sender=old)
    assert receipt.event("AdminChanged").args == {"org": trader, "previous": old, "admin": new}
    reverts(
        gov.consortium,
        "addAccount",
        trader,
        random_address(),
        sender=old,
        error="ConsortiumNotOrgAdmin",
        org=trader,
        caller=old,
    )
    gov.consortium.transact("removeAccount", trader, old, sender=new)
    assert gov.consortium.call("orgOf", old) == 0


def test_encryption_key_is_published(gov: Governed) -> None:
    key = os.urandom(32)
    receipt = gov.consortium.transact("setEncryptionKey", gov.org["BANK"], key, sender=gov.admin["BANK"])
    assert receipt.event("EncryptionKeyChanged").args["encryptionKey"] == key
    assert gov.consortium.call("organisation", gov.org["BANK"])["encryptionKey"] == key


# -- permissioning --------------------------------------------------------------------------------


def test_transaction_allowed_for_governors_and_members_only(gov: Governed) -> None:
    c = gov.consortium

    def allowed(sender: str) -> bool:
        result: bool = c.call("transactionAllowed", sender, gov.bills.address, 0, 0, 21_000, b"")
        return result

    assert allowed(gov.governors[0]) is True
    assert allowed(gov.admin["TERMINAL"]) is True
    assert allowed(random_address()) is False
    assert allowed(gov.deployer) is False  # sealed


def test_connection_allowed_for_registered_nodes(gov: Governed) -> None:
    enode = os.urandom(64).hex()
    c = gov.consortium
    assert c.call("connectionAllowed", enode, "127.0.0.1", 30303) is False
    c.transact("addNode", gov.org["CARRIER"], enode, sender=gov.admin["CARRIER"])
    assert c.call("connectionAllowed", enode, "10.0.0.7", 30303) is True
    reverts(
        c,
        "addNode",
        gov.org["BANK"],
        enode,
        sender=gov.admin["BANK"],
        error="ConsortiumNodeConflict",
        enodeHash=keccak(enode.encode()),
        org=gov.org["CARRIER"],
    )
    c.transact("removeNode", gov.org["CARRIER"], enode, sender=gov.admin["CARRIER"])
    assert c.call("connectionAllowed", enode, "10.0.0.7", 30303) is False


def test_account_changes_reach_every_attached_cache(gov: Governed) -> None:
    """The attestation registry is a cache like the bill registry: an account removed by its admin (or
    by an admin recovery) stops attesting at once."""
    customs, admin, clerk = gov.org["CUSTOMS"], gov.admin["CUSTOMS"], gov.spare[7]
    assert set(gov.consortium.call("caches")) == {gov.attestations.address, gov.bills.address}
    gov.consortium.transact("addAccount", customs, clerk, sender=admin)
    until = gov.chain.latest_timestamp() + 86_400
    data = schemas.CREDIT_LEVEL.encode(
        {"validUntil": until, "creditCode": "91310000MA1FL0000X", "level": "A"}
    )
    request = (schemas.CREDIT_LEVEL.schema_id, os.urandom(32), ZERO32, data)
    receipt = gov.attestations.transact("attest", request, sender=clerk)
    assert receipt.event("Attested").args["attester"] == customs
    gov.consortium.transact("removeAccount", customs, clerk, sender=admin)
    reverts(
        gov.attestations,
        "attest",
        request,
        sender=clerk,
        error="AttestationNotAttester",
        schemaId=schemas.CREDIT_LEVEL.schema_id,
        caller=clerk,
    )
