"""The transaction manager: nonces at source, signing, batched sending, receipts, resubmission.

One manager serves a set of signers on one chain; several managers (threads or processes) may
serve the same signers, because every nonce is handed out under a database lock (``BEGIN
IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` on the signer's nonce row on PostgreSQL) and every
outcome is written with a guard on the operation's current state.

Exactly once: a queued operation gets its nonce, its signed raw transaction and its hash in the
same database transaction, before anything is sent. From then on only that raw transaction is
ever sent for it (again after a restart, again after the node dropped it), so the chain can
include it at most once, and the receipt of its hash is its outcome.

One ``step()``, per signer:
1. track: the signer's nonce and the receipts of all ``sent`` operations in one batch. Status 1
   → ``mined``; status 0 → ``failed`` with the revert decoded from an ``eth_call`` replay; no
   receipt → re-sent (same bytes) when ``resend_after`` has passed, or ``failed`` with
   ``NONCE_CONSUMED`` if the chain's nonce has stayed past it for ``consumed_after`` seconds (a
   node may count a nonce a moment before the receipt can be read). Tracking comes first so that
   what the previous step sent has had time to be mined;
2. gas: operations queued without a gas limit are estimated in one JSON-RPC batch; one that
   would revert now fails with the decoded error and never takes a nonce;
3. allocate: under the lock, up to ``batch_size`` queued operations get consecutive nonces and
   are signed and stored (status ``sent``);
4. send: the new raw transactions go out in JSON-RPC batches.

Nonce gaps: a raw transaction the node refuses for good (gas above the block gas limit, a bad
signature or chain id; not "already known", "nonce too low" or account conditions such as
insufficient funds, which are retried) would block every later nonce, so its nonce is filled
with a signed zero-value transfer to the signer itself, and the operation fails with
``TRANSACTION_REJECTED`` once the filler is mined. A transaction a node claims to know but never
mines while it holds the next nonce (anvil can lose one from its pool when a client dies in the
middle of a batch) is re-signed after ``stuck_after`` seconds with the same nonce and 1 more gas;
every hash signed for an operation is kept (``replaced_tx_hashes``) and tracked, and since they
share the nonce at most one of them can be mined.

Chain rollback: ``recover()`` (call it at start-up) walks the blocks recorded for mined and
reverted operations from the newest down until one is still canonical; operations in the blocks
above whose receipts are gone go back to ``sent`` and are re-sent, in nonce order, by the next
step.

The event indexer decides when a mined operation is visible (``Operation.projected``);
``on_mined`` is called inside the transaction that marks operations mined, for such hooks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session

from ledger.chain import ChainClient, Receipt, RpcError
from ledger.chain.client import TransactionSigner
from ledger.db import Database
from ledger.domain.errors import ChainUnavailable, ContractRevert
from ledger.outbox.enqueue import gas_limit, revert_from_answer
from ledger.outbox.models import Operation, OperationStatus, SignerNonce, utcnow
from ledger.outbox.signer import transaction_hash

_log = logging.getLogger(__name__)

OPS: Table = Operation.__table__  # type: ignore[attr-defined]
NONCES: Table = SignerNonce.__table__  # type: ignore[attr-defined]

QUEUED = OperationStatus.QUEUED.value
SENT = OperationStatus.SENT.value
MINED = OperationStatus.MINED.value
FAILED = OperationStatus.FAILED.value

TRANSACTION_REJECTED = "TRANSACTION_REJECTED"
NONCE_CONSUMED = "NONCE_CONSUMED"
FILLER_GAS = 21_000

# Answers to eth_sendRawTransaction that mean "this transaction is (or was) already there".
_BENIGN_SEND_ERRORS = (
    "already known",
    "known transaction",
    "already imported",
    "already exists",
    "already in",
    "nonce too low",
    "replacement transaction underpriced",
)

# Answers that condemn the transaction itself; anything else (insufficient funds, pool full, a
# node restarting) is retried with the same bytes after ``resend_after``.
_PERMANENT_SEND_ERRORS = (
    "intrinsic gas",
    "gas limit",
    "exceeds block gas",
    "oversized",
    "initcode",
    "invalid sender",
    "invalid signature",
    "invalid chain id",
    "incorrect chain id",
)

DEFAULT_MAX_IN_FLIGHT = 128
"""Sent, unmined transactions per signer before it signs more. anvil's automine was seen to stop
mining altogether with ~2,000 pending from four signers; a chain with block times wants more (the
setting ``outbox_max_in_flight``)."""

ResultBuilder = Callable[[Operation, Receipt], dict[str, Any]]
MinedHook = Callable[[Session, list[Operation]], None]


@dataclass
class StepReport:
    """What one step did."""

    estimated: int = 0
    signed: int = 0
    sent: int = 0
    resent: int = 0
    mined: int = 0
    failed: int = 0
    waiting: int = 0
    rejected: int = 0

    @property
    def progressed(self) -> bool:
        return bool(self.estimated or self.signed or self.mined or self.failed or self.rejected)

    def add(self, other: StepReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RecoveryReport:
    """What ``recover()`` found after a restart."""

    blocks_checked: int = 0
    stale_blocks: int = 0
    moved: int = 0
    lost: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Signed:
    op_id: str
    nonce: int
    raw: bytes
    tx_hash: str


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 16)


def _benign(error: Mapping[str, Any]) -> bool:
    message = str(error.get("message", "")).lower()
    return any(text in message for text in _BENIGN_SEND_ERRORS)


def _refused_for_good(error: Mapping[str, Any]) -> bool:
    """The node will never accept this transaction as signed (not: "not now, for this account")."""
    message = str(error.get("message", "")).lower()
    return any(text in message for text in _PERMANENT_SEND_ERRORS)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class TransactionManager:
    """Signs, sends and tracks the outbox's operations for ``signers`` on ``chain``."""

    def __init__(
        self,
        db: Database,
        chain: ChainClient,
        signers: Sequence[TransactionSigner],
        *,
        batch_size: int = 200,
        track_limit: int = 2000,
        resend_after: float = 5.0,
        poll_interval: float = 0.005,
        idle_interval: float = 0.2,
        waiting_interval: float = 0.02,
        gas_headroom: float = 0.5,
        consumed_after: float = 2.0,
        stuck_after: float = 30.0,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        results: Mapping[str, ResultBuilder] | None = None,
        on_mined: MinedHook | None = None,
    ):
        self.db = db
        self.chain = chain
        self.signers = {s.address: s for s in signers}
        self.batch_size = batch_size
        self.track_limit = track_limit
        self.resend_after = resend_after
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.waiting_interval = waiting_interval
        self.gas_headroom = gas_headroom
        self.consumed_after = consumed_after
        self.stuck_after = stuck_after
        self.max_in_flight = max_in_flight
        self.results = dict(results or {})
        self.on_mined = on_mined
        self._last_sent: dict[str, float] = {}
        self._nonce_synced: set[str] = set()
        self._consumed_seen: dict[str, float] = {}
        self._stuck_seen: dict[str, float] = {}
        self._gas_price: int | None = None

    @property
    def chain_id(self) -> int:
        return self.chain.chain_id

    @property
    def gas_price(self) -> int:
        if self._gas_price is None:
            self._gas_price = _int(self.chain.rpc("eth_gasPrice"))
        return self._gas_price

    # -- the loop ----------------------------------------------------------------------------------
    def step(self) -> StepReport:
        report = StepReport()
        for signer in self.signers.values():
            # Track first: the transactions sent by the previous step have had time to be mined.
            in_flight = self._track(signer, report)
            self._estimate(signer, report)
            room = min(self.batch_size, self.max_in_flight - in_flight)
            if room <= 0:
                report.waiting += 1  # the node's pool holds enough of this signer's transactions
                continue
            fresh = self._allocate(signer, report, room)
            self._send(signer, fresh, report, resend=False)
        return report

    def run(
        self,
        stop: threading.Event,
        *,
        on_step: Callable[[StepReport], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """Step until ``stop`` is set; waits out a chain that does not answer.

        A step that changes nothing doubles the pause before the next one, up to
        ``idle_interval`` when nothing is in flight (``waiting_interval`` while receipts are
        awaited), so an idle manager does not spend the process's CPU on empty queries. ``wake``
        (the in-process ``Outbox.enqueued`` event) ends a pause as soon as a write is queued.
        """
        self.recover()
        pause = self.poll_interval
        while not stop.is_set():
            try:
                report = self.step()
            except ChainUnavailable as exc:
                _log.warning("chain unavailable, retrying: %s", exc)
                stop.wait(0.5)
                continue
            if on_step is not None:
                on_step(report)
            if report.progressed:
                pause = self.poll_interval
                continue
            ceiling = self.waiting_interval if report.waiting else self.idle_interval
            pause = min(pause * 2, ceiling)
            if wake is None:
                stop.wait(pause)
            elif wake.wait(pause):
                wake.clear()
                pause = self.poll_interval

    def pending(self) -> int:
        """Operations of this manager's signers that are not final yet."""
        with self.db.transaction() as session:
            count = session.connection().execute(
                select(func.count())
                .select_from(OPS)
                .where(
                    OPS.c.chain_id == self.chain_id,
                    OPS.c.signer.in_(list(self.signers)),
                    OPS.c.status.in_([QUEUED, SENT]),
                )
            )
            return int(count.scalar_one())

    def drain(self, timeout: float = 60.0) -> StepReport:
        """Step until every operation of these signers is final (``TimeoutError`` after ``timeout``)."""
        total = StepReport()
        deadline = time.monotonic() + timeout
        while True:
            report = self.step()
            total.add(report)
            if report.waiting == 0 and self.pending() == 0:
                return total
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.pending()} operations still pending after {timeout}s")
            if not report.progressed:
                time.sleep(self.poll_interval)

    # -- 2. gas ------------------------------------------------------------------------------------
    def _estimate(self, signer: TransactionSigner, report: StepReport) -> None:
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(OPS.c.id, OPS.c.target, OPS.c.calldata)
                    .where(
                        OPS.c.chain_id == self.chain_id,
                        OPS.c.signer == signer.address,
                        OPS.c.status == QUEUED,
                        OPS.c.gas.is_(None),
                    )
                    .order_by(OPS.c.id)
                    .limit(self.batch_size)
                )
                .all()
            )
        if not rows:
            return
        calls = [
            ("eth_estimateGas", [{"from": signer.address, "to": r.target, "data": "0x" + r.calldata.hex()}])
            for r in rows
        ]
        gas_updates: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for row, answer in zip(rows, self.chain.batch(calls), strict=True):
            if "result" in answer:
                estimate = _int(answer["result"])
                gas_updates.append({"b_id": row.id, "b_gas": gas_limit(estimate, self.gas_headroom)})
                continue
            revert = revert_from_answer(self.chain, answer["error"])
            if revert is None:
                _log.warning("gas estimate for %s failed: %s", row.id, answer["error"])
                continue
            failures.append(_failure(row.id, revert.code, str(revert)))
        now = utcnow()
        with self.db.transaction() as session:
            connection = session.connection()
            if gas_updates:
                connection.execute(
                    update(OPS)
                    .where(OPS.c.id == bindparam("b_id"), OPS.c.status == QUEUED)
                    .values(gas=bindparam("b_gas"), updated_at=now),
                    gas_updates,
                )
            if failures:
                _fail_queued(connection, failures, now)
        report.estimated += len(gas_updates)
        report.failed += len(failures)

    # -- 3. allocate nonces, sign, store -----------------------------------------------------------
    def _ensure_nonce_row(self, connection: Connection, address: str) -> None:
        values = {"chain_id": self.chain_id, "signer": address, "next_nonce": 0, "updated_at": utcnow()}
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(NONCES).values(**values).on_conflict_do_nothing())

    def _allocate(self, signer: TransactionSigner, report: StepReport, limit: int) -> list[_Signed]:
        address = signer.address
        key = and_(NONCES.c.chain_id == self.chain_id, NONCES.c.signer == address)
        # Look without the lock first (a plain read never waits in WAL mode or on PostgreSQL), and
        # sign there with the nonces the lock will most likely hand out: the lock is then held only
        # to check that guess and store, not for the signing (~0.5 ms a transaction), so writers
        # that enqueue are not held up.
        with self.db.transaction() as session:
            connection = session.connection()
            ops = connection.execute(
                select(OPS.c.id, OPS.c.target, OPS.c.calldata, OPS.c.gas)
                .where(
                    OPS.c.chain_id == self.chain_id,
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
        if address not in self._nonce_synced:
            # The key may have been used outside the outbox: never hand out a nonce the chain has
            # already seen.
            floor = _int(self.chain.rpc("eth_getTransactionCount", [address, "pending"]))
        guess = max(int(stored or 0), floor)
        presigned = self._sign(signer, ops, guess)
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            self._ensure_nonce_row(connection, address)
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
        self._nonce_synced.add(address)
        report.signed += len(signed)
        return signed

    def _sign(self, signer: TransactionSigner, ops: Sequence[Any], first_nonce: int) -> list[_Signed]:
        """Sign ``ops`` in order with consecutive nonces from ``first_nonce``."""
        signed: list[_Signed] = []
        for nonce, op in enumerate(ops, start=first_nonce):
            raw = signer.sign_transaction(
                {
                    "nonce": nonce,
                    "gasPrice": self.gas_price,
                    "gas": op.gas,
                    "to": op.target,
                    "value": 0,
                    "data": op.calldata,
                    "chainId": self.chain_id,
                }
            )
            signed.append(_Signed(op.id, nonce, raw, transaction_hash(raw)))
        return signed

    # -- 4. send -----------------------------------------------------------------------------------
    def _send(
        self, signer: TransactionSigner, items: Sequence[_Signed], report: StepReport, *, resend: bool
    ) -> None:
        for chunk in _chunks(sorted(items, key=lambda s: s.nonce), self.batch_size):
            answers = self.chain.batch([("eth_sendRawTransaction", ["0x" + s.raw.hex()]) for s in chunk])
            now = time.monotonic()
            for item, answer in zip(chunk, answers, strict=True):
                self._last_sent[item.tx_hash] = now
                if "error" not in answer or _benign(answer["error"]):
                    continue
                if _refused_for_good(answer["error"]):
                    self._reject(signer, item, str(answer["error"].get("message")), report)
                else:
                    _log.warning(
                        "%s refused for now, will re-send: %s", item.op_id, answer["error"].get("message")
                    )
            if resend:
                report.resent += len(chunk)
            else:
                report.sent += len(chunk)

    def _reject(self, signer: TransactionSigner, item: _Signed, message: str, report: StepReport) -> None:
        """Fill the nonce of a transaction the node refused for good, so later nonces can be mined."""
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            current = connection.execute(
                select(OPS.c.status, OPS.c.tx_hash, OPS.c.error_code, OPS.c.replaced_tx_hashes)
                .where(OPS.c.id == item.op_id)
                .with_for_update()
            ).one()
            if current.status != SENT or current.tx_hash != item.tx_hash:
                return
            if current.error_code == TRANSACTION_REJECTED:
                _log.error("nonce filler %s for %s refused: %s", item.tx_hash, item.op_id, message)
                return
            raw = signer.sign_transaction(
                {
                    "nonce": item.nonce,
                    "gasPrice": self.gas_price,
                    "gas": FILLER_GAS,
                    "to": signer.address,
                    "value": 0,
                    "data": b"",
                    "chainId": self.chain_id,
                }
            )
            filler = _Signed(item.op_id, item.nonce, raw, transaction_hash(raw))
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
        report.rejected += 1
        self._send(signer, [filler], report, resend=True)

    # -- 1. track ----------------------------------------------------------------------------------
    def _track(self, signer: TransactionSigner, report: StepReport) -> int:
        """Record receipts of this signer's sent transactions; returns how many are still unmined."""
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(
                        OPS.c.id,
                        OPS.c.kind,
                        OPS.c.nonce,
                        OPS.c.tx_hash,
                        OPS.c.raw_tx,
                        OPS.c.target,
                        OPS.c.calldata,
                        OPS.c.gas,
                        OPS.c.error_code,
                        OPS.c.replaced_tx_hashes,
                    )
                    .where(
                        OPS.c.chain_id == self.chain_id, OPS.c.signer == signer.address, OPS.c.status == SENT
                    )
                    .order_by(OPS.c.nonce)
                    .limit(self.track_limit)
                )
                .all()
            )
        if not rows:
            return 0
        chain_nonce, receipts = self._receipts(rows, signer.address)
        mined: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        resend: list[_Signed] = []
        stuck: list[Any] = []
        now = time.monotonic()
        for row in rows:
            found = [(h, receipts[h]) for h in _hashes(row) if receipts.get(h) is not None]
            if not found:
                if row.nonce < chain_nonce and self._seen_for(self._consumed_seen, row.tx_hash, now) >= (
                    self.consumed_after
                ):
                    failed.append(
                        {
                            **_outcome(row, row.tx_hash, None),
                            "b_code": NONCE_CONSUMED,
                            "b_detail": f"nonce {row.nonce} was used by another transaction",
                        }
                    )
                elif row.nonce < chain_nonce:
                    report.waiting += 1  # a node may count the nonce before its receipt is readable
                elif (
                    row.nonce == chain_nonce
                    and self._seen_for(self._stuck_seen, row.tx_hash, now) >= self.stuck_after
                ):
                    stuck.append(row)
                elif now - self._last_sent.get(row.tx_hash, 0.0) >= self.resend_after:
                    resend.append(_Signed(row.id, row.nonce, row.raw_tx, row.tx_hash))
                else:
                    report.waiting += 1
                continue
            mined_hash, raw = found[0]
            outcome = _outcome(row, mined_hash, raw)
            for h in _hashes(row):
                self._forget(h)
            if _int(raw.get("status", "0x1")) == 1:
                if row.error_code == TRANSACTION_REJECTED and mined_hash == row.tx_hash:  # the nonce filler
                    failed.append({**outcome, "b_code": row.error_code, "b_detail": None})
                else:
                    outcome["b_result"] = self._result(row, raw)
                    mined.append(outcome)
            else:
                revert = self._replay(signer, row, raw)
                failed.append({**outcome, "b_code": revert.code, "b_detail": str(revert)})
        if mined or failed:
            self._record(mined, failed)
        report.mined += len(mined)
        report.failed += len(failed)
        if resend:
            self._send(signer, resend, report, resend=True)
        for row in stuck:
            self._resign(signer, row, report)
        return len(rows) - len(mined) - len(failed)

    def _receipts(self, rows: Sequence[Any], address: str) -> tuple[int, dict[str, Any]]:
        """The signer's mined nonce count, then the receipts of the rows below it (by transaction
        hash; None where not readable yet). A row at or above the count cannot be mined, so its
        receipt is not asked for: a node answers a lookup of an unknown hash slowly on a long chain."""
        chain_nonce = _int(self.chain.rpc("eth_getTransactionCount", [address, "latest"]))
        return chain_nonce, self._receipt_map([h for r in rows if r.nonce < chain_nonce for h in _hashes(r)])

    def _receipt_map(self, hashes: Sequence[str]) -> dict[str, Any]:
        """Mined receipts by transaction hash (None for those not mined or not readable yet)."""
        out: dict[str, Any] = {}
        for chunk in _chunks(hashes, 500):
            answers = self.chain.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, answer in zip(chunk, answers, strict=True):
                raw = answer.get("result")
                out[tx_hash] = raw if raw is not None and raw.get("blockNumber") is not None else None
        return out

    def _forget(self, tx_hash: str) -> None:
        self._last_sent.pop(tx_hash, None)
        self._consumed_seen.pop(tx_hash, None)
        self._stuck_seen.pop(tx_hash, None)

    def _resign(self, signer: TransactionSigner, row: Any, report: StepReport) -> None:
        """Sign the operation again with the same nonce when the node keeps a transaction it never
        mines (it answers "already known" but the next nonce stays unused): the new bytes differ
        only in gas, and since both carry the nonce, at most one of them can be mined."""
        with self.db.transaction(lock=True) as session:
            connection = session.connection()
            current = connection.execute(
                select(OPS.c.status, OPS.c.tx_hash, OPS.c.replaced_tx_hashes)
                .where(OPS.c.id == row.id)
                .with_for_update()
            ).one()
            if current.status != SENT or current.tx_hash != row.tx_hash:
                return
            replaced = [*(current.replaced_tx_hashes or []), row.tx_hash]
            filler = row.error_code == TRANSACTION_REJECTED
            raw = signer.sign_transaction(
                {
                    "nonce": row.nonce,
                    "gasPrice": self.gas_price,
                    "gas": (FILLER_GAS if filler else row.gas) + len(replaced),
                    "to": signer.address if filler else row.target,
                    "value": 0,
                    "data": b"" if filler else row.calldata,
                    "chainId": self.chain_id,
                }
            )
            fresh = _Signed(row.id, row.nonce, raw, transaction_hash(raw))
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
        self._forget(row.tx_hash)
        self._send(signer, [fresh], report, resend=True)

    @staticmethod
    def _seen_for(seen: dict[str, float], tx_hash: str, now: float) -> float:
        """For how long ``tx_hash`` has been found in the condition ``seen`` records."""
        return now - seen.setdefault(tx_hash, now)

    def _result(self, row: Any, raw: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"gasUsed": _int(raw["gasUsed"])}
        builder = self.results.get(row.kind)
        if builder is not None:
            op = Operation(
                id=row.id,
                org="",
                kind=row.kind,
                request_hash="",
                chain_id=self.chain_id,
                target=row.target,
                calldata=row.calldata,
                signer="",
                tx_hash=row.tx_hash,
            )
            result.update(builder(op, self.chain.to_receipt(raw)))
        return result

    def _replay(self, signer: TransactionSigner, row: Any, raw: Mapping[str, Any]) -> ContractRevert:
        """The decoded error of a reverted transaction, from an ``eth_call`` replay before its block."""
        tx_hash = row.tx_hash
        if row.gas is not None and _int(raw["gasUsed"]) >= row.gas:
            return ContractRevert("OutOfGas", {"gas": row.gas}, b"", tx_hash)
        tx = {"from": signer.address, "to": row.target, "data": "0x" + row.calldata.hex()}
        try:
            self.chain.eth_call(tx, block=max(_int(raw["blockNumber"]) - 1, 0))
        except ContractRevert as revert:
            revert.tx_hash = tx_hash
            return revert
        except RpcError as exc:  # the node no longer holds that block's state (pruned history)
            _log.warning("could not replay %s to name its revert: %s", tx_hash, exc)
        return ContractRevert("TransactionReverted", {"txHash": tx_hash}, b"", tx_hash)

    def _record(self, mined: list[dict[str, Any]], failed: list[dict[str, Any]]) -> None:
        now = utcnow()
        guard = and_(
            OPS.c.id == bindparam("b_id"), OPS.c.status == SENT, OPS.c.tx_hash == bindparam("b_hash")
        )
        with self.db.transaction() as session:
            connection = session.connection()
            if mined:
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=MINED,
                        tx_hash=bindparam("b_mined_hash"),
                        replaced_tx_hashes=bindparam("b_replaced", type_=OPS.c.replaced_tx_hashes.type),
                        error_code=None,
                        error_detail=None,
                        block_number=bindparam("b_block"),
                        block_hash=bindparam("b_block_hash"),
                        result=bindparam("b_result", type_=OPS.c.result.type),
                        mined_at=now,
                        updated_at=now,
                    ),
                    mined,
                )
            if failed:
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=FAILED,
                        tx_hash=bindparam("b_mined_hash"),
                        replaced_tx_hashes=bindparam("b_replaced", type_=OPS.c.replaced_tx_hashes.type),
                        block_number=bindparam("b_block"),
                        block_hash=bindparam("b_block_hash"),
                        error_code=bindparam("b_code"),
                        error_detail=func.coalesce(bindparam("b_detail"), OPS.c.error_detail),
                        mined_at=now,
                        updated_at=now,
                    ),
                    failed,
                )
            if mined and self.on_mined is not None:
                ops = session.scalars(
                    select(Operation).where(Operation.id.in_([m["b_id"] for m in mined]))  # type: ignore[attr-defined]
                ).all()
                self.on_mined(session, list(ops))

    # -- start-up: the chain may have lost blocks ---------------------------------------------------
    def recover(self, page: int = 100) -> RecoveryReport:
        """Put back to ``sent`` every operation whose recorded block is gone and whose receipt is
        gone with it; correct the block of those re-mined elsewhere. The next steps re-send them."""
        report = RecoveryReport()
        for address in self.signers:
            stale = self._stale_blocks(address, page, report)
            if stale:
                self._reopen(address, stale, report)
        if report.stale_blocks:
            _log.warning(
                "chain is behind the outbox: %d blocks gone, %d operations to re-send",
                report.stale_blocks,
                len(report.lost),
            )
        return report

    def _stale_blocks(self, address: str, page: int, report: RecoveryReport) -> list[tuple[int, str]]:
        stale: list[tuple[int, str]] = []
        offset = 0
        while True:
            with self.db.transaction() as session:
                blocks = (
                    session.connection()
                    .execute(
                        select(OPS.c.block_number, OPS.c.block_hash)
                        .where(
                            OPS.c.chain_id == self.chain_id,
                            OPS.c.signer == address,
                            OPS.c.block_hash.is_not(None),
                        )
                        .distinct()
                        .order_by(OPS.c.block_number.desc())
                        .limit(page)
                        .offset(offset)
                    )
                    .all()
                )
            if not blocks:
                return stale
            answers = self.chain.batch(
                [("eth_getBlockByNumber", [hex(b.block_number), False]) for b in blocks]
            )
            for block, answer in zip(blocks, answers, strict=True):
                report.blocks_checked += 1
                found = answer.get("result")
                if found is not None and found.get("hash") == block.block_hash:
                    return stale  # canonical: every older block is too
                stale.append((block.block_number, block.block_hash))
            offset += page

    def _reopen(self, address: str, stale: list[tuple[int, str]], report: RecoveryReport) -> None:
        report.stale_blocks += len(stale)
        with self.db.transaction() as session:
            rows = (
                session.connection()
                .execute(
                    select(
                        OPS.c.id, OPS.c.tx_hash, OPS.c.replaced_tx_hashes, OPS.c.error_code, OPS.c.status
                    ).where(
                        OPS.c.chain_id == self.chain_id,
                        OPS.c.signer == address,
                        tuple_(OPS.c.block_number, OPS.c.block_hash).in_(stale),
                    )
                )
                .all()
            )
        receipts = self._receipt_map([h for r in rows for h in _hashes(r)])
        now = utcnow()
        with self.db.transaction() as session:
            connection = session.connection()
            for row in rows:
                guard = and_(OPS.c.id == row.id, OPS.c.tx_hash == row.tx_hash, OPS.c.status == row.status)
                found = [(h, receipts[h]) for h in _hashes(row) if receipts.get(h) is not None]
                if found:
                    mined_hash, raw = found[0]
                    connection.execute(
                        update(OPS)
                        .where(guard)
                        .values(
                            tx_hash=mined_hash,
                            replaced_tx_hashes=[h for h in _hashes(row) if h != mined_hash] or None,
                            block_number=_int(raw["blockNumber"]),
                            block_hash=raw["blockHash"],
                            updated_at=now,
                        )
                    )
                    report.moved += 1
                    continue
                keep_error = row.error_code == TRANSACTION_REJECTED
                connection.execute(
                    update(OPS)
                    .where(guard)
                    .values(
                        status=SENT,
                        block_number=None,
                        block_hash=None,
                        result=None,
                        mined_at=None,
                        projected=False,
                        error_code=OPS.c.error_code if keep_error else None,
                        error_detail=OPS.c.error_detail if keep_error else None,
                        updated_at=now,
                    )
                )
                for h in _hashes(row):
                    self._forget(h)
                report.lost.append(row.id)


def _hashes(row: Any) -> list[str]:
    """Every transaction hash signed for an operation, the current one first."""
    return [row.tx_hash, *(row.replaced_tx_hashes or [])]


def _outcome(row: Any, mined_hash: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Bind parameters recording ``row``'s outcome; the mined hash becomes ``tx_hash``."""
    others = [h for h in _hashes(row) if h != mined_hash]
    return {
        "b_id": row.id,
        "b_hash": row.tx_hash,
        "b_mined_hash": mined_hash,
        "b_replaced": others or None,
        "b_block": _int(raw["blockNumber"]) if raw else None,
        "b_block_hash": raw["blockHash"] if raw else None,
    }


def _failure(op_id: str, code: str, detail: str) -> dict[str, Any]:
    return {"b_id": op_id, "b_code": code, "b_detail": detail}


def _fail_queued(connection: Connection, failures: list[dict[str, Any]], now: Any) -> None:
    connection.execute(
        update(OPS)
        .where(OPS.c.id == bindparam("b_id"), OPS.c.status == QUEUED)
        .values(
            status=FAILED, error_code=bindparam("b_code"), error_detail=bindparam("b_detail"), updated_at=now
        ),
        failures,
    )
