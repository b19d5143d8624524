"""Operations as the API shows them: read one (only by the organisation that asked for it) and tell
whether it is final.

An operation is ``mined`` for a client only once its block is at or below the block the read models
are projected through (``require_projection``; :func:`ledger.index.indexer.projected_through`), so a
client that sees ``mined`` reads its own write. Waiting
(``Prefer: wait=N``) is a polling loop over :meth:`Operations.view`, run by the HTTP layer.
"""

from __future__ import annotations

from typing import Any

from ledger.index.indexer import projected_through
from ledger.outbox import Operation, OperationNotFound, Outbox
from ledger.services.errors import NotFound

FINAL = frozenset({"mined", "failed"})


class Operations:
    """Read side of the outbox for one organisation at a time."""

    def __init__(self, outbox: Outbox, *, require_projection: bool):
        self.outbox = outbox
        self.require_projection = require_projection

    def _through(self) -> int | None:
        if not self.require_projection:
            return None
        through = projected_through(self.outbox.db)
        return None if through is None else through[0]

    def view(self, operation_id: str, org: str) -> dict[str, Any]:
        """The public operation object; :class:`NotFound` for an unknown id or another org's."""
        try:
            op = self.outbox.get(operation_id, org=org)
        except OperationNotFound:
            raise NotFound(f"no operation {operation_id}") from None
        return op.public(self._through(), require_projection=self.require_projection)

    def find(self, org: str, idempotency_key: str) -> dict[str, Any] | None:
        """The public object of the operation ``org`` queued under ``idempotency_key``, or None."""
        op = self.outbox.find(org, idempotency_key)
        return None if op is None else self.present(op)

    def present(self, op: Operation) -> dict[str, Any]:
        """The public object of an operation already in hand (e.g. the one a write just queued)."""
        return op.public(self._through(), require_projection=self.require_projection)

    @staticmethod
    def is_final(view: dict[str, Any]) -> bool:
        return view["status"] in FINAL
