"""Reference model of the e-B/L title rules (DESIGN §1.2), written from the state machine and pledge tables.

Pure Python, no chain: the stateful test runs the same action on the model and on the
BillOfLadingRegistry and compares outcome (success, or the named refusal with its arguments) and
state after every step. The order in which a refusal is chosen when several apply is the published
order of checks: caller membership, caller suspension (except discharges), title existence, status,
the acting party, kind, endorsement rights, pledge, recipient.

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
    """DESIGN §1.5: uint256(keccak256(abi.encode(carrierOrgId, transportDocumentReference)))."""
    return int.from_bytes(keccak(abi_encode(["uint256", "string"], [carrier, reference])), "big")


def org_address(org: int) -> str:
    """Ids.orgAddress: the stable ERC-721 owner address of an organisation."""
    digest = keccak(abi_encode(["string", "uint256"], ["PortLedger.organisation", org]))
    return "0x" + digest[12:].hex()


def checksum_of(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


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
    pledge_expiry: int = 0
    rejectable: bool = False
    endorsed: bool = False  # the rejectable last action was an endorsement: its recipient is the holder
    prev_possessor: int = 0
    prev_holder: int = 0
    closed: bool = False  # holder by plain ENDORSE: cannot endorse further
    prev_closed: bool = False
    switch_requested: bool = False  # surrender for amendment with reason SWTP

    def pledge_effective(self, now: int) -> PledgeState:
        if self.pledge == PledgeState.REQUESTED and now > self.pledge_expiry:
            return PledgeState.NONE
        return self.pledge


@dataclass
class Org:
    roles: int
    suspended: bool = False


@dataclass
class Model:
    orgs: dict[int, Org] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    titles: dict[int, Title] = field(default_factory=dict)

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
        self, account: str, reference: str, kind: Kind, issue_to: int, consignee: int, checksum: bytes
    ) -> int:
        actor = self._actor(account)
        if self.orgs[actor].roles & CARRIER_BIT == 0:
            raise Refused("BillCallerLacksRole", org=actor, role=0)
        bill_id = title_id(actor, reference)
        if bill_id in self.titles:
            raise Refused("BillAlreadyIssued", billId=bill_id)
        if checksum == b"\x00" * 32:
            raise Refused("BillChecksumInvalid", checksum=checksum)
        if (kind == Kind.NEGOTIABLE) != (consignee == 0):
            raise Refused("BillConsigneeInvalid", consignee=consignee)
        self._party(issue_to, TITLE_PARTY)
        if consignee:
            self._party(consignee, TITLE_PARTY)
        holder = issue_to if kind == Kind.NEGOTIABLE else consignee
        self.titles[bill_id] = Title(actor, issue_to, holder, kind, checksum=checksum)
        return bill_id

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

    def reissue(self, account: str, bill_id: int, checksum: bytes) -> None:
        t = self._amendable(account, bill_id)
        if checksum in (b"\x00" * 32, t.checksum):
            raise Refused("BillChecksumInvalid", checksum=checksum)
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

    def request_pledge(self, account: str, bill_id: int, bank: int, expiry: int, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        self._status(bill_id, t, Status.ISSUED)
        self._possessor(bill_id, t, actor)
        if t.kind != Kind.NEGOTIABLE:
            raise Refused("BillNotNegotiable", billId=bill_id)
        self._unpledged(bill_id, t, now)
        if expiry <= now:
            raise Refused("BillPledgeExpired", billId=bill_id, expiry=expiry)
        self._party(bank, BANK_BIT)
        t.pledge, t.pledgee, t.pledge_expiry = PledgeState.REQUESTED, bank, expiry
        t.rejectable, t.endorsed = False, False
        self._commit(bill_id, t)

    def accept_pledge(self, account: str, bill_id: int, now: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        if t.pledge != PledgeState.REQUESTED:
            raise Refused("BillPledgeWrongStatus", billId=bill_id, status=int(t.pledge))
        if t.pledgee != actor:
            raise Refused("BillNotPledgee", billId=bill_id, org=actor)
        if now > t.pledge_expiry:
            raise Refused("BillPledgeExpired", billId=bill_id, expiry=t.pledge_expiry)
        t.pledge = PledgeState.ACTIVE
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

    def enforce_pledge(self, account: str, bill_id: int) -> None:
        actor = self._actor(account)
        t = replace(self._title(bill_id))
        if t.pledge != PledgeState.ACTIVE:
            raise Refused("BillPledgeWrongStatus", billId=bill_id, status=int(t.pledge))
        if t.pledgee != actor:
            raise Refused("BillNotPledgee", billId=bill_id, org=actor)
        t.prev_possessor, t.prev_holder = t.possessor, t.holder
        t.possessor, t.holder, t.pledge, t.pledgee = actor, actor, PledgeState.NONE, 0
        t.closed, t.rejectable, t.endorsed = False, False, False
        self._commit(bill_id, t)

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
    pledge: PledgeState = PledgeState.NONE
    pledgee: int = 0
    prev_holder: int = 0  # holder before the last transfer/endorsement, which REJECT restores
    history: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # (action, actor, recipient, reason)


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

    Uses only BillIssued (kind, consignee, version, checksum) and BillActed (actor, recipient, action,
    reason): possession, title holder, status, version and pledge follow from the action codes. Pledge
    request expiry is not visible here: a lapsed request reads as REQUESTED until an action that needs
    no pledge succeeds, exactly like the registry's stored state.
    """
    titles: dict[int, Replayed] = {}
    pending: dict[int, tuple[int, Kind, int, int, bytes]] = {}
    for e in events:
        a = e.args
        if e.name == "BillIssued":
            pending[a["billId"]] = (
                a["carrier"],
                Kind(a["kind"]),
                a["consignee"],
                a["version"],
                a["checksum"],
            )
            continue
        if e.name != "BillActed":
            continue
        bill_id, actor, recipient = a["billId"], a["actor"], a["recipient"]
        action, reason = Action(a["action"]), Reason(a["reason"])
        if action == Action.ISSUE:
            carrier, kind, consignee, version, checksum = pending.pop(bill_id)
            holder = recipient if kind == Kind.NEGOTIABLE else consignee
            titles[bill_id] = Replayed(carrier, kind, recipient, holder, Status.ISSUED, version, checksum)
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
            _, _, _, version, checksum = pending.pop(bill_id)
            t.possessor, t.status, t.version, t.checksum = recipient, Status.ISSUED, version, checksum
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
    return titles
