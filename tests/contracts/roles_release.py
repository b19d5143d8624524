"""Role-matrix rows for ContainerRelease, and the release world (bills, attestations, release) they and
``test_release.py`` run in. Row shape and caller kinds as in ``roles_attestation``."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.chain import ChainClient
from ledger.domain import ids, schemas
from tests.contracts.roles_attestation import (
    Refusal,
    Setup,
    World,
    attest,
    build_world,
    release_data,
)
from tests.contracts.roles_attestation import admit_org as _admit_org

NEGOTIABLE, STRAIGHT, SWB = 0, 1, 2
ZERO = b"\x00" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
# Valid ISO 6346 numbers (checked by ledger.domain.values); the last has remainder 10, check digit 0.
CONTAINERS = ("MSKU1234565", "CSQU3054383", "TGHU9876542", "MAEU1000050")


def build_release_world(chain: ChainClient, accounts: list[str]) -> World:
    """The attestation world plus the bill registry and a ContainerRelease wired to the well-known
    customs schemas (every cache attached before any membership change)."""
    world = build_world(chain, accounts, with_bills=True)
    assert world.bills is not None and world.release is not None
    return world


def issue(
    world: World,
    kind: int = NEGOTIABLE,
    to: str = "TRADER",
    consignee: str | None = None,
    containers: tuple[str, ...] = CONTAINERS,
) -> int:
    """Issues a title from the carrier to ``to`` listing ``containers``; returns the bill id."""
    assert world.bills is not None
    ref = f"MAEU{world.unique():09d}{os.urandom(2).hex()}"
    request = (
        ref,
        kind,
        world.org[to],
        world.org[consignee] if consignee else 0,
        hashlib.sha256(ref.encode()).digest(),
        ids.container_root(containers),
        CID,
    )
    receipt = world.bills.transact("issue", request, ZERO, sender=world.caller("CARRIER"))
    return int(receipt.event("BillIssued").args["billId"])


def accomplished_bill(world: World, surrenderer: str = "TRADER") -> int:
    """A negotiable B/L issued to ``surrenderer``, surrendered for delivery and accepted (ACCOMPLISHED)."""
    assert world.bills is not None
    bill_id = issue(world, NEGOTIABLE, to=surrenderer)
    world.bills.transact("surrenderForDelivery", bill_id, ZERO, sender=world.caller(surrenderer))
    world.bills.transact("acceptSurrender", bill_id, ZERO, sender=world.caller("CARRIER"))
    return bill_id


def window(
    world: World, valid_from: int | None = None, valid_until: int | None = None, depot: int = 0
) -> tuple[Any, ...]:
    """``ReleaseTerms`` for the world's terminal: open from a minute ago for a day unless told otherwise."""
    now = world.chain.latest_timestamp()
    return (
        world.org["TERMINAL"],
        depot,
        now - 60 if valid_from is None else valid_from,
        now + 86_400 if valid_until is None else valid_until,
    )


def grant(
    world: World,
    bill_id: int,
    containers: tuple[str, ...] = CONTAINERS[:1],
    valid_from: int | None = None,
    valid_until: int | None = None,
    *,
    listed: tuple[str, ...] = CONTAINERS,
    depot: int = 0,
) -> list[bytes]:
    """Grants release rights for ``containers`` (each proven against the bill's ``listed`` numbers)."""
    assert world.release is not None
    proofs = [ids.container_proof(listed, c) for c in containers]
    receipt = world.release.transact(
        "grant",
        bill_id,
        list(containers),
        proofs,
        window(world, valid_from, valid_until, depot),
        sender=world.caller("CARRIER"),
    )
    return [e.args["rightId"] for e in world.release.events(receipt) if e.name == "ReleaseGranted"]


def customs_release_on_bill(world: World, bill_id: int, kind: str = "CUSTOMS") -> bytes:
    """A customs release about the whole bill (a k-of-n report of the agency's signer set)."""
    return attest(world, kind, "CUSTOMS_RELEASE", ids.bill_subject(bill_id), release_data())


def customs_release_on_container(world: World, bill_id: int, container: str, kind: str = "CUSTOMS") -> bytes:
    """A customs release about one container of this bill (subject BILL_CONTAINER)."""
    return attest(
        world, kind, "CUSTOMS_RELEASE", ids.bill_container_subject(bill_id, container), release_data()
    )


def eir(laden: bool = True, damage: tuple[str, ...] = ()) -> dict[str, Any]:
    """EIR data as the terminal's gate system reports it."""
    return {
        "laden": laden,
        "sealsHash": hashlib.sha3_256(b"SEAL-ML-123456").digest(),
        "damageCodes": list(damage),
        "truckPlateHash": hashlib.sha3_256(b"\xe6\xb2\xaaA12345").digest(),
        "eventTime": 1_764_000_000,
        "eirChecksum": hashlib.sha256(b"EIR document").digest(),
    }


def ready_right(world: World, holder_kind: str = "TRADER") -> tuple[int, str, bytes]:
    """A granted right, customs-released, ready to gate out: (bill id, container, right id)."""
    bill_id = accomplished_bill(world, holder_kind)
    (right_id,) = grant(world, bill_id)
    customs_release_on_bill(world, bill_id)
    return bill_id, CONTAINERS[0], right_id


# ---------------------------------------------------------------------- role-matrix rows


def _grant_args(world: World) -> tuple[Any, ...]:
    bill_id = accomplished_bill(world)
    return (bill_id, [CONTAINERS[0]], [ids.container_proof(CONTAINERS, CONTAINERS[0])], window(world))


def _granted_right(world: World) -> tuple[Any, ...]:
    bill_id = accomplished_bill(world)
    return (grant(world, bill_id)[0],)


def _nomination(world: World) -> tuple[Any, ...]:
    return (*_granted_right(world), world.org["HAULIER"])


def _code(world: World) -> tuple[Any, ...]:
    (right,) = _granted_right(world)
    return (right, ids.release_code_hash(right, os.urandom(16)))


def _gate_out(world: World) -> tuple[Any, ...]:
    bill_id, container, _ = ready_right(world)
    return (bill_id, container, world.org["TRADER"], ZERO, eir())


def _gate_in(world: World) -> tuple[Any, ...]:
    assert world.release is not None
    bill_id, container, _ = ready_right(world)
    world.release.transact(
        "gateOut", bill_id, container, world.org["TRADER"], ZERO, eir(), sender=world.caller("TERMINAL")
    )
    return (bill_id, container, eir(laden=False))


def _right_of(bill_id: int, container: str) -> bytes:
    return keccak(abi_encode(["uint256", "bytes32"], [bill_id, schemas.container_subject(container)]))


def _not_carrier(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "ReleaseNotCarrier", {"billId": args[0], "caller": world.caller(kind)}


def _not_holder(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "ReleaseNotHolder", {"rightId": args[0], "caller": world.caller(kind)}


def _not_right_carrier(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "ReleaseNotRightCarrier", {"rightId": args[0], "caller": world.caller(kind)}


def _not_terminal(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "ReleaseNotTerminal", {"rightId": _right_of(args[0], args[1]), "caller": world.caller(kind)}


# Grants: only the bill's carrier (the CARRIER organisation issued it). Nominate and release codes: the
# holder, here the TRADER that surrendered the B/L. Gate-out: the right's terminal; gate-in: the right's
# terminal or the depot it names (this world names none).
ROWS: list[tuple[str, str, frozenset[str], str, Setup, Refusal]] = [
    ("ContainerRelease", "grant", frozenset({"CARRIER"}), "ReleaseNotCarrier", _grant_args, _not_carrier),
    ("ContainerRelease", "nominate", frozenset({"TRADER"}), "ReleaseNotHolder", _nomination, _not_holder),
    ("ContainerRelease", "setReleaseCode", frozenset({"TRADER"}), "ReleaseNotHolder", _code, _not_holder),
    (
        "ContainerRelease",
        "revoke",
        frozenset({"CARRIER"}),
        "ReleaseNotRightCarrier",
        _granted_right,
        _not_right_carrier,
    ),
    ("ContainerRelease", "gateOut", frozenset({"TERMINAL"}), "ReleaseNotTerminal", _gate_out, _not_terminal),
    ("ContainerRelease", "gateIn", frozenset({"TERMINAL"}), "ReleaseNotTerminal", _gate_in, _not_terminal),
]


# ---------------------------------------------------------------------- more organisations, amendments

TERMINAL_ROLE = 1 << 3  # bit uint8(Role.TERMINAL)
AMEND_COD = 2  # SurrenderReason.COD (change of destination)


def admit_org(world: World, kind: str, roles: int = TERMINAL_ROLE) -> int:
    """:func:`tests.contracts.roles_attestation.admit_org`, a terminal unless told otherwise."""
    return _admit_org(world, kind, roles)


def accomplish(world: World, bill_id: int, surrenderer: str = "TRADER") -> None:
    """The possessor surrenders an issued B/L for delivery and the carrier accepts (ACCOMPLISHED)."""
    assert world.bills is not None
    world.bills.transact("surrenderForDelivery", bill_id, ZERO, sender=world.caller(surrenderer))
    world.bills.transact("acceptSurrender", bill_id, ZERO, sender=world.caller("CARRIER"))


def amend(world: World, bill_id: int, containers: tuple[str, ...], surrenderer: str = "TRADER") -> Any:
    """The possessor surrenders an issued B/L for amendment (COD), the carrier accepts and reissues the
    amended document listing ``containers`` (version + 1, issue time now, possession back to the
    surrenderer, ISSUED); returns the reissue receipt."""
    assert world.bills is not None
    bills = world.bills
    bills.transact("surrenderForAmendment", bill_id, AMEND_COD, ZERO, sender=world.caller(surrenderer))
    bills.transact("acceptSurrender", bill_id, ZERO, sender=world.caller("CARRIER"))
    checksum = hashlib.sha256(f"amended {bill_id} {containers}".encode()).digest()
    return bills.transact(
        "reissue",
        bill_id,
        checksum,
        ids.container_root(containers),
        CID,
        ZERO,
        sender=world.caller("CARRIER"),
    )
