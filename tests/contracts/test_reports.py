"""k-of-n agency reports: EIP-712 signatures of an agency's oracle signers turn a source record into an
attestation (or the revocation of one); every way a report can be short, forged, foreign, late, replayed or
sent for a suspended agency is refused. Signer sets change only by governance or by a k-of-n signed change
of the agency's current set, never by one key."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain import ChainClient, ContractRevert
from ledger.domain import schemas
from tests.contracts.conftest import reverted
from tests.contracts.roles_attestation import (
    SET_REPORT_SIGNERS,
    World,
    attest,
    build_world,
    hold_data,
    new_report,
    oracle_keys,
    propose,
    random_id,
    register_signers,
    release_data,
    report,
    sign_report,
)

ZERO = b"\x00" * 32
CUSTOMS_ROLE = 5


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> Iterator[World]:
    with reverted(chain):
        yield build_world(chain, accounts)


@pytest.fixture
def keys(world: World) -> list[LocalAccount]:
    """Three fresh oracle signers of the customs agency on CUSTOMS_RELEASE, threshold 2 (by proposal)."""
    signers = oracle_keys(3)
    register_signers(world, signers, 2)
    return signers


def submit(
    world: World, message: schemas.ReportMessage, signatures: list[bytes], sender: str | None = None
) -> bytes:
    receipt = world.attestations.transact(
        "submitReport",
        message.as_struct(),
        message.data,
        signatures,
        sender=sender or world.caller("OUTSIDER"),
    )
    uid: bytes = receipt.event("ReportAccepted").args["uid"]
    return uid


def signed(world: World, message: schemas.ReportMessage, keys: list[LocalAccount]) -> list[bytes]:
    return sign_report(message, keys, world.chain.chain_id, world.attestations.address)


def ascending(*keys: LocalAccount) -> list[LocalAccount]:
    return sorted(keys, key=lambda k: int(k.address, 16))


def trace(world: World, message: schemas.ReportMessage) -> tuple[Any, ...]:
    """Everything an accepted report would change for its (agency, schema, subject, source)."""
    a = world.attestations
    return (
        a.call("attestationCount", message.subject, message.schema),
        a.call("unrevokedCount", message.subject, message.schema),
        a.call("latestEffective", message.subject, message.schema),
        a.call("reportAttestation", message.agency, message.schema, message.source_id),
        a.call("lastReportSequence", message.agency, message.schema, message.subject),
    )


def rejected(world: World, message: schemas.ReportMessage, signatures: list[bytes]) -> ContractRevert:
    """Submits a report that must be refused, and checks that it changed nothing."""
    before = trace(world, message)
    with pytest.raises(ContractRevert) as err:
        submit(world, message, signatures)
    assert trace(world, message) == before
    return err.value


def signer_set(world: World, kind: str, schema: str) -> tuple[list[str], int, int]:
    agency, schema_id = world.org[kind], world.schema[schema]
    signers, threshold = world.attestations.call("reportSigners", agency, schema_id)
    return signers, threshold, world.attestations.call("signerEpoch", agency, schema_id)


def change_for(
    world: World, kind: str, schema: str, new: list[LocalAccount], threshold: int, **overrides: Any
) -> schemas.SignerSetChange:
    fields: dict[str, Any] = {
        "agency": world.org[kind],
        "schema": world.schema[schema],
        "signers": tuple(k.address for k in new),
        "threshold": threshold,
        "epoch": signer_set(world, kind, schema)[2],
        "deadline": world.chain.latest_timestamp() + 3600,
    }
    fields.update(overrides)
    return schemas.SignerSetChange(**fields)


def sign_change(world: World, change: schemas.SignerSetChange, keys: list[LocalAccount]) -> list[bytes]:
    typed = change.typed_data(world.chain.chain_id, world.attestations.address)
    return [bytes(Account.sign_typed_data(k.key, full_message=typed).signature) for k in keys]


def send_change(world: World, change: schemas.SignerSetChange, signatures: list[bytes], sender: str) -> Any:
    return world.attestations.transact(
        "changeReportSigners",
        change.agency,
        change.schema,
        list(change.signers),
        change.threshold,
        change.deadline,
        signatures,
        sender=sender,
    )


# ---------------------------------------------------------------------- accepted


def test_two_of_three_report_relayed_by_an_outsider_is_accepted_and_latest_effective(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    receipt = world.attestations.transact(
        "submitReport",
        message.as_struct(),
        message.data,
        signed(world, message, [keys[0], keys[2]]),
        sender=world.caller("OUTSIDER"),
    )
    accepted = receipt.event("ReportAccepted").args
    uid = accepted["uid"]
    assert (accepted["agency"], accepted["sourceId"], accepted["action"], accepted["sequence"]) == (
        world.org["CUSTOMS"],
        message.source_id,
        int(schemas.ReportAction.ATTEST),
        1,
    )
    assert accepted["signers"] == [keys[0].address, keys[2].address]
    attested = receipt.event("Attested").args
    assert (attested["attester"], attested["data"], attested["by"]) == (
        world.org["CUSTOMS"],
        message.data,
        world.caller("OUTSIDER"),
    )
    assert world.attestations.call("latestEffective", message.subject, message.schema) == uid
    assert trace(world, message) == (1, 1, uid, uid, 1)


def test_three_of_three_report_is_accepted(world: World) -> None:
    keys = oracle_keys(3)
    register_signers(world, keys, 3)
    message = new_report(world)
    uid = submit(world, message, signed(world, message, keys))
    assert world.attestations.call("isEffective", uid) is True


def test_more_than_k_signatures_are_all_checked_and_accepted(world: World, keys: list[LocalAccount]) -> None:
    message = new_report(world)
    receipt = world.attestations.transact(
        "submitReport", message.as_struct(), message.data, signed(world, message, keys), sender=world.governor
    )
    assert receipt.event("ReportAccepted").args["signers"] == [k.address for k in keys]


def test_revoke_report_lifts_the_agencys_hold(world: World) -> None:
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    message = new_report(
        world,
        "CUSTOMS_HOLD",
        subject=subject,
        sequence=2,
        action=schemas.ReportAction.REVOKE,
        target=hold,
        data=b"released after inspection",
    )
    receipt = world.attestations.transact(
        "submitReport",
        message.as_struct(),
        message.data,
        signed(world, message, keys[1:]),
        sender=world.governor,
    )
    assert [e.name for e in world.attestations.events(receipt)] == ["Revoked", "ReportAccepted"]
    assert receipt.event("ReportAccepted").args["action"] == int(schemas.ReportAction.REVOKE)
    assert world.attestations.call("isEffective", hold) is False
    assert trace(world, message) == (1, 0, ZERO, hold, 2)


def test_signer_set_installed_by_proposal_is_readable_and_event_carries_it(world: World) -> None:
    keys = oracle_keys(2)
    schema_id = world.schema["CUSTOMS_RELEASE"]
    epoch = world.attestations.call("signerEpoch", world.org["CUSTOMS"], schema_id)
    receipt = propose(
        world,
        SET_REPORT_SIGNERS,
        ["address", "uint32", "bytes32", "address[]", "uint8"],
        [world.attestations.address, world.org["CUSTOMS"], schema_id, [k.address for k in keys], 2],
    )
    event = receipt.event("ReportSignersSet").args
    assert (event["agency"], event["signers"], event["threshold"], event["epoch"]) == (
        world.org["CUSTOMS"],
        [k.address for k in keys],
        2,
        epoch + 1,
    )
    assert signer_set(world, "CUSTOMS", "CUSTOMS_RELEASE") == ([k.address for k in keys], 2, epoch + 1)


# ---------------------------------------------------------------------- rejected


def test_k_minus_one_signatures_revert_below_threshold(world: World, keys: list[LocalAccount]) -> None:
    message = new_report(world)
    err = rejected(world, message, signed(world, message, keys[:1]))
    assert err.name == "AttestationReportBelowThreshold"
    assert err.args == {
        "agency": world.org["CUSTOMS"],
        "schemaId": message.schema,
        "signatures": 1,
        "threshold": 2,
    }


def test_k_valid_signatures_plus_one_by_a_stranger_are_refused(
    world: World, keys: list[LocalAccount]
) -> None:
    """Attack: padding a valid report with a signature that is not the set's (every signature counts)."""
    stranger = oracle_keys(1)[0]
    message = new_report(world)
    err = rejected(world, message, signed(world, message, ascending(keys[0], keys[1], stranger)))
    assert (err.name, err.args["signer"]) == ("AttestationReportUnknownSigner", stranger.address)


def test_k_valid_signatures_plus_one_malformed_are_refused(world: World, keys: list[LocalAccount]) -> None:
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    for extra in (b"\x01" * 65, b"\x02" * 64, b""):
        err = rejected(world, message, [*signatures, extra])
        assert (err.name, err.args) == ("AttestationReportInvalidSignature", {"index": 2})


def test_k_valid_signatures_plus_one_over_other_data_are_refused(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    other = dataclasses.replace(message, data=release_data("DEC-OTHER"))
    signatures = [*signed(world, message, keys[:2]), *signed(world, other, keys[2:])]
    err = rejected(world, message, signatures)
    assert err.name == "AttestationReportUnknownSigner"
    assert err.args["signer"] != keys[2].address


def test_duplicate_signer_reverts_duplicate_signer(world: World, keys: list[LocalAccount]) -> None:
    message = new_report(world)
    err = rejected(world, message, signed(world, message, [keys[1], keys[1]]))
    assert (err.name, err.args) == ("AttestationReportDuplicateSigner", {"signer": keys[1].address})


def test_signatures_in_descending_signer_order_revert_signers_unordered(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    err = rejected(world, message, signed(world, message, [keys[2], keys[0]]))
    assert (err.name, err.args) == (
        "AttestationReportSignersUnordered",
        {"previous": keys[2].address, "signer": keys[0].address},
    )


def test_unregistered_signer_reverts_unknown_signer(world: World, keys: list[LocalAccount]) -> None:
    stranger = oracle_keys(1)[0]
    message = new_report(world)
    err = rejected(world, message, signed(world, message, ascending(keys[0], stranger)))
    assert (err.name, err.args["signer"]) == ("AttestationReportUnknownSigner", stranger.address)


def test_replayed_report_reverts_source_already_accepted_with_the_uid(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    uid = submit(world, message, signatures)
    err = rejected(world, message, signatures)
    assert (err.name, err.args) == (
        "AttestationSourceAlreadyAccepted",
        {
            "agency": world.org["CUSTOMS"],
            "schemaId": message.schema,
            "sourceId": message.source_id,
            "uid": uid,
        },
    )
    assert trace(world, message) == (1, 1, uid, uid, 1)


def test_replayed_revoke_report_reverts_source_already_accepted(world: World) -> None:
    subject = random_id()
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")][:2]
    lift = new_report(
        world,
        "CUSTOMS_HOLD",
        subject=subject,
        sequence=2,
        action=schemas.ReportAction.REVOKE,
        target=hold,
        data=b"",
    )
    signatures = signed(world, lift, keys)
    submit(world, lift, signatures)
    # A new hold is placed; replaying the old lift must not touch it.
    again = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data("DEC-2"))
    err = rejected(world, lift, signatures)
    assert err.name == "AttestationSourceAlreadyAccepted"
    assert world.attestations.call("isEffective", again) is True


def test_other_payload_under_an_accepted_source_id_reverts_source_already_accepted(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    submit(world, message, signed(world, message, keys[:2]))
    other = dataclasses.replace(message, data=release_data("DEC-OTHER"), sequence=2)
    err = rejected(world, other, signed(world, other, keys[:2]))
    assert err.name == "AttestationSourceAlreadyAccepted"


def test_report_past_its_deadline_reverts_report_expired(world: World, keys: list[LocalAccount]) -> None:
    message = new_report(world, deadline=world.chain.latest_timestamp() + 10)
    signatures = signed(world, message, keys[:2])
    world.chain.increase_time(60)
    err = rejected(world, message, signatures)
    assert err.name == "AttestationReportExpired"
    assert err.args["deadline"] == message.deadline


def test_signature_over_another_chain_id_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    foreign = sign_report(message, keys[:2], world.chain.chain_id + 1, world.attestations.address)
    err = rejected(world, message, foreign)
    assert err.name == "AttestationReportUnknownSigner"


def test_signature_over_another_contract_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    foreign = sign_report(message, keys[:2], world.chain.chain_id, world.consortium.address)
    err = rejected(world, message, foreign)
    assert err.name == "AttestationReportUnknownSigner"


def test_data_other_than_the_signed_payload_reverts_unknown_signer(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    tampered = dataclasses.replace(message, data=release_data("DEC-FORGED"))
    err = rejected(world, tampered, signatures)
    assert err.name == "AttestationReportUnknownSigner"


@pytest.mark.parametrize(
    "field",
    [
        ("agency", 0),  # replaced below by the other customs agency
        ("action", schemas.ReportAction.REVOKE),
        ("target", b"\x06" * 32),
        ("subject", b"\x07" * 32),
        ("sequence", 9),
        ("deadline", 2_000_000_000),
        ("source_id", b"\x08" * 32),
        ("schema", b"\x09" * 32),
    ],
    ids=lambda f: f[0],
)
def test_any_signed_field_changed_after_signing_is_refused(
    world: World, keys: list[LocalAccount], field: tuple[str, Any]
) -> None:
    """Signatures are checked before the report is acted on, so a changed action or target is refused
    for its signatures too; a changed schema is refused earlier, for naming no active schema."""
    name, value = field
    if name == "agency":
        register_signers(world, keys, 2, kind="CUSTOMS2")
        value = world.org["CUSTOMS2"]
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    tampered = dataclasses.replace(message, **{name: value})
    err = rejected(world, tampered, signatures)
    expected = "AttestationSchemaInactive" if name == "schema" else "AttestationReportUnknownSigner"
    assert err.name == expected
    submit(world, message, signatures)  # the untouched report is good


def test_report_signed_for_one_agency_is_refused_for_another_with_the_same_signers(
    world: World, keys: list[LocalAccount]
) -> None:
    """Attack: CUSTOMS2 registers the very signer addresses CUSTOMS uses, and a relayer re-addresses a
    CUSTOMS report to CUSTOMS2. The agency is part of what is signed, so the signatures no longer fit."""
    register_signers(world, keys, 2, kind="CUSTOMS2")
    assert (
        signer_set(world, "CUSTOMS2", "CUSTOMS_RELEASE")[:2]
        == signer_set(world, "CUSTOMS", "CUSTOMS_RELEASE")[:2]
    )
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    foreign = dataclasses.replace(message, agency=world.org["CUSTOMS2"])
    err = rejected(world, foreign, signatures)
    assert err.name == "AttestationReportUnknownSigner"
    assert err.args["agency"] == world.org["CUSTOMS2"]
    assert err.args["signer"] not in {k.address for k in keys}
    # The same signatures are good for the agency they were made for.
    uid = submit(world, message, signatures)
    assert world.attestations.call("attestation", uid)["attester"] == world.org["CUSTOMS"]


def test_report_older_than_the_last_accepted_sequence_reverts_report_stale(
    world: World, keys: list[LocalAccount]
) -> None:
    first = new_report(world, sequence=5)
    uid = submit(world, first, signed(world, first, keys[:2]))
    for sequence in (5, 4, 1):
        older = new_report(world, subject=first.subject, sequence=sequence)
        err = rejected(world, older, signed(world, older, keys[:2]))
        assert (err.name, err.args) == ("AttestationReportStale", {"sequence": sequence, "lastSequence": 5})
    assert trace(world, first) == (1, 1, uid, uid, 5)


def test_stale_revoke_report_cannot_lift_a_newer_hold(world: World) -> None:
    """Attack: a lift signed earlier (sequence 2) is held back and relayed after a later hold (sequence 3)."""
    subject = random_id()
    keys = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")][:2]
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())  # sequence 1
    lift = new_report(
        world,
        "CUSTOMS_HOLD",
        subject=subject,
        sequence=2,
        action=schemas.ReportAction.REVOKE,
        target=hold,
        data=b"",
    )
    held_back = signed(world, lift, keys)
    newer = new_report(world, "CUSTOMS_HOLD", subject=subject, sequence=3, data=hold_data("DEC-2"))
    submit(world, newer, signed(world, newer, keys))
    err = rejected(world, lift, held_back)
    assert (err.name, err.args) == ("AttestationReportStale", {"sequence": 2, "lastSequence": 3})
    assert world.attestations.call("isEffective", hold) is True


def test_malformed_signature_reverts_invalid_signature_with_its_index(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world)
    signatures = signed(world, message, keys[:2])
    err = rejected(world, message, [signatures[0], b"\x01" * 64])
    assert (err.name, err.args) == ("AttestationReportInvalidSignature", {"index": 1})


def test_replaced_signer_set_refuses_the_old_signers(world: World, keys: list[LocalAccount]) -> None:
    register_signers(world, oracle_keys(2), 2)
    message = new_report(world)
    err = rejected(world, message, signed(world, message, keys[:2]))
    assert err.name == "AttestationReportUnknownSigner"


def test_report_for_an_agency_without_signers_reverts_no_signer_set(world: World) -> None:
    message = new_report(world, "CREDIT_LEVEL", agency=world.org["CUSTOMS2"], data=b"\x00" * 31 + b"\x01")
    err = rejected(world, message, signed(world, message, oracle_keys(2)))
    assert (err.name, err.args) == (
        "AttestationNoSignerSet",
        {"agency": world.org["CUSTOMS2"], "schemaId": world.schema["CREDIT_LEVEL"]},
    )


def test_report_of_a_suspended_agency_reverts_agency_suspended(world: World) -> None:
    """Attack: a suspended agency's oracles (or a relayer holding their old signatures) keep placing and
    lifting holds."""
    subject = random_id()
    hold = attest(world, "CUSTOMS2", "CUSTOMS_HOLD", subject, hold_data())
    keys = world.report_keys[("CUSTOMS2", "CUSTOMS_HOLD")][:2]
    agency = world.org["CUSTOMS2"]
    place = new_report(world, "CUSTOMS_HOLD", agency=agency, subject=random_id(), data=hold_data("DEC-S"))
    lift = new_report(
        world,
        "CUSTOMS_HOLD",
        agency=agency,
        subject=subject,
        sequence=2,
        action=schemas.ReportAction.REVOKE,
        target=hold,
        data=b"",
    )
    signatures = {place: signed(world, place, keys), lift: signed(world, lift, keys)}
    world.suspend(agency)
    for message in (place, lift):
        err = rejected(world, message, signatures[message])
        assert (err.name, err.args) == ("AttestationAgencySuspended", {"agency": agency})
    assert world.attestations.call("isEffective", hold) is True  # its past hold still stands


def test_agency_that_lost_its_role_cannot_have_reports_accepted(
    world: World, keys: list[LocalAccount]
) -> None:
    world.revoke_role(world.org["CUSTOMS"], CUSTOMS_ROLE)
    message = new_report(world)
    err = rejected(world, message, signed(world, message, keys[:2]))
    assert (err.name, err.args) == (
        "AttestationAgencyNotAccredited",
        {"agency": world.org["CUSTOMS"], "schemaId": message.schema},
    )


def test_report_for_an_unknown_agency_reverts_agency_not_accredited(
    world: World, keys: list[LocalAccount]
) -> None:
    message = new_report(world, agency=999)
    err = rejected(world, message, signed(world, message, keys[:2]))
    assert (err.name, err.args) == (
        "AttestationAgencyNotAccredited",
        {"agency": 999, "schemaId": message.schema},
    )


# ---------------------------------------------------------------------- who may change a signer set


@pytest.mark.parametrize("kind", ["CUSTOMS", "CUSTOMS2", "PORT_AUTHORITY", "GOVERNOR"])
def test_set_report_signers_by_a_single_account_reverts_not_schema_admin(world: World, kind: str) -> None:
    """Attack: an accredited customs account (or the port authority, or a governor acting alone) installs
    itself as a 1-of-1 signer set, to sign holds and releases on its own."""
    caller = world.caller(kind)
    for schema in ("CUSTOMS_HOLD", "CUSTOMS_RELEASE"):
        before = signer_set(world, "CUSTOMS", schema)
        with pytest.raises(ContractRevert) as err:
            world.attestations.transact(
                "setReportSigners", world.org["CUSTOMS"], world.schema[schema], [caller], 1, sender=caller
            )
        assert (err.value.name, err.value.args) == ("AttestationNotSchemaAdmin", {"caller": caller})
        assert signer_set(world, "CUSTOMS", schema) == before


def unlocked_signature(world: World, account: str, change: schemas.SignerSetChange) -> bytes:
    """The signature of an unlocked node account (a member's transaction key) over a signer-set change."""
    typed = change.typed_data(world.chain.chain_id, world.attestations.address)
    typed["message"]["schema"] = "0x" + change.schema.hex()
    return bytes.fromhex(str(world.chain.rpc("eth_signTypedData_v4", [account, typed]))[2:])


def test_change_report_signers_signed_by_a_customs_account_reverts_unknown_signer(world: World) -> None:
    """Attack: the customs agency's own transaction key signs a change that makes it the 1-of-1 set."""
    customs = world.caller("CUSTOMS")
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", [], 1, signers=(customs,))
    before = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    signature = unlocked_signature(world, customs, change)
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, [signature], sender=customs)
    assert err.value.name == "AttestationReportBelowThreshold"
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, [signature, signature], sender=customs)
    assert (err.value.name, err.value.args["signer"]) == ("AttestationReportUnknownSigner", customs)
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == before


def test_change_report_signers_by_one_key_of_the_set_reverts_below_threshold(world: World) -> None:
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", current[:1], 1)
    before = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, sign_change(world, change, current[:1]), sender=world.caller("CUSTOMS"))
    assert err.value.name == "AttestationReportBelowThreshold"
    assert (err.value.args["signatures"], err.value.args["threshold"]) == (1, 2)
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == before


def test_current_set_rotates_itself_by_a_k_of_n_signed_change(world: World) -> None:
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    new = oracle_keys(4)
    _, _, epoch = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", new, 3)
    assert world.attestations.call(
        "signerSetChangeDigest",
        change.agency,
        change.schema,
        list(change.signers),
        change.threshold,
        change.epoch,
        change.deadline,
    ) == change.digest(world.chain.chain_id, world.attestations.address)
    signatures = sign_change(world, change, [current[0], current[2]])
    receipt = send_change(world, change, signatures, sender=world.caller("OUTSIDER"))  # anyone may relay
    assert receipt.event("ReportSignersSet").args == {
        "agency": world.org["CUSTOMS"],
        "schemaId": world.schema["CUSTOMS_HOLD"],
        "signers": [k.address for k in new],
        "threshold": 3,
        "epoch": epoch + 1,
    }
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == ([k.address for k in new], 3, epoch + 1)
    # The old set is out; the new one reports at its own threshold.
    message = new_report(world, "CUSTOMS_HOLD", data=hold_data())
    err = rejected(world, message, signed(world, message, current))
    assert err.name == "AttestationReportUnknownSigner"
    err = rejected(world, message, signed(world, message, new[:2]))
    assert err.name == "AttestationReportBelowThreshold"
    submit(world, message, signed(world, message, new[1:]))
    # Replaying the change is refused (here already for its two signatures against the new threshold).
    with pytest.raises(ContractRevert) as replay:
        send_change(world, change, signatures, sender=world.caller("OUTSIDER"))
    assert replay.value.name == "AttestationReportBelowThreshold"
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == ([k.address for k in new], 3, epoch + 1)


def test_a_signed_change_is_used_once_even_when_its_signers_stay_in_the_set(world: World) -> None:
    """The change names the epoch it replaces: once applied, the same signatures no longer fit, even for a
    set that keeps its signers and threshold (a relayer cannot bump the epoch or re-apply an old change)."""
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", current, 2)
    signatures = sign_change(world, change, current[:2])
    send_change(world, change, signatures, sender=world.governor)
    after = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    assert after == ([k.address for k in current], 2, change.epoch + 1)
    with pytest.raises(ContractRevert) as replay:
        send_change(world, change, signatures, sender=world.governor)
    assert replay.value.name == "AttestationReportUnknownSigner"
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == after


def test_signer_change_for_a_stale_epoch_reverts_unknown_signer(world: World) -> None:
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", oracle_keys(2), 2)
    stale = dataclasses.replace(change, epoch=change.epoch - 1)
    with pytest.raises(ContractRevert) as err:
        send_change(world, stale, sign_change(world, stale, current[:2]), sender=world.governor)
    assert err.value.name == "AttestationReportUnknownSigner"


def test_signer_change_signed_by_another_agencys_set_reverts_unknown_signer(world: World) -> None:
    """Attack: CUSTOMS2's oracles rewrite CUSTOMS's signer set."""
    other = world.report_keys[("CUSTOMS2", "CUSTOMS_HOLD")]
    change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", other, 2)
    before = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, sign_change(world, change, other[:2]), sender=world.caller("CUSTOMS2"))
    assert err.value.name == "AttestationReportUnknownSigner"
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == before


def test_signer_change_for_another_agency_than_signed_reverts_unknown_signer(world: World) -> None:
    """CUSTOMS2's set signed a change for itself; it is relayed as a change of CUSTOMS's set."""
    other = world.report_keys[("CUSTOMS2", "CUSTOMS_HOLD")]
    new = oracle_keys(1)
    change = change_for(world, "CUSTOMS2", "CUSTOMS_HOLD", new, 1)
    signatures = sign_change(world, change, other[:2])
    moved = dataclasses.replace(
        change, agency=world.org["CUSTOMS"], epoch=signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")[2]
    )
    before = signer_set(world, "CUSTOMS", "CUSTOMS_HOLD")
    with pytest.raises(ContractRevert) as err:
        send_change(world, moved, signatures, sender=world.governor)
    assert err.value.name == "AttestationReportUnknownSigner"
    assert signer_set(world, "CUSTOMS", "CUSTOMS_HOLD") == before


def test_signer_change_past_its_deadline_reverts_signer_change_expired(world: World) -> None:
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    change = change_for(
        world, "CUSTOMS", "CUSTOMS_HOLD", oracle_keys(2), 2, deadline=world.chain.latest_timestamp() + 5
    )
    signatures = sign_change(world, change, current[:2])
    world.chain.increase_time(60)
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, signatures, sender=world.governor)
    assert err.value.name == "AttestationSignerChangeExpired"
    assert err.value.args["deadline"] == change.deadline


def test_signer_change_of_a_suspended_agency_reverts_agency_suspended(world: World) -> None:
    current = world.report_keys[("CUSTOMS2", "CUSTOMS_HOLD")]
    change = change_for(world, "CUSTOMS2", "CUSTOMS_HOLD", oracle_keys(2), 2)
    signatures = sign_change(world, change, current[:2])
    world.suspend(world.org["CUSTOMS2"])
    before = signer_set(world, "CUSTOMS2", "CUSTOMS_HOLD")
    with pytest.raises(ContractRevert) as err:
        send_change(world, change, signatures, sender=world.governor)
    assert (err.value.name, err.value.args) == (
        "AttestationAgencySuspended",
        {"agency": world.org["CUSTOMS2"]},
    )
    assert signer_set(world, "CUSTOMS2", "CUSTOMS_HOLD") == before


def test_malformed_new_set_in_a_signed_change_reverts_invalid_signer_set(world: World) -> None:
    current = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    new = oracle_keys(2)
    for signers, threshold in (
        ((new[1].address, new[0].address), 1),
        (tuple(k.address for k in new), 3),
        ((), 1),
    ):
        change = change_for(world, "CUSTOMS", "CUSTOMS_HOLD", [], threshold, signers=signers)
        with pytest.raises(ContractRevert) as err:
            send_change(world, change, sign_change(world, change, current[:2]), sender=world.governor)
        assert err.value.name == "AttestationInvalidSignerSet"


def test_governance_replaces_a_compromised_set(world: World) -> None:
    """The other way to change a set: a consortium proposal, e.g. when the agency's set is compromised."""
    compromised = world.report_keys[("CUSTOMS", "CUSTOMS_HOLD")]
    fresh = oracle_keys(3)
    register_signers(world, fresh, 2, schema="CUSTOMS_HOLD")
    message = new_report(world, "CUSTOMS_HOLD", data=hold_data())
    err = rejected(world, message, signed(world, message, compromised[:2]))
    assert err.name == "AttestationReportUnknownSigner"
    submit(world, message, signed(world, message, fresh[:2]))


@pytest.mark.parametrize(
    ("order", "threshold"),
    [("descending", 1), ("ascending", 0), ("ascending", 3), ("duplicate", 1), ("zero", 1)],
)
def test_malformed_signer_set_by_proposal_reverts_invalid_signer_set(
    world: World, order: str, threshold: int
) -> None:
    addresses = [k.address for k in oracle_keys(2)]
    if order == "descending":
        addresses.reverse()
    elif order == "duplicate":
        addresses = [addresses[0], addresses[0]]
    elif order == "zero":
        addresses = ["0x" + "00" * 20, addresses[0]]
    before = signer_set(world, "CUSTOMS", "CUSTOMS_RELEASE")
    with pytest.raises(ContractRevert) as err:
        propose(
            world,
            SET_REPORT_SIGNERS,
            ["address", "uint32", "bytes32", "address[]", "uint8"],
            [
                world.attestations.address,
                world.org["CUSTOMS"],
                world.schema["CUSTOMS_RELEASE"],
                addresses,
                threshold,
            ],
        )
    assert err.value.name == "AttestationInvalidSignerSet"
    assert signer_set(world, "CUSTOMS", "CUSTOMS_RELEASE") == before


def test_signer_set_for_a_bank_on_a_customs_schema_reverts_agency_not_accredited(world: World) -> None:
    with pytest.raises(ContractRevert) as err:
        register_signers(world, oracle_keys(1), 1, kind="BANK")
    assert (err.value.name, err.value.args) == (
        "AttestationAgencyNotAccredited",
        {"agency": world.org["BANK"], "schemaId": world.schema["CUSTOMS_RELEASE"]},
    )
    assert signer_set(world, "BANK", "CUSTOMS_RELEASE") == ([], 0, 0)


def test_report_helper_places_and_lifts_a_hold(world: World) -> None:
    subject = random_id()
    hold = report(world, "CUSTOMS2", "CUSTOMS_HOLD", subject, hold_data())
    assert (
        world.attestations.call(
            "lastReportSequence", world.org["CUSTOMS2"], world.schema["CUSTOMS_HOLD"], subject
        )
        == 1
    )
    report(world, "CUSTOMS2", "CUSTOMS_HOLD", subject, action=schemas.ReportAction.REVOKE, target=hold)
    assert world.attestations.call("isEffective", hold) is False
