"""ContainerRelease: grants from accomplished B/Ls and sea waybills, nomination down the chain, release
codes, revocation, gate-out only when release-ready, gate-in after gate-out, and the causal chain of
records from the title to the gate."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.chain import ChainClient, Contract, ContractRevert, Receipt
from ledger.domain import ids
from tests.contracts.roles_attestation import World, attest, hold_data, revoke
from tests.contracts.roles_release import (
    CONTAINERS,
    NEGOTIABLE,
    SWB,
    ZERO,
    accomplished_bill,
    build_release_world,
    customs_release_on_bill,
    customs_release_on_container,
    eir,
    grant,
    issue,
    ready_right,
    window,
)

GRANTED, REVOKED, GATED_OUT, GATED_IN = 1, 2, 3, 4
ISSUED, SURRENDER_PENDING_DELIVERY, ACCOMPLISHED, VOIDED = 1, 2, 4, 7


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> World:
    return build_release_world(chain, accounts)


def rel(world: World) -> Contract:
    assert world.release is not None
    return world.release


def gate_out(
    world: World,
    bill_id: int,
    container: str = CONTAINERS[0],
    haulier: str | None = "TRADER",
    code: bytes | None = None,
    sender: str = "TERMINAL",
) -> Receipt:
    """Gate-out as the terminal's gate system sends it: the presented code travels only as its digest."""
    haulier_org = world.org[haulier] if haulier else 0
    digest = ZERO if code is None else ids.release_code_digest(code)
    return rel(world).transact(
        "gateOut", bill_id, container, haulier_org, digest, eir(), sender=world.caller(sender)
    )


def refused(fn: Any, *args: Any, **kwargs: Any) -> ContractRevert:
    with pytest.raises(ContractRevert) as err:
        fn(*args, **kwargs)
    return err.value


def grant_receipt(
    world: World,
    bill_id: int,
    terms: tuple[Any, ...],
    containers: tuple[str, ...] = CONTAINERS[:1],
    by: str = "CARRIER",
    listed: tuple[str, ...] = CONTAINERS,
) -> Receipt:
    """``by`` grants ``containers`` of ``bill_id`` (each proven against ``listed``) on ``terms``."""
    proofs = [ids.container_proof(listed, c) for c in containers]
    return rel(world).transact("grant", bill_id, list(containers), proofs, terms, sender=world.caller(by))


def minute(world: World, terminal: str = "TERMINAL", depot: int = 0) -> tuple[Any, ...]:
    """``ReleaseTerms`` naming ``terminal`` from now for one minute."""
    now = world.chain.latest_timestamp()
    return (world.org[terminal], depot, now, now + 60)


def refused_minute_grant(world: World, bill_id: int, terminal: str, by: str) -> ContractRevert:
    """``by`` grants the first container of ``bill_id`` to ``terminal`` for one minute; the grant reverts."""
    return refused(grant_receipt, world, bill_id, minute(world, terminal), by=by)


def accomplished_bill_listing(world: World, containers: tuple[str, ...]) -> int:
    """An accomplished negotiable B/L whose document lists exactly ``containers``."""
    assert world.bills is not None
    bill_id = issue(world, NEGOTIABLE, containers=containers)
    world.bills.transact("surrenderForDelivery", bill_id, ZERO, sender=world.caller("TRADER"))
    world.bills.transact("acceptSurrender", bill_id, ZERO, sender=world.caller("CARRIER"))
    return bill_id


def record_id(right_id: bytes, step: int) -> bytes:
    return keccak(abi_encode(["bytes32", "uint16"], [right_id, step]))


def right(world: World, right_id: bytes) -> dict[str, Any]:
    value: dict[str, Any] = rel(world).call("releaseRight", right_id)
    return value


# ---------------------------------------------------------------------- grant


def test_grant_from_accomplished_bill_goes_to_the_surrenderer_and_follows_the_title(world: World) -> None:
    bill_id = accomplished_bill(world, "TRADER")
    now = world.chain.latest_timestamp()
    terms = (world.org["TERMINAL"], 0, now, now + 3600)
    receipt = grant_receipt(world, bill_id, terms)
    event = receipt.event("ReleaseGranted").args
    right_id = event["rightId"]
    assert right_id == rel(world).call("rightIdOf", bill_id, CONTAINERS[0])
    assert right_id == ids.right_id(bill_id, CONTAINERS[0])
    assert right_id == keccak(
        abi_encode(["uint256", "bytes32"], [bill_id, ids.container_subject(CONTAINERS[0])])
    )
    assert event["terms"] == {
        "terminal": world.org["TERMINAL"],
        "depot": 0,
        "validFrom": now,
        "validUntil": now + 3600,
    }
    assert event["previousRecordId"] == ids.bill_subject(bill_id)
    assert event["recordId"] == record_id(right_id, 1)
    assert (event["billId"], event["containerNumber"], event["holder"], event["carrier"]) == (
        bill_id,
        CONTAINERS[0],
        world.org["TRADER"],
        world.org["CARRIER"],
    )
    stored = right(world, right_id)
    assert (stored["holder"], stored["terminal"], stored["status"]) == (
        world.org["TRADER"],
        world.org["TERMINAL"],
        1,
    )
    assert (stored["depot"], stored["validFrom"], stored["validUntil"]) == (0, now, now + 3600)
    assert stored["step"] == 1


def test_grant_several_containers_gives_one_right_each(world: World) -> None:
    bill_id = accomplished_bill(world)
    rights = grant(world, bill_id, CONTAINERS)
    assert len(set(rights)) == len(CONTAINERS)
    assert all(right(world, r)["status"] == GRANTED for r in rights)


def test_grant_from_sea_waybill_goes_to_its_consignee(world: World) -> None:
    bill_id = issue(world, SWB, to="TRADER", consignee="FORWARDER")
    (right_id,) = grant(world, bill_id)
    assert right(world, right_id)["holder"] == world.org["FORWARDER"]


def test_grant_from_issued_negotiable_bill_reverts_bill_not_releasable(world: World) -> None:
    bill_id = issue(world, NEGOTIABLE)
    err = refused(grant, world, bill_id)
    assert err.name == "ReleaseBillNotReleasable"
    assert err.args == {"billId": bill_id, "status": ISSUED}


def test_grant_while_surrender_is_pending_reverts_bill_not_releasable(world: World) -> None:
    assert world.bills is not None
    bill_id = issue(world, NEGOTIABLE)
    world.bills.transact("surrenderForDelivery", bill_id, ZERO, sender=world.caller("TRADER"))
    err = refused(grant, world, bill_id)
    assert err.args == {"billId": bill_id, "status": SURRENDER_PENDING_DELIVERY}


def test_grant_by_the_surrenderer_reverts_not_carrier(world: World) -> None:
    bill_id = accomplished_bill(world)
    err = refused_minute_grant(world, bill_id, "TERMINAL", "TRADER")
    assert err.name == "ReleaseNotCarrier"
    assert err.args == {"billId": bill_id, "caller": world.caller("TRADER")}


def test_grant_by_a_carrier_that_lost_its_role_reverts_not_carrier(world: World) -> None:
    bill_id = accomplished_bill(world)
    world.revoke_role(world.org["CARRIER"], 0)
    err = refused(grant, world, bill_id)
    assert err.name == "ReleaseNotCarrier"


@pytest.mark.parametrize("number", ["TGHU9876549", "MSKU123456", "MSKX1234565", "msku1234565"])
def test_grant_with_invalid_iso6346_number_reverts_invalid_container_number(
    world: World, number: str
) -> None:
    """The number must be on the document (its proof checked first) and still be a valid ISO 6346 number."""
    bill_id = accomplished_bill_listing(world, (number, CONTAINERS[0]))
    err = refused(grant, world, bill_id, (number,), listed=(number, CONTAINERS[0]))
    assert err.name == "ReleaseInvalidContainerNumber"
    assert err.args == {"containerNumber": number}


def test_grant_to_an_organisation_without_terminal_role_reverts_invalid_terminal(world: World) -> None:
    bill_id = accomplished_bill(world)
    err = refused_minute_grant(world, bill_id, "HAULIER", "CARRIER")
    assert err.name == "ReleaseInvalidTerminal"
    assert err.args == {"terminal": world.org["HAULIER"]}


def test_grant_with_a_depot_without_terminal_role_reverts_invalid_terminal(world: World) -> None:
    bill_id = accomplished_bill(world)
    err = refused(grant, world, bill_id, depot=world.org["HAULIER"])
    assert err.name == "ReleaseInvalidTerminal"
    assert err.args == {"terminal": world.org["HAULIER"]}


def test_grant_with_one_proof_too_few_reverts_proof_count_mismatch(world: World) -> None:
    bill_id = accomplished_bill(world)
    proofs = [ids.container_proof(CONTAINERS, CONTAINERS[0])]
    err = refused(
        rel(world).transact,
        "grant",
        bill_id,
        list(CONTAINERS[:2]),
        proofs,
        window(world),
        sender=world.caller("CARRIER"),
    )
    assert err.name == "ReleaseProofCountMismatch"
    assert err.args == {"containers": 2, "proofs": 1}


def test_grant_with_window_already_over_reverts_invalid_window(world: World) -> None:
    bill_id = accomplished_bill(world)
    now = world.chain.latest_timestamp()
    err = refused(grant, world, bill_id, valid_from=now - 100, valid_until=now - 10)
    assert err.name == "ReleaseInvalidWindow"


def test_second_grant_for_the_same_container_and_bill_reverts_right_exists(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    err = refused(grant, world, bill_id)
    assert err.name == "ReleaseRightExists"
    assert err.args == {"rightId": right_id, "status": GRANTED}


def test_revoked_right_can_be_granted_again_after_the_revocation_record(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    revoked = rel(world).transact("revoke", right_id, sender=world.caller("CARRIER")).event("ReleaseRevoked")
    assert revoked.args["previousRecordId"] == record_id(right_id, 1)
    assert right(world, right_id)["status"] == REVOKED
    receipt = grant_receipt(world, bill_id, minute(world))
    regranted = receipt.event("ReleaseGranted").args
    assert regranted["previousRecordId"] == revoked.args["recordId"]
    assert regranted["recordId"] == record_id(right_id, 3)


# ---------------------------------------------------------------------- nominate, codes, revoke


def test_nominate_down_the_chain_moves_the_holder_and_links_each_record(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    first = rel(world).transact("nominate", right_id, world.org["FORWARDER"], sender=world.caller("TRADER"))
    second = rel(world).transact("nominate", right_id, world.org["HAULIER"], sender=world.caller("FORWARDER"))
    a, b = first.event("ReleaseNominated").args, second.event("ReleaseNominated").args
    assert (a["from"], a["to"]) == (world.org["TRADER"], world.org["FORWARDER"])
    assert (b["from"], b["to"]) == (world.org["FORWARDER"], world.org["HAULIER"])
    assert a["previousRecordId"] == record_id(right_id, 1)
    assert b["previousRecordId"] == a["recordId"]
    assert right(world, right_id)["holder"] == world.org["HAULIER"]
    assert rel(world).call("lastRecord", right_id) == b["recordId"]


def test_nominate_by_a_former_holder_reverts_not_holder(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    rel(world).transact("nominate", right_id, world.org["FORWARDER"], sender=world.caller("TRADER"))
    err = refused(
        rel(world).transact, "nominate", right_id, world.org["HAULIER"], sender=world.caller("TRADER")
    )
    assert err.name == "ReleaseNotHolder"
    assert err.args == {"rightId": right_id, "caller": world.caller("TRADER")}


@pytest.mark.parametrize("nominee", ["TRADER", "SUSPENDED", "UNKNOWN"])
def test_nominate_to_self_suspended_or_unknown_org_reverts_invalid_nominee(
    world: World, nominee: str
) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    org = world.org.get(nominee, 9999)
    err = refused(rel(world).transact, "nominate", right_id, org, sender=world.caller("TRADER"))
    assert err.name == "ReleaseInvalidNominee"
    assert err.args == {"rightId": right_id, "nominee": org}


def test_nominate_revoked_right_reverts_right_not_active(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    rel(world).transact("revoke", right_id, sender=world.caller("CARRIER"))
    err = refused(
        rel(world).transact, "nominate", right_id, world.org["HAULIER"], sender=world.caller("TRADER")
    )
    assert err.name == "ReleaseRightNotActive"
    assert err.args == {"rightId": right_id, "status": REVOKED}


def test_revoke_by_the_holder_reverts_not_right_carrier(world: World) -> None:
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id)
    err = refused(rel(world).transact, "revoke", right_id, sender=world.caller("TRADER"))
    assert err.name == "ReleaseNotRightCarrier"


def test_revoke_used_right_reverts_right_not_active(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    gate_out(world, bill_id)
    err = refused(rel(world).transact, "revoke", right_id, sender=world.caller("CARRIER"))
    assert err.name == "ReleaseRightNotActive"
    assert err.args["status"] == GATED_OUT


# ---------------------------------------------------------------------- gate-out: release-ready


def test_gate_out_when_release_ready_records_the_eir_and_uses_the_right(world: World) -> None:
    bill_id, container, right_id = ready_right(world)
    receipt = gate_out(world, bill_id, container, haulier="TRADER")
    event = receipt.event("GatedOut").args
    assert (event["rightId"], event["billId"], event["containerNumber"]) == (right_id, bill_id, container)
    assert (event["terminal"], event["haulier"], event["byReleaseCode"]) == (
        world.org["TERMINAL"],
        world.org["TRADER"],
        False,
    )
    assert event["eir"] == eir()
    assert world.attestations.call("isEffective", event["customsRelease"]) is True
    assert right(world, right_id)["status"] == GATED_OUT


def test_gate_out_with_customs_release_on_the_container_under_this_bill_only_succeeds(world: World) -> None:
    bill_id = accomplished_bill(world)
    grant(world, bill_id)
    uid = customs_release_on_container(world, bill_id, CONTAINERS[0])
    assert world.attestations.call("attestation", uid)["subject"] == ids.bill_container_subject(
        bill_id, CONTAINERS[0]
    )
    assert gate_out(world, bill_id).event("GatedOut").args["customsRelease"] == uid


def test_gate_out_prefers_the_release_on_the_bill_to_the_one_on_the_container(world: World) -> None:
    bill_id = accomplished_bill(world)
    grant(world, bill_id)
    customs_release_on_container(world, bill_id, CONTAINERS[0])
    on_bill = customs_release_on_bill(world, bill_id)
    assert gate_out(world, bill_id).event("GatedOut").args["customsRelease"] == on_bill


def test_gate_out_without_customs_release_reverts_no_customs_release(world: World) -> None:
    bill_id = accomplished_bill(world)
    grant(world, bill_id)
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseNoCustomsRelease"
    assert err.args == {"billId": bill_id, "containerNumber": CONTAINERS[0]}


def test_gate_out_with_a_release_of_another_container_of_the_bill_reverts_no_customs_release(
    world: World,
) -> None:
    bill_id = accomplished_bill(world)
    grant(world, bill_id)
    customs_release_on_container(world, bill_id, CONTAINERS[1])
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseNoCustomsRelease"


def test_gate_out_with_an_effective_hold_on_the_bill_reverts_customs_hold(world: World) -> None:
    bill_id, _, _ = ready_right(world)
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", ids.bill_subject(bill_id), hold_data())
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseCustomsHold"
    assert err.args == {"subject": ids.bill_subject(bill_id), "holdUid": hold}


def test_gate_out_with_an_effective_hold_on_the_container_under_the_bill_reverts_customs_hold(
    world: World,
) -> None:
    bill_id, container, _ = ready_right(world)
    subject = ids.bill_container_subject(bill_id, container)
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", subject, hold_data())
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseCustomsHold"
    assert err.args == {"subject": subject, "holdUid": hold}


def test_gate_out_with_an_effective_hold_on_the_container_reverts_customs_hold(world: World) -> None:
    bill_id, container, _ = ready_right(world)
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", ids.container_subject(container), hold_data())
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseCustomsHold"
    assert err.args == {"subject": ids.container_subject(container), "holdUid": hold}


def test_gate_out_after_the_hold_is_revoked_succeeds(world: World) -> None:
    bill_id, container, _ = ready_right(world)
    hold = attest(world, "CUSTOMS", "CUSTOMS_HOLD", ids.container_subject(container), hold_data())
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", hold)
    assert world.attestations.call("isEffective", hold) is False
    assert gate_out(world, bill_id).event("GatedOut").args["billId"] == bill_id


def test_gate_out_after_the_window_reverts_right_not_valid(world: World) -> None:
    bill_id = accomplished_bill(world)
    now = world.chain.latest_timestamp()
    (right_id,) = grant(world, bill_id, valid_from=now, valid_until=now + 100)
    customs_release_on_bill(world, bill_id)
    world.chain.increase_time(500)
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseRightNotValid"
    assert (err.args["rightId"], err.args["validUntil"]) == (right_id, now + 100)


def test_gate_out_before_the_window_reverts_right_not_valid(world: World) -> None:
    bill_id = accomplished_bill(world)
    now = world.chain.latest_timestamp()
    grant(world, bill_id, valid_from=now + 10_000, valid_until=now + 20_000)
    customs_release_on_bill(world, bill_id)
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseRightNotValid"
    assert err.args["validFrom"] == now + 10_000


def test_gate_out_after_revocation_reverts_right_not_active(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    rel(world).transact("revoke", right_id, sender=world.caller("CARRIER"))
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseRightNotActive"
    assert err.args == {"rightId": right_id, "status": REVOKED}


def test_gate_out_twice_reverts_right_not_active(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    gate_out(world, bill_id)
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseRightNotActive"
    assert err.args == {"rightId": right_id, "status": GATED_OUT}


def test_gate_out_of_a_container_without_right_reverts_right_not_active(world: World) -> None:
    bill_id, _, _ = ready_right(world)
    err = refused(gate_out, world, bill_id, CONTAINERS[1])
    assert err.name == "ReleaseRightNotActive"
    assert err.args["status"] == 0


def test_gate_out_for_a_haulier_that_is_not_the_holder_reverts_haulier_not_holder(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    err = refused(gate_out, world, bill_id, haulier="HAULIER")
    assert err.name == "ReleaseHaulierNotHolder"
    assert err.args == {"rightId": right_id, "haulier": world.org["HAULIER"], "holder": world.org["TRADER"]}


def test_gate_out_for_the_nominated_haulier_succeeds(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    rel(world).transact("nominate", right_id, world.org["HAULIER"], sender=world.caller("TRADER"))
    assert (
        gate_out(world, bill_id, haulier="HAULIER").event("GatedOut").args["haulier"] == world.org["HAULIER"]
    )


def test_gate_out_by_another_member_than_the_terminal_reverts_not_terminal(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    err = refused(gate_out, world, bill_id, sender="HAULIER")
    assert err.name == "ReleaseNotTerminal"
    assert err.args == {"rightId": right_id, "caller": world.caller("HAULIER")}


def test_gate_out_by_a_terminal_that_lost_its_role_reverts_not_terminal(world: World) -> None:
    bill_id, _, _ = ready_right(world)
    world.revoke_role(world.org["TERMINAL"], 3)
    err = refused(gate_out, world, bill_id)
    assert err.name == "ReleaseNotTerminal"


def test_gate_out_when_the_bill_is_no_longer_releasable_reverts_bill_not_releasable(
    world: World, chain: ChainClient
) -> None:
    """The real registry never leaves ACCOMPLISHED; a test double proves gate-out re-checks the title."""
    double = chain.deploy("BillViewDouble", sender=world.governor)
    release = chain.deploy(
        "ContainerRelease",
        world.consortium.address,
        double.address,
        world.attestations.address,
        world.schema["CUSTOMS_RELEASE"],
        world.schema["CUSTOMS_HOLD"],
        sender=world.governor,
    )
    world.consortium.transact("attachCache", release.address, sender=world.governor)
    bill_id = 42
    carrier, trader = world.org["CARRIER"], world.org["TRADER"]
    root = ids.container_root(CONTAINERS)[: ids.ROOT_BYTES]
    now = world.chain.latest_timestamp()
    accomplished = (carrier, carrier, 0, trader, 0, 0, ACCOMPLISHED, NEGOTIABLE, 0, 1, 0)
    double.transact("setBill", bill_id, accomplished, root, now, sender=world.governor)
    release.transact(
        "grant",
        bill_id,
        [CONTAINERS[0]],
        [ids.container_proof(CONTAINERS, CONTAINERS[0])],
        (world.org["TERMINAL"], 0, now, now + 3600),
        sender=world.caller("CARRIER"),
    )
    customs_release_on_bill(world, bill_id)
    voided = (carrier, carrier, 0, trader, 0, 0, VOIDED, NEGOTIABLE, 0, 1, 0)
    double.transact("setBill", bill_id, voided, root, now, sender=world.governor)
    err = refused(
        release.transact,
        "gateOut",
        bill_id,
        CONTAINERS[0],
        trader,
        ZERO,
        eir(),
        sender=world.caller("TERMINAL"),
    )
    assert err.name == "ReleaseBillNotReleasable"
    assert err.args == {"billId": bill_id, "status": VOIDED}


# ---------------------------------------------------------------------- release codes


def set_code(world: World, right_id: bytes, holder: str = "TRADER") -> bytes:
    """The holder picks a 128-bit one-time code and stores only its salted hash; returns the code."""
    code = os.urandom(16)
    code_hash = ids.release_code_hash(right_id, code)
    rel(world).transact("setReleaseCode", right_id, code_hash, sender=world.caller(holder))
    return code


def test_release_code_hash_is_salted_with_the_right(world: World) -> None:
    right_id, code = os.urandom(32), os.urandom(16)
    digest = ids.release_code_digest(code)
    assert digest == keccak(code)
    expected = keccak(abi_encode(["bytes32", "bytes32"], [right_id, digest]))
    assert (
        rel(world).call("releaseCodeHash", right_id, digest)
        == expected
        == ids.release_code_hash(right_id, code)
    )
    assert rel(world).call("releaseCodeHash", os.urandom(32), digest) != expected


def test_gate_out_with_the_release_code_for_a_haulier_without_account_succeeds(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    code = set_code(world, right_id)
    event = gate_out(world, bill_id, haulier=None, code=code).event("GatedOut").args
    assert (event["haulier"], event["byReleaseCode"]) == (0, True)


def test_gate_out_with_a_wrong_code_reverts_code_mismatch(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    set_code(world, right_id)
    err = refused(gate_out, world, bill_id, haulier=None, code=os.urandom(16))
    assert err.name == "ReleaseCodeMismatch"
    assert err.args == {"rightId": right_id}


def test_gate_out_with_a_guessed_short_pin_reverts_code_mismatch(world: World) -> None:
    """Only the digest reaches the chain, so the gate cannot see a code's length any more (the node makes
    128-bit codes); a guessed PIN is simply a wrong code."""
    bill_id, _, right_id = ready_right(world)
    set_code(world, right_id)
    err = refused(gate_out, world, bill_id, haulier=None, code=b"123456")
    assert err.name == "ReleaseCodeMismatch"
    assert err.args == {"rightId": right_id}
    assert "ReleaseCodeTooShort" not in {e["name"] for e in rel(world).artifact.abi if e["type"] == "error"}


def test_gate_out_with_a_code_when_none_is_set_reverts_code_mismatch(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    err = refused(gate_out, world, bill_id, haulier=None, code=os.urandom(16))
    assert err.name == "ReleaseCodeMismatch"
    assert err.args == {"rightId": right_id}


def test_gate_out_without_haulier_or_code_reverts_haulier_not_holder(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    set_code(world, right_id)
    err = refused(gate_out, world, bill_id, haulier=None)
    assert err.name == "ReleaseHaulierNotHolder"
    assert err.args == {"rightId": right_id, "haulier": 0, "holder": world.org["TRADER"]}


def test_clearing_the_code_with_zero_refuses_the_old_code(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    code = set_code(world, right_id)
    event = (
        rel(world)
        .transact("setReleaseCode", right_id, ZERO, sender=world.caller("TRADER"))
        .event("ReleaseCodeSet")
        .args
    )
    assert event["codeHash"] == ZERO
    assert rel(world).call("releaseCodeOf", right_id) == ZERO
    err = refused(gate_out, world, bill_id, haulier=None, code=code)
    assert err.name == "ReleaseCodeMismatch"


def test_nomination_clears_the_previous_holders_code(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    code = set_code(world, right_id)
    rel(world).transact("nominate", right_id, world.org["FORWARDER"], sender=world.caller("TRADER"))
    assert rel(world).call("releaseCodeOf", right_id) == ZERO
    err = refused(gate_out, world, bill_id, haulier=None, code=code)
    assert err.name == "ReleaseCodeMismatch"


def test_gate_out_with_the_code_after_revocation_reverts_right_not_active(world: World) -> None:
    bill_id, _, right_id = ready_right(world)
    code = set_code(world, right_id)
    rel(world).transact("revoke", right_id, sender=world.caller("CARRIER"))
    err = refused(gate_out, world, bill_id, haulier=None, code=code)
    assert err.name == "ReleaseRightNotActive"


# ---------------------------------------------------------------------- gate-in and the causal chain


def test_gate_in_before_gate_out_reverts_not_gated_out(world: World) -> None:
    bill_id, container, right_id = ready_right(world)
    err = refused(
        rel(world).transact, "gateIn", bill_id, container, eir(laden=False), sender=world.caller("TERMINAL")
    )
    assert err.name == "ReleaseNotGatedOut"
    assert err.args == {"rightId": right_id, "status": GRANTED}


def test_gate_in_twice_reverts_not_gated_out(world: World) -> None:
    bill_id, container, right_id = ready_right(world)
    gate_out(world, bill_id)
    rel(world).transact("gateIn", bill_id, container, eir(laden=False), sender=world.caller("TERMINAL"))
    err = refused(
        rel(world).transact, "gateIn", bill_id, container, eir(laden=False), sender=world.caller("TERMINAL")
    )
    assert err.args == {"rightId": right_id, "status": GATED_IN}


def test_gate_in_by_a_haulier_reverts_not_terminal(world: World) -> None:
    bill_id, container, _ = ready_right(world)
    gate_out(world, bill_id)
    err = refused(rel(world).transact, "gateIn", bill_id, container, eir(), sender=world.caller("HAULIER"))
    assert err.name == "ReleaseNotTerminal"


def test_gate_in_by_the_named_depot_records_the_depot(world: World) -> None:
    """The world has one TERMINAL organisation; it is the terminal and the depot of this right, and the
    gate-in by another terminal is in test_release_attacks.py."""
    bill_id = accomplished_bill(world)
    (right_id,) = grant(world, bill_id, depot=world.org["TERMINAL"])
    customs_release_on_bill(world, bill_id)
    assert right(world, right_id)["depot"] == world.org["TERMINAL"]
    gate_out(world, bill_id)
    receipt = rel(world).transact(
        "gateIn", bill_id, CONTAINERS[0], eir(laden=False), sender=world.caller("TERMINAL")
    )
    assert receipt.event("GatedIn").args["terminal"] == world.org["TERMINAL"]


def test_causal_chain_runs_from_title_through_release_nomination_gate_out_to_gate_in(world: World) -> None:
    bill_id = accomplished_bill(world)
    customs_release_on_bill(world, bill_id)
    receipts = [grant_receipt(world, bill_id, window(world))]
    right_id = receipts[0].event("ReleaseGranted").args["rightId"]
    receipts.append(
        rel(world).transact("nominate", right_id, world.org["HAULIER"], sender=world.caller("TRADER"))
    )
    receipts.append(gate_out(world, bill_id, haulier="HAULIER"))
    receipts.append(
        rel(world).transact(
            "gateIn", bill_id, CONTAINERS[0], eir(laden=False), sender=world.caller("TERMINAL")
        )
    )
    events = [e for r in receipts for e in rel(world).events(r)]
    assert [e.name for e in events] == ["ReleaseGranted", "ReleaseNominated", "GatedOut", "GatedIn"]
    previous = ids.bill_subject(bill_id)  # the title
    for event in events:
        assert event.args["rightId"] == right_id
        assert event.args["previousRecordId"] == previous
        previous = event.args["recordId"]
    assert events[-1].args["eir"]["laden"] is False
    assert right(world, right_id)["status"] == GATED_IN
    assert rel(world).call("lastRecord", right_id) == previous


# ---------------------------------------------------------------------- state from logs alone


def test_release_rights_can_be_rebuilt_from_the_logs_alone(world: World) -> None:
    start = world.chain.block_number() + 1
    bill_id = accomplished_bill(world)
    customs_release_on_bill(world, bill_id)
    rights = grant(world, bill_id, CONTAINERS[:3])
    rel(world).transact("nominate", rights[0], world.org["FORWARDER"], sender=world.caller("TRADER"))
    rel(world).transact("nominate", rights[0], world.org["HAULIER"], sender=world.caller("FORWARDER"))
    gate_out(world, bill_id, CONTAINERS[0], haulier="HAULIER")
    rel(world).transact("gateIn", bill_id, CONTAINERS[0], eir(laden=False), sender=world.caller("TERMINAL"))
    code_hash = ids.release_code_hash(rights[1], os.urandom(16))
    rel(world).transact("setReleaseCode", rights[1], code_hash, sender=world.caller("TRADER"))
    rel(world).transact("revoke", rights[2], sender=world.caller("CARRIER"))

    rebuilt: dict[bytes, dict[str, Any]] = {}
    for e in world.chain.get_logs(rel(world).address, start, world.chain.block_number()):
        r = rebuilt.setdefault(e.args["rightId"], {"code": ZERO, "steps": 0})
        r["steps"] += 1
        r["last"] = e.args["recordId"]
        if e.name == "ReleaseGranted":
            terms = e.args["terms"]
            r.update(
                carrier=e.args["carrier"],
                holder=e.args["holder"],
                terminal=terms["terminal"],
                depot=terms["depot"],
                validFrom=terms["validFrom"],
                validUntil=terms["validUntil"],
                status=GRANTED,
            )
        elif e.name == "ReleaseNominated":
            r.update(holder=e.args["to"], code=ZERO)
        elif e.name == "ReleaseCodeSet":
            r["code"] = e.args["codeHash"]
        elif e.name == "ReleaseRevoked":
            r.update(status=REVOKED, code=ZERO)
        elif e.name == "GatedOut":
            r["status"] = GATED_OUT
        elif e.name == "GatedIn":
            r["status"] = GATED_IN
    assert set(rebuilt) == set(rights)
    for right_id, r in rebuilt.items():
        on_chain = right(world, right_id)
        for key in ("carrier", "holder", "terminal", "depot", "validFrom", "validUntil", "status"):
            assert on_chain[key] == r[key], key
        assert on_chain["step"] == r["steps"]
        assert rel(world).call("lastRecord", right_id) == r["last"]
        assert rel(world).call("releaseCodeOf", right_id) == r["code"]
