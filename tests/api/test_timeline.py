"""``GET /v1/bills/{id}/timeline`` through the real API: one title's causal chain from issue to the
gate-in of its container, in chain order, and filtered by who may see what (docs/design.md §2)."""

from __future__ import annotations

from typing import Any

from ledger.domain import schemas
from tests.api.test_releases import customs_release, eir, grant, mined
from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]


def timeline(world: PortWorld, who: str, bill_hex: str) -> Any:
    return world.get(who, f"/v1/bills/{bill_hex}/timeline")


def test_timeline_of_a_bill_from_issue_to_gate_in_has_each_step_once_in_order(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    container = world.container_on(bill_id)
    assert timeline(world, "terminal", bill_hex).status_code == 404  # no right for it yet: a stranger

    release_uid = customs_release(world, schemas.bill_subject(bill_id))
    right_id = grant(world, bill_id, container)
    haulier = str(world.org["haulier"])
    mined(world.post("consignee", f"/v1/releases/{right_id}/nominate", {"nominee": haulier}))
    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "haulier": haulier}))
    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-in", {"eir": eir(laden=False)}))

    answer = timeline(world, "carrier", bill_hex)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["billId"] == bill_hex
    items = body["items"]
    assert [i["action"] for i in items] == [
        "ISSUE",
        "SURRENDER_FOR_DELIVERY",
        "SACC",
        "CUSTOMS_RELEASE",
        "ReleaseGranted",
        "ReleaseNominated",
        "GatedOut",
        "GatedIn",
    ]
    positions = [(i["blockNumber"], i["logIndex"]) for i in items]
    assert positions == sorted(positions)
    org = world.org
    assert [i["actor"] for i in items] == [
        str(org[name])
        for name in (
            "carrier",
            "consignee",
            "carrier",
            "customs",
            "carrier",
            "consignee",
            "terminal",
            "terminal",
        )
    ]
    assert [i["kind"] for i in items] == ["title"] * 3 + ["attestation", "release", "release", "gate", "gate"]
    assert items[3]["refs"]["uid"] == release_uid
    assert all(i["summary"] and i["time"] and i["txHash"].startswith("0x") for i in items)
    assert container in items[6]["summary"] and "out of the gate" in items[6]["summary"]
    assert "accepted the surrender" in items[2]["summary"]

    # The consignee (a past party of the title) sees the whole chain too.
    assert timeline(world, "consignee", bill_hex).json()["items"] == items
    # The right's terminal and the nominated haulier see the facts and the release records, not the
    # title's own events (those go to the title's parties only).
    for who in ("terminal", "haulier"):
        seen = [i["action"] for i in timeline(world, who, bill_hex).json()["items"]]
        assert seen == ["CUSTOMS_RELEASE", "ReleaseGranted", "ReleaseNominated", "GatedOut", "GatedIn"], who
    # A stranger gets the answer of a title that does not exist.
    for who in ("bank", "forwarder"):
        refused = timeline(world, who, bill_hex)
        assert (refused.status_code, refused.json()["code"]) == (404, "NOT_FOUND")
    assert timeline(world, "carrier", "0x" + "00" * 31 + "01").status_code == 404


def test_timeline_shows_a_holder_only_what_it_may_see(port_world: PortWorld) -> None:
    """A holder of a right for one container of the bill sees facts about the bill, but no title
    events; a fact about another bill's container never enters this bill's timeline."""
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    other = world.accomplished_bill("consignee")
    customs_release(world, schemas.bill_container_subject(other, world.container_on(other)))
    right_id = grant(world, bill_id, world.container_on(bill_id))
    mined(
        world.post("consignee", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org["haulier"])})
    )
    seen = [i["action"] for i in timeline(world, "haulier", bill_hex).json()["items"]]
    assert seen == ["ReleaseGranted", "ReleaseNominated"]
    mine = [i["action"] for i in timeline(world, "consignee", bill_hex).json()["items"]]
    assert mine == ["ISSUE", "SURRENDER_FOR_DELIVERY", "SACC", "ReleaseGranted", "ReleaseNominated"]
