"""The real contracts on a real anvil chain against a model written from docs/design.md alone.

tests/contracts/test_bill_stateful.py checks the registry against a model that copies the contract's own
rules; this test checks BillOfLadingRegistry, ContainerRelease and AttestationRegistry against
tests/contracts/design_model.py, which was written from the design (§1.2-§1.5) without reading the
implementations, so the two can disagree. Random organisations act, the wrong ones included (another
org, a bank that is not the pledgee, a holder that is not the possessor, an account of no member); after
every step the test compares allowed/refused with the model, reads the chain's views back and checks the
design's invariants on the chain's own state.

Seed: the first 8 hex digits of ``git rev-parse HEAD`` (``PORTLEDGER_STATEFUL_SEED`` overrides it; a
constant if git fails), printed at the start, so CI is stable per commit and a failure reproduces.
Examples: a small default; ``PORTLEDGER_STATEFUL_EXAMPLES=N`` runs N (and marks the module ``slow``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger.chain import ChainClient, Contract
from ledger.chain.client import Receipt
from ledger.domain import ids, schemas
from ledger.domain.errors import ContractRevert
from ledger.domain.values import iso6346_check_digit
from tests.contracts.design_model import (
    FINAL_STATUSES,
    ZERO32,
    Action,
    Allowed,
    Args,
    DesignModel,
    Kind,
    Org,
    Outcome,
    PledgeState,
    Reason,
    Refused,
    Report,
    ReportAction,
    RightStatus,
    Role,
    Status,
    Terms,
    Title,
    bill_container_subject,
    bill_subject,
    container_subject,
    pledge_subject,
    release_code_hash,
    right_id,
    terms_hash,
    title_id,
)

ROOT = Path(__file__).resolve().parents[2]
FALLBACK_SEED = 0x5EED1E55
DEFAULT_EXAMPLES = 12
STEPS = 45


def commit_seed() -> int:
    """First 8 hex digits of HEAD (or ``PORTLEDGER_STATEFUL_SEED``, or a constant when git fails)."""
    override = os.environ.get("PORTLEDGER_STATEFUL_SEED")
    if override:
        return int(override, 0)
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        return int(head[:8], 16)
    except (OSError, subprocess.SubprocessError, ValueError):
        return FALLBACK_SEED


SEED = commit_seed()
EXAMPLES = int(os.environ.get("PORTLEDGER_STATEFUL_EXAMPLES") or DEFAULT_EXAMPLES)
pytestmark = [pytest.mark.slow] if EXAMPLES > DEFAULT_EXAMPLES else []

CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
DEADLINE = 1 << 40
DAY = 86_400
TALLY: Counter[str] = Counter()
"""Accepted / refused actions over the whole run (printed at the end: shows what the run reached)."""
NOT_CUSTOM = {"Panic", "Error", "EmptyRevert", "UnknownRevert", "TransactionReverted"}

# name, roles, index into the session's dev accounts (30-39 are this module's).
ORGANISATIONS: tuple[tuple[str, frozenset[Role], int], ...] = (
    ("customs", frozenset({Role.CUSTOMS}), 30),
    ("carrier", frozenset({Role.CARRIER}), 31),
    ("trader_a", frozenset({Role.TRADER}), 32),
    ("trader_b", frozenset({Role.TRADER}), 33),
    ("trader_c", frozenset({Role.TRADER}), 34),
    ("bank_a", frozenset({Role.BANK}), 35),
    ("bank_b", frozenset({Role.BANK}), 36),
    ("terminal", frozenset({Role.TERMINAL}), 37),
    ("depot", frozenset({Role.TERMINAL}), 38),
    ("haulier", frozenset({Role.HAULIER}), 39),
)
TRADERS = ("trader_a", "trader_b", "trader_c")
PARTIES = (*TRADERS, "bank_a", "bank_b")
BANKS = ("bank_a", "bank_b")
ACTORS = (*(name for name, _, _ in ORGANISATIONS), "stranger")
# Extra member accounts (any active member account acts for its organisation) and one non-member.
EXTRA_ACCOUNTS = {
    "trader_a": "0x00000000000000000000000000000000DE5A0001",
    "bank_a": "0x00000000000000000000000000000000DE5A0002",
}
STRANGER = "0x00000000000000000000000000000000DE5A00FF"
ORACLE_KEYS: list[LocalAccount] = sorted(
    (Account.from_key(keccak(text=f"portledger design oracle {i}")) for i in range(3)),
    key=lambda a: int(a.address, 16),
)
ROGUE_KEY: LocalAccount = Account.from_key(keccak(text="portledger design rogue oracle"))


def _pool() -> list[str]:
    """Valid ISO 6346 numbers (category U, check digit not from a remainder of 10)."""
    out: list[str] = []
    for owner in ("MSKU", "CSQU", "TGHU", "HLXU"):
        for serial in range(100_000, 100_200, 37):
            ten = f"{owner}{serial:06d}"
            total = sum((int(ch) if ch.isdigit() else _letter(ch)) * (1 << i) for i, ch in enumerate(ten))
            if total % 11 != 10:
                out.append(ten + str(iso6346_check_digit(ten)))
    return out


def _letter(ch: str) -> int:
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        if letter == ch:
            return value
        value += 1
    raise ValueError(ch)


POOL = _pool()[:10]


def org_address(org: int) -> str:
    """contracts/types/Ids.sol orgAddress: the ERC-721 owner address of an organisation."""
    return "0x" + keccak(abi_encode(["string", "uint256"], ["PortLedger.organisation", org]))[-20:].hex()


# ---------------------------------------------------------------------------------------------- deployment


@dataclass
class Stack:
    chain: ChainClient
    consortium: Contract
    attestations: Contract
    bills: Contract
    release: Contract
    orgs: dict[str, int]
    accounts: dict[str, list[str]]
    base: str = ""


def deploy_stack(chain: ChainClient, accounts: list[str]) -> Stack:
    """As bench/gas.py deploy_core plus ContainerRelease, the organisations and the customs signer sets."""
    deployer = accounts[30]
    consortium = chain.deploy("Consortium", [deployer], 1, sender=deployer)
    attestations = chain.deploy("AttestationRegistry", consortium.address, sender=deployer)
    for definition in schemas.WELL_KNOWN_SCHEMAS.values():
        attestations.transact("registerSchema", definition.as_record(), sender=deployer)
    bills = chain.deploy(
        "BillOfLadingRegistry",
        consortium.address,
        attestations.address,
        schemas.PLEDGE_DEFAULT.schema_id,
        sender=deployer,
    )
    release = chain.deploy(
        "ContainerRelease",
        consortium.address,
        bills.address,
        attestations.address,
        schemas.CUSTOMS_RELEASE.schema_id,
        schemas.CUSTOMS_HOLD.schema_id,
        sender=deployer,
    )
    for cache in (attestations, bills, release):
        consortium.transact("attachCache", cache.address, sender=deployer)
    orgs: dict[str, int] = {}
    members: dict[str, list[str]] = {}
    for name, roles, index in ORGANISATIONS:
        mask = sum(1 << int(r) for r in roles)
        receipt = consortium.transact(
            "bootstrapAdmit",
            f"LEI-DESIGN-{name.upper()}",
            name,
            mask,
            ZERO32,
            accounts[index],
            sender=deployer,
        )
        orgs[name] = int(receipt.event("OrganisationAdmitted").args["org"])
        members[name] = [accounts[index]]
    signers = [k.address for k in ORACLE_KEYS]
    for definition in (schemas.CUSTOMS_RELEASE, schemas.CUSTOMS_HOLD):
        attestations.transact(
            "setReportSigners", orgs["customs"], definition.schema_id, signers, 2, sender=deployer
        )
    attestations.transact("sealSchemaBootstrap", sender=deployer)
    consortium.transact("sealBootstrap", sender=deployer)
    for address in (*EXTRA_ACCOUNTS.values(), STRANGER):
        chain.rpc("anvil_impersonateAccount", [address])
        chain.rpc("anvil_setBalance", [address, hex(10**24)])
    for name, address in EXTRA_ACCOUNTS.items():
        consortium.transact("addAccount", orgs[name], address, sender=members[name][0])
        members[name].append(address)
    members["stranger"] = [STRANGER]
    return Stack(chain, consortium, attestations, bills, release, orgs, members)


@pytest.fixture(scope="module")
def design_stack(chain: ChainClient, accounts: list[str]) -> Iterator[Stack]:
    snap = chain.snapshot()
    try:
        stack = deploy_stack(chain, accounts)
        stack.base = chain.snapshot()
        yield stack
    finally:
        chain.revert(snap)


# ---------------------------------------------------------------------------------------------- the machine


@dataclass
class Step:
    """What the last rule did (for the invariants' "why")."""

    action: str = ""
    bill: int | None = None
    actor: int = 0
    ok: bool = False


@dataclass
class Views:
    bill: dict[str, Any]
    pledge: dict[str, Any]


@dataclass
class Who:
    name: str
    org: int
    account: str


Choice = st.integers(min_value=0, max_value=1023)


class DesignMachine(RuleBasedStateMachine):
    stack: ClassVar[Stack]

    def __init__(self) -> None:
        super().__init__()
        s = self.stack
        self.s = s
        self.chain = s.chain
        self.model = DesignModel(now=self.chain.latest_timestamp())
        for name, roles, _ in ORGANISATIONS:
            self.model.admit(Org(s.orgs[name], name, roles))
        signers = [k.address for k in ORACLE_KEYS]
        self.model.set_signers(s.orgs["customs"], "CUSTOMS_RELEASE", signers, 2)
        self.model.set_signers(s.orgs["customs"], "CUSTOMS_HOLD", signers, 2)
        self.name_of = {org: name for name, org in s.orgs.items()}
        self.name_of[0] = "stranger"
        self.bill_ids: list[int] = []
        self.right_ids: list[bytes] = []
        self.refs = 0
        self.sources = 0
        self.codes = 0
        self.defaults: list[bytes] = []
        self.holds: list[bytes] = []
        self.codes_of: dict[bytes, bytes] = {}
        self.pledgors: dict[tuple[int, int], int] = {}
        self.surrendered_by: dict[int, int] = {}
        self.prev: dict[int, Views] = {}
        self.step = Step()
        self.log: list[str] = []

    def teardown(self) -> None:
        self.chain.revert(self.s.base)
        self.s.base = self.chain.snapshot()

    # ------------------------------------------------------------------ plumbing

    def _who(self, choice: int, natural: Sequence[str]) -> Who:
        """Mostly a natural actor for the action, one time in four anyone (the stranger included)."""
        pick = choice % 4 != 3 and bool(natural)
        pool = natural if pick else ACTORS
        name = pool[(choice // 4) % len(pool)]
        accounts = self.s.accounts[name]
        return Who(name, self.s.orgs.get(name, 0), accounts[(choice // 64) % len(accounts)])

    def _names(self, *orgs: int) -> list[str]:
        return [self.name_of[o] for o in orgs if o in self.name_of and o != 0]

    def _title(self, choice: int, want: Callable[[Title], bool]) -> Title | None:
        """Mostly a title the action fits, one time in four any title."""
        titles = [self.model.titles[b] for b in self.bill_ids]
        fitting = [t for t in titles if want(t)]
        pool = fitting if fitting and choice % 4 != 3 else titles
        return pool[(choice // 4) % len(pool)] if pool else None

    def _any_title(self, want: Callable[[Title], bool]) -> bool:
        return any(want(self.model.titles[b]) for b in self.bill_ids)

    def _send(self, contract: Contract, fn: str, *args: Any, sender: str) -> Receipt | ContractRevert:
        """One transaction executed at the model's time (the next block gets the latest block's time)."""
        self.chain.rpc("evm_setNextBlockTimestamp", [self.model.now])
        try:
            return contract.transact(fn, *args, sender=sender)
        except ContractRevert as revert:
            return revert

    def _agree(self, label: str, expected: Outcome, actual: Receipt | ContractRevert) -> bool:
        """Allowed iff the chain accepted; a refusal must be a custom error (the named one where the design
        names it)."""
        entry = f"{label}: model {expected}, chain {'ok' if isinstance(actual, Receipt) else actual}"
        self.log.append(entry)
        ok = isinstance(actual, Receipt)
        TALLY[f"{label.split()[0]} {'accepted' if ok else 'refused'}"] += 1
        if os.environ.get("DSX_DEBUG"):
            print(entry)
        if isinstance(expected, Allowed) != ok:
            raise AssertionError(
                f"DISAGREEMENT at {label}\n  design model: {expected}\n  contract: "
                f"{'accepted' if ok else actual}\n  seed {SEED:#010x}; steps so far:\n    "
                + "\n    ".join(self.log)
            )
        if isinstance(actual, ContractRevert):
            assert actual.name not in NOT_CUSTOM, f"{label}: refused without a custom error: {actual}"
            if isinstance(expected, Refused) and expected.error is not None:
                assert actual.name == expected.error, f"{label}: design names {expected.error}, got {actual}"
        return ok

    def _bill_step(
        self, action: Action, t: Title, who: Who, fn: str, *args: Any, margs: Args | None = None
    ) -> bool:
        expected = self.model.act(who.org, action, t.bill_id, margs)
        actual = self._send(self.s.bills, fn, t.bill_id, *args, sender=who.account)
        ok = self._agree(f"{action.name} {t.reference} by {who.name}", expected, actual)
        self.step = Step(action.name, t.bill_id, who.org, ok)
        if ok and action in (Action.SURRENDER_FOR_DELIVERY, Action.SURRENDER_FOR_AMENDMENT):
            self.surrendered_by[t.bill_id] = who.org
        return ok

    # ------------------------------------------------------------------ issue

    def _issue(
        self, kind: Kind, who: Who, issue_to: str, consignee: str | None, containers: list[str], ref: str
    ) -> None:
        to, cons = self.s.orgs.get(issue_to, 0), self.s.orgs[consignee] if consignee else 0
        checksum = hashlib.sha256(f"{ref}/1".encode()).digest()
        expected = self.model.issue(who.org, ref, kind, to, cons, checksum, containers)
        request = (ref, int(kind), to, cons, checksum, ids.container_root(containers), CID)
        actual = self._send(self.s.bills, "issue", request, ZERO32, sender=who.account)
        label = f"ISSUE {kind.name} {ref} to {issue_to}/{consignee} by {who.name} {containers}"
        ok = self._agree(label, expected, actual)
        self.step = Step("ISSUE", None, who.org, ok)
        if ok:
            assert isinstance(actual, Receipt)
            bill_id = int(actual.event("BillIssued").args["billId"])
            assert bill_id == title_id(who.org, ref), (
                "title id is not keccak256(abi.encode(carrier, reference))"
            )
            if bill_id not in self.bill_ids:
                self.bill_ids.append(bill_id)

    @initialize(
        kinds=st.lists(st.sampled_from(list(Kind)), min_size=2, max_size=2),
        picks=st.lists(Choice, min_size=4, max_size=4),
    )
    def issue_first(self, kinds: list[Kind], picks: list[int]) -> None:
        for i, kind in enumerate(kinds):
            self._issue_kind(kind, 0, picks[2 * i], picks[2 * i + 1], [i, i + 2], new_ref=True)

    def _issue_kind(
        self, kind: Kind, who_choice: int, to_choice: int, cons_choice: int, cs: list[int], new_ref: bool
    ) -> None:
        who = self._who(who_choice, ["carrier"])
        issue_to = (
            PARTIES[to_choice % len(PARTIES)] if to_choice % 8 != 7 else ACTORS[to_choice % len(ACTORS)]
        )
        consignee: str | None = None
        if kind is not Kind.NEGOTIABLE:
            others = [p for p in PARTIES if p != issue_to]
            consignee = others[cons_choice % len(others)]
        if new_ref or not self.bill_ids:
            self.refs += 1
            ref = f"DSGN{self.refs:04d}"
        else:
            ref = self.model.titles[self.bill_ids[cons_choice % len(self.bill_ids)]].reference
        containers = [POOL[c % len(POOL)] for c in dict.fromkeys(cs)]
        self._issue(kind, who, issue_to, consignee, containers, ref)

    @precondition(lambda self: len(self.bill_ids) < 6)
    @rule(
        kind=st.sampled_from(list(Kind)),
        who=Choice,
        to=Choice,
        cons=Choice,
        cs=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3, unique=True),
        new_ref=st.booleans(),
    )
    def issue(self, kind: Kind, who: int, to: int, cons: int, cs: list[int], new_ref: bool) -> None:
        self._issue_kind(kind, who, to, cons, cs, new_ref or cons % 5 != 0)

    # ------------------------------------------------------------------ §1.2 title actions

    def _titled(self, t: Title) -> bool:
        """A negotiable title whose possessor is its holder (or blank): it may be endorsed or pledged."""
        return t.kind is Kind.NEGOTIABLE and t.holder in (0, t.possessor)

    def _issued(self, t: Title) -> bool:
        return t.status is Status.ISSUED and self.model.pledge_state(t) is PledgeState.NONE

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice, to=Choice)
    def transfer(self, b: int, who: int, to: int) -> None:
        t = self._title(b, lambda t: self._issued(t) and t.kind is not Kind.SWB)
        assert t is not None
        actor = self._who(who, self._names(t.possessor))
        natural = self._names(t.consignee) if t.kind is Kind.STRAIGHT and to % 3 else list(PARTIES)
        recipient = self._who(to, natural)
        self._bill_step(
            Action.TRANSFER, t, actor, "transfer", recipient.org, ZERO32, margs=Args(to=recipient.org)
        )

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice, to=Choice, to_order=st.booleans())
    def endorse(self, b: int, who: int, to: int, to_order: bool) -> None:
        t = self._title(b, lambda t: self._issued(t) and self._titled(t))
        assert t is not None
        actor = self._who(who, self._names(t.possessor))
        recipient = self._who(to, list(PARTIES))
        action, fn = (Action.ENDORSE_TO_ORDER, "endorseToOrder") if to_order else (Action.ENDORSE, "endorse")
        self._bill_step(action, t, actor, fn, recipient.org, ZERO32, margs=Args(to=recipient.org))

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice)
    def blank_endorse(self, b: int, who: int) -> None:
        t = self._title(b, lambda t: self._issued(t) and self._titled(t) and t.holder != 0)
        assert t is not None
        actor = self._who(who, self._names(t.possessor, t.holder))
        self._bill_step(Action.BLANK_ENDORSE, t, actor, "blankEndorse", ZERO32)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice)
    def sign(self, b: int, who: int) -> None:
        t = self._title(b, lambda t: t.status is Status.ISSUED)
        assert t is not None
        actor = self._who(who, self._names(t.possessor))
        self._bill_step(Action.SIGN, t, actor, "sign", ZERO32)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice)
    def reject(self, b: int, who: int) -> None:
        t = self._title(b, lambda t: t.last is not None)
        assert t is not None
        natural = self._names(t.last.recipient) if t.last is not None else self._names(t.possessor, t.holder)
        self._bill_step(Action.REJECT, t, self._who(who, natural), "reject", ZERO32)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice, delivery=st.booleans(), reason=st.sampled_from(list(Reason)))
    def surrender(self, b: int, who: int, delivery: bool, reason: Reason) -> None:
        t = self._title(b, lambda t: self._issued(t) and t.kind is not Kind.SWB)
        assert t is not None
        actor = self._who(who, self._names(t.possessor))
        if delivery:
            self._bill_step(Action.SURRENDER_FOR_DELIVERY, t, actor, "surrenderForDelivery", ZERO32)
        else:
            self._bill_step(
                Action.SURRENDER_FOR_AMENDMENT,
                t,
                actor,
                "surrenderForAmendment",
                int(reason),
                ZERO32,
                margs=Args(reason=reason),
            )

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice, accept=st.booleans())
    def answer_surrender(self, b: int, who: int, accept: bool) -> None:
        pending = (Status.SURRENDER_PENDING_DELIVERY, Status.SURRENDER_PENDING_AMENDMENT)
        t = self._title(b, lambda t: t.status in pending)
        assert t is not None
        actor = self._who(who, ["carrier"])
        if accept:
            self._bill_step(Action.SACC, t, actor, "acceptSurrender", ZERO32)
        else:
            self._bill_step(Action.SREJ, t, actor, "rejectSurrender", ZERO32)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(
        b=Choice,
        who=Choice,
        cs=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3, unique=True),
        same_checksum=st.integers(0, 7),
    )
    def reissue(self, b: int, who: int, cs: list[int], same_checksum: int) -> None:
        t = self._title(b, lambda t: t.status is Status.SURRENDERED_FOR_AMENDMENT)
        assert t is not None
        actor = self._who(who, ["carrier"])
        containers = tuple(POOL[c] for c in cs)
        checksum = (
            t.checksum
            if same_checksum == 0
            else hashlib.sha256(f"{t.reference}/{t.version + 1}".encode()).digest()
        )
        root = ids.container_root(containers)
        self._bill_step(
            Action.REISSUE,
            t,
            actor,
            "reissue",
            checksum,
            root,
            CID,
            ZERO32,
            margs=Args(checksum=checksum, containers=containers),
        )

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, who=Choice, switch=st.booleans())
    def finish_amendment(self, b: int, who: int, switch: bool) -> None:
        t = self._title(b, lambda t: t.status is Status.SURRENDERED_FOR_AMENDMENT)
        assert t is not None
        actor = self._who(who, ["carrier"])
        if switch:
            self._bill_step(Action.SWITCH_TO_PAPER, t, actor, "switchToPaper", ZERO32)
        else:
            self._bill_step(Action.VOID, t, actor, "voidTitle", ZERO32)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(
        action=st.sampled_from(list(Action)[1:]),
        b=st.integers(0, 63),
        who=st.integers(0, 63),
        to=st.integers(0, 63),
    )
    def anything(self, action: Action, b: int, who: int, to: int) -> None:
        """Any title action on any title by anyone (most of them are not listed and must be refused)."""
        t = self.model.titles[self.bill_ids[b % len(self.bill_ids)]]
        actor = self._who(3 + 4 * who, [])
        recipient = self._who(3 + 4 * to, [])
        calls: dict[Action, tuple[str, tuple[Any, ...], Args]] = {
            Action.TRANSFER: ("transfer", (recipient.org, ZERO32), Args(to=recipient.org)),
            Action.ENDORSE: ("endorse", (recipient.org, ZERO32), Args(to=recipient.org)),
            Action.ENDORSE_TO_ORDER: ("endorseToOrder", (recipient.org, ZERO32), Args(to=recipient.org)),
            Action.BLANK_ENDORSE: ("blankEndorse", (ZERO32,), Args()),
            Action.SIGN: ("sign", (ZERO32,), Args()),
            Action.SURRENDER_FOR_DELIVERY: ("surrenderForDelivery", (ZERO32,), Args()),
            Action.SURRENDER_FOR_AMENDMENT: ("surrenderForAmendment", (2, ZERO32), Args(reason=Reason.COD)),
            Action.SACC: ("acceptSurrender", (ZERO32,), Args()),
            Action.SREJ: ("rejectSurrender", (ZERO32,), Args()),
            Action.REJECT: ("reject", (ZERO32,), Args()),
            Action.VOID: ("voidTitle", (ZERO32,), Args()),
            Action.SWITCH_TO_PAPER: ("switchToPaper", (ZERO32,), Args()),
            Action.RELEASE_PLEDGE: ("releasePledge", (ZERO32,), Args()),
            Action.ENFORCE_PLEDGE: ("enforcePledge", (ZERO32, ZERO32), Args()),
        }
        if action is Action.REISSUE:
            checksum = hashlib.sha256(f"{t.reference}/x{to}".encode()).digest()
            containers = (POOL[to % len(POOL)],)
            root = ids.container_root(containers)
            margs = Args(checksum=checksum, containers=containers)
            self._bill_step(action, t, actor, "reissue", checksum, root, CID, ZERO32, margs=margs)
        elif action is Action.PLEDGE:
            self._pledge(t, actor, self._who(3 + 4 * to, []).org, DAY, 30 * DAY, DAY, 0)
        elif action is Action.ACCEPT_PLEDGE:
            p = t.pledge
            self._bill_step(
                action,
                t,
                actor,
                "acceptPledge",
                p.terms_hash if p else ZERO32,
                ZERO32,
                margs=Args(terms_hash=p.terms_hash if p else ZERO32),
            )
        elif action in calls:
            fn, args, margs = calls[action]
            self._bill_step(action, t, actor, fn, *args, margs=margs)

    # ------------------------------------------------------------------ §1.2 pledge overlay

    def _pledge(
        self, t: Title, who: Who, bank: int, accept_in: int, maturity_in: int, notice: int, variant: int
    ) -> None:
        now = self.model.now
        accept_by = now + accept_in
        maturity = accept_by + maturity_in
        if variant == 1:
            accept_by = now  # not in the future
        elif variant == 2:
            maturity = accept_by  # not after acceptBy
        terms = Terms(
            bank=bank,
            amount=1_000_000 + accept_in,
            currency="USD",
            registration_ref=keccak(text=f"MPR-{t.reference}-{t.pledge_nonce + 1}"),
            accept_by=accept_by,
            maturity=maturity,
            notice_period=notice,
        )
        ok = self._bill_step(
            Action.PLEDGE, t, who, "requestPledge", terms.as_struct(), ZERO32, margs=Args(terms=terms)
        )
        if ok:
            assert t.pledge is not None
            self.pledgors[(t.bill_id, t.pledge.nonce)] = who.org

    @precondition(lambda self: bool(self.bill_ids))
    @rule(
        b=Choice,
        who=Choice,
        bank=Choice,
        accept_in=st.sampled_from([1, 60, DAY]),
        maturity_in=st.sampled_from([1, 3600, 10 * DAY]),
        notice=st.sampled_from([0, 60, 2 * DAY]),
        variant=st.integers(0, 15),
    )
    def request_pledge(
        self, b: int, who: int, bank: int, accept_in: int, maturity_in: int, notice: int, variant: int
    ) -> None:
        t = self._title(b, lambda t: self._issued(t) and self._titled(t) and t.last is None)
        assert t is not None
        actor = self._who(who, self._names(t.possessor))
        pledgee = self._who(bank, list(BANKS))
        self._pledge(t, actor, pledgee.org, accept_in, maturity_in, notice, variant)

    def _pledged(self, *states: PledgeState) -> Callable[[Title], bool]:
        return lambda t: self.model.pledge_state(t) in states

    @precondition(lambda self: any(self.model.titles[b].pledge is not None for b in self.bill_ids))
    @rule(b=Choice, who=Choice, variant=st.integers(0, 7))
    def accept_pledge(self, b: int, who: int, variant: int) -> None:
        """With the right terms hash, or with the hash of other terms, another nonce, or garbage."""
        t = self._title(b, self._pledged(PledgeState.REQUESTED))
        assert t is not None
        p = t.pledge or (t.pledge_history[t.pledge_nonce] if t.pledge_nonce else None)
        actor = self._who(who, self._names(p.bank) if p else list(BANKS))
        if p is None:
            given = keccak(text="no pledge")
        elif variant == 5:
            other = replace(p.terms, amount=p.terms.amount + 1)
            given = terms_hash(t.bill_id, p.nonce, p.pledgor, other)
        elif variant == 6:
            given = terms_hash(t.bill_id, p.nonce + 1, p.pledgor, p.terms)
        elif variant == 7:
            older = t.pledge_history.get(p.nonce - 1)
            given = older.terms_hash if older else keccak(text="older")
        else:
            given = p.terms_hash
        self._bill_step(
            Action.ACCEPT_PLEDGE, t, actor, "acceptPledge", given, ZERO32, margs=Args(terms_hash=given)
        )

    @precondition(lambda self: any(self.model.titles[b].pledge is not None for b in self.bill_ids))
    @rule(b=Choice, who=Choice)
    def release_pledge(self, b: int, who: int) -> None:
        t = self._title(b, self._pledged(PledgeState.REQUESTED, PledgeState.ACTIVE))
        assert t is not None
        actor = self._who(who, self._names(t.pledge.bank) if t.pledge else list(BANKS))
        self._bill_step(Action.RELEASE_PLEDGE, t, actor, "releasePledge", ZERO32)

    @precondition(lambda self: any(self.model.titles[b].pledge is not None for b in self.bill_ids))
    @rule(b=Choice, who=Choice, which=st.integers(0, 7))
    def enforce_pledge(self, b: int, who: int, which: int) -> None:
        """At/after maturity (no default), or on a default: this pledge's, another bank's, an earlier
        pledge's, a revoked one, garbage."""
        t = self._title(b, self._pledged(PledgeState.ACTIVE))
        assert t is not None
        actor = self._who(who, self._names(t.pledge.bank) if t.pledge else list(BANKS))
        uid = ZERO32
        if which >= 3 and self.defaults:
            mine = [u for u in self.defaults if self.model.attestations[u].subject == self._pledge_subject(t)]
            pool = mine if mine and which < 6 else self.defaults
            uid = pool[which % len(pool)]
        elif which == 2:
            uid = keccak(text="no such default")
        self._bill_step(
            Action.ENFORCE_PLEDGE, t, actor, "enforcePledge", uid, ZERO32, margs=Args(default_uid=uid)
        )

    def _pledge_subject(self, t: Title) -> bytes:
        return pledge_subject(t.bill_id, t.pledge_nonce)

    @precondition(lambda self: any(self.model.titles[b].pledge_nonce for b in self.bill_ids))
    @rule(b=Choice, who=Choice, earlier=st.integers(0, 5))
    def attest_default(self, b: int, who: int, earlier: int) -> None:
        """A PLEDGE_DEFAULT by a bank (mostly the pledgee) about the current pledge, or an earlier one."""
        t = self._title(b, lambda t: t.pledge_nonce > 0)
        assert t is not None
        nonce = max(t.pledge_nonce - (earlier == 0), 1)
        subject = pledge_subject(t.bill_id, nonce)
        pledgee = t.pledge_history[t.pledge_nonce].bank if t.pledge_nonce else 0
        actor = self._who(who, self._names(pledgee))
        data = schemas.PLEDGE_DEFAULT.encode(
            {
                "reasonCode": "NON_PAYMENT",
                "noticeGivenAt": self.model.now,
                "noticeHash": keccak(text="notice"),
            }
        )
        request = (schemas.PLEDGE_DEFAULT.schema_id, subject, ZERO32, data)
        actual = self._send(self.s.attestations, "attest", request, sender=actor.account)
        uid = self._uid(actual, "Attested")
        expected = self.model.attest(actor.org, "PLEDGE_DEFAULT", subject, uid)
        ok = self._agree(f"PLEDGE_DEFAULT {t.reference}#{nonce} by {actor.name}", expected, actual)
        self.step = Step("ATTEST", None, actor.org, ok)
        if ok:
            self.defaults.append(uid)

    @precondition(lambda self: bool(self.defaults))
    @rule(i=Choice, who=Choice)
    def revoke_default(self, i: int, who: int) -> None:
        uid = self.defaults[i % len(self.defaults)]
        actor = self._who(who, self._names(self.model.attestations[uid].attester))
        expected = self.model.revoke(actor.org, uid)
        actual = self._send(self.s.attestations, "revoke", uid, sender=actor.account)
        self.step = Step(
            "REVOKE", None, actor.org, self._agree(f"revoke default by {actor.name}", expected, actual)
        )

    def _uid(self, actual: Receipt | ContractRevert, event: str) -> bytes:
        if isinstance(actual, Receipt):
            return bytes(actual.event(event).args["uid"])
        return keccak(text=f"refused-{len(self.log)}")

    # ------------------------------------------------------------------ time

    @rule(mark=Choice, small=st.sampled_from([1, 59, 3600, DAY]))
    def advance_time(self, mark: int, small: int) -> None:
        """Jump to an interesting boundary (acceptBy, maturity, notice end, window ends, ±1) or by a delta."""
        now = self.model.now
        marks: set[int] = set()
        for b in self.bill_ids:
            p = self.model.titles[b].pledge
            if p is not None:
                marks |= {p.terms.accept_by, p.terms.accept_by + 1, p.terms.maturity, p.terms.maturity + 1}
                for uid in self.defaults:
                    att = self.model.attestations[uid]
                    marks |= {att.time + p.terms.notice_period - 1, att.time + p.terms.notice_period}
        for r in self.model.rights.values():
            marks |= {r.valid_from - 1, r.valid_from, r.valid_until, r.valid_until + 1}
        ahead = sorted(m for m in marks if m > now)
        goal = ahead[(mark // 2) % len(ahead)] if ahead and mark % 2 else now + small
        self.chain.rpc("evm_setNextBlockTimestamp", [goal])  # exact, whatever the wall clock did meanwhile
        self.chain.increase_time(goal - now)
        landed = self.chain.latest_timestamp()
        assert landed >= goal, f"time went to {landed}, wanted {goal}"
        self.model.advance(landed - now)
        self.log.append(f"time +{landed - now}s -> {landed}")
        self.step = Step("TIME")

    # ------------------------------------------------------------------ §1.4 customs reports

    def _report(
        self,
        schema: str,
        subject: bytes,
        label: str,
        signer_choice: int,
        action: ReportAction,
        target: bytes,
        replay: bool,
    ) -> bytes | None:
        definition = schemas.CUSTOMS_RELEASE if schema == "CUSTOMS_RELEASE" else schemas.CUSTOMS_HOLD
        customs = self.s.orgs["customs"]
        self.sources += 1
        source = keccak(text=f"design-source-{self.sources - (1 if replay and self.sources > 1 else 0)}")
        last = self.model.last_sequence.get((customs, schema, subject), 0)
        sequence = last if signer_choice == 9 else last + 1
        if action is ReportAction.REVOKE:
            data = b""
        elif schema == "CUSTOMS_RELEASE":
            data = definition.encode(
                {
                    "declarationNumber": f"D{self.sources}",
                    "customsOfficeCode": "2201",
                    "releasedAt": self.model.now,
                }
            )
        else:
            data = definition.encode(
                {
                    "declarationNumber": f"D{self.sources}",
                    "reasonCode": "INSPECTION",
                    "heldAt": self.model.now,
                }
            )
        msg = schemas.ReportMessage(
            customs,
            definition.schema_id,
            subject,
            source,
            sequence,
            data,
            DEADLINE,
            schemas.ReportAction(int(action)),
            target,
        )
        subsets: list[list[LocalAccount]] = [
            ORACLE_KEYS[:2],
            ORACLE_KEYS[1:],
            [ORACLE_KEYS[0], ORACLE_KEYS[2]],
            ORACLE_KEYS,
            ORACLE_KEYS[:2],
            ORACLE_KEYS[1:],
            [ORACLE_KEYS[0]],  # below threshold
            [ORACLE_KEYS[1], ORACLE_KEYS[0]],  # descending
            sorted([ORACLE_KEYS[0], ROGUE_KEY], key=lambda a: int(a.address, 16)),  # one not of the set
            ORACLE_KEYS[:2],  # stale sequence
        ]
        keys = subsets[signer_choice % len(subsets)]
        typed = schemas.report_typed_data(msg, self.chain.chain_id, self.s.attestations.address)
        signatures = [bytes(Account.sign_typed_data(k.key, full_message=typed).signature) for k in keys]
        relayer = self.s.accounts["haulier"][0]  # anyone may relay
        actual = self._send(
            self.s.attestations, "submitReport", msg.as_struct(), data, signatures, sender=relayer
        )
        uid = self._uid(actual, "ReportAccepted")
        model_report = Report(
            customs,
            action,
            schema,
            subject,
            source,
            sequence,
            DEADLINE,
            tuple(k.address for k in keys),
            target,
        )
        expected = self.model.submit_report(model_report, uid)
        ok = self._agree(
            f"{action.name} {schema} {label} signers={signer_choice % len(subsets)}", expected, actual
        )
        self.step = Step("REPORT", None, customs, ok)
        return uid if ok else None

    def _subject(self, t: Title, where: int, container_choice: int) -> tuple[bytes, str]:
        container = (list(t.containers) + POOL)[container_choice % (len(t.containers) + 1)]
        if where == 0:
            return bill_subject(t.bill_id), f"bill {t.reference}"
        if where == 1:
            return bill_container_subject(t.bill_id, container), f"{t.reference}/{container}"
        return container_subject(container), f"container {container}"

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, where=st.integers(0, 2), c=Choice, signers=st.integers(0, 9), replay=st.integers(0, 9))
    def customs_release(self, b: int, where: int, c: int, signers: int, replay: int) -> None:
        """CUSTOMS_RELEASE on the bill, on the container under it, or (which never counts) the bare one."""
        t = self._title(b, lambda t: self.model.entitled(t) is not None)
        assert t is not None
        subject, label = self._subject(t, where, c)
        self._report("CUSTOMS_RELEASE", subject, label, signers, ReportAction.ATTEST, ZERO32, replay == 0)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, where=st.integers(0, 2), c=Choice, signers=st.integers(0, 9))
    def customs_hold(self, b: int, where: int, c: int, signers: int) -> None:
        t = self._title(b, lambda t: self.model.entitled(t) is not None)
        assert t is not None
        subject, label = self._subject(t, where, c)
        uid = self._report("CUSTOMS_HOLD", subject, label, signers, ReportAction.ATTEST, ZERO32, False)
        if uid is not None:
            self.holds.append(uid)

    @precondition(lambda self: bool(self.holds) or bool(self.model.attestations))
    @rule(i=Choice, signers=st.integers(0, 9))
    def customs_revoke(self, i: int, signers: int) -> None:
        """A REVOKE report of a hold (mostly), of an already revoked hold, or of a release (facts are not
        revocable)."""
        customs_atts = [a for a in self.model.attestations.values() if a.schema != "PLEDGE_DEFAULT"]
        pool = self.holds if self.holds and i % 4 != 3 else [a.uid for a in customs_atts] or self.holds
        if not pool:
            return
        att = self.model.attestations[pool[(i // 4) % len(pool)]]
        self._report(att.schema, att.subject, "revoke", signers, ReportAction.REVOKE, att.uid, False)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, hold=st.booleans(), revoke=st.booleans())
    def customs_direct(self, b: int, hold: bool, revoke: bool) -> None:
        """Reports-only schemas refuse direct attest and revoke, even by the customs organisation."""
        t = self.model.titles[self.bill_ids[b % len(self.bill_ids)]]
        customs = self._who(0, ["customs"])
        schema = "CUSTOMS_HOLD" if hold else "CUSTOMS_RELEASE"
        if revoke and self.holds:
            uid = self.holds[b % len(self.holds)]
            expected = self.model.revoke(customs.org, uid)
            actual = self._send(self.s.attestations, "revoke", uid, sender=customs.account)
        else:
            definition = schemas.CUSTOMS_HOLD if hold else schemas.CUSTOMS_RELEASE
            values = (
                {"declarationNumber": "DIRECT", "reasonCode": "X", "heldAt": 1}
                if hold
                else {
                    "declarationNumber": "DIRECT",
                    "customsOfficeCode": "2201",
                    "releasedAt": 1,
                }
            )
            request = (definition.schema_id, bill_subject(t.bill_id), ZERO32, definition.encode(values))
            actual = self._send(self.s.attestations, "attest", request, sender=customs.account)
            expected = self.model.attest(
                customs.org, schema, bill_subject(t.bill_id), self._uid(actual, "Attested")
            )
        self.step = Step(
            "DIRECT", None, customs.org, self._agree(f"direct {schema} revoke={revoke}", expected, actual)
        )

    # ------------------------------------------------------------------ §1.3 release rights

    @precondition(lambda self: bool(self.bill_ids))
    @rule(
        b=Choice,
        who=Choice,
        picks=st.lists(st.integers(0, 15), min_size=1, max_size=3),
        terminal=st.integers(0, 9),
        depot=st.integers(0, 5),
        window=st.integers(0, 9),
    )
    def grant(self, b: int, who: int, picks: list[int], terminal: int, depot: int, window: int) -> None:
        t = self._title(b, lambda t: self.model.entitled(t) is not None)
        assert t is not None
        actor = self._who(who, ["carrier"])
        listed = list(t.containers)
        unlisted = [c for c in POOL if c not in listed]
        containers = [listed[p % len(listed)] if p < 12 else unlisted[p % len(unlisted)] for p in picks]
        proofs = [ids.container_proof(listed if c in listed else [*listed, c], c) for c in containers]
        term = self.s.orgs[
            (
                "terminal",
                "terminal",
                "terminal",
                "terminal",
                "terminal",
                "terminal",
                "depot",
                "haulier",
                "trader_a",
                "terminal",
            )[terminal]
        ]
        dep = (
            0,
            0,
            self.s.orgs["depot"],
            self.s.orgs["depot"],
            self.s.orgs["terminal"],
            self.s.orgs["haulier"],
        )[depot]
        now = self.model.now
        start, end = {
            0: (now, now + DAY),
            1: (now + 3600, now + 2 * DAY),
            2: (now - 60, now + 60),
            3: (now, now + 1),
            4: (now + 100, now + 100),
            5: (now - 1000, now - 1),
        }.get(window, (now, now + 7 * DAY))
        expected = self.model.grant(actor.org, t.bill_id, containers, term, dep, start, end)
        actual = self._send(
            self.s.release,
            "grant",
            t.bill_id,
            containers,
            proofs,
            (term, dep, start, end),
            sender=actor.account,
        )
        ok = self._agree(
            f"GRANT {t.reference} {containers} by {actor.name} window={window}", expected, actual
        )
        self.step = Step("GRANT", t.bill_id, actor.org, ok)
        if ok:
            assert isinstance(actual, Receipt)
            granted = [
                bytes(e.args["rightId"]) for e in self.s.release.events(actual) if e.name == "ReleaseGranted"
            ]
            assert granted == [right_id(t.bill_id, c) for c in containers], "right ids are not per §1.5"
            for rid in granted:
                if rid not in self.right_ids:
                    self.right_ids.append(rid)

    def _right(self, i: int) -> bytes:
        return self.right_ids[i % len(self.right_ids)]

    @precondition(lambda self: bool(self.right_ids))
    @rule(i=Choice, who=Choice, nominee=Choice)
    def nominate(self, i: int, who: int, nominee: int) -> None:
        rid = self._right(i)
        r = self.model.rights[rid]
        actor = self._who(who, self._names(r.holder))
        to = self._who(nominee, ["haulier", "trader_b", "trader_c"])
        expected = self.model.nominate(actor.org, rid, to.org)
        actual = self._send(self.s.release, "nominate", rid, to.org, sender=actor.account)
        self.step = Step(
            "NOMINATE",
            r.bill_id,
            actor.org,
            self._agree(f"NOMINATE {r.container} to {to.name} by {actor.name}", expected, actual),
        )

    @precondition(lambda self: bool(self.right_ids))
    @rule(i=Choice, who=Choice, clear=st.integers(0, 5))
    def set_release_code(self, i: int, who: int, clear: int) -> None:
        rid = self._right(i)
        r = self.model.rights[rid]
        actor = self._who(who, self._names(r.holder))
        self.codes += 1
        code = keccak(text=f"design code {self.codes}")[:16]
        code_hash = ZERO32 if clear == 0 else release_code_hash(rid, keccak(code))
        expected = self.model.set_release_code(actor.org, rid, code_hash)
        actual = self._send(self.s.release, "setReleaseCode", rid, code_hash, sender=actor.account)
        ok = self._agree(f"CODE {r.container} by {actor.name} clear={clear == 0}", expected, actual)
        self.step = Step("CODE", r.bill_id, actor.org, ok)
        if ok:
            self.codes_of[rid] = code

    @precondition(lambda self: bool(self.right_ids))
    @rule(i=Choice, who=Choice)
    def revoke_right(self, i: int, who: int) -> None:
        rid = self._right(i)
        r = self.model.rights[rid]
        actor = self._who(who, ["carrier"])
        expected = self.model.revoke_right(actor.org, rid)
        actual = self._send(self.s.release, "revoke", rid, sender=actor.account)
        self.step = Step(
            "REVOKE_RIGHT",
            r.bill_id,
            actor.org,
            self._agree(f"REVOKE right {r.container} by {actor.name}", expected, actual),
        )

    @precondition(lambda self: bool(self.right_ids))
    @rule(i=Choice, who=Choice, haulier=st.integers(0, 7), code=st.integers(0, 3))
    def gate_out(self, i: int, who: int, haulier: int, code: int) -> None:
        """The holder's haulier, another haulier, none (0) with the right code, a wrong code or none."""
        if i % 8 == 7:  # a container of a bill that may have no right
            t = self.model.titles[self.bill_ids[i % len(self.bill_ids)]]
            bill_id, container = t.bill_id, (list(t.containers) + POOL)[(i // 8) % (len(t.containers) + 1)]
        else:
            r0 = self.model.rights[self._right(i)]
            bill_id, container = r0.bill_id, r0.container
        rid = right_id(bill_id, container)
        r = self.model.rights.get(rid)
        actor = self._who(who, self._names(r.terminal) if r else ["terminal"])
        holder = r.holder if r else 0
        truck = (holder, holder, holder, 0, 0, self.s.orgs["haulier"], self.s.orgs["trader_c"], 0)[haulier]
        stored = self.codes_of.get(rid)
        digest = (
            keccak(stored) if stored else keccak(text="none"),
            keccak(text="wrong code"),
            ZERO32,
            keccak(stored) if stored else ZERO32,
        )[code]
        eir: tuple[Any, ...] = (
            True,
            keccak(text="seal"),
            [],
            keccak(text="PLATE"),
            self.model.now,
            keccak(text="EIR-out"),
        )
        expected = self.model.gate_out(actor.org, bill_id, container, truck, digest)
        actual = self._send(
            self.s.release, "gateOut", bill_id, container, truck, digest, eir, sender=actor.account
        )
        ok = self._agree(
            f"GATE_OUT {container} truck={self.name_of.get(truck, truck)} code={code} by {actor.name}",
            expected,
            actual,
        )
        self.step = Step("GATE_OUT", bill_id, actor.org, ok)
        if ok:
            self._check_gate_out(bill_id, container)

    @precondition(lambda self: any(r.status is RightStatus.GATED_OUT for r in self.model.rights.values()))
    @rule(i=Choice, who=Choice)
    def gate_in(self, i: int, who: int) -> None:
        out = [r for r in self.model.rights.values() if r.status is RightStatus.GATED_OUT]
        r = out[i % len(out)] if i % 4 != 3 else self.model.rights[self._right(i)]
        actor = self._who(who, self._names(r.terminal, r.depot))
        eir: tuple[Any, ...] = (
            False,
            ZERO32,
            ["DENT"],
            keccak(text="PLATE"),
            self.model.now,
            keccak(text="EIR-in"),
        )
        expected = self.model.gate_in(actor.org, r.bill_id, r.container)
        actual = self._send(self.s.release, "gateIn", r.bill_id, r.container, eir, sender=actor.account)
        self.step = Step(
            "GATE_IN",
            r.bill_id,
            actor.org,
            self._agree(f"GATE_IN {r.container} by {actor.name}", expected, actual),
        )

    # ------------------------------------------------------------------ journeys
    # Random single steps rarely line up the long natural paths (pledge → accept → maturity → enforce,
    # surrender → accept → re-issue, accomplish → grant → release → gate-out), so these rules walk one
    # title along such a path, every step by its natural actor and every step compared with the model
    # exactly as the single-step rules are. A title that does not fit just gets refusals.

    def _advance_to(self, goal: int) -> None:
        now = self.model.now
        if goal <= now:
            return
        self.chain.rpc("evm_setNextBlockTimestamp", [goal])
        self.chain.increase_time(goal - now)
        landed = self.chain.latest_timestamp()
        self.model.advance(landed - now)
        self.log.append(f"time +{landed - now}s -> {landed}")

    def _natural(self, *orgs: int) -> Who:
        names = self._names(*orgs)
        return self._who(0, names) if names else self._who(3, [])

    def _fresh_or(self, b: int, want: Callable[[Title], bool]) -> Title:
        """A title that fits ``want`` (mostly), else a new negotiable one issued to a trader."""
        if not self._any_title(want) and len(self.bill_ids) < 10:
            self.refs += 1
            ref = f"DSGN{self.refs:04d}"
            containers = [POOL[b % len(POOL)], POOL[(b + 1) % len(POOL)]]
            carrier = self._who(0, ["carrier"])
            self._issue(Kind.NEGOTIABLE, carrier, TRADERS[b % len(TRADERS)], None, containers, ref)
        t = self._title(b, want)
        assert t is not None
        return t

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, bank=st.integers(0, 1), notice=st.sampled_from([0, 60, DAY]))
    def journey_pledge(self, b: int, bank: int, notice: int) -> None:
        """The holder in possession pledges to a bank, which accepts the exact terms."""
        t = self._fresh_or(b, lambda t: self._issued(t) and self._titled(t) and t.last is None)
        pledgee = self._who(0, [BANKS[bank]])
        self._pledge(t, self._natural(t.possessor), pledgee.org, DAY, 10 * DAY, notice, 0)
        t = self.model.titles[t.bill_id]
        if t.pledge is not None and self.model.pledge_state(t) is PledgeState.REQUESTED:
            given = t.pledge.terms_hash
            self._bill_step(
                Action.ACCEPT_PLEDGE, t, pledgee, "acceptPledge", given, ZERO32, margs=Args(terms_hash=given)
            )

    @precondition(lambda self: any(self.model.titles[b].pledge is not None for b in self.bill_ids))
    @rule(b=Choice, by_default=st.booleans(), early=st.booleans())
    def journey_enforce(self, b: int, by_default: bool, early: bool) -> None:
        """The pledgee enforces after maturity, or on its own default once the notice has run (``early``:
        one second before the boundary, which must be refused, then at it)."""
        t = self._title(b, self._pledged(PledgeState.ACTIVE))
        assert t is not None
        p = t.pledge
        if p is None or self.model.pledge_state(t) is not PledgeState.ACTIVE:
            return
        bank = self._natural(p.bank)
        uid = ZERO32
        if by_default:
            subject = self._pledge_subject(t)
            data = schemas.PLEDGE_DEFAULT.encode(
                {"reasonCode": "NON_PAYMENT", "noticeGivenAt": self.model.now, "noticeHash": keccak(text="n")}
            )
            self._advance_to(self.model.now + 1)  # strictly after the acceptance
            request = (schemas.PLEDGE_DEFAULT.schema_id, subject, ZERO32, data)
            actual = self._send(self.s.attestations, "attest", request, sender=bank.account)
            uid = self._uid(actual, "Attested")
            expected = self.model.attest(bank.org, "PLEDGE_DEFAULT", subject, uid)
            if not self._agree(f"PLEDGE_DEFAULT {t.reference} (journey) by {bank.name}", expected, actual):
                return
            self.defaults.append(uid)
            goal = self.model.attestations[uid].time + p.terms.notice_period
        else:
            goal = p.terms.maturity + 1
        margs = Args(default_uid=uid)
        if early and goal - 1 > self.model.now:
            self._advance_to(goal - 1)
            self._bill_step(Action.ENFORCE_PLEDGE, t, bank, "enforcePledge", uid, ZERO32, margs=margs)
            if self.model.pledge_state(t) is not PledgeState.ACTIVE:
                return  # matured meanwhile: the early attempt was rightly allowed
        self._advance_to(goal)
        self._bill_step(Action.ENFORCE_PLEDGE, t, bank, "enforcePledge", uid, ZERO32, margs=margs)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(
        b=Choice,
        reason=st.sampled_from(list(Reason)),
        cs=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3, unique=True),
        finish=st.integers(0, 3),
    )
    def journey_amend(self, b: int, reason: Reason, cs: list[int], finish: int) -> None:
        """Surrender for amendment, the carrier accepts, then re-issues with a new container list (or
        switches to paper, or voids)."""
        t = self._title(b, lambda t: self._issued(t) and t.kind is not Kind.SWB)
        assert t is not None
        carrier = self._who(0, ["carrier"])
        self._bill_step(
            Action.SURRENDER_FOR_AMENDMENT,
            t,
            self._natural(t.possessor),
            "surrenderForAmendment",
            int(reason),
            ZERO32,
            margs=Args(reason=reason),
        )
        t = self.model.titles[t.bill_id]
        if t.status is not Status.SURRENDER_PENDING_AMENDMENT:
            return
        self._bill_step(Action.SACC, t, carrier, "acceptSurrender", ZERO32)
        t = self.model.titles[t.bill_id]
        if finish == 1:
            self._bill_step(Action.SWITCH_TO_PAPER, t, carrier, "switchToPaper", ZERO32)
        elif finish == 2:
            self._bill_step(Action.VOID, t, carrier, "voidTitle", ZERO32)
        else:
            containers = tuple(POOL[c] for c in cs)
            checksum = hashlib.sha256(f"{t.reference}/{t.version + 1}".encode()).digest()
            margs = Args(checksum=checksum, containers=containers)
            root = ids.container_root(containers)
            self._bill_step(Action.REISSUE, t, carrier, "reissue", checksum, root, CID, ZERO32, margs=margs)

    @precondition(lambda self: bool(self.bill_ids))
    @rule(b=Choice, where=st.integers(0, 2), c=Choice, truck=st.integers(0, 2))
    def journey_gate(self, b: int, where: int, c: int, truck: int) -> None:
        """Surrender for delivery and accomplish (if not yet), grant the first listed container, a customs
        release on the bill, the bill's container or (never enough) the bare container, then gate-out."""
        t = self._fresh_or(
            b, lambda t: t.status in (Status.ISSUED, Status.ACCOMPLISHED) and t.kind is not Kind.SWB
        )
        carrier = self._who(0, ["carrier"])
        if t.status is Status.ISSUED and self.model.pledge_state(t) is PledgeState.NONE:
            self._bill_step(
                Action.SURRENDER_FOR_DELIVERY, t, self._natural(t.possessor), "surrenderForDelivery", ZERO32
            )
            t = self.model.titles[t.bill_id]
            if t.status is Status.SURRENDER_PENDING_DELIVERY:
                self._bill_step(Action.SACC, t, carrier, "acceptSurrender", ZERO32)
                t = self.model.titles[t.bill_id]
        if self.model.entitled(t) is None:
            return
        container = t.containers[0]
        rid = right_id(t.bill_id, container)
        if rid not in self.model.rights:
            now = self.model.now
            terms = (self.s.orgs["terminal"], self.s.orgs["depot"], now, now + DAY)
            proof = [ids.container_proof(list(t.containers), container)]
            expected = self.model.grant(carrier.org, t.bill_id, [container], *terms)
            actual = self._send(
                self.s.release, "grant", t.bill_id, [container], proof, terms, sender=carrier.account
            )
            if not self._agree(f"GRANT {t.reference} [{container}] (journey)", expected, actual):
                return
            self.right_ids.append(rid)
        subject, label = self._subject(t, where, 0)
        self._report("CUSTOMS_RELEASE", subject, label, 0, ReportAction.ATTEST, ZERO32, False)
        r = self.model.rights[rid]
        holder = (r.holder, 0, self.s.orgs["trader_c"])[truck]
        eir: tuple[Any, ...] = (
            True,
            keccak(text="seal"),
            [],
            keccak(text="PLATE"),
            self.model.now,
            keccak(text="E"),
        )
        terminal = self._natural(r.terminal)
        expected_out = self.model.gate_out(terminal.org, t.bill_id, container, holder, ZERO32)
        actual_out = self._send(
            self.s.release, "gateOut", t.bill_id, container, holder, ZERO32, eir, sender=terminal.account
        )
        name = self.name_of.get(holder, holder)
        ok = self._agree(f"GATE_OUT {container} truck={name} (journey)", expected_out, actual_out)
        self.step = Step("GATE_OUT", t.bill_id, terminal.org, ok)
        if ok:
            self._check_gate_out(t.bill_id, container)

    # ------------------------------------------------------------------ invariants

    def _check_gate_out(self, bill_id: int, container: str) -> None:
        """A gate-out succeeds only for a container on the current version, with an effective customs
        release for this bill attested at or after that version's issue, and no effective hold on the bill,
        the bill-bound container or the bare container (read from the chain, not the model)."""
        t = self.model.titles[bill_id]
        root, issued_at = self.s.bills.call("issueFacts", bill_id)
        assert container in t.containers and ids.verify_container(
            bytes(root), container, ids.container_proof(t.containers, container)
        ), f"gate-out of {container}, not on the current version"
        release = schemas.CUSTOMS_RELEASE.schema_id
        hold = schemas.CUSTOMS_HOLD.schema_id
        on_bill = self.s.attestations.call("effectiveSince", bill_subject(bill_id), release, issued_at)
        on_box = self.s.attestations.call(
            "effectiveSince", bill_container_subject(bill_id, container), release, issued_at
        )
        assert bytes(on_bill) != ZERO32 or bytes(on_box) != ZERO32, (
            "gate-out without a customs release since issue"
        )
        for subject in (
            bill_subject(bill_id),
            bill_container_subject(bill_id, container),
            container_subject(container),
        ):
            assert bytes(self.s.attestations.call("latestEffective", subject, hold)) == ZERO32, (
                "gate-out under a hold"
            )
        assert self.model.release_ready(t, container) is None

    @invariant()
    def chain_matches_design(self) -> None:
        s = self.s
        if not self.bill_ids and not self.right_ids:
            return
        requests: list[tuple[str, tuple[Any, ...]]] = []
        for b in self.bill_ids:
            requests += [
                ("bill", (b,)),
                ("pledgeOf", (b,)),
                ("issueFacts", (b,)),
                ("documentChecksum", (b,)),
                ("ownerOf", (b,)),
            ]
        answers = s.bills.calls(requests)
        now = self.chain.latest_timestamp()
        assert now == self.model.now, f"chain time {now} is not the model's {self.model.now}"
        views: dict[int, Views] = {}
        for i, b in enumerate(self.bill_ids):
            bill, pledge, facts, checksum, owner = answers[5 * i : 5 * i + 5]
            t = self.model.titles[b]
            where = f"{t.reference} ({t.kind.name}) after {self.log[-1] if self.log else 'start'}"
            got = (
                bill["carrier"],
                bill["possessor"],
                bill["holder"],
                Status(bill["status"]),
                Kind(bill["kind"]),
                bill["version"],
            )
            want = (t.carrier, t.possessor, t.holder, t.status, t.kind, t.version)
            assert got == want, (
                f"{where}: chain (carrier, possessor, holder, status, kind, version) {got}, design {want}"
            )
            assert bytes(checksum) == t.checksum, f"{where}: checksum"
            assert bytes(facts[0]) == ids.container_root(t.containers)[:24], f"{where}: container root"
            assert facts[1] == t.issued_at, f"{where}: issue time {facts[1]}, design {t.issued_at}"
            assert str(owner).lower() == org_address(t.possessor), (
                f"{where}: ownerOf is not the possessor's address"
            )
            state = self.model.pledge_state(t)
            assert PledgeState(pledge["status"]) is state, (
                f"{where}: pledge {PledgeState(pledge['status']).name}, design {state.name}"
            )
            assert pledge["nonce"] == t.pledge_nonce, (
                f"{where}: pledge nonce {pledge['nonce']}, design {t.pledge_nonce}"
            )
            p = t.pledge
            if state is not PledgeState.NONE and p is not None:
                got_p = (
                    pledge["pledgee"],
                    pledge["acceptBy"],
                    pledge["maturity"],
                    pledge["noticePeriod"],
                    bytes(pledge["termsHash"]),
                    pledge["acceptedAt"],
                )
                want_p = (
                    p.bank,
                    p.terms.accept_by,
                    p.terms.maturity,
                    p.terms.notice_period,
                    p.terms_hash,
                    p.accepted_at or 0,
                )
                assert got_p == want_p, f"{where}: pledge {got_p}, design {want_p}"
                assert (bill["pledgee"], PledgeState(bill["pledgeStatus"])) == (p.bank, state), (
                    f"{where}: bill word pledge"
                )
            elif p is None:
                assert (bill["pledgee"], bill["pledgeStatus"]) == (0, 0), (
                    f"{where}: pledge fields after the pledge ended"
                )
            views[b] = Views(bill, pledge)
            self._check_transition(b, views[b])
        self.prev = views
        if self.right_ids:
            rights = s.release.calls(
                [(fn, (rid,)) for rid in self.right_ids for fn in ("releaseRight", "releaseCodeOf")]
            )
            for i, rid in enumerate(self.right_ids):
                got_r, code = rights[2 * i], rights[2 * i + 1]
                r = self.model.rights[rid]
                got_right = (
                    got_r["carrier"],
                    got_r["holder"],
                    got_r["terminal"],
                    got_r["depot"],
                    got_r["validFrom"],
                    got_r["validUntil"],
                    RightStatus(got_r["status"]),
                )
                want_right = (r.carrier, r.holder, r.terminal, r.depot, r.valid_from, r.valid_until, r.status)
                assert got_right == want_right, (
                    f"right {r.container} after {self.log[-1]}: chain {got_right}, design {want_right}"
                )
                if r.status is RightStatus.GRANTED:
                    assert bytes(code) == r.code_hash, f"right {r.container}: release code hash"

    def _check_transition(self, b: int, now: Views) -> None:
        """The design's invariants on the chain's own state, before vs after the last step."""
        before = self.prev.get(b)
        step = self.step
        if step.ok and step.action == "PLEDGE" and step.bill == b:
            assert before is not None and before.pledge["status"] == PledgeState.NONE, (
                "a second pledge on one title"
            )
        if before is None:
            return
        old, new = before.bill, now.bill
        here = step.bill == b and step.ok
        if old["status"] in FINAL_STATUSES:
            assert (new, now.pledge) == (old, before.pledge), f"a final title changed: {old} -> {new}"
        moved = (old["possessor"], old["holder"]) != (new["possessor"], new["holder"])
        if before.pledge["status"] != PledgeState.NONE and moved:
            assert here and step.action == "ENFORCE_PLEDGE" and step.actor == before.pledge["pledgee"], (
                f"a pledged title moved by {step}: {old} -> {new}"
            )
        holder = old["holder"]
        if holder != 0 and new["holder"] != holder:
            nonce = before.pledge["nonce"]
            why = here and (
                step.actor == holder
                or step.action == "REJECT"
                or (step.action == "ENFORCE_PLEDGE" and self.pledgors.get((b, nonce)) == holder)
                or (
                    step.action in {"SACC", "SREJ", "REISSUE", "VOID", "SWITCH_TO_PAPER"}
                    and self.surrendered_by.get(b) == holder
                )
            )
            assert why, (
                f"title holder {holder} lost the title by {step} without its own action: {old} -> {new}"
            )


def test_contracts_follow_the_design(design_stack: Stack) -> None:
    print(
        f"design stateful seed {SEED:#010x} (git HEAD prefix; PORTLEDGER_STATEFUL_SEED overrides), "
        f"{EXAMPLES} examples of up to {STEPS} steps"
    )
    DesignMachine.stack = design_stack
    seed(SEED)(DesignMachine)
    run_state_machine_as_test(
        DesignMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
            # PORTLEDGER_STATEFUL_NO_SHRINK=1: report the first failure as found (a long run's shrinking can
            # take many minutes on a real chain).
            phases=[Phase.explicit, Phase.reuse, Phase.generate]
            if os.environ.get("PORTLEDGER_STATEFUL_NO_SHRINK")
            else list(Phase),
        ),
    )
    print("actions:", ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items())))
