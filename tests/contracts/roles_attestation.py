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
    report_keys: dict[tuple[str, str], list[LocalAccount]] = field(default_factory=dict)
    report_k: dict[tuple[str, str], int] = field(default_factory=dict)
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


ADMIT = 0  # IConsortium.ProposalKind.ADMIT
REGISTER_SCHEMA = 9  # IConsortium.ProposalKind.REGISTER_SCHEMA
SET_SCHEMA_ACTIVE = 10  # IConsortium.ProposalKind.SET_SCHEMA_ACTIVE
SET_REPORT_SIGNERS = 11  # IConsortium.ProposalKind.SET_REPORT_SIGNERS

# The agencies whose oracle signer sets build_world installs for the reports-only customs schemas.
REPORTING_AGENCIES = ("CUSTOMS", "CUSTOMS2")
REPORT_THRESHOLD = 2
REPORT_SIGNERS = 3


def build_world(chain: ChainClient, accounts: list[str], *, with_bills: bool = False) -> World:
    """Deploys the Consortium and the AttestationRegistry (and, with ``with_bills``, the bill registry and
    a ContainerRelease over both), admits one organisation per role plus the extras, registers the
    well-known schemas and a 2-of-3 oracle signer set for each customs agency on every reports-only
    schema as the bootstrapper, seals the bootstrap and suspends the all-roles organisation. From then on
    schemas and signer sets change only by consortium proposal (``governor`` is a 1-of-1 governor)."""
    governor = accounts[0]
    consortium = chain.deploy("Consortium", [governor], 1, sender=governor)
    attestations = chain.deploy("AttestationRegistry", consortium.address, sender=governor)
    world = World(chain, consortium, attestations, governor)
    world.contracts["AttestationRegistry"] = attestations
    world.contracts["Consortium"] = consortium
    consortium.transact("attachCache", attestations.address, sender=governor)

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
    for definition in schemas.WELL_KNOWN_SCHEMAS.values():
        attestations.transact("registerSchema", definition.as_record(), sender=governor)
        world.schema[definition.name] = definition.schema_id
        if definition.reports_only:
            for agency in REPORTING_AGENCIES:
                keys = oracle_keys(REPORT_SIGNERS)
                attestations.transact(
                    "setReportSigners",
                    world.org[agency],
                    definition.schema_id,
                    [k.address for k in keys],
                    REPORT_THRESHOLD,
                    sender=governor,
                )
                world.report_keys[(agency, definition.name)] = keys
                world.report_k[(agency, definition.name)] = REPORT_THRESHOLD
    if with_bills:
        world.bills = chain.deploy(
            "BillOfLadingRegistry",
            consortium.address,
            attestations.address,
            world.schema["PLEDGE_DEFAULT"],
            sender=governor,
        )
        world.contracts["BillOfLadingRegistry"] = world.bills
        consortium.transact("attachCache", world.bills.address, sender=governor)
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
    # From here on schemas and signer sets are changed by consortium proposals only.
    attestations.transact("sealSchemaBootstrap", sender=governor)
    world.suspend(world.org["SUSPENDED"])
    return world


def propose(world: World, kind: int, types: list[str], values: list[Any]) -> Any:
    """A consortium proposal by the world's 1-of-1 governor (executed at once); returns the receipt."""
    return world.consortium.transact("propose", kind, abi_encode(types, values), sender=world.governor)


def admit_org(world: World, kind: str, roles: int) -> int:
    """Admits one more organisation holding ``roles``, recorded as ``kind`` in ``world.org`` /
    ``world.account``, by a consortium ADMIT proposal of the world's 1-of-1 governor (executed at once,
    pushed to every cache); returns its id. Its admin is the first development account that no other kind
    of the world uses and no organisation holds, funded (an account another test impersonated may have
    none after a rollback). Idempotent in one chain state: a ``kind`` whose account is still a member is
    not admitted again; after a snapshot rollback it is admitted afresh."""
    account = world.account.get(kind)
    if (
        account is not None
        and kind in world.org
        and world.consortium.call("orgOf", account) == world.org[kind]
    ):
        return world.org[kind]
    taken = {a.lower() for k, a in world.account.items() if k != kind}
    admin = next(
        to_checksum_address(a)
        for a in world.chain.rpc("eth_accounts")
        if a.lower() not in taken and world.consortium.call("orgOf", a) == 0
    )
    world.chain.rpc("anvil_setBalance", [admin, hex(10**22)])
    receipt = propose(
        world,
        ADMIT,
        ["string", "string", "uint16", "bytes32", "address"],
        [f"LEI-{kind}", f"{kind.title()} Ltd", roles, b"\x00" * 32, admin],
    )
    org = int(receipt.event("OrganisationAdmitted").args["org"])
    world.org[kind] = org
    world.account[kind] = admin
    return org


def govern_schema(world: World, record: tuple[Any, ...]) -> Any:
    return propose(
        world,
        REGISTER_SCHEMA,
        ["address", "(string,string,bool,bool,bool,bool,uint16,uint8)"],
        [world.attestations.address, record],
    )


def govern_schema_active(world: World, schema: str, active: bool) -> Any:
    return propose(
        world,
        SET_SCHEMA_ACTIVE,
        ["address", "bytes32", "bool"],
        [world.attestations.address, world.schema[schema], active],
    )


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
    """Attests as the organisation of ``kind`` and returns the new uid: directly for an ordinary schema,
    by a k-of-n report of the agency's installed signer set for a reports-only one."""
    if schemas.WELL_KNOWN_SCHEMAS[schema].reports_only:
        return report(world, kind, schema, subject, data, target=ref)
    receipt = world.attestations.transact(
        "attest", (world.schema[schema], subject, ref, data), sender=world.caller(kind)
    )
    uid: bytes = receipt.event("Attested").args["uid"]
    return uid


def report(
    world: World,
    kind: str,
    schema: str,
    subject: bytes,
    data: bytes = b"",
    *,
    action: schemas.ReportAction = schemas.ReportAction.ATTEST,
    target: bytes = b"\x00" * 32,
) -> bytes:
    """Submits a report of the agency ``kind`` signed by its installed signer set (threshold many, as a
    relayer the agency's own account); returns the uid attested or revoked."""
    agency = world.org[kind]
    last = world.attestations.call("lastReportSequence", agency, world.schema[schema], subject)
    message = new_report(
        world,
        schema,
        agency=agency,
        subject=subject,
        sequence=last + 1,
        data=data,
        action=action,
        target=target,
    )
    keys = world.report_keys[(kind, schema)][: world.report_k[(kind, schema)]]
    signatures = sign_report(message, keys, world.chain.chain_id, world.attestations.address)
    receipt = world.attestations.transact(
        "submitReport", message.as_struct(), message.data, signatures, sender=world.caller(kind)
    )
    uid: bytes = receipt.event("ReportAccepted").args["uid"]
    return uid


def revoke(world: World, kind: str, schema: str, uid: bytes) -> bytes:
    """Revokes ``uid`` as ``kind``: directly, or by a REVOKE report for a reports-only schema."""
    if schemas.WELL_KNOWN_SCHEMAS[schema].reports_only:
        subject = bytes(world.attestations.call("attestation", uid)["subject"])
        return report(world, kind, schema, subject, action=schemas.ReportAction.REVOKE, target=uid)
    world.attestations.transact("revoke", uid, sender=world.caller(kind))
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
        "agency": world.org["CUSTOMS"],
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
    world: World,
    keys: list[LocalAccount],
    threshold: int,
    schema: str = "CUSTOMS_RELEASE",
    kind: str = "CUSTOMS",
) -> None:
    """Installs ``keys`` as the agency's signer set by consortium proposal (the only way after the
    bootstrap), and remembers them as the set :func:`report` signs with."""
    propose(
        world,
        SET_REPORT_SIGNERS,
        ["address", "uint32", "bytes32", "address[]", "uint8"],
        [
            world.attestations.address,
            world.org[kind],
            world.schema[schema],
            [k.address for k in keys],
            threshold,
        ],
    )
    world.report_keys[(kind, schema)] = keys
    world.report_k[(kind, schema)] = threshold


# ---------------------------------------------------------------------- role-matrix rows

Setup = Callable[[World], tuple[Any, ...]]


def _new_schema(world: World) -> tuple[Any, ...]:
    n = world.unique()
    record = (f"TEST_{n}", "string note", True, False, False, False, 1 << 5, 0)
    return (record,)


def _existing_schema(world: World) -> tuple[Any, ...]:
    return (world.schema["VESSEL_EVENT"], True)


def credit_data(world: World, level: str = "A") -> bytes:
    """A customs credit grade valid for a year (CREDIT_LEVEL is revocable, expiring and not reports-only)."""
    until = world.chain.latest_timestamp() + 365 * 86_400
    return schemas.CREDIT_LEVEL.encode(
        {"validUntil": until, "creditCode": "91310000MA1FL0001X", "level": level}
    )


def _credit_request(world: World) -> tuple[Any, ...]:
    return ((world.schema["CREDIT_LEVEL"], random_id(), b"\x00" * 32, credit_data(world)),)


def _own_credit(world: World) -> tuple[Any, ...]:
    return (attest(world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(world)),)


def _replace_credit(world: World) -> tuple[Any, ...]:
    subject = random_id()
    uid = attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(world))
    return (uid, (world.schema["CREDIT_LEVEL"], subject, b"\x00" * 32, credit_data(world, "B")))


def _foreign_credit(world: World) -> tuple[Any, ...]:
    return (attest(world, "CUSTOMS2", "CREDIT_LEVEL", random_id(), credit_data(world)),)


def _signer_set(world: World) -> tuple[Any, ...]:
    addresses = sorted(random_id()[:20] for _ in range(2))
    return (
        world.org["CUSTOMS"],
        world.schema["CUSTOMS_RELEASE"],
        [to_checksum_address(a) for a in addresses],
        1,
    )


def _signed_report(world: World) -> tuple[Any, ...]:
    message = new_report(world, sequence=1)
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_RELEASE")][:REPORT_THRESHOLD]
    signatures = sign_report(message, keys, world.chain.chain_id, world.attestations.address)
    return (message.as_struct(), message.data, signatures)


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
        frozenset(),
        "AttestationNotSchemaAdmin",
        _new_schema,
        _not_schema_admin,
    ),
    (
        "AttestationRegistry",
        "setSchemaActive",
        frozenset(),
        "AttestationNotSchemaAdmin",
        _existing_schema,
        _not_schema_admin,
    ),
    (
        "AttestationRegistry",
        "attest",
        frozenset({"CUSTOMS"}),
        "AttestationNotAttester",
        _credit_request,
        _not_attester,
    ),
    (
        "AttestationRegistry",
        "revoke",
        frozenset({"CUSTOMS"}),
        "AttestationNotOwnAttestation",
        _own_credit,
        _not_own,
    ),
    (
        "AttestationRegistry",
        "replace",
        frozenset({"CUSTOMS"}),
        "AttestationNotOwnAttestation",
        _replace_credit,
        _not_own,
    ),
    (
        "AttestationRegistry",
        "recognise",
        frozenset({"CUSTOMS"}),
        "AttestationCannotRecognise",
        _foreign_credit,
        _cannot_recognise,
    ),
    (
        "AttestationRegistry",
        "setReportSigners",
        frozenset(),
        "AttestationNotSchemaAdmin",
        _signer_set,
        _not_schema_admin,
    ),
    # Schemas and signer sets: after the bootstrap only a consortium proposal (the consortium contract as
    # caller) registers, (de)activates or installs them; no account, a governor's or the port authority's
    # included, may do it directly.
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
