"""A title's document key never reaches anyone through another title.

Attack: a carrier issues a title straight on the registry (past the API) naming the CID of another
title's encrypted document; a transfer of that title through the API must not wrap the other title's
key for the recipient, and nobody may open the document through the wrong title. A CID this node did not
seal for the title is refused.
"""

from __future__ import annotations

import hashlib
import os

from eth_utils.address import to_checksum_address
from sqlmodel import select

from ledger.domain import ids
from ledger.services.bills import bill_id_hex
from ledger.services.documents import DocumentKeyWrap
from tests.api.conftest import Api, transport_document
from tests.api.test_bills_api import act, bill, issue, mined, refused

CARRIER_ROLE = 1 << 0
ZERO32 = b"\x00" * 32


def rogue_carrier(api: Api) -> tuple[int, str]:
    """A second carrier organisation this node holds no wallet for, admitted by the deployer (the test
    stack's bootstrap is not sealed), acting from an impersonated account."""
    chain, stack = api.ledger.chain, api.stack
    account = to_checksum_address(os.urandom(20))
    chain.rpc("anvil_impersonateAccount", [account])
    chain.rpc("anvil_setBalance", [account, hex(10**21)])
    name = f"Rogue Lines {account[-6:]}"
    receipt = stack.contracts.consortium.transact(
        "bootstrapAdmit", f"LEI-{account[-10:]}", name, CARRIER_ROLE, ZERO32, account, sender=stack.deployer
    )
    return int(receipt.event("OrganisationAdmitted").args["org"]), account


def wraps_of(api: Api, cid: str) -> dict[int, str]:
    with api.ledger.db.transaction() as session:
        rows = session.exec(select(DocumentKeyWrap).where(DocumentKeyWrap.cid == cid)).all()
    return {row.org: row.bill_id for row in rows}


def test_a_title_naming_another_titles_cid_gives_nobody_that_document(api: Api) -> None:
    document = transport_document(api, "negotiable")
    genuine = issue(api, document)
    cid = bill(api, genuine)["cid"]
    readers_before = wraps_of(api, cid)
    assert int(api.org("consignee")) not in readers_before

    org, account = rogue_carrier(api)
    ref = f"ROGU{os.urandom(5).hex().upper()}"
    request = (
        ref,
        0,
        int(api.org("shipper")),
        0,
        hashlib.sha256(ref.encode()).digest(),
        ids.container_root(["MSKU1234565"]),
        cid,
    )
    receipt = api.stack.contracts.bills.transact("issue", request, ZERO32, sender=account)
    forged = bill_id_hex(int(receipt.event("BillIssued").args["billId"]))
    assert org != int(api.org("carrier"))

    # The shipper, holding the forged title, transfers it to the consignee through the API.
    mined(act(api, forged, "shipper", "TRANSFER", recipient=api.org("consignee")))

    # No key wrap was written for the consignee, for either title, and it reads neither document.
    assert wraps_of(api, cid) == readers_before
    refused(api.get(f"/v1/bills/{forged}/document", "consignee"), 403, "FORBIDDEN")
    assert api.get(f"/v1/bills/{genuine}/document", "consignee").status_code in (403, 404)
    # Even the genuine title's own readers cannot open it through the forged title.
    refused(api.get(f"/v1/bills/{forged}/document", "shipper"), 403, "FORBIDDEN")
    assert api.get(f"/v1/bills/{genuine}/document", "shipper").json() == document
