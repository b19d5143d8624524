"""Gas limits for queued operations stored without one.

An operation enqueued without a pre-check (or on a node without ``eth_createAccessList``) has no gas
limit yet. Before nonces are handed out, a signer's such operations are estimated in one JSON-RPC
batch (``eth_estimateGas``) and get the limit with headroom of :func:`ledger.outbox.enqueue.gas_limit`;
one that would revert now fails with the decoded error and never takes a nonce. Must not: sign, send
or touch an operation that is no longer ``queued``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from ledger.chain import ChainClient
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.outbox.enqueue import gas_limit, revert_from_answer
from ledger.outbox.models import Operation, OperationStatus, utcnow
from ledger.outbox.transactions import quantity

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]

QUEUED = OperationStatus.QUEUED.value
FAILED = OperationStatus.FAILED.value


class GasEstimator:
    """Gives ``signer``'s queued operations without a gas limit one, ``batch_size`` at a time."""

    def __init__(self, db: Database, chain: ChainClient, *, batch_size: int, headroom: float):
        self.db = db
        self.chain = chain
        self.batch_size = batch_size
        self.headroom = headroom

    def estimate(self, signer: TransactionSigner) -> tuple[int, int]:
        """Estimate one batch; returns how many got a limit and how many failed as would-be reverts."""
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(OPS.c.id, OPS.c.target, OPS.c.calldata)
                    .where(
                        OPS.c.chain_id == self.chain.chain_id,
                        OPS.c.signer == signer.address,
                        OPS.c.status == QUEUED,
                        OPS.c.gas.is_(None),
                    )
                    .order_by(OPS.c.id)
                    .limit(self.batch_size)
                )
                .all()
            )
        if not rows:
            return 0, 0
        calls = [
            ("eth_estimateGas", [{"from": signer.address, "to": r.target, "data": "0x" + r.calldata.hex()}])
            for r in rows
        ]
        gas_updates: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for row, answer in zip(rows, self.chain.batch(calls), strict=True):
            if "result" in answer:
                estimate = quantity(answer["result"])
                gas_updates.append({"b_id": row.id, "b_gas": gas_limit(estimate, self.headroom)})
                continue
            revert = revert_from_answer(self.chain, answer["error"])
            if revert is None:
                _log.warning("gas estimate for %s failed: %s", row.id, answer["error"])
                continue
            failures.append({"b_id": row.id, "b_code": revert.code, "b_detail": str(revert)})
        now = utcnow()
        with self.db.transaction() as session:
            connection = session.connection()
            if gas_updates:
                connection.execute(
                    update(OPS)
                    .where(OPS.c.id == bindparam("b_id"), OPS.c.status == QUEUED)
                    .values(gas=bindparam("b_gas"), updated_at=now),
                    gas_updates,
                )
            if failures:
                _fail_queued(connection, failures, now)
        return len(gas_updates), len(failures)


def _fail_queued(connection: Connection, failures: list[dict[str, Any]], now: Any) -> None:
    connection.execute(
        update(OPS)
        .where(OPS.c.id == bindparam("b_id"), OPS.c.status == QUEUED)
        .values(
            status=FAILED, error_code=bindparam("b_code"), error_detail=bindparam("b_detail"), updated_at=now
        ),
        failures,
    )
