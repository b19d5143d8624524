"""Test helpers that compare the outbox with the chain: Stored events per operation id."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlmodel import col

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.outbox import Operation


def stored_notes(chain: ChainClient, probe: Contract, from_block: int = 0) -> Counter[str]:
    """How many Stored events carry each note, over the whole chain."""
    events = chain.get_logs(probe.address, from_block, chain.block_number())
    return Counter(str(e.args["note"]) for e in events if e.name == "Stored")


def operations(db: Database, signer: str | None = None) -> list[Operation]:
    with db.transaction() as session:
        query = select(Operation).order_by(Operation.nonce)  # type: ignore[arg-type]
        if signer is not None:
            query = query.where(col(Operation.signer) == signer)
        return list(session.scalars(query).all())


def assert_outbox_agrees_with_chain(
    chain: ChainClient, probe: Contract, db: Database, ops: list[Operation]
) -> None:
    """Each mined operation's receipt is on chain, in the block the outbox recorded, with one event."""
    receipts = chain.batch([("eth_getTransactionReceipt", [op.tx_hash]) for op in ops])
    for op, answer in zip(ops, receipts, strict=True):
        raw = answer.get("result")
        assert raw is not None, f"{op.id} recorded mined but its receipt is missing"
        assert int(raw["blockNumber"], 16) == op.block_number, op.id
        assert raw["blockHash"] == op.block_hash, op.id
        assert int(raw["status"], 16) == 1, op.id
