"""Bill use cases: issue, act, amend, read, verify.

Each write: validate the request → bind the transport document to the ledger (carrier, consignee,
endorsee, status) → pre-check the contract call with ``eth_call`` (a would-be revert raises the
decoded :class:`~ledger.domain.errors.ContractRevert`; nothing is stored, queued or sent) → store
the encrypted document (issue, amend) → enqueue through the outbox, signed by the acting
organisation's wallet → the operation. The title rules themselves live in the contract.

Who may read a document: :mod:`ledger.services.access` (the documents table, docs/design.md §2). A write
seals the document for the carrier alone; the other readers get a key wrap of the same content key
(no re-encryption, the CID is unchanged) when the indexer projects the event that made them readers,
so a request the chain refuses leaves no access behind.

Reads: lists and the history come from the read models of ``ledger.index`` (an operation is
``mined`` only once projected, so they include the caller's own writes); one title is shown as the
registry's ``bill(id)`` view holds it now, with its reference, checksum and CID from its last
``BillIssued`` log; the collateral statement always re-reads the chain at a pinned block.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.chain import ChainClient, Contract, Receipt
from ledger.db import Database
from ledger.documents import (
    BillKind,
    DocumentFacts,
    IdentifyingCode,
    NotEntitled,
    compute_cid,
    document_checksum,
    require_valid_transport_document,
)
from ledger.domain import codes
from ledger.domain import ids as domain_ids
from ledger.domain.money import from_minor_units, is_currency_code, minor_units, to_minor_units
from ledger.domain.pledges import PledgeTerms as ChainPledgeTerms
from ledger.index import models as index_models
from ledger.index import queries as index_queries
from ledger.index.cache import BillCache
from ledger.index.indexer import projected_through, wait_projected
from ledger.outbox import Actor, Operation, Outbox, Write
from ledger.outbox.errors import IdempotencyConflict
from ledger.outbox.manager import ResultBuilder
from ledger.services.access import DocumentAccess
from ledger.services.documents import Documents
from ledger.services.errors import (
    DocumentNotBound,
    FieldProblem,
    Forbidden,
    NotACarrier,
    NotFound,
    ValidationFailed,
)
from ledger.services.organisations import Member, Organisations

_log = logging.getLogger(__name__)

# The registry's enums by position (ledger.domain.codes mirrors the Solidity types).
STATUSES = codes.BILL_STATUS
KINDS = codes.BILL_KIND
PLEDGE_STATUSES = codes.PLEDGE_STATUS
REASONS = codes.SURRENDER_REASON
ROLES = ("possessor", "holder", "carrier", "pledgee")

# action → (registry function, what it needs besides the bill id and the remark hash)
ACTIONS = codes.BILL_ACTION_CALLS
# Actions after which the recipient (or, for ENFORCE_PLEDGE, the acting bank) possesses or holds.

_ZERO32 = b"\x00" * 32


def bill_id_hex(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def parse_bill_id(text: str) -> int:
    value = text.strip().lower()
    if not (value.startswith("0x") and len(value) == 66):
        raise ValidationFailed(
            [FieldProblem("path:id", "format", "a title id is 0x followed by 64 hex digits")]
        )
    try:
        return int(value, 16)
    except ValueError:
        raise ValidationFailed(
            [FieldProblem("path:id", "format", "a title id is 0x followed by 64 hex digits")]
        ) from None


def remark_hash(remark: str | None) -> bytes:
    """SHA-256 of the UTF-8 remark (the remark itself stays off chain); zero when there is none."""
    return hashlib.sha256(remark.encode("utf-8")).digest() if remark else _ZERO32


# ------------------------------------------------------------------------------------------ requests


@dataclass(frozen=True, slots=True)
class PledgeTerms:
    """A pledge request's terms as a caller states them (decimal amount, RFC 3339 times)."""

    amount: str
    currency: str
    registration_ref: str
    accept_by: datetime
    maturity: datetime
    notice_period_seconds: int


@dataclass(frozen=True, slots=True)
class BillAction:
    action: str
    recipient: str | None = None
    reason_code: str | None = None
    remark: str | None = None
    pledge: PledgeTerms | None = None
    terms_hash: str | None = None
    """ACCEPT_PLEDGE: the terms hash the bank approved (see the title's pledge)."""
    default_attestation: str | None = None
    """ENFORCE_PLEDGE before maturity: the bank's PLEDGE_DEFAULT attestation about this pledge."""


# ------------------------------------------------------------------------------------------ views


@dataclass(frozen=True, slots=True)
class PledgeView:
    status: str
    pledgee: str
    nonce: int
    pledgor: str | None
    amount: str
    currency: str
    registration_ref: str
    accept_by: datetime
    maturity: datetime
    notice_period_seconds: int
    terms_hash: str
    accepted_at: datetime | None


@dataclass(frozen=True, slots=True)
class BillView:
    id: str
    transport_document_reference: str
    carrier: str
    kind: str
    status: str
    possessor: str | None
    title_holder: str | None
    consignee: str | None
    version: int
    document_checksum: str
    cid: str
    pledge: PledgeView | None
    issued_at_block: int


@dataclass(frozen=True, slots=True)
class PublicBillView:
    """What every member may know of a title: its public state and its container numbers (None
    when this node did not seal the title's current document, so it does not know them)."""

    id: str
    carrier: str
    kind: str
    status: str
    version: int
    container_numbers: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    action: str
    actor: str
    recipient: str | None
    reason_code: str | None
    remark_hash: str | None
    block_number: int
    tx_hash: str
    log_index: int
    time: datetime


@dataclass(frozen=True, slots=True)
class Verification:
    checksum: str
    accepted: bool
    reason: str
    bill_id: str | None = None
    status: str | None = None
    version: int | None = None
    possessor: str | None = None
    title_holder: str | None = None
    carrier: str | None = None


@dataclass
class _Chain:
    """A title's state straight from the registry."""

    raw: dict[str, Any]
    pledge: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return STATUSES[int(self.raw["status"])]

    def parties(self) -> set[int]:
        keys = ("carrier", "possessor", "holder", "prevPossessor", "pledgee")
        return {int(self.raw[k]) for k in keys if int(self.raw[k])}


def _org(value: int) -> str | None:
    return str(value) if value else None


# ---------------------------------------------------------------------------------- result builders


def _bill_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    for event in receipt.events:
        if event.name in ("BillIssued", "BillActed") and "billId" in event.args:
            return {"billId": bill_id_hex(int(event.args["billId"]))}
    return {}


RESULT_BUILDERS: dict[str, ResultBuilder] = {
    f"bill.{name}": _bill_result for name in ["issue", "amend", *(a.lower() for a in ACTIONS)]
}


# ------------------------------------------------------------------------------------------ service


class Bills:
    """The e-B/L use cases of one node."""

    def __init__(
        self,
        registry: Contract,
        deployment_block: int,
        organisations: Organisations,
        documents: Documents,
        access: DocumentAccess,
        outbox: Outbox,
        db: Database,
    ):
        self.registry = registry
        self.chain: ChainClient = registry.chain
        self.deployment_block = deployment_block
        self.orgs = organisations
        self.documents = documents
        self.access = access
        self.outbox = outbox
        self.db = db
        self.cache: BillCache | None = None
        """Title rows in memory, kept exact by this node's indexer: set by the composition root while the
        indexer runs here (reads may then come from the index and the cache), else None."""

    # -- writes ------------------------------------------------------------------------------------
    def issue(
        self,
        actor: Actor,
        document: Any,
        issue_to: str,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """ISSUE by the calling carrier to ``issue_to``; see the module docstring for the steps."""
        earlier = self._earlier(actor, "bill.issue", body, idempotency_key)
        if earlier is not None:
            return earlier
        carrier = self.orgs.get(actor.org)
        if "CARRIER" not in carrier.roles or carrier.suspended:
            raise NotACarrier(
                f"organisation {carrier.id} is not an active CARRIER: only carriers issue bills"
            )
        facts = require_valid_transport_document(document)
        recipient = self.orgs.get(issue_to, "$.issueTo")
        consignee, _endorsee = self._bind(facts, carrier)
        reference = facts.transport_document_reference
        bill_id = int(self.registry.call("titleIdOf", carrier.id, reference))
        checksum = document_checksum(document).to_bytes32()
        root = _container_root(facts)
        envelope, wraps = self.documents.seal(document, bill_id_hex(bill_id), 1, self._sealer(carrier))
        cid = compute_cid(envelope)
        signer = self.orgs.signer_address(carrier.id)
        request = (
            reference,
            KINDS.index(facts.kind.value),
            recipient.id,
            consignee.id if consignee is not None and facts.kind is not BillKind.NEGOTIABLE else 0,
            checksum,
            root,
            cid,
        )
        args = (request, _ZERO32)
        self.registry.precheck("issue", *args, sender=signer)
        self.documents.put(
            envelope,
            bill_id_hex(bill_id),
            1,
            wraps,
            checksum="0x" + checksum.hex(),
            container_numbers=facts.container_numbers,
        )
        return self._submit(actor, "bill.issue", "issue", args, body, idempotency_key)

    def amend(
        self,
        actor: Actor,
        bill_id: int,
        document: Any,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Re-issue of the amended document (carrier, after SACC of a surrender for amendment)."""
        row = self._row_for(bill_id, actor.org)
        earlier = self._earlier(actor, "bill.amend", body, idempotency_key)
        if earlier is not None:
            return earlier
        facts = require_valid_transport_document(document)
        carrier = self.orgs.get(row.carrier)
        if carrier.id != actor.org:
            raise Forbidden("only the issuing carrier re-issues an amended transport document")
        self._bind(facts, carrier)
        if facts.transport_document_reference != row.transport_document_reference:
            raise DocumentNotBound(
                [
                    FieldProblem(
                        "$.document.transportDocumentReference",
                        "reference",
                        f"an amendment keeps the reference {row.transport_document_reference!r}",
                    )
                ]
            )
        version = row.version + 1
        envelope, wraps = self.documents.seal(document, bill_id_hex(bill_id), version, self._sealer(carrier))
        cid = compute_cid(envelope)
        signer = self.orgs.signer_address(carrier.id)
        checksum = document_checksum(document).to_bytes32()
        args = (bill_id, checksum, _container_root(facts), cid, _ZERO32)
        self.registry.precheck("reissue", *args, sender=signer)
        self.documents.put(
            envelope,
            bill_id_hex(bill_id),
            version,
            wraps,
            checksum="0x" + checksum.hex(),
            container_numbers=facts.container_numbers,
        )
        return self._submit(actor, "bill.amend", "reissue", args, body, idempotency_key)

    def act(
        self,
        actor: Actor,
        bill_id: int,
        request: BillAction,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """One DCSA action on a title by the calling organisation."""
        self._check_writer(bill_id, actor.org)
        function, needs = ACTIONS[request.action]
        problems = self._check_action(request, needs)
        if problems:
            raise ValidationFailed(problems)
        remark = remark_hash(request.remark)
        args: tuple[Any, ...]
        recipient: Member | None = None
        if needs == "recipient":
            assert request.recipient is not None
            recipient = self.orgs.get(request.recipient, "$.recipient")
            args = (bill_id, recipient.id, remark)
        elif needs == "reason":
            args = (bill_id, REASONS.index(str(request.reason_code)), remark)
        elif needs == "pledge":
            assert request.pledge is not None and request.recipient is not None
            recipient = self.orgs.get(request.recipient, "$.recipient")
            args = (bill_id, _chain_terms(request.pledge, recipient.id).as_struct(), remark)
        elif needs == "terms":
            args = (bill_id, _bytes32(request.terms_hash, "$.termsHash"), remark)
        elif needs == "default":
            default = (
                _bytes32(request.default_attestation, "$.defaultAttestation")
                if request.default_attestation
                else _ZERO32
            )
            args = (bill_id, default, remark)
        else:
            args = (bill_id, remark)
        return self._submit(actor, f"bill.{request.action.lower()}", function, args, body, idempotency_key)

    # -- reads: the index alone (its title cache when the indexer runs here) ------------------------
    def get(self, bill_id: int, org: int) -> BillView:
        """The title as the read models hold it; :class:`NotFound` if ``org`` may not know it."""
        return _row_view(self._row_for(bill_id, org))

    def public(self, bill_id: int) -> PublicBillView:
        """The title's public state and container numbers, for any member; :class:`NotFound` if there
        is no such title."""
        row = self._row(bill_id)
        if row is None and self._catch_up():
            row = self._row(bill_id)
        if row is None:
            raise NotFound(f"no bill {bill_id_hex(bill_id)}")
        sealed = self.documents.sealed(row.id, row.version)
        return PublicBillView(
            id=row.id,
            carrier=str(row.carrier),
            kind=row.kind,
            status=row.status,
            version=row.version,
            container_numbers=tuple(sealed.container_numbers) if sealed is not None else None,
        )

    def by_reference(self, carrier: str, reference: str, org: int) -> BillView:
        carrier_id = self.orgs.resolve(carrier, "path:carrier").id  # its org id or its SCAC/SMDG code
        return self.get(domain_ids.title_id(carrier_id, reference), org)

    def history(
        self, bill_id: int, org: int, cursor: str | None = None, limit: int = 200
    ) -> tuple[list[HistoryEntry], str | None]:
        """Every action on the title (the endorsement chain), oldest first, from the read models."""
        self._row_for(bill_id, org)
        try:
            rows, next_cursor = index_queries.bill_history(
                self.db, bill_id_hex(bill_id), cursor=cursor, limit=limit
            )
        except index_queries.InvalidCursor:
            raise ValidationFailed(
                [FieldProblem("query:cursor", "cursor", "pass the nextCursor of the previous page unchanged")]
            ) from None
        entries = [
            HistoryEntry(
                action=row.action_code,
                actor=str(row.actor),
                recipient=_org(row.recipient or 0),
                reason_code=None if row.reason_code in (None, "", "NONE") else row.reason_code,
                remark_hash=None if not row.remark_hash or not int(row.remark_hash, 16) else row.remark_hash,
                block_number=row.block_number,
                tx_hash=row.tx_hash,
                log_index=row.log_index,
                time=datetime.fromtimestamp(row.time, UTC),
            )
            for row in rows
        ]
        return entries, next_cursor

    def list_for(
        self, org: int, role: str | None, status: str | None, cursor: str | None, limit: int
    ) -> tuple[list[BillView], str | None]:
        """The caller's titles (carrier, possessor, holder or pledgee; or that ``role``) from the read
        models, ordered by id, ``limit`` at a time; each shown as the chain holds it now."""
        try:
            rows, next_cursor = index_queries.list_bills(
                self.db,
                org=org,
                role=role,  # type: ignore[arg-type]
                status=status,
                cursor=cursor,
                limit=limit,
            )
        except index_queries.InvalidCursor:
            raise ValidationFailed(
                [FieldProblem("query:cursor", "cursor", "pass the nextCursor of the previous page unchanged")]
            ) from None
        return [_row_view(row) for row in rows], next_cursor

    def document(self, bill_id: int, org: int, version: int | None = None) -> dict[str, Any]:
        """The decrypted document (the current version, or ``version``) for an organisation that is
        or was entitled to read that version (:mod:`ledger.services.access`) only."""
        row = self._row_for(bill_id, org)
        current = row.version
        if version is not None and not 1 <= version <= current:
            raise NotFound(f"bill {bill_id_hex(bill_id)} has no version {version} (current: {current})")
        if version in (None, current):
            cid = row.cid
            if org not in self.documents.entitled(cid):
                self.access.grant(row, org)  # a reader that published its document key since
        else:
            earlier = index_queries.issued_version(self.db, row.id, version)
            if earlier is None:
                raise NotFound(f"bill {bill_id_hex(bill_id)} has no version {version}")
            cid = str(earlier["cid"])
        wallet = self.orgs.wallet(org)
        try:
            return self.documents.open(cid, bill_id_hex(bill_id), org, wallet.document_key)
        except NotEntitled:
            raise Forbidden(
                "your organisation may not read this version of the document: only the carrier, the "
                "possessor, the holder, a straight bill's consignee and a pledge's bank read the current "
                "version, and past parties the versions they could read"
            ) from None

    def verify(self, document: Any, org: int) -> Verification:
        """Whether ``document`` is the current version of a live title, and who controls it.

        The title's public state (status, version) answers anyone; who possesses and holds it answers
        only a caller that presents the current document (it has read it) or that may see the title.
        """
        facts = require_valid_transport_document(document)
        checksum = document_checksum(document)
        carrier = self.orgs.by_legal_id(facts.carrier_code)
        if carrier is None:
            return Verification(checksum.hex, False, "UNKNOWN_CARRIER")
        bill_id = int(self.registry.call("titleIdOf", carrier.id, facts.transport_document_reference))
        state = self._state(bill_id)
        if state.status == "NONE":
            return Verification(checksum.hex, False, "NOT_ISSUED", carrier=carrier.key)
        current = bytes(self.registry.call("documentChecksum", bill_id)).hex()
        parties = (
            current == checksum.hex
            or org in state.parties()
            or index_queries.may_know_bill(self.db, bill_id_hex(bill_id), org)
        )

        def answer(accepted: bool, reason: str) -> Verification:
            return Verification(
                checksum.hex,
                accepted,
                reason,
                bill_id=bill_id_hex(bill_id),
                status=state.status,
                version=int(state.raw["version"]),
                possessor=_org(int(state.raw["possessor"])) if parties else None,
                title_holder=_org(int(state.raw["holder"])) if parties else None,
                carrier=carrier.key if carrier is not None else None,
            )

        if current != checksum.hex:
            return answer(False, "SUPERSEDED")
        live = state.status in ("ISSUED", "SURRENDER_PENDING_DELIVERY", "SURRENDER_PENDING_AMENDMENT")
        return answer(live, "LIVE_TITLE" if live else state.status)

    # -- steps -------------------------------------------------------------------------------------
    def _earlier(
        self, actor: Actor, kind: str, body: Mapping[str, Any] | None, idempotency_key: str | None
    ) -> Operation | None:
        """The operation an idempotency key already made for this same request, before any side effect."""
        if idempotency_key is None:
            return None
        op = self.outbox.find(actor.key, idempotency_key)
        if op is None:
            return None
        probe = Write(actor.key, kind, op.target, b"", op.signer, body=body)
        if probe.request_hash() != op.request_hash:
            raise IdempotencyConflict(actor.key, idempotency_key, op.id)
        return op

    def _submit(
        self,
        actor: Actor,
        kind: str,
        function: str,
        args: tuple[Any, ...],
        body: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> Operation:
        return self.outbox.submit(
            actor, self.registry, function, args, kind=kind, body=body, idempotency_key=idempotency_key
        )

    def _bind(self, facts: DocumentFacts, carrier: Member) -> tuple[Member | None, Member | None]:
        """Issuing binds the document to the ledger: carrier, consignee, endorsee, status."""
        problems: list[FieldProblem] = []
        if facts.status != "ISSUED":
            problems.append(
                FieldProblem(
                    "$.document.transportDocumentStatus",
                    "status",
                    f"is {facts.status!r}; only an ISSUED transport document becomes a title",
                )
            )
        if not _legal_id_matches(carrier.legal_id, facts.carrier_code):
            problems.append(
                FieldProblem(
                    "$.document.carrierCode",
                    "carrier",
                    f"{facts.carrier_code!r} is not the issuing carrier's code ({carrier.legal_id!r})",
                )
            )
        consignee = self._resolve(facts.consignee_codes)
        if facts.kind is not BillKind.NEGOTIABLE and consignee is None:
            problems.append(
                FieldProblem(
                    "$.document.documentParties.consignee.identifyingCodes",
                    "member",
                    "the consignee of a straight B/L or sea waybill must be a member organisation "
                    "(one partyCode equal to its legal identifier)",
                )
            )
        endorsee = self._resolve(facts.endorsee_codes)
        if facts.endorsee_codes and endorsee is None:
            problems.append(
                FieldProblem(
                    "$.document.documentParties.endorsee.identifyingCodes",
                    "member",
                    "the named endorsee must be a member organisation (partyCode = its legal identifier)",
                )
            )
        if problems:
            raise DocumentNotBound(problems)
        return consignee, endorsee

    def _resolve(self, codes: tuple[IdentifyingCode, ...]) -> Member | None:
        for code in codes:
            member = self.orgs.by_legal_id(code.party_code)
            if member is not None:
                return member
        return None

    def _sealer(self, carrier: Member) -> dict[int, bytes]:
        """The carrier seals a document for itself; other readers get wraps once the chain accepts."""
        if not any(carrier.encryption_key):
            raise ValidationFailed(
                [
                    FieldProblem(
                        "$",
                        "encryptionKey",
                        "the carrier has published no document key (setEncryptionKey on the consortium)",
                    )
                ]
            )
        return {carrier.id: carrier.encryption_key}

    def _check_action(self, request: BillAction, needs: str) -> list[FieldProblem]:
        problems = []
        if needs in ("recipient", "pledge") and not request.recipient:
            problems.append(
                FieldProblem("$.recipient", "required", f"{request.action} needs a recipient org id")
            )
        if needs not in ("recipient", "pledge") and request.recipient:
            problems.append(FieldProblem("$.recipient", "forbidden", f"{request.action} takes no recipient"))
        if needs == "reason" and request.reason_code not in codes.GIVEN_SURRENDER_REASONS:
            problems.append(
                FieldProblem("$.reasonCode", "required", "SURRENDER_FOR_AMENDMENT needs SWTP, COD or SWI")
            )
        if needs != "reason" and request.reason_code:
            problems.append(
                FieldProblem("$.reasonCode", "forbidden", f"{request.action} takes no reasonCode")
            )
        if needs == "pledge" and request.pledge is None:
            problems.append(
                FieldProblem(
                    "$.pledge",
                    "required",
                    "PLEDGE needs amount, currency, registrationRef, acceptBy, maturity, noticePeriodSeconds",
                )
            )
        if needs == "terms" and not request.terms_hash:
            problems.append(
                FieldProblem(
                    "$.termsHash",
                    "required",
                    "ACCEPT_PLEDGE needs the termsHash of the request you approve "
                    "(GET the bill: pledge.termsHash)",
                )
            )
        if needs != "terms" and request.terms_hash:
            problems.append(FieldProblem("$.termsHash", "forbidden", f"{request.action} takes no termsHash"))
        if needs != "default" and request.default_attestation:
            problems.append(
                FieldProblem(
                    "$.defaultAttestation", "forbidden", f"{request.action} takes no defaultAttestation"
                )
            )
        for name, value in (
            ("$.termsHash", request.terms_hash),
            ("$.defaultAttestation", request.default_attestation),
        ):
            if value:
                try:
                    _bytes32(value, name)
                except ValidationFailed as exc:
                    problems.extend(exc.problems)
        if needs != "pledge" and request.pledge is not None:
            problems.append(FieldProblem("$.pledge", "forbidden", f"{request.action} takes no pledge terms"))
        if needs == "pledge" and request.pledge is not None:
            try:
                _chain_terms(request.pledge, 0)
            except ValidationFailed as exc:
                problems.extend(exc.problems)
        return problems

    def _state(self, bill_id: int) -> _Chain:
        return _Chain(dict(self.registry.call("bill", bill_id)))

    def _row(self, bill_id: int) -> index_models.Bill | None:
        """The title's row: from the title cache when this node's indexer keeps it, else the index."""
        key = bill_id_hex(bill_id)
        row = self.cache.get(key) if self.cache is not None else index_queries.get_bill(self.db, key)
        if row is None or row.transport_document_reference is None:
            return None
        return row

    def _row_for(self, bill_id: int, org: int) -> index_models.Bill:
        """The title's row if it exists and ``org`` is or was one of its parties; :class:`NotFound`
        otherwise (the same answer for a title that does not exist). A miss first lets the index reach
        the chain's head (a write made straight on the contract a moment ago)."""
        row = self._row(bill_id)
        if (row is None or not self._may_know(row, org)) and self._catch_up():
            row = self._row(bill_id)
        if row is None or not self._may_know(row, org):
            raise NotFound(f"no bill {bill_id_hex(bill_id)}")
        return row

    def _check_writer(self, bill_id: int, org: int) -> None:
        """:class:`NotFound` unless ``org`` may know the title it acts on. The read models answer when
        they show it as a party; otherwise the chain's record does (a title the index has not
        projected yet, or a node that runs no indexer): the registry decides what a writer may do
        anyway, and the write is pre-checked against it next."""
        row = self._row(bill_id)
        if row is not None and self._may_know(row, org):
            return
        state = self._state(bill_id)
        if state.status == "NONE" or not (
            org in state.parties() or index_queries.may_know_bill(self.db, bill_id_hex(bill_id), org)
        ):
            raise NotFound(f"no bill {bill_id_hex(bill_id)}")

    def _may_know(self, row: index_models.Bill, org: int) -> bool:
        return org in _row_parties(row) or index_queries.may_know_bill(self.db, row.id, org)

    def _catch_up(self, timeout: float = 5.0) -> bool:
        """Wait briefly until the index has projected the chain's head; whether it had to move."""
        head = self.chain.block_number()
        through = projected_through(self.db)
        if through is not None and through[0] >= head:
            return False
        return wait_projected(self.db, head, timeout=timeout)

    def cached(self, bill_id: int, org: int) -> BillView | None:
        """The title from memory alone if ``org`` is one of its parties; None when the database must be
        asked (then call :meth:`get`). Never blocks."""
        cache = self.cache
        if cache is None:
            return None
        known, row = cache.peek(bill_id_hex(bill_id))
        if not known or row is None or row.transport_document_reference is None:
            return None
        if org not in _row_parties(row):
            return None
        return _row_view(row)


# ------------------------------------------------------------------------------------------ helpers


def _legal_id_matches(legal_id: str, carrier_code: str) -> bool:
    """The document's carrierCode (SMDG/SCAC) is the carrier's legal identifier, or its last part."""
    legal = legal_id.strip().upper()
    code = carrier_code.strip().upper()
    return legal == code or legal.rsplit(":", 1)[-1] == code


def _chain_terms(terms: PledgeTerms, bank: int) -> ChainPledgeTerms:
    """The registry's ``PledgeTerms`` from a caller's; :class:`ValidationFailed` with every problem."""
    problems = []
    currency = terms.currency
    if not is_currency_code(currency):
        problems.append(FieldProblem("$.pledge.currency", "iso4217", "three upper-case letters, e.g. USD"))
    exponent = minor_units(currency)
    amount = 0
    try:
        amount = to_minor_units(terms.amount, currency)
    except ValueError:
        problems.append(
            FieldProblem(
                "$.pledge.amount",
                "decimal",
                f"a positive decimal string with at most {exponent} decimals for {currency} (1250000.00)",
            )
        )
    reference = terms.registration_ref.encode("utf-8")
    if not reference or len(reference) > 32:
        problems.append(FieldProblem("$.pledge.registrationRef", "length", "1 to 32 bytes of UTF-8"))
    for name, moment in (("acceptBy", terms.accept_by), ("maturity", terms.maturity)):
        if moment.tzinfo is None:
            problems.append(FieldProblem(f"$.pledge.{name}", "rfc3339", "an RFC 3339 time with its offset"))
    if not problems and terms.maturity <= terms.accept_by:
        problems.append(
            FieldProblem(
                "$.pledge.maturity", "after", "the maturity must lie after the acceptance deadline acceptBy"
            )
        )
    if not 0 <= terms.notice_period_seconds < 2**32:
        problems.append(
            FieldProblem(
                "$.pledge.noticePeriodSeconds", "range", "0 to 4294967295 seconds (e.g. 604800: 7 days)"
            )
        )
    if problems:
        raise ValidationFailed(problems)
    return ChainPledgeTerms(
        bank=bank,
        amount=amount,
        currency=currency,
        registration_ref=reference.ljust(32, b"\x00"),
        accept_by=int(terms.accept_by.timestamp()),
        maturity=int(terms.maturity.timestamp()),
        notice_period=terms.notice_period_seconds,
    )


def _bytes32(text: str | None, path: str) -> bytes:
    value = (text or "").strip().lower()
    if not (value.startswith("0x") and len(value) == 66):
        raise ValidationFailed([FieldProblem(path, "format", "0x followed by 64 hex digits")])
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ValidationFailed([FieldProblem(path, "format", "0x followed by 64 hex digits")]) from None


def _container_root(facts: DocumentFacts) -> bytes:
    """The root the registry keeps of the document's container numbers (docs/design.md §1.5)."""
    if not facts.container_numbers:
        raise ValidationFailed(
            [
                FieldProblem(
                    "$.document.utilizedTransportEquipments",
                    "required",
                    "a title lists at least one container (its release rights are granted per container)",
                )
            ]
        )
    return domain_ids.container_root(facts.container_numbers)


def _row_parties(row: index_models.Bill) -> tuple[int | None, ...]:
    """The organisations a title's row names (as ``_Chain.parties`` does for the registry's state)."""
    return (row.carrier, row.possessor, row.holder, row.prev_possessor, row.pledgee)


def _row_view(row: index_models.Bill) -> BillView:
    """A title from its read-model row (the same fields the registry's ``bill``/``pledgeOf`` give)."""
    pledge = None
    lapsed = row.pledge_status == "REQUESTED" and (row.pledge_accept_by or 0) < datetime.now(UTC).timestamp()
    if row.pledge_status != "NONE" and not lapsed and row.pledgee:
        pledge = _pledge_view(
            status=row.pledge_status,
            pledgee=row.pledgee,
            nonce=row.pledge_nonce or 0,
            pledgor=row.possessor or 0,
            amount=int(row.pledge_amount or 0),
            currency=row.pledge_currency or "",
            registration_ref=row.pledge_registration_ref or "0x",
            accept_by=row.pledge_accept_by or 0,
            maturity=row.pledge_maturity or 0,
            notice_period=row.pledge_notice_period or 0,
            terms_hash=row.pledge_terms_hash or "0x" + "00" * 32,
            accepted_at=row.pledge_accepted_at,
        )
    return BillView(
        id=row.id,
        transport_document_reference=row.transport_document_reference or "",
        carrier=str(row.carrier),
        kind=row.kind,
        status=row.status,
        possessor=_org(row.possessor or 0),
        title_holder=_org(row.holder or 0),
        consignee=_org(row.consignee or 0),
        version=row.version,
        document_checksum=row.checksum.removeprefix("0x"),
        cid=row.cid,
        pledge=pledge,
        issued_at_block=row.issued_block,
    )


def _pledge_view(
    *,
    status: str,
    pledgee: int,
    nonce: int,
    pledgor: int,
    amount: int,
    currency: str,
    registration_ref: str,
    accept_by: int,
    maturity: int,
    notice_period: int,
    terms_hash: str,
    accepted_at: int | None,
) -> PledgeView:
    ref = bytes.fromhex(registration_ref.removeprefix("0x")).rstrip(b"\x00")
    return PledgeView(
        status=status,
        pledgee=str(pledgee),
        nonce=nonce,
        pledgor=_org(pledgor),
        amount=from_minor_units(amount, currency) if currency else "",
        currency=currency,
        registration_ref=ref.decode("utf-8", "replace"),
        accept_by=datetime.fromtimestamp(accept_by, UTC),
        maturity=datetime.fromtimestamp(maturity, UTC),
        notice_period_seconds=notice_period,
        terms_hash=terms_hash,
        accepted_at=datetime.fromtimestamp(accepted_at, UTC) if accepted_at else None,
    )


def chain_pledge_view(p: dict[str, Any], row: index_models.Pledge | None, possessor: int) -> PledgeView:
    """A pledge as ``pledgeOf`` holds it, with the amount, currency and registration reference of its
    request event (the chain keeps only their hash) when the index has it and the hash agrees."""
    terms_hash = "0x" + bytes(p["termsHash"]).hex()
    known = row is not None and row.terms_hash == terms_hash
    return _pledge_view(
        status=PLEDGE_STATUSES[int(p["status"])],
        pledgee=int(p["pledgee"]),
        nonce=int(p["nonce"]),
        pledgor=possessor,
        amount=int(row.amount) if known and row is not None else 0,
        currency=row.currency if known and row is not None else "",
        registration_ref=row.registration_ref if known and row is not None else "0x",
        accept_by=int(p["acceptBy"]),
        maturity=int(p["maturity"]),
        notice_period=int(p["noticePeriod"]),
        terms_hash=terms_hash,
        accepted_at=int(p["acceptedAt"]) or None,
    )
