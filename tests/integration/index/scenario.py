"""A port community's day on the real contracts: every title, pledge, release, gate, attestation and
governance action the indexer projects, driven through the contracts' own functions."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field

from eth_abi.abi import encode as abi_encode

from ledger.domain import ids
from tests.contracts.roles_attestation import World, attest, credit_data, hold_data, release_data, revoke
from tests.contracts.roles_bill import request_pledge, terms
from tests.contracts.roles_release import (
    CONTAINERS,
    NEGOTIABLE,
    STRAIGHT,
    SWB,
    ZERO,
    customs_release_on_bill,
    eir,
    grant,
    issue,
)

COD, SWTP, SWI = 2, 1, 3
ADMIT, SUSPEND, REINSTATE, GRANT_ROLE, REVOKE_ROLE = 0, 1, 2, 3, 4
ROLE_BANK = 2


@dataclass
class Outcome:
    """Ids the scenario created, for the assertions."""

    bills: dict[str, int] = field(default_factory=dict)
    rights: list[bytes] = field(default_factory=list)
    attestations: dict[str, bytes] = field(default_factory=dict)
    admitted_admin: str = ""
    actions_on_a: list[str] = field(default_factory=list)


def remark(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def act(world: World, kind: str, name: str, *args: object) -> None:
    assert world.bills is not None
    world.bills.transact(name, *args, sender=world.caller(kind))


def drive(world: World, spare_accounts: list[str]) -> Outcome:
    """Runs the whole scenario; ``spare_accounts`` are two funded accounts no organisation uses yet."""
    assert world.bills is not None and world.release is not None
    out = Outcome()
    org = world.org
    now = world.chain.latest_timestamp

    # A: negotiable, transferred and rejected, endorsed to order, signed, pledged and released,
    #    endorsed, surrendered for delivery, accepted; its containers released and gated.
    a = out.bills["A"] = issue(world, NEGOTIABLE, to="TRADER")
    done = out.actions_on_a = ["ISSUE"]

    def on_a(kind: str, name: str, code: str, *args: object) -> None:
        act(world, kind, name, a, *args)
        done.append(code)

    def possession_to(kind: str, by: str) -> None:
        # Whether an endorsement also delivers the title is the registry's rule: follow what it did.
        if world.bills is not None and world.bills.call("bill", a)["possessor"] != org[kind]:
            on_a(by, "transfer", "TRANSFER", org[kind], ZERO)

    on_a("TRADER", "transfer", "TRANSFER", org["FORWARDER"], remark("possession to forwarder"))
    on_a("FORWARDER", "reject", "REJECT", ZERO)
    on_a("TRADER", "endorseToOrder", "ENDORSE_TO_ORDER", org["FORWARDER"], ZERO)
    on_a("FORWARDER", "reject", "REJECT", remark("endorsement refused"))
    on_a("TRADER", "endorseToOrder", "ENDORSE_TO_ORDER", org["FORWARDER"], ZERO)
    possession_to("FORWARDER", by="TRADER")
    on_a("FORWARDER", "sign", "SIGN", remark("signed"))
    digest = request_pledge(world, "FORWARDER", a, terms(world, amount=1_000_000, registration=remark("MPR")))
    done.append("PLEDGE")
    on_a("BANK", "acceptPledge", "ACCEPT_PLEDGE", digest, ZERO)
    on_a("BANK", "releasePledge", "RELEASE_PLEDGE", ZERO)
    on_a("FORWARDER", "endorse", "ENDORSE", org["TRADER"], ZERO)
    possession_to("TRADER", by="FORWARDER")
    on_a("TRADER", "surrenderForDelivery", "SURRENDER_FOR_DELIVERY", ZERO)
    on_a("CARRIER", "acceptSurrender", "SACC", ZERO)
    out.rights = grant(world, a, CONTAINERS[:2])
    world.release.transact("nominate", out.rights[0], org["HAULIER"], sender=world.caller("TRADER"))
    code_hash = ids.release_code_hash(out.rights[1], b"0123456789abcdef")
    world.release.transact("setReleaseCode", out.rights[1], code_hash, sender=world.caller("TRADER"))
    world.release.transact("revoke", out.rights[1], sender=world.caller("CARRIER"))
    out.attestations["release"] = customs_release_on_bill(world, a)
    world.release.transact(
        "gateOut", a, CONTAINERS[0], org["HAULIER"], ZERO, eir(), sender=world.caller("TERMINAL")
    )
    world.release.transact(
        "gateIn", a, CONTAINERS[0], eir(laden=False, damage=("DT", "BR")), sender=world.caller("TERMINAL")
    )

    # B: pledged, accepted and, after its maturity, enforced; the bank blank-endorses.
    b = out.bills["B"] = issue(world, NEGOTIABLE, to="TRADER")
    b_terms = terms(
        world, amount=2**100, accept_by=now() + 100, maturity=now() + 200, registration=remark("MPR-B")
    )
    b_terms = dataclasses.replace(b_terms, currency="EUR")
    act(world, "BANK", "acceptPledge", b, request_pledge(world, "TRADER", b, b_terms), ZERO)
    world.chain.increase_time(300)
    act(world, "BANK", "enforcePledge", b, ZERO, ZERO)
    act(world, "BANK", "blankEndorse", b, ZERO)

    # C: surrender for amendment refused, again accepted and re-issued, then switched to paper.
    c = out.bills["C"] = issue(world, NEGOTIABLE, to="TRADER")
    act(world, "TRADER", "surrenderForAmendment", c, COD, ZERO)
    act(world, "CARRIER", "rejectSurrender", c, ZERO)
    act(world, "TRADER", "surrenderForAmendment", c, SWI, ZERO)
    act(world, "CARRIER", "acceptSurrender", c, ZERO)
    act(
        world,
        "CARRIER",
        "reissue",
        c,
        remark("amended v2"),
        ids.container_root(CONTAINERS[:3]),
        "bafyamended",
        ZERO,
    )
    act(world, "TRADER", "surrenderForAmendment", c, SWTP, ZERO)
    act(world, "CARRIER", "acceptSurrender", c, ZERO)
    act(world, "CARRIER", "switchToPaper", c, ZERO)

    # D: voided after an accepted surrender for amendment.
    d = out.bills["D"] = issue(world, NEGOTIABLE, to="TRADER")
    act(world, "TRADER", "surrenderForAmendment", d, COD, ZERO)
    act(world, "CARRIER", "acceptSurrender", d, ZERO)
    act(world, "CARRIER", "voidTitle", d, ZERO)

    # E: straight B/L to its consignee; F: a sea waybill.
    e = out.bills["E"] = issue(world, STRAIGHT, to="TRADER", consignee="FORWARDER")
    act(world, "TRADER", "transfer", e, org["FORWARDER"], ZERO)
    out.bills["F"] = issue(world, SWB, to="TRADER", consignee="FORWARDER")

    # Attestations: a hold revoked (both by k-of-n reports), a credit grade replaced, a release
    # recognised by a second agency, a release about one container of bill C.
    container = ids.container_subject(CONTAINERS[2])
    held = attest(world, "CUSTOMS", "CUSTOMS_HOLD", container, hold_data())
    revoke(world, "CUSTOMS", "CUSTOMS_HOLD", held)
    grade = ids.org_subject(org["TRADER"])
    old = attest(world, "CUSTOMS", "CREDIT_LEVEL", grade, credit_data(world))
    receipt = world.attestations.transact(
        "replace",
        old,
        (world.schema["CREDIT_LEVEL"], grade, ZERO, credit_data(world, "B")),
        sender=world.caller("CUSTOMS"),
    )
    out.attestations.update(held=held, replaced=old, replacement=receipt.event("Replaced").args["newUid"])
    world.attestations.transact("recognise", out.attestations["release"], sender=world.caller("CUSTOMS2"))
    out.attestations["fact"] = attest(
        world,
        "CUSTOMS",
        "CUSTOMS_RELEASE",
        ids.bill_container_subject(c, CONTAINERS[2]),
        release_data("DEC-9"),
    )

    # Consortium: accounts, keys, admission by proposal, roles, suspension and reinstatement.
    new_admin, extra = spare_accounts
    world.consortium.transact("addAccount", org["FORWARDER"], extra, sender=world.caller("FORWARDER"))
    world.consortium.transact(
        "setEncryptionKey", org["FORWARDER"], b"\x11" * 32, sender=world.caller("FORWARDER")
    )
    world.consortium.transact("setAdmin", org["FORWARDER"], extra, sender=world.caller("FORWARDER"))
    world.consortium.transact("removeAccount", org["FORWARDER"], world.caller("FORWARDER"), sender=extra)
    world.account["FORWARDER"] = extra
    admit = abi_encode(
        ["string", "string", "uint16", "bytes32", "address"],
        ["91310000MA1FL0001X", "Yangshan Empty Depot Co.", 1 << 3, b"\x22" * 32, new_admin],
    )
    world.consortium.transact("propose", ADMIT, admit, sender=world.governor)
    out.admitted_admin = new_admin
    haulier2 = org["HAULIER2"]
    world.consortium.transact(
        "propose", GRANT_ROLE, abi_encode(["uint32", "uint8"], [haulier2, ROLE_BANK]), sender=world.governor
    )
    world.consortium.transact(
        "propose", REVOKE_ROLE, abi_encode(["uint32", "uint8"], [haulier2, ROLE_BANK]), sender=world.governor
    )
    world.consortium.transact("propose", SUSPEND, abi_encode(["uint32"], [haulier2]), sender=world.governor)
    world.consortium.transact("propose", REINSTATE, abi_encode(["uint32"], [haulier2]), sender=world.governor)
    return out


def lapse_a_pledge_request(world: World) -> int:
    """A pledge request the bank never accepts: past its acceptance deadline a transfer clears it."""
    g = issue(world, NEGOTIABLE, to="TRADER")
    now = world.chain.latest_timestamp()
    request_pledge(
        world, "TRADER", g, terms(world, amount=5, accept_by=now + 60, maturity=now + 600, registration=ZERO)
    )
    world.chain.increase_time(120)
    act(world, "TRADER", "transfer", g, world.org["FORWARDER"], ZERO)
    return g
