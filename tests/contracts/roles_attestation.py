"""Role-matrix rows for the AttestationRegistry, and the world they (and the attestation tests) run in.

A row is ``(contract, function, allowed caller kinds, expected error for every other kind, setup)``;
``setup(world)`` returns fresh valid arguments for one call. Caller kinds are the nine roles (one
organisation each), ``OUTSIDER`` (no membership), ``SUSPENDED`` (a suspended organisation holding every
role) and ``GOVERNOR`` (a consortium governor without membership).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger.chain import ChainClient, Contract
from ledger.domain import schemas

ROLE_KINDS = (
    "CARRIER",
    "TRADER",
    "BANK",
    "TERMINAL",
    "HAULIER",
    "CUSTOMS",
    "MARITIME",
    "BORDER",
    "PORT_AUTHORITY",
)
CALLER_KINDS = (*ROLE_KINDS, "OUTSIDER", "SUSPENDED", "GOVERNOR")
ALL_ROLES = (1 << len(ROLE_KINDS)) - 1
SUSPEND = 1  # IConsortium.ProposalKind.SUSPEND
REVOKE_ROLE = 4  # IConsortium.ProposalKind.REVOKE_ROLE

# Extra organisations some scenarios need besides one per role: a second customs agency (recognition),
# a forwarder and a second haulier (nomination down the chain).
EXTRA_ORGS = {"CUSTOMS2": 1 << 5, "FORWARDER": 1 << 1, "HAULIER2": 1 << 4}


@dataclass
class World:
    """Deployed contracts, organisations by kind and one member account per organisation."""

    chain: ChainClient
    consortium: Contract
    attestations: Contract
    governor: str
    org: dict[str, int] = field(default_factory=dict)
    account: dict[str, str] = field(default_factory=dict)
    schema: dict[str, bytes] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    bills: Contract | None = None
    release: Contract | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def unique(self) -> int:
        return next(self._counter)

    def caller(self, kind: str) -> str:
        return self.account[kind]

    def suspend(self, org: int) -> None:
        self.consortium.transact("propose", SUSPEND, abi_encode(["uint32"], [org]), sender=self.governor)

    def revoke_role(self, org: int, role: int) -> None:
        data = abi_encode(["uint32", "uint8"], [org, role])
        self.consortium.transact("propose", REVOKE_ROLE, data, sender=self.governor)


def build_world(chain: ChainClient, accounts: list[str], *, with_bills: bool = False) -> World:
    """Deploys the Consortium and the AttestationRegistry (and, with ``with_bills``, the bill registry and
    a ContainerRelease over both), admits one organisation per role plus the extras, suspends the
    all-roles organisation and registers the well-known schemas as the governor."""
    governor = accounts[0]
    consortium = chain.deploy("Consortium", [governor], 1, sender=governor)
    attestations = chain.deploy("AttestationRegistry", consortium.address, sender=governor)
    world = World(chain, consortium, attestations, governor)
    world.contracts["AttestationRegistry"] = attestations
    world.contracts["Consortium"] = consortium
    consortium.transact("attachCache", attestations.address, sender=governor)
    if with_bills:
        world.bills = chain.deploy("BillOfLadingRegistry", consortium.address, sender=governor)
        world.contracts["BillOfLadingRegistry"] = world.bills
        consortium.transact("attachCache", world.bills.address, sender=governor)

    orgs = [(kind, 1 << i) for i, kind in enumerate(ROLE_KINDS)]
    orgs += [*EXTRA_ORGS.items(), ("SUSPENDED", ALL_ROLES)]
    free = iter(accounts[1:])
    for kind, roles in orgs:
        admin = next(free)
        receipt = consortium.transact(
            "bootstrapAdmit",
            f"LEI-{kind}",
            f"{kind.title()} Ltd",
            roles,
            b"\x00" * 32,
            admin,
            sender=governor,
        )
        world.org[kind] = receipt.event("OrganisationAdmitted").args["org"]
        world.account[kind] = admin
    world.account["OUTSIDER"] = next(free)
    world.account["GOVERNOR"] = governor
    world.suspend(world.org["SUSPENDED"])
    for definition in schemas.WELL_KNOWN_SCHEMAS.values():
        attestations.transact("registerSchema", definition.as_record(), sender=governor)
        world.schema[definition.name] = definition.schema_id
    # From here on schemas are administered by governors and the port authority only.
    attestations.transact("sealSchemaBootstrap", sender=governor)
    if with_bills:
        assert world.bills is not None
        world.release = chain.deploy(
            "ContainerRelease",
            consortium.address,
            world.bills.address,
            attestations.address,
            world.schema["CUSTOMS_RELEASE"],
            world.schema["CUSTOMS_HOLD"],
            sender=governor,
        )
        world.contracts["ContainerRelease"] = world.release
        consortium.transact("attachCache", world.release.address, sender=governor)
    return world


def random_id() -> bytes:
    return os.urandom(32)


def release_data(declaration: str = "DEC-1") -> bytes:
    return schemas.CUSTOMS_RELEASE.encode(
        {"declarationNumber": declaration, "customsOfficeCode": "2201", "releasedAt": 1_700_000_000}
    )


def hold_data(declaration: str = "DEC-1") -> bytes:
    return schemas.CUSTOMS_HOLD.encode(
        {"declarationNumber": declaration, "reasonCode": "INSPECTION", "heldAt": 1_700_000_000}
    )


def attest(
    world: World, kind: str, schema: str, subject: bytes, data: bytes, ref: bytes = b"\x00" * 32
) -> bytes:
    """Attests as the organisation of ``kind`` and returns the new uid."""
    receipt = world.attestations.transact(
        "attest", (world.schema[schema], subject, ref, data), sender=world.caller(kind)
    )
    uid: bytes = receipt.event("Attested").args["uid"]
    return uid


# ---------------------------------------------------------------------- k-of-n reports


def oracle_keys(n: int) -> list[LocalAccount]:
    """Fresh oracle signer keys (they never send transactions), ascending by address."""
    keys = [Account.create() for _ in range(n)]
    return sorted(keys, key=lambda k: int(k.address, 16))


def sign_report(
    report: schemas.ReportMessage, keys: list[LocalAccount], chain_id: int, verifying_contract: str
) -> list[bytes]:
    """Signatures of ``keys`` over the report's EIP-712 typed data, in the order of ``keys``."""
    typed = schemas.report_typed_data(report, chain_id, verifying_contract)
    out: list[bytes] = []
    for key in keys:
        signed = Account.sign_typed_data(key.key, full_message=typed)
        out.append(bytes(signed.signature))
    return out


def new_report(world: World, schema: str = "CUSTOMS_RELEASE", **overrides: Any) -> schemas.ReportMessage:
    fields: dict[str, Any] = {
        "schema": world.schema[schema],
        "subject": random_id(),
        "source_id": random_id(),
        "sequence": 1,
        "data": release_data(),
        "deadline": world.chain.latest_timestamp() + 3600,
    }
    fields.update(overrides)
    return schemas.ReportMessage(**fields)


def register_signers(
    world: World, keys: list[LocalAccount], threshold: int, schema: str = "CUSTOMS_RELEASE"
) -> None:
    world.attestations.transact(
        "setReportSigners",
        world.schema[schema],
        [k.address for k in keys],
        threshold,
        sender=world.caller("CUSTOMS"),
    )


# ---------------------------------------------------------------------- role-matrix rows

Setup = Callable[[World], tuple[Any, ...]]


def _new_schema(world: World) -> tuple[Any, ...]:
    n = world.unique()
    record = (f"TEST_{n}", "string note", True, False, 1 << 5, 0)
    return (record,)


def _existing_schema(world: World) -> tuple[Any, ...]:
    return (world.schema["VESSEL_EVENT"], True)


def _release_request(world: World) -> tuple[Any, ...]:
    return ((world.schema["CUSTOMS_RELEASE"], random_id(), b"\x00" * 32, release_data()),)


def _own_hold(world: World) -> tuple[Any, ...]:
    return (attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data()),)


def _replace_hold(world: World) -> tuple[Any, ...]:
    subject = random_id()
    uid = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    return (uid, (world.schema["CUSTOMS_HOLD"], subject, b"\x00" * 32, hold_data("DEC-2")))


def _foreign_release(world: World) -> tuple[Any, ...]:
    return (attest(world, "CUSTOMS2", "CUSTOMS_RELEASE", random_id(), release_data()),)


def _signer_set(world: World) -> tuple[Any, ...]:
    addresses = sorted(random_id()[:20] for _ in range(2))
    return (world.schema["CUSTOMS_RELEASE"], [to_checksum_address(a) for a in addresses], 1)


def _signed_report(world: World) -> tuple[Any, ...]:
    keys = oracle_keys(2)
    register_signers(world, keys, 2)
    report = new_report(world)
    signatures = sign_report(report, keys, world.chain.chain_id, world.attestations.address)
    return (world.org["CUSTOMS"], report.as_struct(), report.data, signatures)


Refusal = Callable[[World, str, tuple[Any, ...]], tuple[str, dict[str, Any] | None]]


def _active_org(world: World, kind: str) -> int:
    """The organisation a caller kind acts for as the registries see it (0: none or suspended)."""
    return 0 if kind in ("OUTSIDER", "SUSPENDED", "GOVERNOR") else world.org[kind]


def _not_schema_admin(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "AttestationNotSchemaAdmin", {"caller": world.caller(kind)}


def _not_attester(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    schema_id = args[0][0] if isinstance(args[0], tuple) else args[0]
    return "AttestationNotAttester", {"schemaId": schema_id, "caller": world.caller(kind)}


def _not_own(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "AttestationNotOwnAttestation", {"uid": args[0], "caller": world.caller(kind)}


def _cannot_recognise(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    return "AttestationCannotRecognise", {"uid": args[0], "org": _active_org(world, kind)}


def _nobody_refused(world: World, kind: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any] | None]:
    raise AssertionError(f"submitReport refuses no caller kind, yet {kind} was refused")


ROWS: list[tuple[str, str, frozenset[str], str, Setup, Refusal]] = [
    (
        "AttestationRegistry",
        "registerSchema",
        frozenset({"PORT_AUTHORITY", "GOVERNOR"}),
        "AttestationNotSchemaAdmin",
        _new_schema,
        _not_schema_admin,
    ),
    (
        "AttestationRegistry",
        "setSchemaActive",
        frozenset({"PORT_AUTHORITY", "GOVERNOR"}),
        "AttestationNotSchemaAdmin",
        _existing_schema,
        _not_schema_admin,
    ),
    (
        "AttestationRegistry",
        "attest",
        frozenset({"CUSTOMS"}),
        "AttestationNotAttester",
        _release_request,
        _not_attester,
    ),
    (
        "AttestationRegistry",
        "revoke",
        frozenset({"CUSTOMS"}),
        "AttestationNotOwnAttestation",
        _own_hold,
        _not_own,
    ),
    (
        "AttestationRegistry",
        "replace",
        frozenset({"CUSTOMS"}),
        "AttestationNotOwnAttestation",
        _replace_hold,
        _not_own,
    ),
    (
        "AttestationRegistry",
        "recognise",
        frozenset({"CUSTOMS"}),
        "AttestationCannotRecognise",
        _foreign_release,
        _cannot_recognise,
    ),
    (
        "AttestationRegistry",
        "setReportSigners",
        frozenset({"CUSTOMS"}),
        "AttestationNotAttester",
        _signer_set,
        _not_attester,
    ),
    # The world's registry is sealed: nobody, the deployer included, holds the bootstrap right any more.
    (
        "AttestationRegistry",
        "sealSchemaBootstrap",
        frozenset(),
        "AttestationNotSchemaAdmin",
        lambda world: (),
        _not_schema_admin,
    ),
    # Anyone may relay a k-of-n report: no caller kind is refused.
    ("AttestationRegistry", "submitReport", frozenset(CALLER_KINDS), "", _signed_report, _nobody_refused),
]
