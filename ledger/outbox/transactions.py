"""A signed transaction as the outbox keeps it, and what every part of the transaction manager reads
of one.

An operation in status ``sent`` holds its current signed transaction (``nonce``, ``raw_tx``,
``tx_hash``) and, in ``replaced_tx_hashes``, every one signed for it before (a refused one replaced
by a nonce filler, or one re-signed because a node kept it without mining it). All of them carry the
operation's nonce, so at most one of them can ever be mined. Nothing here reads or writes the
database or the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TRANSACTION_REJECTED = "TRANSACTION_REJECTED"
"""Error code of an operation whose transaction the node refused for good; a filler holds its nonce."""
NONCE_CONSUMED = "NONCE_CONSUMED"
"""Error code of an operation whose nonce the chain used for another transaction."""
FILLER_GAS = 21_000
"""Gas of a nonce filler: a zero-value transfer from the signer to itself."""


@dataclass(frozen=True)
class SignedTransaction:
    """One signed transaction of an operation, stored before it is sent."""

    op_id: str
    nonce: int
    raw: bytes
    tx_hash: str


def hashes(row: Any) -> list[str]:
    """Every transaction hash signed for an operation, the current one first."""
    return [row.tx_hash, *(row.replaced_tx_hashes or [])]


def quantity(value: Any) -> int:
    """A JSON-RPC quantity (``0x`` hex, or already an integer) as an integer."""
    return value if isinstance(value, int) else int(str(value), 16)
