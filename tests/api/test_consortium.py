"""The consortium over HTTP: the member directory, and governance proposals that execute when a
threshold of governors approve; refusals of non-governors and repeated approvals come back at once with
the contract's error code and nothing queued."""

from __future__ import annotations

import time
from typing import Any

from tests.api.test_releases import mined, operations_count, refused
from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]

HAULIER_ROLE = 4


def test_directory_lists_every_member_with_roles(port_world: PortWorld) -> None:
    world = port_world
    response = world.get("haulier", "/v1/orgs")
    assert response.status_code == 200
    by_id = {o["id"]: o for o in response.json()["items"]}
    assert by_id[str(world.org["terminal"])]["roles"] == ["TERMINAL"]
    assert by_id[str(world.org["customs"])]["legalId"] == "11330200MB1C00002C"
    assert set(by_id) >= {str(v) for v in world.org.values()}


def test_directory_without_an_api_key_is_refused_unauthenticated(port_world: PortWorld) -> None:
    refused(port_world.client.get("/v1/orgs"), 401, "UNAUTHENTICATED")
    refused(
        port_world.client.get("/v1/orgs", headers={"Authorization": "Bearer plk_not-a-key"}),
        401,
        "UNAUTHENTICATED",
    )


def propose(world: PortWorld, org: str, body: dict[str, Any]) -> Any:
    return world.post(org, "/v1/governance/proposals", body)


def latest_proposal(world: PortWorld) -> int:
    events = world.contracts.consortium.chain.get_logs(
        world.contracts.consortium.address, world.deployment.block_number, world.chain.block_number()
    )
    created = [e for e in events if e.name == "ProposalCreated"]
    return int(created[-1].args["proposalId"])


def test_proposal_executes_when_a_second_governor_approves_over_http(port_world: PortWorld) -> None:
    world = port_world
    # Make the customs admin a governor: the port authority proposes over HTTP, the deployer co-signs.
    customs_admin = world.signer["customs"].address
    mined(propose(world, "port-authority", {"kind": "ADD_GOVERNOR", "governor": customs_admin}))
    added = latest_proposal(world)
    world.contracts.consortium.transact("approve", added, sender=world.deployer)
    assert world.contracts.consortium.call("isGovernor", customs_admin) is True

    # Grant the forwarder the HAULIER role: proposed by the port authority, approved by customs.
    forwarder = str(world.org["forwarder"])
    mined(propose(world, "port-authority", {"kind": "GRANT_ROLE", "org": forwarder, "role": "HAULIER"}))
    proposal_id = latest_proposal(world)
    pending = world.get("carrier", f"/v1/governance/proposals/{proposal_id}").json()
    assert (pending["kind"], pending["executed"], pending["approvals"]) == ("GRANT_ROLE", False, 1)
    mined(world.post("customs", f"/v1/governance/proposals/{proposal_id}/approve", {}))
    done = world.get("carrier", f"/v1/governance/proposals/{proposal_id}").json()
    assert (done["executed"], done["approvals"]) == (True, 2)
    # The directory caches membership for a couple of seconds.
    deadline = time.monotonic() + 5
    while True:
        roles = {o["id"]: o["roles"] for o in world.get("carrier", "/v1/orgs").json()["items"]}
        if roles[forwarder] == ["TRADER", "HAULIER"] or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert roles[forwarder] == ["TRADER", "HAULIER"]


def test_proposal_by_a_non_governor_is_refused_not_governor(port_world: PortWorld) -> None:
    world = port_world
    before = operations_count(world)
    body = {"kind": "SUSPEND", "org": str(world.org["bank"])}
    refused(propose(world, "carrier", body), 409, "CONSORTIUM_NOT_GOVERNOR")
    assert operations_count(world) == before


def test_second_approval_by_the_same_governor_is_refused_already_approved(port_world: PortWorld) -> None:
    world = port_world
    mined(propose(world, "port-authority", {"kind": "SUSPEND", "org": str(world.org["maritime"])}))
    proposal_id = latest_proposal(world)
    refused(
        world.post("port-authority", f"/v1/governance/proposals/{proposal_id}/approve", {}),
        409,
        "CONSORTIUM_ALREADY_APPROVED",
    )
    # A wrong organisation (no governor) cannot approve either.
    refused(
        world.post("bank", f"/v1/governance/proposals/{proposal_id}/approve", {}),
        409,
        "CONSORTIUM_NOT_GOVERNOR",
    )


def test_proposal_with_bad_arguments_is_refused_before_anything_is_queued(port_world: PortWorld) -> None:
    world = port_world
    before = operations_count(world)
    refused(
        propose(world, "port-authority", {"kind": "GRANT_ROLE", "org": "999", "role": "HAULIER"}),
        422,
        "UNKNOWN_ORGANISATION",
    )
    problem = refused(
        propose(world, "port-authority", {"kind": "GRANT_ROLE", "org": "3", "role": "PILOT"}),
        422,
        "VALIDATION_FAILED",
    )
    assert problem["errors"][0]["path"] == "$.role"
    refused(propose(world, "port-authority", {"kind": "SUSPEND"}), 422, "VALIDATION_FAILED")
    refused(propose(world, "port-authority", {"kind": "DISSOLVE"}), 422, "VALIDATION_FAILED")
    assert operations_count(world) == before


def test_unknown_proposal_is_not_found(port_world: PortWorld) -> None:
    world = port_world
    refused(world.get("carrier", "/v1/governance/proposals/999999"), 404, "NOT_FOUND")
    refused(world.post("port-authority", "/v1/governance/proposals/999999/approve", {}), 404, "NOT_FOUND")
