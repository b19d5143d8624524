"""Errors the outbox raises on purpose (codes published in the error catalogue)."""

from __future__ import annotations

from ledger.domain.errors import LedgerError


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used by this organisation for a different request."""

    code = "IDEMPOTENCY_CONFLICT"

    def __init__(self, org: str, key: str, operation_id: str):
        self.org = org
        self.key = key
        self.operation_id = operation_id
        super().__init__(
            f"idempotency key {key!r} of {org} was used for a different request ({operation_id})"
        )


class OperationNotFound(LedgerError):
    """No operation with this id (for this organisation)."""

    code = "OPERATION_NOT_FOUND"

    def __init__(self, operation_id: str):
        self.operation_id = operation_id
        super().__init__(f"no operation {operation_id}")
