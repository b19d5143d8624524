"""Submitting what the oracles produce: signed k-of-n reports and the terminal's gate calls.

The runner talks to a ``Submitter``; :class:`ServiceSubmitter` is the implementation over the node's
own services, taken from the composition root (``ledger.bootstrap.Ledger``): reports go through
``ReportService.submit`` (operation kind ``attestation.report``) and gate moves through
``ReleaseService.record_gate_out`` / ``record_gate_in`` (``release.gate_out`` / ``release.gate_in``),
the very writes the API makes. Every write gets an idempotency key and a durable outbox row before it
is signed, so the transaction manager's exactly-once guarantees hold across a killed process; the
oracle process runs no background manager and drives each write to its end (``Ledger.drain``).

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
from typing import Any, Protocol

from ledger.bootstrap import Ledger
from ledger.domain.errors import ContractRevert
from ledger.services.consortium import Actor
from ledger.services.releases import ReleaseStatus
from oracles.facts import GateMovement
from oracles.mapping import GateCall
from oracles.quorum import SignedReport

_log = logging.getLogger(__name__)


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


class ServiceSubmitter:
    """Reports relayed and gate calls sent by ``sender`` (an account of the agency or terminal
    organisation), through the services of ``ledger``."""

    def __init__(self, ledger: Ledger, sender: Actor | None, *, drain_timeout: float = 60.0) -> None:
        self.ledger = ledger
        self.sender = sender
        self.drain_timeout = drain_timeout

    def recover(self) -> None:
        """Start-up: re-check mined operations against the chain (see the transaction manager)."""
        self.ledger.recover()

    # -- reports -----------------------------------------------------------------------------------
    def report_done(self, agency: int, schema: bytes, source_id: bytes) -> bytes | None:
        return self.ledger.reports.accepted(agency, schema, source_id)

    def submit_report(self, agency: int, signed: SignedReport, key: str, attempt: int) -> Submission:
        sender = self._sender("submit reports")
        report = signed.report
        idempotency_key = f"oracle:{key}:{attempt}"
        if self.ledger.operations.find(sender.key, idempotency_key) is None:
            done = self.report_done(agency, report.schema, report.source_id)
            if done is not None:
                return Submission(Outcome.ALREADY_DONE, uid="0x" + done.hex())
        try:
            view = self._run(
                lambda: (
                    self.ledger.reports.submit(
                        report, list(signed.signatures), relayer=sender, idempotency_key=idempotency_key
                    ).operation
                )
            )
        except SubmissionRefused as exc:
            if exc.revert.name != "AttestationSourceAlreadyAccepted":
                raise
            view = None
        done = self.report_done(agency, report.schema, report.source_id)
        uid = "0x" + done.hex() if done else None
        if view is None:
            return Submission(Outcome.ALREADY_DONE, uid=uid)
        return Submission(Outcome.SUBMITTED, tx_hash=view["txHash"], uid=uid)

    # -- gate moves --------------------------------------------------------------------------------
    def gate(self, call: GateCall, key: str, attempt: int) -> Submission:
        sender = self._sender("record gate moves")
        idempotency_key = f"oracle:{key}:{attempt}"
        releases = self.ledger.releases
        eir = call.eir.as_struct()
        if call.movement is GateMovement.GATE_OUT:
            done_states = {ReleaseStatus.GATED_OUT, ReleaseStatus.GATED_IN}

            def write() -> Any:
                return releases.record_gate_out(
                    sender,
                    call.bill_id,
                    call.container_number,
                    call.haulier,
                    call.code_digest,
                    eir,
                    idempotency_key=idempotency_key,
                )
        else:
            done_states = {ReleaseStatus.GATED_IN}

            def write() -> Any:
                return releases.record_gate_in(
                    sender, call.bill_id, call.container_number, eir, idempotency_key=idempotency_key
                )

        queued = self.ledger.operations.find(sender.key, idempotency_key)
        if queued is None and releases.status_on_chain(call.bill_id, call.container_number) in done_states:
            return Submission(Outcome.ALREADY_DONE)
        view = self._run(write)
        return Submission(Outcome.SUBMITTED, tx_hash=view["txHash"])

    # -- one write to its end ----------------------------------------------------------------------
    def _sender(self, what: str) -> Actor:
        if self.sender is None:
            raise RuntimeError(f"this oracle has no sender key to {what}")
        return self.sender

    def _run(self, queue: Any) -> dict[str, Any]:
        """Queue the write (the same idempotency key returns this attempt's operation if it exists) and
        drive it to a final state; the operation as the API shows it."""
        try:
            op = queue()
        except ContractRevert as exc:
            raise SubmissionRefused(exc) from None
        operations = self.ledger.operations
        view: dict[str, Any] = operations.present(op)
        if view["status"] == "pending":
            self.ledger.drain(self.drain_timeout)
            view = operations.view(op.id, op.org)
        if view["status"] == "mined":
            return view
        error = view.get("error") or {}
        revert = _revert_of(error.get("code"), error.get("detail"), view.get("txHash"))
        if revert is not None:
            raise SubmissionRefused(revert)
        raise AttemptFailed(
            f"operation {op.id} ended {view['status']}: {error.get('code')} {error.get('detail')}"
        )


def _revert_of(code: str | None, detail: str | None, tx_hash: str | None) -> ContractRevert | None:
    """The contract error a failed operation recorded (its code is the error name in SCREAMING_SNAKE)."""
    if not code or code in ("TRANSACTION_REJECTED", "NONCE_CONSUMED"):
        return None
    name = (detail or "").partition("(")[0] or "".join(part.title() for part in code.split("_"))
    return ContractRevert(name, {}, b"", tx_hash)
