"""What happened on the ledger, as the service shows it: contract events read back by name, and the
ordered, per-organisation event feed behind ``GET /v1/events`` (Server-Sent Events) and webhooks.

The feed is the chain's own log order: an event's id is ``block_number * 100_000 + log_index``, a
monotonically increasing sequence that a client resumes from with ``Last-Event-ID``. An organisation sees
an event only if it is one of the event's parties (every organisation id the event names, or the
organisation of the account that caused it); consortium-wide events (schemas, proposals, admissions) are
seen by every member. This module decodes; it never decides a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.chain import Contract, DecodedEvent
from ledger.chain.abi import topic0
from ledger.chain.deployment import Contracts, Deployment

SEQUENCE_BASE = 100_000  # more logs than this in one block is far beyond any block gas limit
_LOG_PAGE = 5_000

# Events every member organisation may see (membership, governance, schemas).
PUBLIC_EVENTS = frozenset(
    {
        "ProposalCreated",
        "ProposalApproved",
        "ProposalExecuted",
        "OrganisationAdmitted",
        "OrganisationSuspended",
        "OrganisationReinstated",
        "RoleGranted",
        "RoleRevoked",
        "ThresholdChanged",
        "GovernorAdded",
        "GovernorRemoved",
        "SchemaRegistered",
        "SchemaActiveChanged",
        "Attested",
        "Revoked",
        "Replaced",
        "Recognised",
        "ReportAccepted",
    }
)
# Argument names that hold organisation ids.
_ORG_ARGS = (
    "org",
    "carrier",
    "holder",
    "terminal",
    "haulier",
    "from",
    "to",
    "attester",
    "agency",
    "possessor",
    "recipient",
    "actor",
    "pledgee",
    "bank",
    "consignee",
    "issueTo",
    "shipper",
    "endorsee",
)


def contract_events(
    contract: Contract, names: Sequence[str], from_block: int, topics: Sequence[Any] | None = None
) -> list[DecodedEvent]:
    """Events ``names`` of ``contract`` from ``from_block`` to the head, in log order; ``topics`` filters
    the indexed arguments after the event signature (0x hex, or None for any)."""
    items = [item for item in contract.artifact.abi if item.get("type") == "event" and item["name"] in names]
    if not items:
        return []
    filters: list[Any] = [["0x" + topic0(item).hex() for item in items], *(topics or [])]
    head = contract.chain.block_number()
    out: list[DecodedEvent] = []
    start = from_block
    while start <= head:
        end = min(start + _LOG_PAGE - 1, head)
        out.extend(contract.chain.get_logs(contract.address, start, end, filters))
        start = end + 1
    return out


def sequence_of(event: DecodedEvent) -> int:
    return event.block_number * SEQUENCE_BASE + event.log_index


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1 << 53:
        return str(value)  # JSON numbers beyond 2^53 lose precision in most clients
    return value


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One event of the feed."""

    id: int
    name: str
    contract: str
    block_number: int
    tx_hash: str
    args: dict[str, Any]
    parties: frozenset[int]

    def visible_to(self, org: int) -> bool:
        return self.name in PUBLIC_EVENTS or org in self.parties

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.name,
            "contract": self.contract,
            "blockNumber": self.block_number,
            "txHash": self.tx_hash,
            "data": _plain(self.args),
        }


class EventFeed:
    """The ordered event feed of the four contracts, filtered per organisation."""

    def __init__(self, contracts: Contracts, deployment: Deployment):
        self.contracts = contracts
        self.deployment = deployment
        self._names = {c.address: name for name, c in contracts.by_name().items()}
        self._org_of_account: dict[str, int] = {}

    def _org_of(self, account: str) -> int:
        if account not in self._org_of_account:
            self._org_of_account[account] = int(self.contracts.consortium.call("orgOf", account))
        return self._org_of_account[account]

    def _record_parties(self, event: DecodedEvent, cache: dict[tuple[str, Any], set[int]]) -> set[int]:
        """Parties of the bill or release right an event is about, read from the contract's record."""
        out: set[int] = set()
        right_id = event.args.get("rightId")
        if isinstance(right_id, bytes | bytearray):
            key: tuple[str, Any] = ("right", bytes(right_id))
            if key not in cache:
                right = self.contracts.release.call("releaseRight", bytes(right_id))
                cache[key] = {int(right[k]) for k in ("carrier", "holder", "terminal")}
            out |= cache[key]
        bill_id = event.args.get("billId")
        if isinstance(bill_id, int) and not isinstance(bill_id, bool) and bill_id > 0:
            key = ("bill", bill_id)
            if key not in cache:
                try:
                    bill = self.contracts.bills.call("bill", bill_id)
                    cache[key] = {
                        int(bill[k]) for k in ("carrier", "possessor", "holder", "pledgee") if k in bill
                    }
                except Exception:  # an unknown title reverts: no parties to add
                    cache[key] = set()
            out |= cache[key]
        out.discard(0)
        return out

    def _parties(self, event: DecodedEvent) -> frozenset[int]:
        parties: set[int] = set()
        for key in _ORG_ARGS:
            value = event.args.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 32:
                parties.add(value)
        for key in ("by", "proposer", "governor", "registrar"):
            value = event.args.get(key)
            if isinstance(value, str) and value.startswith("0x"):
                org = self._org_of(value)
                if org:
                    parties.add(org)
        return frozenset(parties)

    def after(self, org: int, last_id: int = -1, limit: int = 500) -> list[LedgerEvent]:
        """Up to ``limit`` events visible to ``org`` with an id above ``last_id``, oldest first."""
        first_block = max(self.deployment.block_number, (last_id // SEQUENCE_BASE) if last_id >= 0 else 0)
        head = self.contracts.consortium.chain.block_number()
        addresses = list(self._names)
        out: list[LedgerEvent] = []
        start = first_block
        chain = self.contracts.consortium.chain
        records: dict[tuple[str, Any], set[int]] = {}
        while start <= head and len(out) < limit:
            end = min(start + _LOG_PAGE - 1, head)
            for event in chain.get_logs(addresses, start, end):
                seq = sequence_of(event)
                if seq <= last_id:
                    continue
                item = LedgerEvent(
                    id=seq,
                    name=event.name,
                    contract=self._names.get(event.address, event.address),
                    block_number=event.block_number,
                    tx_hash=event.tx_hash,
                    args=dict(event.args),
                    parties=self._parties(event) | self._record_parties(event, records),
                )
                if item.visible_to(org):
                    out.append(item)
                    if len(out) >= limit:
                        break
            start = end + 1
        return out


def visible(events: Iterable[LedgerEvent], org: int) -> list[LedgerEvent]:
    return [e for e in events if e.visible_to(org)]
