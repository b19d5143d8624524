"""Straight B/L, sea waybill and amendment through HTTP: what the contract refuses comes back at once
with its decoded reason, and nothing is queued."""

from __future__ import annotations

import copy

from tests.api.conftest import Api, transport_document
from tests.api.test_bills_api import act, bill, issue, mined, refused


def test_straight_bill_transfer_to_anyone_but_the_consignee_is_refused(api: Api) -> None:
    bill_id = issue(api, transport_document(api, "straight"))
    state = bill(api, bill_id, "shipper")
    assert (state["kind"], state["consignee"], state["titleHolder"]) == (
        "STRAIGHT",
        api.org("consignee"),
        api.org("consignee"),
    )
    before = api.snapshot()
    body = refused(
        act(api, bill_id, "shipper", "TRANSFER", recipient=api.org("bank")),
        409,
        "BILL_STRAIGHT_RECIPIENT_MISMATCH",
    )
    assert body["args"]["recipient"] == int(api.org("bank"))
    refused(
        act(api, bill_id, "shipper", "ENDORSE", recipient=api.org("consignee")), 409, "BILL_NOT_NEGOTIABLE"
    )
    assert api.snapshot() == before
    mined(act(api, bill_id, "shipper", "TRANSFER", recipient=api.org("consignee")))
    assert bill(api, bill_id, "consignee")["possessor"] == api.org("consignee")


def test_sea_waybill_every_transfer_is_refused(api: Api) -> None:
    bill_id = issue(api, transport_document(api, "swb"))
    assert bill(api, bill_id, "shipper")["kind"] == "SWB"
    before = api.snapshot()
    for recipient in ("consignee", "bank"):
        refused(
            act(api, bill_id, "shipper", "TRANSFER", recipient=api.org(recipient)), 409, "BILL_SEA_WAYBILL"
        )
    assert api.snapshot() == before


def test_amendment_reissues_version_two_and_verify_no_longer_accepts_the_old_document(api: Api) -> None:
    original = transport_document(api, "negotiable")
    bill_id = issue(api, original)
    verified = api.post("/v1/verify", "bank", {"document": original}, wait=None).json()
    assert (verified["accepted"], verified["reason"], verified["billId"], verified["version"]) == (
        True,
        "LIVE_TITLE",
        bill_id,
        1,
    )

    refused(act(api, bill_id, "shipper", "SURRENDER_FOR_AMENDMENT"), 422, "VALIDATION_FAILED")
    mined(act(api, bill_id, "shipper", "SURRENDER_FOR_AMENDMENT", reasonCode="COD"))
    mined(act(api, bill_id, "carrier", "SACC"))
    assert bill(api, bill_id)["status"] == "SURRENDERED_FOR_AMENDMENT"

    amended = copy.deepcopy(original)
    amended["consignmentItems"][0]["descriptionOfGoods"] = ["Hazardous substance, amended"]
    other = copy.deepcopy(amended)
    other["transportDocumentReference"] = "TOLUOTHERREF0001"
    refused(api.post(f"/v1/bills/{bill_id}/amend", "carrier", {"document": other}), 422, "DOCUMENT_NOT_BOUND")
    refused(api.post(f"/v1/bills/{bill_id}/amend", "shipper", {"document": amended}), 403, "FORBIDDEN")
    mined(api.post(f"/v1/bills/{bill_id}/amend", "carrier", {"document": amended}))

    state = bill(api, bill_id, "shipper")
    assert (state["status"], state["version"], state["possessor"]) == ("ISSUED", 2, api.org("shipper"))
    assert api.get(f"/v1/bills/{bill_id}/document", "shipper").json() == amended
    old = api.post("/v1/verify", "bank", {"document": original}, wait=None).json()
    assert (old["accepted"], old["reason"], old["version"]) == (False, "SUPERSEDED", 2)
    # The bank holds an old version only: it learns that it is superseded, not who controls the title now.
    assert (old.get("possessor"), old.get("titleHolder")) == (None, None)
    # A party of the title that presents the old version still sees who possesses it.
    mine = api.post("/v1/verify", "shipper", {"document": original}, wait=None).json()
    assert (mine["reason"], mine["possessor"]) == ("SUPERSEDED", api.org("shipper"))
    new = api.post("/v1/verify", "bank", {"document": amended}, wait=None).json()
    assert (new["accepted"], new["reason"], new["possessor"]) == (True, "LIVE_TITLE", api.org("shipper"))
    by_reference = api.get(
        f"/v1/bills/by-reference/{api.org('carrier')}/{original['transportDocumentReference']}", "shipper"
    )
    assert by_reference.json()["id"] == bill_id
