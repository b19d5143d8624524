"""``GET /v1/containers/{containerNumber}/release-status``: each reason of the release gate
(docs/design.md §1.3) appears while its condition holds and disappears when it is lifted; the
container is ready, for the nominated haulier and its right, when every condition holds."""

from __future__ import annotations

import time
from typing import Any

from ledger.domain import schemas
from ledger.index.indexer import wait_projected
from tests.api.test_releases import customs_release, grant, mined
from tests.api.test_releases_world import ZERO32, PortWorld, hold_fields, port_world

__all__ = ["port_world"]


def status(world: PortWorld, container: str, who: str = "terminal") -> Any:
    assert wait_projected(world.ledger.db, world.chain.block_number(), timeout=30)
    answer = world.get(who, f"/v1/containers/{container}/release-status")
    assert answer.status_code == 200, answer.text
    return answer.json()


def codes(world: PortWorld, container: str, who: str = "terminal") -> set[str]:
    return {r["code"] for r in status(world, container, who)["reasons"]}


def test_release_status_names_every_reason_until_each_is_lifted(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.issue("consignee")
    container = world.container_on(bill_id)
    # A bill that lists the container, not yet surrendered, no customs release, no right.
    assert codes(world, container, "consignee") == {"NO_RIGHT", "BILL_NOT_ACCOMPLISHED", "NO_CUSTOMS_RELEASE"}
    assert wait_projected(world.ledger.db, world.chain.block_number(), timeout=30)
    assert world.get("forwarder", f"/v1/containers/{container}/release-status").status_code == 404

    world.bills.transact("surrenderForDelivery", bill_id, ZERO32, sender=world.setup["consignee"])
    world.bills.transact("acceptSurrender", bill_id, ZERO32, sender=world.setup["carrier"])
    customs_release(world, schemas.bill_subject(bill_id))
    assert codes(world, container, "consignee") == {"NO_RIGHT"}

    right_id = grant(world, bill_id, container)
    assert codes(world, container) == {"NOT_NOMINATED"}
    haulier = str(world.org["haulier"])
    mined(world.post("consignee", f"/v1/releases/{right_id}/nominate", {"nominee": haulier}))
    ready = status(world, container)
    assert ready["ready"] is True and ready["reasons"] == []
    assert (ready["rightId"], ready["haulier"]) == (right_id, haulier)
    for who in ("haulier", "carrier", "consignee", "customs"):
        assert status(world, container, who)["ready"] is True, who

    hold = world.signed_report("CUSTOMS_HOLD", schemas.container_subject(container), hold_fields())
    mined(world.post("customs", "/v1/reports", hold))
    held = status(world, container)
    assert held["ready"] is False and [r["code"] for r in held["reasons"]] == ["CUSTOMS_HOLD"]
    uid = held["reasons"][0]["details"]["uid"]
    lift = world.signed_report(
        "CUSTOMS_HOLD",
        schemas.container_subject(container),
        hold_fields(),
        action="REVOKE",
        target=uid,
        sequence=2,
    )
    mined(world.post("customs", "/v1/reports", lift))
    assert status(world, container)["ready"] is True

    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-out", {"eir": _eir(), "haulier": haulier}))
    assert codes(world, container) == {"RIGHT_NOT_ACTIVE"}


def test_release_status_names_a_window_not_yet_open_and_an_expired_one(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    container = world.container_on(bill_id)
    customs_release(world, schemas.bill_container_subject(bill_id, container))
    now = world.chain.latest_timestamp()
    right_id = grant(world, bill_id, container, validFrom=now + 86_400, validUntil=now + 2 * 86_400)
    mined(
        world.post("consignee", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org["haulier"])})
    )
    assert codes(world, container) == {"RIGHT_NOT_YET_VALID"}

    right = bytes.fromhex(right_id[2:])
    world.contracts.release.transact("revoke", right, sender=world.setup["carrier"])
    now = world.chain.latest_timestamp()
    grant(world, bill_id, container, validFrom=now - 60, validUntil=now + 2)
    assert "RIGHT_NOT_YET_VALID" not in codes(world, container)
    time.sleep(3)
    world.chain.rpc("evm_mine", [])
    assert "RIGHT_EXPIRED" in codes(world, container)

    world.contracts.release.transact("revoke", right, sender=world.setup["carrier"])
    grant(world, bill_id, container)
    assert codes(world, container) == {"NOT_NOMINATED"}  # a new grant goes to the consignee again


def _eir() -> dict[str, Any]:
    return {"laden": True, "seals": [], "damageCodes": [], "truckPlate": "", "eventTime": 1_795_000_000}
