"""Submitting what the oracles produce: signed k-of-n reports and the terminal's gate calls.

The runner talks to a ``Submitter``; ``OutboxSubmitter`` is the implementation over the outbox
(``ledger.outbox``), so every write gets an idempotency key and a durable row before it is signed, and
the transaction manager's exactly-once guarantees hold across a killed process. It is written against
``ledger.outbox`` / ``ledger.chain`` directly; when the report and release services offer the same calls
for a non-API caller it can be replaced by a thin adapter without touching the runner.

Idempotency: the key of an action is ``oracle:<action key>:<attempt>``. After a restart the runner asks
with the same attempt number, so an operation already queued or sent is awaited, never sent again; only
an operation that *failed* moves the action to the next attempt. Before queueing, the chain is asked
whether the work is already done (the registry's ``reportAttestation`` for the source id, the right's
status for a gate move): a done action is a no-op, as is the registry's ``AttestationSourceAlreadyAccepted``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ledger.chain import ChainClient, Contract
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.domain.errors import ContractRevert
from ledger.outbox import Operation, OperationStatus, Outbox, TransactionManager, Write
from oracles.facts import GateMovement
from oracles.mapping import GateCall
from oracles.quorum import SignedReport

_log = logging.getLogger(__name__)

ZERO32 = b"\x00" * 32
GATED_OUT, GATED_IN = 3, 4  # ReleaseTypes.sol ReleaseStatus

# Refusals that another party's later action can lift (the customs release is not on chain yet, the
# pick-up window has not opened, the container has not gone out yet): the message waits and is retried.
WAITING_ERRORS = frozenset(
    {"ReleaseNoCustomsRelease", "ReleaseCustomsHold", "ReleaseRightNotValid", "ReleaseNotGatedOut"}
)


class Outcome(StrEnum):
    SUBMITTED = "submitted"  # mined now
    ALREADY_DONE = "already_done"  # accepted / recorded earlier: a no-op


@dataclass(frozen=True, slots=True)
class Submission:
    outcome: Outcome
    tx_hash: str | None = None
    uid: str | None = None


class SubmissionRefused(Exception):
    """The contract refused the write (decoded error in ``revert``); ``waiting`` when it may pass later."""

    def __init__(self, revert: ContractRevert) -> None:
        self.revert = revert
        self.waiting = revert.name in WAITING_ERRORS
        super().__init__(str(revert))


class Submitter(Protocol):
    """What the runner needs to put its actions on chain."""

    def submit_report(self, agency: int, signed: SignedReport, key: str, attempt: int) -> Submission: ...

    def report_done(self, agency: int, schema: bytes, source_id: bytes) -> bytes | None: ...

    def gate(self, call: GateCall, key: str, attempt: int) -> Submission: ...


class AttemptFailed(Exception):
    """The operation of this attempt failed on chain for a reason that is not a contract refusal."""


class OutboxSubmitter:
    """Reports relayed by ``relayer``, gate calls sent by ``terminal`` (a member of the terminal org)."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        attestations: Contract,
        release: Contract,
        *,
        org: str,
        relayer: TransactionSigner | None = None,
        terminal: TransactionSigner | None = None,
        drain_timeout: float = 60.0,
    ) -> None:
        self.db = db
        self.chain = chain
        self.attestations = attestations
        self.release = release
        self.org = org
        self.relayer = relayer
        self.terminal = terminal
        self.outbox = Outbox(db, chain)
        signers = [s for s in (relayer, terminal) if s is not None]
        self.manager = TransactionManager(db, chain, signers, resend_after=2.0)
        self.drain_timeout = drain_timeout

    def recover(self) -> None:
        """Start-up: re-check mined operations against the chain (see the transaction manager)."""
        self.manager.recover()

    # -- reports -----------------------------------------------------------------------------------
    def report_done(self, agency: int, schema: bytes, source_id: bytes) -> bytes | None:
        uid: bytes = self.attestations.call("reportAttestation", agency, schema, source_id)
        return None if uid == ZERO32 else uid

    def submit_report(self, agency: int, signed: SignedReport, key: str, attempt: int) -> Submission:
        if self.relayer is None:
            raise RuntimeError("this oracle has no relayer key to submit reports")
        report = signed.report
        write = Write.call(
            self.attestations,
            "submitReport",
            report.as_struct(),
            report.data,
            list(signed.signatures),
            org=self.org,
            kind="oracle.submitReport",
            signer=self.relayer.address,
            idempotency_key=f"oracle:{key}:{attempt}",
        )
        existing = self.outbox.find(self.org, write.idempotency_key or "")
        if existing is None:
            done = self.report_done(agency, report.schema, report.source_id)
            if done is not None:
                return Submission(Outcome.ALREADY_DONE, uid="0x" + done.hex())
        try:
            op = self._run(write, existing)
        except SubmissionRefused as exc:
            if exc.revert.name != "AttestationSourceAlreadyAccepted":
                raise
            done = self.report_done(agency, report.schema, report.source_id)
            return Submission(Outcome.ALREADY_DONE, uid="0x" + done.hex() if done else None)
        uid = self.report_done(agency, report.schema, report.source_id)
        return Submission(Outcome.SUBMITTED, tx_hash=op.tx_hash, uid="0x" + uid.hex() if uid else None)

    # -- gate moves --------------------------------------------------------------------------------
    def gate(self, call: GateCall, key: str, attempt: int) -> Submission:
        if self.terminal is None:
            raise RuntimeError("this oracle has no terminal key to record gate moves")
        if call.movement is GateMovement.GATE_OUT:
            write = Write.call(
                self.release,
                "gateOut",
                call.bill_id,
                call.container_number,
                call.haulier,
                call.code_digest,
                call.eir.as_struct(),
                org=self.org,
                kind="oracle.gateOut",
                signer=self.terminal.address,
                idempotency_key=f"oracle:{key}:{attempt}",
            )
            done_states = {GATED_OUT, GATED_IN}
        else:
            write = Write.call(
                self.release,
                "gateIn",
                call.bill_id,
                call.container_number,
                call.eir.as_struct(),
                org=self.org,
                kind="oracle.gateIn",
                signer=self.terminal.address,
                idempotency_key=f"oracle:{key}:{attempt}",
            )
            done_states = {GATED_IN}
        existing = self.outbox.find(self.org, write.idempotency_key or "")
        if existing is None and self._right_status(call) in done_states:
            return Submission(Outcome.ALREADY_DONE)
        op = self._run(write, existing)
        return Submission(Outcome.SUBMITTED, tx_hash=op.tx_hash)

    def _right_status(self, call: GateCall) -> int:
        right_id = self.release.call("rightIdOf", call.bill_id, call.container_number)
        right = self.release.call("releaseRight", right_id)
        return int(right["status"])

    # -- the outbox --------------------------------------------------------------------------------
    def _run(self, write: Write, existing: Operation | None) -> Operation:
        """Queue ``write`` (unless this attempt's operation exists) and drive it to a final state."""
        if existing is None:
            try:
                existing = self.outbox.enqueue(write)
            except ContractRevert as exc:
                raise SubmissionRefused(exc) from None
        if existing.status in (OperationStatus.QUEUED.value, OperationStatus.SENT.value):
            self.manager.drain(self.drain_timeout)
        op = self.outbox.get(existing.id)
        if op.status == OperationStatus.MINED.value:
            return op
        if op.error_code and op.error_detail is not None:
            revert = _revert_of(op)
            if revert is not None:
                raise SubmissionRefused(revert)
        raise AttemptFailed(f"operation {op.id} ended {op.status}: {op.error_code} {op.error_detail}")


def _revert_of(op: Operation) -> ContractRevert | None:
    """The contract error a failed operation recorded (its code is the error name in SCREAMING_SNAKE)."""
    code = op.error_code or ""
    if code in ("TRANSACTION_REJECTED", "NONCE_CONSUMED"):
        return None
    name = (op.error_detail or "").partition("(")[0] or "".join(part.title() for part in code.split("_"))
    return ContractRevert(name, {}, b"", op.tx_hash)
