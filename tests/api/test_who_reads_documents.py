"""The documents table of "who reads what" (docs/design.md §2), one test per row, through HTTP on a real
chain, database and store; plus access that follows the chain's acceptance, never the request.

| Document content | Who |
|---|---|
| always | the issuing carrier; the current possessor and title holder; a straight B/L's consignee |
| from its pledge request until the pledge ends | the bank named in it |
| past parties | keep what they were entitled to read (no new versions) |
| everyone else | the title's public state and its container numbers only |
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sqlmodel import select

from ledger.services.documents import DocumentKeyWrap
from tests.api.conftest import Api, transport_document
from tests.api.test_bills_api import PLEDGE, act, bill, issue, mined, refused


def reads(api: Api, bill_id: str, who: str, **params: Any) -> dict[str, Any] | None:
    """The document ``who`` reads, or None when it is refused (403, or 404: it may not know the title)."""
    answer = api.get(f"/v1/bills/{bill_id}/document", who, **params)
    if answer.status_code in (403, 404):
        return None
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def wrapped_for(api: Api, bill_id: str) -> set[int]:
    with api.ledger.db.transaction() as session:
        rows = session.exec(select(DocumentKeyWrap).where(DocumentKeyWrap.bill_id == bill_id.lower())).all()
    return {row.org for row in rows}


def amend(api: Api, bill_id: str, holder: str, document: dict[str, Any]) -> dict[str, Any]:
    """Surrender for amendment by ``holder``, accepted by the carrier, re-issued as the next version."""
    mined(act(api, bill_id, holder, "SURRENDER_FOR_AMENDMENT", reasonCode="COD"))
    mined(act(api, bill_id, "carrier", "SACC"))
    amended = copy.deepcopy(document)
    amended["consignmentItems"][0]["descriptionOfGoods"] = [f"Amended {time.monotonic_ns()}"]
    mined(api.post(f"/v1/bills/{bill_id}/amend", "carrier", {"document": amended}))
    return amended


def test_always_the_carrier_the_possessor_and_holder_and_a_straight_bills_consignee_read(api: Api) -> None:
    negotiable = transport_document(api, "negotiable")
    title = issue(api, negotiable)
    assert reads(api, title, "carrier") == reads(api, title, "shipper") == negotiable
    mined(act(api, title, "shipper", "TRANSFER", recipient=api.org("consignee")))
    assert reads(api, title, "consignee") == negotiable  # the new possessor and holder

    straight = transport_document(api, "straight")
    straight_title = issue(api, straight)
    assert bill(api, straight_title)["consignee"] == api.org("consignee")
    for who in ("carrier", "shipper", "consignee"):
        assert reads(api, straight_title, who) == straight, who
    assert reads(api, straight_title, "bank") is None


def test_the_bank_reads_from_its_pledge_request_until_the_pledge_ends(api: Api) -> None:
    document = transport_document(api, "negotiable")
    title = issue(api, document)
    assert reads(api, title, "bank") is None  # not asked yet: a stranger
    mined(act(api, title, "shipper", "PLEDGE", recipient=api.org("bank"), pledge=PLEDGE))
    assert reads(api, title, "bank") == document  # requested: it reads what it is asked to finance
    requested = bill(api, title, "bank")["pledge"]
    mined(act(api, title, "bank", "ACCEPT_PLEDGE", termsHash=requested["termsHash"]))
    assert reads(api, title, "bank") == document  # active
    mined(act(api, title, "bank", "RELEASE_PLEDGE"))

    # The pledge ended: a new version of the document is not the bank's to read.
    amended = amend(api, title, "shipper", document)
    assert reads(api, title, "shipper") == amended
    assert reads(api, title, "bank") is None
    assert int(api.org("bank")) not in wrapped_for_version(api, title, 2)


def wrapped_for_version(api: Api, bill_id: str, version: int) -> set[int]:
    with api.ledger.db.transaction() as session:
        rows = session.exec(
            select(DocumentKeyWrap).where(
                DocumentKeyWrap.bill_id == bill_id.lower(), DocumentKeyWrap.version == version
            )
        ).all()
    return {row.org for row in rows}


def test_past_parties_keep_the_versions_they_could_read_and_get_no_new_ones(api: Api) -> None:
    document = transport_document(api, "negotiable")
    title = issue(api, document)
    mined(act(api, title, "shipper", "ENDORSE", recipient=api.org("consignee")))
    mined(act(api, title, "shipper", "TRANSFER", recipient=api.org("consignee")))
    state = bill(api, title, "consignee")
    assert (state["possessor"], state["titleHolder"]) == (api.org("consignee"), api.org("consignee"))
    assert reads(api, title, "shipper") == document  # a past party still reads version 1

    amended = amend(api, title, "consignee", document)
    assert reads(api, title, "consignee") == amended
    assert reads(api, title, "carrier") == amended
    refused(api.get(f"/v1/bills/{title}/document", "shipper"), 403, "FORBIDDEN")
    assert reads(api, title, "shipper", version=1) == document
    assert reads(api, title, "consignee", version=1) == document
    assert wrapped_for_version(api, title, 2) == {int(api.org("carrier")), int(api.org("consignee"))}
    refused(api.get(f"/v1/bills/{title}/document", "shipper", version=3), 404, "NOT_FOUND")


def test_everyone_else_gets_the_public_state_and_container_numbers_only(api: Api) -> None:
    document = transport_document(api, "negotiable")
    title = issue(api, document)
    stranger = "terminal"
    refused(api.get(f"/v1/bills/{title}/document", stranger), 404, "NOT_FOUND")
    refused(api.get(f"/v1/bills/{title}/document", stranger, version=1), 404, "NOT_FOUND")
    refused(api.get(f"/v1/bills/{title}", stranger), 404, "NOT_FOUND")
    refused(api.get(f"/v1/bills/{title}/history", stranger), 404, "NOT_FOUND")
    public = api.get(f"/v1/bills/{title}/public", stranger)
    assert public.status_code == 200, public.text
    containers = [e["equipment"]["equipmentReference"] for e in document["utilizedTransportEquipments"]]
    assert public.json() == {
        "id": title,
        "carrier": api.org("carrier"),
        "kind": "NEGOTIABLE",
        "status": "ISSUED",
        "version": 1,
        "containerNumbers": containers,
    }
    assert not {"possessor", "titleHolder", "consignee", "cid", "pledge"} & set(public.json())
    assert int(api.org(stranger)) not in wrapped_for(api, title)
    unknown = "0x" + "7" * 64
    refused(api.get(f"/v1/bills/{unknown}/public", stranger), 404, "NOT_FOUND")


def wait_final(api: Api, operation: dict[str, Any], who: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = api.get(f"/v1/operations/{operation['id']}", who).json()
        if body["status"] in ("mined", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"operation {operation['id']} did not finish: {body}")


def test_a_transfer_the_chain_refuses_gives_its_recipient_no_access(api: Api) -> None:
    """Two transfers of one title pass the API's pre-check while the chain mines nothing; the chain then
    mines both in one block and refuses the second. Only the recipient of the first reads the document:
    access follows the projected event, not the accepted request."""
    document = transport_document(api, "negotiable")
    title = issue(api, document)
    chain = api.ledger.chain
    chain.rpc("evm_setAutomine", [False])
    try:
        first = act_async(api, title, "consignee")
        second = act_async(api, title, "bank")
        assert wrapped_for(api, title) == {int(api.org("carrier")), int(api.org("shipper"))}
        wait_sent(api, [first["id"], second["id"]])
        chain.rpc("evm_mine", [])
    finally:
        chain.rpc("evm_setAutomine", [True])
    assert wait_final(api, first, "shipper")["status"] == "mined"
    assert wait_final(api, second, "shipper")["status"] == "failed"
    assert bill(api, title, "consignee")["possessor"] == api.org("consignee")
    assert reads(api, title, "consignee") == document
    assert reads(api, title, "bank") is None
    assert int(api.org("bank")) not in wrapped_for(api, title)


def act_async(api: Api, bill_id: str, recipient: str) -> dict[str, Any]:
    answer = api.post(
        f"/v1/bills/{bill_id}/actions",
        "shipper",
        {"action": "TRANSFER", "recipient": api.org(recipient)},
        wait=0,
    )
    assert answer.status_code in (200, 202), answer.text
    body: dict[str, Any] = answer.json()
    return body


def wait_sent(api: Api, operation_ids: list[str]) -> None:
    """Until the transaction manager has sent both transactions (they wait in the chain's pool)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pool = api.ledger.chain.rpc("txpool_content", [])
        pending = sum(len(txs) for txs in pool.get("pending", {}).values())
        if pending >= len(operation_ids):
            return
        time.sleep(0.05)
    raise AssertionError("the transactions were not sent")
