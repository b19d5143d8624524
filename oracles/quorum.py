"""k-of-n report signing: the agency's oracle signers, and the coordinator that gathers their signatures.

Trust model (docs/design.md §1.4): the coordinator is *not* trusted. It proposes a report and passes each
signer the raw message it came from; a signer parses that message itself, maps it with its own directory, and
signs only a report it derived too (every field equal) with a deadline inside its own window. A
coordinator that changes the data, the subject, the source id or the sequence gets no signature; one
that submits other data than was signed is refused by the registry, which recovers the signers from the
digest of what it is given. The coordinator only checks what it can check cheaply (each signature
recovers to a registered signer) so that it does not waste a transaction.

``SignerEndpoint`` is what the coordinator talks to; ``OracleSigner`` is the in-process endpoint, and
``oracles.remote_signer.RemoteSigner`` reaches an ``OracleSigner`` running in a process of its own
(``oracles.signer_service``, one key per process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eth_keys.main import KeyAPI
from eth_utils.address import to_checksum_address

from ledger.domain import schemas
from oracles.base import MessageRejected
from oracles.mapping import Agency, Directory, ReportDraft, map_facts
from oracles.registry import AdapterRegistry
from wallets.signer import Signer

_log = logging.getLogger(__name__)

Clock = Callable[[], int]


def wall_clock() -> int:
    return int(time.time())


class SignatureRefused(Exception):
    """A signer would not sign a proposed report; ``reason`` says why (never secret material)."""

    def __init__(self, signer: str, reason: str, *, unreachable: bool = False) -> None:
        self.signer = signer
        self.reason = reason
        self.unreachable = unreachable
        """The signer could not be asked at all (down, timed out): it said nothing about the report."""
        super().__init__(f"{signer} refused: {reason}")


class NoSignerSet(Exception):
    """The agency registered no signers (or a threshold of 0) for the schema on chain."""


class NoQuorum(Exception):
    """Fewer than ``threshold`` signers signed the report. :attr:`waiting` when the signers that could not
    be reached would have made up the quorum: the report was not refused, it waits for them."""

    @property
    def waiting(self) -> bool:
        return self.signed + self.unreachable >= self.threshold

    def __init__(
        self,
        report: schemas.ReportMessage,
        signed: int,
        threshold: int,
        refusals: list[str],
        unreachable: int = 0,
    ):
        self.report = report
        self.signed = signed
        self.threshold = threshold
        self.refusals = refusals
        self.unreachable = unreachable
        super().__init__(
            f"report {report.source_id.hex()} has {signed} of {threshold} signatures: " + "; ".join(refusals)
        )


@runtime_checkable
class SignerEndpoint(Protocol):
    """One oracle signer as the coordinator sees it."""

    @property
    def address(self) -> str: ...

    def sign_report(
        self, raw: bytes, filename: str | None, report: schemas.ReportMessage
    ) -> bytes:  # raises SignatureRefused
        ...


@dataclass(frozen=True, slots=True)
class ReportDomain:
    """Where reports are verified: the chain and the AttestationRegistry address."""

    chain_id: int
    verifying_contract: str


class OracleSigner:
    """An oracle signer: parses the raw message itself and signs only the reports it derives."""

    def __init__(
        self,
        signer: Signer,
        agency: Agency,
        registry: AdapterRegistry,
        directory: Directory,
        domain: ReportDomain,
        *,
        max_deadline_window: int = 3600,
        clock: Clock = wall_clock,
    ) -> None:
        self._signer = signer
        self.agency = agency
        self.registry = registry
        self.directory = directory
        self.domain = domain
        self.max_deadline_window = max_deadline_window
        self.clock = clock

    @property
    def address(self) -> str:
        return str(self._signer.address)

    def derive(self, raw: bytes, filename: str | None = None) -> list[ReportDraft]:
        """The reports this signer would sign for ``raw`` (raises ``MessageRejected``)."""
        facts = self.registry.parse(raw, filename).facts
        return [a for a in map_facts(facts, self.directory, self.agency) if isinstance(a, ReportDraft)]

    def sign_report(self, raw: bytes, filename: str | None, report: schemas.ReportMessage) -> bytes:
        try:
            drafts = self.derive(raw, filename)
        except MessageRejected as exc:
            raise SignatureRefused(self.address, f"the message does not parse: {exc}") from None
        if not any(d.matches(report) for d in drafts):
            raise SignatureRefused(self.address, "the report is not one this signer derives from the message")
        now = self.clock()
        if not now < report.deadline <= now + self.max_deadline_window:
            raise SignatureRefused(
                self.address,
                f"deadline {report.deadline} is outside ({now}, {now + self.max_deadline_window}]",
            )
        typed = schemas.report_typed_data(report, self.domain.chain_id, self.domain.verifying_contract)
        return self._signer.sign_typed_data(typed["domain"], typed["types"], typed["message"])

    def __repr__(self) -> str:
        return f"OracleSigner(address={self.address}, agency={self.agency.value})"


@dataclass(frozen=True, slots=True)
class SignedReport:
    """A report with at least ``threshold`` signatures, ordered by ascending signer address."""

    report: schemas.ReportMessage
    signers: tuple[str, ...]
    signatures: tuple[bytes, ...]


def recover_signer(report: schemas.ReportMessage, signature: bytes, domain: ReportDomain) -> str:
    """The address whose key made ``signature`` (65 bytes, r || s || v) over the report's EIP-712 digest."""
    if len(signature) != 65 or signature[64] not in (0, 1, 27, 28):
        raise ValueError("a report signature is 65 bytes r || s || v")
    digest = schemas.report_digest(report, domain.chain_id, domain.verifying_contract)
    v = signature[64] - 27 if signature[64] >= 27 else signature[64]
    public = KeyAPI.Signature(signature[:64] + bytes([v])).recover_public_key_from_msg_hash(digest)
    return str(public.to_checksum_address())


class Coordinator:
    """Gathers ``threshold`` signatures for a proposed report from the agency's signer endpoints."""

    def __init__(
        self,
        endpoints: Sequence[SignerEndpoint],
        threshold: int,
        domain: ReportDomain,
        registered: Sequence[str] | None = None,
    ) -> None:
        if not 0 < threshold <= len(endpoints):
            raise ValueError(f"threshold {threshold} does not fit {len(endpoints)} signers")
        self.endpoints = list(endpoints)
        self.threshold = threshold
        self.domain = domain
        self.registered = {to_checksum_address(a) for a in (registered or [e.address for e in endpoints])}

    def collect(self, raw: bytes, filename: str | None, report: schemas.ReportMessage) -> SignedReport:
        """Ask signers in turn until ``threshold`` valid signatures are in (``NoQuorum`` otherwise)."""
        signed: dict[str, bytes] = {}
        refusals: list[str] = []
        unreachable = 0
        for endpoint in self.endpoints:
            if len(signed) >= self.threshold:
                break
            try:
                signature = endpoint.sign_report(raw, filename, report)
            except SignatureRefused as exc:
                refusals.append(str(exc))
                unreachable += exc.unreachable
                continue
            try:
                recovered = to_checksum_address(recover_signer(report, signature, self.domain))
            except Exception as exc:  # malformed signature bytes from a faulty endpoint
                refusals.append(f"{endpoint.address} sent an unreadable signature: {exc.__class__.__name__}")
                continue
            if recovered not in self.registered or recovered in signed:
                refusals.append(
                    f"{endpoint.address} sent a signature of {recovered}, not a new registered signer"
                )
                continue
            signed[recovered] = signature
        if len(signed) < self.threshold:
            raise NoQuorum(report, len(signed), self.threshold, refusals, unreachable)
        ordered = sorted(signed.items(), key=lambda pair: int(pair[0], 16))
        _log.info("report %s signed by %d of %d", report.source_id.hex(), len(signed), len(self.endpoints))
        return SignedReport(
            report=report,
            signers=tuple(a for a, _ in ordered),
            signatures=tuple(schemas.order_signatures(ordered)),
        )
