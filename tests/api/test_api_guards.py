"""Idempotency, authorisation and bad input: every refusal is a 4xx problem that says what to fix,
and changes nothing (chain block number, outbox rows, stored documents)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from ledger.outbox import Operation
from tests.api.conftest import Api, transport_document
from tests.api.test_bills_api import PLEDGE, issue, refused

UNKNOWN_TITLE = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def issued(api: Api) -> str:
    """A negotiable bill issued to the shipper, shared by this module's read-only checks."""
    return issue(api, transport_document(api, "negotiable"))


# -- idempotency ------------------------------------------------------------------------------------


def test_same_write_sent_ten_times_concurrently_with_one_key_yields_one_operation_and_one_transaction(
    api: Api, issued: str
) -> None:
    body = {"action": "SIGN", "remark": "signed once"}
    headers = api.headers("shipper", **{"Idempotency-Key": "sign-once-" + issued[-8:]})

    def send(_: int) -> Any:
        return api.client.post(f"/v1/bills/{issued}/actions", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    assert {a.status_code for a in answers} == {202}
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    (operation_id,) = ids
    final = api.client.get(f"/v1/operations/{operation_id}", headers=api.headers("shipper", Prefer="wait=30"))
    assert final.json()["status"] == "mined"
    with api.ledger.db.transaction() as session:
        rows = session.scalars(select(Operation).where(Operation.org == api.org("shipper"))).all()  # type: ignore[arg-type]
    keyed = [r for r in rows if r.idempotency_key == headers["Idempotency-Key"]]
    assert len(keyed) == 1 and keyed[0].tx_hash == final.json()["txHash"]
    transaction = api.ledger.chain.rpc("eth_getTransactionByHash", [final.json()["txHash"]])
    assert transaction["from"].lower() == api.stack.admin("shipper").lower()  # signed by the org's wallet
    signs = [
        h for h in api.get(f"/v1/bills/{issued}/history", "shipper").json()["items"] if h["action"] == "SIGN"
    ]
    assert len(signs) == 1

    before = api.snapshot()
    conflict = api.client.post(
        f"/v1/bills/{issued}/actions", json={**body, "remark": "another remark"}, headers=headers
    )
    problem = refused(conflict, 409, "IDEMPOTENCY_CONFLICT")
    assert problem["operationId"] == operation_id
    assert api.snapshot() == before


def test_a_write_without_prefer_answers_202_pending_and_the_operation_becomes_mined(
    api: Api, issued: str
) -> None:
    answer = api.client.post(
        f"/v1/bills/{issued}/actions", json={"action": "SIGN"}, headers=api.headers("shipper")
    )
    assert answer.status_code == 202
    assert answer.json()["id"].startswith("op_") and answer.json()["kind"] == "bill.sign"
    final = api.client.get(answer.headers["Location"], headers=api.headers("shipper", Prefer="wait=30"))
    assert final.status_code == 200 and final.json()["status"] == "mined"
    assert final.json()["result"]["billId"] == issued


# -- authorisation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/history", None),
        ("GET", "/document", None),
        ("GET", "/collateral-statement", None),
        ("POST", "/actions", {"action": "SIGN"}),
        ("POST", "/actions", {"action": "TRANSFER", "recipient": "1"}),
        ("POST", "/amend", {"document": {"transportDocumentReference": "X"}}),
    ],
)
def test_a_wrong_organisation_gets_404_and_learns_nothing(
    api: Api, issued: str, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    before = api.snapshot()
    headers = api.headers("terminal")
    real = api.client.request(method, f"/v1/bills/{issued}{suffix}", json=body, headers=headers)
    unknown = api.client.request(method, f"/v1/bills/{UNKNOWN_TITLE}{suffix}", json=body, headers=headers)
    assert real.status_code == unknown.status_code == 404, real.text
    assert real.json() == json.loads(unknown.text.replace(UNKNOWN_TITLE, issued))
    assert api.snapshot() == before


def test_an_operation_of_another_organisation_is_not_found(api: Api, issued: str) -> None:
    answer = api.client.post(
        f"/v1/bills/{issued}/actions", json={"action": "SIGN"}, headers=api.headers("shipper")
    )
    operation_id = answer.json()["id"]
    other = api.client.get(f"/v1/operations/{operation_id}", headers=api.headers("terminal"))
    refused(other, 404, "NOT_FOUND")


def test_list_shows_only_the_callers_titles_filtered_by_role_with_a_cursor(api: Api, issued: str) -> None:
    issue(api, transport_document(api, "negotiable"))  # at least two pages of one
    first = api.get("/v1/bills", "shipper", role="possessor", limit=1).json()
    assert len(first["items"]) == 1 and first["nextCursor"] is not None
    seen = [first["items"][0]["id"]]
    cursor = first["nextCursor"]
    while cursor:
        page = api.get("/v1/bills", "shipper", role="possessor", limit=2, cursor=cursor).json()
        seen += [b["id"] for b in page["items"]]
        cursor = page["nextCursor"]
    assert issued in seen and len(seen) == len(set(seen)) and seen == sorted(seen)
    everything = api.get("/v1/bills", "shipper", role="possessor", limit=200).json()
    assert [b["id"] for b in everything["items"]] == seen
    assert all(b["possessor"] == api.org("shipper") for b in everything["items"])
    assert issued not in [b["id"] for b in api.get("/v1/bills", "terminal", limit=200).json()["items"]]
    carrier_view = api.get("/v1/bills", "carrier", role="carrier", status="ISSUED", limit=200).json()
    assert issued in [b["id"] for b in carrier_view["items"]]


# -- bad input: a 4xx problem that says what to fix, and nothing changed ------------------------------


def _cases(api: Api, issued: str) -> list[tuple[str, str, dict[str, Any], int, str, list[str]]]:
    """(method path, who, request kwargs, status, code, paths that must be named)."""
    valid = transport_document(api, "negotiable")
    draft = {**valid, "transportDocumentStatus": "DRAFT"}
    foreign = {**valid, "carrierCode": "MSCU"}
    invalid = {k: v for k, v in valid.items() if k not in ("carrierCode", "transportDocumentReference")}
    shipper = api.org("shipper")
    return [
        (
            "/v1/bills",
            "carrier",
            {"content": b'{"document": {', "headers": {"content-type": "application/json"}},
            422,
            "VALIDATION_FAILED",
            [],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": valid, "issueTo": 5}},
            422,
            "VALIDATION_FAILED",
            ["$.issueTo"],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": "a string", "issueTo": "x1"}},
            422,
            "VALIDATION_FAILED",
            ["$.document", "$.issueTo"],
        ),
        ("/v1/bills", "carrier", {"json": {"document": valid}}, 422, "VALIDATION_FAILED", ["$.issueTo"]),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": valid, "issueTo": shipper, "extra": 1}},
            422,
            "VALIDATION_FAILED",
            ["$.extra"],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": invalid, "issueTo": shipper}},
            422,
            "VALIDATION_FAILED",
            ["$.document.carrierCode", "$.document.transportDocumentReference"],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": valid, "issueTo": "999"}},
            422,
            "UNKNOWN_ORGANISATION",
            ["$.issueTo"],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": draft, "issueTo": shipper}},
            422,
            "DOCUMENT_NOT_BOUND",
            ["$.document.transportDocumentStatus"],
        ),
        (
            "/v1/bills",
            "carrier",
            {"json": {"document": foreign, "issueTo": shipper}},
            422,
            "DOCUMENT_NOT_BOUND",
            ["$.document.carrierCode"],
        ),
        (
            "/v1/bills",
            "shipper",
            {"json": {"document": valid, "issueTo": shipper}},
            403,
            "NOT_A_CARRIER",  # the caller's role is checked before the document (was 422 DOCUMENT_NOT_BOUND)
            [],
        ),
        (
            "/v1/bills",
            "carrier",
            {"content": b"x" * (1024 * 1024 + 1), "headers": {"content-type": "application/json"}},
            413,
            "PAYLOAD_TOO_LARGE",
            [],
        ),
        (
            "/v1/bills",
            "carrier",
            {
                "content": json.dumps({"document": valid, "issueTo": shipper}).encode(),
                "headers": {"content-type": "text/plain"},
            },
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            [],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {"json": {"action": "FLY", "recipient": 5, "remark": 3}},
            422,
            "VALIDATION_FAILED",
            ["$.action", "$.recipient", "$.remark"],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {"json": {"action": "TRANSFER"}},
            422,
            "VALIDATION_FAILED",
            ["$.recipient"],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {"json": {"action": "SIGN", "recipient": shipper}},
            422,
            "VALIDATION_FAILED",
            ["$.recipient"],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {"json": {"action": "TRANSFER", "recipient": "424242"}},
            422,
            "UNKNOWN_ORGANISATION",
            ["$.recipient"],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {
                "json": {
                    "action": "PLEDGE",
                    "recipient": api.org("bank"),
                    "pledge": {**PLEDGE, "amount": "1.005", "currency": "usd"},
                }
            },
            422,
            "VALIDATION_FAILED",
            ["$.pledge.currency"],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {
                "json": {
                    "action": "PLEDGE",
                    "recipient": api.org("bank"),
                    "pledge": {**PLEDGE, "amount": "1.005"},
                }
            },
            422,
            "VALIDATION_FAILED",
            ["$.pledge.amount"],
        ),
        (f"/v1/bills/{issued}/actions", "consignee", {"json": {"action": "SIGN"}}, 404, "NOT_FOUND", []),
        (
            f"/v1/bills/{issued}/actions",
            "carrier",
            {"json": {"action": "TRANSFER", "recipient": api.org("bank")}},
            409,
            "BILL_NOT_POSSESSOR",
            [],
        ),
        (f"/v1/bills/{UNKNOWN_TITLE}/actions", "shipper", {"json": {"action": "SIGN"}}, 404, "NOT_FOUND", []),
        (
            "/v1/bills/0x1234/actions",
            "shipper",
            {"json": {"action": "SIGN"}},
            422,
            "VALIDATION_FAILED",
            ["path:id"],
        ),
        (f"/v1/bills/{issued}/actions", "", {"json": {"action": "SIGN"}}, 401, "UNAUTHENTICATED", []),
        (
            f"/v1/bills/{issued}/actions",
            "bad-token",
            {"json": {"action": "SIGN"}},
            401,
            "UNAUTHENTICATED",
            [],
        ),
        (
            f"/v1/bills/{issued}/actions",
            "shipper",
            {"json": {"action": "SIGN"}, "headers": {"Idempotency-Key": "bad key with spaces"}},
            422,
            "VALIDATION_FAILED",
            ["header:Idempotency-Key"],
        ),
    ]


CASE_COUNT = 25


@pytest.mark.parametrize("index", range(CASE_COUNT))
def test_bad_input_is_refused_with_a_problem_and_changes_nothing(api: Api, issued: str, index: int) -> None:
    cases = _cases(api, issued)
    assert len(cases) == CASE_COUNT
    path, who, kwargs, status, code, paths = cases[index]
    headers = dict(kwargs.pop("headers", {}))
    if who == "bad-token":
        headers["Authorization"] = "Bearer plk_not-a-real-key"
    elif who:
        headers.update(api.headers(who))
    before = api.snapshot()
    answer = api.client.post(path, headers=headers, **kwargs)
    body = refused(answer, status, code)
    assert body["detail"] and body["status"] == status
    named = [e["path"] for e in body.get("errors") or []]
    for expected in paths:
        assert expected in named, (expected, named)
    assert api.snapshot() == before
