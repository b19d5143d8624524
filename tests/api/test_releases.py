"""Container release over HTTP, end to end against anvil and SQLite: a 2-of-3 customs release report for an
accomplished B/L, the carrier's grant, nomination to the haulier, gate-out for the haulier's truck and
gate-in; and the refusals at the gate, each answered at once with the contract's error code and nothing
queued."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.domain import schemas
from ledger.outbox import Operation
from ledger.services.releases import right_id_of
from tests.api.test_releases_world import PortWorld, hold_fields, port_world, release_fields

__all__ = ["port_world"]

HEX32 = "0x" + "ab" * 32


def eir(laden: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "laden": laden,
        "seals": ["SEAL0001"],
        "damageCodes": [],
        "truckPlate": "ZJB12345",
        "eventTime": 1_795_000_000,
        **extra,
    }


def mined(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "mined", (body["kind"], body["error"])
    return body


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert response.headers["content-type"].startswith("application/problem+json")
    return body


def operations_count(world: PortWorld) -> int:
    with world.ledger.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Operation)) or 0)


def customs_release(world: PortWorld, subject: bytes) -> str:
    """Relay a 2-of-3 customs release report; returns the attestation it made."""
    body = world.signed_report("CUSTOMS_RELEASE", subject, release_fields())
    mined(world.post("shipper", "/v1/reports", body))
    made = world.get("customs", f"/v1/subjects/0x{subject.hex()}/attestations").json()["items"]
    uid: str = made[-1]["uid"]
    return uid


def grant(world: PortWorld, bill_id: int, container: str, **extra: Any) -> str:
    now = world.chain.latest_timestamp()
    body = {
        "billId": "0x" + bill_id.to_bytes(32, "big").hex(),
        "containerNumbers": [container],
        "terminal": str(world.org["terminal"]),
        "validFrom": now - 60,
        "validUntil": now + 86_400,
        **extra,
    }
    operation = mined(world.post("carrier", "/v1/releases", body))
    expected = "0x" + right_id_of(bill_id, container).hex()
    # The operation's result names the right it granted (read from the receipt's events).
    assert [r["rightId"] for r in operation["result"]["rights"]] == [expected]
    assert operation["result"]["rights"][0]["containerNumber"] == container
    return expected


def ready_right(world: PortWorld, *, with_release: bool = True, nominate_to: str | None = "haulier") -> str:
    bill_id = world.accomplished_bill("consignee")
    container = world.container_on(bill_id)
    if with_release:
        customs_release(world, schemas.bill_subject(bill_id))
    right_id = grant(world, bill_id, container)
    if nominate_to:
        mined(
            world.post(
                "consignee", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org[nominate_to])}
            )
        )
    return right_id


# ---------------------------------------------------------------------- the happy path


def test_release_from_customs_report_to_gate_in_over_http(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    container = world.container_on(bill_id)
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()

    release_uid = customs_release(world, schemas.bill_subject(bill_id))
    listed = world.get("consignee", f"/v1/subjects/{bill_hex}/attestations").json()["items"]
    assert [(a["uid"], a["schemaName"], a["effective"]) for a in listed] == [
        (release_uid, "CUSTOMS_RELEASE", True)
    ]
    assert listed[0]["attester"] == str(world.org["customs"])

    right_id = grant(world, bill_id, container)
    right = world.get("consignee", f"/v1/releases/{right_id}").json()
    assert (right["holder"], right["terminal"], right["status"]) == (
        str(world.org["consignee"]),
        str(world.org["terminal"]),
        "GRANTED",
    )
    assert right["billId"] == bill_hex and right["containerNumber"] == container

    nomination = world.post(
        "consignee", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org["haulier"])}
    )
    mined(nomination)
    assert world.get("haulier", f"/v1/releases/{right_id}").json()["holder"] == str(world.org["haulier"])

    out = mined(
        world.post(
            "terminal",
            f"/v1/releases/{right_id}/gate-out",
            {"eir": eir(), "haulier": str(world.org["haulier"])},
        )
    )
    assert out["kind"] == "release.gate_out"
    back = mined(world.post("terminal", f"/v1/releases/{right_id}/gate-in", {"eir": eir(laden=False)}))
    assert back["kind"] == "release.gate_in"

    final = world.get("carrier", f"/v1/releases/{right_id}").json()
    assert final["status"] == "GATED_IN"
    kinds = [r["kind"] for r in final["records"]]
    assert kinds == ["ReleaseGranted", "ReleaseNominated", "GatedOut", "GatedIn"]
    # One causal chain: the grant points at the title, every record at the one before it.
    assert final["records"][0]["previousRecordId"] == bill_hex
    for before, after in zip(final["records"], final["records"][1:], strict=False):
        assert after["previousRecordId"] == before["recordId"]

    eirs = world.get("terminal", f"/v1/containers/{container}/eirs").json()["items"]
    assert [(e["direction"], e["laden"], e["haulier"]) for e in eirs] == [
        ("OUT", True, str(world.org["haulier"])),
        ("IN", False, None),
    ]
    assert eirs[1]["previousRecordId"] == eirs[0]["recordId"]
    assert world.get("haulier", f"/v1/containers/{container}/eirs").json()["items"][0]["direction"] == "OUT"


def test_gate_out_with_one_time_release_code_for_a_haulier_without_account(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world, nominate_to=None)
    issued = world.post("consignee", f"/v1/releases/{right_id}/release-code", {})
    assert issued.status_code == 200, issued.text
    code = issued.json()["releaseCode"]
    assert len(bytes.fromhex(code)) * 8 >= 96
    # Only the salted hash is on chain: the code itself is nowhere in the right's view.
    view = world.get("consignee", f"/v1/releases/{right_id}").text
    assert code not in view and '"hasReleaseCode":true' in view.replace(" ", "")

    before = operations_count(world)
    wrong = world.post(
        "terminal", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "releaseCode": "00" * 16}
    )
    refused(wrong, 409, "RELEASE_CODE_MISMATCH")
    assert operations_count(world) == before

    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "releaseCode": code}))
    eirs = world.get(
        "terminal",
        f"/v1/containers/{world.get('consignee', f'/v1/releases/{right_id}').json()['containerNumber']}/eirs",
    )
    assert eirs.json()["items"][0]["byReleaseCode"] is True


# ---------------------------------------------------------------------- refusals at the gate


def test_gate_out_without_customs_release_is_refused_no_customs_release(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world, with_release=False)
    before = operations_count(world)
    response = world.post(
        "terminal", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "haulier": str(world.org["haulier"])}
    )
    refused(response, 409, "RELEASE_NO_CUSTOMS_RELEASE")
    assert operations_count(world) == before
    assert world.get("terminal", f"/v1/releases/{right_id}").json()["status"] == "GRANTED"


def test_gate_out_with_customs_hold_is_refused_customs_hold(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    container = world.get("carrier", f"/v1/releases/{right_id}").json()["containerNumber"]
    hold = world.signed_report("CUSTOMS_HOLD", schemas.container_subject(container), hold_fields())
    mined(world.post("customs", "/v1/reports", hold))
    response = world.post(
        "terminal", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "haulier": str(world.org["haulier"])}
    )
    body = refused(response, 409, "RELEASE_CUSTOMS_HOLD")
    assert body["args"]["subject"] == "0x" + schemas.container_subject(container).hex()


def test_gate_out_by_a_non_terminal_is_refused_not_terminal(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    response = world.post(
        "haulier", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "haulier": str(world.org["haulier"])}
    )
    refused(response, 409, "RELEASE_NOT_TERMINAL")


def test_gate_out_for_a_truck_of_another_haulier_is_refused_haulier_not_holder(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    response = world.post(
        "terminal",
        f"/v1/releases/{right_id}/gate-out",
        {"eir": eir(), "haulier": str(world.org["forwarder"])},
    )
    body = refused(response, 409, "RELEASE_HAULIER_NOT_HOLDER")
    assert body["args"]["holder"] == world.org["haulier"]


def test_gate_out_twice_is_refused_right_not_active(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    request = {"eir": eir(), "haulier": str(world.org["haulier"])}
    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-out", request))
    refused(
        world.post("terminal", f"/v1/releases/{right_id}/gate-out", request), 409, "RELEASE_RIGHT_NOT_ACTIVE"
    )


def test_gate_in_before_gate_out_is_refused_not_gated_out(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    refused(
        world.post("terminal", f"/v1/releases/{right_id}/gate-in", {"eir": eir(False)}),
        409,
        "RELEASE_NOT_GATED_OUT",
    )


# ---------------------------------------------------------------------- bad input, nothing queued


@pytest.mark.parametrize(
    ("change", "code", "path"),
    [
        ({"containerNumbers": ["MSKU1234560"]}, "VALIDATION_FAILED", "$.containerNumbers[0]"),
        ({"containerNumbers": ["msku1234565"]}, "VALIDATION_FAILED", "$.containerNumbers[0]"),
        ({"terminal": "999"}, "UNKNOWN_ORGANISATION", None),
        ({"billId": "0x12"}, "VALIDATION_FAILED", "$.billId"),
        ({"validFrom": "soon"}, "VALIDATION_FAILED", "$.validFrom"),
        ({"surprise": 1}, "VALIDATION_FAILED", "$.surprise"),
    ],
)
def test_grant_with_bad_input_is_refused_and_nothing_is_queued(
    port_world: PortWorld, change: dict[str, Any], code: str, path: str | None
) -> None:
    world = port_world
    body = {
        "billId": HEX32,
        "containerNumbers": ["MSKU1234565"],
        "terminal": str(world.org["terminal"]),
        "validFrom": 0,
        "validUntil": 2_000_000_000,
        **change,
    }
    before = operations_count(world)
    problem = refused(world.post("carrier", "/v1/releases", body), 422, code)
    if path is not None:
        assert path in [e["path"] for e in problem["errors"]]
    assert operations_count(world) == before


def test_grant_by_a_non_carrier_is_refused_not_carrier(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    now = world.chain.latest_timestamp()
    body = {
        "billId": "0x" + bill_id.to_bytes(32, "big").hex(),
        "containerNumbers": [world.container_on(bill_id)],
        "terminal": str(world.org["terminal"]),
        "validFrom": now,
        "validUntil": now + 3600,
    }
    refused(world.post("consignee", "/v1/releases", body), 409, "RELEASE_NOT_CARRIER")


def test_release_writes_without_auth_or_json_are_refused(port_world: PortWorld) -> None:
    world = port_world
    assert world.client.post("/v1/releases", json={}).status_code == 401
    response = world.client.post(
        "/v1/releases",
        content=b"billId=1",
        headers={"Authorization": f"Bearer {world.token['carrier']}", "Content-Type": "text/plain"},
    )
    refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")


# ---------------------------------------------------------------------- a wrong organisation learns nothing


def test_every_release_route_refuses_a_wrong_organisation(port_world: PortWorld) -> None:
    world = port_world
    right_id = ready_right(world)
    container = world.get("carrier", f"/v1/releases/{right_id}").json()["containerNumber"]
    before = operations_count(world)
    # Reads: the bank is no party: 404, and the container's EIR list is empty for it.
    refused(world.get("bank", f"/v1/releases/{right_id}"), 404, "NOT_FOUND")
    assert world.get("bank", f"/v1/releases/{'0x' + '01' * 32}").status_code == 404
    # Writes: each refused by the contract with its named error, nothing queued.
    refused(
        world.post("bank", f"/v1/releases/{right_id}/nominate", {"nominee": str(world.org["bank"])}),
        409,
        "RELEASE_NOT_HOLDER",
    )
    refused(world.post("bank", f"/v1/releases/{right_id}/release-code", {}), 409, "RELEASE_NOT_HOLDER")
    refused(
        world.post(
            "bank", f"/v1/releases/{right_id}/gate-out", {"eir": eir(), "haulier": str(world.org["haulier"])}
        ),
        409,
        "RELEASE_NOT_TERMINAL",
    )
    mined(
        world.post(
            "terminal",
            f"/v1/releases/{right_id}/gate-out",
            {"eir": eir(), "haulier": str(world.org["haulier"])},
        )
    )
    refused(
        world.post("bank", f"/v1/releases/{right_id}/gate-in", {"eir": eir(False)}),
        409,
        "RELEASE_NOT_TERMINAL",
    )
    assert world.get("bank", f"/v1/containers/{container}/eirs").json()["items"] == []
    assert operations_count(world) == before + 1


def test_grant_with_the_same_idempotency_key_returns_the_same_operation(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    now = world.chain.latest_timestamp()
    body = {
        "billId": "0x" + bill_id.to_bytes(32, "big").hex(),
        "containerNumbers": [world.container_on(bill_id)],
        "terminal": str(world.org["terminal"]),
        "validFrom": now,
        "validUntil": now + 3600,
    }
    first = world.post(
        "carrier", "/v1/releases", body, **{"Idempotency-Key": "grant-once-" + str(bill_id)[:12]}
    )
    again = world.post(
        "carrier", "/v1/releases", body, **{"Idempotency-Key": "grant-once-" + str(bill_id)[:12]}
    )
    assert first.json()["id"] == again.json()["id"]
    other = dict(body, validUntil=now + 7200)
    refused(
        world.post(
            "carrier", "/v1/releases", other, **{"Idempotency-Key": "grant-once-" + str(bill_id)[:12]}
        ),
        409,
        "IDEMPOTENCY_CONFLICT",
    )
