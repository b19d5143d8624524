"""Stateful property test: random sequences of title actions and pledges on the BillOfLadingRegistry,
checked step by step against the reference model (tests/contracts/model.py).

Each Hypothesis example runs inside an EVM snapshot. After every step: the outcome (success, or the
named error with its arguments) equals the model's; every title's state, ERC-721 owner and the
possession counters equal the model; a final title never moves again; a sea waybill never moves; a
straight B/L is only ever with its shipper, its consignee or its carrier; a pledge has exactly one
pledgee. At the end of each example the event log alone is replayed and must give the same titles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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
from tests.contracts.model import (
    FINAL,
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
from tests.contracts.roles_attestation import ALL_ROLES, EXTRA_ORGS, ROLE_KINDS, World
from tests.contracts.roles_bill import CID, ZERO32

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
UNKNOWN_ORG = 999


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
    if action == "requestPledge":
        return t.status == Status.ISSUED and t.kind == Kind.NEGOTIABLE and t.pledge == PledgeState.NONE
    if action in ("surrenderForAmendment", "surrenderForDelivery"):
        return t.status == Status.ISSUED and t.kind != Kind.SWB and t.pledge == PledgeState.NONE
    return t.status == Status.ISSUED


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
        self.counter = 0

    # -- helpers -----------------------------------------------------------------------------------
    def org(self, kind: str) -> int:
        return UNKNOWN_ORG if kind == "UNKNOWN" else self.world.org[kind]

    def account(self, kind: str) -> str:
        return self.world.caller(kind)

    def run(self, expect: Callable[[], None], fn: str, *args: Any, sender: str) -> bool:
        """Applies the action to the model and the chain; asserts the same outcome. True on success."""
        try:
            expect()
            refused: Refused | None = None
        except Refused as r:
            refused = r
        try:
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
    )
    def issue(self, kind: Kind, issuer: str, to: str, consignee: str) -> None:
        self.counter += 1
        ref = f"SM{self.counter:04d}"
        checksum = hashlib.sha256(ref.encode()).digest()
        cons = 0 if kind == Kind.NEGOTIABLE else self.org(consignee)
        result: list[int] = []

        def expect() -> None:
            result.append(self.model.issue(self.account(issuer), ref, kind, self.org(to), cons, checksum))

        ok = self.run(
            expect,
            "issue",
            ref,
            int(kind),
            self.org(to),
            cons,
            checksum,
            CID,
            ZERO32,
            sender=self.account(issuer),
        )
        if ok:
            bill_id = result[0]
            self.ids.append(bill_id)
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
        now = self.chain.latest_timestamp()
        m = self.model
        pledged_before = title.pledge_effective(now) != PledgeState.NONE
        expiry = now + PLEDGE_WINDOW
        new_checksum = hashlib.sha256(f"{bill}-{title.version}-{new_version}".encode()).digest()
        calls: dict[str, tuple[Callable[[], None], tuple[Any, ...]]] = {
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
            "reissue": (lambda: m.reissue(sender, bill, new_checksum), (bill, new_checksum, CID, ZERO32)),
            "switchToPaper": (lambda: m.switch_to_paper(sender, bill), (bill, ZERO32)),
            "voidTitle": (lambda: m.void(sender, bill), (bill, ZERO32)),
            "requestPledge": (
                lambda: m.request_pledge(sender, bill, to, expiry, now),
                (bill, to, 1_000_00, b"USD", b"\x11" * 32, expiry, ZERO32),
            ),
            "acceptPledge": (lambda: m.accept_pledge(sender, bill, now), (bill, ZERO32)),
            "releasePledge": (lambda: m.release_pledge(sender, bill), (bill, ZERO32)),
            "enforcePledge": (lambda: m.enforce_pledge(sender, bill), (bill, ZERO32)),
        }
        expect, args = calls[action]
        ok = self.run(expect, action, *args, sender=sender)
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
    )
    def act_as_intended_party(
        self, action: str, pick: int, actor_kind: str, recipient: str, reason: Reason
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
        self.act(action, pick, 0, actor_kind, recipient, reason, True)

    @rule(
        pick=st.integers(min_value=0, max_value=1_000),
        how=st.sampled_from(("transfer", "endorse", "endorseToOrder", "blankEndorse", "reject", "reject")),
    )
    def advance_chain(self, pick: int, how: str) -> None:
        """Moves some title down the endorsement chain (or has its last recipient reject it)."""
        self.act_as_intended_party(how, pick, "TRADER", "TRADER", Reason.NONE)

    @rule(
        pick=st.integers(min_value=0, max_value=1_000),
        finish=st.sampled_from(("releasePledge", "enforcePledge")),
    )
    def advance_pledge(self, pick: int, finish: str) -> None:
        """Takes some title one step further through the pledge overlay (request, accept, end)."""
        now = self.chain.latest_timestamp()
        titles = [self.model.titles[b] for b in self.ids]
        if any(t.pledge_effective(now) == PledgeState.ACTIVE for t in titles):
            action = finish
        elif any(t.pledge_effective(now) == PledgeState.REQUESTED for t in titles):
            action = "acceptPledge"
        else:
            action = "requestPledge"
        self.act_as_intended_party(action, pick, "BANK", "BANK", Reason.NONE)

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
        self.chain.increase_time(TIME_JUMP)

    # -- invariants --------------------------------------------------------------------------------
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
