"""Accepting writes: idempotency per organisation, the eth_call pre-check, and the schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlmodel import SQLModel

from ledger.chain import Contract, ContractRevert
from ledger.db import Database
from ledger.outbox import IdempotencyConflict, KeySigner, Operation, Outbox, Write


def store(
    probe: Contract, signer: KeySigner, value: int, note: str, *, key: str | None, org: str = "org-1"
) -> Write:
    return Write.call(
        probe,
        "store",
        value,
        note,
        org=org,
        kind="probe.store",
        signer=signer.address,
        body={"value": value, "note": note},
        idempotency_key=key,
    )


def count_operations(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Operation)) or 0)


def _table_of(diff: object) -> str:
    """The table a schema difference is about (alembic reports tuples, or lists of them)."""
    first = diff[0] if isinstance(diff, list) else diff
    item = first[1] if isinstance(first, tuple) else None
    table = getattr(item, "table", item)
    return str(
        getattr(table, "name", "") or (first[2] if isinstance(first, tuple) and len(first) > 2 else "")
    )


def test_migrations_create_exactly_the_outbox_model_schema(db: Database) -> None:
    assert db.current_revision() is not None
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diffs if _table_of(d).startswith("outbox_")] == []


def test_enqueue_creates_a_queued_operation_with_an_op_id(
    outbox: Outbox, probe: Contract, signer: KeySigner
) -> None:
    op = outbox.enqueue(store(probe, signer, 1, "first", key="k-1"))
    assert op.id.startswith("op_") and len(op.id) == 29
    stored = outbox.get(op.id)
    assert stored.status == "queued"
    assert stored.public()["status"] == "pending"
    assert stored.calldata == probe.encode("store", 1, "first")
    assert stored.target == probe.address and stored.signer == signer.address
    assert stored.nonce is None and stored.raw_tx is None
    assert stored.gas is not None and stored.gas > 21_000  # measured in the pre-check batch


def test_enqueue_with_same_key_and_body_returns_the_same_operation(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    first = outbox.enqueue(store(probe, signer, 2, "again", key="k-2"))
    second = outbox.enqueue(store(probe, signer, 2, "again", key="k-2"))
    assert second.id == first.id
    assert count_operations(db) == 1


def test_enqueue_with_same_key_and_different_body_raises_idempotency_conflict(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    first = outbox.enqueue(store(probe, signer, 3, "one", key="k-3"))
    with pytest.raises(IdempotencyConflict) as caught:
        outbox.enqueue(store(probe, signer, 4, "other", key="k-3"))
    assert caught.value.code == "IDEMPOTENCY_CONFLICT"
    assert caught.value.operation_id == first.id
    assert count_operations(db) == 1


def test_idempotency_keys_are_scoped_per_organisation(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    a = outbox.enqueue(store(probe, signer, 5, "x", key="shared", org="org-a"))
    b = outbox.enqueue(store(probe, signer, 5, "x", key="shared", org="org-b"))
    assert a.id != b.id
    assert count_operations(db) == 2


def test_enqueue_without_key_makes_every_retry_a_new_operation(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    a = outbox.enqueue(store(probe, signer, 6, "y", key=None))
    b = outbox.enqueue(store(probe, signer, 6, "y", key=None))
    assert a.id != b.id
    assert count_operations(db) == 2


def test_enqueue_of_reverting_call_raises_decoded_error_and_queues_nothing(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    write = Write.call(probe, "fail", 9, "refused", org="org-1", kind="probe.fail", signer=signer.address)
    with pytest.raises(ContractRevert) as caught:
        outbox.enqueue(write)
    assert caught.value.code == "PROBE_FAILED"
    assert caught.value.args == {"code": 9, "who": signer.address, "why": "refused"}
    assert count_operations(db) == 0


def test_enqueue_many_is_all_or_nothing_when_one_write_would_revert(
    outbox: Outbox, db: Database, probe: Contract, signer: KeySigner
) -> None:
    good = store(probe, signer, 7, "fine", key="k-7")
    bad = Write.call(probe, "fail", 1, "no", org="org-1", kind="probe.fail", signer=signer.address)
    with pytest.raises(ContractRevert):
        outbox.enqueue_many([good, bad])
    assert count_operations(db) == 0
