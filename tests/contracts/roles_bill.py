"""Role-matrix rows for the BillOfLadingRegistry (see roles.py for the table and the row shape).

Each setup issues what the call needs (as the CARRIER organisation of the shared world) and returns
the call's arguments; ``refusal`` names the error, with its arguments, that every caller kind outside
``allowed`` must get.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from ledger.chain import Contract, ContractRevert
from ledger.domain import ids
from ledger.domain.pledges import PledgeTerms
from tests.contracts.model import Kind, Reason
from tests.contracts.roles_attestation import World, admit_org

ZERO32 = b"\x00" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
# Valid ISO 6346 numbers: the containers every test title carries unless told otherwise.
CONTAINERS = ("MSKU1234565", "CSQU3054383", "TGHU9876542", "MAEU1000050")
DAY = 86_400
NOT_MEMBERS = ("OUTSIDER", "GOVERNOR")

Args = tuple[Any, ...]
Refusal = Callable[[World, str, Args], tuple[str, dict[str, Any]]]


def issue_request(
    world: World,
    to: str = "TRADER",
    kind: Kind = Kind.NEGOTIABLE,
    consignee: str | None = None,
    containers: tuple[str, ...] = CONTAINERS,
    ref: str | None = None,
) -> tuple[Any, ...]:
    """The ``IssueRequest`` tuple of a fresh title from the CARRIER organisation to ``to``."""
    ref = ref or f"PLTEST{world.unique():08d}"
    return (
        ref,
        int(kind),
        world.org[to],
        world.org[consignee] if consignee else 0,
        hashlib.sha256(ref.encode()).digest(),
        ids.container_root(containers),
        CID,
    )


def issue(
    world: World,
    to: str = "TRADER",
    kind: Kind = Kind.NEGOTIABLE,
    consignee: str | None = None,
    containers: tuple[str, ...] = CONTAINERS,
) -> int:
    """Issues a title from the CARRIER organisation to ``to``; returns its id."""
    assert world.bills is not None
    request = issue_request(world, to, kind, consignee, containers)
    receipt = world.bills.transact("issue", request, ZERO32, sender=world.caller("CARRIER"))
    return int(receipt.event("BillIssued").args["billId"])


def terms(
    world: World,
    bank: str = "BANK",
    amount: int = 10_000_00,
    accept_by: int | None = None,
    maturity: int | None = None,
    notice: int = 7 * DAY,
    registration: bytes = hashlib.sha256(b"MPR-1").digest(),
) -> PledgeTerms:
    """Pledge terms to ``bank``: acceptance within a day, maturity in 90 days unless told otherwise."""
    now = world.chain.latest_timestamp()
    return PledgeTerms(
        bank=world.org[bank],
        amount=amount,
        currency="USD",
        registration_ref=registration,
        accept_by=now + DAY if accept_by is None else accept_by,
        maturity=now + 90 * DAY if maturity is None else maturity,
        notice_period=notice,
    )


def request_pledge(world: World, kind: str, bill_id: int, pledge: PledgeTerms) -> bytes:
    """Requests ``pledge`` as ``kind``; returns the terms hash the bank must accept."""
    assert world.bills is not None
    world.bills.transact("requestPledge", bill_id, pledge.as_struct(), ZERO32, sender=world.caller(kind))
    return bytes(world.bills.call("pledgeOf", bill_id)["termsHash"])


def pledge(world: World, bill_id: int, pledgor: str = "TRADER", bank: str = "BANK", **kw: Any) -> PledgeTerms:
    """Requests and accepts a pledge of ``bill_id`` by ``pledgor`` to ``bank``; returns its terms."""
    t = terms(world, bank, **kw)
    digest = request_pledge(world, pledgor, bill_id, t)
    act(world, bank, "acceptPledge", bill_id, digest, ZERO32)
    return t


def act(world: World, kind: str, fn: str, *args: Any) -> None:
    assert world.bills is not None
    world.bills.transact(fn, *args, sender=world.caller(kind))


def bills(world: World) -> Contract:
    """The world's bill registry (deployed by ``build_world(..., with_bills=True)``)."""
    assert world.bills is not None
    return world.bills


def member_gate(discharge: bool, specific: Refusal) -> Refusal:
    """Outsiders and governors are not members; a suspended organisation is refused unless the action is
    a discharge; every other kind gets ``specific``."""

    def refusal(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
        if kind in NOT_MEMBERS:
            return "BillCallerNotMember", {"account": world.caller(kind)}
        if kind == "SUSPENDED" and not discharge:
            return "BillCallerSuspended", {"org": world.org[kind]}
        return specific(world, kind, args)

    return refusal


def _by_org(error: str) -> Refusal:
    return lambda world, kind, args: (error, {"billId": args[0], "org": world.org[kind]})


def _lacks_carrier(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "BillCallerLacksRole", {"org": world.org[kind], "role": 0}


def _transfer_via_registry(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "BillTransferViaRegistryOnly", {}


def _cache_unauthorized(world: World, kind: str, args: Args) -> tuple[str, dict[str, Any]]:
    return "MemberCacheUnauthorized", {"caller": world.caller(kind)}


# -- setups ------------------------------------------------------------------------------------------


def _issue_args(world: World) -> Args:
    return (issue_request(world, ref=f"PLROW{world.unique():08d}"), ZERO32)


def _held_to_bank(world: World) -> Args:
    return (issue(world), world.org["BANK"], ZERO32)


def _held(world: World) -> Args:
    return (issue(world), ZERO32)


def _held_for_amendment(world: World) -> Args:
    return (issue(world), int(Reason.SWTP), ZERO32)


def _delivered_to_bank(world: World) -> Args:
    bill = issue(world)
    act(world, "TRADER", "transfer", bill, world.org["BANK"], ZERO32)
    return (bill, ZERO32)


def _surrendered(world: World) -> Args:
    bill = issue(world)
    act(world, "TRADER", "surrenderForDelivery", bill, ZERO32)
    return (bill, ZERO32)


def _amendable(world: World) -> int:
    bill = issue(world)
    act(world, "TRADER", "surrenderForAmendment", bill, int(Reason.SWTP), ZERO32)
    act(world, "CARRIER", "acceptSurrender", bill, ZERO32)
    return bill


def _reissue_args(world: World) -> Args:
    return (
        _amendable(world),
        hashlib.sha256(b"amended").digest(),
        ids.container_root(CONTAINERS),
        CID,
        ZERO32,
    )


def _amendable_args(world: World) -> Args:
    return (_amendable(world), ZERO32)


def _pledge_args(world: World) -> Args:
    return (issue(world), terms(world).as_struct(), ZERO32)


def _pledge_requested(world: World) -> Args:
    bill = issue(world)
    digest = request_pledge(world, "TRADER", bill, terms(world))
    return (bill, digest, ZERO32)


def _pledge_active(world: World) -> Args:
    bill = issue(world)
    pledge(world, bill)
    return (bill, ZERO32)


def _pledge_matured(world: World) -> Args:
    bill = issue(world)
    now = world.chain.latest_timestamp()
    pledge(world, bill, accept_by=now + 100, maturity=now + 200)
    world.chain.rpc("evm_increaseTime", [300])
    world.chain.rpc("evm_mine", [])
    return (bill, ZERO32, ZERO32)


def _erc721_transfer(world: World) -> Args:
    bill = issue(world)
    from tests.contracts.model import org_address

    return (org_address(world.org["TRADER"]), org_address(world.org["BANK"]), bill)


def _erc721_safe_transfer_data(world: World) -> Args:
    return (*_erc721_transfer(world), b"")


def _erc721_approve(world: World) -> Args:
    return (world.caller("BANK"), issue(world))


def _sync_member(world: World) -> Args:
    return (world.caller("OUTSIDER"), world.org["BANK"], 1 << 2, False)


def _sync_org(world: World) -> Args:
    return (world.org["BANK"], 0, True)


B = "BillOfLadingRegistry"
TRADER = frozenset({"TRADER"})
CARRIER = frozenset({"CARRIER"})
BANK = frozenset({"BANK"})
NOBODY: frozenset[str] = frozenset()

# (contract, function, allowed, error, setup, refusal)
ROWS: list[tuple[str, str, frozenset[str], str, Callable[[World], Args], Refusal]] = [
    (B, "issue", CARRIER, "BillCallerLacksRole", _issue_args, member_gate(False, _lacks_carrier)),
    (
        B,
        "transfer",
        TRADER,
        "BillNotPossessor",
        _held_to_bank,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (
        B,
        "endorse",
        TRADER,
        "BillNotPossessor",
        _held_to_bank,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (
        B,
        "endorseToOrder",
        TRADER,
        "BillNotPossessor",
        _held_to_bank,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (B, "blankEndorse", TRADER, "BillNotPossessor", _held, member_gate(False, _by_org("BillNotPossessor"))),
    (B, "sign", TRADER, "BillNotPossessor", _held, member_gate(False, _by_org("BillNotPossessor"))),
    (
        B,
        "reject",
        BANK,
        "BillNotPossessor",
        _delivered_to_bank,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (
        B,
        "surrenderForDelivery",
        TRADER,
        "BillNotPossessor",
        _held,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (
        B,
        "surrenderForAmendment",
        TRADER,
        "BillNotPossessor",
        _held_for_amendment,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    # Answering a surrender is a discharge: a suspended organisation gets past the suspension check.
    (
        B,
        "acceptSurrender",
        CARRIER,
        "BillNotCarrier",
        _surrendered,
        member_gate(True, _by_org("BillNotCarrier")),
    ),
    (
        B,
        "rejectSurrender",
        CARRIER,
        "BillNotCarrier",
        _surrendered,
        member_gate(True, _by_org("BillNotCarrier")),
    ),
    (B, "reissue", CARRIER, "BillNotCarrier", _reissue_args, member_gate(False, _by_org("BillNotCarrier"))),
    (
        B,
        "switchToPaper",
        CARRIER,
        "BillNotCarrier",
        _amendable_args,
        member_gate(False, _by_org("BillNotCarrier")),
    ),
    (
        B,
        "voidTitle",
        CARRIER,
        "BillNotCarrier",
        _amendable_args,
        member_gate(False, _by_org("BillNotCarrier")),
    ),
    (
        B,
        "requestPledge",
        TRADER,
        "BillNotPossessor",
        _pledge_args,
        member_gate(False, _by_org("BillNotPossessor")),
    ),
    (
        B,
        "acceptPledge",
        BANK,
        "BillNotPledgee",
        _pledge_requested,
        member_gate(False, _by_org("BillNotPledgee")),
    ),
    # Releasing a pledge is a discharge.
    (
        B,
        "releasePledge",
        BANK,
        "BillNotPledgee",
        _pledge_active,
        member_gate(True, _by_org("BillNotPledgee")),
    ),
    (
        B,
        "enforcePledge",
        BANK,
        "BillNotPledgee",
        _pledge_matured,
        member_gate(False, _by_org("BillNotPledgee")),
    ),
    # ERC-721 movement is never allowed, for anybody (the possessor's organisation included).
    (B, "transferFrom", NOBODY, "BillTransferViaRegistryOnly", _erc721_transfer, _transfer_via_registry),
    (B, "safeTransferFrom", NOBODY, "BillTransferViaRegistryOnly", _erc721_transfer, _transfer_via_registry),
    (
        B,
        "safeTransferFrom",
        NOBODY,
        "BillTransferViaRegistryOnly",
        _erc721_safe_transfer_data,
        _transfer_via_registry,
    ),
    (B, "approve", NOBODY, "BillTransferViaRegistryOnly", _erc721_approve, _transfer_via_registry),
    (
        B,
        "setApprovalForAll",
        NOBODY,
        "BillTransferViaRegistryOnly",
        lambda w: (w.caller("BANK"), True),
        _transfer_via_registry,
    ),
    # Only the Consortium contract writes the member cache.
    (B, "syncMember", NOBODY, "MemberCacheUnauthorized", _sync_member, _cache_unauthorized),
    (B, "syncOrganisation", NOBODY, "MemberCacheUnauthorized", _sync_org, _cache_unauthorized),
]


def reverts(contract: Contract, fn: str, *args: Any, sender: str, error: str, **arguments: Any) -> None:
    """Asserts that ``fn(args)`` from ``sender`` reverts with ``error`` and, if given, these ``arguments``."""
    with pytest.raises(ContractRevert) as refused:
        contract.transact(fn, *args, sender=sender)
    assert refused.value.name == error, str(refused.value)
    if arguments:
        assert refused.value.args == arguments, str(refused.value)


def refused(world: World, kind: str, fn: str, *args: Any, error: str, **arguments: Any) -> None:
    """Asserts that ``kind`` calling the bill registry's ``fn(args)`` reverts with ``error`` (and these
    ``arguments``, if given)."""
    reverts(bills(world), fn, *args, sender=world.caller(kind), error=error, **arguments)


def bill_state(world: World, bill_id: int) -> dict[str, Any]:
    assert world.bills is not None
    state: dict[str, Any] = world.bills.call("bill", bill_id)
    return state


# -- pledge scenarios: a second bank, defaults, block time ----------------------------------------------

BANK_ROLE = 2  # Role.BANK


def second_bank(world: World, kind: str = "BANK2") -> str:
    """Another BANK organisation, admitted by proposal (see ``roles_attestation.admit_org``); returns
    ``kind``."""
    admit_org(world, kind, 1 << BANK_ROLE)
    return kind


def pledge_default(
    world: World, bill_id: int, nonce: int, bank: str = "BANK", reason: str = "PAYMENT"
) -> bytes:
    """A ``PLEDGE_DEFAULT`` attestation by ``bank`` about pledge ``nonce`` of ``bill_id``; returns its uid."""
    from ledger.domain import schemas
    from tests.contracts.roles_attestation import attest

    data = schemas.PLEDGE_DEFAULT.encode(
        {
            "reasonCode": reason,
            "noticeGivenAt": world.chain.latest_timestamp(),
            "noticeHash": hashlib.sha256(f"notice {bill_id:#x} {nonce}".encode()).digest(),
        }
    )
    return attest(world, bank, "PLEDGE_DEFAULT", ids.pledge_subject(bill_id, nonce), data)


def at(world: World, timestamp: int) -> None:
    """The next block (the next transaction sent) gets exactly this block time."""
    world.chain.rpc("evm_setNextBlockTimestamp", [timestamp])
