"""The outbox: every write becomes an operation with an idempotency key before anything is signed;
the transaction manager owns the nonces, signs, sends, tracks receipts, re-sends and recovers.

``Outbox.submit`` is every service's one write entry (an :class:`Actor`, the call, one operation kind,
the request body and idempotency key); it builds the :class:`Write` that ``Outbox.enqueue`` accepts
(pre-checked with ``eth_call``); a
:class:`TransactionManager` per process turns queued operations into mined or failed ones. See
``docs/outbox.md``.
"""

from ledger.outbox.enqueue import Actor, Outbox, Write
from ledger.outbox.errors import IdempotencyConflict, OperationNotFound
from ledger.outbox.ids import new_operation_id
from ledger.outbox.manager import StepReport, TransactionManager
from ledger.outbox.models import Operation, OperationStatus, SignerNonce
from ledger.outbox.recovery import RecoveryReport
from ledger.outbox.signer import KeySigner, transaction_hash

__all__ = [
    "Actor",
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
