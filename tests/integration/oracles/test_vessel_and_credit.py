"""VESSEL_EVENT reports from the maritime administration (vessel feed, COARRI) and CREDIT_LEVEL reports from
customs: subjects, sequences and expiry as they land on chain."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger.domain import schemas
from oracles.mapping import (
    Agency,
    Directory,
    ReportDraft,
    Skipped,
    credit_code_subject,
    map_facts,
    vessel_subject,
)
from oracles.registry import default_registry
from tests.integration.oracles.conftest import OracleSetup

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_vessel_arrival_and_departure_become_vessel_events_in_order(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "customs" / "msa_vessel_movements_SYNTHETIC.json", inbox / "msa.json")
    runner = oracle.runner(Agency.MARITIME, inbox)

    assert runner.run_once().done == ["msa.json"]

    stack = oracle.stack
    attestations = stack.contracts.attestations
    schema = stack.deployment.schema_id("VESSEL_EVENT")
    subject = vessel_subject("9300001")
    assert attestations.call("attestationCount", subject, schema) == 2
    latest = attestations.call("latestEffective", subject, schema)
    departure = int(datetime.fromisoformat("2026-01-16T03:15:00+08:00").timestamp())
    assert attestations.call("lastReportSequence", stack.org("maritime"), schema, subject) == departure
    assert attestations.call("attestation", latest)["attester"] == stack.org("maritime")
    assert oracle.relayer_transactions() == 2


def test_coarri_container_moves_map_to_vessel_events_about_each_container() -> None:
    raw = (FIXTURES / "edifact" / "coarri_d95b_itg13_genoa_php-edifact.edi").read_bytes()
    facts = default_registry(time_zone=ZoneInfo("Europe/Rome")).parse(raw).facts
    actions = map_facts(facts, Directory(schema_ids={}), Agency.MARITIME)
    reports = [a for a in actions if isinstance(a, ReportDraft)]
    assert {r.schema_name for r in reports} == {"VESSEL_EVENT"}
    assert len({r.source_id for r in reports}) == len(reports) == 21
    assert all(
        isinstance(a, Skipped) and "VESSEL_OPERATIONS" in a.reason for a in actions if a not in reports
    )
    first = schemas.VESSEL_EVENT.decode(reports[0].data)
    assert first["eventCode"] in ("DISC", "LOAD") and first["eventTime"] == reports[0].sequence
    # The terminal's oracle writes none of them: VESSEL_EVENT accredits the maritime administration only.
    assert all(isinstance(a, Skipped) for a in map_facts(facts, Directory(schema_ids={}), Agency.TERMINAL))


def test_credit_level_becomes_an_expiring_revocable_attestation(oracle: OracleSetup, tmp_path: Path) -> None:
    stack = oracle.stack
    schema = stack.deployment.schema_id("CREDIT_LEVEL")
    signers = sorted((stack.account(f"customs/oracle-{i}") for i in (1, 2, 3)), key=lambda a: int(a, 16))
    # Signer sets are installed by the deployer while the registry's bootstrap is open (no agency
    # account can set its own).
    stack.contracts.attestations.transact(
        "setReportSigners", stack.org("customs"), schema, signers, 2, sender=stack.deployer
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "customs" / "credit_levels_SYNTHETIC.json", inbox / "credit.json")

    assert oracle.runner(Agency.CUSTOMS, inbox).run_once().done == ["credit.json"]

    subject = credit_code_subject("91310115MA1K4XY00X")  # the enterprise is not a consortium member
    uid = stack.contracts.attestations.call("latestEffective", subject, schema)
    record = stack.contracts.attestations.call("attestation", uid)
    assert record["expirationTime"] == int(datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    assert record["attester"] == stack.org("customs")
