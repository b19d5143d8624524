"""Attestations over HTTP: schemas, attest, revoke, replace, recognise, k-of-n agency reports (relayed by
anyone, in any signature order, a repeated source id being a no-op), and the subject read; refusals come
back at once with the registry's error code and nothing queued."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_account import Account

from ledger.domain import schemas
from tests.api.test_releases import mined, operations_count, refused
from tests.api.test_releases_world import PortWorld, credit_fields, hold_fields, port_world, release_fields

__all__ = ["port_world"]


def hold_schema(world: PortWorld) -> str:
    return "0x" + world.deployment.schema_id("CUSTOMS_HOLD").hex()


def credit_schema(world: PortWorld) -> str:
    return "0x" + world.deployment.schema_id("CREDIT_LEVEL").hex()


def attestations(world: PortWorld, subject: str, org: str = "customs") -> list[dict[str, Any]]:
    response = world.get(org, f"/v1/subjects/{subject}/attestations")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def credit(world: PortWorld, container: str) -> dict[str, Any]:
    """A direct CREDIT_LEVEL attestation by customs (a schema that admits direct attestation)."""
    body = {"schemaId": credit_schema(world), "subject": container, "data": credit_fields()}
    mined(world.post("customs", "/v1/attestations", body))
    return attestations(world, container)[-1]


def test_direct_attestation_is_attested_revoked_and_read_back(port_world: PortWorld) -> None:
    world = port_world
    container = world.new_container()
    made = credit(world, container)
    assert (made["schemaName"], made["attester"], made["effective"]) == (
        "CREDIT_LEVEL",
        str(world.org["customs"]),
        True,
    )
    assert made["subject"] == "0x" + schemas.container_subject(container).hex()
    assert made["fields"] == credit_fields()
    # A wrong organisation cannot revoke it; the attester can.
    refused(
        world.post("bank", f"/v1/attestations/{made['uid']}/revoke", {}),
        409,
        "ATTESTATION_NOT_OWN_ATTESTATION",
    )
    mined(world.post("customs", f"/v1/attestations/{made['uid']}/revoke", {}))
    (after,) = attestations(world, container)
    assert after["effective"] is False and after["revocationTime"] > 0
    refused(
        world.post("customs", f"/v1/attestations/{made['uid']}/revoke", {}),
        409,
        "ATTESTATION_ALREADY_REVOKED",
    )


def test_replace_revokes_the_old_attestation_and_refers_to_it(port_world: PortWorld) -> None:
    world = port_world
    container = world.new_container()
    old = credit(world, container)
    refused(
        world.post("bank", f"/v1/attestations/{old['uid']}/replace", {"data": credit_fields("A")}),
        409,
        "ATTESTATION_NOT_OWN_ATTESTATION",
    )
    mined(world.post("customs", f"/v1/attestations/{old['uid']}/replace", {"data": credit_fields("A")}))
    first, second = attestations(world, container)
    assert first["uid"] == old["uid"] and first["effective"] is False
    assert (second["refUid"], second["effective"], second["fields"]["level"]) == (old["uid"], True, "A")


def test_customs_hold_with_one_customs_key_is_refused_reports_only(port_world: PortWorld) -> None:
    """A hold is placed and lifted only by a k-of-n report: one customs key can neither attest, revoke nor
    replace one, and nothing is queued."""
    world = port_world
    container = world.new_container()
    before = operations_count(world)
    body = {"schemaId": hold_schema(world), "subject": container, "data": hold_fields()}
    refused(world.post("customs", "/v1/attestations", body), 409, "ATTESTATION_SCHEMA_REPORTS_ONLY")
    assert operations_count(world) == before
    placed = world.signed_report("CUSTOMS_HOLD", schemas.container_subject(container), hold_fields())
    mined(world.post("haulier", "/v1/reports", placed))
    (held,) = attestations(world, container)
    assert held["effective"] is True
    before = operations_count(world)
    refused(
        world.post("customs", f"/v1/attestations/{held['uid']}/revoke", {}),
        409,
        "ATTESTATION_SCHEMA_REPORTS_ONLY",
    )
    refused(
        world.post("customs", f"/v1/attestations/{held['uid']}/replace", {"data": hold_fields("DEC-2")}),
        409,
        "ATTESTATION_SCHEMA_REPORTS_ONLY",
    )
    assert operations_count(world) == before
    lifted = world.signed_report(
        "CUSTOMS_HOLD",
        schemas.container_subject(container),
        hold_fields(),
        sequence=2,
        action="REVOKE",
        target=held["uid"],
    )
    mined(world.post("haulier", "/v1/reports", lifted))
    (after,) = attestations(world, container)
    assert after["effective"] is False and after["revocationTime"] > 0


def test_attestation_by_an_organisation_not_accredited_is_refused_not_attester(port_world: PortWorld) -> None:
    world = port_world
    before = operations_count(world)
    body = {"schemaId": credit_schema(world), "subject": world.new_container(), "data": credit_fields()}
    refused(world.post("bank", "/v1/attestations", body), 409, "ATTESTATION_NOT_ATTESTER")
    assert operations_count(world) == before


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"subject": "not-a-subject"}, "$.subject"),
        ({"data": {"level": "D"}}, "$.data"),
        ({"data": "0xzz"}, "$.data"),
        ({"schemaId": "0x1234"}, "$.schemaId"),
    ],
)
def test_attestation_with_bad_input_is_refused_validation_failed(
    port_world: PortWorld, change: dict[str, Any], path: str
) -> None:
    world = port_world
    body = {
        "schemaId": credit_schema(world),
        "subject": world.new_container(),
        "data": credit_fields(),
        **change,
    }
    before = operations_count(world)
    problem = refused(world.post("customs", "/v1/attestations", body), 422, "VALIDATION_FAILED")
    assert path in [e["path"] for e in problem["errors"]]
    assert operations_count(world) == before


def test_unknown_attestation_is_not_found(port_world: PortWorld) -> None:
    uid = "0x" + os.urandom(32).hex()
    for action in ("revoke", "recognise"):
        refused(port_world.post("customs", f"/v1/attestations/{uid}/{action}", {}), 404, "NOT_FOUND")


def test_schema_registered_by_the_port_authority_and_recognised_by_another_agency(
    port_world: PortWorld,
) -> None:
    world = port_world
    name = "PORT_SECURITY_" + os.urandom(3).hex().upper()
    schema = {
        "name": name,
        "definition": "string facility,uint64 checkedAt",
        "revocable": True,
        "attesterRoles": ["CUSTOMS", "PORT_AUTHORITY"],
    }
    # A schema is registered by a governance proposal: a non-governor cannot propose one.
    refused(world.post("carrier", "/v1/schemas", schema), 409, "CONSORTIUM_NOT_GOVERNOR")
    accepted = world.post("port-authority", "/v1/schemas", schema)
    assert accepted.status_code == 200, accepted.text
    operation = accepted.json()["operation"]
    assert operation["status"] == "mined" and operation["result"]["executed"] is False
    schema_id = accepted.json()["schemaId"]
    # One governor is not the threshold: nothing is registered until the second approves.
    record, active = world.contracts.attestations.call("schema", bytes.fromhex(schema_id[2:]))
    assert not active and record["definition"] == ""
    world.contracts.consortium.transact("approve", operation["result"]["proposalId"], sender=world.deployer)
    record, active = world.contracts.attestations.call("schema", bytes.fromhex(schema_id[2:]))
    assert active and record["name"] == name
    refused(world.post("port-authority", "/v1/schemas", schema), 409, "ATTESTATION_SCHEMA_EXISTS")

    subject = str(world.org["terminal"])
    fields = {"facility": "TERMINAL-A", "checkedAt": 1_795_000_000}
    mined(
        world.post(
            "port-authority", "/v1/attestations", {"schemaId": schema_id, "subject": subject, "data": fields}
        )
    )
    (made,) = attestations(world, subject)
    assert made["subject"] == "0x" + schemas.org_subject(world.org["terminal"]).hex()
    refused(
        world.post("port-authority", f"/v1/attestations/{made['uid']}/recognise", {}),
        409,
        "ATTESTATION_CANNOT_RECOGNISE",
    )
    refused(
        world.post("bank", f"/v1/attestations/{made['uid']}/recognise", {}),
        409,
        "ATTESTATION_CANNOT_RECOGNISE",
    )
    mined(world.post("customs", f"/v1/attestations/{made['uid']}/recognise", {}))
    assert attestations(world, subject)[0]["recognitions"] == 1


def test_schema_with_a_bad_definition_is_refused(port_world: PortWorld) -> None:
    world = port_world
    for definition in ("strang facility", "string a,string a", "uint64"):
        body = {"name": "BROKEN", "definition": definition, "revocable": False, "attesterRoles": ["CUSTOMS"]}
        refused(world.post("port-authority", "/v1/schemas", body), 422, "VALIDATION_FAILED")
    body = {"name": "X", "definition": "string a", "revocable": False, "attesterRoles": ["PILOT"]}
    refused(world.post("port-authority", "/v1/schemas", body), 422, "VALIDATION_FAILED")


# ---------------------------------------------------------------------- k-of-n reports


def test_report_in_any_signature_order_is_accepted_once_and_a_repeat_is_a_no_op(
    port_world: PortWorld,
) -> None:
    world = port_world
    subject = os.urandom(32)
    body = world.signed_report(
        "CUSTOMS_RELEASE", subject, release_fields(), signers=list(reversed(world.oracles))
    )
    first = mined(world.post("bank", "/v1/reports", body))
    (made,) = attestations(world, "0x" + subject.hex())
    assert (made["attester"], made["schemaName"]) == (str(world.org["customs"]), "CUSTOMS_RELEASE")

    before = operations_count(world)
    # The relayer's own replay answers with the operation that made the attestation, like any write.
    replayed = mined(world.post("bank", "/v1/reports", body))
    assert (replayed["id"], replayed["result"]["uid"]) == (first["id"], made["uid"])
    # Another organisation has no operation of its own for it: the uid only, and why in the docs.
    again = world.post("haulier", "/v1/reports", body)
    assert again.status_code == 200
    assert again.json() == {"alreadyAccepted": True, "uid": made["uid"], "operation": None}
    assert operations_count(world) == before
    assert len(attestations(world, "0x" + subject.hex())) == 1


def test_report_with_hex_data_is_accepted(port_world: PortWorld) -> None:
    world = port_world
    subject = os.urandom(32)
    body = world.signed_report("CUSTOMS_RELEASE", subject, release_fields())
    body["data"] = "0x" + schemas.CUSTOMS_RELEASE.encode(release_fields()).hex()
    mined(world.post("carrier", "/v1/reports", body))
    assert attestations(world, "0x" + subject.hex())[0]["fields"] == release_fields()


def test_report_refusals_come_back_with_the_registry_error_and_nothing_queued(port_world: PortWorld) -> None:
    world = port_world
    before = operations_count(world)
    fields = release_fields()
    one = world.signed_report("CUSTOMS_RELEASE", os.urandom(32), fields, signers=world.oracles[:1])
    refused(world.post("bank", "/v1/reports", one), 409, "ATTESTATION_REPORT_BELOW_THRESHOLD")
    stranger = world.signed_report(
        "CUSTOMS_RELEASE", os.urandom(32), fields, signers=[world.oracles[0], Account.create()]
    )
    refused(world.post("bank", "/v1/reports", stranger), 422, "ATTESTATION_REPORT_UNKNOWN_SIGNER")
    late = world.signed_report("CUSTOMS_RELEASE", os.urandom(32), fields, deadline=1)
    refused(world.post("bank", "/v1/reports", late), 409, "ATTESTATION_REPORT_EXPIRED")
    tampered = world.signed_report("CUSTOMS_RELEASE", os.urandom(32), fields)
    tampered["data"] = release_fields("DEC-FORGED")
    refused(world.post("bank", "/v1/reports", tampered), 422, "ATTESTATION_REPORT_UNKNOWN_SIGNER")
    bad = world.signed_report("CUSTOMS_RELEASE", os.urandom(32), fields)
    bad["agency"] = "999"
    refused(world.post("bank", "/v1/reports", bad), 422, "UNKNOWN_ORGANISATION")
    bad = dict(bad, agency=str(world.org["customs"]), signatures=["0xnothex"])
    refused(world.post("bank", "/v1/reports", bad), 422, "VALIDATION_FAILED")
    assert operations_count(world) == before


def test_subject_read_needs_an_api_key_and_a_valid_subject(port_world: PortWorld) -> None:
    world = port_world
    refused(world.client.get("/v1/subjects/MSKU1234565/attestations"), 401, "UNAUTHENTICATED")
    refused(world.get("bank", "/v1/subjects/MSKU1234560/attestations"), 422, "VALIDATION_FAILED")
    assert attestations(world, world.new_container(), org="bank") == []
