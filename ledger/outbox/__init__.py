"""The outbox: every write becomes an operation with an idempotency key before anything is signed;
the transaction manager owns the nonces, signs, sends, tracks receipts, re-sends and recovers.

``Outbox.enqueue`` accepts a :class:`Write` (pre-checked with ``eth_call``); a
:class:`TransactionManager` per process turns queued operations into mined or failed ones. See
``docs/outbox.md``.
"""

from ledger.outbox.enqueue import Outbox, Write
from ledger.outbox.errors import IdempotencyConflict, OperationNotFound
from ledger.outbox.ids import new_operation_id
from ledger.outbox.manager import RecoveryReport, StepReport, TransactionManager
from ledger.outbox.models import Operation, OperationStatus, SignerNonce
from ledger.outbox.signer import KeySigner, transaction_hash

__all__ = [
    "IdempotencyConflict",
    "KeySigner",
    "Operation",
    "OperationNotFound",
    "OperationStatus",
    "Outbox",
    "RecoveryReport",
    "SignerNonce",
    "StepReport",
    "TransactionManager",
    "Write",
    "new_operation_id",
    "transaction_hash",
]
