"""e-B/L lifecycle through HTTP by the named organisations, on a real chain, database and store."""

from __future__ import annotations

import base64
import copy
from typing import Any

from ledger.domain.schemas import CREDIT_LEVEL
from ledger.services.statements import verify_statement
from tests.api.conftest import Api, transport_document

PLEDGE = {
    "amount": "1250000.00",
    "currency": "USD",
    "registrationRef": "CN-PLEDGE-2026-000123",
    "acceptBy": "2099-12-31T23:59:59Z",
    "maturity": "2100-06-30T23:59:59Z",
    "noticePeriodSeconds": 604800,
}


def issue(api: Api, document: dict[str, Any], to: str = "shipper") -> str:
    answer = api.post("/v1/bills", "carrier", {"document": document, "issueTo": api.org(to)})
    assert answer.status_code == 200, answer.text
    operation = answer.json()
    assert operation["status"] == "mined", operation
    bill_id: str = operation["result"]["billId"]
    return bill_id


def act(api: Api, bill_id: str, who: str, action: str, **fields: Any) -> Any:
    return api.post(f"/v1/bills/{bill_id}/actions", who, {"action": action, **fields})


def mined(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "mined", body
    return body


def refused(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, answer.text
    return body


def bill(api: Api, bill_id: str, who: str = "carrier") -> dict[str, Any]:
    answer = api.get(f"/v1/bills/{bill_id}", who)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_negotiable_bill_lifecycle_pledge_release_endorse_surrender_accomplished(api: Api) -> None:
    document = transport_document(api, "negotiable")
    bill_id = issue(api, document)
    state = bill(api, bill_id, "shipper")
    assert (state["status"], state["possessor"], state["titleHolder"], state["kind"]) == (
        "ISSUED",
        api.org("shipper"),
        api.org("shipper"),
        "NEGOTIABLE",
    )
    assert api.get(f"/v1/bills/{bill_id}/document", "shipper").json() == document

    mined(act(api, bill_id, "shipper", "PLEDGE", recipient=api.org("bank"), pledge=PLEDGE))
    requested = bill(api, bill_id, "bank")["pledge"]
    assert (requested["status"], requested["nonce"], requested["pledgor"]) == (
        "REQUESTED",
        1,
        api.org("shipper"),
    )
    # The bank's acceptance binds the terms it read, by their hash; other terms are refused.
    refused(
        act(api, bill_id, "bank", "ACCEPT_PLEDGE", termsHash="0x" + "ab" * 32),
        409,
        "BILL_PLEDGE_TERMS_MISMATCH",
    )
    refused(act(api, bill_id, "bank", "ACCEPT_PLEDGE"), 422, "VALIDATION_FAILED")
    mined(act(api, bill_id, "bank", "ACCEPT_PLEDGE", termsHash=requested["termsHash"]))
    pledge = bill(api, bill_id, "bank")["pledge"]
    assert (
        pledge["status"] == "ACTIVE"
        and pledge["amount"] == "1250000.00"
        and pledge["pledgee"] == api.org("bank")
        and pledge["termsHash"] == requested["termsHash"]
        and pledge["acceptedAt"] is not None
    )
    # Before maturity and without a default the bank cannot take the title.
    refused(act(api, bill_id, "bank", "ENFORCE_PLEDGE"), 409, "BILL_PLEDGE_NOT_ENFORCEABLE")

    before = api.snapshot()
    second = act(api, bill_id, "shipper", "PLEDGE", recipient=api.org("bank"), pledge=PLEDGE)
    refused(second, 409, "BILL_PLEDGED")
    surrender = act(api, bill_id, "shipper", "SURRENDER_FOR_DELIVERY")
    body = refused(surrender, 409, "BILL_PLEDGED")
    assert body["args"]["pledgee"] == int(api.org("bank"))
    assert api.snapshot() == before

    mined(act(api, bill_id, "bank", "RELEASE_PLEDGE"))
    mined(act(api, bill_id, "shipper", "ENDORSE", recipient=api.org("consignee")))
    endorsed = bill(api, bill_id, "consignee")
    assert (endorsed["possessor"], endorsed["titleHolder"]) == (api.org("shipper"), api.org("consignee"))
    mined(act(api, bill_id, "shipper", "TRANSFER", recipient=api.org("consignee")))
    state = bill(api, bill_id, "consignee")
    assert (state["possessor"], state["titleHolder"], state["pledge"]) == (
        api.org("consignee"),
        api.org("consignee"),
        None,
    )
    assert api.get(f"/v1/bills/{bill_id}/document", "consignee").json() == document
    assert bill(api, bill_id)["cid"] == state["cid"]

    mined(act(api, bill_id, "consignee", "SURRENDER_FOR_DELIVERY"))
    # A refusal names the status, not its number, and the title id in hex.
    again = refused(act(api, bill_id, "consignee", "SURRENDER_FOR_DELIVERY"), 409, "BILL_WRONG_STATUS")
    assert again["args"] == {"billId": bill_id.lower(), "status": "SURRENDER_PENDING_DELIVERY"}
    mined(act(api, bill_id, "carrier", "SACC"))
    assert bill(api, bill_id, "consignee")["status"] == "ACCOMPLISHED"
    items = api.get(f"/v1/bills/{bill_id}/history", "carrier").json()["items"]
    first = api.get(f"/v1/bills/{bill_id}/history", "carrier", limit=3).json()
    rest = api.get(f"/v1/bills/{bill_id}/history", "carrier", cursor=first["nextCursor"]).json()
    assert first["items"] + rest["items"] == items and rest["nextCursor"] is None
    pledge_entry = items[1]
    assert (pledge_entry["actor"], pledge_entry["recipient"]) == (api.org("shipper"), api.org("bank"))
    history = [h["action"] for h in items]
    assert history == [
        "ISSUE",
        "PLEDGE",
        "ACCEPT_PLEDGE",
        "RELEASE_PLEDGE",
        "ENDORSE",
        "TRANSFER",
        "SURRENDER_FOR_DELIVERY",
        "SACC",
    ]

    signed = api.get(f"/v1/bills/{bill_id}/collateral-statement", "bank").json()
    statement = signed["statement"]
    assert (statement["status"], statement["possessor"], statement["pledge"]) == (
        "ACCOMPLISHED",
        api.org("carrier"),
        None,
    )
    assert statement["documentChecksum"] == state["documentChecksum"]
    chain_block = api.ledger.chain.get_block(statement["blockNumber"])
    assert chain_block["hash"] == statement["blockHash"]
    published = api.client.get("/v1/statement-key").json()
    public_key = base64.b64decode(published["publicKey"])
    assert published["keyId"] == signed["keyId"]
    assert verify_statement(signed, public_key)
    forged = copy.deepcopy(signed)
    forged["statement"]["status"] = "ISSUED"
    assert not verify_statement(forged, public_key)


def test_collateral_statement_reports_effective_attestations_about_the_parties(api: Api) -> None:
    bill_id = issue(api, transport_document(api, "negotiable"))
    stack = api.stack
    schema_id = stack.deployment.schema_id("CREDIT_LEVEL")
    shipper_subject = int(api.org("shipper")).to_bytes(32, "big")
    valid_until = api.ledger.chain.latest_timestamp() + 365 * 86400
    data = CREDIT_LEVEL.encode({"validUntil": valid_until, "creditCode": "91330200MA2TEST04X", "level": "AA"})
    # customs is not one of this node's signers, so attesting from its admin leaves the outbox's nonces alone
    receipt = stack.contracts.attestations.transact(
        "attest", (schema_id, shipper_subject, b"\x00" * 32, data), sender=stack.admin("customs")
    )
    uid = "0x" + bytes(receipt.event("Attested").args["uid"]).hex()

    signed = api.get(f"/v1/bills/{bill_id}/collateral-statement", "shipper").json()
    about = {(a["schema"], a["about"]): a for a in signed["statement"]["attestations"]}
    for role in ("possessor", "titleHolder"):
        entry = about[("CREDIT_LEVEL", role)]
        assert (entry["uid"], entry["attester"], entry["expirationTime"]) == (
            uid,
            str(stack.org("customs")),
            valid_until,
        )
    public_key = base64.b64decode(api.client.get("/v1/statement-key").json()["publicKey"])
    assert verify_statement(signed, public_key)
