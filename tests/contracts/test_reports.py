"""k-of-n agency reports: EIP-712 signatures of an agency's oracle signers turn a source record into an
attestation; every way a report can be short, forged, foreign, late or replayed is refused."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain import ChainClient, ContractRevert
from ledger.domain import schemas
from tests.contracts.roles_attestation import (
    World,
    build_world,
    new_report,
    oracle_keys,
    register_signers,
    release_data,
    sign_report,
)


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> World:
    return build_world(chain, accounts)


@pytest.fixture
def keys(world: World) -> list[LocalAccount]:
    """Three oracle signers of the customs agency, threshold 2."""
    signers = oracle_keys(3)
    register_signers(world, signers, 2)
    return signers


def submit(
    world: World,
    report: schemas.ReportMessage,
    signatures: list[bytes],
    sender: str | None = None,
    agency: int | None = None,
) -> bytes:
    receipt = world.attestations.transact(
        "submitReport",
        world.org["CUSTOMS"] if agency is None else agency,
        report.as_struct(),
        report.data,
        signatures,
        sender=sender or world.caller("OUTSIDER"),
    )
    uid: bytes = receipt.event("ReportAccepted").args["uid"]
    return uid


def signed(world: World, report: schemas.ReportMessage, keys: list[LocalAccount]) -> list[bytes]:
    return sign_report(report, keys, world.chain.chain_id, world.attestations.address)


def rejected(world: World, report: schemas.ReportMessage, signatures: list[bytes]) -> ContractRevert:
    with pytest.raises(ContractRevert) as err:
        submit(world, report, signatures)
    return err.value


# ---------------------------------------------------------------------- accepted


def test_two_of_three_report_relayed_by_an_outsider_is_accepted_and_latest_effective(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    receipt = world.attestations.transact(
        "submitReport",
        world.org["CUSTOMS"],
        report.as_struct(),
        report.data,
        signed(world, report, [keys[0], keys[2]]),
        sender=world.caller("OUTSIDER"),
    )
    accepted = receipt.event("ReportAccepted").args
    uid = accepted["uid"]
    assert accepted["agency"] == world.org["CUSTOMS"]
    assert accepted["sourceId"] == report.source_id
    assert accepted["signers"] == [keys[0].address, keys[2].address]
    attested = receipt.event("Attested").args
    assert (attested["attester"], attested["data"], attested["by"]) == (
        world.org["CUSTOMS"],
        report.data,
        world.caller("OUTSIDER"),
    )
    assert world.attestations.call("latestEffective", report.subject, report.schema) == uid
    assert (
        world.attestations.call("reportAttestation", world.org["CUSTOMS"], report.schema, report.source_id)
        == uid
    )
    assert (
        world.attestations.call("lastReportSequence", world.org["CUSTOMS"], report.schema, report.subject)
        == 1
    )


def test_three_of_three_report_is_accepted(world: World) -> None:
    keys = oracle_keys(3)
    register_signers(world, keys, 3)
    report = new_report(world)
    uid = submit(world, report, signed(world, report, keys))
    assert world.attestations.call("isEffective", uid) is True


def test_more_than_k_signatures_are_all_checked_and_accepted(world: World, keys: list[LocalAccount]) -> None:
    report = new_report(world)
    submit(world, report, signed(world, report, keys))


def test_signer_set_is_readable_and_event_carries_it(world: World) -> None:
    keys = oracle_keys(2)
    receipt = world.attestations.transact(
        "setReportSigners",
        world.schema["CUSTOMS_RELEASE"],
        [k.address for k in keys],
        2,
        sender=world.caller("CUSTOMS"),
    )
    event = receipt.event("ReportSignersSet").args
    assert (event["signers"], event["threshold"], event["epoch"]) == ([k.address for k in keys], 2, 1)
    signers, threshold = world.attestations.call(
        "reportSigners", world.org["CUSTOMS"], world.schema["CUSTOMS_RELEASE"]
    )
    assert (signers, threshold) == ([k.address for k in keys], 2)


# ---------------------------------------------------------------------- rejected


def test_k_minus_one_signatures_revert_below_threshold(world: World, keys: list[LocalAccount]) -> None:
    report = new_report(world)
    err = rejected(world, report, signed(world, report, keys[:1]))
    assert err.name == "AttestationReportBelowThreshold"
    assert (err.args["signatures"], err.args["threshold"]) == (1, 2)


def test_duplicate_signer_reverts_duplicate_signer(world: World, keys: list[LocalAccount]) -> None:
    report = new_report(world)
    err = rejected(world, report, signed(world, report, [keys[1], keys[1]]))
    assert err.name == "AttestationReportDuplicateSigner"
    assert err.args == {"signer": keys[1].address}


def test_signatures_in_descending_signer_order_revert_signers_unordered(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    err = rejected(world, report, signed(world, report, [keys[2], keys[0]]))
    assert err.name == "AttestationReportSignersUnordered"
    assert err.args == {"previous": keys[2].address, "signer": keys[0].address}


def test_unregistered_signer_reverts_unknown_signer(world: World, keys: list[LocalAccount]) -> None:
    stranger = oracle_keys(1)[0]
    report = new_report(world)
    pair = sorted([keys[0], stranger], key=lambda k: int(k.address, 16))
    err = rejected(world, report, signed(world, report, pair))
    assert err.name == "AttestationReportUnknownSigner"
    assert err.args["signer"] == stranger.address


def test_replayed_report_reverts_source_already_accepted_with_the_uid(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    signatures = signed(world, report, keys[:2])
    uid = submit(world, report, signatures)
    err = rejected(world, report, signatures)
    assert err.name == "AttestationSourceAlreadyAccepted"
    assert err.args == {
        "agency": world.org["CUSTOMS"],
        "schemaId": report.schema,
        "sourceId": report.source_id,
        "uid": uid,
    }


def test_other_payload_under_an_accepted_source_id_reverts_source_already_accepted(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    submit(world, report, signed(world, report, keys[:2]))
    other = dataclasses.replace(report, data=release_data("DEC-OTHER"), sequence=2)
    err = rejected(world, other, signed(world, other, keys[:2]))
    assert err.name == "AttestationSourceAlreadyAccepted"


def test_report_past_its_deadline_reverts_report_expired(world: World, keys: list[LocalAccount]) -> None:
    report = new_report(world, deadline=world.chain.latest_timestamp() + 10)
    signatures = signed(world, report, keys[:2])
    world.chain.increase_time(60)
    err = rejected(world, report, signatures)
    assert err.name == "AttestationReportExpired"
    assert err.args["deadline"] == report.deadline


def test_signature_over_another_chain_id_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    foreign = sign_report(report, keys[:2], world.chain.chain_id + 1, world.attestations.address)
    err = rejected(world, report, foreign)
    assert err.name == "AttestationReportUnknownSigner"


def test_signature_over_another_contract_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    foreign = sign_report(report, keys[:2], world.chain.chain_id, world.consortium.address)
    err = rejected(world, report, foreign)
    assert err.name == "AttestationReportUnknownSigner"


def test_data_other_than_the_signed_payload_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    signatures = signed(world, report, keys[:2])
    tampered = dataclasses.replace(report, data=release_data("DEC-FORGED"))
    err = rejected(world, tampered, signatures)
    assert err.name == "AttestationReportUnknownSigner"


def test_report_older_than_the_last_accepted_sequence_reverts_report_stale(
    world: World, keys: list[LocalAccount]
) -> None:
    first = new_report(world, sequence=5)
    submit(world, first, signed(world, first, keys[:2]))
    older = new_report(world, subject=first.subject, sequence=5)
    err = rejected(world, older, signed(world, older, keys[:2]))
    assert err.name == "AttestationReportStale"
    assert err.args == {"sequence": 5, "lastSequence": 5}


def test_malformed_signature_reverts_invalid_signature_with_its_index(
    world: World, keys: list[LocalAccount]
) -> None:
    report = new_report(world)
    signatures = signed(world, report, keys[:2])
    err = rejected(world, report, [signatures[0], b"\x01" * 64])
    assert err.name == "AttestationReportInvalidSignature"
    assert err.args == {"index": 1}


def test_replaced_signer_set_refuses_the_old_signers(world: World, keys: list[LocalAccount]) -> None:
    register_signers(world, oracle_keys(2), 2)
    report = new_report(world)
    err = rejected(world, report, signed(world, report, keys[:2]))
    assert err.name == "AttestationReportUnknownSigner"


def test_report_for_an_agency_without_signers_reverts_no_signer_set(world: World) -> None:
    report = new_report(world)
    with pytest.raises(ContractRevert) as err:
        submit(world, report, signed(world, report, oracle_keys(2)), agency=world.org["CUSTOMS2"])
    assert err.value.name == "AttestationNoSignerSet"


def test_agency_that_lost_its_role_cannot_have_reports_accepted(
    world: World, keys: list[LocalAccount]
) -> None:
    world.revoke_role(world.org["CUSTOMS"], 5)
    report = new_report(world)
    err = rejected(world, report, signed(world, report, keys[:2]))
    assert err.name == "AttestationAgencyNotAccredited"
    assert err.args == {"agency": world.org["CUSTOMS"], "schemaId": report.schema}


@pytest.mark.parametrize(
    ("order", "threshold"),
    [("descending", 1), ("ascending", 0), ("ascending", 3)],
)
def test_malformed_signer_set_reverts_invalid_signer_set(world: World, order: str, threshold: int) -> None:
    keys = oracle_keys(2)
    addresses = [k.address for k in keys]
    if order == "descending":
        addresses.reverse()
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact(
            "setReportSigners",
            world.schema["CUSTOMS_RELEASE"],
            addresses,
            threshold,
            sender=world.caller("CUSTOMS"),
        )
    assert err.value.name == "AttestationInvalidSignerSet"


def test_signer_set_by_a_bank_for_a_customs_schema_reverts_not_attester(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        world.attestations.transact(
            "setReportSigners",
            world.schema["CUSTOMS_RELEASE"],
            [k.address for k in oracle_keys(1)],
            1,
            sender=world.caller("BANK"),
        )
    assert err.value.name == "AttestationNotAttester"
