"""Container release and EIR use cases (docs/design.md §1.3): grant, nominate, one-time release codes,
gate-out, gate-in, and the read of a right and of a container's equipment interchange receipts.

Validates what only the service can (ISO 6346 numbers, organisation ids, EIR fields), turns EIR data into
what the contract stores (seal and plate hashes, the EIR checksum), pre-checks each write with
``eth_call`` through the outbox and queues it. Release readiness, holder and terminal checks are the
ContainerRelease contract's rules: a refusal comes back as its decoded custom error; nothing here restates
them. Reads rebuild a right's history from the contract's events (``ledger.services.events``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import rfc8785
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.chain import Contract, Receipt
from ledger.chain.deployment import Deployment
from ledger.db import Database
from ledger.domain import ids
from ledger.domain.values import check_container_number
from ledger.index.queries import (
    InvalidCursor,
    encode_cursor,
    get_release_right,
    list_eirs,
    list_release_rights,
    may_know_bill,
    release_events,
)
from ledger.outbox import Operation, Outbox
from ledger.services.consortium import Actor
from ledger.services.documents import Documents
from ledger.services.errors import FieldProblem, NotFound, ValidationFailed
from ledger.services.organisations import Organisations

RIGHT_EVENTS = (
    "ReleaseGranted",
    "ReleaseNominated",
    "ReleaseCodeSet",
    "ReleaseRevoked",
    "GatedOut",
    "GatedIn",
)
MAX_EIRS = 1000
RELEASE_CODE_BYTES = 16  # 128 random bits made by this node
MIN_RELEASE_CODE_BYTES = 12  # 96 bits: below that the stored hash could be brute-forced
UINT64_MAX = (1 << 64) - 1
UINT48_MAX = (1 << 48) - 1


class ReleaseStatus(IntEnum):
    """``ReleaseTypes.sol`` ReleaseStatus."""

    NONE = 0
    GRANTED = 1
    REVOKED = 2
    GATED_OUT = 3
    GATED_IN = 4


def _b32(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b"\x00" * 32


right_id_of = ids.right_id


def container_problems(numbers: Sequence[str], path: str) -> list[FieldProblem]:
    problems = []
    for i, number in enumerate(numbers):
        why = check_container_number(number)
        if why is not None:
            problems.append(FieldProblem(f"{path}[{i}]", "iso6346", why))
    if len(set(numbers)) != len(numbers):
        problems.append(FieldProblem(path, "unique", "a container is listed twice"))
    return problems


@dataclass(frozen=True, slots=True)
class EirData:
    """Equipment interchange data as the terminal's gate system reports it (personal data stays here)."""

    laden: bool
    seals: tuple[str, ...] = ()
    damage_codes: tuple[str, ...] = ()
    truck_plate: str = ""
    event_time: int = 0
    condition: str | None = None
    remarks: str | None = None

    def document(self, container_number: str, direction: str) -> dict[str, Any]:
        """The EIR document whose SHA-256 (RFC 8785 canonical JSON) goes on chain."""
        doc: dict[str, Any] = {
            "direction": direction,
            "equipmentReference": container_number,
            "laden": self.laden,
            "seals": list(self.seals),
            "damageCodes": list(self.damage_codes),
            "truckLicensePlate": self.truck_plate,
            "eventDateTime": self.event_time,
        }
        if self.condition is not None:
            doc["condition"] = self.condition
        if self.remarks is not None:
            doc["remarks"] = self.remarks
        return doc

    def on_chain(self, container_number: str, direction: str) -> tuple[Any, ...]:
        """The ``EquipmentInterchange`` tuple: seals and plate hashed, the document checksummed."""
        seals_hash = keccak(abi_encode(["string[]"], [list(self.seals)])) if self.seals else b"\x00" * 32
        plate_hash = keccak(text=self.truck_plate) if self.truck_plate else b"\x00" * 32
        checksum = hashlib.sha256(rfc8785.dumps(self.document(container_number, direction))).digest()
        return (self.laden, seals_hash, list(self.damage_codes), plate_hash, self.event_time, checksum)

    def problems(self, path: str) -> list[FieldProblem]:
        out = []
        if not 0 <= self.event_time <= UINT64_MAX:
            out.append(FieldProblem(f"{path}.eventTime", "range", "must be a Unix time in seconds"))
        for i, seal in enumerate(self.seals):
            if not seal.strip():
                out.append(FieldProblem(f"{path}.seals[{i}]", "required", "a seal number cannot be blank"))
        for i, code in enumerate(self.damage_codes):
            if not code.strip():
                out.append(
                    FieldProblem(f"{path}.damageCodes[{i}]", "required", "a damage code cannot be blank")
                )
        return out


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    """One record of a right's causal chain (grant, nomination, code, revocation, gate-out, gate-in)."""

    kind: str
    record_id: bytes
    previous_record_id: bytes
    block_number: int
    tx_hash: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """A release right as its parties see it."""

    right_id: bytes
    bill_id: int
    container_number: str
    carrier: int
    holder: int
    terminal: int
    depot: int
    valid_from: int
    valid_until: int
    status: ReleaseStatus
    has_release_code: bool
    records: list[ReleaseRecord]

    @property
    def parties(self) -> set[int]:
        """Every organisation that is or was party to the right (the carrier, holders, terminals)."""
        out = {self.carrier, self.holder, self.terminal} | ({self.depot} if self.depot else set())
        for record in self.records:
            for key in ("from", "to", "holder", "terminal", "haulier"):
                value = record.details.get(key)
                if isinstance(value, int) and value:
                    out.add(value)
        return out


@dataclass(frozen=True, slots=True)
class EirView:
    """An equipment interchange receipt (gate-out or gate-in) read back from the chain."""

    direction: str
    right_id: bytes
    bill_id: int
    container_number: str
    terminal: int
    haulier: int
    by_release_code: bool
    record_id: bytes
    previous_record_id: bytes
    laden: bool
    seals_hash: bytes
    damage_codes: list[str]
    truck_plate_hash: bytes
    event_time: int
    eir_checksum: bytes
    block_number: int
    tx_hash: str


@dataclass(frozen=True, slots=True)
class CodeIssued:
    """A queued release code: the code is shown once, only its salted hash goes on chain."""

    operation: Operation
    code: str | None


class ReleaseService:
    """Queues release writes and reads rights and EIRs back."""

    def __init__(
        self,
        outbox: Outbox,
        deployment: Deployment,
        organisations: Organisations,
        release: Contract,
        bills: Contract,
        documents: Documents,
        db: Database,
    ):
        self.outbox = outbox
        self.deployment = deployment
        self.organisations = organisations
        self._release = release
        self._bills = bills
        self.documents = documents
        self.db = db
        """The read models (``mined`` means projected, so a caller reads its own writes)."""

    # -- writes ------------------------------------------------------------------------------------
    def grant(
        self,
        actor: Actor,
        bill_id: int,
        container_numbers: Sequence[str],
        terminal: str | int,
        valid_from: int,
        valid_until: int,
        *,
        depot: str | int | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue one release right per container of an accomplished B/L (or a sea waybill), each with its
        proof against the title's container root (the containers of the document this node sealed; a
        container not on it gets no proof, and the contract refuses it)."""
        problems = container_problems(list(container_numbers), "$.containerNumbers")
        if not container_numbers:
            problems.append(FieldProblem("$.containerNumbers", "required", "at least one container"))
        for name, value in (("validFrom", valid_from), ("validUntil", valid_until)):
            if not 0 <= value <= UINT48_MAX:
                problems.append(FieldProblem(f"$.{name}", "range", "must be a Unix time in seconds"))
        if not 0 <= bill_id < 1 << 256:
            problems.append(FieldProblem("$.billId", "range", "must be a 32-byte title id"))
        if problems:
            raise ValidationFailed(problems)
        terminal_org = self.organisations.get(terminal, "$.terminal").id
        depot_org = self.organisations.get(depot, "$.depot").id if depot is not None else 0
        listed = self._listed_containers(bill_id)
        proofs = [
            ids.container_proof(listed, number) if number in listed else [] for number in container_numbers
        ]
        return self.outbox.submit(
            actor,
            self._release,
            "grant",
            (bill_id, list(container_numbers), proofs, (terminal_org, depot_org, valid_from, valid_until)),
            kind="release.grant",
            body=body,
            idempotency_key=idempotency_key,
        )

    def _listed_containers(self, bill_id: int) -> tuple[str, ...]:
        """The container numbers of the title's current version, as this node sealed its document."""
        version = int(self._bills.call("bill", bill_id)["version"])
        sealed = self.documents.sealed("0x" + bill_id.to_bytes(32, "big").hex(), version)
        return tuple(sealed.container_numbers) if sealed is not None else ()

    def nominate(
        self, actor: Actor, right_id: bytes, nominee: str | int, *, idempotency_key: str | None = None
    ) -> Operation:
        self._require_known(right_id)
        nominee_org = self.organisations.get(nominee, "$.nominee").id
        return self.outbox.submit(
            actor,
            self._release,
            "nominate",
            (right_id, nominee_org),
            kind="release.nominate",
            idempotency_key=idempotency_key,
        )

    def issue_release_code(
        self,
        actor: Actor,
        right_id: bytes,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> CodeIssued:
        """Generate a random one-time release code (128 bits) and queue its salted hash; the holder only.

        With an idempotency key that was already used, the earlier operation comes back without the
        code: it was shown once and is not kept anywhere.
        """
        self._require_known(right_id)
        if idempotency_key is not None:
            earlier = self.outbox.find(actor.key, idempotency_key)
            if earlier is not None and earlier.kind == "release.code":
                return CodeIssued(earlier, None)
        code = secrets.token_bytes(RELEASE_CODE_BYTES)
        op = self.outbox.submit(
            actor,
            self._release,
            "setReleaseCode",
            (right_id, ids.release_code_hash(right_id, code)),
            kind="release.code",
            body=body if body is not None else {"rightId": "0x" + right_id.hex()},
            idempotency_key=idempotency_key,
        )
        return CodeIssued(op, code.hex())

    def gate_out(
        self,
        actor: Actor,
        right_id: bytes,
        eir: EirData,
        *,
        haulier: str | int | None = None,
        release_code: str | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue gate-out (EIR out) of the right's container, for the truck's haulier or a release code."""
        problems = eir.problems("$.eir")
        digest = b"\x00" * 32
        if release_code is not None:
            try:
                code = bytes.fromhex(release_code.removeprefix("0x"))
            except ValueError:
                problems.append(FieldProblem("$.releaseCode", "hex", "the release code is hex"))
            else:
                if len(code) < MIN_RELEASE_CODE_BYTES:
                    problems.append(
                        FieldProblem(
                            "$.releaseCode",
                            "length",
                            f"a release code has at least {MIN_RELEASE_CODE_BYTES} bytes "
                            f"({2 * MIN_RELEASE_CODE_BYTES} hex digits); check what the haulier presented",
                        )
                    )
                # Only the digest travels: a dropped or reverted gate-out reveals nothing that opens the gate.
                digest = ids.release_code_digest(code)
        if haulier is None and release_code is None:
            problems.append(
                FieldProblem("$.haulier", "required", "name the truck's haulier or give the code")
            )
        if problems:
            raise ValidationFailed(problems)
        haulier_org = self.organisations.get(haulier, "$.haulier").id if haulier is not None else 0
        bill_id, container = self._grant_facts(right_id)
        return self.record_gate_out(
            actor,
            bill_id,
            container,
            haulier_org,
            digest,
            eir.on_chain(container, "OUT"),
            body=body,
            idempotency_key=idempotency_key,
        )

    def record_gate_out(
        self,
        actor: Actor,
        bill_id: int,
        container: str,
        haulier: int,
        code_digest: bytes,
        eir: tuple[Any, ...],
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue ``gateOut`` with an EIR already in its on-chain form (the API's :meth:`gate_out` after
        its checks, and the terminal's oracle from a CODECO): one write, one operation kind."""
        return self.outbox.submit(
            actor,
            self._release,
            "gateOut",
            (bill_id, container, haulier, code_digest, eir),
            kind="release.gate_out",
            body=body,
            idempotency_key=idempotency_key,
        )

    def record_gate_in(
        self,
        actor: Actor,
        bill_id: int,
        container: str,
        eir: tuple[Any, ...],
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue ``gateIn`` with an EIR already in its on-chain form (see :meth:`record_gate_out`)."""
        return self.outbox.submit(
            actor,
            self._release,
            "gateIn",
            (bill_id, container, eir),
            kind="release.gate_in",
            body=body,
            idempotency_key=idempotency_key,
        )

    def status_on_chain(self, bill_id: int, container: str) -> ReleaseStatus:
        """The right's status as the contract holds it now (a writer's check before it writes)."""
        right_id = self._release.call("rightIdOf", bill_id, container)
        return ReleaseStatus(int(self._release.call("releaseRight", right_id)["status"]))

    def gate_in(
        self,
        actor: Actor,
        right_id: bytes,
        eir: EirData,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        problems = eir.problems("$.eir")
        if problems:
            raise ValidationFailed(problems)
        bill_id, container = self._grant_facts(right_id)
        return self.record_gate_in(
            actor,
            bill_id,
            container,
            eir.on_chain(container, "IN"),
            body=body,
            idempotency_key=idempotency_key,
        )

    # -- reads -------------------------------------------------------------------------------------
    def get(self, actor: Actor, right_id: bytes) -> ReleaseView:
        """The right, if the caller's organisation is or was party to it; otherwise :class:`NotFound`."""
        view = self._view(right_id)
        if view is None or actor.org not in view.parties:
            raise NotFound(f"no release right 0x{right_id.hex()}")
        return view

    def list_for(
        self,
        actor: Actor,
        *,
        bill_id: int | None = None,
        container_number: str | None = None,
        holder: str | int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[ReleaseView], str | None]:
        """The rights the caller's organisation may see (it is or was party to the right, or it is a
        party of the right's bill), by right id, ``limit`` at a time; the cursor is the last right
        shown, so a page never repeats or skips a right while others are granted."""
        problems = []
        if container_number is not None and (why := check_container_number(container_number)):
            problems.append(FieldProblem("query:container", "iso6346", why))
        holder_org = self.organisations.get(holder, "query:holder").id if holder is not None else None
        if problems:
            raise ValidationFailed(problems)
        out: list[ReleaseView] = []
        bills: dict[str, bool] = {}
        after = cursor
        while True:
            try:
                rows, after = list_release_rights(
                    self.db,
                    bill_id=bill_id,
                    holder=holder_org,
                    container_number=container_number,
                    cursor=after,
                    limit=max(limit, 50),
                )
            except InvalidCursor:
                raise ValidationFailed(
                    [FieldProblem("query:cursor", "cursor", "pass the nextCursor of the previous page")]
                ) from None
            for row in rows:
                view = self._view(_b32(row.id))
                if view is None:
                    continue
                if actor.org not in view.parties:
                    if row.bill_id not in bills:
                        bills[row.bill_id] = may_know_bill(self.db, row.bill_id, actor.org)
                    if not bills[row.bill_id]:
                        continue
                out.append(view)
                if len(out) == limit:
                    more = after is not None or row is not rows[-1]
                    return out, encode_cursor([row.id]) if more else None
            if after is None:
                return out, None

    def eirs(self, actor: Actor, container_number: str) -> list[EirView]:
        """Gate-out and gate-in receipts of a container that the caller's organisation is party to."""
        why = check_container_number(container_number)
        if why is not None:
            raise ValidationFailed([FieldProblem("$.containerNumber", "iso6346", why)])
        records = self._indexed_eirs(container_number)
        rights: dict[bytes, ReleaseView | None] = {}
        out: list[EirView] = []
        for record in records:
            if record.right_id not in rights:
                rights[record.right_id] = self._view(record.right_id)
            right = rights[record.right_id]
            parties = (right.parties if right is not None else set()) | {record.terminal, record.haulier}
            if actor.org in parties:
                out.append(record)
        return out

    def _indexed_eirs(self, container_number: str) -> list[EirView]:
        """The container's EIRs from the read model (``index_eir``), oldest first."""
        out: list[EirView] = []
        cursor: str | None = None
        while True:
            rows, cursor = list_eirs(self.db, container_number=container_number, cursor=cursor, limit=200)
            for row in rows:
                out.append(
                    EirView(
                        direction=row.direction,
                        right_id=_b32(row.right_id),
                        bill_id=int(row.bill_id, 16),
                        container_number=row.container_number,
                        terminal=row.terminal,
                        haulier=row.haulier or 0,
                        by_release_code=row.by_release_code,
                        record_id=_b32(row.record_id),
                        previous_record_id=_b32(row.previous_record_id),
                        laden=row.laden,
                        seals_hash=_b32(row.seals_hash),
                        damage_codes=list(row.damage_codes),
                        truck_plate_hash=_b32(row.truck_plate_hash),
                        event_time=row.event_time,
                        eir_checksum=_b32(row.eir_checksum),
                        block_number=row.block_number,
                        tx_hash=row.tx_hash,
                    )
                )
            if cursor is None or len(out) >= MAX_EIRS:
                return out

    # -- helpers -----------------------------------------------------------------------------------
    def _require_known(self, right_id: bytes) -> None:
        stored: dict[str, Any] = self._release.call("releaseRight", right_id)
        if int(stored["status"]) == ReleaseStatus.NONE:
            raise NotFound(f"no release right 0x{right_id.hex()}")

    def _grant_facts(self, right_id: bytes) -> tuple[int, str]:
        """The bill and container of a right (the right id is their hash), from the read models."""
        row = get_release_right(self.db, "0x" + right_id.hex())
        if row is None:
            raise NotFound(f"no release right 0x{right_id.hex()}")
        return int(row.bill_id, 16), row.container_number

    def _view(self, right_id: bytes) -> ReleaseView | None:
        """The right and its causal chain of records, from the read models."""
        row = get_release_right(self.db, "0x" + right_id.hex())
        if row is None:
            return None
        records = []
        for event in release_events(self.db, row.id):
            args = event.args
            details: dict[str, Any] = {}
            if event.name == "ReleaseGranted":
                details = {"holder": int(args["holder"]), "terminal": int(args["terms"]["terminal"])}
            elif event.name == "ReleaseNominated":
                details = {"from": int(args["from"]), "to": int(args["to"])}
            elif event.name == "ReleaseCodeSet":
                details = {"holder": int(args["holder"]), "cleared": int(str(args["codeHash"]), 16) == 0}
            elif event.name == "GatedOut":
                details = {
                    "terminal": int(args["terminal"]),
                    "haulier": int(args["haulier"]),
                    "byReleaseCode": bool(args["byReleaseCode"]),
                }
            elif event.name == "GatedIn":
                details = {"terminal": int(args["terminal"])}
            else:
                continue
            records.append(
                ReleaseRecord(
                    kind=event.name,
                    record_id=_b32(str(args["recordId"])),
                    previous_record_id=_b32(str(args["previousRecordId"])),
                    block_number=event.block_number,
                    tx_hash=event.tx_hash,
                    details=details,
                )
            )
        return ReleaseView(
            right_id=right_id,
            bill_id=int(row.bill_id, 16),
            container_number=row.container_number,
            carrier=row.carrier,
            holder=row.holder,
            terminal=row.terminal,
            depot=row.depot or 0,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            status=ReleaseStatus[row.status],
            has_release_code=row.code_hash is not None and int(row.code_hash, 16) != 0,
            records=records,
        )


def grant_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    """Operation result of a grant: the right id, container and holder of each right."""
    rights = [
        {
            "rightId": "0x" + bytes(e.args["rightId"]).hex(),
            "containerNumber": e.args["containerNumber"],
            "holder": str(e.args["holder"]),
        }
        for e in receipt.events
        if e.name == "ReleaseGranted"
    ]
    return {"rights": rights}


def record_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    """Operation result of the other release writes: the right and the record written."""
    names = ("ReleaseNominated", "ReleaseCodeSet", "ReleaseRevoked", "GatedOut", "GatedIn")
    for event in receipt.events:
        if event.name in names:
            return {
                "rightId": "0x" + bytes(event.args["rightId"]).hex(),
                "recordId": "0x" + bytes(event.args["recordId"]).hex(),
            }
    return {}


RESULT_BUILDERS = {
    "release.grant": grant_result,
    "release.nominate": record_result,
    "release.code": record_result,
    "release.gate_out": record_result,
    "release.gate_in": record_result,
}
