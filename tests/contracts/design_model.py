"""A second reference model of the title, pledge and release rules, written from docs/design.md only.

Sources: docs/design.md §1.2 (state machine and pledge overlay), §1.3 (release gate), §1.4 (attestations,
k-of-n reports) and §1.5 (identifiers). Enum values and struct shapes follow contracts/types/*.sol so the
test can compare with the chain's views; no rule was taken from the contracts' implementations or from
tests/contracts/model.py, so this model can disagree with the contract
(tests/contracts/test_design_stateful.py drives both and reports every disagreement).

Every action answers :class:`Allowed` (and the model has moved to the next state) or :class:`Refused`
(and nothing changed). The two tables of §1.2 are the dicts :data:`BILL_TABLE` and :data:`PLEDGE_TABLE`,
one function per row; a (status, action) pair that is not a key is refused ("anything not listed is
refused"). Where the design is silent the choice is written as ``ASSUMPTION:`` next to the code.

Time is block time in seconds (``DesignModel.now``); ``DesignModel.seq`` counts accepted actions so that
"after" can also mean "in a later action" where a second is too coarse (a PLEDGE_DEFAULT "attested by the
bank after acceptance").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import pairwise

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

ZERO32 = b"\x00" * 32


# ------------------------------------------------------------------------------ enums
# Values as in contracts/types/{Roles,BillTypes,ReleaseTypes,AttestationTypes}.sol.


class Role(IntEnum):
    CARRIER = 0
    TRADER = 1
    BANK = 2
    TERMINAL = 3
    HAULIER = 4
    CUSTOMS = 5
    MARITIME = 6
    BORDER = 7
    PORT_AUTHORITY = 8


class Status(IntEnum):
    NONE = 0
    ISSUED = 1
    SURRENDER_PENDING_DELIVERY = 2
    SURRENDER_PENDING_AMENDMENT = 3
    ACCOMPLISHED = 4
    SURRENDERED_FOR_AMENDMENT = 5
    SWITCHED_TO_PAPER = 6
    VOIDED = 7


FINAL_STATUSES = frozenset({Status.ACCOMPLISHED, Status.SWITCHED_TO_PAPER, Status.VOIDED})


class Kind(IntEnum):
    NEGOTIABLE = 0
    STRAIGHT = 1
    SWB = 2


class PledgeState(IntEnum):
    NONE = 0
    REQUESTED = 1
    ACTIVE = 2


class Reason(IntEnum):
    NONE = 0
    SWTP = 1
    COD = 2
    SWI = 3


class RightStatus(IntEnum):
    NONE = 0
    GRANTED = 1
    REVOKED = 2
    GATED_OUT = 3
    GATED_IN = 4


class ReportAction(IntEnum):
    ATTEST = 0
    REVOKE = 1


class Action(IntEnum):
    """The DCSA action codes of §1.2 plus re-issue and the pledge actions."""

    ISSUE = 0
    TRANSFER = 1
    ENDORSE = 2
    ENDORSE_TO_ORDER = 3
    BLANK_ENDORSE = 4
    SIGN = 5
    SURRENDER_FOR_DELIVERY = 6
    SURRENDER_FOR_AMENDMENT = 7
    SACC = 8
    SREJ = 9
    REJECT = 10
    REISSUE = 11
    VOID = 12
    SWITCH_TO_PAPER = 13
    PLEDGE = 14
    ACCEPT_PLEDGE = 15
    RELEASE_PLEDGE = 16
    ENFORCE_PLEDGE = 17


MOVES = frozenset({Action.TRANSFER, Action.ENDORSE, Action.ENDORSE_TO_ORDER})
"""The actions whose recipient may REJECT them (§1.2: "the last transfer or endorsement")."""


# ------------------------------------------------------------------------------ outcomes


@dataclass(frozen=True)
class Allowed:
    note: str = ""


@dataclass(frozen=True)
class Refused:
    reason: str
    error: str | None = None
    """The custom error's name, only where the design itself names it (§1.3 ``ReleaseContainerNotOnBill``)."""


Outcome = Allowed | Refused
ALLOWED = Allowed()


# ------------------------------------------------------------------------------ identifiers (§1.5)


def title_id(carrier: int, reference: str) -> int:
    """``uint256(keccak256(abi.encode(carrierOrgId, transportDocumentReference)))``."""
    return int.from_bytes(keccak(abi_encode(["uint256", "string"], [carrier, reference])), "big")


def bill_subject(bill_id: int) -> bytes:
    """A bill's attestation subject is its title id."""
    return bill_id.to_bytes(32, "big")


def container_subject(container: str) -> bytes:
    return keccak(abi_encode(["string", "string"], ["ISO6346", container]))


def bill_container_subject(bill_id: int, container: str) -> bytes:
    return keccak(abi_encode(["string", "uint256", "string"], ["BILL_CONTAINER", bill_id, container]))


def pledge_subject(bill_id: int, nonce: int) -> bytes:
    return keccak(abi_encode(["string", "uint256", "uint256"], ["PLEDGE", bill_id, nonce]))


def right_id(bill_id: int, container: str) -> bytes:
    """``keccak256(abi.encode(billId, containerSubject))``."""
    return keccak(abi_encode(["uint256", "bytes32"], [bill_id, container_subject(container)]))


def release_code_hash(right: bytes, code_digest: bytes) -> bytes:
    """What the holder stores: ``keccak256(abi.encode(rightId, keccak256(code)))`` (§1.3)."""
    return keccak(abi_encode(["bytes32", "bytes32"], [right, code_digest]))


@dataclass(frozen=True)
class Terms:
    """What a pledge request names (§1.2 pledge overlay)."""

    bank: int
    amount: int
    currency: str
    registration_ref: bytes
    accept_by: int
    maturity: int
    notice_period: int

    def as_struct(self) -> tuple[int, int, bytes, bytes, int, int, int]:
        """The ``PledgeTerms`` tuple of contracts/interfaces/IBillOfLadingRegistry.sol."""
        return (
            self.bank,
            self.amount,
            self.currency.encode("ascii"),
            self.registration_ref,
            self.accept_by,
            self.maturity,
            self.notice_period,
        )


def terms_hash(bill_id: int, nonce: int, pledgor: int, terms: Terms) -> bytes:
    """``keccak256(abi.encode(billId, pledgeNonce, bank, pledgor, amount, currency, registrationRef,
    acceptBy, maturity, noticePeriod))`` with the widths of the interface's ``PledgeTerms``."""
    return keccak(
        abi_encode(
            [
                "uint256",
                "uint32",
                "uint32",
                "uint32",
                "uint128",
                "bytes3",
                "bytes32",
                "uint64",
                "uint64",
                "uint32",
            ],
            [
                bill_id,
                nonce,
                terms.bank,
                pledgor,
                terms.amount,
                terms.currency.encode("ascii"),
                terms.registration_ref,
                terms.accept_by,
                terms.maturity,
                terms.notice_period,
            ],
        )
    )


# ------------------------------------------------------------------------------ state


@dataclass
class Org:
    id: int
    name: str
    roles: frozenset[Role]
    suspended: bool = False

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)


@dataclass(frozen=True)
class Move:
    """The last transfer or endorsement while its recipient may still reject it."""

    action: Action
    recipient: int
    possessor_before: int
    holder_before: int
    holder_may_endorse_before: bool


@dataclass
class Pledge:
    nonce: int
    pledgor: int
    terms: Terms
    terms_hash: bytes
    requested_at: int
    accepted_at: int | None = None
    accepted_seq: int | None = None

    @property
    def bank(self) -> int:
        return self.terms.bank


@dataclass
class Title:
    bill_id: int
    reference: str
    carrier: int
    kind: Kind
    shipper: int
    consignee: int
    possessor: int
    holder: int
    """Title holder; 0 when blank-endorsed."""
    status: Status
    checksum: bytes
    containers: tuple[str, ...]
    issued_at: int
    version: int = 1
    holder_may_endorse: bool = True
    """False when the holder became title holder by a plain ENDORSE ("cannot endorse further")."""
    last: Move | None = None
    """The last transfer/endorsement while still rejectable; None once answered or rejected."""
    surrenderer: int = 0
    surrender_reason: Reason = Reason.NONE
    pledge: Pledge | None = None
    """The latest request (kept after it lapsed, to answer its effective state); None after release."""
    pledge_nonce: int = 0
    pledge_history: dict[int, Pledge] = field(default_factory=dict)


@dataclass
class Right:
    right_id: bytes
    bill_id: int
    container: str
    carrier: int
    holder: int
    terminal: int
    depot: int
    valid_from: int
    valid_until: int
    status: RightStatus = RightStatus.GRANTED
    code_hash: bytes = ZERO32


@dataclass(frozen=True)
class SchemaRule:
    """§1.5 well-known schemas (only the ones the rules consult)."""

    revocable: bool
    reports_only: bool
    attesters: frozenset[Role]


SCHEMAS: dict[str, SchemaRule] = {
    "CUSTOMS_RELEASE": SchemaRule(revocable=False, reports_only=True, attesters=frozenset({Role.CUSTOMS})),
    "CUSTOMS_HOLD": SchemaRule(revocable=True, reports_only=True, attesters=frozenset({Role.CUSTOMS})),
    "PLEDGE_DEFAULT": SchemaRule(revocable=True, reports_only=False, attesters=frozenset({Role.BANK})),
}


@dataclass
class Attestation:
    uid: bytes
    schema: str
    subject: bytes
    attester: int
    time: int
    seq: int
    revoked: bool = False


@dataclass(frozen=True)
class Report:
    """A k-of-n report (§1.4); ``signers`` are the addresses of the signatures given, in the order given."""

    agency: int
    action: ReportAction
    schema: str
    subject: bytes
    source_id: bytes
    sequence: int
    deadline: int
    signers: tuple[str, ...]
    target: bytes = ZERO32


@dataclass(frozen=True)
class Args:
    """Arguments of a title action (each row reads the ones it needs)."""

    to: int = 0
    reason: Reason = Reason.NONE
    checksum: bytes = b""
    containers: tuple[str, ...] = ()
    terms: Terms | None = None
    terms_hash: bytes = ZERO32
    default_uid: bytes = ZERO32


Row = Callable[["DesignModel", Title, int, Args], Outcome]


# ------------------------------------------------------------------------------ §1.2 state machine rows


def _parties_ok(m: DesignModel, org: int) -> bool:
    """Recipients of a transfer or endorsement must be active members holding TRADER or BANK."""
    o = m.orgs.get(org)
    return o is not None and not o.suspended and o.has(Role.TRADER, Role.BANK)


def _holds_or_blank(t: Title, actor: int) -> bool:
    """ "possessor who is title holder, or any possessor when blank"."""
    return t.possessor == actor and (t.holder == actor or t.holder == 0)


def _not_pledged(m: DesignModel, t: Title) -> Refused | None:
    """While REQUESTED or ACTIVE: no transfer, endorsement, surrender, amendment, switch to paper or void."""
    if m.pledge_state(t) is not PledgeState.NONE:
        return Refused("pledged")
    return None


def row_transfer(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | TRANSFER (possessor; straight: only to the consignee; never a sea waybill) | ISSUED, new
    possessor."""
    if (r := _not_pledged(m, t)) is not None:
        return r
    if t.kind is Kind.SWB:
        return Refused("a sea waybill is never transferred")
    if t.possessor != actor:
        return Refused("not the possessor")
    if t.kind is Kind.STRAIGHT and a.to != t.consignee:
        return Refused("straight: only to the consignee")
    if a.to == actor:
        return Refused("transfer to oneself")
    if not _parties_ok(m, a.to):
        return Refused("recipient not an active TRADER/BANK member")
    t.last = Move(Action.TRANSFER, a.to, t.possessor, t.holder, t.holder_may_endorse)
    t.possessor = a.to
    return ALLOWED


def row_endorse(m: DesignModel, t: Title, actor: int, a: Args, action: Action) -> Outcome:
    """ISSUED | ENDORSE / ENDORSE_TO_ORDER (possessor who is title holder, or any possessor when blank;
    negotiable only; an endorsee by plain ENDORSE cannot endorse further) | ISSUED, new title holder."""
    if (r := _not_pledged(m, t)) is not None:
        return r
    if t.kind is not Kind.NEGOTIABLE:
        return Refused("endorsement: negotiable only")
    if not _holds_or_blank(t, actor):
        return Refused("not possessor and title holder (and not blank)")
    if t.holder == actor and not t.holder_may_endorse:
        return Refused("endorsee by plain ENDORSE cannot endorse further")
    if a.to == actor:
        return Refused("endorsement to oneself")
    if not _parties_ok(m, a.to):
        return Refused("recipient not an active TRADER/BANK member")
    t.last = Move(action, a.to, t.possessor, t.holder, t.holder_may_endorse)
    t.holder = a.to
    t.holder_may_endorse = action is Action.ENDORSE_TO_ORDER
    return ALLOWED


def row_endorse_plain(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    return row_endorse(m, t, actor, a, Action.ENDORSE)


def row_endorse_to_order(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    return row_endorse(m, t, actor, a, Action.ENDORSE_TO_ORDER)


def row_blank_endorse(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | BLANK_ENDORSE (possessor and title holder) | ISSUED, no title holder.

    ASSUMPTION: negotiable only (it is an endorsement) and, being an endorsement, refused to an endorsee by
    plain ENDORSE ("cannot endorse further")."""
    if (r := _not_pledged(m, t)) is not None:
        return r
    if t.kind is not Kind.NEGOTIABLE:
        return Refused("endorsement: negotiable only")
    if not (t.possessor == actor and t.holder == actor):
        return Refused("not possessor and title holder")
    if not t.holder_may_endorse:
        return Refused("endorsee by plain ENDORSE cannot endorse further")
    t.holder = 0
    t.holder_may_endorse = True
    return ALLOWED


def row_sign(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | SIGN (possessor) | unchanged, event only. ASSUMPTION: allowed while pledged (the overlay does
    not list it) and for every kind. As the recipient's first action it ends its right to reject."""
    if t.possessor != actor:
        return Refused("not the possessor")
    return ALLOWED


def row_reject(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | REJECT (recipient of the last transfer or endorsement, as its first action) | previous
    possessor / title holder. ASSUMPTION: rejecting an endorsement also restores whether the previous holder
    could endorse further; after a rejection nothing is rejectable."""
    mv = t.last
    if mv is None or mv.recipient != actor:
        return Refused("not the recipient of a still rejectable transfer or endorsement")
    if mv.action is Action.TRANSFER:
        t.possessor = mv.possessor_before
    else:
        t.holder = mv.holder_before
        t.holder_may_endorse = mv.holder_may_endorse_before
    t.last = None
    return ALLOWED


def _surrender_parties(t: Title, actor: int) -> Refused | None:
    """negotiable: possessor who is title holder, or any possessor when blank; straight: shipper or
    consignee in possession (a sea waybill is not surrendered: it has no row)."""
    if t.kind is Kind.SWB:
        return Refused("a sea waybill is not surrendered")
    if t.kind is Kind.NEGOTIABLE and not _holds_or_blank(t, actor):
        return Refused("not possessor and title holder (and not blank)")
    if t.kind is Kind.STRAIGHT and not (t.possessor == actor and actor in (t.shipper, t.consignee)):
        return Refused("straight: shipper or consignee in possession")
    return None


def row_surrender_for_delivery(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | SURRENDER_FOR_DELIVERY -> carrier | SURRENDER_PENDING_DELIVERY.

    ASSUMPTION: the carrier possesses while the surrender is pending (SREJ gives possession "back"); the
    title holder is not changed by a surrender, its answers or a re-issue."""
    if (r := _not_pledged(m, t)) is not None:
        return r
    if (r := _surrender_parties(t, actor)) is not None:
        return r
    t.surrenderer, t.surrender_reason = actor, Reason.NONE
    t.possessor, t.status = t.carrier, Status.SURRENDER_PENDING_DELIVERY
    return ALLOWED


def row_surrender_for_amendment(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ISSUED | SURRENDER_FOR_AMENDMENT -> carrier, reason SWTP / COD / SWI (same parties) |
    SURRENDER_PENDING_AMENDMENT."""
    if (r := _not_pledged(m, t)) is not None:
        return r
    if (r := _surrender_parties(t, actor)) is not None:
        return r
    if a.reason not in (Reason.SWTP, Reason.COD, Reason.SWI):
        return Refused("amendment reason must be SWTP, COD or SWI")
    t.surrenderer, t.surrender_reason = actor, a.reason
    t.possessor, t.status = t.carrier, Status.SURRENDER_PENDING_AMENDMENT
    return ALLOWED


def _carrier(m: DesignModel, t: Title, actor: int) -> Refused | None:
    """ "(carrier)": the title's issuing carrier, still holding CARRIER."""
    o = m.orgs.get(actor)
    if actor != t.carrier or o is None or not o.has(Role.CARRIER):
        return Refused("not the title's carrier")
    return None


def row_srej(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDER_PENDING_* | SREJ (carrier) | ISSUED, possession back to the requester."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    t.possessor, t.status, t.surrender_reason = t.surrenderer, Status.ISSUED, Reason.NONE
    return ALLOWED


def row_sacc_delivery(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDER_PENDING_DELIVERY | SACC (carrier) | ACCOMPLISHED (final). ASSUMPTION: the carrier keeps
    possession of an accomplished title."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    t.status = Status.ACCOMPLISHED
    return ALLOWED


def row_sacc_amendment(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDER_PENDING_AMENDMENT | SACC (carrier) | SURRENDERED_FOR_AMENDMENT, carrier possesses."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    t.status, t.possessor = Status.SURRENDERED_FOR_AMENDMENT, t.carrier
    return ALLOWED


def row_reissue(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDERED_FOR_AMENDMENT | re-issue (carrier): version + 1, new checksum, new container list, same
    reference | ISSUED, possessor = the organisation that surrendered. ASSUMPTION: allowed whatever the
    surrender's reason; the issue time of the new version is now."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    if a.checksum in (b"", ZERO32) or a.checksum == t.checksum:
        return Refused("re-issue needs a new checksum")
    if not a.containers:
        return Refused("re-issue needs a container list")
    t.version += 1
    t.checksum, t.containers, t.issued_at = a.checksum, a.containers, m.now
    t.possessor, t.status, t.surrender_reason = t.surrenderer, Status.ISSUED, Reason.NONE
    return ALLOWED


def row_switch_to_paper(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDERED_FOR_AMENDMENT | SWITCH_TO_PAPER (carrier; the surrender's reason was SWTP) |
    SWITCHED_TO_PAPER (final)."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    if t.surrender_reason is not Reason.SWTP:
        return Refused("the surrender's reason was not SWTP")
    t.status = Status.SWITCHED_TO_PAPER
    return ALLOWED


def row_void(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """SURRENDERED_FOR_AMENDMENT | VOID (carrier) | VOIDED (final)."""
    if (r := _carrier(m, t, actor)) is not None:
        return r
    t.status = Status.VOIDED
    return ALLOWED


BILL_TABLE: dict[tuple[Status, Action], Row] = {
    (Status.ISSUED, Action.TRANSFER): row_transfer,
    (Status.ISSUED, Action.ENDORSE): row_endorse_plain,
    (Status.ISSUED, Action.ENDORSE_TO_ORDER): row_endorse_to_order,
    (Status.ISSUED, Action.BLANK_ENDORSE): row_blank_endorse,
    (Status.ISSUED, Action.SIGN): row_sign,
    (Status.ISSUED, Action.REJECT): row_reject,
    (Status.ISSUED, Action.SURRENDER_FOR_DELIVERY): row_surrender_for_delivery,
    (Status.ISSUED, Action.SURRENDER_FOR_AMENDMENT): row_surrender_for_amendment,
    (Status.SURRENDER_PENDING_DELIVERY, Action.SREJ): row_srej,
    (Status.SURRENDER_PENDING_AMENDMENT, Action.SREJ): row_srej,
    (Status.SURRENDER_PENDING_DELIVERY, Action.SACC): row_sacc_delivery,
    (Status.SURRENDER_PENDING_AMENDMENT, Action.SACC): row_sacc_amendment,
    (Status.SURRENDERED_FOR_AMENDMENT, Action.REISSUE): row_reissue,
    (Status.SURRENDERED_FOR_AMENDMENT, Action.SWITCH_TO_PAPER): row_switch_to_paper,
    (Status.SURRENDERED_FOR_AMENDMENT, Action.VOID): row_void,
}


# ------------------------------------------------------------------------------ §1.2 pledge overlay rows


def row_pledge(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """none | PLEDGE (the possessor who is also title holder, or any possessor of a blank-endorsed title;
    never while a transfer or endorsement is still rejectable) naming a bank, ... | REQUESTED.

    Negotiable B/Ls only. ASSUMPTIONS: the title must be ISSUED; the bank is an active member holding BANK
    and not the pledgor itself; ``acceptBy`` lies in the future and the maturity after ``acceptBy`` (a
    request that is lapsed or mature at birth has no meaning)."""
    terms = a.terms
    assert terms is not None
    if t.status is not Status.ISSUED:
        return Refused("pledge: title not ISSUED")
    if t.kind is not Kind.NEGOTIABLE:
        return Refused("pledge: negotiable only")
    if not _holds_or_blank(t, actor):
        return Refused("pledge: not possessor and title holder (and not blank)")
    if t.last is not None:
        return Refused("pledge: a transfer or endorsement is still rejectable")
    bank = m.orgs.get(terms.bank)
    if bank is None or bank.suspended or not bank.has(Role.BANK):
        return Refused("pledge: the pledgee is not an active BANK")
    if terms.bank == actor:
        return Refused("pledge: to oneself")
    if terms.accept_by <= m.now:
        return Refused("pledge: acceptBy not in the future")
    if terms.maturity <= terms.accept_by:
        return Refused("pledge: maturity not after acceptBy")
    t.pledge_nonce += 1
    nonce = t.pledge_nonce
    p = Pledge(nonce, actor, terms, terms_hash(t.bill_id, nonce, actor, terms), requested_at=m.now)
    t.pledge = p
    t.pledge_history[nonce] = p
    return ALLOWED


def row_accept_pledge(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """REQUESTED | ACCEPT_PLEDGE (that bank, at or before acceptBy, carrying the hash of exactly the terms it
    approved) | ACTIVE. (A request past acceptBy is NONE, so it has no row here.)"""
    p = t.pledge
    assert p is not None
    if actor != p.bank:
        return Refused("accept: not the named bank")
    if a.terms_hash != p.terms_hash:
        return Refused("accept: another terms hash")
    p.accepted_at, p.accepted_seq = m.now, m.seq
    return ALLOWED


def row_release_pledge(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """REQUESTED / ACTIVE | RELEASE_PLEDGE (the bank) | none."""
    p = t.pledge
    assert p is not None
    if actor != p.bank:
        return Refused("release: not the pledgee")
    t.pledge = None
    return ALLOWED


def row_enforce_pledge(m: DesignModel, t: Title, actor: int, a: Args) -> Outcome:
    """ACTIVE | ENFORCE_PLEDGE (the bank), only after maturity, or once a PLEDGE_DEFAULT attestation about
    *this* pledge, attested by the bank after acceptance, has been effective for the notice period | none;
    the bank becomes possessor and title holder.

    "after maturity" is strict (at maturity: refused); "effective for the notice period" means
    ``now >= attested + noticePeriod``; "after acceptance" means in a later action than the acceptance.
    ASSUMPTIONS: the two conditions are alternatives, so past maturity the enforcement is allowed whatever
    default uid is given; the enforcing bank may endorse further."""
    p = t.pledge
    assert p is not None
    if actor != p.bank:
        return Refused("enforce: not the pledgee")
    if not (m.now > p.terms.maturity or m.default_qualifies(t, p, a.default_uid)):
        return Refused("enforce: before maturity and without a qualifying default")
    t.pledge = None
    t.possessor = t.holder = p.bank
    t.holder_may_endorse = True
    return ALLOWED


PLEDGE_TABLE: dict[tuple[PledgeState, Action], Row] = {
    (PledgeState.NONE, Action.PLEDGE): row_pledge,
    (PledgeState.REQUESTED, Action.ACCEPT_PLEDGE): row_accept_pledge,
    (PledgeState.REQUESTED, Action.RELEASE_PLEDGE): row_release_pledge,
    (PledgeState.ACTIVE, Action.RELEASE_PLEDGE): row_release_pledge,
    (PledgeState.ACTIVE, Action.ENFORCE_PLEDGE): row_enforce_pledge,
}


# ------------------------------------------------------------------------------ the model


@dataclass
class DesignModel:
    now: int
    orgs: dict[int, Org] = field(default_factory=dict)
    titles: dict[int, Title] = field(default_factory=dict)
    rights: dict[bytes, Right] = field(default_factory=dict)
    attestations: dict[bytes, Attestation] = field(default_factory=dict)
    signer_sets: dict[tuple[int, str], tuple[frozenset[str], int]] = field(default_factory=dict)
    used_sources: set[tuple[int, str, bytes]] = field(default_factory=set)
    last_sequence: dict[tuple[int, str, bytes], int] = field(default_factory=dict)
    seq: int = 0
    """Number of accepted actions so far (orders actions within one second)."""

    # ------------------------------------------------------------------ set-up and time

    def admit(self, org: Org) -> None:
        self.orgs[org.id] = org

    def set_signers(self, agency: int, schema: str, signers: Sequence[str], threshold: int) -> None:
        self.signer_sets[(agency, schema)] = (frozenset(s.lower() for s in signers), threshold)

    def advance(self, seconds: int) -> None:
        assert seconds >= 0
        self.now += seconds

    def _member(self, actor: int) -> Org | None:
        """ "any active member account acts for its organisation" (§1.2); 0 = not a member."""
        o = self.orgs.get(actor)
        return None if o is None or o.suspended else o

    def _accepted(self) -> Allowed:
        self.seq += 1
        return ALLOWED

    # ------------------------------------------------------------------ §1.2 titles

    def pledge_state(self, t: Title) -> PledgeState:
        """The effective pledge state: a request past its acceptBy has lapsed (reads as none)."""
        p = t.pledge
        if p is None:
            return PledgeState.NONE
        if p.accepted_at is not None:
            return PledgeState.ACTIVE
        return PledgeState.REQUESTED if self.now <= p.terms.accept_by else PledgeState.NONE

    def issue(
        self,
        actor: int,
        reference: str,
        kind: Kind,
        issue_to: int,
        consignee: int,
        checksum: bytes,
        containers: Sequence[str],
    ) -> Outcome:
        """— | ISSUE (carrier) | ISSUED, possessor = issue-to organisation. One title per (carrier,
        reference).

        ASSUMPTIONS: the issue-to organisation and the consignee are title parties, so active TRADER/BANK
        members (like the recipients of a transfer); a negotiable (to order) B/L names no consignee and a
        straight B/L or sea waybill must; title holder at issue: the issue-to organisation for a negotiable
        B/L, the consignee otherwise; checksum non-zero and at least one container."""
        o = self._member(actor)
        if o is None or not o.has(Role.CARRIER):
            return Refused("issue: not an active CARRIER")
        bill_id = title_id(actor, reference)
        if bill_id in self.titles:
            return Refused("issue: already issued")
        if not _parties_ok(self, issue_to):
            return Refused("issue: issue-to not an active TRADER/BANK member")
        if kind is Kind.NEGOTIABLE:
            if consignee != 0:
                return Refused("issue: a negotiable B/L names no consignee")
        elif not _parties_ok(self, consignee):
            return Refused("issue: consignee not an active TRADER/BANK member")
        if checksum in (b"", ZERO32) or not containers:
            return Refused("issue: checksum and container list needed")
        self.titles[bill_id] = Title(
            bill_id=bill_id,
            reference=reference,
            carrier=actor,
            kind=kind,
            shipper=issue_to,
            consignee=consignee,
            possessor=issue_to,
            holder=issue_to if kind is Kind.NEGOTIABLE else consignee,
            status=Status.ISSUED,
            checksum=checksum,
            containers=tuple(containers),
            issued_at=self.now,
        )
        return self._accepted()

    def act(self, actor: int, action: Action, bill_id: int, args: Args | None = None) -> Outcome:
        """A title action of the state machine or the pledge overlay, by ``actor`` (an org id, 0 = none)."""
        a = args or Args()
        if self._member(actor) is None:
            return Refused("not an active member")
        t = self.titles.get(bill_id)
        if t is None:
            return Refused("unknown title")
        if action in (Action.PLEDGE, Action.ACCEPT_PLEDGE, Action.RELEASE_PLEDGE, Action.ENFORCE_PLEDGE):
            row = PLEDGE_TABLE.get((self.pledge_state(t), action))
            if row is None:
                return Refused(f"{action.name} not listed for pledge state {self.pledge_state(t).name}")
        else:
            row = BILL_TABLE.get((t.status, action))
            if row is None:
                return Refused(f"{action.name} not listed for status {t.status.name}")
        last_before = t.last
        outcome = row(self, t, actor, a)
        if isinstance(outcome, Refused):
            return outcome
        # "as its first action": any other accepted action of the recipient ends its right to reject; a
        # new transfer/endorsement replaces the last one; a change of status leaves nothing to reject.
        if (
            action not in MOVES
            and last_before is not None
            and t.last is last_before
            and (actor == last_before.recipient or t.status is not Status.ISSUED)
        ):
            t.last = None
        return self._accepted()

    # ------------------------------------------------------------------ §1.4 attestations

    def _effective(self, uid: bytes) -> Attestation | None:
        """exists, not revoked, attester still holds one of the schema's roles (schemas never deactivate
        here, none expires, none needs recognitions)."""
        att = self.attestations.get(uid)
        if att is None or att.revoked:
            return None
        o = self.orgs.get(att.attester)
        if o is None or not o.has(*SCHEMAS[att.schema].attesters):
            return None
        return att

    def default_qualifies(self, t: Title, p: Pledge, uid: bytes) -> bool:
        """An effective PLEDGE_DEFAULT about *this* pledge, attested by the bank after acceptance, effective
        for the notice period."""
        att = self._effective(uid)
        return (
            att is not None
            and att.schema == "PLEDGE_DEFAULT"
            and att.subject == pledge_subject(t.bill_id, p.nonce)
            and att.attester == p.bank
            and p.accepted_seq is not None
            and att.seq > p.accepted_seq
            # ASSUMPTION: block time is the only clock both sides share, so "after acceptance" is a later
            # second; a default recorded in the acceptance's own second does not count.
            and p.accepted_at is not None
            and att.time > p.accepted_at
            and self.now >= att.time + p.terms.notice_period
        )

    def attest(self, actor: int, schema: str, subject: bytes, uid: bytes) -> Outcome:
        """Direct attestation: refused for a reports-only schema; the attester must be an active member
        holding one of the schema's roles. ``uid`` is the chain's (only kept when allowed)."""
        rule = SCHEMAS[schema]
        if rule.reports_only:
            return Refused("reports-only schema: direct attest refused")
        o = self._member(actor)
        if o is None or not o.has(*rule.attesters):
            return Refused("not an attester of the schema")
        self.attestations[uid] = Attestation(uid, schema, subject, actor, self.now, self.seq)
        return self._accepted()

    def revoke(self, actor: int, uid: bytes) -> Outcome:
        """Direct revocation: own attestation of a revocable, not reports-only schema, not yet revoked."""
        att = self.attestations.get(uid)
        if att is None:
            return Refused("unknown attestation")
        rule = SCHEMAS[att.schema]
        if rule.reports_only:
            return Refused("reports-only schema: direct revoke refused")
        if not rule.revocable or att.revoked:
            return Refused("not revocable or already revoked")
        if self._member(actor) is None or att.attester != actor:
            return Refused("not the attester")
        att.revoked = True
        return self._accepted()

    def submit_report(self, r: Report, uid: bytes) -> Outcome:
        """A k-of-n report: at least k signatures, all of the current set, ascending; a source id once per
        agency and schema; the sequence rising per (agency, schema, subject); deadline not passed; REVOKE
        targets this agency's unrevoked attestation of this schema and subject (revocable schemas only)."""
        agency = self._member(r.agency)
        rule = SCHEMAS[r.schema]
        if agency is None or not agency.has(*rule.attesters):
            return Refused("report: agency not an active accredited member")
        signer_set = self.signer_sets.get((r.agency, r.schema))
        if signer_set is None:
            return Refused("report: no signer set")
        members, threshold = signer_set
        ordered = [int(s, 16) for s in r.signers]
        if any(s.lower() not in members for s in r.signers):
            return Refused("report: a signature not of the current set")
        if any(b <= a for a, b in pairwise(ordered)):
            return Refused("report: signatures not strictly ascending")
        if len(r.signers) < threshold:
            return Refused("report: below threshold")
        if (r.agency, r.schema, r.source_id) in self.used_sources:
            return Refused("report: source id replayed")
        if r.sequence <= self.last_sequence.get((r.agency, r.schema, r.subject), 0):
            return Refused("report: sequence not rising")
        if r.deadline < self.now:
            return Refused("report: deadline passed")
        if r.action is ReportAction.REVOKE:
            target = self.attestations.get(r.target)
            if (
                not rule.revocable
                or target is None
                or target.revoked
                or target.attester != r.agency
                or target.schema != r.schema
                or target.subject != r.subject
            ):
                return Refused("report: invalid revoke target")
            target.revoked = True
        else:
            if r.target != ZERO32 and r.target not in self.attestations:
                return Refused("report: unknown reference")
            self.attestations[uid] = Attestation(uid, r.schema, r.subject, r.agency, self.now, self.seq)
        self.used_sources.add((r.agency, r.schema, r.source_id))
        self.last_sequence[(r.agency, r.schema, r.subject)] = r.sequence
        return self._accepted()

    def effective_on(self, schema: str, subject: bytes, since: int = 0) -> list[Attestation]:
        """Effective attestations of ``schema`` about ``subject`` attested at or after ``since``."""
        found = [self._effective(a.uid) for a in self.attestations.values()]
        return [
            a
            for a in found
            if a is not None and a.schema == schema and a.subject == subject and a.time >= since
        ]

    # ------------------------------------------------------------------ §1.3 release rights

    def entitled(self, t: Title) -> int | None:
        """Who a release right goes to: after SACC of a surrender for delivery, the organisation that
        surrendered; for a sea waybill, its consignee. None: not releasable.

        ASSUMPTION: a sea waybill is releasable while ISSUED (it is never surrendered, so never
        accomplished)."""
        if t.kind is Kind.SWB:
            return t.consignee if t.status in (Status.ISSUED, Status.ACCOMPLISHED) else None
        return t.surrenderer if t.status is Status.ACCOMPLISHED else None

    def _terminal(self, org: int) -> bool:
        o = self._member(org)
        return o is not None and o.has(Role.TERMINAL)

    def grant(
        self,
        actor: int,
        bill_id: int,
        containers: Sequence[str],
        terminal: int,
        depot: int,
        valid_from: int,
        valid_until: int,
    ) -> Outcome:
        """The carrier grants one right per container on the current version, to the organisation entitled
        to the cargo, naming the terminal, optionally a depot, a validity window. One active right per
        container and bill; a revoked right may be granted again.

        ASSUMPTIONS: terminal and depot are active TERMINAL members; the window is non-empty
        (``valid_from < valid_until``) and not over; a used right (gated out or in) is never granted again;
        a container twice in one grant is refused; a grant is all-or-nothing."""
        t = self.titles.get(bill_id)
        if t is None:
            return Refused("grant: unknown title")
        o = self._member(actor)
        if o is None or actor != t.carrier or not o.has(Role.CARRIER):
            return Refused("grant: not the bill's carrier")
        holder = self.entitled(t)
        if holder is None:
            return Refused("grant: bill not releasable")
        if not self._terminal(terminal) or (depot != 0 and not self._terminal(depot)):
            return Refused("grant: terminal/depot not an active TERMINAL")
        if not (valid_from < valid_until and valid_until >= self.now):
            return Refused("grant: invalid window")
        if not containers or len(set(containers)) != len(containers):
            return Refused("grant: empty list or a container twice")
        for c in containers:
            existing = self.rights.get(right_id(bill_id, c))
            if existing is not None and existing.status is not RightStatus.REVOKED:
                return Refused("grant: the container already has a right from this bill")
        for c in containers:
            if c not in t.containers:
                return Refused(
                    "grant: container not on the current version", error="ReleaseContainerNotOnBill"
                )
        for c in containers:
            rid = right_id(bill_id, c)
            self.rights[rid] = Right(
                rid, bill_id, c, t.carrier, holder, terminal, depot, valid_from, valid_until
            )
        return self._accepted()

    def _granted(self, rid: bytes) -> Right | None:
        r = self.rights.get(rid)
        return r if r is not None and r.status is RightStatus.GRANTED else None

    def nominate(self, actor: int, rid: bytes, nominee: int) -> Outcome:
        """The holder nominates the right down the chain; a nomination clears the release code.
        ASSUMPTION: any active member other than the holder may be nominated (no role needed), while
        granted."""
        r = self._granted(rid)
        if r is None:
            return Refused("nominate: right not granted")
        if self._member(actor) is None or actor != r.holder:
            return Refused("nominate: not the holder")
        if nominee == r.holder or self._member(nominee) is None:
            return Refused("nominate: invalid nominee")
        r.holder, r.code_hash = nominee, ZERO32
        return self._accepted()

    def set_release_code(self, actor: int, rid: bytes, code_hash: bytes) -> Outcome:
        """Only the holder sets a code (ASSUMPTION: while granted; zero clears it)."""
        r = self._granted(rid)
        if r is None:
            return Refused("code: right not granted")
        if self._member(actor) is None or actor != r.holder:
            return Refused("code: not the holder")
        r.code_hash = code_hash
        return self._accepted()

    def revoke_right(self, actor: int, rid: bytes) -> Outcome:
        """The carrier may revoke an unused right."""
        r = self._granted(rid)
        if r is None:
            return Refused("revoke: right not granted")
        o = self._member(actor)
        if o is None or actor != r.carrier or not o.has(Role.CARRIER):
            return Refused("revoke: not the right's carrier")
        r.status, r.code_hash = RightStatus.REVOKED, ZERO32
        return self._accepted()

    def release_ready(self, t: Title, container: str) -> str | None:
        """Why the container is not release-ready as to the bill and customs, or None (§1.3)."""
        if self.entitled(t) is None:
            return "bill not accomplished (sea waybill: issued or accomplished)"
        released = self.effective_on(
            "CUSTOMS_RELEASE", bill_subject(t.bill_id), t.issued_at
        ) or self.effective_on("CUSTOMS_RELEASE", bill_container_subject(t.bill_id, container), t.issued_at)
        if not released:
            return "no effective customs release attested at or after the current version's issue"
        for subject in (
            bill_subject(t.bill_id),
            bill_container_subject(t.bill_id, container),
            container_subject(container),
        ):
            if self.effective_on("CUSTOMS_HOLD", subject):
                return "an effective customs hold"
        return None

    def gate_out(self, actor: int, bill_id: int, container: str, haulier: int, code_digest: bytes) -> Outcome:
        """Release-ready: the bill, customs (see :meth:`release_ready`), and the right is granted, the time
        is inside its window (both ends inclusive), the caller acts for its terminal, and the haulier is the
        holder or the code matches. ASSUMPTION: a haulier who is the holder passes whatever code is shown."""
        t = self.titles.get(bill_id)
        if t is None:
            return Refused("gate-out: unknown title")
        r = self._granted(right_id(bill_id, container))
        if r is None:
            return Refused("gate-out: right not granted (or used, revoked, never granted)")
        if actor != r.terminal or not self._terminal(actor):
            return Refused("gate-out: caller does not act for the right's terminal")
        if (why := self.release_ready(t, container)) is not None:
            return Refused(f"gate-out: {why}")
        if not (r.valid_from <= self.now <= r.valid_until):
            return Refused("gate-out: outside the validity window")
        code_ok = r.code_hash != ZERO32 and release_code_hash(r.right_id, code_digest) == r.code_hash
        if haulier != r.holder and not code_ok:
            return Refused("gate-out: haulier is not the holder and the code does not match")
        r.status = RightStatus.GATED_OUT
        return self._accepted()

    def gate_in(self, actor: int, bill_id: int, container: str) -> Outcome:
        """Gate-in of the empty return, by the right's terminal or by the depot it names, after gate-out."""
        r = self.rights.get(right_id(bill_id, container))
        if r is None or r.status is not RightStatus.GATED_OUT:
            return Refused("gate-in: not gated out")
        if actor not in {r.terminal, r.depot} - {0} or not self._terminal(actor):
            return Refused("gate-in: not the right's terminal or depot")
        r.status = RightStatus.GATED_IN
        return self._accepted()
