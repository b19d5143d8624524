"""CODECO gate moves become the terminal's own gate-out on the release right (not attestations), once the
customs release the contract requires is on chain; until then the message waits in the inbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from sqlmodel import select

from ledger.domain import schemas
from ledger.outbox.models import Operation
from oracles.mapping import Agency, report_source_id, title_id
from tests.integration.oracles.conftest import HAULIER_CODE, OracleSetup
from tests.integration.oracles.messages import codeco_gate_out, cusres

GATED_OUT = 3
CONTAINER = "CSQU3054383"
BILL = "TOLU2026000777"


def operation_kinds(runner: Any) -> set[str]:
    """The kinds of the operations a runner's node queued (its own outbox database)."""
    with runner.submitter.ledger.db.transaction() as session:
        return {op.kind for op in session.exec(select(Operation)).all()}


def test_gate_out_waits_for_the_customs_release_then_records_the_eir_on_the_right(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    stack = oracle.stack
    bill_id = oracle.issue_bill(BILL, (CONTAINER,))
    assert bill_id == title_id(stack.org("carrier"), BILL)
    right_id = oracle.grant_to_haulier(bill_id, CONTAINER)
    terminal_inbox, customs_inbox = tmp_path / "terminal", tmp_path / "customs"
    terminal_inbox.mkdir()
    customs_inbox.mkdir()
    gate_out = codeco_gate_out(
        "EIRX0007",
        container=CONTAINER,
        bill_reference=BILL,
        haulier=HAULIER_CODE,
        at=datetime(2026, 1, 15, 10, 30),
    )
    (terminal_inbox / "codeco-0007.edi").write_bytes(gate_out)
    terminal = oracle.runner(Agency.TERMINAL, terminal_inbox)

    first = terminal.run_once()

    assert first.waiting == ["codeco-0007.edi"]
    assert (terminal_inbox / "codeco-0007.edi").is_file()
    assert stack.contracts.release.call("releaseRight", right_id)["status"] == 1  # GRANTED

    release = cusres(
        "CR000777",
        declaration="223320260000077777",
        containers=(CONTAINER,),
        bill_reference=BILL,
        decided_at=datetime(2026, 1, 15, 9, 30),
    )
    (customs_inbox / "cusres-0777.edi").write_bytes(release)
    customs = oracle.runner(Agency.CUSTOMS, customs_inbox)
    assert customs.run_once().done == ["cusres-0777.edi"]
    second = terminal.run_once()

    assert second.done == ["codeco-0007.edi"]
    # One write path: the oracles' operations are the API's, of the same kinds.
    assert operation_kinds(terminal) == {"release.gate_out"}
    assert operation_kinds(customs) == {"attestation.report"}
    assert stack.contracts.release.call("releaseRight", right_id)["status"] == GATED_OUT
    events = stack.chain.get_logs(
        stack.contracts.release.address, stack.deployment.block_number, stack.chain.block_number()
    )
    (event,) = [e for e in events if e.name == "GatedOut" and e.args["rightId"] == right_id]
    eir = event.args["eir"]
    assert event.args["haulier"] == stack.org("haulier")
    assert event.args["terminal"] == stack.org("terminal")
    assert eir["laden"] is True
    assert eir["truckPlateHash"] == keccak(text="HUB67890")
    assert eir["sealsHash"] == keccak(abi_encode(["string[]"], [["CN1234567"]]))
    assert eir["eventTime"] == int(datetime.fromisoformat("2026-01-15T10:30:00+08:00").timestamp())
    bill_subject = schemas.bill_subject(bill_id)
    release_uid = stack.contracts.attestations.call(
        "reportAttestation",
        stack.org("customs"),
        stack.deployment.schema_id("CUSTOMS_RELEASE"),
        report_source_id("edifact:CUSTOMSGW:CR000777:1", bill_subject),
    )
    assert event.args["customsRelease"] == release_uid
    assert terminal.metrics.value("portledger_oracle_submitted_total", kind="GATE_OUT") == 1
    assert terminal.metrics.value("portledger_oracle_retries_total") >= 1


def test_gate_out_already_recorded_is_a_no_op_for_a_runner_without_checkpoint(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    stack = oracle.stack
    bill_id = oracle.issue_bill(BILL, (CONTAINER,))
    oracle.grant_to_haulier(bill_id, CONTAINER)
    release = cusres(
        "CR000778",
        declaration="223320260000077778",
        bill_reference=BILL,
        decided_at=datetime(2026, 1, 15, 9, 30),
    )
    customs_inbox = tmp_path / "customs"
    customs_inbox.mkdir()
    (customs_inbox / "cusres.edi").write_bytes(release)
    oracle.runner(Agency.CUSTOMS, customs_inbox).run_once()
    gate_out = codeco_gate_out(
        "EIRX0008",
        container=CONTAINER,
        bill_reference=BILL,
        haulier=HAULIER_CODE,
        at=datetime(2026, 1, 15, 11, 0),
    )
    for name in ("first", "second"):
        inbox = tmp_path / name
        inbox.mkdir()
        (inbox / "codeco.edi").write_bytes(gate_out)
        assert oracle.runner(Agency.TERMINAL, inbox).run_once().done == ["codeco.edi"]
    terminal = stack.admin("terminal")
    sent = int(stack.chain.rpc("eth_getTransactionCount", [terminal, "latest"]), 16)
    third = tmp_path / "third"
    third.mkdir()
    (third / "codeco.edi").write_bytes(gate_out)
    runner = oracle.runner(Agency.TERMINAL, third)
    assert runner.run_once().done == ["codeco.edi"]
    assert runner.metrics.value("portledger_oracle_duplicates_total") == 1
    assert int(stack.chain.rpc("eth_getTransactionCount", [terminal, "latest"]), 16) == sent
