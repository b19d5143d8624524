"""k-of-n signed agency reports (docs/design.md §1.4, §1.5): relay a report and its signatures to the
AttestationRegistry as one queued write.

Used by ``POST /v1/reports`` and by the oracle runner. Owns three things only: putting the signatures in
the order the registry requires (ascending signer address, recovered here from the EIP-712 digest), the
rule that a report whose source id was already accepted is done (the existing attestation comes back and
nothing is queued), and the queued write itself. Whether the signatures reach the agency's threshold,
whether the sequence is fresh and the deadline still ahead are the registry's rules, pre-checked with
``eth_call``; a refusal is its decoded custom error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coincurve import PublicKey
from eth_utils.crypto import keccak

from ledger.chain import Contract, ContractRevert, Receipt
from ledger.domain.schemas import ReportMessage, report_digest
from ledger.outbox import Operation, Outbox
from ledger.services.consortium import Actor
from ledger.services.errors import FieldProblem, ValidationFailed

ZERO32 = b"\x00" * 32
MAX_SIGNATURES = 64


@dataclass(frozen=True, slots=True)
class ReportSubmission:
    """The outcome of relaying a report: a queued operation, or the attestation an earlier identical
    report (same agency, schema and source id) already made."""

    operation: Operation | None
    existing_uid: bytes | None = None

    @property
    def already_accepted(self) -> bool:
        return self.existing_uid is not None


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """The address that made a 65-byte (r, s, v) signature of ``digest``, or None if it does not parse."""
    if len(signature) != 65:
        return None
    v = signature[64]
    recovery = v - 27 if v >= 27 else v
    if recovery not in (0, 1):
        return None
    try:
        public = PublicKey.from_signature_and_message(signature[:64] + bytes([recovery]), digest, hasher=None)
    except Exception:  # coincurve raises plain Exception subclasses for unrecoverable signatures
        return None
    return "0x" + keccak(public.format(compressed=False)[1:])[-20:].hex()


def ordered(digest: bytes, signatures: Sequence[bytes]) -> list[bytes]:
    """Signatures by ascending signer address; unparseable ones keep their place at the end, so the
    registry names them (``AttestationReportInvalidSignature``)."""
    keyed = [(recover_signer(digest, sig), sig) for sig in signatures]
    good = sorted(((a, s) for a, s in keyed if a is not None), key=lambda pair: int(pair[0] or "0", 16))
    bad = [s for a, s in keyed if a is None]
    return [s for _, s in good] + bad


class ReportService:
    """Relays k-of-n agency reports."""

    def __init__(self, outbox: Outbox, registry: Contract):
        self.outbox = outbox
        self.chain_id = registry.chain.chain_id
        self.registry = registry

    def accepted(self, agency: int, schema: bytes, source_id: bytes) -> bytes | None:
        """The attestation made from an accepted report with this source id, or None."""
        uid = bytes(self.registry.call("reportAttestation", agency, schema, source_id))
        return None if uid == ZERO32 else uid

    def submit(
        self,
        report: ReportMessage,
        signatures: Sequence[bytes],
        *,
        relayer: Actor,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ReportSubmission:
        """Queue ``submitReport`` for ``report`` signed by ``signatures`` (any order) on behalf of the
        agency the report names, sent by ``relayer``; a source id already accepted is a no-op returning
        its uid."""
        problems = []
        if not signatures:
            problems.append(FieldProblem("$.signatures", "required", "at least one signature"))
        if len(signatures) > MAX_SIGNATURES:
            problems.append(FieldProblem("$.signatures", "size", f"at most {MAX_SIGNATURES} signatures"))
        if problems:
            raise ValidationFailed(problems)
        existing = self.accepted(report.agency, report.schema, report.source_id)
        if existing is not None:
            return ReportSubmission(None, existing)
        digest = report_digest(report, self.chain_id, self.registry.address)
        args = (report.as_struct(), report.data, ordered(digest, signatures))
        try:
            return ReportSubmission(
                self.outbox.submit(
                    relayer,
                    self.registry,
                    "submitReport",
                    args,
                    kind="attestation.report",
                    body=body,
                    idempotency_key=idempotency_key,
                )
            )
        except ContractRevert as revert:
            if revert.name == "AttestationSourceAlreadyAccepted":
                # Accepted between our check and the pre-check (another relayer): done, not an error.
                return ReportSubmission(None, bytes(revert.args["uid"]))
            raise

    def made_by(self, uid: bytes, relayer: Actor) -> Operation | None:
        """The operation of ``relayer``'s organisation on this node whose report made attestation
        ``uid``, or None (another organisation or node relayed it: its operation is not ours to show)."""
        return self.outbox.made(relayer.key, "attestation.report", "uid", "0x" + uid.hex())


def report_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    """Operation result of a report: the attestation it made."""
    for event in receipt.events:
        if event.name == "ReportAccepted":
            return {"uid": "0x" + bytes(event.args["uid"]).hex()}
    return {}


RESULT_BUILDERS = {"attestation.report": report_result}
