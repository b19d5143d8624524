"""Lookups by the names people use: a title by its carrier's SCAC/SMDG code and its reference, and the
release rights an organisation may see, filtered by bill, container or holder, a page at a time."""

from __future__ import annotations

from cli.bills import AmbiguousReference, bill_id_of
from ledger.index.indexer import wait_projected
from ledger.services.releases import right_id_of
from tests.api.conftest import Api, transport_document
from tests.api.test_bills_api import issue
from tests.api.test_releases import grant, mined
from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]


def test_bill_by_reference_accepts_the_carriers_legal_id_or_org_id(api: Api) -> None:
    document = transport_document(api, "negotiable")
    bill_id = issue(api, document)
    reference = document["transportDocumentReference"]
    legal_id = api.stack.config.organisation("carrier").legal_id
    for carrier in (legal_id, legal_id.lower(), api.org("carrier")):
        answer = api.get(f"/v1/bills/by-reference/{carrier}/{reference}", "shipper")
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == bill_id
    unknown = api.get(f"/v1/bills/by-reference/NOSUCHCODE/{reference}", "shipper")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "UNKNOWN_ORGANISATION")
    # A stranger to the title gets the same answer as for a title that does not exist.
    assert api.get(f"/v1/bills/by-reference/{legal_id}/{reference}", "terminal").status_code == 404


def test_list_releases_shows_the_rights_a_caller_may_see_with_filters_and_cursors(
    port_world: PortWorld,
) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    first, second = world.container_on(bill_id, 0), world.container_on(bill_id, 1)
    rights = sorted([grant(world, bill_id, first), grant(world, bill_id, second)])
    mined(
        world.post("consignee", f"/v1/releases/{rights[0]}/nominate", {"nominee": str(world.org["haulier"])})
    )

    def listed(who: str, **params: str) -> list[str]:
        answer = world.client.get("/v1/releases", headers=world.headers(who), params=params)
        assert answer.status_code == 200, answer.text
        return [item["rightId"] for item in answer.json()["items"]]

    assert listed("carrier", billId=bill_hex) == rights
    assert listed("consignee", billId=bill_hex) == rights  # a party of the bill sees both
    assert listed("terminal", billId=bill_hex) == rights
    assert listed("haulier", billId=bill_hex) == [rights[0]]  # party to one right only
    assert listed("forwarder", billId=bill_hex) == []
    assert listed("carrier", container=first) == ["0x" + right_id_of(bill_id, first).hex()]
    assert listed("carrier", billId=bill_hex, holder=str(world.org["haulier"])) == [rights[0]]

    page = world.client.get(
        "/v1/releases", headers=world.headers("carrier"), params={"billId": bill_hex, "limit": "1"}
    )
    body = page.json()
    assert [i["rightId"] for i in body["items"]] == [rights[0]] and body["nextCursor"]
    rest = world.client.get(
        "/v1/releases",
        headers=world.headers("carrier"),
        params={"billId": bill_hex, "limit": "1", "cursor": body["nextCursor"]},
    ).json()
    assert [i["rightId"] for i in rest["items"]] == [rights[1]] and rest["nextCursor"] is None
    bad = world.client.get("/v1/releases", headers=world.headers("carrier"), params={"cursor": "nope"})
    assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_FAILED")


class _Client:
    """The CLI's ``ApiClient.get`` over the in-process API, as one organisation."""

    def __init__(self, world: PortWorld, who: str):
        self.world, self.who = world, who

    def get(self, path: str, **params: object) -> object:
        query = {k: str(v) for k, v in params.items() if v is not None}
        answer = self.world.client.get(path, headers=self.world.headers(self.who), params=query)
        assert answer.status_code == 200, answer.text
        return answer.json()


def test_cli_finds_a_bill_by_its_reference_inferring_the_carrier(port_world: PortWorld) -> None:
    world = port_world
    bill_id = world.issue("consignee")
    bill_hex = "0x" + bill_id.to_bytes(32, "big").hex()
    assert wait_projected(world.ledger.db, world.chain.block_number(), timeout=30)
    reference = world.get("consignee", f"/v1/bills/{bill_hex}").json()["transportDocumentReference"]
    client = _Client(world, "consignee")
    assert bill_id_of(client, bill_hex) == bill_hex
    assert bill_id_of(client, reference) == bill_hex
    legal_id = world.ledger.organisations.get(world.org["carrier"]).legal_id
    assert bill_id_of(client, reference, carrier=legal_id) == bill_hex
    try:
        bill_id_of(_Client(world, "forwarder"), reference)
    except AmbiguousReference as exc:
        assert "--carrier" in str(exc)
    else:
        raise AssertionError("a stranger's lookup must not find the title")
