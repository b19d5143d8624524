"""The event indexer against the real contracts: read models equal the chain's views after every kind
of action (at the end and after each action), re-indexing changes nothing, a restart resumes at the
checkpoint, a rollback rewinds, reconcile finds an edited row, and cursor pagination walks every row
once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.domain import codes
from ledger.index import queries
from ledger.index.indexer import Indexer, event_count, projected_through, wait_projected
from ledger.index.models import READ_MODEL_TABLES, Bill, BillHistory, IndexCheckpoint, IndexEvent
from ledger.index.reconcile import reconcile
from tests.integration.index.conftest import Stack
from tests.integration.index.scenario import Outcome, drive, lapse_a_pledge_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario(stack: Stack, accounts: list[str]) -> Outcome:
    return drive(stack.world, [accounts[-1], accounts[-2]])


def snapshot_rows(db: Database) -> dict[str, list[dict[str, object]]]:
    models: tuple[type[SQLModel], ...] = (*READ_MODEL_TABLES, IndexEvent)
    out: dict[str, list[dict[str, object]]] = {}
    with db.transaction() as session:
        for model in models:
            rows = session.exec(select(model)).all()
            out[str(model.__tablename__)] = sorted((row.model_dump() for row in rows), key=repr)
    return out


def test_index_from_cold_matches_every_view_of_the_chain(
    db: Database, stack: Stack, scenario: Outcome
) -> None:
    indexer = stack.indexer(db)
    started = time.perf_counter()
    events = indexer.catch_up()
    elapsed = time.perf_counter() - started
    print(f"\ncatch-up from cold: {events} events in {elapsed:.2f}s = {events / elapsed:.0f} events/s")

    report = reconcile(db, stack.world.chain, stack.contracts)
    assert report.differences == []
    assert report.checked["bills"] == 6 and report.checked["releaseRights"] == 2
    assert projected_through(db) == (stack.world.chain.block_number(), stack.world.chain.get_block()["hash"])

    org = stack.world.org
    a = queries.get_bill(db, scenario.bills["A"])
    assert a is not None and a.status == "ACCOMPLISHED" and a.pledge_status == "NONE"
    history, _ = queries.bill_history(db, scenario.bills["A"], limit=100)
    assert [h.action_code for h in history] == scenario.actions_on_a
    assert history[2].actor == org["FORWARDER"] and history[2].recipient == org["TRADER"]
    assert all(h.time > 0 for h in history)
    by_ref = queries.get_bill_by_reference(db, org["CARRIER"], a.transport_document_reference or "")
    assert by_ref is not None and by_ref.id == a.id

    b = queries.get_bill(db, scenario.bills["B"])
    assert b is not None and b.possessor == org["BANK"] and b.holder is None
    pledges, _ = queries.list_pledges(db, bill_id=scenario.bills["B"])
    assert [(p.status, p.amount, p.currency) for p in pledges] == [("ENFORCED", str(2**100), "EUR")]
    c = queries.get_bill(db, scenario.bills["C"])
    assert c is not None and (c.status, c.version, c.cid) == ("SWITCHED_TO_PAPER", 2, "bafyamended")
    c_history, _ = queries.bill_history(db, scenario.bills["C"], limit=100)
    assert [h.reason_code for h in c_history if h.action_code == "SURRENDER_FOR_AMENDMENT"] == [
        "COD", "SWI", "SWTP",
    ]  # fmt: skip

    rights, _ = queries.list_release_rights(db, bill_id=scenario.bills["A"])
    assert {r.status for r in rights} == {"GATED_IN", "REVOKED"}
    eirs, _ = queries.list_eirs(db, bill_id=scenario.bills["A"])
    assert [(x.direction, x.laden, x.damage_codes) for x in eirs] == [
        ("OUT", True, []),
        ("IN", False, ["DT", "BR"]),
    ]
    assert eirs[1].previous_record_id == eirs[0].record_id and eirs[0].haulier == org["HAULIER"]

    held = queries.get_attestation(db, "0x" + scenario.attestations["held"].hex())
    replaced = queries.get_attestation(db, "0x" + scenario.attestations["replaced"].hex())
    release = queries.get_attestation(db, "0x" + scenario.attestations["release"].hex())
    assert held is not None and held.revocation_time > 0
    assert replaced is not None and replaced.replaced_by == "0x" + scenario.attestations["replacement"].hex()
    assert release is not None and release.recognitions == 1

    forwarder = queries.get_organisation(db, org["FORWARDER"])
    assert forwarder is not None and forwarder.encryption_key == "0x" + "11" * 32
    accounts, _ = queries.list_accounts(db, org=org["FORWARDER"])
    assert [x.address for x in accounts] == [forwarder.admin]
    assert queries.organisation_of(db, scenario.admitted_admin) is not None
    proposals, _ = queries.list_proposals(db, limit=100)
    assert [p.kind for p in proposals][-5:] == ["ADMIT", "GRANT_ROLE", "REVOKE_ROLE", "SUSPEND", "REINSTATE"]
    assert all(p.executed and p.approvals == 1 for p in proposals)


def test_after_every_title_action_the_projected_title_is_the_chains_at_that_block(
    db: Database, stack: Stack, scenario: Outcome
) -> None:
    # BillActed carries the title's state after the action and the projection applies it as it is, so
    # the read model must equal the registry's views after each action, not only at the end.
    indexer = stack.indexer(db, batch_blocks=1)
    registry = {"BillOfLadingRegistry": stack.contracts["BillOfLadingRegistry"]}
    compared: list[str] = []
    while True:
        result = indexer.step()
        with db.transaction() as session:
            acted = session.exec(
                select(BillHistory.action_code).where(
                    BillHistory.block_number >= result.from_block, BillHistory.block_number <= result.to_block
                )
            ).all()
        if acted:
            report = reconcile(db, stack.world.chain, registry)
            assert report.differences == [], f"after {acted} in block {result.to_block}"
            compared += acted
        if result.at_head:
            break
    assert set(compared) == set(codes.BILL_ACTION), "the scenario no longer takes every action kind"


def test_reindexing_the_same_range_changes_nothing(db: Database, stack: Stack, scenario: Outcome) -> None:
    stack.indexer(db).catch_up()
    before = snapshot_rows(db)
    again = Indexer(db, stack.world.chain, stack.contracts, stack.start_block)
    before_start = stack.world.chain.get_block(stack.start_block - 1)["hash"]
    with db.transaction() as session:  # as if the checkpoints had never moved
        for row in session.exec(select(IndexCheckpoint)).all():
            row.block_number, row.block_hash = stack.start_block - 1, before_start
            session.add(row)
    assert again.catch_up() == 0
    assert snapshot_rows(db) == before


def test_a_restart_resumes_from_the_checkpoint(db: Database, stack: Stack, scenario: Outcome) -> None:
    first = stack.indexer(db, batch_blocks=10)
    first.step()
    first.step()
    through, _ = projected_through(db) or (0, "")
    assert through == stack.start_block + 19
    done = event_count(db)
    resumed = stack.indexer(db, batch_blocks=10)  # a new process: only the database carries over
    assert resumed.step().from_block == through + 1
    resumed.catch_up()
    assert event_count(db) > done
    assert reconcile(db, stack.world.chain, stack.contracts).differences == []


def test_reconcile_reports_an_edited_row_and_nothing_on_a_clean_index(
    db: Database, stack: Stack, scenario: Outcome
) -> None:
    stack.indexer(db).catch_up()
    assert reconcile(db, stack.world.chain, stack.contracts).differences == []
    bill_id = queries.get_bill(db, scenario.bills["E"])
    assert bill_id is not None
    with db.transaction() as session:
        row = session.get(Bill, bill_id.id)
        assert row is not None
        row.possessor = stack.world.org["BANK"]
        session.add(row)
    differences = reconcile(db, stack.world.chain, stack.contracts).differences
    assert [(d.entity, d.id, d.field, d.index) for d in differences] == [
        ("bill", bill_id.id, "possessor", stack.world.org["BANK"])
    ]


def test_cursor_pages_walk_every_row_once(db: Database, stack: Stack, scenario: Outcome) -> None:
    stack.indexer(db).catch_up()
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page, cursor = queries.list_bills(db, cursor=cursor, limit=2)
        seen += [b.id for b in page]
        if cursor is None:
            break
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(Bill))
    assert len(seen) == len(set(seen)) == total
    trader = stack.world.org["TRADER"]
    possessed, _ = queries.list_bills(db, org=trader, role="possessor")
    assert {b.id for b in possessed} == {
        b.id for b in queries.list_bills(db, limit=500)[0] if b.possessor == trader
    }
    issued, _ = queries.list_bills(db, status="ISSUED")
    assert all(b.status == "ISSUED" for b in issued) and issued
    with pytest.raises(queries.InvalidCursor):
        queries.list_bills(db, cursor="not-a-cursor")


def test_a_rollback_rewinds_and_the_read_models_match_the_chain_again(
    db: Database, stack: Stack, scenario: Outcome, chain: ChainClient
) -> None:
    indexer = stack.indexer(db)
    indexer.catch_up()
    snap = chain.snapshot()
    try:
        lapsed = lapse_a_pledge_request(stack.world)
        indexer.catch_up()
        assert queries.get_bill(db, lapsed) is not None
        assert reconcile(db, chain, stack.contracts).differences == []
        chain.revert(snap)
        # New, different blocks at the same heights: the checkpoint's hash is gone from the chain.
        for _ in range(6):
            chain.mine()
        result = indexer.step()
        assert result.rewound_to is not None and result.rewound_to < chain.block_number()
        indexer.catch_up()
        assert queries.get_bill(db, lapsed) is None
        assert reconcile(db, chain, stack.contracts).differences == []
        assert projected_through(db) == (chain.block_number(), chain.get_block()["hash"])
    finally:
        pass  # the module's snapshot is reverted by the stack fixture


def test_wait_projected_answers_once_the_block_is_in(db: Database, stack: Stack, scenario: Outcome) -> None:
    head = stack.world.chain.block_number()
    assert wait_projected(db, head, timeout=0.1) is False
    stack.indexer(db).catch_up()
    assert wait_projected(db, head, timeout=0.1) is True


def test_a_confirmation_depth_keeps_the_index_that_many_blocks_behind(
    db: Database, stack: Stack, scenario: Outcome
) -> None:
    stack.indexer(db, confirmations=3).catch_up()
    through, _ = projected_through(db) or (0, "")
    assert through == stack.world.chain.block_number() - 3


def test_a_chain_that_lost_its_last_blocks_rewinds_without_new_blocks(
    db: Database, stack: Stack, scenario: Outcome, chain: ChainClient
) -> None:
    indexer = stack.indexer(db)
    snap = chain.snapshot()
    head = chain.block_number()
    extra = lapse_a_pledge_request(stack.world)
    indexer.catch_up()
    assert queries.get_bill(db, extra) is not None
    chain.revert(snap)  # the node restarted from an older state: the checkpoint block is gone
    result = indexer.step()
    assert result.rewound_to is not None and result.rewound_to <= head
    indexer.catch_up()
    assert queries.get_bill(db, extra) is None
    assert projected_through(db) == (head, chain.get_block(head)["hash"])
    assert reconcile(db, chain, stack.contracts).differences == []
