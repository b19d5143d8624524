"""k-of-n customs reports against a real anvil: the runner submits only with k signatures, the attestation is
effective, a re-delivered source is a no-op, and a coordinator that tampers gets no quorum or a refusal."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from eth_utils.crypto import keccak

from ledger.domain import schemas
from ledger.domain.errors import ContractRevert
from oracles.mapping import Agency, ReportDraft, map_facts, title_id
from oracles.quorum import Coordinator, NoQuorum, OracleSigner, ReportDomain, SignatureRefused
from oracles.registry import default_registry
from tests.integration.oracles.conftest import OracleSetup
from tests.integration.oracles.messages import cusres
from wallets.signer import LocalSigner

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTAINERS = ("CSQU3054383", "MSKU1234565")


def release_message(reference: str = "CR000001", bill: str | None = "TOLU2026000001") -> bytes:
    return cusres(
        reference,
        declaration="223320260000012345",
        containers=CONTAINERS,
        bill_reference=bill,
        decided_at=datetime(2026, 1, 15, 9, 30),
        release=True,
    )


def drop(inbox: Path, name: str, raw: bytes) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(raw)
    return path


def subjects(oracle: OracleSetup, bill: str = "TOLU2026000001") -> list[bytes]:
    """The bill and each container *under this bill*: a release counts only for the bill it names."""
    bill_id = title_id(oracle.stack.org("carrier"), bill)
    return [schemas.bill_subject(bill_id), *(schemas.bill_container_subject(bill_id, c) for c in CONTAINERS)]


def drafts(oracle: OracleSetup, raw: bytes) -> list[ReportDraft]:
    facts = default_registry(time_zone=SHANGHAI).parse(raw).facts
    return [a for a in map_facts(facts, oracle.directory(), Agency.CUSTOMS) if isinstance(a, ReportDraft)]


def endpoints(oracle: OracleSetup, count: int = 3) -> list[OracleSigner]:
    chain = oracle.stack.chain
    domain = ReportDomain(chain.chain_id, oracle.stack.contracts.attestations.address)
    registry = default_registry(time_zone=SHANGHAI)
    return [
        OracleSigner(
            LocalSigner(oracle.stack.private_key(f"customs/oracle-{i}")),
            Agency.CUSTOMS,
            registry,
            oracle.directory(),
            domain,
            clock=chain.latest_timestamp,
        )
        for i in range(1, count + 1)
    ]


def accepted(oracle: OracleSetup, draft: ReportDraft) -> bytes:
    uid: bytes = oracle.stack.contracts.attestations.call(
        "reportAttestation", oracle.stack.org("customs"), draft.schema, draft.source_id
    )
    return uid


# ---------------------------------------------------------------------------------------- quorum


def test_release_with_k_signatures_is_submitted_and_the_attestation_is_effective(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "cusres-001.edi", release_message())
    runner = oracle.runner(Agency.CUSTOMS, inbox)

    report = runner.run_once()

    assert report.done == ["cusres-001.edi"]
    assert (inbox / "done" / "cusres-001.edi").is_file()
    attestations = oracle.stack.contracts.attestations
    schema = oracle.stack.deployment.schema_id("CUSTOMS_RELEASE")
    found = drafts(oracle, release_message())
    assert [d.subject for d in found] == subjects(oracle)
    for draft in found:
        uid = accepted(oracle, draft)
        assert uid != b"\x00" * 32
        assert attestations.call("isEffective", uid) is True
        assert attestations.call("latestEffective", draft.subject, schema) == uid
        record = attestations.call("attestation", uid)
        assert record["dataHash"] == keccak(draft.data)
    data = schemas.CUSTOMS_RELEASE.decode(found[0].data)
    assert data == {
        "declarationNumber": "223320260000012345",
        "customsOfficeCode": "CNSGH",
        "releasedAt": int(datetime(2026, 1, 15, 9, 30, tzinfo=SHANGHAI).timestamp()),
    }
    assert oracle.relayer_transactions() == 3
    assert runner.metrics.value("portledger_oracle_submitted_total", kind="CUSTOMS_RELEASE") == 3


def test_runner_with_k_minus_one_signers_submits_nothing_and_rejects_the_message(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "cusres-001.edi", release_message())
    runner = oracle.runner(Agency.CUSTOMS, inbox, signers=1)  # threshold on chain is 2

    report = runner.run_once()

    assert report.rejected == ["cusres-001.edi"]
    reason = (inbox / "rejected" / "cusres-001.edi.reason.json").read_text()
    assert "needed" in reason or "no quorum" in reason
    assert oracle.relayer_transactions() == 0
    assert all(accepted(oracle, d) == b"\x00" * 32 for d in drafts(oracle, release_message()))


def test_coordinator_with_one_signature_of_two_raises_no_quorum_and_the_registry_refuses_it(
    oracle: OracleSetup,
) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    chain = oracle.stack.chain
    report = draft.message(chain.latest_timestamp() + 300)
    signers = endpoints(oracle)
    domain = signers[0].domain
    with pytest.raises(NoQuorum) as no_quorum:
        Coordinator(
            [signers[0], _Offline(signers[1].address), _Offline(signers[2].address)], 2, domain
        ).collect(raw, None, report)
    assert no_quorum.value.signed == 1
    # Relayed anyway, the single signature is below the agency's threshold.
    one = signers[0].sign_report(raw, None, report)
    with pytest.raises(ContractRevert) as refused:
        oracle.stack.contracts.attestations.transact(
            "submitReport",
            report.as_struct(),
            report.data,
            [one],
            sender=oracle.relayer,
        )
    assert refused.value.name == "AttestationReportBelowThreshold"
    assert accepted(oracle, draft) == b"\x00" * 32


class _Offline:
    """A signer endpoint that does not answer."""

    def __init__(self, address: str) -> None:
        self.address = address

    def sign_report(self, raw: bytes, filename: str | None, report: schemas.ReportMessage) -> bytes:
        raise SignatureRefused(self.address, "offline")


# ---------------------------------------------------------------------------------------- duplicates


def test_redelivered_release_is_a_no_op_by_checkpoint_and_by_source_id_on_chain(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "cusres-001.edi", release_message())
    oracle.runner(Agency.CUSTOMS, inbox).run_once()
    assert oracle.relayer_transactions() == 3

    # Same bytes again under another name: the checkpoint knows the message.
    drop(inbox, "cusres-001-resent.edi", release_message())
    again = oracle.runner(Agency.CUSTOMS, inbox).run_once()
    assert again.done == ["cusres-001-resent.edi"]

    # A runner that lost its checkpoint: the registry knows every source id, nothing is sent.
    other_inbox = tmp_path / "other"
    drop(other_inbox, "cusres-001.edi", release_message())
    fresh = oracle.runner(Agency.CUSTOMS, other_inbox)
    assert fresh.run_once().done == ["cusres-001.edi"]
    assert fresh.metrics.value("portledger_oracle_duplicates_total") == 3
    assert fresh.metrics.value("portledger_oracle_submitted_total", kind="CUSTOMS_RELEASE") == 0
    assert oracle.relayer_transactions() == 3


def test_submitting_an_accepted_source_again_is_reported_as_already_done(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "cusres-001.edi", release_message())
    runner = oracle.runner(Agency.CUSTOMS, inbox)
    runner.run_once()
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    report = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    signers = endpoints(oracle)
    signed = Coordinator(signers, 2, signers[0].domain).collect(raw, None, report)

    outcome = runner.submitter.submit_report(oracle.stack.org("customs"), signed, draft.key, attempt=7)

    assert outcome.outcome.value == "already_done"
    assert outcome.uid == "0x" + accepted(oracle, draft).hex()
    assert oracle.relayer_transactions() == 3


# ---------------------------------------------------------------------------------------- tampering


def test_coordinator_that_changes_the_payload_gets_no_signature(oracle: OracleSetup) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    honest = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    forged_data = schemas.CUSTOMS_RELEASE.encode(
        {"declarationNumber": "223320260000012345", "customsOfficeCode": "CNSGH", "releasedAt": 1}
    )
    signers = endpoints(oracle)
    for forged in (
        dataclasses.replace(honest, data=forged_data),
        dataclasses.replace(honest, subject=schemas.container_subject("TGHU9876542")),
        dataclasses.replace(honest, sequence=honest.sequence + 1),
    ):
        with pytest.raises(NoQuorum) as refused:
            Coordinator(signers, 2, signers[0].domain).collect(raw, None, forged)
        assert refused.value.signed == 0
        assert all("not one this signer derives" in r for r in refused.value.refusals)


def test_signers_refuse_a_deadline_beyond_their_window(oracle: OracleSetup) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    late = draft.message(oracle.stack.chain.latest_timestamp() + 10 * 86_400)
    signers = endpoints(oracle)
    with pytest.raises(SignatureRefused, match="deadline"):
        signers[0].sign_report(raw, None, late)


def test_registry_refuses_signatures_relayed_with_other_data(oracle: OracleSetup) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    report = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    signers = endpoints(oracle)
    signed = Coordinator(signers, 2, signers[0].domain).collect(raw, None, report)
    forged_data = schemas.CUSTOMS_RELEASE.encode(
        {"declarationNumber": "999", "customsOfficeCode": "CNSGH", "releasedAt": report.sequence}
    )
    with pytest.raises(ContractRevert) as refused:
        oracle.stack.contracts.attestations.transact(
            "submitReport",
            report.as_struct(),
            forged_data,
            list(signed.signatures),
            sender=oracle.relayer,
        )
    assert refused.value.name == "AttestationReportUnknownSigner"
    assert accepted(oracle, draft) == b"\x00" * 32


# ---------------------------------------------------------------------------------------- other outcomes


def test_hold_becomes_a_revocable_customs_hold_on_the_bill(oracle: OracleSetup, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    raw = cusres(
        "CR000009",
        declaration="223320260000099999",
        bill_reference="TOLU2026000009",
        decided_at=datetime(2026, 1, 15, 8, 5),
        release=False,
    )
    drop(inbox, "cusres-hold.edi", raw)
    assert oracle.runner(Agency.CUSTOMS, inbox).run_once().done == ["cusres-hold.edi"]
    (draft,) = drafts(oracle, raw)
    assert draft.schema_name == "CUSTOMS_HOLD"
    assert draft.subject == schemas.bill_subject(title_id(oracle.stack.org("carrier"), "TOLU2026000009"))
    uid = accepted(oracle, draft)
    assert oracle.stack.contracts.attestations.call("isEffective", uid) is True


def test_unparseable_message_goes_to_the_dead_letter_folder_with_its_reason(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    broken = release_message().replace(b"UNT+", b"UNX+")
    drop(inbox, "broken.edi", broken)
    drop(inbox, "notes.txt", b"not a message at all")
    runner = oracle.runner(Agency.CUSTOMS, inbox)

    report = runner.run_once()

    assert sorted(report.dead_letter) == ["broken.edi", "notes.txt"]
    assert (inbox / "dead-letter" / "broken.edi").read_bytes() == broken
    for name in ("broken.edi", "notes.txt"):
        reason = (inbox / "dead-letter" / f"{name}.reason.json").read_text()
        assert '"code"' in reason and '"reason"' in reason
    assert runner.metrics.value("portledger_oracle_messages_rejected_total", reason="dead_letter") == 2
    assert oracle.relayer_transactions() == 0


class _Impostor:
    """An endpoint that answers with a well-formed signature by a key the agency never registered."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._key = LocalSigner(keccak(text="not a registered oracle key"))

    def sign_report(self, raw: bytes, filename: str | None, report: schemas.ReportMessage) -> bytes:
        typed = schemas.report_typed_data(report, 1, "0x" + "00" * 20)
        return self._key.sign_typed_data(typed["domain"], typed["types"], typed["message"])


def test_coordinator_discards_signatures_that_do_not_recover_to_a_registered_signer(
    oracle: OracleSetup,
) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    report = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    signers = endpoints(oracle)
    coordinator = Coordinator([signers[0], _Impostor(signers[1].address), signers[2]], 2, signers[0].domain)

    signed = coordinator.collect(raw, None, report)

    assert signed.signers == tuple(sorted((signers[0].address, signers[2].address), key=lambda a: int(a, 16)))
    with pytest.raises(NoQuorum) as short:
        Coordinator([signers[0], _Impostor(signers[1].address)], 2, signers[0].domain).collect(
            raw, None, report
        )
    assert "not a new registered signer" in short.value.refusals[0]
