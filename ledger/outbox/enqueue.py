"""Accepting writes: idempotency, the ``eth_call`` pre-check and the outbox row, before any signing.

``Outbox.enqueue`` is what a service calls once it has validated a request: an idempotency key
already used by the organisation returns the operation it created (same request) or raises
:class:`IdempotencyConflict` (different request); otherwise the call is replayed with
``eth_call`` against the latest state, a would-be revert is raised at once as the decoded
:class:`~ledger.domain.errors.ContractRevert` and nothing is queued, and the operation row is
committed. Signing, nonces and sending belong to :mod:`ledger.outbox.manager`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from ledger.chain import ChainClient, Contract, RpcError
from ledger.db import Database
from ledger.domain.errors import ContractRevert
from ledger.outbox.errors import IdempotencyConflict, OperationNotFound
from ledger.outbox.ids import new_operation_id
from ledger.outbox.models import Operation, OperationStatus, utcnow

OPS: Table = Operation.__table__  # type: ignore[attr-defined]

_PRECHECK_BATCH = 200


@dataclass(frozen=True)
class Write:
    """One state change a service asks for: who, what, on which contract, signed by whom."""

    org: str
    kind: str
    target: str
    calldata: bytes
    signer: str
    body: Mapping[str, Any] | None = None
    idempotency_key: str | None = None
    gas: int | None = None

    @classmethod
    def call(
        cls,
        contract: Contract,
        function: str,
        *args: Any,
        org: str,
        kind: str,
        signer: str,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        gas: int | None = None,
    ) -> Write:
        """A write of ``function(*args)`` on ``contract``."""
        return cls(
            org=org,
            kind=kind,
            target=contract.address,
            calldata=contract.encode(function, *args),
            signer=signer,
            body=body,
            idempotency_key=idempotency_key,
            gas=gas,
        )

    def request_hash(self) -> str:
        """SHA-256 of the RFC 8785 form of the request: the body as the caller sent it, or the call."""
        payload: dict[str, Any] = {"kind": self.kind}
        if self.body is not None:
            payload["body"] = dict(self.body)
        else:
            payload["call"] = {"to": self.target.lower(), "data": "0x" + self.calldata.hex()}
        return hashlib.sha256(rfc8785.dumps(payload)).hexdigest()


def gas_limit(estimate: int, headroom: float = 0.5) -> int:
    """The gas limit signed for an estimate: generous, because the state may change before the
    transaction runs (e.g. a storage slot written from zero by an earlier one), and gas is free
    at a zero gas price."""
    return int(estimate * (1 + headroom)) + 25_000


def revert_from_answer(chain: ChainClient, error: Mapping[str, Any]) -> ContractRevert | None:
    """The decoded revert in a JSON-RPC error object (batch answers), or None if it is not a revert."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        return chain.decode_revert(bytes.fromhex(data[2:]))
    if error.get("code") == 3 or "revert" in str(error.get("message", "")).lower():
        return chain.decode_revert(b"")
    return None


ENQUEUED_CHANNEL = "portledger_outbox"
"""Notified when operations are queued: the chain worker of a multi-process node wakes on it."""


@dataclass(frozen=True, slots=True)
class Actor:
    """An organisation acting through one of its member accounts (the account signs its writes)."""

    org: int
    account: str

    @property
    def key(self) -> str:
        """The organisation as the outbox records it (the API shows ids as strings)."""
        return str(self.org)


class Outbox:
    """The write side of the outbox: enqueue operations and read them back."""

    def __init__(self, db: Database, chain: ChainClient):
        self.db = db
        self.chain = chain
        # Set whenever rows are queued, so an idle transaction manager in this process wakes at
        # once instead of polling (see TransactionManager.run).
        self.enqueued = threading.Event()

    def submit(
        self,
        actor: Actor,
        contract: Contract,
        function: str,
        args: Sequence[Any],
        *,
        kind: str,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        gas: int | None = None,
        precheck: bool = True,
    ) -> Operation:
        """The one entry of every write: ``actor`` asks for ``function(*args)`` on ``contract``, as an
        operation of ``kind`` (one kind per write), identified by ``body`` and ``idempotency_key``."""
        write = Write.call(
            contract,
            function,
            *args,
            org=actor.key,
            kind=kind,
            signer=actor.account,
            body=body,
            idempotency_key=idempotency_key,
            gas=gas,
        )
        return self.enqueue(write, precheck=precheck)

    def enqueue(self, write: Write, *, precheck: bool = True) -> Operation:
        """Accept one write (see the module docstring); returns the new or the earlier operation."""
        return self.enqueue_many([write], precheck=precheck)[0]

    def enqueue_many(self, writes: Sequence[Write], *, precheck: bool = True) -> list[Operation]:
        """Accept several writes in one database transaction and one pre-check batch.

        All or nothing: an idempotency conflict or a pre-check revert of any write raises and
        queues none of them. Writes whose key was already used for the same request come back as
        the earlier operation.
        """
        for attempt in range(3):
            existing = self._existing(writes)
            fresh = [w for w in writes if _key(w) not in existing]
            gas = self._precheck(fresh) if precheck and fresh else {}
            now = utcnow()
            values = {id(w): self._values(w, now, gas.get(id(w))) for w in fresh}
            try:
                if values:
                    with self.db.transaction(lock=True) as session:
                        session.connection().execute(insert(OPS), list(values.values()))
                        self.db.notify(session, ENQUEUED_CHANNEL)
                    self.enqueued.set()
            except IntegrityError:
                # Another request with the same idempotency key committed first: read it back.
                if attempt == 2:
                    raise
                continue
            out = []
            for w in writes:
                key = _key(w)
                if key is not None and key in existing:
                    out.append(existing[key])
                else:
                    out.append(Operation.model_construct(**values[id(w)]))
            return out
        raise AssertionError("unreachable")

    def get(self, operation_id: str, org: str | None = None) -> Operation:
        with self.db.transaction() as session:
            op = session.get(Operation, operation_id)
        if op is None or (org is not None and op.org != org):
            raise OperationNotFound(operation_id)
        return op

    def find(self, org: str, idempotency_key: str) -> Operation | None:
        with self.db.transaction() as session:
            return session.scalars(
                select(Operation).where(Operation.org == org, Operation.idempotency_key == idempotency_key)  # type: ignore[arg-type]
            ).one_or_none()

    def made(self, org: str, kind: str, name: str, value: str) -> Operation | None:
        """``org``'s earliest operation of ``kind`` whose result names ``value`` under ``name`` (the
        attestation uid a report made), or None."""
        result = Operation.__table__.c.result  # type: ignore[attr-defined]
        query = (
            select(Operation)
            .where(
                Operation.org == org,  # type: ignore[arg-type]
                Operation.kind == kind,  # type: ignore[arg-type]
                result[name].as_string() == value,
            )
            .order_by(Operation.created_at)  # type: ignore[arg-type]
            .limit(1)
        )
        with self.db.transaction() as session:
            return session.scalars(query).first()

    # -- steps -------------------------------------------------------------------------------------
    def _existing(self, writes: Sequence[Write]) -> dict[tuple[str, str], Operation]:
        keyed = {(w.org, w.idempotency_key): w for w in writes if w.idempotency_key is not None}
        if not keyed:
            return {}
        with self.db.transaction() as session:
            found = session.scalars(
                select(Operation).where(tuple_(Operation.org, Operation.idempotency_key).in_(list(keyed)))
            ).all()
        out: dict[tuple[str, str], Operation] = {}
        for op in found:
            assert op.idempotency_key is not None
            write = keyed[(op.org, op.idempotency_key)]
            if op.request_hash != write.request_hash():
                raise IdempotencyConflict(op.org, op.idempotency_key, op.id)
            out[(op.org, op.idempotency_key)] = op
        return out

    def _precheck(self, writes: Sequence[Write]) -> dict[int, int]:
        """Replay every write with ``eth_call`` (a revert raises, decoded); in the same JSON-RPC
        batch, measure the gas of those without a limit, so the manager need not. Returns the
        gas limits found, by ``id(write)``.

        The measure is ``eth_createAccessList``'s ``gasUsed``: one execution, where
        ``eth_estimateGas`` runs several; ``gas_limit``'s headroom covers what it leaves out
        (the all-but-one-64th rule, refunds, cold slots). A node without it leaves the gas to
        the manager, which estimates with ``eth_estimateGas``."""
        gas: dict[int, int] = {}
        for start in range(0, len(writes), _PRECHECK_BATCH):
            chunk = writes[start : start + _PRECHECK_BATCH]
            txs = [{"from": w.signer, "to": w.target, "data": "0x" + w.calldata.hex()} for w in chunk]
            calls: list[tuple[str, list[Any]]] = [("eth_call", [tx, "latest"]) for tx in txs]
            calls += [
                ("eth_createAccessList", [tx, "latest"])
                for w, tx in zip(chunk, txs, strict=True)
                if w.gas is None
            ]
            answers = self.chain.batch(calls)
            for answer in answers[: len(chunk)]:
                if "error" in answer:
                    revert = revert_from_answer(self.chain, answer["error"])
                    if revert is not None:
                        raise revert
                    raise RpcError("eth_call", dict(answer["error"]))
            estimates = iter(answers[len(chunk) :])
            for w in chunk:
                if w.gas is None:
                    answer = next(estimates)
                    used = (answer.get("result") or {}).get("gasUsed")
                    if used is not None and not (answer.get("result") or {}).get("error"):
                        gas[id(w)] = gas_limit(int(used, 16))
        return gas

    def _values(self, write: Write, now: datetime, gas: int | None) -> dict[str, Any]:
        """The new row's columns (a Core insert: building ORM objects costs more than the insert)."""
        return {
            "id": new_operation_id(),
            "org": write.org,
            "idempotency_key": write.idempotency_key,
            "kind": write.kind,
            "request_hash": write.request_hash(),
            "chain_id": self.chain.chain_id,
            "target": write.target,
            "calldata": write.calldata,
            "gas": write.gas if write.gas is not None else gas,
            "signer": write.signer,
            "nonce": None,
            "raw_tx": None,
            "tx_hash": None,
            "replaced_tx_hashes": None,
            "status": OperationStatus.QUEUED.value,
            "block_number": None,
            "block_hash": None,
            "result": None,
            "error_code": None,
            "error_detail": None,
            "created_at": now,
            "updated_at": now,
            "sent_at": None,
            "mined_at": None,
        }


def _key(write: Write) -> tuple[str, str] | None:
    return (write.org, write.idempotency_key) if write.idempotency_key is not None else None
