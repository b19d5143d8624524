"""An in-process cache of the title read model, kept exact by the indexer that runs beside it.

A bill lookup is the node's hottest read. The rows of ``index_bill`` change only when this process's
indexer projects an event about the title (or rewinds, or finds that another indexer moved the
checkpoints). The indexer wraps each such transaction in :meth:`BillCache.changing` with the titles
it touches: from before the transaction until after its commit those titles are read from the
database and not kept, so a client that sees its operation ``mined`` (which needs the commit) reads
its own write, and no row read before the commit survives it.

A read that raced with a change is not kept either: each load notes the cache's generation before it
reads the database and stores the row only if no change began or ended meanwhile.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ledger.db import Database
from ledger.index import queries
from ledger.index.models import Bill

DEFAULT_SIZE = 100_000


class BillCache:
    """Read-through cache of ``index_bill`` rows by title id (``0x`` + 64 hex digits)."""

    def __init__(self, db: Database, size: int = DEFAULT_SIZE):
        self.db = db
        self.size = size
        self._rows: OrderedDict[str, Bill | None] = OrderedDict()
        self._generation = 0
        self._changing: Counter[str] = Counter()
        self._changing_all = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def peek(self, bill_id: str) -> tuple[bool, Bill | None]:
        """``(known, row)`` from memory only; ``known`` is False when the database must be asked."""
        with self._lock:
            if bill_id in self._rows and not self._in_flux(bill_id):
                self.hits += 1
                return True, self._rows[bill_id]
        return False, None

    def get(self, bill_id: str) -> Bill | None:
        """The row (None if the index has no such title), from memory when possible."""
        known, row = self.peek(bill_id)
        if known:
            return row
        with self._lock:
            self.misses += 1
            generation = self._generation
        row = queries.get_bill(self.db, bill_id)
        with self._lock:
            if generation == self._generation and not self._in_flux(bill_id):
                self._rows[bill_id] = row
                self._rows.move_to_end(bill_id)
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        return row

    @contextmanager
    def changing(self, bill_ids: Iterable[str] | None) -> Iterator[None]:
        """Around a transaction that may change these titles' rows (every title's when None)."""
        ids = None if bill_ids is None else set(bill_ids)
        self._begin(ids)
        try:
            yield
        finally:
            self._end(ids)

    def _in_flux(self, bill_id: str) -> bool:
        return self._changing_all > 0 or bill_id in self._changing

    def _begin(self, ids: set[str] | None) -> None:
        with self._lock:
            self._generation += 1
            if ids is None:
                self._changing_all += 1
                self._rows.clear()
                return
            self._changing.update(ids)
            for bill_id in ids:
                self._rows.pop(bill_id, None)

    def _end(self, ids: set[str] | None) -> None:
        with self._lock:
            self._generation += 1
            if ids is None:
                self._changing_all -= 1
                self._rows.clear()
                return
            self._changing.subtract(ids)
            for bill_id in ids:
                self._rows.pop(bill_id, None)
                if self._changing[bill_id] <= 0:
                    del self._changing[bill_id]
