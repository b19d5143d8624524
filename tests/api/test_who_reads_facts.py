"""The facts table of "who reads what" (docs/design.md §2), one test per row, through HTTP on a real chain,
database and the node's index: the subject read, the event stream and the dashboard apply it alike.

| Facts (attestations, customs releases and holds, EIRs) | Who |
|---|---|
| about a bill or its containers | the bill's current and past parties; the terminal and the holder of a release right for it; accredited agencies; the attester |
| about an organisation (credit level, AEO) | that organisation; accredited agencies; banks asked for a collateral statement naming it |
| aggregates (dashboard) | the port authority; counts below 5 are suppressed |
"""  # noqa: E501

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from ledger.domain import schemas
from ledger.index.indexer import wait_projected
from ledger.index.models import Bill, IndexEvent
from ledger.services.events import SEQUENCE_BASE, EventFeed
from tests.api.test_bills_api import PLEDGE
from tests.api.test_events import read_stream
from tests.api.test_releases import customs_release, grant, mined, refused
from tests.api.test_releases_world import ZERO32, PortWorld, credit_fields, port_world

__all__ = ["port_world"]


def sees(world: PortWorld, who: str, subject: str, uid: str) -> bool:
    """Whether ``who`` finds attestation ``uid`` in the subject read and in its event stream (asserted to
    agree)."""
    listed = world.get(who, f"/v1/subjects/{subject}/attestations")
    assert listed.status_code == 200, listed.text
    in_read = uid in {a["uid"] for a in listed.json()["items"]}
    streamed = {e["data"]["data"].get("uid") for e in read_stream(world, who, "&types=Attested")}
    assert in_read == (uid in streamed), (who, in_read)
    return in_read


def test_facts_about_a_bill_or_its_containers_reach_its_parties_its_release_rights_and_agencies(
    port_world: PortWorld,
) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")  # the consignee surrendered it: now a past party
    container = world.container_on(bill_id)
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    on_bill = customs_release(world, schemas.bill_subject(bill_id))
    per_container = schemas.bill_container_subject(bill_id, container)
    on_container = customs_release(world, per_container)
    facts = [(bill_hex, on_bill), ("0x" + per_container.hex(), on_container)]

    for subject, uid in facts:
        for who in ("carrier", "consignee", "customs", "maritime"):  # parties, the attester, an agency
            assert sees(world, who, subject, uid), (who, subject)
        for who in ("terminal", "haulier", "bank", "shipper", "forwarder"):  # no right yet, strangers
            assert not sees(world, who, subject, uid), (who, subject)

    right_id = grant(world, bill_id, container)
    mined(
        world.post("consignee", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org["haulier"])})
    )
    for subject, uid in facts:
        for who in ("terminal", "haulier"):  # the terminal of a right for it, and its holder now
            assert sees(world, who, subject, uid), (who, subject)
        for who in ("bank", "shipper", "forwarder"):
            assert not sees(world, who, subject, uid), (who, subject)


def credit_about(world: PortWorld, org: str) -> str:
    body = {
        "schemaId": "0x" + world.deployment.schema_id("CREDIT_LEVEL").hex(),
        "subject": str(world.org[org]),
        "data": credit_fields(),
    }
    mined(world.post("customs", "/v1/attestations", body))
    made = world.get("customs", f"/v1/subjects/{world.org[org]}/attestations").json()["items"]
    uid: str = made[-1]["uid"]
    return uid


def test_facts_about_an_organisation_reach_it_agencies_and_banks_asked_to_finance_its_titles(
    port_world: PortWorld,
) -> None:
    world = port_world
    uid = credit_about(world, "forwarder")
    subject = str(world.org["forwarder"])
    for who in ("forwarder", "customs", "maritime"):
        assert sees(world, who, subject, uid), who
    for who in ("bank", "terminal", "consignee", "carrier"):
        assert not sees(world, who, subject, uid), who

    # The forwarder asks the bank to finance a title it holds: the bank may now weigh its credit.
    bill_id = world.issue("forwarder")
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    request = {"action": "PLEDGE", "recipient": str(world.org["bank"]), "pledge": PLEDGE}
    mined(world.post("forwarder", f"/v1/bills/{bill_hex}/actions", request))
    assert sees(world, "bank", subject, uid)
    for who in ("terminal", "consignee"):
        assert not sees(world, who, subject, uid), who


def dashboard(world: PortWorld, who: str) -> Any:
    return world.get(who, "/v1/dashboard")


def true_counts(world: PortWorld) -> dict[str, int]:
    """Titles per status in the index, once it has projected the chain's head."""
    assert wait_projected(world.ledger.db, world.chain.block_number(), timeout=30)
    with world.ledger.db.transaction() as session:
        rows = session.exec(select(Bill.status, func.count()).group_by(Bill.status)).all()
    return {str(status): int(count) for status, count in rows}


def test_aggregates_go_to_the_port_authority_only_with_counts_below_five_suppressed(
    port_world: PortWorld,
) -> None:
    world = port_world
    for who in ("carrier", "customs", "bank", "terminal", "consignee"):
        refused(dashboard(world, who), 403, "FORBIDDEN")
    # Titles in a status of their own with fewer than five of them: one surrendered for delivery.
    world.bills.transact(
        "surrenderForDelivery", world.issue("consignee"), ZERO32, sender=world.setup["consignee"]
    )
    for _ in range(5):
        world.issue("consignee")
    truth = true_counts(world)
    answer = dashboard(world, "port-authority")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["suppressBelow"] == 5
    shown = {c["key"]: c for c in body["tables"]["billsByStatus"]}
    assert set(shown) == set(truth)
    assert truth["ISSUED"] >= 5 and shown["ISSUED"] == {
        "key": "ISSUED",
        "count": truth["ISSUED"],
        "suppressed": False,
    }
    small = [k for k, n in truth.items() if n < 5]
    assert small, truth
    for key in small:
        assert shown[key] == {"key": key, "count": None, "suppressed": True}
    for table in body["tables"].values():
        for cell in table:
            assert (cell["count"] is None) == cell["suppressed"] and (
                cell["count"] is None or cell["count"] >= 5
            )


def test_the_event_feed_reads_the_index_from_its_place_and_moves_past_what_it_may_not_see(
    port_world: PortWorld,
) -> None:
    """A reader with few visible events still moves on: each page answers the position read through,
    so the next poll starts there (no rescan from the deployment block, no chain access at all: the feed
    is built on the database alone)."""
    world = port_world
    world.accomplished_bill("consignee")
    assert wait_projected(world.ledger.db, world.chain.block_number(), timeout=30)
    feed = EventFeed(world.ledger.db, world.ledger.audiences)
    head = feed.head()
    stranger = world.org["haulier"]
    with world.ledger.db.transaction() as session:
        positions = [
            r.block_number * SEQUENCE_BASE + r.log_index
            for r in session.exec(select(IndexEvent).order_by(IndexEvent.block_number, IndexEvent.log_index))
        ]
    assert positions[-1] == head
    events, through = feed.page(stranger, -1, limit=500, scan=10)
    assert through == positions[9]  # ten read, whatever it could see of them
    assert all(e.id <= through and e.visible_to(stranger) for e in events)
    # From the head there is nothing to read, and the place stays.
    assert feed.page(stranger, head) == ([], head)
    everything, _ = feed.page(stranger, -1, limit=10_000, scan=10_000)
    mine = {e.id for e in everything}
    seen = set()
    cursor = -1
    while cursor < head:
        page, cursor = feed.page(stranger, cursor, limit=3, scan=7)
        seen |= {e.id for e in page}
    assert seen == mine and len(mine) < len(positions)
