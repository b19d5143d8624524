"""The outbox tables: one row per write (an operation) and one nonce counter per signer.

An operation is written before anything is signed; the transaction manager later stores its
nonce, the signed raw transaction and its hash in one database transaction before sending, then
the outcome. ``status`` moves ``queued → sent → mined | failed`` (``sent`` means "signed and
stored, maybe on the wire"); the API shows ``queued`` and ``sent`` as ``pending``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class OperationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    MINED = "mined"
    FAILED = "failed"


PUBLIC_STATUS = {
    OperationStatus.QUEUED: "pending",
    OperationStatus.SENT: "pending",
    OperationStatus.MINED: "mined",
    OperationStatus.FAILED: "failed",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Operation(SQLModel, table=True):
    """One write through the outbox, from acceptance to its outcome on chain."""

    __tablename__ = "outbox_operation"
    __table_args__ = (
        UniqueConstraint("org", "idempotency_key", name="uq_outbox_operation_org_key"),
        UniqueConstraint("chain_id", "signer", "nonce", name="uq_outbox_operation_signer_nonce"),
        Index("ix_outbox_operation_signer_status", "signer", "status"),
        Index("ix_outbox_operation_block", "block_number"),
    )

    id: str = Field(primary_key=True, max_length=40)
    org: str = Field(max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=255)
    kind: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    chain_id: int = Field(sa_type=BigInteger)
    target: str = Field(max_length=42)
    calldata: bytes = Field(sa_type=LargeBinary)
    gas: int | None = Field(default=None, sa_type=BigInteger)
    signer: str = Field(max_length=42)
    nonce: int | None = Field(default=None, sa_type=BigInteger)
    raw_tx: bytes | None = Field(default=None, sa_type=LargeBinary)
    tx_hash: str | None = Field(default=None, max_length=66)
    # Earlier signed transactions of this operation, all with its nonce (so at most one of them,
    # or ``tx_hash``, can ever be mined): a refused one replaced by a nonce filler, or one a node
    # claimed to know but never mined, re-signed.
    replaced_tx_hashes: list[str] | None = Field(default=None, sa_type=JSON)
    status: str = Field(default=OperationStatus.QUEUED.value, max_length=16)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    block_hash: str | None = Field(default=None, max_length=66)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error_code: str | None = Field(default=None, max_length=64)
    error_detail: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    mined_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    def public_status(self, projected_through: int | None = None, *, require_projection: bool = False) -> str:
        """``pending | mined | failed``; with ``require_projection`` a mined operation whose block is
        above ``projected_through`` (the block the read models have reached, None before any) is still
        ``pending``, so a client that sees ``mined`` can read its own write."""
        status = OperationStatus(self.status)
        behind = (
            projected_through is None or self.block_number is None or self.block_number > projected_through
        )
        if status is OperationStatus.MINED and require_projection and behind:
            return "pending"
        return PUBLIC_STATUS[status]

    def public(
        self, projected_through: int | None = None, *, require_projection: bool = False
    ) -> dict[str, Any]:
        """The operation as the API shows it (camelCase keys)."""
        error = {"code": self.error_code, "detail": self.error_detail} if self.error_code else None
        return {
            "id": self.id,
            "status": self.public_status(projected_through, require_projection=require_projection),
            "kind": self.kind,
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "result": self.result,
            "error": error,
        }


class SignerNonce(SQLModel, table=True):
    """The next nonce the outbox hands out for one signer on one chain (the lock row)."""

    __tablename__ = "outbox_signer_nonce"

    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    signer: str = Field(primary_key=True, max_length=42)
    next_nonce: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Lease(SQLModel, table=True):
    """A lease of a role among the processes sharing the database, with its fencing epoch
    (``ledger.outbox.lease``: the chain worker's)."""

    __tablename__ = "outbox_lease"

    name: str = Field(primary_key=True, max_length=64)
    epoch: int = Field(sa_type=BigInteger)
    holder: str = Field(max_length=255)
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
