"""Reference model of the e-B/L title rules (docs/design.md §1.2), written from its state machine and
pledge tables.

Pure Python, no chain: the stateful test runs the same action on the model and on the
BillOfLadingRegistry and compares outcome (success, or the named refusal with its arguments) and
state after every step. The order in which a refusal is chosen when several apply is the published
order of checks: caller membership, caller suspension (except discharges), title existence, status,
the acting party, kind, endorsement rights, pledge, recipient.

The pledge overlay follows the registry's terms: a request names :class:`~ledger.domain.pledges.PledgeTerms`
and gets the next pledge nonce; the bank's acceptance must carry their hash; enforcement needs maturity, or
an effective ``PLEDGE_DEFAULT`` by the pledgee about this very pledge (subject ``ids.pledge_subject(billId,
nonce)``), attested after acceptance and past its notice period. The model knows the defaults it is told
of (:meth:`Model.record_default`).

Also holds :func:`replay`, which rebuilds every title from the registry's decoded events alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.domain import ids
from ledger.domain.bill_state import BillState, unpack_state
from ledger.domain.pledges import PledgeTerms


class Status(IntEnum):
    NONE = 0
    ISSUED = 1
    SURRENDER_PENDING_DELIVERY = 2
    SURRENDER_PENDING_AMENDMENT = 3
    ACCOMPLISHED = 4
    SURRENDERED_FOR_AMENDMENT = 5
    SWITCHED_TO_PAPER = 6
    VOIDED = 7


FINAL = frozenset({Status.ACCOMPLISHED, Status.SWITCHED_TO_PAPER, Status.VOIDED})


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


class Action(IntEnum):
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


CARRIER_BIT = 1 << 0
TRADER_BIT = 1 << 1
BANK_BIT = 1 << 2
TITLE_PARTY = TRADER_BIT | BANK_BIT


def title_id(carrier: int, reference: str) -> int:
    """docs/design.md §1.5: uint256(keccak256(abi.encode(carrierOrgId, transportDocumentReference)))."""
    return int.from_bytes(keccak(abi_encode(["uint256", "string"], [carrier, reference])), "big")


def org_address(org: int) -> str:
    """Ids.orgAddress: the stable ERC-721 owner address of an organisation."""
    digest = keccak(abi_encode(["string", "uint256"], ["PortLedger.organisation", org]))
    return "0x" + digest[12:].hex()


def checksum_of(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


ZERO32 = b"\x00" * 32


def acted(args: dict[str, Any]) -> tuple[Action, Reason, BillState]:
    """Action, surrender reason and title state of a decoded ``BillActed`` event (its ``state`` word)."""
    state = unpack_state(int(args["state"]))
    return Action[state.action], Reason[state.reason], state


class Refused(Exception):
    """The model refuses the action with this named error and these arguments."""

    def __init__(self, name: str, **arguments: Any):
        super().__init__(f"{name}({arguments})")
        self.name = name
        self.arguments = arguments


@dataclass
class Title:
    carrier: int
    possessor: int
    holder: int
    kind: Kind
    status: Status = Status.ISSUED
    version: int = 1
    checksum: bytes = b""
    pledge: PledgeState = PledgeState.NONE
    pledgee: int = 0
    # The latest pledge request (kept after release or enforcement, as the registry keeps it).
    pledge_nonce: int = 0
    pledge_accept_by: int = 0
    pledge_maturity: int = 0
    pledge_notice: int = 0
    pledge_accepted_at: int = 0
    pledge_terms_hash: bytes = ZERO32
    container_root: bytes = b""  # first 24 bytes, as the registry keeps it
    issued_at: int = 0
    rejectable: bool = False
    endorsed: bool = False  # the rejectable last action was an endorsement: its recipient is the holder
    prev_possessor: int = 0
    prev_holder: int = 0
    closed: bool = False  # holder by plain ENDORSE: cannot endorse further
    prev_closed: bool = False
    switch_requested: bool = False  # surrender for amendment with reason SWTP

    def pledge_effective(self, now: int) -> PledgeState:
        if self.pledge == PledgeState.REQUESTED and now > self.pledge_accept_by:
            return PledgeState.NONE
        return self.pledge


@dataclass
class Org:
    roles: int
    suspended: bool = False


@dataclass(frozen=True)
class Default:
    """An attestation as enforcement reads it: whether it is of the ``PLEDGE_DEFAULT`` schema, its
    subject, attesting organisation and time, and whether it was revoked."""

    subject: bytes
    attester: int
    time: int
    pledge_schema: bool = True
    revoked: bool = False


@dataclass
class Model:
    orgs: dict[int, Org] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    titles: dict[int, Title] = field(default_factory=dict)
    defaults: dict[bytes, Default] = field(default_factory=dict)

    def record_default(self, uid: bytes, default: Default) -> None:
        """An attestation made (or revoked) on the chain that enforcement may be given."""
        self.defaults[uid] = default

    # -- checks -------------------------------------------------------------------------------------
    def _actor(self, account: str, discharge: bool = False) -> int:
        org = self.members.get(account, 0)
        if org == 0:
            raise Refused("BillCallerNotMember", account=account)
        if self.orgs[org].suspended and not discharge:
            raise Refused("BillCallerSuspended", org=org)
        return org

    def _title(self, bill_id: int) -> Title:
        t = self.titles.get(bill_id)
        if t is None:
            raise Refused("BillUnknown", billId=bill_id)
        return t

    @staticmethod
    def _status(bill_id: int, t: Title, *allowed: Status) -> None:
        if t.status not in allowed:
            raise Refused("BillWrongStatus", billId=bill_id, status=int(t.status))

    @staticmethod
    def _possessor(bill_id: int, t: Title, org: int) -> None:
        if t.possessor != org:
            raise Refused("BillNotPossessor", billId=bill_id, org=org)

    @staticmethod
    def _holder_or_blank(bill_id: int, t: Title, org: int) -> None:
        if t.holder not in (0, org):
            raise Refused("BillNotTitleHolder", billId=bill_id, org=org)

    @staticmethod
    def _unpledged(bill_id: int, t: Title, now: int) -> None:
        if t.pledge_effective(now) != PledgeState.NONE:
            raise Refused("BillPledged", billId=bill_id, pledgee=t.pledgee)
        t.pledge, t.pledgee = PledgeState.NONE, 0  # an expired request lapses

    def _party(self, org: int, roles: int) -> None:
        info = self.orgs.get(org)
        if info is None:
            raise Refused("BillRecipientUnknown", org=org)
        if info.suspended:
            raise Refused("BillRecipientSuspended", org=org)
        if info.roles & roles == 0:
            raise Refused("BillRecipientNotEligible", org=org)

    # -- actions: each validates on a copy and commits only on success --------------------------------
    def issue(
        self,
        account: str,
        reference: str,
        kind: Kind,
        issue_to: int,
        consignee: int,
        checksum: bytes,
        container_root: bytes,
        now: int,
    ) -> int:
        actor = self._actor(account)
        if self.orgs[actor].roles & CARRIER_BIT == 0:
            raise Refused("BillCallerLacksRole", org=actor, role=0)
        bill_id = title_id(actor, reference)
        if bill_id in self.titles:
            raise Refused("BillAlreadyIssued", billId=bill_id)
        if checksum == ZERO32:
            raise Refused("BillChecksumInvalid", checksum=checksum)
        if (kind == Kind.NEGOTIABLE) != (consignee == 0):
            raise Refused("BillConsigneeInvalid", consignee=consignee)
        self._party(issue_to, TITLE_PARTY)
        if consignee:
            self._party(consignee, TITLE_PARTY)
        root = self._root(container_root)
        holder = issue_to if kind == Kind.NEGOTIABLE else consignee
        self.titles[bill_id] = Title(
            actor, issue_to, holder, kind, checksum=checksum, container_root=root, issued_at=now
        )
        return bill_id

    @staticmethod
    def _root(container_root: bytes) -> bytes:
        if container_root == ZERO32:
            raise Refused("BillContainerRootInvalid")
        return container_root[: ids.ROOT_BYTES]

    def _commit(self, bill_id: int, t: Title) -> None:
        self.titles[bill_id] = t

    def transfer(self, account: str, bill_id: int, to: int, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind == Kind.SWB:
            raise Refused("BillSeaWaybill", billId=bill_id)
        if t.kind == Kind.STRAIGHT and to != t.holder:
            raise Refused("BillStraightRecipientMismatch", billId=bill_id, recipient=to)
        self._unpledged(bill_id, t, now)
        if to == actor:
            raise Refused("BillSelfTransfer", billId=bill_id, org=to)
        self._party(to, TITLE_PARTY)
        t.prev_possessor, t.prev_holder, t.prev_closed = actor, t.holder, t.closed
        t.possessor, t.rejectable, t.endorsed = to, True, False
        self._commit(bill_id, t)

    def endorse(self, account: str, bill_id: int, to: int, to_order: bool, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind != Kind.NEGOTIABLE:
            raise Refused("BillNotNegotiable", billId=bill_id)
        self._holder_or_blank(bill_id, t, actor)
        if t.closed:
            raise Refused("BillEndorsementClosed", billId=bill_id)
        self._unpledged(bill_id, t, now)
        if to == actor:
            raise Refused("BillSelfTransfer", billId=bill_id, org=to)
        self._party(to, TITLE_PARTY)
        # The title only: possession (and the previous possessor) stays with the endorser.
        t.prev_holder, t.prev_closed = t.holder, t.closed
        t.holder, t.rejectable, t.endorsed, t.closed = to, True, True, not to_order
        self._commit(bill_id, t)

    def blank_endorse(self, account: str, bill_id: int, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind != Kind.NEGOTIABLE:
            raise Refused("BillNotNegotiable", billId=bill_id)
        if t.holder != actor:
            raise Refused("BillNotTitleHolder", billId=bill_id, org=actor)
        if t.closed:
            raise Refused("BillEndorsementClosed", billId=bill_id)
        self._unpledged(bill_id, t, now)
        t.holder, t.rejectable, t.endorsed = 0, False, False
        self._commit(bill_id, t)

    def sign(self, account: str, bill_id: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if not t.endorsed:  # the transfer's recipient signs; an endorser signing leaves the endorsee's right
            t.rejectable = False
        self._commit(bill_id, t)

    def reject(self, account: str, bill_id: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        if t.endorsed:  # the recipient of an endorsement is the endorsee, the title holder
            if t.holder != actor:
                raise Refused("BillNotTitleHolder", billId=bill_id, org=actor)
        else:
            self._possessor(bill_id, t, actor)
        if not t.rejectable:
            raise Refused("BillNotRejectable", billId=bill_id)
        if not t.endorsed:
            t.possessor = t.prev_possessor
        t.holder, t.closed, t.rejectable, t.endorsed = t.prev_holder, t.prev_closed, False, False
        self._commit(bill_id, t)

    def surrender(self, account: str, bill_id: int, reason: Reason, now: int) -> None:
        """``reason`` NONE = surrender for delivery."""
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind == Kind.SWB:
            raise Refused("BillSeaWaybill", billId=bill_id)
        if t.kind == Kind.NEGOTIABLE:
            self._holder_or_blank(bill_id, t, actor)
        self._unpledged(bill_id, t, now)
        t.status = (
            Status.SURRENDER_PENDING_DELIVERY if reason == Reason.NONE else Status.SURRENDER_PENDING_AMENDMENT
        )
        t.prev_possessor, t.possessor = actor, t.carrier
        t.rejectable, t.endorsed, t.switch_requested = False, False, reason == Reason.SWTP
        self._commit(bill_id, t)

    def answer_surrender(self, account: str, bill_id: int, accept: bool) -> None:
        actor = self._actor(account, discharge=True)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.SURRENDER_PENDING_DELIVERY, Status.SURRENDER_PENDING_AMENDMENT)
        if t.carrier != actor:
            raise Refused("BillNotCarrier", billId=bill_id, org=actor)
        if accept:
            t.status = (
                Status.ACCOMPLISHED
                if t.status == Status.SURRENDER_PENDING_DELIVERY
                else Status.SURRENDERED_FOR_AMENDMENT
            )
        else:
            t.status, t.possessor, t.switch_requested = Status.ISSUED, t.prev_possessor, False
        self._commit(bill_id, t)

    def _amendable(self, account: str, bill_id: int) -> Title:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.SURRENDERED_FOR_AMENDMENT)
        if t.carrier != actor:
            raise Refused("BillNotCarrier", billId=bill_id, org=actor)
        return t

    def reissue(self, account: str, bill_id: int, checksum: bytes, container_root: bytes, now: int) -> None:
        t = self._amendable(account, bill_id)
        if checksum in (ZERO32, t.checksum):
            raise Refused("BillChecksumInvalid", checksum=checksum)
        t.container_root, t.issued_at = self._root(container_root), now
        t.status, t.possessor, t.version, t.checksum = (
            Status.ISSUED,
            t.prev_possessor,
            t.version + 1,
            checksum,
        )
        t.switch_requested = False
        self._commit(bill_id, t)

    def switch_to_paper(self, account: str, bill_id: int) -> None:
        t = self._amendable(account, bill_id)
        if not t.switch_requested:
            raise Refused("BillSwitchNotRequested", billId=bill_id)
        t.status = Status.SWITCHED_TO_PAPER
        self._commit(bill_id, t)

    def void(self, account: str, bill_id: int) -> None:
        t = self._amendable(account, bill_id)
        t.status = Status.VOIDED
        self._commit(bill_id, t)

    def request_pledge(self, account: str, bill_id: int, terms: PledgeTerms, now: int) -> bytes:
        """Returns the terms hash the bank's acceptance must carry."""
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind != Kind.NEGOTIABLE:
            raise Refused("BillNotNegotiable", billId=bill_id)
        # Control of the title, not only possession; nothing the recipient may still reject.
        self._holder_or_blank(bill_id, t, actor)
        if t.rejectable:
            raise Refused("BillStillRejectable", billId=bill_id)
        self._unpledged(bill_id, t, now)
        if terms.accept_by <= now:
            raise Refused("BillPledgeExpired", billId=bill_id, acceptBy=terms.accept_by)
        if terms.maturity <= terms.accept_by:
            raise Refused("BillPledgeMaturityInvalid", acceptBy=terms.accept_by, maturity=terms.maturity)
        self._party(terms.bank, BANK_BIT)
        if terms.bank == actor:  # a bank holding the title cannot pledge it to itself
            raise Refused("BillSelfTransfer", billId=bill_id, org=actor)
        t.pledge_nonce += 1
        t.pledge, t.pledgee = PledgeState.REQUESTED, terms.bank
        t.pledge_accept_by, t.pledge_maturity = terms.accept_by, terms.maturity
        t.pledge_notice, t.pledge_accepted_at = terms.notice_period, 0
        t.pledge_terms_hash = terms.terms_hash(bill_id, t.pledge_nonce, actor)
        self._commit(bill_id, t)
        return t.pledge_terms_hash

    def accept_pledge(self, account: str, bill_id: int, terms_hash: bytes, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        if t.pledge != PledgeState.REQUESTED:
            raise Refused("BillPledgeWrongStatus", billId=bill_id, status=int(t.pledge))
        if t.pledgee != actor:
            raise Refused("BillNotPledgee", billId=bill_id, org=actor)
        if now > t.pledge_accept_by:
            raise Refused("BillPledgeExpired", billId=bill_id, acceptBy=t.pledge_accept_by)
        if terms_hash != t.pledge_terms_hash:
            raise Refused(
                "BillPledgeTermsMismatch", billId=bill_id, expected=t.pledge_terms_hash, given=terms_hash
            )
        t.pledge, t.pledge_accepted_at = PledgeState.ACTIVE, now
        self._commit(bill_id, t)

    def release_pledge(self, account: str, bill_id: int) -> None:
        actor = self._actor(account, discharge=True)
        t = replace(self._title(bill_id))
        if t.pledge == PledgeState.NONE:
            raise Refused("BillPledgeWrongStatus", billId=bill_id, status=0)
        if t.pledgee != actor:
            raise Refused("BillNotPledgee", billId=bill_id, org=actor)
        t.pledge, t.pledgee = PledgeState.NONE, 0
        self._commit(bill_id, t)

    def enforce_pledge(self, account: str, bill_id: int, default_uid: bytes, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        if t.pledge != PledgeState.ACTIVE:
            raise Refused("BillPledgeWrongStatus", billId=bill_id, status=int(t.pledge))
        if t.pledgee != actor:
            raise Refused("BillNotPledgee", billId=bill_id, org=actor)
        if now <= t.pledge_maturity:  # before maturity only on a qualifying default
            if default_uid == ZERO32:
                raise Refused("BillPledgeNotEnforceable", billId=bill_id, maturity=t.pledge_maturity)
            self._default(bill_id, t, actor, default_uid, now)
        t.prev_possessor, t.prev_holder = t.possessor, t.holder
        t.possessor, t.holder, t.pledge, t.pledgee = actor, actor, PledgeState.NONE, 0
        t.closed, t.rejectable, t.endorsed = False, False, False
        self._commit(bill_id, t)

    def _default(self, bill_id: int, t: Title, bank: int, uid: bytes, now: int) -> None:
        """The pledgee's own effective PLEDGE_DEFAULT about this pledge, attested after acceptance, whose
        notice period has run."""
        d = self.defaults.get(uid)
        if (
            d is None
            or not d.pledge_schema
            or d.subject != ids.pledge_subject(bill_id, t.pledge_nonce)
            or d.attester != bank
            or d.time <= t.pledge_accepted_at
            or d.revoked
            or self.orgs[d.attester].roles & BANK_BIT == 0
        ):
            raise Refused("BillPledgeDefaultInvalid", billId=bill_id, uid=uid)
        if now < d.time + t.pledge_notice:
            raise Refused(
                "BillPledgeNoticeRunning", billId=bill_id, uid=uid, enforceableAt=d.time + t.pledge_notice
            )

    # -- derived ------------------------------------------------------------------------------------
    def balances(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for t in self.titles.values():
            out[t.possessor] = out.get(t.possessor, 0) + 1
        return out


# ---------------------------------------------------------------------------------------------------
# Replay: rebuild titles from events alone
# ---------------------------------------------------------------------------------------------------


@dataclass
class Replayed:
    carrier: int
    kind: Kind
    possessor: int
    holder: int
    status: Status
    version: int
    checksum: bytes
    container_root: bytes = b""
    pledge: PledgeState = PledgeState.NONE
    pledgee: int = 0
    prev_holder: int = 0  # holder before the last transfer/endorsement, which REJECT restores
    history: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # (action, actor, recipient, reason)
    state: BillState | None = None  # the state word of the last BillActed


_NEEDS_NO_PLEDGE = frozenset(
    {
        Action.TRANSFER,
        Action.ENDORSE,
        Action.ENDORSE_TO_ORDER,
        Action.BLANK_ENDORSE,
        Action.SURRENDER_FOR_DELIVERY,
        Action.SURRENDER_FOR_AMENDMENT,
        Action.PLEDGE,
    }
)


def replay(events: Iterable[Any]) -> dict[int, Replayed]:
    """Rebuilds every title from decoded registry events (``name`` and ``args``), in log order.

    Uses only BillIssued (kind, consignee, version, checksum, container root) and BillActed (actor,
    recipient and the action and reason codes of its state word): possession, title holder, status,
    version and pledge follow from the action codes, and must agree, after every action, with the
    state word the event carries. Pledge request expiry is not visible here: a lapsed request reads as
    REQUESTED until an action that needs no pledge succeeds, exactly like the registry's stored state.
    """
    titles: dict[int, Replayed] = {}
    pending: dict[int, tuple[int, Kind, int, int, bytes, bytes]] = {}
    for e in events:
        a = e.args
        if e.name == "BillIssued":
            pending[a["billId"]] = (
                a["carrier"],
                Kind(a["kind"]),
                a["consignee"],
                a["version"],
                a["checksum"],
                a["containerRoot"],
            )
            continue
        if e.name != "BillActed":
            continue
        bill_id, actor, recipient = a["billId"], a["actor"], a["recipient"]
        action, reason, state = acted(a)
        if action == Action.ISSUE:
            carrier, kind, consignee, version, checksum, root = pending.pop(bill_id)
            holder = recipient if kind == Kind.NEGOTIABLE else consignee
            titles[bill_id] = Replayed(
                carrier, kind, recipient, holder, Status.ISSUED, version, checksum, root
            )
        t = titles[bill_id]
        t.history.append((int(action), actor, recipient, int(reason)))
        if action in _NEEDS_NO_PLEDGE:  # it succeeded, so any pledge request had lapsed (and is cleared)
            t.pledge, t.pledgee = PledgeState.NONE, 0
        if action == Action.TRANSFER:
            t.prev_holder, t.possessor = t.holder, recipient
        elif action in (Action.ENDORSE, Action.ENDORSE_TO_ORDER):
            t.prev_holder, t.holder = t.holder, recipient  # the title only; possession stays
        elif action == Action.BLANK_ENDORSE:
            t.holder = 0
        elif action == Action.REJECT:
            # By the possessor: a transfer rejected, possession returns. By the endorsee (holder, not
            # possessor): an endorsement rejected, only the title holder returns.
            if actor == t.possessor:
                t.possessor = recipient
            t.holder = t.prev_holder
        elif action == Action.SURRENDER_FOR_DELIVERY:
            t.possessor, t.status = recipient, Status.SURRENDER_PENDING_DELIVERY
        elif action == Action.SURRENDER_FOR_AMENDMENT:
            t.possessor, t.status = recipient, Status.SURRENDER_PENDING_AMENDMENT
        elif action == Action.SACC:
            t.status = (
                Status.ACCOMPLISHED
                if t.status == Status.SURRENDER_PENDING_DELIVERY
                else Status.SURRENDERED_FOR_AMENDMENT
            )
        elif action == Action.SREJ:
            t.possessor, t.status = recipient, Status.ISSUED
        elif action == Action.REISSUE:
            _, _, _, version, checksum, root = pending.pop(bill_id)
            t.possessor, t.status, t.version, t.checksum = recipient, Status.ISSUED, version, checksum
            t.container_root = root
        elif action == Action.VOID:
            t.status = Status.VOIDED
        elif action == Action.SWITCH_TO_PAPER:
            t.status = Status.SWITCHED_TO_PAPER
        elif action == Action.PLEDGE:
            t.pledge, t.pledgee = PledgeState.REQUESTED, recipient
        elif action == Action.ACCEPT_PLEDGE:
            t.pledge = PledgeState.ACTIVE
        elif action == Action.RELEASE_PLEDGE:
            t.pledge, t.pledgee = PledgeState.NONE, 0
        elif action == Action.ENFORCE_PLEDGE:
            t.possessor = t.holder = actor
            t.pledge, t.pledgee = PledgeState.NONE, 0
        derived = (t.possessor, t.holder, t.status.name, t.version, t.pledge.name, t.pledgee)
        carried = (
            state.possessor,
            state.holder,
            state.status,
            state.version,
            state.pledge_status,
            state.pledgee,
        )
        derived_title, carried_title = (t.carrier, t.kind.name), (state.carrier, state.kind)
        assert derived_title == carried_title, (
            f"{bill_id:#x}: issued as {derived_title}, state word {carried_title}"
        )
        assert derived == carried, (
            f"{action.name} on {bill_id:#x}: actions give {derived}, state word {carried}"
        )
        t.state = state
    return titles
