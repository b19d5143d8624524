"""Role-matrix rows for the Consortium (see roles.py for the table and the row shape).

Organisation self-management rows act on the TRADER organisation, so only its admin account may call
them; governance rows need a governor; the bootstrap functions are refused to everybody once the
deployer has sealed the bootstrap (each of those setups seals it first).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address

from ledger.chain import ChainClient, Contract, Receipt
from ledger.domain import ids, schemas
from tests.contracts.roles_attestation import World

Args = tuple[Any, ...]
Refusal = Callable[[World, str, Args], tuple[str, dict[str, Any]]]

# IConsortium.ProposalKind.
(
    ADMIT,
    SUSPEND,
    REINSTATE,
    GRANT_ROLE,
    REVOKE_ROLE,
    CHANGE_THRESHOLD,
    ADD_GOVERNOR,
    REMOVE_GOVERNOR,
    REPLACE_ADMIN,
    REGISTER_SCHEMA,
    SET_SCHEMA_ACTIVE,
    SET_REPORT_SIGNERS,
) = range(12)
PROPOSAL_KINDS = 12
REPLACE_ADMIN_TYPES = ["uint32", "address", "address[]"]
SCHEMA_RECORD_TYPE = "(string,string,bool,bool,bool,bool,uint16,uint8)"
ENODE = "a1" * 64
ZERO32 = b"\x00" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def fresh_address() -> str:
    return to_checksum_address(os.urandom(20))


def spare_account(world: World, index: int = 55) -> str:
    """An unlocked development account that no world organisation uses."""
    return to_checksum_address(world.chain.rpc("eth_accounts")[index])


def _not_governor(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "ConsortiumNotGovernor", {"caller": world.caller(kind)}


def _not_trader_admin(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "ConsortiumNotOrgAdmin", {"org": world.org["TRADER"], "caller": world.caller(kind)}


def _not_bootstrapper(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "ConsortiumNotBootstrapper", {"caller": world.caller(kind)}


def _suspend_terminal(world: World) -> Args:
    return (SUSPEND, abi_encode(["uint32"], [world.org["TERMINAL"]]))


def _pending_proposal(world: World) -> Args:
    """A second governor, threshold 2, and a proposal of that second governor awaiting approval."""
    second = spare_account(world)
    gov = world.governor
    world.consortium.transact("propose", ADD_GOVERNOR, abi_encode(["address"], [second]), sender=gov)
    world.consortium.transact("propose", CHANGE_THRESHOLD, abi_encode(["uint256"], [2]), sender=gov)
    receipt = world.consortium.transact("propose", *_suspend_terminal(world), sender=second)
    return (int(receipt.event("ProposalCreated").args["proposalId"]),)


def _new_account(world: World) -> Args:
    return (world.org["TRADER"], fresh_address())


def _second_account(world: World) -> Args:
    account = fresh_address()
    world.consortium.transact("addAccount", world.org["TRADER"], account, sender=world.caller("TRADER"))
    return (world.org["TRADER"], account)


def _key(world: World) -> Args:
    return (world.org["TRADER"], os.urandom(32))


def _node(world: World) -> Args:
    return (world.org["TRADER"], os.urandom(64).hex())


def _registered_node(world: World) -> Args:
    args = _node(world)
    world.consortium.transact("addNode", *args, sender=world.caller("TRADER"))
    return args


def _sealed(build: Callable[[World], Args]) -> Callable[[World], Args]:
    def setup(world: World) -> Args:
        world.consortium.transact("sealBootstrap", sender=world.governor)
        return build(world)

    return setup


C = "Consortium"
GOVERNOR = frozenset({"GOVERNOR"})
TRADER = frozenset({"TRADER"})
NOBODY: frozenset[str] = frozenset()

# (contract, function, allowed, error, setup, refusal)
ROWS: list[tuple[str, str, frozenset[str], str, Callable[[World], Args], Refusal]] = [
    (C, "propose", GOVERNOR, "ConsortiumNotGovernor", _suspend_terminal, _not_governor),
    (C, "approve", GOVERNOR, "ConsortiumNotGovernor", _pending_proposal, _not_governor),
    (C, "addAccount", TRADER, "ConsortiumNotOrgAdmin", _new_account, _not_trader_admin),
    (C, "removeAccount", TRADER, "ConsortiumNotOrgAdmin", _second_account, _not_trader_admin),
    (C, "setAdmin", TRADER, "ConsortiumNotOrgAdmin", _second_account, _not_trader_admin),
    (C, "setEncryptionKey", TRADER, "ConsortiumNotOrgAdmin", _key, _not_trader_admin),
    (C, "addNode", TRADER, "ConsortiumNotOrgAdmin", _node, _not_trader_admin),
    (C, "removeNode", TRADER, "ConsortiumNotOrgAdmin", _registered_node, _not_trader_admin),
    (
        C,
        "attachCache",
        NOBODY,
        "ConsortiumNotBootstrapper",
        _sealed(lambda w: (fresh_address(),)),
        _not_bootstrapper,
    ),
    (
        C,
        "bootstrapAdmit",
        NOBODY,
        "ConsortiumNotBootstrapper",
        _sealed(lambda w: (f"LEI-NEW-{w.unique()}", "New Ltd", 2, b"\x00" * 32, fresh_address())),
        _not_bootstrapper,
    ),
    (C, "sealBootstrap", NOBODY, "ConsortiumNotBootstrapper", _sealed(lambda w: ()), _not_bootstrapper),
]


# -- a governed consortium of its own (governance and consortium tests) -----------------------------

ROLE_BITS = {
    "CARRIER": 1 << 0,
    "TRADER": 1 << 1,
    "BANK": 1 << 2,
    "TERMINAL": 1 << 3,
    "PORT_AUTHORITY": 1 << 8,
    "CUSTOMS": 1 << 5,
}


@dataclass
class Governed:
    """Consortium with three governors and threshold two, an AttestationRegistry (the well-known schemas
    registered, its schema bootstrap sealed) and a bill registry attached, one organisation per entry of
    ROLE_BITS (admin = its only account), bootstrap sealed."""

    chain: ChainClient
    consortium: Contract
    attestations: Contract
    bills: Contract
    deployer: str
    governors: list[str]
    org: dict[str, int] = field(default_factory=dict)
    admin: dict[str, str] = field(default_factory=dict)
    spare: list[str] = field(default_factory=list)

    def propose(self, kind: int, types: list[str], values: list[Any], by: int = 0) -> int:
        receipt = self.consortium.transact(
            "propose", kind, abi_encode(types, values), sender=self.governors[by]
        )
        return int(receipt.event("ProposalCreated").args["proposalId"])

    def approve(self, proposal_id: int, by: int = 1) -> Receipt:
        return self.consortium.transact("approve", proposal_id, sender=self.governors[by])

    def decide(self, kind: int, types: list[str], values: list[Any]) -> Receipt:
        """Proposes and approves (threshold two)."""
        return self.approve(self.propose(kind, types, values))


def deploy_governed(chain: ChainClient, accounts: list[str]) -> Governed:
    deployer, governors = accounts[0], accounts[1:4]
    consortium = chain.deploy("Consortium", governors, 2, sender=deployer)
    attestations = chain.deploy("AttestationRegistry", consortium.address, sender=deployer)
    for definition in schemas.WELL_KNOWN_SCHEMAS.values():
        attestations.transact("registerSchema", definition.as_record(), sender=deployer)
    # From here on schemas and signer sets change by governance proposal only.
    attestations.transact("sealSchemaBootstrap", sender=deployer)
    bills = chain.deploy(
        "BillOfLadingRegistry",
        consortium.address,
        attestations.address,
        schemas.PLEDGE_DEFAULT.schema_id,
        sender=deployer,
    )
    for cache in (attestations, bills):
        consortium.transact("attachCache", cache.address, sender=deployer)
    world = Governed(
        chain, consortium, attestations, bills, deployer, list(governors), spare=list(accounts[30:50])
    )
    for i, (kind, roles) in enumerate(ROLE_BITS.items()):
        admin = accounts[4 + i]
        receipt = consortium.transact(
            "bootstrapAdmit",
            f"LEI-{kind}",
            f"{kind.title()} Ltd",
            roles,
            b"\x00" * 32,
            admin,
            sender=deployer,
        )
        world.org[kind] = int(receipt.event("OrganisationAdmitted").args["org"])
        world.admin[kind] = admin
    consortium.transact("sealBootstrap", sender=deployer)
    return world


# -- titles in the governed consortium ------------------------------------------------------------

GOV_CONTAINERS = ("MSKU1234565",)


def issue_request(ref: str, issue_to: int) -> tuple[Any, ...]:
    """The ``IssueRequest`` of a negotiable title ``ref`` to the organisation ``issue_to``."""
    return (
        ref,
        0,
        issue_to,
        0,
        hashlib.sha256(ref.encode()).digest(),
        ids.container_root(GOV_CONTAINERS),
        CID,
    )


def issue(gov: Governed, to: str = "TRADER", ref: str = "GOV-1", *, org: int | None = None) -> int:
    """Issues a negotiable title from the CARRIER organisation to ``to`` (or to the organisation id
    ``org``); returns its id."""
    request = issue_request(ref, gov.org[to] if org is None else org)
    receipt = gov.bills.transact("issue", request, ZERO32, sender=gov.admin["CARRIER"])
    return int(receipt.event("BillIssued").args["billId"])
