"""Stateful property test: random sequences of title actions and pledges on the BillOfLadingRegistry,
checked step by step against the reference model (tests/contracts/model.py).

Each Hypothesis example runs inside an EVM snapshot. After every step: the outcome (success, or the
named error with its arguments) equals the model's; every title's state, ERC-721 owner and the
possession counters equal the model; a final title never moves again; a sea waybill never moves; a
straight B/L is only ever with its shipper, its consignee or its carrier; a pledge has exactly one
pledgee; the pledge record (nonce, deadline, maturity, notice, acceptance time, terms hash) and the
container root and issue time equal the model's. Pledges are requested on terms, accepted with their
hash (or refused with another's), and enforced at maturity or on ``PLEDGE_DEFAULT`` attestations the
machine makes (about the current pledge, an earlier or later one; some revoked). Every transaction is
mined at a block time the machine sets, so the model knows it exactly. At the end of each example the
event log alone is replayed and must give the same titles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger.chain import Contract, ContractRevert
from ledger.domain import ids
from ledger.domain.pledges import PledgeTerms
from tests.contracts.model import (
    FINAL,
    Default,
    Kind,
    Model,
    Org,
    PledgeState,
    Reason,
    Refused,
    Status,
    Title,
    org_address,
    replay,
)
from tests.contracts.roles_attestation import ALL_ROLES, EXTRA_ORGS, ROLE_KINDS, World, revoke
from tests.contracts.roles_bill import CID, CONTAINERS, ZERO32, pledge_default

# Who takes part: title parties, an ineligible member, a suspended member, an outsider, an unknown id.
ACTORS = ("CARRIER", "TRADER", "FORWARDER", "BANK", "TERMINAL", "SUSPENDED", "OUTSIDER")
RECIPIENTS = ("TRADER", "FORWARDER", "BANK", "CARRIER", "TERMINAL", "SUSPENDED", "UNKNOWN")
ACTIONS = (
    "transfer",
    "endorse",
    "endorseToOrder",
    "blankEndorse",
    "sign",
    "reject",
    "surrenderForDelivery",
    "surrenderForAmendment",
    "acceptSurrender",
    "rejectSurrender",
    "reissue",
    "switchToPaper",
    "voidTitle",
    "requestPledge",
    "acceptPledge",
    "releasePledge",
    "enforcePledge",
)
CARRIER_ACTIONS = {"acceptSurrender", "rejectSurrender", "reissue", "switchToPaper", "voidTitle"}
PLEDGEE_ACTIONS = {"acceptPledge", "releasePledge", "enforcePledge"}
MOVES = {
    "transfer",
    "endorse",
    "endorseToOrder",
    "blankEndorse",
    "surrenderForDelivery",
    "surrenderForAmendment",
}
# Weighted so that sequences reach the deep states (pledges, amendments) before titles end.
WEIGHTED_ACTIONS = (
    *ACTIONS,
    *("transfer", "transfer", "endorse", "endorseToOrder", "reject", "acceptSurrender", "rejectSurrender"),
    *("reissue", "requestPledge", "requestPledge", "acceptPledge", "acceptPledge", "releasePledge"),
    "enforcePledge",
)
PLEDGE_WINDOW = 3_000  # seconds a pledge request stays open
TIME_JUMP = 5_000  # a jump always lapses open requests, so no step lands near an expiry
# A short pledge matures by the next jump; a long one not within an example (40 steps), so that only a
# default enforces it. A notice period has run by the next jump. Steps between jumps take a second each.
SHORT_MATURITY = 1_000
LONG_MATURITY = 10_000_000
NOTICE = 2_000
MAX_UNREVOKED_PER_ATTESTER = 8  # AttestationRegistry: unrevoked attestations per (attester, subject, schema)
UNKNOWN_ORG = 999
ROOT = ids.container_root(CONTAINERS)
AMENDED_ROOT = ids.container_root(CONTAINERS[:2])


PENDING = (Status.SURRENDER_PENDING_DELIVERY, Status.SURRENDER_PENDING_AMENDMENT)


def _plausible(action: str, t: Title) -> bool:
    """Whether the action's status / pledge precondition holds for the title (for biased picking)."""
    if action == "acceptPledge":
        return t.pledge == PledgeState.REQUESTED
    if action == "releasePledge":
        return t.pledge != PledgeState.NONE
    if action == "enforcePledge":
        return t.pledge == PledgeState.ACTIVE
    if action in ("acceptSurrender", "rejectSurrender"):
        return t.status in PENDING
    if action in ("reissue", "switchToPaper", "voidTitle"):
        return t.status == Status.SURRENDERED_FOR_AMENDMENT
    if action == "reject":
        return t.rejectable
    if action == "requestPledge":  # a holder's, a blank title's, or a refused one (endorsed away, rejectable)
        return t.status == Status.ISSUED and t.kind == Kind.NEGOTIABLE and t.pledge == PledgeState.NONE
    if action in ("surrenderForAmendment", "surrenderForDelivery"):
        return t.status == Status.ISSUED and t.kind != Kind.SWB and t.pledge == PledgeState.NONE
    return t.status == Status.ISSUED


def _can_hand_over(t: Title) -> bool:
    """A negotiable, unpledged title whose possessor holds it and may endorse it."""
    return (
        t.status == Status.ISSUED
        and t.kind == Kind.NEGOTIABLE
        and t.pledge == PledgeState.NONE
        and t.holder == t.possessor
        and not t.closed
    )


def initial_model(world: World) -> Model:
    roles = {kind: 1 << i for i, kind in enumerate(ROLE_KINDS)} | dict(EXTRA_ORGS) | {"SUSPENDED": ALL_ROLES}
    model = Model()
    for kind, org in world.org.items():
        model.orgs[org] = Org(roles[kind], suspended=kind == "SUSPENDED")
        model.members[world.caller(kind)] = org
    return model


class TitleMachine(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.chain = self.world.chain
        assert self.world.bills is not None
        self.bills: Contract = self.world.bills
        self.snap = self.chain.snapshot()
        self.start_block = self.chain.block_number() + 1
        self.model = initial_model(self.world)
        self.ids: list[int] = []
        self.issued_to: dict[int, int] = {}
        self.consignee: dict[int, int] = {}
        self.final_possessor: dict[int, int] = {}
        self.defaults: list[bytes] = []
        self.touched: int | None = None
        self.counter = 0

    # -- helpers -----------------------------------------------------------------------------------
    def org(self, kind: str) -> int:
        return UNKNOWN_ORG if kind == "UNKNOWN" else self.world.org[kind]

    def account(self, kind: str) -> str:
        return self.world.caller(kind)

    def next_time(self) -> int:
        """The block time the next transaction is mined at (set by :meth:`run`)."""
        return self.chain.latest_timestamp() + 1

    def run(self, expect: Callable[[], object], fn: str, *args: Any, sender: str, now: int) -> bool:
        """Applies the action to the model and the chain (mined at block time ``now``); asserts the same
        outcome. True on success."""
        try:
            expect()
            refused: Refused | None = None
        except Refused as r:
            refused = r
        try:
            self.chain.rpc("evm_setNextBlockTimestamp", [now])
            self.bills.transact(fn, *args, sender=sender)
        except ContractRevert as revert:
            assert refused is not None, f"{fn}{args}: chain refused {revert}, model allowed it"
            assert revert.name == refused.name, f"{fn}: chain {revert}, model {refused}"
            assert revert.args == refused.arguments, f"{fn}: chain {revert}, model {refused}"
            return False
        assert refused is None, f"{fn}{args}: chain allowed it, model refused {refused}"
        return True

    # -- rules -------------------------------------------------------------------------------------
    @initialize(consignee=st.sampled_from(("FORWARDER", "TRADER", "BANK")))
    def issue_one_of_each_kind(self, consignee: str) -> None:
        """Start from titles of every kind so that action sequences begin at once."""
        for kind in (Kind.NEGOTIABLE, Kind.NEGOTIABLE, Kind.STRAIGHT, Kind.SWB):
            self.issue(kind, "CARRIER", "TRADER", consignee)

    @precondition(lambda self: len(self.ids) < 8)
    @rule(
        kind=st.sampled_from(list(Kind)),
        issuer=st.sampled_from(("CARRIER",) * 6 + ("TRADER", "SUSPENDED", "OUTSIDER")),
        to=st.sampled_from(("TRADER",) * 4 + ("FORWARDER", "BANK", "TERMINAL", "UNKNOWN")),
        consignee=st.sampled_from(("FORWARDER", "TRADER", "BANK")),
        root=st.sampled_from((ROOT,) * 7 + (ZERO32,)),
    )
    def issue(self, kind: Kind, issuer: str, to: str, consignee: str, root: bytes = ROOT) -> None:
        self.counter += 1
        ref = f"SM{self.counter:04d}"
        checksum = hashlib.sha256(ref.encode()).digest()
        cons = 0 if kind == Kind.NEGOTIABLE else self.org(consignee)
        result: list[int] = []
        now = self.next_time()

        def expect() -> None:
            result.append(
                self.model.issue(self.account(issuer), ref, kind, self.org(to), cons, checksum, root, now)
            )

        ok = self.run(
            expect,
            "issue",
            (ref, int(kind), self.org(to), cons, checksum, root, CID),
            ZERO32,
            sender=self.account(issuer),
            now=now,
        )
        if ok:
            bill_id = result[0]
            self.ids.append(bill_id)
            self.touched = bill_id
            self.issued_to[bill_id] = self.org(to)
            self.consignee[bill_id] = cons

    @rule(
        action=st.sampled_from(ACTIONS),
        pick=st.integers(min_value=0, max_value=1_000),
        actor_pick=st.integers(min_value=0, max_value=9),
        actor_kind=st.sampled_from(ACTORS),
        recipient=st.sampled_from(RECIPIENTS),
        reason=st.sampled_from((Reason.SWTP, Reason.COD, Reason.SWI)),
        new_version=st.booleans(),
        long_pledge=st.booleans(),
        notice=st.sampled_from((0, 0, NOTICE)),
        right_terms=st.sampled_from((True, True, True, False)),
        default_pick=st.integers(min_value=0, max_value=1_000),
    )
    def act(
        self,
        action: str,
        pick: int,
        actor_pick: int,
        actor_kind: str,
        recipient: str,
        reason: Reason,
        new_version: bool,
        long_pledge: bool = False,
        notice: int = 0,
        right_terms: bool = True,
        default_pick: int | None = None,
    ) -> None:
        bill = self.ids[pick % len(self.ids)]
        title = self.model.titles[bill]
        if actor_pick < 7:  # mostly the party the action is meant for, so that sequences go somewhere
            natural = title.possessor
            if action in CARRIER_ACTIONS:
                natural = title.carrier
            elif action in PLEDGEE_ACTIONS and title.pledgee:
                natural = title.pledgee
            elif action == "reject" and title.endorsed and title.holder:
                natural = title.holder  # the recipient of an endorsement is the endorsee, not the possessor
            kinds = [k for k in ACTORS if k != "OUTSIDER" and self.world.org[k] == natural]
            sender = self.account(kinds[0]) if kinds else self.account(actor_kind)
        else:
            sender = self.account(actor_kind)
        to = self.org(recipient)
        now = self.next_time()
        m = self.model
        pledged_before = title.pledge_effective(now) != PledgeState.NONE
        accept_by = now + PLEDGE_WINDOW
        pledge_terms = PledgeTerms(
            bank=to,
            amount=1_000_00,
            currency="USD",
            registration_ref=b"\x11" * 32,
            accept_by=accept_by,
            maturity=accept_by + (LONG_MATURITY if long_pledge else SHORT_MATURITY),
            notice_period=notice,
        )
        digest = title.pledge_terms_hash
        if not right_terms:  # the bank approves other terms than the request's
            digest = hashlib.sha256(b"other terms" + digest).digest()
        uid = self.default_for(bill, default_pick)
        new_checksum = hashlib.sha256(f"{bill}-{title.version}-{new_version}".encode()).digest()
        calls: dict[str, tuple[Callable[[], object], tuple[Any, ...]]] = {
            "transfer": (lambda: m.transfer(sender, bill, to, now), (bill, to, ZERO32)),
            "endorse": (lambda: m.endorse(sender, bill, to, False, now), (bill, to, ZERO32)),
            "endorseToOrder": (lambda: m.endorse(sender, bill, to, True, now), (bill, to, ZERO32)),
            "blankEndorse": (lambda: m.blank_endorse(sender, bill, now), (bill, ZERO32)),
            "sign": (lambda: m.sign(sender, bill), (bill, ZERO32)),
            "reject": (lambda: m.reject(sender, bill), (bill, ZERO32)),
            "surrenderForDelivery": (lambda: m.surrender(sender, bill, Reason.NONE, now), (bill, ZERO32)),
            "surrenderForAmendment": (
                lambda: m.surrender(sender, bill, reason, now),
                (bill, int(reason), ZERO32),
            ),
            "acceptSurrender": (lambda: m.answer_surrender(sender, bill, True), (bill, ZERO32)),
            "rejectSurrender": (lambda: m.answer_surrender(sender, bill, False), (bill, ZERO32)),
            "reissue": (
                lambda: m.reissue(sender, bill, new_checksum, AMENDED_ROOT, now),
                (bill, new_checksum, AMENDED_ROOT, CID, ZERO32),
            ),
            "switchToPaper": (lambda: m.switch_to_paper(sender, bill), (bill, ZERO32)),
            "voidTitle": (lambda: m.void(sender, bill), (bill, ZERO32)),
            "requestPledge": (
                lambda: m.request_pledge(sender, bill, pledge_terms, now),
                (bill, pledge_terms.as_struct(), ZERO32),
            ),
            "acceptPledge": (lambda: m.accept_pledge(sender, bill, digest, now), (bill, digest, ZERO32)),
            "releasePledge": (lambda: m.release_pledge(sender, bill), (bill, ZERO32)),
            "enforcePledge": (lambda: m.enforce_pledge(sender, bill, uid, now), (bill, uid, ZERO32)),
        }
        expect, args = calls[action]
        ok = self.run(expect, action, *args, sender=sender, now=now)
        self.touched = bill
        if ok and action in MOVES:
            # A title under a requested or active pledge never moves without the pledgee.
            assert not pledged_before, f"{action} succeeded on a pledged title"
        status = self.model.titles[bill].status
        if status in FINAL and bill not in self.final_possessor:
            self.final_possessor[bill] = self.model.titles[bill].possessor

    @rule(
        action=st.sampled_from(WEIGHTED_ACTIONS),
        pick=st.integers(min_value=0, max_value=1_000),
        actor_kind=st.sampled_from(ACTORS),
        recipient=st.sampled_from(RECIPIENTS),
        reason=st.sampled_from((Reason.SWTP, Reason.COD, Reason.SWI)),
        long_pledge=st.booleans(),
        notice=st.sampled_from((0, 0, NOTICE)),
    )
    def act_as_intended_party(
        self,
        action: str,
        pick: int,
        actor_kind: str,
        recipient: str,
        reason: Reason,
        long_pledge: bool = False,
        notice: int = 0,
        right_terms: bool = True,
    ) -> None:
        """``act`` with the intended party acting and a fitting recipient, so sequences get deep."""
        plausible = [i for i, b in enumerate(self.ids) if _plausible(action, self.model.titles[b])]
        if plausible:  # prefer titles on which the action can apply
            pick = plausible[pick % len(plausible)]
        title = self.model.titles[self.ids[pick % len(self.ids)]]
        if action == "requestPledge":
            recipient = "BANK"
        elif action in ("transfer", "endorse", "endorseToOrder"):
            fitting = [k for k in ("TRADER", "FORWARDER", "BANK") if self.world.org[k] != title.possessor]
            if title.kind == Kind.STRAIGHT:
                fitting = [k for k in fitting if self.world.org[k] == title.holder] or fitting
            recipient = fitting[pick % len(fitting)]
        self.act(action, pick, 0, actor_kind, recipient, reason, True, long_pledge, notice, right_terms)

    def default_for(self, bill: int, default_pick: int | None) -> bytes:
        """The default attestation enforcement is given: with ``default_pick`` None the most recent one
        about the title's current pledge (0 if none), else any known one or 0."""
        if default_pick is None:
            t = self.model.titles[bill]
            subject = ids.pledge_subject(bill, t.pledge_nonce)
            mine = [u for u in self.defaults if self.model.defaults[u].subject == subject]
            return mine[-1] if mine else ZERO32
        choices = [ZERO32, *self.defaults]
        return choices[default_pick % len(choices)]

    @rule(
        pick=st.integers(min_value=0, max_value=1_000),
        how=st.sampled_from(
            ("transfer", "endorse", "endorseToOrder", "blankEndorse", "reject", "reject", "handOver")
        ),
        blank=st.booleans(),
    )
    def advance_chain(self, pick: int, how: str, blank: bool) -> None:
        """Moves some title down the endorsement chain (or has its last recipient reject it, or hands it
        over and has the recipient try to pledge it at once)."""
        if how == "handOver" and any(_can_hand_over(self.model.titles[b]) for b in self.ids):
            self.pledge_in_rejection_window(pick, blank)
        else:
            self.act_as_intended_party(
                "transfer" if how == "handOver" else how, pick, "TRADER", "TRADER", Reason.NONE
            )

    @rule(
        pick=st.integers(min_value=0, max_value=1_000),
        finish=st.sampled_from(("releasePledge", "enforcePledge", "enforcePledge", "default")),
        long_pledge=st.booleans(),
        notice=st.sampled_from((0, 0, NOTICE)),
        right_terms=st.sampled_from((True, True, True, False)),
        shift=st.sampled_from((0, 0, 0, -1)),
    )
    def advance_pledge(
        self, pick: int, finish: str, long_pledge: bool, notice: int, right_terms: bool, shift: int
    ) -> None:
        """Takes some title further through the pledge overlay: request (which the bank mostly accepts at
        once, and sometimes at once declares in default and enforces), accept, default, end."""
        now = self.next_time()
        titles = [self.model.titles[b] for b in self.ids]
        active = [b for b in self.ids if self.model.titles[b].pledge_effective(now) == PledgeState.ACTIVE]
        if active:
            if finish == "default":  # the bank declares a default (mostly on this pledge) and enforces on it
                bill = active[pick % len(active)]
                self.declare_default(bill, self.model.titles[bill].pledge_nonce + shift)
                self.as_pledgee("enforcePledge", bill, latest_default=True)
            else:
                self.act_as_intended_party(finish, pick, "BANK", "BANK", Reason.NONE)
            return
        if any(t.pledge_effective(now) == PledgeState.REQUESTED for t in titles):
            self.act_as_intended_party(
                "acceptPledge", pick, "BANK", "BANK", Reason.NONE, right_terms=right_terms
            )
            return
        self.act_as_intended_party("requestPledge", pick, "BANK", "BANK", Reason.NONE, long_pledge, notice)
        touched = self.touched
        if touched is None or finish == "releasePledge":
            return
        bill = touched
        if self.model.titles[bill].pledge_effective(self.next_time()) == PledgeState.REQUESTED:
            self.as_pledgee("acceptPledge", bill, right_terms)
        if finish == "default" and self.model.titles[bill].pledge == PledgeState.ACTIVE:
            self.declare_default(bill, self.model.titles[bill].pledge_nonce)
            self.as_pledgee("enforcePledge", bill)

    def as_pledgee(
        self, action: str, bill: int, right_terms: bool = True, latest_default: bool = False
    ) -> None:
        """The pledgee of ``bill`` takes ``action`` on it (an enforcement on the latest default made, if
        ``latest_default``, else on the latest one about its current pledge)."""
        pick = len(self.defaults) if latest_default else None
        self.act(
            action,
            self.ids.index(bill),
            0,
            "BANK",
            "BANK",
            Reason.NONE,
            True,
            right_terms=right_terms,
            default_pick=pick,
        )

    def pledge_in_rejection_window(self, pick: int, blank: bool) -> None:
        """A holder hands the title over (endorsed to order to the recipient, or blank-endorsed, then
        transferred) and the recipient at once asks BANK for a pledge: refused while it may still reject."""
        ready = [i for i, b in enumerate(self.ids) if _can_hand_over(self.model.titles[b])]
        i = ready[pick % len(ready)]
        possessor = self.model.titles[self.ids[i]].possessor
        recipient = next(k for k in ("FORWARDER", "TRADER", "BANK") if self.world.org[k] != possessor)
        for action in ("blankEndorse" if blank else "endorseToOrder", "transfer", "requestPledge"):
            self.act(
                action, i, 0, "TRADER", "BANK" if action == "requestPledge" else recipient, Reason.NONE, True
            )

    @precondition(lambda self: any(self.model.titles[b].pledge_nonce for b in self.ids))
    @rule(pick=st.integers(min_value=0, max_value=1_000), shift=st.sampled_from((0, 0, 0, -1, 1)))
    def notice_default(self, pick: int, shift: int) -> None:
        """BANK attests a PLEDGE_DEFAULT about the pledge ``shift`` requests away from the latest one of
        some pledged title (an active one if there is)."""
        now = self.next_time()
        pledged = [b for b in self.ids if self.model.titles[b].pledge_nonce]
        active = [b for b in pledged if self.model.titles[b].pledge_effective(now) == PledgeState.ACTIVE]
        candidates = active or pledged
        bill = candidates[pick % len(candidates)]
        self.declare_default(bill, max(self.model.titles[bill].pledge_nonce + shift, 0))

    def declare_default(self, bill: int, nonce: int) -> None:
        """BANK attests a PLEDGE_DEFAULT about pledge ``nonce`` of ``bill``; the model learns of it. Skipped
        when BANK already keeps the most unrevoked attestations the registry allows on that subject."""
        subject = ids.pledge_subject(bill, nonce)
        live = [d for d in self.model.defaults.values() if d.subject == subject and not d.revoked]
        if len(live) >= MAX_UNREVOKED_PER_ATTESTER:
            return
        now = self.next_time()
        self.chain.rpc("evm_setNextBlockTimestamp", [now])
        uid = pledge_default(self.world, bill, nonce)
        assert self.world.attestations.call("attestation", uid)["time"] == now
        self.model.record_default(uid, Default(subject, self.world.org["BANK"], now))
        self.defaults.append(uid)

    @precondition(lambda self: any(not self.model.defaults[u].revoked for u in self.defaults))
    @rule(pick=st.integers(min_value=0, max_value=1_000))
    def withdraw_default(self, pick: int) -> None:
        """BANK revokes one of its defaults: it no longer counts."""
        live = [u for u in self.defaults if not self.model.defaults[u].revoked]
        uid = live[pick % len(live)]
        self.chain.rpc("evm_setNextBlockTimestamp", [self.next_time()])
        revoke(self.world, "BANK", "PLEDGE_DEFAULT", uid)
        self.model.record_default(uid, replace(self.model.defaults[uid], revoked=True))

    @rule(
        pick=st.integers(min_value=0, max_value=1_000),
        reason=st.sampled_from((Reason.SWTP, Reason.COD, Reason.SWI)),
        end=st.sampled_from(("reissue", "switchToPaper", "voidTitle", "rejectSurrender")),
    )
    def advance_amendment(self, pick: int, reason: Reason, end: str) -> None:
        """Takes some title one step further through an amendment (surrender, SACC/SREJ, outcome)."""
        statuses = {self.model.titles[b].status for b in self.ids}
        if Status.SURRENDERED_FOR_AMENDMENT in statuses and end != "rejectSurrender":
            action = end
        elif Status.SURRENDER_PENDING_AMENDMENT in statuses:
            action = "rejectSurrender" if end == "rejectSurrender" else "acceptSurrender"
        else:
            action = "surrenderForAmendment"
        self.act_as_intended_party(action, pick, "TRADER", "TRADER", reason)

    @rule()
    def time_passes(self) -> None:
        self.chain.rpc("evm_setNextBlockTimestamp", [self.chain.latest_timestamp() + TIME_JUMP])
        self.chain.mine()

    # -- invariants --------------------------------------------------------------------------------
    def records_equal_model(self, bill: int) -> None:
        """The title's pledge record (with its effective status) and issue facts equal the model's."""
        t = self.model.titles[bill]
        pledge = self.bills.call("pledgeOf", bill)
        assert (
            pledge["nonce"],
            pledge["acceptBy"],
            pledge["maturity"],
            pledge["noticePeriod"],
            pledge["acceptedAt"],
            bytes(pledge["termsHash"]),
        ) == (
            t.pledge_nonce,
            t.pledge_accept_by,
            t.pledge_maturity,
            t.pledge_notice,
            t.pledge_accepted_at,
            t.pledge_terms_hash,
        ), bill
        effective = t.pledge_effective(self.chain.latest_timestamp())
        assert (PledgeState(pledge["status"]), pledge["pledgee"]) == (
            effective,
            t.pledgee if effective != PledgeState.NONE else 0,
        ), bill
        root, issued_at = self.bills.call("issueFacts", bill)
        assert (bytes(root), issued_at) == (t.container_root, t.issued_at), bill

    @invariant()
    def acted_on_records_equal_model(self) -> None:
        """Those of the title the last step acted on (every title's at teardown)."""
        if self.touched is not None:
            self.records_equal_model(self.touched)
            self.touched = None

    @invariant()
    def chain_equals_model(self) -> None:
        for bill in self.ids:
            t = self.model.titles[bill]
            on_chain = self.bills.call("bill", bill)
            assert (
                on_chain["carrier"],
                on_chain["possessor"],
                on_chain["holder"],
                Status(on_chain["status"]),
                Kind(on_chain["kind"]),
                PledgeState(on_chain["pledgeStatus"]),
                on_chain["pledgee"],
                on_chain["version"],
                on_chain["prevPossessor"],
                on_chain["prevHolder"],
            ) == (
                t.carrier,
                t.possessor,
                t.holder,
                t.status,
                t.kind,
                t.pledge,
                t.pledgee,
                t.version,
                t.prev_possessor,
                t.prev_holder,
            ), bill
            assert self.bills.call("ownerOf", bill).lower() == org_address(t.possessor)
            assert (t.pledge == PledgeState.NONE) == (t.pledgee == 0)
            if bill in self.final_possessor:
                assert t.status in FINAL and t.possessor == self.final_possessor[bill]
            if t.kind == Kind.SWB:
                assert t.possessor == self.issued_to[bill] and t.status == Status.ISSUED
            if t.kind == Kind.STRAIGHT:
                assert t.possessor in (self.issued_to[bill], self.consignee[bill], t.carrier)
        balances = self.model.balances()
        assert sum(balances.values()) == len(self.ids)
        for kind in ("CARRIER", "TRADER", "FORWARDER", "BANK"):
            org = self.world.org[kind]
            assert self.bills.call("balanceOfOrg", org) == balances.get(org, 0), kind

    def teardown(self) -> None:
        try:
            for bill in self.ids:
                self.records_equal_model(bill)
            if self.ids:
                events = self.chain.get_logs(self.bills.address, self.start_block, self.chain.block_number())
                rebuilt = replay(events)
                assert set(rebuilt) == set(self.ids)
                for bill, r in rebuilt.items():
                    t = self.model.titles[bill]
                    assert (r.possessor, r.holder, r.status, r.version, r.checksum, r.kind) == (
                        t.possessor,
                        t.holder,
                        t.status,
                        t.version,
                        t.checksum,
                        t.kind,
                    ), bill
                    assert (r.pledge, r.pledgee) == (t.pledge, t.pledgee), bill
        finally:
            self.chain.revert(self.snap)


def test_random_title_actions_match_the_reference_model(world_base: World) -> None:
    TitleMachine.world = world_base
    run_state_machine_as_test(
        TitleMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=True,
        ),
    )
