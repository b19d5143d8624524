"""Start-up recovery: the chain may have lost blocks the outbox recorded outcomes in.

anvil writes its state every ``--state-interval`` seconds; after SIGKILL it comes back behind what
the outbox recorded. For each signer the blocks recorded for mined and reverted operations are
walked from the newest down until one still has the recorded hash (every older one then does too).
For the operations in the blocks above it: a receipt elsewhere corrects the block; no receipt puts
the operation back to ``sent``, and the next steps re-send its stored transactions, in nonce order,
unchanged (so each is still included at most once). Must not: sign or send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table, and_, select, tuple_, update

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.outbox.models import Operation, OperationStatus, utcnow
from ledger.outbox.tracking import Tracker
from ledger.outbox.transactions import TRANSACTION_REJECTED, hashes, quantity

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]

SENT = OperationStatus.SENT.value


@dataclass
class RecoveryReport:
    """What ``recover()`` found after a restart."""

    blocks_checked: int = 0
    stale_blocks: int = 0
    moved: int = 0
    lost: list[str] = field(default_factory=list)


class Recovery:
    """Puts the outcomes recorded in blocks the chain no longer has back in order."""

    def __init__(self, db: Database, chain: ChainClient, tracker: Tracker):
        self.db = db
        self.chain = chain
        self.tracker = tracker

    def recover(self, signers: Iterable[str], page: int = 100) -> RecoveryReport:
        """Put back to ``sent`` every operation of ``signers`` whose recorded block is gone and whose
        receipt is gone with it; correct the block of those re-mined elsewhere. The next steps
        re-send them."""
        report = RecoveryReport()
        for address in signers:
            stale = self._stale_blocks(address, page, report)
            if stale:
                self._reopen(address, stale, report)
        if report.stale_blocks:
            _log.warning(
                "chain is behind the outbox: %d blocks gone, %d operations to re-send",
                report.stale_blocks,
                len(report.lost),
            )
        return report

    def _stale_blocks(self, address: str, page: int, report: RecoveryReport) -> list[tuple[int, str]]:
        stale: list[tuple[int, str]] = []
        offset = 0
        while True:
            with self.db.transaction() as session:
                blocks = (
                    session.connection()
                    .execute(
                        select(OPS.c.block_number, OPS.c.block_hash)
                        .where(
                            OPS.c.chain_id == self.chain.chain_id,
                            OPS.c.signer == address,
                            OPS.c.block_hash.is_not(None),
                        )
                        .distinct()
                        .order_by(OPS.c.block_number.desc())
                        .limit(page)
                        .offset(offset)
                    )
                    .all()
                )
            if not blocks:
                return stale
            answers = self.chain.batch(
                [("eth_getBlockByNumber", [hex(b.block_number), False]) for b in blocks]
            )
            for block, answer in zip(blocks, answers, strict=True):
                report.blocks_checked += 1
                found = answer.get("result")
                if found is not None and found.get("hash") == block.block_hash:
                    return stale  # canonical: every older block is too
                stale.append((block.block_number, block.block_hash))
            offset += page

    def _reopen(self, address: str, stale: list[tuple[int, str]], report: RecoveryReport) -> None:
        report.stale_blocks += len(stale)
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(
                        OPS.c.id, OPS.c.tx_hash, OPS.c.replaced_tx_hashes, OPS.c.error_code, OPS.c.status
                    ).where(
                        OPS.c.chain_id == self.chain.chain_id,
                        OPS.c.signer == address,
                        tuple_(OPS.c.block_number, OPS.c.block_hash).in_(stale),
                    )
                )
                .all()
            )
        receipts = self.tracker.receipts([h for r in rows for h in hashes(r)])
        now = utcnow()
        with self.db.transaction() as session:
            connection = session.connection()
            for row in rows:
                guard = and_(OPS.c.id == row.id, OPS.c.tx_hash == row.tx_hash, OPS.c.status == row.status)
                found = [(h, receipts[h]) for h in hashes(row) if receipts.get(h) is not None]
                if found:
                    mined_hash, raw = found[0]
                    connection.execute(
                        update(OPS)
                        .where(guard)
                        .values(
                            tx_hash=mined_hash,
                            replaced_tx_hashes=[h for h in hashes(row) if h != mined_hash] or None,
                            block_number=quantity(raw["blockNumber"]),
                            block_hash=raw["blockHash"],
                            updated_at=now,
                        )
                    )
                    report.moved += 1
                    continue
                keep_error = row.error_code == TRANSACTION_REJECTED
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=SENT,
                        block_number=None,
                        block_hash=None,
                        result=None,
                        mined_at=None,
                        error_code=OPS.c.error_code if keep_error else None,
                        error_detail=OPS.c.error_detail if keep_error else None,
                        updated_at=now,
                    )
                )
                for h in hashes(row):
                    self.tracker.forget(h)
                report.lost.append(row.id)
