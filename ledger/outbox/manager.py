"""The transaction manager: one loop that composes the outbox's parts into steps.

One manager serves a set of signers on one chain; several managers (threads or processes) may
serve the same signers, because every nonce is handed out under a database lock and every outcome
is written with a guard on the operation's current state.

Exactly once: a queued operation gets its nonce, its signed raw transaction and its hash in the
same database transaction, before anything is sent. From then on only that raw transaction is
ever sent for it (again after a restart, again after the node dropped it), so the chain can
include it at most once, and the receipt of its hash is its outcome.

One ``step()``, per signer:
1. track (:mod:`ledger.outbox.tracking`): receipts of the ``sent`` operations become outcomes;
   those due are re-sent with the same bytes, or re-signed at their nonce when a node keeps them
   without mining them. Tracking comes first so that what the previous step sent has had time to
   be mined;
2. gas (:mod:`ledger.outbox.gas`): queued operations without a gas limit are estimated; one that
   would revert now fails and never takes a nonce;
3. allocate (:mod:`ledger.outbox.nonces`): under the lock, up to ``batch_size`` queued operations
   get consecutive nonces and are signed and stored (status ``sent``), while fewer than
   ``max_in_flight`` of the signer's transactions are unmined;
4. send (:mod:`ledger.outbox.sending`): the new raw transactions go out in JSON-RPC batches; one
   the node refuses for good has its nonce filled (:meth:`~ledger.outbox.nonces.Nonces.fill`) and
   the filler is sent at once.

Chain rollback: ``recover()`` (:mod:`ledger.outbox.recovery`, called by ``run()`` at start-up)
reopens operations whose recorded blocks the chain lost; the next steps re-send them.

When a mined operation is visible to clients is the index's business (an operation at or below the
block it has projected through, :func:`ledger.index.indexer.projected_through`); the manager writes
nothing for it. ``on_mined`` is called inside the transaction that marks operations mined, for hooks
that need it. The
manager holds no rule of its own beyond the order of the parts and the pacing of the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, func, select

from ledger.chain import ChainClient
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.domain.errors import ChainUnavailable
from ledger.outbox.gas import GasEstimator
from ledger.outbox.lease import ChainWorkerLease
from ledger.outbox.models import Operation, OperationStatus
from ledger.outbox.nonces import Nonces
from ledger.outbox.recovery import Recovery, RecoveryReport
from ledger.outbox.sending import Sending
from ledger.outbox.tracking import MinedHook, ResultBuilder, Tracker
from ledger.outbox.transactions import SignedTransaction

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "MinedHook",
    "RecoveryReport",
    "ResultBuilder",
    "StepReport",
    "TransactionManager",
]

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]

QUEUED = OperationStatus.QUEUED.value
SENT = OperationStatus.SENT.value

DEFAULT_MAX_IN_FLIGHT = 128
"""Sent, unmined transactions per signer before it signs more. anvil's automine was seen to stop
mining altogether with ~2,000 pending from four signers; a chain with block times wants more (the
setting ``outbox_max_in_flight``)."""


@dataclass
class StepReport:
    """What one step did."""

    estimated: int = 0
    signed: int = 0
    sent: int = 0
    resent: int = 0
    mined: int = 0
    failed: int = 0
    waiting: int = 0
    rejected: int = 0

    @property
    def progressed(self) -> bool:
        return bool(self.estimated or self.signed or self.mined or self.failed or self.rejected)

    def add(self, other: StepReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class TransactionManager:
    """Signs, sends and tracks the outbox's operations for ``signers`` on ``chain``."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        signers: Sequence[TransactionSigner],
        *,
        batch_size: int = 200,
        track_limit: int = 2000,
        resend_after: float = 5.0,
        poll_interval: float = 0.005,
        idle_interval: float = 0.2,
        waiting_interval: float = 0.02,
        gas_headroom: float = 0.5,
        consumed_after: float = 2.0,
        stuck_after: float = 30.0,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        results: Mapping[str, ResultBuilder] | None = None,
        on_mined: MinedHook | None = None,
        lease: ChainWorkerLease | None = None,
    ):
        self.db = db
        self.chain = chain
        self.signers = {s.address: s for s in signers}
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.waiting_interval = waiting_interval
        self.gas = GasEstimator(db, chain, batch_size=batch_size, headroom=gas_headroom)
        self.lease = lease
        """When set, nonces are handed out and transactions sent only while this process holds it."""
        self.nonces = Nonces(db, chain, fence=lease.check if lease is not None else None)
        self.sending = Sending(chain, batch_size=batch_size)
        self.tracker = Tracker(
            db,
            chain,
            self.sending,
            track_limit=track_limit,
            resend_after=resend_after,
            consumed_after=consumed_after,
            stuck_after=stuck_after,
            results=results,
            on_mined=on_mined,
        )
        self.recovery = Recovery(db, chain, self.tracker)

    @property
    def chain_id(self) -> int:
        return self.chain.chain_id

    @property
    def gas_price(self) -> int:
        return self.nonces.gas_price

    # -- the loop ----------------------------------------------------------------------------------
    def step(self) -> StepReport:
        report = StepReport()
        for signer in self.signers.values():
            # Track first: the transactions sent by the previous step have had time to be mined.
            in_flight = self._track(signer, report)
            estimated, failed = self.gas.estimate(signer)
            report.estimated += estimated
            report.failed += failed
            room = min(self.batch_size, self.max_in_flight - in_flight)
            if room <= 0:
                report.waiting += 1  # the node's pool holds enough of this signer's transactions
                continue
            fresh = self.nonces.allocate(signer, room)
            report.signed += len(fresh)
            self._send(signer, fresh, report, resend=False)
        return report

    def run(
        self,
        stop: threading.Event,
        *,
        on_step: Callable[[StepReport], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """Step until ``stop`` is set; waits out a chain that does not answer.

        A step that changes nothing doubles the pause before the next one, up to
        ``idle_interval`` when nothing is in flight (``waiting_interval`` while receipts are
        awaited), so an idle manager does not spend the process's CPU on empty queries. ``wake``
        (the in-process ``Outbox.enqueued`` event) ends a pause as soon as a write is queued.
        """
        self.recover()
        pause = self.poll_interval
        while not stop.is_set():
            try:
                report = self.step()
            except ChainUnavailable as exc:
                _log.warning("chain unavailable, retrying: %s", exc)
                stop.wait(0.5)
                continue
            if on_step is not None:
                on_step(report)
            if report.progressed:
                pause = self.poll_interval
                continue
            ceiling = self.waiting_interval if report.waiting else self.idle_interval
            pause = min(pause * 2, ceiling)
            if wake is None:
                stop.wait(pause)
            elif wake.wait(pause):
                wake.clear()
                pause = self.poll_interval

    def pending(self) -> int:
        """Operations of this manager's signers that are not final yet."""
        with self.db.transaction() as session:
            count = session.connection().execute(
                select(func.count())
                .select_from(OPS)
                .where(
                    OPS.c.chain_id == self.chain_id,
                    OPS.c.signer.in_(list(self.signers)),
                    OPS.c.status.in_([QUEUED, SENT]),
                )
            )
            return int(count.scalar_one())

    def drain(self, timeout: float = 60.0) -> StepReport:
        """Step until every operation of these signers is final (``TimeoutError`` after ``timeout``)."""
        total = StepReport()
        deadline = time.monotonic() + timeout
        while True:
            report = self.step()
            total.add(report)
            if report.waiting == 0 and self.pending() == 0:
                return total
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.pending()} operations still pending after {timeout}s")
            if not report.progressed:
                time.sleep(self.poll_interval)

    def recover(self, page: int = 100) -> RecoveryReport:
        """Reopen the operations recorded in blocks the chain lost (see :mod:`ledger.outbox.recovery`)."""
        return self.recovery.recover(self.signers, page)

    # -- composing the parts -----------------------------------------------------------------------
    def _track(self, signer: TransactionSigner, report: StepReport) -> int:
        """Record receipts of this signer's sent transactions, re-send and re-sign those due;
        returns how many are still unmined."""
        tracked = self.tracker.track(signer)
        report.mined += tracked.mined
        report.failed += tracked.failed
        report.waiting += tracked.waiting
        if tracked.resend:
            self._send(signer, tracked.resend, report, resend=True)
        for row in tracked.stuck:
            fresh = self.nonces.resign(signer, row)
            if fresh is None:
                continue
            self.tracker.forget(row.tx_hash)
            self._send(signer, [fresh], report, resend=True)
        return tracked.unmined

    def _send(
        self,
        signer: TransactionSigner,
        items: Sequence[SignedTransaction],
        report: StepReport,
        *,
        resend: bool,
    ) -> None:
        """Send ``items``; a transaction the node refuses for good gets a nonce filler, sent at once."""
        if items and self.lease is not None:
            self.lease.check()  # a worker that lost the lease sends nothing (LeaseLost)

        def refused(item: SignedTransaction, message: str) -> None:
            filler = self.nonces.fill(signer, item, message)
            if filler is not None:
                report.rejected += 1
                self._send(signer, [filler], report, resend=True)

        sent = self.sending.send(items, refused)
        if resend:
            report.resent += sent
        else:
            report.sent += sent
