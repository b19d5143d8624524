"""The event indexer: reads contract logs in bounded block ranges and projects them into SQL.

Owns the loop, the per-contract checkpoints (block number and hash) and rewinds; what each event
means is in :mod:`ledger.index.projections`. One step:

1. fork check: every checkpoint's block hash is compared with the chain; on a mismatch (a reorg,
   or a node restarted from an older state) the index **rewinds**: it finds the newest block it
   recorded whose hash the chain still has, deletes the logs above it, rebuilds every read model by
   replaying the stored log in order, and moves the checkpoints back there;
2. read: ``eth_getLogs`` for all contracts over ``(checkpoint, min(checkpoint + batch, head -
   confirmations)]``, plus the headers of the blocks involved (hash and time) in one batch;
3. project: in ONE database transaction, each log not yet in the event log is stored and
   projected, the blocks are recorded and the checkpoints move to the range's last block. A crash
   anywhere leaves either all of it or none of it, so a restart resumes at the checkpoint, and a
   range read twice changes nothing (the event log's key (tx hash, log index) is the marker).

Read your own writes: the index owns projection progress. :func:`projected_through` is the block
every contract's events are projected through; the API reports an operation ``mined`` only once its
block is at or below it (``ledger.services.operations``). The indexer writes nothing outside its own
tables.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ledger.chain import ChainClient, DecodedEvent
from ledger.db import Database
from ledger.index.models import READ_MODEL_TABLES, IndexBlock, IndexCheckpoint, IndexEvent
from ledger.index.projections import Logged, forget_rows, hex32, json_args, project

log = logging.getLogger(__name__)

DEFAULT_BATCH_BLOCKS = 2_000
_NO_HASH = "0x" + "00" * 32

# The outbox's operation table, seen through the columns this package touches. ledger.index and
# ledger.outbox are independent layers, so the table is named here instead of imported.


@dataclass(frozen=True)
class StepResult:
    """What one step did."""

    events: int
    from_block: int
    to_block: int
    at_head: bool
    rewound_to: int | None = None


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 16)


def _touched_bills(events: Iterable[DecodedEvent]) -> set[str]:
    """Titles named by these events (``billId``, or an ERC-721 ``tokenId``)."""
    out: set[str] = set()
    for event in events:
        value = event.args.get("billId", event.args.get("tokenId"))
        if value is not None:
            out.add(hex32(value))
    return out


def _hash_of(headers: Mapping[int, tuple[str, int] | None], number: int) -> str | None:
    header = headers.get(number)
    return header[0] if header else None


def projected_through(db: Database, contract: str | None = None) -> tuple[int, str] | None:
    """``(block number, block hash)`` up to which ``contract``'s events (all contracts' events when
    ``contract`` is None: the lowest checkpoint) are in the read models; None before the first step."""
    with db.transaction() as session:
        query = select(IndexCheckpoint)
        if contract is not None:
            query = query.where(IndexCheckpoint.contract == contract)
        rows = session.exec(query).all()
    if not rows:
        return None
    lowest = min(rows, key=lambda r: r.block_number)
    return lowest.block_number, lowest.block_hash


def wait_projected(
    db: Database, block_number: int, timeout: float = 10.0, contract: str | None = None, poll: float = 0.05
) -> bool:
    """Wait until the events of ``block_number`` are projected; False when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        through = projected_through(db, contract)
        if through is not None and through[0] >= block_number:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


class Indexer:
    """Projects the events of a set of contracts (name → address) from ``start_block`` on."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        contracts: Mapping[str, str],
        start_block: int,
        *,
        confirmations: int = 0,
        batch_blocks: int = DEFAULT_BATCH_BLOCKS,
    ):
        if batch_blocks < 1:
            raise ValueError("batch_blocks must be at least 1")
        self.db = db
        self.chain = chain
        self.contracts = {name: address for name, address in contracts.items()}
        self._by_address = {address.lower(): name for name, address in self.contracts.items()}
        self.start_block = start_block
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.watchers: list[Callable[[set[str] | None], AbstractContextManager[None]]] = []
        """Entered around every transaction that may change title rows, with those titles (None: any
        may change), e.g. :meth:`ledger.index.cache.BillCache.changing`."""
        self.projectors: list[Callable[[Session, set[str]], None]] = []
        """Called inside the transaction that stores a batch, after its events are projected, with the
        titles the batch touched; what they write commits or rolls back with the projection (e.g. the
        document key wraps of :meth:`ledger.services.access.DocumentAccess.project`)."""
        self._last_end: int | None = None

    @classmethod
    def for_deployment(cls, db: Database, chain: ChainClient, deployment: Any, **kwargs: Any) -> Indexer:
        """An indexer over a deployment record's four contracts, from its deployment block."""
        return cls(db, chain, dict(deployment.addresses), int(deployment.block_number), **kwargs)

    # -- chain reads ----------------------------------------------------------------------------
    def _headers(self, numbers: Iterable[int]) -> dict[int, tuple[str, int] | None]:
        """``number → (hash, timestamp)`` (None for a block the chain does not have), in one batch."""
        wanted = sorted({n for n in numbers if n >= 0})
        answers = self.chain.batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        out: dict[int, tuple[str, int] | None] = {}
        for number, answer in zip(wanted, answers, strict=True):
            block = answer.get("result")
            out[number] = (str(block["hash"]), _int(block["timestamp"])) if block else None
        return out

    # -- checkpoints ----------------------------------------------------------------------------
    def _ensure_checkpoints(self) -> dict[str, IndexCheckpoint]:
        with self.db.transaction() as session:
            rows = {r.contract: r for r in session.exec(select(IndexCheckpoint)).all()}
        if all(name in rows for name in self.contracts):
            return {name: rows[name] for name in self.contracts}
        with self.db.transaction(lock=True) as session:
            rows = {r.contract: r for r in session.exec(select(IndexCheckpoint).with_for_update()).all()}
            missing = [name for name in self.contracts if name not in rows]
            if missing:
                before = self.start_block - 1
                header = self._headers([before]).get(before) if before >= 0 else None
                block_hash = header[0] if header else _NO_HASH
                for name in missing:
                    row = IndexCheckpoint(
                        contract=name,
                        address=self.contracts[name],
                        block_number=before,
                        block_hash=block_hash,
                    )
                    session.add(row)
                    rows[name] = row
            return {name: rows[name] for name in self.contracts}

    def checkpoints(self) -> dict[str, tuple[int, str]]:
        with self.db.transaction() as session:
            return {r.contract: (r.block_number, r.block_hash) for r in session.exec(select(IndexCheckpoint))}

    # -- the loop -------------------------------------------------------------------------------
    def step(self) -> StepResult:
        """Check for a fork, then read and project the next block range (at most ``batch_blocks``)."""
        checkpoints = self._ensure_checkpoints()
        head = self.chain.block_number()
        target = head - self.confirmations

        fork = self._fork_detected(checkpoints)
        if fork:
            rewound = self.rewind()
            return StepResult(0, rewound + 1, rewound, at_head=False, rewound_to=rewound)

        lowest = min(cp.block_number for cp in checkpoints.values())
        if lowest != self._last_end:
            with self._changing(None):  # first step, or another indexer moved the checkpoints
                pass
        self._last_end = lowest
        start = lowest + 1
        if start > target:
            return StepResult(0, start, lowest, at_head=True)
        end = min(target, start + self.batch_blocks - 1)
        addresses = [self.contracts[n] for n, cp in checkpoints.items() if cp.block_number < end]
        events = self.chain.get_logs(addresses, start, end)
        headers = self._headers([lowest, end, *(e.block_number for e in events)])
        end_header = headers.get(end)
        base = [cp.block_hash for cp in checkpoints.values() if cp.block_number == lowest]
        # The checkpoint must still be the parent chain of what was read (a reorg may land between
        # the fork check and eth_getLogs); otherwise the next step rewinds.
        stale = lowest >= 0 and any(_hash_of(headers, lowest) != h for h in base)
        if (
            stale
            or end_header is None
            or any(_hash_of(headers, e.block_number) != e.block_hash for e in events)
        ):
            log.info("the chain changed while reading blocks %d-%d; retrying", start, end)
            return StepResult(0, start, lowest, at_head=False)
        with self._changing(_touched_bills(events)):
            stored = self._store(checkpoints, events, headers, start, end, end_header[0])
        if stored or not events:
            self._last_end = end
        else:  # another indexer stored them first
            with self._changing(None):
                pass
            self._last_end = None
        return StepResult(stored, start, end, at_head=end >= target)

    def _changing(self, bill_ids: set[str] | None) -> ExitStack:
        stack = ExitStack()
        for watcher in self.watchers:
            stack.enter_context(watcher(bill_ids))
        return stack

    def _fork_detected(self, checkpoints: Mapping[str, IndexCheckpoint]) -> bool:
        recorded = {cp.block_number: cp.block_hash for cp in checkpoints.values() if cp.block_number >= 0}
        if not recorded:
            return False
        chain_headers = self._headers(recorded)
        for number, block_hash in recorded.items():
            header = chain_headers.get(number)
            if header is None or header[0] != block_hash:
                log.warning(
                    "checkpoint block %d hash %s no longer on chain (%s): rewinding",
                    number,
                    block_hash,
                    header[0] if header else "missing",
                )
                return True
        return False

    def _store(
        self,
        seen: Mapping[str, IndexCheckpoint],
        events: list[DecodedEvent],
        headers: Mapping[int, tuple[str, int] | None],
        start: int,
        end: int,
        end_hash: str,
    ) -> int:
        stored = 0
        with self.db.transaction(lock=True) as session:
            current = {
                r.contract: r
                for r in session.exec(
                    select(IndexCheckpoint)
                    .where(col(IndexCheckpoint.contract).in_(list(self.contracts)))
                    .with_for_update()
                ).all()
            }
            if any(current[n].block_number != seen[n].block_number for n in self.contracts):
                return 0  # another indexer moved the checkpoints meanwhile: start over from them
            existing = set(
                session.exec(
                    select(IndexEvent.tx_hash, IndexEvent.log_index).where(
                        col(IndexEvent.block_number) >= start, col(IndexEvent.block_number) <= end
                    )
                ).all()
            )
            known = set(
                session.exec(select(IndexBlock.number).where(col(IndexBlock.number).in_(list(headers)))).all()
            )
            for number, header in headers.items():
                if header is not None and number not in known:
                    session.add(IndexBlock(number=number, hash=header[0], timestamp=header[1]))
            for event in events:
                contract = self._by_address.get(event.address.lower())
                if contract is None or event.block_number <= current[contract].block_number:
                    continue
                if (event.tx_hash, event.log_index) in existing:
                    continue
                header = headers[event.block_number]
                assert header is not None
                args = json_args(event.args)
                session.add(
                    IndexEvent(
                        tx_hash=event.tx_hash,
                        log_index=event.log_index,
                        contract=contract,
                        name=event.name,
                        block_number=event.block_number,
                        block_hash=event.block_hash,
                        args=args,
                    )
                )
                project(
                    session,
                    Logged(
                        contract=contract,
                        name=event.name,
                        args=args,
                        block_number=event.block_number,
                        block_hash=event.block_hash,
                        tx_hash=event.tx_hash,
                        log_index=event.log_index,
                        time=header[1],
                    ),
                )
                stored += 1
            if stored and self.projectors:
                session.flush()
                touched = _touched_bills(events)
                for projector in self.projectors:
                    projector(session, touched)
            for row in current.values():
                if row.block_number < end:
                    row.block_number = end
                    row.block_hash = end_hash
                    session.add(row)
        return stored

    def catch_up(self, max_steps: int | None = None) -> int:
        """Step until the projected block reaches the chain head (minus confirmations); events stored."""
        total = 0
        steps = 0
        while max_steps is None or steps < max_steps:
            result = self.step()
            total += result.events
            steps += 1
            if result.at_head:
                break
        return total

    def run(self, stop: threading.Event, poll_interval: float = 0.5) -> None:
        """Index until ``stop`` is set; a failing step (node away, database busy) is retried."""
        while not stop.is_set():
            try:
                result = self.step()
            except Exception:
                log.exception("index step failed; retrying in %.1fs", poll_interval)
                stop.wait(poll_interval)
                continue
            if result.at_head:
                stop.wait(poll_interval)

    # -- rewinds --------------------------------------------------------------------------------
    def fork_point(self, page: int = 64) -> int:
        """The newest recorded block whose hash the chain still has (``start_block - 1`` if none)."""
        below: int | None = None
        while True:
            with self.db.transaction() as session:
                query = select(IndexBlock).order_by(col(IndexBlock.number).desc()).limit(page)
                if below is not None:
                    query = query.where(col(IndexBlock.number) < below)
                blocks = session.exec(query).all()
            if not blocks:
                return self.start_block - 1
            chain_headers = self._headers(b.number for b in blocks)
            for block in blocks:
                header = chain_headers.get(block.number)
                if header is not None and header[0] == block.hash:
                    return block.number
            below = blocks[-1].number

    def rewind(self) -> int:
        """Forget everything above the fork point and rebuild the read models from the stored log."""
        fork = self.fork_point()
        with self._changing(None), self.db.transaction(lock=True) as session:
            checkpoints = session.exec(select(IndexCheckpoint).with_for_update()).all()
            # Every checkpoint goes to the fork point or stays below it, with the chain's hash there.
            targets = {row.contract: min(row.block_number, fork) for row in checkpoints}
            headers = self._headers(targets.values())
            dropped = int(
                session.scalar(
                    select(func.count()).select_from(IndexEvent).where(col(IndexEvent.block_number) > fork)
                )
                or 0
            )
            session.execute(delete(IndexEvent).where(col(IndexEvent.block_number) > fork))
            session.execute(delete(IndexBlock).where(col(IndexBlock.number) > fork))
            if dropped:
                replay(session)
            for row in checkpoints:
                row.block_number = targets[row.contract]
                row.block_hash = _hash_of(headers, row.block_number) or _NO_HASH
                session.add(row)
        self._last_end = None
        log.warning("index rewound to block %d (%d logs dropped, read models rebuilt)", fork, dropped)
        return fork


def replay(session: Session) -> int:
    """Empty the read models and project the stored event log again, in chain order."""
    for model in reversed(READ_MODEL_TABLES):
        session.execute(delete(model))
    forget_rows(session)
    session.flush()
    times = {b.number: b.timestamp for b in session.exec(select(IndexBlock)).all()}
    count = 0
    rows = session.exec(select(IndexEvent).order_by(col(IndexEvent.block_number), col(IndexEvent.log_index)))
    for row in rows.all():
        project(
            session,
            Logged(
                contract=row.contract,
                name=row.name,
                args=row.args,
                block_number=row.block_number,
                block_hash=row.block_hash,
                tx_hash=row.tx_hash,
                log_index=row.log_index,
                time=times.get(row.block_number, 0),
            ),
        )
        count += 1
    return count


def event_count(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(IndexEvent)) or 0)
