"""Bill use cases (filled in below the foundation commit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.outbox.manager import ResultBuilder

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger

RESULT_BUILDERS: dict[str, ResultBuilder] = {}


class Bills:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def describe(self) -> dict[str, Any]:
        return {}
