"""AttestationRegistry: schemas (administered by governance, the permanent ones never deactivated),
attest / revoke / replace / recognise, the reports-only customs schemas that no single key can write,
isEffective, latestEffective and effectiveSince over the bounded set of unrevoked attestations, state
rebuilt from logs, and parity with the Python side: the well-known schemas and the report type hashes
(``ledger.domain.schemas``) and the ISO 6346 rule the release contract applies (``ledger.domain.values``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain import ChainClient, Contract, ContractRevert
from ledger.domain import schemas
from ledger.domain.values import check_container_number
from tests.contracts.conftest import reverted
from tests.contracts.roles_attestation import (
    World,
    attest,
    build_world,
    govern_schema,
    govern_schema_active,
    hold_data,
    new_report,
    random_id,
    release_data,
    report,
    revoke,
    sign_report,
)
from tests.contracts.roles_bill import second_bank
from tests.contracts.roles_release import admit_org

ZERO = b"\x00" * 32
CUSTOMS_ROLE = 5
MAX_UNREVOKED = 64
PER_ATTESTER = 8
REPORTS_ONLY = ("CUSTOMS_RELEASE", "CUSTOMS_HOLD")
PERMANENT = ("CUSTOMS_RELEASE", "CUSTOMS_HOLD", "PLEDGE_DEFAULT")


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> Iterator[World]:
    with reverted(chain):
        yield build_world(chain, accounts)


def credit_data(valid_until: int, level: str = "Advanced Certified Enterprise") -> bytes:
    return schemas.CREDIT_LEVEL.encode(
        {"validUntil": valid_until, "creditCode": "91310000MA1FL0000X", "level": level}
    )


def a_year(world: World) -> int:
    return world.chain.latest_timestamp() + 365 * 86_400


def vessel_data(event: str = "ARRI") -> bytes:
    return schemas.VESSEL_EVENT.encode(
        {"imoNumber": "9321483", "eventCode": event, "unLocode": "CNSHA", "eventTime": 1_700_000_000}
    )


def direct(world: World, kind: str, schema: str, subject: bytes, data: bytes, ref: bytes = ZERO) -> Any:
    """A direct ``attest`` (no report) as ``kind``; returns the receipt."""
    return world.attestations.transact(
        "attest", (world.schema[schema], subject, ref, data), sender=world.caller(kind)
    )


def pair_state(world: World, subject: bytes, schema: str) -> tuple[int, int, bytes]:
    """What an attack must leave unchanged: (ever made, unrevoked, latest effective) of the pair."""
    schema_id = world.schema[schema]
    a = world.attestations
    return (
        a.call("attestationCount", subject, schema_id),
        a.call("unrevokedCount", subject, schema_id),
        a.call("latestEffective", subject, schema_id),
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> ContractRevert:
    with pytest.raises(ContractRevert) as err:
        call(*args, **kwargs)
    return err.value


def time_of(world: World, uid: bytes) -> int:
    return int(world.attestations.call("attestation", uid)["time"])


# ---------------------------------------------------------------------- parity with ledger.domain.schemas


@pytest.mark.parametrize("name", sorted(schemas.WELL_KNOWN_SCHEMAS))
def test_well_known_schema_id_matches_contract_and_is_registered_active(world: World, name: str) -> None:
    definition = schemas.WELL_KNOWN_SCHEMAS[name]
    assert world.attestations.call("schemaIdOf", definition.as_record()) == definition.schema_id
    record, active = world.attestations.call("schema", definition.schema_id)
    assert tuple(record.values()) == definition.as_record()
    assert (record["reportsOnly"], record["permanent"]) == (name in REPORTS_ONLY, name in PERMANENT)
    assert active is True


def test_report_typehash_and_digest_match_domain_builder(world: World) -> None:
    assert world.attestations.call("REPORT_TYPEHASH") == schemas.REPORT_TYPEHASH
    message = new_report(world)
    expected = schemas.report_digest(message, world.chain.chain_id, world.attestations.address)
    assert world.attestations.call("reportDigest", message.as_struct(), message.data) == expected


def test_revoke_report_digest_matches_domain_builder(world: World) -> None:
    message = new_report(
        world, "CUSTOMS_HOLD", action=schemas.ReportAction.REVOKE, target=random_id(), data=b"reason"
    )
    expected = schemas.report_digest(message, world.chain.chain_id, world.attestations.address)
    assert world.attestations.call("reportDigest", message.as_struct(), message.data) == expected


def test_signer_set_change_typehash_and_digest_match_domain_builder(world: World) -> None:
    assert world.attestations.call("SIGNER_SET_CHANGE_TYPEHASH") == schemas.SIGNER_SET_CHANGE_TYPEHASH
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    change = schemas.SignerSetChange(
        agency=world.org["CUSTOMS"],
        schema=world.schema["CUSTOMS_HOLD"],
        signers=tuple(k.address for k in keys),
        threshold=2,
        epoch=1,
        deadline=1_900_000_000,
    )
    on_chain = world.attestations.call(
        "signerSetChangeDigest",
        change.agency,
        change.schema,
        list(change.signers),
        change.threshold,
        change.epoch,
        change.deadline,
    )
    assert on_chain == change.digest(world.chain.chain_id, world.attestations.address)


def test_eip712_domain_is_portledger_attestation_registry_v2(world: World) -> None:
    _, name, version, chain_id, contract, _, _ = world.attestations.call("eip712Domain")
    assert (
        (name, version)
        == (schemas.REPORT_DOMAIN_NAME, schemas.REPORT_DOMAIN_VERSION)
        == (
            "PortLedger AttestationRegistry",
            "2",
        )
    )
    assert chain_id == world.chain.chain_id
    assert contract == world.attestations.address


def test_schema_data_round_trips_through_domain_encoder() -> None:
    values = {"imoNumber": "9321483", "eventCode": "ARRI", "unLocode": "CNSHA", "eventTime": 1_700_000_000}
    assert schemas.VESSEL_EVENT.decode(schemas.VESSEL_EVENT.encode(values)) == values


# ---------------------------------------------------------------------- schemas: registration


def test_register_schema_by_proposal_emits_schema_registered_by_the_consortium(world: World) -> None:
    record = ("AEO_STATUS", "uint64 validUntil,string status", True, True, False, False, 1 << CUSTOMS_ROLE, 0)
    receipt = govern_schema(world, record)
    event = receipt.event("SchemaRegistered")
    schema_id = world.attestations.call("schemaIdOf", record)
    assert event.args["schemaId"] == schema_id
    assert (event.args["name"], event.args["registrar"]) == ("AEO_STATUS", world.consortium.address)
    assert tuple(event.args["record"].values()) == record
    assert world.attestations.call("schema", schema_id)[1] is True


def test_register_schema_twice_by_proposal_reverts_schema_exists(world: World) -> None:
    err = refused(govern_schema, world, schemas.CUSTOMS_HOLD.as_record())
    assert (err.name, err.args) == ("AttestationSchemaExists", {"schemaId": schemas.CUSTOMS_HOLD.schema_id})


def test_register_schema_without_attester_roles_by_proposal_reverts_schema_invalid(world: World) -> None:
    err = refused(govern_schema, world, ("X", "string x", False, False, False, False, 0, 0))
    assert err.name == "AttestationSchemaInvalid"


@pytest.mark.parametrize("kind", ["PORT_AUTHORITY", "GOVERNOR", "CUSTOMS", "TRADER"])
def test_register_schema_directly_reverts_not_schema_admin(world: World, kind: str) -> None:
    record = ("X", "string x", False, False, False, False, 1 << CUSTOMS_ROLE, 0)
    err = refused(world.attestations.transact, "registerSchema", record, sender=world.caller(kind))
    assert (err.name, err.args) == ("AttestationNotSchemaAdmin", {"caller": world.caller(kind)})
    assert world.attestations.call("schema", world.attestations.call("schemaIdOf", record))[1] is False


def test_deployer_administers_schemas_and_signer_sets_until_it_seals_the_schema_bootstrap(
    world: World,
) -> None:
    deployer = world.caller("OUTSIDER")  # not a governor, not a member
    registry = world.chain.deploy("AttestationRegistry", world.consortium.address, sender=deployer)
    world.consortium.transact("attachCache", registry.address, sender=world.governor)
    registry.transact("registerSchema", schemas.CUSTOMS_RELEASE.as_record(), sender=deployer)
    assert registry.call("schema", schemas.CUSTOMS_RELEASE.schema_id)[1] is True
    signer = world.caller("PORT_AUTHORITY")
    installed = registry.transact(
        "setReportSigners",
        world.org["CUSTOMS"],
        schemas.CUSTOMS_RELEASE.schema_id,
        [signer],
        1,
        sender=deployer,
    )
    assert installed.event("ReportSignersSet").args["epoch"] == 1
    # Even the bootstrapper may never deactivate: that is the consortium's alone.
    err = refused(
        registry.transact, "setSchemaActive", schemas.CUSTOMS_RELEASE.schema_id, False, sender=deployer
    )
    assert (err.name, err.args) == ("AttestationNotSchemaAdmin", {"caller": deployer})
    sealed = registry.transact("sealSchemaBootstrap", sender=deployer)
    assert sealed.event("SchemaBootstrapSealed").args == {"by": deployer}
    for fn, args in (
        ("registerSchema", (schemas.CUSTOMS_HOLD.as_record(),)),
        ("setReportSigners", (world.org["CUSTOMS"], schemas.CUSTOMS_RELEASE.schema_id, [deployer], 1)),
        ("sealSchemaBootstrap", ()),
    ):
        err = refused(registry.transact, fn, *args, sender=deployer)
        assert (err.name, err.args) == ("AttestationNotSchemaAdmin", {"caller": deployer})


def test_bootstrapper_registering_twice_reverts_schema_exists(world: World) -> None:
    deployer = world.caller("OUTSIDER")
    registry = world.chain.deploy("AttestationRegistry", world.consortium.address, sender=deployer)
    registry.transact("registerSchema", schemas.CUSTOMS_HOLD.as_record(), sender=deployer)
    err = refused(registry.transact, "registerSchema", schemas.CUSTOMS_HOLD.as_record(), sender=deployer)
    assert (err.name, err.args) == ("AttestationSchemaExists", {"schemaId": schemas.CUSTOMS_HOLD.schema_id})


# ---------------------------------------------------------------------- schemas: (de)activation


@pytest.mark.parametrize("kind", ["PORT_AUTHORITY", "GOVERNOR", "CUSTOMS", "OUTSIDER"])
@pytest.mark.parametrize("schema", ["VESSEL_EVENT", "CUSTOMS_HOLD"])
def test_set_schema_active_directly_reverts_not_schema_admin(world: World, kind: str, schema: str) -> None:
    """Attack: the port authority or a governor (once schema administrators) deactivates a schema by
    itself; only an executed consortium proposal may."""
    subject = random_id()
    uid = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    err = refused(
        world.attestations.transact, "setSchemaActive", world.schema[schema], False, sender=world.caller(kind)
    )
    assert (err.name, err.args) == ("AttestationNotSchemaAdmin", {"caller": world.caller(kind)})
    assert world.attestations.call("schema", world.schema[schema])[1] is True
    assert world.attestations.call("isEffective", uid) is True


@pytest.mark.parametrize("name", PERMANENT)
def test_proposal_to_deactivate_a_permanent_schema_reverts_schema_permanent(world: World, name: str) -> None:
    """Attack: governance votes a permanent schema (a hold, the release facts, pledge defaults) out of
    effect. With the world's 1-of-1 governor the proposal executes at once, so the registry's refusal is
    the revert of the propose transaction itself: no proposal is recorded, nothing changes."""
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    before = pair_state(world, subject, "CUSTOMS_HOLD")
    err = refused(govern_schema_active, world, name, False)
    assert (err.name, err.args) == ("AttestationSchemaPermanent", {"schemaId": world.schema[name]})
    assert world.attestations.call("schema", world.schema[name])[1] is True
    assert world.attestations.call("isEffective", hold) is True
    assert pair_state(world, subject, "CUSTOMS_HOLD") == before
    # Re-activating what is active is harmless (and allowed).
    assert govern_schema_active(world, name, True).event("SchemaActiveChanged").args["active"] is True


def test_deactivated_schema_voids_its_attestations_and_refuses_new_ones(world: World) -> None:
    subject = random_id()
    uid = direct(world, "MARITIME", "VESSEL_EVENT", subject, vessel_data()).event("Attested").args["uid"]
    receipt = govern_schema_active(world, "VESSEL_EVENT", False)
    assert receipt.event("SchemaActiveChanged").args == {
        "schemaId": world.schema["VESSEL_EVENT"],
        "active": False,
        "by": world.consortium.address,
    }
    assert world.attestations.call("isEffective", uid) is False
    assert world.attestations.call("latestEffective", subject, world.schema["VESSEL_EVENT"]) == ZERO
    assert world.attestations.call("effectiveSince", subject, world.schema["VESSEL_EVENT"], 0) == ZERO
    err = refused(direct, world, "MARITIME", "VESSEL_EVENT", subject, vessel_data())
    assert (err.name, err.args) == ("AttestationSchemaInactive", {"schemaId": world.schema["VESSEL_EVENT"]})
    govern_schema_active(world, "VESSEL_EVENT", True)
    assert world.attestations.call("isEffective", uid) is True


def test_set_schema_active_of_an_unknown_schema_by_proposal_reverts_schema_inactive(world: World) -> None:
    world.schema["UNKNOWN"] = random_id()
    err = refused(govern_schema_active, world, "UNKNOWN", True)
    assert (err.name, err.args) == ("AttestationSchemaInactive", {"schemaId": world.schema["UNKNOWN"]})


# ---------------------------------------------------------------------- reports-only customs schemas


@pytest.mark.parametrize("kind", ["CUSTOMS", "CUSTOMS2", "MARITIME", "SUSPENDED"])
@pytest.mark.parametrize("schema", REPORTS_ONLY)
def test_direct_attest_of_a_customs_release_or_hold_reverts_reports_only(
    world: World, kind: str, schema: str
) -> None:
    """Attack: one accredited customs key (or anybody's) creates a release or a hold by itself."""
    subject = random_id()
    data = release_data() if schema == "CUSTOMS_RELEASE" else hold_data()
    err = refused(direct, world, kind, schema, subject, data)
    assert (err.name, err.args) == ("AttestationSchemaReportsOnly", {"schemaId": world.schema[schema]})
    assert pair_state(world, subject, schema) == (0, 0, ZERO)


@pytest.mark.parametrize("kind", ["CUSTOMS", "CUSTOMS2"])
def test_direct_revoke_of_a_hold_reverts_reports_only(world: World, kind: str) -> None:
    """Attack: one customs key lifts a hold (its own agency's or another's) by itself."""
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    before = pair_state(world, subject, "CUSTOMS_HOLD")
    err = refused(world.attestations.transact, "revoke", hold, sender=world.caller(kind))
    assert (err.name, err.args) == (
        "AttestationSchemaReportsOnly",
        {"schemaId": world.schema["CUSTOMS_HOLD"]},
    )
    assert world.attestations.call("isEffective", hold) is True
    assert world.attestations.call("attestation", hold)["revocationTime"] == 0
    assert pair_state(world, subject, "CUSTOMS_HOLD") == before == (1, 1, hold)


@pytest.mark.parametrize("schema", REPORTS_ONLY)
def test_direct_replace_of_a_customs_attestation_reverts_reports_only(world: World, schema: str) -> None:
    """Attack: one customs key swaps a hold for a harmless one (or a release for another) in one step."""
    subject = random_id()
    data = release_data if schema == "CUSTOMS_RELEASE" else hold_data
    old = attest(world, "CUSTOMS", schema, subject, data("DEC-1"))
    before = pair_state(world, subject, schema)
    err = refused(
        world.attestations.transact,
        "replace",
        old,
        (world.schema[schema], subject, ZERO, data("DEC-2")),
        sender=world.caller("CUSTOMS"),
    )
    assert (err.name, err.args) == ("AttestationSchemaReportsOnly", {"schemaId": world.schema[schema]})
    assert world.attestations.call("isEffective", old) is True
    assert pair_state(world, subject, schema) == before


def test_a_single_oracle_key_can_neither_place_nor_lift_a_hold(world: World) -> None:
    """Attack: one of the agency's oracle keys (threshold 2) signs a hold, or the lifting of one, alone."""
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    before = pair_state(world, subject, "CUSTOMS_HOLD")
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    last = world.attestations.call(
        "lastReportSequence", world.org["CUSTOMS"], world.schema["CUSTOMS_HOLD"], subject
    )
    for action, target, data in (
        (schemas.ReportAction.REVOKE, hold, b""),
        (schemas.ReportAction.ATTEST, ZERO, hold_data("DEC-9")),
    ):
        message = new_report(
            world, "CUSTOMS_HOLD", subject=subject, sequence=last + 1, action=action, target=target, data=data
        )
        signatures = sign_report(message, keys[:1], world.chain.chain_id, world.attestations.address)
        err = refused(
            world.attestations.transact,
            "submitReport",
            message.as_struct(),
            message.data,
            signatures,
            sender=world.caller("CUSTOMS"),
        )
        assert err.name == "AttestationReportBelowThreshold"
        assert (err.args["signatures"], err.args["threshold"]) == (1, 2)
    assert pair_state(world, subject, "CUSTOMS_HOLD") == before
    assert world.attestations.call("isEffective", hold) is True


def test_a_hold_is_lifted_by_a_k_of_n_revoke_report(world: World) -> None:
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    uid = revoke(world, "CUSTOMS", "CUSTOMS_HOLD", hold)
    assert uid == hold
    assert world.attestations.call("isEffective", hold) is False
    assert pair_state(world, subject, "CUSTOMS_HOLD") == (1, 0, ZERO)


# ---------------------------------------------------------------------- attest


def test_attest_by_report_stores_the_record_and_is_latest_effective(world: World) -> None:
    subject = random_id()
    data = release_data("DEC-42")
    start = world.chain.block_number() + 1
    uid = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, data)
    [event] = [
        e
        for e in world.chain.get_logs(world.attestations.address, start, world.chain.block_number())
        if e.name == "Attested"
    ]
    assert (event.args["uid"], event.args["attester"], event.args["data"]) == (
        uid,
        world.org["CUSTOMS"],
        data,
    )
    record = world.attestations.call("attestation", uid)
    assert (record["uid"], record["schemaId"], record["subject"], record["refUID"]) == (
        uid,
        world.schema["CUSTOMS_RELEASE"],
        subject,
        ZERO,
    )
    assert record["attester"] == world.org["CUSTOMS"]
    assert (record["expirationTime"], record["revocationTime"]) == (0, 0)
    assert record["dataHash"] == keccak(data)
    assert world.attestations.call("isEffective", uid) is True
    assert world.attestations.call("latestEffective", subject, world.schema["CUSTOMS_RELEASE"]) == uid
    assert schemas.CUSTOMS_RELEASE.decode(event.args["data"])["declarationNumber"] == "DEC-42"


def test_direct_attest_stores_the_record_and_is_latest_effective(world: World) -> None:
    subject = random_id()
    data = vessel_data()
    receipt = direct(world, "MARITIME", "VESSEL_EVENT", subject, data)
    event = receipt.event("Attested").args
    uid = event["uid"]
    assert (event["attester"], event["data"], event["by"]) == (
        world.org["MARITIME"],
        data,
        world.caller("MARITIME"),
    )
    record = world.attestations.call("attestation", uid)
    assert (record["schemaId"], record["subject"], record["dataHash"]) == (
        world.schema["VESSEL_EVENT"],
        subject,
        keccak(data),
    )
    assert world.attestations.call("latestEffective", subject, world.schema["VESSEL_EVENT"]) == uid


def test_attest_by_maritime_on_a_customs_schema_reverts_not_attester(world: World) -> None:
    subject = random_id()
    err = refused(direct, world, "MARITIME", "CREDIT_LEVEL", subject, credit_data(a_year(world)))
    assert (err.name, err.args) == (
        "AttestationNotAttester",
        {"schemaId": world.schema["CREDIT_LEVEL"], "caller": world.caller("MARITIME")},
    )
    assert pair_state(world, subject, "CREDIT_LEVEL") == (0, 0, ZERO)


def test_attest_by_suspended_member_reverts_not_attester(world: World) -> None:
    err = refused(direct, world, "SUSPENDED", "CREDIT_LEVEL", random_id(), credit_data(a_year(world)))
    assert err.name == "AttestationNotAttester"


@pytest.mark.parametrize("schema", ["CUSTOMS_RELEASE", "CREDIT_LEVEL"])
def test_attest_with_unknown_reference_reverts_unknown_reference(world: World, schema: str) -> None:
    ref = random_id()
    data = release_data() if schema == "CUSTOMS_RELEASE" else credit_data(a_year(world))
    err = refused(attest, world, "CUSTOMS", schema, random_id(), data, ref=ref)
    assert (err.name, err.args) == ("AttestationUnknownReference", {"refUID": ref})


def test_expiring_attestation_stops_being_effective_after_valid_until(world: World) -> None:
    subject = schemas.org_subject(world.org["TRADER"])
    valid_until = world.chain.latest_timestamp() + 100
    uid = attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(valid_until))
    assert world.attestations.call("attestation", uid)["expirationTime"] == valid_until
    assert world.attestations.call("latestEffective", subject, world.schema["CREDIT_LEVEL"]) == uid
    world.chain.increase_time(200)
    assert world.attestations.call("isEffective", uid) is False
    assert world.attestations.call("latestEffective", subject, world.schema["CREDIT_LEVEL"]) == ZERO
    assert world.attestations.call("effectiveSince", subject, world.schema["CREDIT_LEVEL"], 0) == ZERO


def test_expiring_attestation_with_past_valid_until_reverts_invalid_expiry(world: World) -> None:
    past = world.chain.latest_timestamp() - 1
    err = refused(attest, world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(past))
    assert err.name == "AttestationInvalidExpiry"
    assert err.args["validUntil"] == past


def test_attester_losing_its_role_voids_its_attestations(world: World) -> None:
    uid = attest(world, "CUSTOMS2", "CUSTOMS_RELEASE", random_id(), release_data())
    world.revoke_role(world.org["CUSTOMS2"], CUSTOMS_ROLE)
    assert world.attestations.call("isEffective", uid) is False


def test_suspension_of_the_attester_keeps_its_facts_effective(world: World) -> None:
    uid = attest(world, "CUSTOMS2", "CUSTOMS_HOLD", random_id(), hold_data())
    world.suspend(world.org["CUSTOMS2"])
    assert world.attestations.call("isEffective", uid) is True


# ---------------------------------------------------------------------- revoke and replace


def test_revoke_of_a_fact_reverts_irrevocable(world: World) -> None:
    uid = direct(world, "MARITIME", "VESSEL_EVENT", random_id(), vessel_data()).event("Attested").args["uid"]
    err = refused(world.attestations.transact, "revoke", uid, sender=world.caller("MARITIME"))
    assert (err.name, err.args) == (
        "AttestationIrrevocable",
        {"uid": uid, "schemaId": world.schema["VESSEL_EVENT"]},
    )
    assert world.attestations.call("isEffective", uid) is True


def test_revoke_report_of_a_release_fact_reverts_report_target_invalid(world: World) -> None:
    subject = random_id()
    uid = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, release_data())
    err = refused(revoke, world, "CUSTOMS", "CUSTOMS_RELEASE", uid)
    assert (err.name, err.args) == ("AttestationReportTargetInvalid", {"target": uid})
    assert world.attestations.call("isEffective", uid) is True


def test_revoke_twice_reverts(world: World) -> None:
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data())
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", hold)
    err = refused(revoke, world, "CUSTOMS", "CUSTOMS_HOLD", hold)
    assert (err.name, err.args) == ("AttestationReportTargetInvalid", {"target": hold})
    grade = attest(world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(a_year(world)))
    revoke(world, "CUSTOMS", "CREDIT_LEVEL", grade)
    err = refused(revoke, world, "CUSTOMS", "CREDIT_LEVEL", grade)
    assert err.name == "AttestationAlreadyRevoked"
    assert err.args["uid"] == grade


def test_revoke_by_another_customs_agency_is_refused(world: World) -> None:
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    # By report: CUSTOMS2's own k-of-n set may not revoke CUSTOMS's hold.
    err = refused(
        report, world, "CUSTOMS2", "CUSTOMS_HOLD", subject, action=schemas.ReportAction.REVOKE, target=hold
    )
    assert (err.name, err.args) == ("AttestationReportTargetInvalid", {"target": hold})
    assert world.attestations.call("isEffective", hold) is True
    # Directly, on a schema that admits it.
    grade = attest(world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(a_year(world)))
    err = refused(world.attestations.transact, "revoke", grade, sender=world.caller("CUSTOMS2"))
    assert (err.name, err.args) == (
        "AttestationNotOwnAttestation",
        {"uid": grade, "caller": world.caller("CUSTOMS2")},
    )
    assert world.attestations.call("isEffective", grade) is True


def test_revoke_report_naming_another_subject_reverts_report_target_invalid(world: World) -> None:
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data())
    err = refused(
        report, world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), action=schemas.ReportAction.REVOKE, target=hold
    )
    assert (err.name, err.args) == ("AttestationReportTargetInvalid", {"target": hold})
    assert world.attestations.call("isEffective", hold) is True


def test_revoke_unknown_uid_reverts_unknown(world: World) -> None:
    uid = random_id()
    err = refused(world.attestations.transact, "revoke", uid, sender=world.caller("CUSTOMS"))
    assert (err.name, err.args) == ("AttestationUnknown", {"uid": uid})


def test_replace_revokes_and_attests_in_one_step_referring_to_the_old(world: World) -> None:
    subject = random_id()
    old = attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(a_year(world), "A"))
    receipt = world.attestations.transact(
        "replace",
        old,
        (world.schema["CREDIT_LEVEL"], subject, ZERO, credit_data(a_year(world), "B")),
        sender=world.caller("CUSTOMS"),
    )
    names = [e.name for e in world.attestations.events(receipt)]
    assert names == ["Revoked", "Attested", "Replaced"]
    new = receipt.event("Replaced").args["newUid"]
    assert receipt.event("Attested").args["refUID"] == old
    assert world.attestations.call("isEffective", old) is False
    assert world.attestations.call("latestEffective", subject, world.schema["CREDIT_LEVEL"]) == new
    assert pair_state(world, subject, "CREDIT_LEVEL") == (2, 1, new)


def test_replace_with_another_subject_reverts_replacement_mismatch(world: World) -> None:
    old = attest(world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(a_year(world)))
    err = refused(
        world.attestations.transact,
        "replace",
        old,
        (world.schema["CREDIT_LEVEL"], random_id(), ZERO, credit_data(a_year(world))),
        sender=world.caller("CUSTOMS"),
    )
    assert (err.name, err.args) == ("AttestationReplacementMismatch", {"uid": old})
    assert world.attestations.call("isEffective", old) is True


# ---------------------------------------------------------------------- the bounded unrevoked set


def holds(world: World, subject: bytes, n: int) -> list[bytes]:
    """``n`` holds on ``subject`` (by k-of-n reports), each in a later second than the one before."""
    out = []
    for i in range(n):
        out.append(attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data(f"DEC-{i}")))
        world.chain.increase_time(5)
    return out


def test_revoking_the_newer_of_two_holds_leaves_the_older_effective(world: World) -> None:
    subject, schema_id = random_id(), world.schema["CUSTOMS_HOLD"]
    older, newer = holds(world, subject, 2)
    assert world.attestations.call("latestEffective", subject, schema_id) == newer
    assert world.attestations.call("unrevokedCount", subject, schema_id) == 2
    start = world.chain.block_number() + 1
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", newer)
    [revoked] = [
        e
        for e in world.chain.get_logs(world.attestations.address, start, world.chain.block_number())
        if e.name == "Revoked"
    ]
    assert revoked.args == {
        "uid": newer,
        "schemaId": schema_id,
        "subject": subject,
        "by": world.caller("CUSTOMS"),
    }
    assert world.attestations.call("isEffective", newer) is False
    assert world.attestations.call("attestation", newer)["revocationTime"] > 0
    assert world.attestations.call("latestEffective", subject, schema_id) == older
    assert world.attestations.call("effectiveSince", subject, schema_id, 0) == older
    assert world.attestations.call("effectiveSince", subject, schema_id, time_of(world, older)) == older
    assert world.attestations.call("effectiveSince", subject, schema_id, time_of(world, newer)) == ZERO
    assert pair_state(world, subject, "CUSTOMS_HOLD") == (2, 1, older)


def test_revoking_the_older_of_two_holds_leaves_the_newer_effective(world: World) -> None:
    subject, schema_id = random_id(), world.schema["CUSTOMS_HOLD"]
    older, newer = holds(world, subject, 2)
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", older)
    assert world.attestations.call("latestEffective", subject, schema_id) == newer
    assert world.attestations.call("effectiveSince", subject, schema_id, 0) == newer
    # The moved (swap-and-pop) hold can itself be lifted afterwards: its position was kept up to date.
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", newer)
    assert pair_state(world, subject, "CUSTOMS_HOLD") == (2, 0, ZERO)
    assert world.attestations.call("effectiveSince", subject, schema_id, 0) == ZERO


def test_unrevoked_set_stays_consistent_whatever_the_revocation_order(world: World) -> None:
    subject, schema_id = random_id(), world.schema["CUSTOMS_HOLD"]
    uids = holds(world, subject, 4)
    live = list(uids)
    for uid in (uids[0], uids[2], uids[3], uids[1]):
        revoke(world, "CUSTOMS", "CUSTOMS_HOLD", uid)
        live.remove(uid)
        latest = max(live, key=lambda u: time_of(world, u)) if live else ZERO
        assert world.attestations.call("unrevokedCount", subject, schema_id) == len(live)
        assert world.attestations.call("latestEffective", subject, schema_id) == latest
        assert all(world.attestations.call("isEffective", u) for u in live)
    assert world.attestations.call("attestationCount", subject, schema_id) == 4


def test_effective_since_counts_only_attestations_made_from_since(world: World) -> None:
    subject, schema_id = random_id(), world.schema["CUSTOMS_RELEASE"]
    release = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, release_data())
    at = time_of(world, release)
    assert world.attestations.call("effectiveSince", subject, schema_id, at) == release
    assert world.attestations.call("effectiveSince", subject, schema_id, at + 1) == ZERO
    world.chain.increase_time(5)
    second = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, release_data("DEC-2"))
    assert world.attestations.call("effectiveSince", subject, schema_id, at + 1) == second
    assert world.attestations.call("latestEffective", subject, schema_id) == second
    # Facts are never revoked: they stay in the set.
    assert world.attestations.call("unrevokedCount", subject, schema_id) == 2


def view_gas(world: World, fn: str, *args: Any) -> int:
    tx = {"to": world.attestations.address, "data": "0x" + world.attestations.encode(fn, *args).hex()}
    return world.chain.estimate_gas(tx)


def test_cost_of_the_hold_lookups_does_not_grow_with_revoked_history(world: World) -> None:
    """Attack: an agency (or its compromised set) piles up and lifts holds on a subject so that the
    release gate's hold lookup runs out of gas. Revoked holds leave the set: after 30 of them, the lookups
    cost what they cost on a fresh subject with the same live hold."""
    schema_id = world.schema["CUSTOMS_HOLD"]
    fresh = random_id()
    holds(world, fresh, 1)
    busy = random_id()
    for _ in range(5):  # 30 holds, at most 8 live at a time (one agency's share of a subject)
        for uid in holds(world, busy, 6):
            revoke(world, "CUSTOMS", "CUSTOMS_HOLD", uid)
    [live] = holds(world, busy, 1)
    assert pair_state(world, busy, "CUSTOMS_HOLD") == (31, 1, live)
    assert world.attestations.call("effectiveSince", busy, schema_id, 0) == live
    for fn, extra in (("latestEffective", ()), ("effectiveSince", (0,))):
        baseline = view_gas(world, fn, fresh, schema_id, *extra)
        after = view_gas(world, fn, busy, schema_id, *extra)
        assert abs(after - baseline) <= 500, (fn, baseline, after)
    # With every hold lifted the lookup costs no more than on a subject that never had one.
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", live)
    never = random_id()
    assert (
        view_gas(world, "latestEffective", busy, schema_id)
        <= view_gas(world, "latestEffective", never, schema_id) + 500
    )


def test_a_revocable_schema_keeps_at_most_8_unrevoked_per_attester_and_64_per_subject(world: World) -> None:
    assert world.attestations.call("MAX_UNREVOKED") == MAX_UNREVOKED
    assert world.attestations.call("MAX_UNREVOKED_PER_ATTESTER") == PER_ATTESTER
    subject, schema_id = random_id(), world.schema["CREDIT_LEVEL"]
    until = a_year(world)
    uids = [
        attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(until, f"L{i}"))
        for i in range(PER_ATTESTER)
    ]
    before = pair_state(world, subject, "CREDIT_LEVEL")
    err = refused(attest, world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(until, "ONE-TOO-MANY"))
    assert (err.name, err.args) == (
        "AttestationAttesterFull",
        {"subject": subject, "schemaId": schema_id, "attester": world.org["CUSTOMS"]},
    )
    assert pair_state(world, subject, "CREDIT_LEVEL") == before
    # Seven more agencies fill the subject's set to its total bound; an eighth agency is refused.
    for n in range(MAX_UNREVOKED // PER_ATTESTER - 1):
        kind = f"CUSTOMS_X{n}"
        admit_org(world, kind, 1 << 5)
        for i in range(PER_ATTESTER):
            attest(world, kind, "CREDIT_LEVEL", subject, credit_data(until, f"{kind}-{i}"))
    assert world.attestations.call("unrevokedCount", subject, schema_id) == MAX_UNREVOKED
    admit_org(world, "CUSTOMS_LAST", 1 << 5)
    before = pair_state(world, subject, "CREDIT_LEVEL")
    err = refused(attest, world, "CUSTOMS_LAST", "CREDIT_LEVEL", subject, credit_data(until, "FULL"))
    assert (err.name, err.args) == ("AttestationSubjectFull", {"subject": subject, "schemaId": schema_id})
    assert pair_state(world, subject, "CREDIT_LEVEL") == before
    # A full set walks at most 64 entries: the lookup stays cheap enough for the release gate.
    assert view_gas(world, "effectiveSince", subject, schema_id, 0) < 400_000
    revoke(world, "CUSTOMS", "CREDIT_LEVEL", uids[3])
    attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(until, "AGAIN"))
    assert world.attestations.call("unrevokedCount", subject, schema_id) == MAX_UNREVOKED


def default_data(reason: str) -> bytes:
    return schemas.PLEDGE_DEFAULT.encode(
        {"reasonCode": reason, "noticeGivenAt": 1_700_000_000, "noticeHash": keccak(reason.encode())}
    )


def test_one_attester_filling_the_unrevoked_set_cannot_lock_out_another(world: World) -> None:
    other = second_bank(world)
    subject = schemas.pledge_subject(4242, 1)
    schema_id = world.schema["PLEDGE_DEFAULT"]
    for i in range(PER_ATTESTER):
        direct(world, other, "PLEDGE_DEFAULT", subject, default_data(f"JUNK-{i}"))
    err = refused(direct, world, other, "PLEDGE_DEFAULT", subject, default_data("JUNK-MORE"))
    assert (err.name, err.args) == (
        "AttestationAttesterFull",
        {"subject": subject, "schemaId": schema_id, "attester": world.org[other]},
    )
    receipt = direct(world, "BANK", "PLEDGE_DEFAULT", subject, default_data("NON-PAYMENT"))
    assert world.attestations.call("isEffective", receipt.event("Attested").args["uid"]) is True


# ---------------------------------------------------------------------- recognition


@pytest.fixture
def recognised_schema(world: World) -> bytes:
    record = ("MRA_RELEASE", "string declarationNumber", False, False, False, False, 1 << CUSTOMS_ROLE, 1)
    govern_schema(world, record)
    schema_id: bytes = world.attestations.call("schemaIdOf", record)
    return schema_id


def _attest_raw(world: World, kind: str, schema_id: bytes, subject: bytes) -> bytes:
    data = schemas.SchemaDefinition("X", "string declarationNumber", False, False, 1).encode(
        {"declarationNumber": "MRA-1"}
    )
    receipt = world.attestations.transact(
        "attest", (schema_id, subject, ZERO, data), sender=world.caller(kind)
    )
    uid: bytes = receipt.event("Attested").args["uid"]
    return uid


def test_schema_requiring_a_recognition_is_effective_only_after_another_agency_recognises(
    world: World, recognised_schema: bytes
) -> None:
    subject = random_id()
    uid = _attest_raw(world, "CUSTOMS", recognised_schema, subject)
    assert world.attestations.call("isEffective", uid) is False
    assert world.attestations.call("latestEffective", subject, recognised_schema) == ZERO
    receipt = world.attestations.transact("recognise", uid, sender=world.caller("CUSTOMS2"))
    assert receipt.event("Recognised").args == {"uid": uid, "org": world.org["CUSTOMS2"], "recognitions": 1}
    assert world.attestations.call("isEffective", uid) is True
    assert world.attestations.call("latestEffective", subject, recognised_schema) == uid


@pytest.mark.parametrize("kind", ["CUSTOMS", "CUSTOMS2", "BANK", "OUTSIDER"])
def test_recognise_by_attester_twice_or_unaccredited_reverts_cannot_recognise(
    world: World, recognised_schema: bytes, kind: str
) -> None:
    uid = _attest_raw(world, "CUSTOMS", recognised_schema, random_id())
    if kind == "CUSTOMS2":  # second recognition by the same agency
        world.attestations.transact("recognise", uid, sender=world.caller("CUSTOMS2"))
    err = refused(world.attestations.transact, "recognise", uid, sender=world.caller(kind))
    assert err.name == "AttestationCannotRecognise"
    assert err.args["org"] == world.org.get(kind, 0)


# ---------------------------------------------------------------------- ISO 6346 parity and logs


@pytest.fixture(scope="module")
def probe(world_base: World) -> Contract:
    return world_base.chain.deploy("ContainerNumbersProbe", sender=world_base.governor)


_ALPHABET = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789UJZ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(_ALPHABET, min_size=10, max_size=12),
        st.builds(
            lambda owner, cat, serial: owner + cat + serial,
            st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=3, max_size=3),
            st.sampled_from("UJZR"),
            st.text(st.sampled_from("0123456789"), min_size=7, max_size=7),
        ),
    )
)
def test_on_chain_iso6346_check_agrees_with_the_domain_value(probe: Contract, text: str) -> None:
    assert probe.call("isValid", text) is (check_container_number(text) is None)


@pytest.mark.parametrize("number", ["MSKU1234565", "CSQU3054383", "MAEU1000050"])
def test_on_chain_iso6346_check_accepts_known_valid_numbers(probe: Contract, number: str) -> None:
    assert probe.call("isValid", number) is True


def test_attestation_state_can_be_rebuilt_from_the_logs_alone(world: World) -> None:
    start = world.chain.block_number() + 1
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data("DEC-1"))
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", hold)
    grade = attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(a_year(world), "A"))
    world.attestations.transact(
        "replace",
        grade,
        (world.schema["CREDIT_LEVEL"], subject, ZERO, credit_data(a_year(world), "B")),
        sender=world.caller("CUSTOMS"),
    )
    fact = attest(world, "CUSTOMS2", "CUSTOMS_RELEASE", subject, release_data())
    world.attestations.transact("recognise", fact, sender=world.caller("CUSTOMS"))

    rebuilt: dict[bytes, dict[str, Any]] = {}
    for e in world.chain.get_logs(world.attestations.address, start, world.chain.block_number()):
        if e.name == "Attested":
            rebuilt[e.args["uid"]] = {
                "schemaId": e.args["schemaId"],
                "subject": e.args["subject"],
                "attester": e.args["attester"],
                "refUID": e.args["refUID"],
                "dataHash": keccak(e.args["data"]),
                "revoked": False,
                "recognitions": 0,
            }
        elif e.name == "Revoked":
            rebuilt[e.args["uid"]]["revoked"] = True
        elif e.name == "Recognised":
            rebuilt[e.args["uid"]]["recognitions"] = e.args["recognitions"]
    assert len(rebuilt) == 4
    for uid, r in rebuilt.items():
        on_chain = world.attestations.call("attestation", uid)
        for key in ("schemaId", "subject", "attester", "refUID", "dataHash", "recognitions"):
            assert on_chain[key] == r[key], key
        assert (on_chain["revocationTime"] != 0) is r["revoked"]
    live = [
        u for u, r in rebuilt.items() if not r["revoked"] and r["schemaId"] == world.schema["CREDIT_LEVEL"]
    ]
    assert world.attestations.call("unrevokedCount", subject, world.schema["CREDIT_LEVEL"]) == len(live) == 1
