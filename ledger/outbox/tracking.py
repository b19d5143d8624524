"""Tracking: the receipts of a signer's sent transactions become its operations' outcomes.

One look per signer reads the signer's mined nonce count and, in one batch, the receipts of every
hash signed for its ``sent`` operations below that count (a row at or above it cannot be mined yet).
Status 1 → ``mined``, with the operation's ``result`` built from the receipt; status 0 → ``failed``
with the revert decoded from an ``eth_call`` replay at the block before (or ``OutOfGas``); a mined
nonce filler → ``failed`` with ``TRANSACTION_REJECTED``. An operation without a receipt:

- its nonce is below the chain's count for ``consumed_after`` seconds → ``failed`` with
  ``NONCE_CONSUMED`` (a node may count a nonce a moment before its receipt can be read);
- it holds the next nonce for ``stuck_after`` seconds → handed back to be re-signed;
- ``resend_after`` seconds since it was last sent → handed back to be re-sent with the same bytes.

Outcomes are written with a guard on the operation's status and current hash, so several managers
may track the same signer; ``on_mined`` runs inside the transaction that marks operations mined.
Must not: sign or send (what to re-send or re-sign goes back to the caller).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlmodel import Session

from ledger.chain import ChainClient, Receipt, RpcError
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.domain.errors import ContractRevert
from ledger.outbox.models import Operation, OperationStatus, utcnow
from ledger.outbox.sending import Sending, chunks
from ledger.outbox.transactions import (
    NONCE_CONSUMED,
    TRANSACTION_REJECTED,
    SignedTransaction,
    hashes,
    quantity,
)

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]

SENT = OperationStatus.SENT.value
MINED = OperationStatus.MINED.value
FAILED = OperationStatus.FAILED.value

ResultBuilder = Callable[[Operation, Receipt], dict[str, Any]]
"""Turns the receipt of a mined operation into (part of) its ``result``, by operation kind."""
MinedHook = Callable[[Session, list[Operation]], None]
"""Called inside the transaction that marks operations mined."""


@dataclass
class Tracked:
    """What one look at a signer's sent operations found."""

    unmined: int = 0
    """Still in flight afterwards (sent, no outcome yet)."""
    mined: int = 0
    failed: int = 0
    waiting: int = 0
    """Without a receipt, but not yet due for anything."""
    resend: list[SignedTransaction] = field(default_factory=list)
    """Due to be sent again, same bytes."""
    stuck: list[Any] = field(default_factory=list)
    """Rows due to be re-signed at their nonce (see :meth:`ledger.outbox.nonces.Nonces.resign`)."""


class Tracker:
    """Reads receipts for the sent operations of signers on ``chain`` and records their outcomes."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        sending: Sending,
        *,
        track_limit: int,
        resend_after: float,
        consumed_after: float,
        stuck_after: float,
        results: Mapping[str, ResultBuilder] | None = None,
        on_mined: MinedHook | None = None,
    ):
        self.db = db
        self.chain = chain
        self.sending = sending
        self.track_limit = track_limit
        self.resend_after = resend_after
        self.consumed_after = consumed_after
        self.stuck_after = stuck_after
        self.results = dict(results or {})
        self.on_mined = on_mined
        self._consumed_seen: dict[str, float] = {}
        self._stuck_seen: dict[str, float] = {}

    def track(self, signer: TransactionSigner) -> Tracked:
        """Record the outcomes of ``signer``'s sent transactions that have a receipt (up to
        ``track_limit``, in nonce order); say which of the others are due for re-sending or re-signing."""
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(
                        OPS.c.id,
                        OPS.c.kind,
                        OPS.c.nonce,
                        OPS.c.tx_hash,
                        OPS.c.raw_tx,
                        OPS.c.target,
                        OPS.c.calldata,
                        OPS.c.gas,
                        OPS.c.error_code,
                        OPS.c.replaced_tx_hashes,
                    )
                    .where(
                        OPS.c.chain_id == self.chain.chain_id,
                        OPS.c.signer == signer.address,
                        OPS.c.status == SENT,
                    )
                    .order_by(OPS.c.nonce)
                    .limit(self.track_limit)
                )
                .all()
            )
        tracked = Tracked()
        if not rows:
            return tracked
        chain_nonce, receipts = self._receipts(rows, signer.address)
        mined: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        now = time.monotonic()
        for row in rows:
            found = [(h, receipts[h]) for h in hashes(row) if receipts.get(h) is not None]
            if not found:
                if row.nonce < chain_nonce and self._seen_for(self._consumed_seen, row.tx_hash, now) >= (
                    self.consumed_after
                ):
                    failed.append(
                        {
                            **_outcome(row, row.tx_hash, None),
                            "b_code": NONCE_CONSUMED,
                            "b_detail": f"nonce {row.nonce} was used by another transaction",
                        }
                    )
                elif row.nonce < chain_nonce:
                    tracked.waiting += 1  # a node may count the nonce before its receipt is readable
                elif (
                    row.nonce == chain_nonce
                    and self._seen_for(self._stuck_seen, row.tx_hash, now) >= self.stuck_after
                ):
                    tracked.stuck.append(row)
                elif now - self.sending.last_sent(row.tx_hash) >= self.resend_after:
                    tracked.resend.append(SignedTransaction(row.id, row.nonce, row.raw_tx, row.tx_hash))
                else:
                    tracked.waiting += 1
                continue
            mined_hash, raw = found[0]
            outcome = _outcome(row, mined_hash, raw)
            for h in hashes(row):
                self.forget(h)
            if quantity(raw.get("status", "0x1")) == 1:
                if row.error_code == TRANSACTION_REJECTED and mined_hash == row.tx_hash:  # the nonce filler
                    failed.append({**outcome, "b_code": row.error_code, "b_detail": None})
                else:
                    outcome["b_result"] = self._result(row, raw)
                    mined.append(outcome)
            else:
                revert = self._replay(signer, row, raw)
                failed.append({**outcome, "b_code": revert.code, "b_detail": str(revert)})
        if mined or failed:
            self._record(mined, failed)
        tracked.mined = len(mined)
        tracked.failed = len(failed)
        tracked.unmined = len(rows) - len(mined) - len(failed)
        return tracked

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Any]:
        """Mined receipts by transaction hash (None for those not mined or not readable yet)."""
        out: dict[str, Any] = {}
        for chunk in chunks(tx_hashes, 500):
            answers = self.chain.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, answer in zip(chunk, answers, strict=True):
                raw = answer.get("result")
                out[tx_hash] = raw if raw is not None and raw.get("blockNumber") is not None else None
        return out

    def forget(self, tx_hash: str) -> None:
        """Drop what this process remembers about ``tx_hash`` (when sent, since when in a condition)."""
        self.sending.forget(tx_hash)
        self._consumed_seen.pop(tx_hash, None)
        self._stuck_seen.pop(tx_hash, None)

    def _receipts(self, rows: Sequence[Any], address: str) -> tuple[int, dict[str, Any]]:
        """The signer's mined nonce count, then the receipts of the rows below it (by transaction
        hash; None where not readable yet). A row at or above the count cannot be mined, so its
        receipt is not asked for: a node answers a lookup of an unknown hash slowly on a long chain."""
        chain_nonce = quantity(self.chain.rpc("eth_getTransactionCount", [address, "latest"]))
        return chain_nonce, self.receipts([h for r in rows if r.nonce < chain_nonce for h in hashes(r)])

    @staticmethod
    def _seen_for(seen: dict[str, float], tx_hash: str, now: float) -> float:
        """For how long ``tx_hash`` has been found in the condition ``seen`` records."""
        return now - seen.setdefault(tx_hash, now)

    def _result(self, row: Any, raw: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"gasUsed": quantity(raw["gasUsed"])}
        builder = self.results.get(row.kind)
        if builder is not None:
            op = Operation(
                id=row.id,
                org="",
                kind=row.kind,
                request_hash="",
                chain_id=self.chain.chain_id,
                target=row.target,
                calldata=row.calldata,
                signer="",
                tx_hash=row.tx_hash,
            )
            result.update(builder(op, self.chain.to_receipt(raw)))
        return result

    def _replay(self, signer: TransactionSigner, row: Any, raw: Mapping[str, Any]) -> ContractRevert:
        """The decoded error of a reverted transaction, from an ``eth_call`` replay before its block."""
        tx_hash = row.tx_hash
        if row.gas is not None and quantity(raw["gasUsed"]) >= row.gas:
            return ContractRevert("OutOfGas", {"gas": row.gas}, b"", tx_hash)
        tx = {"from": signer.address, "to": row.target, "data": "0x" + row.calldata.hex()}
        try:
            self.chain.eth_call(tx, block=max(quantity(raw["blockNumber"]) - 1, 0))
        except ContractRevert as revert:
            revert.tx_hash = tx_hash
            return revert
        except RpcError as exc:  # the node no longer holds that block's state (pruned history)
            _log.warning("could not replay %s to name its revert: %s", tx_hash, exc)
        return ContractRevert("TransactionReverted", {"txHash": tx_hash}, b"", tx_hash)

    def _record(self, mined: list[dict[str, Any]], failed: list[dict[str, Any]]) -> None:
        now = utcnow()
        guard = and_(
            OPS.c.id == bindparam("b_id"), OPS.c.status == SENT, OPS.c.tx_hash == bindparam("b_hash")
        )
        with self.db.transaction() as session:
            connection = session.connection()
            if mined:
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=MINED,
                        tx_hash=bindparam("b_mined_hash"),
                        replaced_tx_hashes=bindparam("b_replaced", type_=OPS.c.replaced_tx_hashes.type),
                        error_code=None,
                        error_detail=None,
                        block_number=bindparam("b_block"),
                        block_hash=bindparam("b_block_hash"),
                        result=bindparam("b_result", type_=OPS.c.result.type),
                        mined_at=now,
                        updated_at=now,
                    ),
                    mined,
                )
            if failed:
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=FAILED,
                        tx_hash=bindparam("b_mined_hash"),
                        replaced_tx_hashes=bindparam("b_replaced", type_=OPS.c.replaced_tx_hashes.type),
                        block_number=bindparam("b_block"),
                        block_hash=bindparam("b_block_hash"),
                        error_code=bindparam("b_code"),
                        error_detail=func.coalesce(bindparam("b_detail"), OPS.c.error_detail),
                        mined_at=now,
                        updated_at=now,
                    ),
                    failed,
                )
            if mined and self.on_mined is not None:
                ops = session.scalars(
                    select(Operation).where(Operation.id.in_([m["b_id"] for m in mined]))  # type: ignore[attr-defined]
                ).all()
                self.on_mined(session, list(ops))


def _outcome(row: Any, mined_hash: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Bind parameters recording ``row``'s outcome; the mined hash becomes ``tx_hash``."""
    others = [h for h in hashes(row) if h != mined_hash]
    return {
        "b_id": row.id,
        "b_hash": row.tx_hash,
        "b_mined_hash": mined_hash,
        "b_replaced": others or None,
        "b_block": quantity(raw["blockNumber"]) if raw else None,
        "b_block_hash": raw["blockHash"] if raw else None,
    }
