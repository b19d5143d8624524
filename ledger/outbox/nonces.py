"""Nonces at source: every nonce of a signer is handed out here, and every transaction the outbox
signs is signed here, at the nonce it holds.

Allocation: up to ``limit`` queued operations (with a gas limit) get consecutive nonces, are signed,
and nonce, raw transaction and hash are committed together with status ``sent``, under the
database lock (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` on the signer's row in
``outbox_signer_nonce`` on PostgreSQL), so several managers may serve the same signer. The first
allocation of a process also asks the chain for the pending nonce, in case the key was used
outside the outbox.

Replacing what a nonce holds, always under the lock and only if the operation still holds the
transaction being replaced (the replaced hash is kept in ``replaced_tx_hashes``):

- fill: a transaction the node refused for good gets a signed zero-value transfer to the signer
  itself at its nonce, and the operation is marked ``TRANSACTION_REJECTED`` (it fails once the
  filler is mined);
- re-sign: a transaction a node claims to know but never mines while it holds the next nonce is
  signed again with the same nonce and one more unit of gas per replacement.

Must not: send (the caller sends what these return) or read receipts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ledger.chain import ChainClient
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.outbox.models import Operation, OperationStatus, SignerNonce, utcnow
from ledger.outbox.signer import transaction_hash
from ledger.outbox.transactions import FILLER_GAS, TRANSACTION_REJECTED, SignedTransaction, quantity

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]
NONCES: Table = SignerNonce.__table__  # type: ignore[attr-defined]

QUEUED = OperationStatus.QUEUED.value
SENT = OperationStatus.SENT.value


class Nonces:
    """Hands out the nonces of signers on ``chain`` and signs the transactions stored at them."""

    def __init__(
        self, db: Database, chain: ChainClient, *, fence: Callable[[Connection], None] | None = None
    ):
        self.db = db
        self.chain = chain
        self.fence = fence
        """Called inside every transaction that hands out or replaces a nonce, before it writes: raises
        if this process may no longer do so (:class:`ledger.outbox.lease.ChainWorkerLease`)."""
        self._synced: set[str] = set()
        self._gas_price: int | None = None

    @property
    def gas_price(self) -> int:
        """The gas price every transaction is signed with (asked of the node once)."""
        if self._gas_price is None:
            self._gas_price = quantity(self.chain.rpc("eth_gasPrice"))
        return self._gas_price

    # -- allocation --------------------------------------------------------------------------------
    def allocate(self, signer: TransactionSigner, limit: int) -> list[SignedTransaction]:
        """Sign and store up to ``limit`` of ``signer``'s queued operations at consecutive nonces."""
        address = signer.address
        chain_id = self.chain.chain_id
        key = and_(NONCES.c.chain_id == chain_id, NONCES.c.signer == address)
        # Look without the lock first (a plain read never waits in WAL mode or on PostgreSQL), and
        # sign there with the nonces the lock will most likely hand out: the lock is then held only
        # to check that guess and store, not for the signing (~0.5 ms a transaction), so writers
        # that enqueue are not held up.
        with self.db.transaction() as session:
            connection = session.connection()
            ops = connection.execute(
                select(OPS.c.id, OPS.c.target, OPS.c.calldata, OPS.c.gas)
                .where(
                    OPS.c.chain_id == chain_id,
                    OPS.c.signer == address,
                    OPS.c.status == QUEUED,
                    OPS.c.gas.is_not(None),
                )
                .order_by(OPS.c.id)
                .limit(limit)
            ).all()
            stored = connection.execute(select(NONCES.c.next_nonce).where(key)).scalar_one_or_none()
        if not ops:
            return []
        floor = 0
        if address not in self._synced:
            # The key may have been used outside the outbox: never hand out a nonce the chain has
            # already seen.
            floor = quantity(self.chain.rpc("eth_getTransactionCount", [address, "pending"]))
        guess = max(int(stored or 0), floor)
        presigned = self._sign(signer, ops, guess)
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            if self.fence is not None:
                self.fence(connection)
            self._ensure_row(connection, address)
            nonce = max(
                floor,
                int(
                    connection.execute(select(NONCES.c.next_nonce).where(key).with_for_update()).scalar_one()
                ),
            )
            # Re-read under the lock: another manager may have taken some of them meanwhile.
            current = connection.execute(
                select(OPS.c.id, OPS.c.target, OPS.c.calldata, OPS.c.gas)
                .where(OPS.c.id.in_([o.id for o in ops]), OPS.c.status == QUEUED)
                .order_by(OPS.c.id)
                .with_for_update()
            ).all()
            if nonce == guess and [o.id for o in current] == [o.id for o in ops]:
                signed = presigned
            else:
                signed = self._sign(signer, current, nonce)
            if not signed:
                return []
            now = utcnow()
            connection.execute(
                update(OPS)
                .where(OPS.c.id == bindparam("b_id"))
                .values(
                    nonce=bindparam("b_nonce"),
                    raw_tx=bindparam("b_raw"),
                    tx_hash=bindparam("b_hash"),
                    status=SENT,
                    sent_at=now,
                    updated_at=now,
                ),
                [{"b_id": s.op_id, "b_nonce": s.nonce, "b_raw": s.raw, "b_hash": s.tx_hash} for s in signed],
            )
            next_nonce = signed[-1].nonce + 1
            connection.execute(update(NONCES).where(key).values(next_nonce=next_nonce, updated_at=now))
        self._synced.add(address)
        return signed

    def _ensure_row(self, connection: Connection, address: str) -> None:
        values = {"chain_id": self.chain.chain_id, "signer": address, "next_nonce": 0, "updated_at": utcnow()}
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(NONCES).values(**values).on_conflict_do_nothing())

    def _sign(
        self, signer: TransactionSigner, ops: Sequence[Any], first_nonce: int
    ) -> list[SignedTransaction]:
        """Sign ``ops`` in order with consecutive nonces from ``first_nonce``."""
        signed: list[SignedTransaction] = []
        for nonce, op in enumerate(ops, start=first_nonce):
            raw = signer.sign_transaction(self._transaction(nonce, op.gas, op.target, op.calldata))
            signed.append(SignedTransaction(op.id, nonce, raw, transaction_hash(raw)))
        return signed

    def _transaction(self, nonce: int, gas: int, to: str, data: bytes) -> dict[str, Any]:
        """The transaction dict a signer signs: legacy, zero value, this chain's id and gas price."""
        return {
            "nonce": nonce,
            "gasPrice": self.gas_price,
            "gas": gas,
            "to": to,
            "value": 0,
            "data": data,
            "chainId": self.chain.chain_id,
        }

    # -- replacing what a nonce holds --------------------------------------------------------------
    def fill(
        self, signer: TransactionSigner, item: SignedTransaction, message: str
    ) -> SignedTransaction | None:
        """Store a nonce filler in place of ``item``, which the node refused for good (``message``),
        so later nonces can be mined; None when there is nothing to fill (the operation moved on, or
        ``item`` was itself a filler: that is logged as an error)."""
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            if self.fence is not None:
                self.fence(connection)
            current = connection.execute(
                select(OPS.c.status, OPS.c.tx_hash, OPS.c.error_code, OPS.c.replaced_tx_hashes)
                .where(OPS.c.id == item.op_id)
                .with_for_update()
            ).one()
            if current.status != SENT or current.tx_hash != item.tx_hash:
                return None
            if current.error_code == TRANSACTION_REJECTED:
                _log.error("nonce filler %s for %s refused: %s", item.tx_hash, item.op_id, message)
                return None
            raw = signer.sign_transaction(self._transaction(item.nonce, FILLER_GAS, signer.address, b""))
            filler = SignedTransaction(item.op_id, item.nonce, raw, transaction_hash(raw))
            connection.execute(
                update(OPS)
                .where(OPS.c.id == item.op_id)
                .values(
                    raw_tx=filler.raw,
                    tx_hash=filler.tx_hash,
                    replaced_tx_hashes=[*(current.replaced_tx_hashes or []), item.tx_hash],
                    error_code=TRANSACTION_REJECTED,
                    error_detail=f"the node refused {item.tx_hash}: {message}",
                    updated_at=utcnow(),
                )
            )
        _log.warning(
            "operation %s refused by the node (%s); nonce %d filled", item.op_id, message, item.nonce
        )
        return filler

    def resign(self, signer: TransactionSigner, row: Any) -> SignedTransaction | None:
        """Sign the operation of ``row`` (a tracked ``sent`` row) again with the same nonce, when the
        node keeps a transaction it never mines (it answers "already known" but the next nonce stays
        unused): the new bytes differ only in gas, and since both carry the nonce, at most one of
        them can be mined. None when the operation no longer holds ``row.tx_hash``."""
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            if self.fence is not None:
                self.fence(connection)
            current = connection.execute(
                select(OPS.c.status, OPS.c.tx_hash, OPS.c.replaced_tx_hashes)
                .where(OPS.c.id == row.id)
                .with_for_update()
            ).one()
            if current.status != SENT or current.tx_hash != row.tx_hash:
                return None
            replaced = [*(current.replaced_tx_hashes or []), row.tx_hash]
            filler = row.error_code == TRANSACTION_REJECTED
            raw = signer.sign_transaction(
                self._transaction(
                    row.nonce,
                    (FILLER_GAS if filler else row.gas) + len(replaced),
                    signer.address if filler else row.target,
                    b"" if filler else row.calldata,
                )
            )
            fresh = SignedTransaction(row.id, row.nonce, raw, transaction_hash(raw))
            connection.execute(
                update(OPS)
                .where(OPS.c.id == row.id)
                .values(
                    raw_tx=fresh.raw, tx_hash=fresh.tx_hash, replaced_tx_hashes=replaced, updated_at=utcnow()
                )
            )
        _log.warning(
            "%s: %s was never mined, re-signed as %s (nonce %d)",
            row.id,
            row.tx_hash,
            fresh.tx_hash,
            row.nonce,
        )
        return fresh
