"""AttestationRegistry: schemas, attest / revoke / replace / recognise, isEffective and latestEffective,
state rebuilt from logs, and parity with the Python side: the well-known schemas and the report type hash
(``ledger.domain.schemas``) and the ISO 6346 rule the release contract applies (``ledger.domain.values``)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain import ChainClient, Contract, ContractRevert
from ledger.domain import schemas
from ledger.domain.values import check_container_number
from tests.contracts.roles_attestation import (
    World,
    attest,
    build_world,
    hold_data,
    new_report,
    random_id,
    release_data,
)

ZERO = b"\x00" * 32
CUSTOMS_ROLE = 5


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> World:
    return build_world(chain, accounts)


def credit_data(valid_until: int) -> bytes:
    return schemas.CREDIT_LEVEL.encode(
        {
            "validUntil": valid_until,
            "creditCode": "91310000MA1FL0000X",
            "level": "Advanced Certified Enterprise",
        }
    )


# ---------------------------------------------------------------------- parity with ledger.domain.schemas


@pytest.mark.parametrize("name", sorted(schemas.WELL_KNOWN_SCHEMAS))
def test_well_known_schema_id_matches_contract_and_is_registered_active(world: World, name: str) -> None:
    definition = schemas.WELL_KNOWN_SCHEMAS[name]
    assert world.attestations.call("schemaIdOf", definition.as_record()) == definition.schema_id
    record, active = world.attestations.call("schema", definition.schema_id)
    assert tuple(record.values()) == definition.as_record()
    assert active is True


def test_report_typehash_and_digest_match_domain_builder(world: World) -> None:
    assert world.attestations.call("REPORT_TYPEHASH") == schemas.REPORT_TYPEHASH
    report = new_report(world)
    expected = schemas.report_digest(report, world.chain.chain_id, world.attestations.address)
    assert world.attestations.call("reportDigest", report.as_struct(), report.data) == expected


def test_eip712_domain_is_portledger_attestation_registry_v1(world: World) -> None:
    _, name, version, chain_id, contract, _, _ = world.attestations.call("eip712Domain")
    assert (name, version) == (schemas.REPORT_DOMAIN_NAME, schemas.REPORT_DOMAIN_VERSION)
    assert chain_id == world.chain.chain_id
    assert contract == world.attestations.address


def test_schema_data_round_trips_through_domain_encoder() -> None:
    values = {"imoNumber": "9321483", "eventCode": "ARRI", "unLocode": "CNSHA", "eventTime": 1_700_000_000}
    assert schemas.VESSEL_EVENT.decode(schemas.VESSEL_EVENT.encode(values)) == values


# ---------------------------------------------------------------------- schemas


def test_register_schema_twice_reverts_schema_exists(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("registerSchema", schemas.CUSTOMS_HOLD.as_record(), sender=world.governor)
    assert err.value.name == "AttestationSchemaExists"
    assert err.value.args == {"schemaId": schemas.CUSTOMS_HOLD.schema_id}


def test_register_schema_by_port_authority_emits_schema_registered(world: World) -> None:
    record = ("AEO_STATUS", "uint64 validUntil,string status", True, True, 1 << CUSTOMS_ROLE, 0)
    receipt = world.attestations.transact("registerSchema", record, sender=world.caller("PORT_AUTHORITY"))
    event = receipt.event("SchemaRegistered")
    assert event.args["schemaId"] == world.attestations.call("schemaIdOf", record)
    assert (event.args["name"], event.args["definition"], event.args["expiring"]) == (*record[0:2], True)


def test_register_schema_by_trader_reverts_not_schema_admin(world: World) -> None:
    record = ("X", "string x", False, False, 1 << CUSTOMS_ROLE, 0)
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("registerSchema", record, sender=world.caller("TRADER"))
    assert err.value.name == "AttestationNotSchemaAdmin"
    assert err.value.args == {"caller": world.caller("TRADER")}


def test_deployer_registers_schemas_until_it_seals_the_schema_bootstrap(world: World) -> None:
    deployer = world.caller("OUTSIDER")  # not a governor, not a member
    registry = world.chain.deploy("AttestationRegistry", world.consortium.address, sender=deployer)
    registry.transact("registerSchema", schemas.CUSTOMS_RELEASE.as_record(), sender=deployer)
    assert registry.call("schema", schemas.CUSTOMS_RELEASE.schema_id)[1] is True
    sealed = registry.transact("sealSchemaBootstrap", sender=deployer)
    assert sealed.event("SchemaBootstrapSealed").args == {"by": deployer}
    for fn, args in (("registerSchema", (schemas.CUSTOMS_HOLD.as_record(),)), ("sealSchemaBootstrap", ())):
        with pytest.raises(ContractRevert) as err:
            registry.transact(fn, *args, sender=deployer)
        assert err.value.name == "AttestationNotSchemaAdmin"


def test_register_schema_without_attester_roles_reverts_schema_invalid(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact(
            "registerSchema", ("X", "string x", False, False, 0, 0), sender=world.governor
        )
    assert err.value.name == "AttestationSchemaInvalid"


def test_deactivated_schema_voids_its_attestations_and_refuses_new_ones(world: World) -> None:
    subject = random_id()
    uid = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, release_data())
    receipt = world.attestations.transact(
        "setSchemaActive", world.schema["CUSTOMS_RELEASE"], False, sender=world.governor
    )
    assert receipt.event("SchemaActiveChanged").args["active"] is False
    assert world.attestations.call("isEffective", uid) is False
    assert world.attestations.call("latestEffective", subject, world.schema["CUSTOMS_RELEASE"]) == ZERO
    with pytest.raises(ContractRevert) as err:
        attest(world, "CUSTOMS", "CUSTOMS_RELEASE", subject, release_data())
    assert err.value.name == "AttestationSchemaInactive"
    world.attestations.transact(
        "setSchemaActive", world.schema["CUSTOMS_RELEASE"], True, sender=world.governor
    )
    assert world.attestations.call("isEffective", uid) is True


# ---------------------------------------------------------------------- attest


def test_attest_stores_the_record_and_is_latest_effective(world: World) -> None:
    subject = random_id()
    data = release_data("DEC-42")
    receipt = world.attestations.transact(
        "attest", (world.schema["CUSTOMS_RELEASE"], subject, ZERO, data), sender=world.caller("CUSTOMS")
    )
    event = receipt.event("Attested")
    uid = event.args["uid"]
    assert event.args["attester"] == world.org["CUSTOMS"]
    assert event.args["data"] == data
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


def test_attest_by_maritime_on_customs_schema_reverts_not_attester(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        attest(world, "MARITIME", "CUSTOMS_RELEASE", random_id(), release_data())
    assert err.value.name == "AttestationNotAttester"
    assert err.value.args["caller"] == world.caller("MARITIME")


def test_attest_by_suspended_member_reverts_not_attester(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        attest(world, "SUSPENDED", "CUSTOMS_RELEASE", random_id(), release_data())
    assert err.value.name == "AttestationNotAttester"


def test_attest_with_unknown_reference_reverts_unknown_reference(world: World) -> None:
    ref = random_id()
    with pytest.raises(ContractRevert) as err:
        attest(world, "CUSTOMS", "CUSTOMS_RELEASE", random_id(), release_data(), ref=ref)
    assert err.value.name == "AttestationUnknownReference"
    assert err.value.args == {"refUID": ref}


def test_expiring_attestation_stops_being_effective_after_valid_until(world: World) -> None:
    subject = schemas.org_subject(world.org["TRADER"])
    valid_until = world.chain.latest_timestamp() + 100
    uid = attest(world, "CUSTOMS", "CREDIT_LEVEL", subject, credit_data(valid_until))
    assert world.attestations.call("attestation", uid)["expirationTime"] == valid_until
    assert world.attestations.call("latestEffective", subject, world.schema["CREDIT_LEVEL"]) == uid
    world.chain.increase_time(200)
    assert world.attestations.call("isEffective", uid) is False
    assert world.attestations.call("latestEffective", subject, world.schema["CREDIT_LEVEL"]) == ZERO


def test_expiring_attestation_with_past_valid_until_reverts_invalid_expiry(world: World) -> None:
    past = world.chain.latest_timestamp() - 1
    with pytest.raises(ContractRevert) as err:
        attest(world, "CUSTOMS", "CREDIT_LEVEL", random_id(), credit_data(past))
    assert err.value.name == "AttestationInvalidExpiry"
    assert err.value.args["validUntil"] == past


def test_attester_losing_its_role_voids_its_attestations(world: World) -> None:
    uid = attest(world, "CUSTOMS2", "CUSTOMS_RELEASE", random_id(), release_data())
    world.revoke_role(world.org["CUSTOMS2"], CUSTOMS_ROLE)
    assert world.attestations.call("isEffective", uid) is False


def test_suspension_of_the_attester_keeps_its_facts_effective(world: World) -> None:
    uid = attest(world, "CUSTOMS2", "CUSTOMS_HOLD", random_id(), hold_data())
    world.suspend(world.org["CUSTOMS2"])
    assert world.attestations.call("isEffective", uid) is True


# ---------------------------------------------------------------------- revoke and replace


def test_revoke_fact_reverts_irrevocable(world: World) -> None:
    uid = attest(world, "CUSTOMS", "CUSTOMS_RELEASE", random_id(), release_data())
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("revoke", uid, sender=world.caller("CUSTOMS"))
    assert err.value.name == "AttestationIrrevocable"
    assert err.value.args == {"uid": uid, "schemaId": world.schema["CUSTOMS_RELEASE"]}


def test_revoke_newest_hold_falls_back_to_the_older_effective_one(world: World) -> None:
    subject = random_id()
    older = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data("DEC-1"))
    newer = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data("DEC-2"))
    assert world.attestations.call("latestEffective", subject, world.schema["CUSTOMS_HOLD"]) == newer
    receipt = world.attestations.transact("revoke", newer, sender=world.caller("CUSTOMS"))
    assert receipt.event("Revoked").args == {
        "uid": newer,
        "schemaId": world.schema["CUSTOMS_HOLD"],
        "subject": subject,
        "by": world.caller("CUSTOMS"),
    }
    assert world.attestations.call("isEffective", newer) is False
    assert world.attestations.call("attestation", newer)["revocationTime"] > 0
    assert world.attestations.call("latestEffective", subject, world.schema["CUSTOMS_HOLD"]) == older
    assert world.attestations.call("attestationCount", subject, world.schema["CUSTOMS_HOLD"]) == 2


def test_revoke_twice_reverts_already_revoked(world: World) -> None:
    uid = attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data())
    world.attestations.transact("revoke", uid, sender=world.caller("CUSTOMS"))
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("revoke", uid, sender=world.caller("CUSTOMS"))
    assert err.value.name == "AttestationAlreadyRevoked"


def test_revoke_by_another_customs_agency_reverts_not_own_attestation(world: World) -> None:
    uid = attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data())
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("revoke", uid, sender=world.caller("CUSTOMS2"))
    assert err.value.name == "AttestationNotOwnAttestation"
    assert err.value.args == {"uid": uid, "caller": world.caller("CUSTOMS2")}


def test_revoke_unknown_uid_reverts_unknown(world: World) -> None:
    uid = random_id()
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("revoke", uid, sender=world.caller("CUSTOMS"))
    assert err.value.name == "AttestationUnknown"


def test_replace_revokes_and_attests_in_one_step_referring_to_the_old(world: World) -> None:
    subject = random_id()
    old = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data("DEC-1"))
    receipt = world.attestations.transact(
        "replace",
        old,
        (world.schema["CUSTOMS_HOLD"], subject, ZERO, hold_data("DEC-2")),
        sender=world.caller("CUSTOMS"),
    )
    names = [e.name for e in world.attestations.events(receipt)]
    assert names == ["Revoked", "Attested", "Replaced"]
    new = receipt.event("Replaced").args["newUid"]
    assert receipt.event("Attested").args["refUID"] == old
    assert world.attestations.call("isEffective", old) is False
    assert world.attestations.call("latestEffective", subject, world.schema["CUSTOMS_HOLD"]) == new


def test_replace_with_another_subject_reverts_replacement_mismatch(world: World) -> None:
    old = attest(world, "CUSTOMS", "CUSTOMS_HOLD", random_id(), hold_data())
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact(
            "replace",
            old,
            (world.schema["CUSTOMS_HOLD"], random_id(), ZERO, hold_data()),
            sender=world.caller("CUSTOMS"),
        )
    assert err.value.name == "AttestationReplacementMismatch"
    assert world.attestations.call("isEffective", old) is True


# ---------------------------------------------------------------------- recognition


@pytest.fixture
def recognised_schema(world: World) -> bytes:
    record = ("MRA_RELEASE", "string declarationNumber", False, False, 1 << CUSTOMS_ROLE, 1)
    world.attestations.transact("registerSchema", record, sender=world.governor)
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
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact("recognise", uid, sender=world.caller(kind))
    assert err.value.name == "AttestationCannotRecognise"
    assert err.value.args["org"] == world.org.get(kind, 0)


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
    world.attestations.transact(
        "replace",
        hold,
        (world.schema["CUSTOMS_HOLD"], subject, ZERO, hold_data("DEC-2")),
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
    assert len(rebuilt) == 3
    for uid, r in rebuilt.items():
        on_chain = world.attestations.call("attestation", uid)
        for key in ("schemaId", "subject", "attester", "refUID", "dataHash", "recognitions"):
            assert on_chain[key] == r[key], key
        assert (on_chain["revocationTime"] != 0) is r["revoked"]
