"""End to end: the customs and terminal oracles run as ``portledger oracle run`` processes; a CUSRES release
and a CODECO gate-out dropped into their folder inboxes (each received as a message of its runner's
organisation) end as a k-of-n customs release attestation and the terminal's gate-out with its EIR on
the release right. The gate-out file arrives first and waits for the release, as it would when the gate
system is faster than customs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger.chain import ChainClient
from ledger.chain.anvil import free_port
from ledger.domain import schemas
from oracles.mapping import Agency, report_source_id
from tests.deployed import DeployedStack
from tests.integration.oracles.conftest import HAULIER_CODE, OracleSetup, fresh_relayer
from tests.integration.oracles.messages import codeco_gate_out, cusres

ROOT = Path(__file__).resolve().parents[2]
GATED_OUT = 3
BILL = "TOLU2026E2E0001"
CONTAINER = "MSKU1234565"

pytestmark = pytest.mark.slow


@pytest.fixture
def oracle(deployed_stack: DeployedStack, isolated: ChainClient, tmp_path: Path) -> OracleSetup:
    relayer, _ = fresh_relayer(deployed_stack.chain, tmp_path / "keys")
    return OracleSetup(deployed_stack, tmp_path, relayer)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def run_oracle(
    agency: Agency, inbox: Path, config: Path, log: Path, metrics_port: int | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "oracle", "run", "--agency", agency.value]
    command += ["--inbox", str(inbox), "--config", str(config), "--poll", "0.2"]
    if metrics_port is not None:
        command += ["--metrics-port", str(metrics_port)]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def drop(path: Path, raw: bytes) -> None:
    """Write as a producer should: under a dot name, then rename into the inbox."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(raw)
    tmp.rename(path)


def test_codeco_gate_out_and_cusres_release_dropped_in_inboxes_end_on_chain(
    oracle: OracleSetup, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    stack = oracle.stack
    bill_id = oracle.issue_bill(BILL, (CONTAINER,))
    right_id = oracle.grant_to_haulier(bill_id, CONTAINER)
    customs_inbox, terminal_inbox = tmp_path / "customs-inbox", tmp_path / "terminal-inbox"
    customs_inbox.mkdir()
    terminal_inbox.mkdir()
    port = free_port()
    processes.append(
        run_oracle(
            Agency.CUSTOMS, customs_inbox, oracle.config(Agency.CUSTOMS), tmp_path / "customs.log", port
        )
    )
    processes.append(
        run_oracle(Agency.TERMINAL, terminal_inbox, oracle.config(Agency.TERMINAL), tmp_path / "terminal.log")
    )

    drop(
        terminal_inbox / "codeco-e2e.edi",
        codeco_gate_out(
            "EIRE2E01",
            container=CONTAINER,
            bill_reference=BILL,
            haulier=HAULIER_CODE,
            at=datetime(2026, 1, 15, 10, 30),
            truck_plate="HUE2E001",
            seals=("CN7654321", "SH112233"),
        ),
    )
    time.sleep(1.0)  # the gate-out is seen first and waits for customs
    drop(
        customs_inbox / "cusres-e2e.edi",
        cusres(
            "CRE2E001",
            declaration="223320260000E2E01",
            containers=(CONTAINER,),
            bill_reference=BILL,
            decided_at=datetime(2026, 1, 15, 9, 30),
        ),
    )

    deadline = time.monotonic() + 90
    while stack.contracts.release.call("releaseRight", right_id)["status"] != GATED_OUT:
        for process in processes:
            assert process.poll() is None, (tmp_path / "customs.log").read_text() + (
                tmp_path / "terminal.log"
            ).read_text()
        assert time.monotonic() < deadline, (tmp_path / "terminal.log").read_text()
        time.sleep(0.2)

    # Both messages leave their inboxes (the gate-out may be recorded before customs' second report).
    deadline = time.monotonic() + 30
    while (terminal_inbox / "codeco-e2e.edi").exists() or (customs_inbox / "cusres-e2e.edi").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (terminal_inbox / "done" / "codeco-e2e.edi").is_file()
    assert (customs_inbox / "done" / "cusres-e2e.edi").is_file()
    # Each file became a message of its runner's organisation, done (the runners keep their messages in
    # their own database here: the configuration names no node database).
    for inbox, name in ((terminal_inbox, "terminal"), (customs_inbox, "customs")):
        with sqlite3.connect(inbox / ".state" / "outbox.sqlite") as db:
            rows = db.execute("SELECT org, status FROM oracle_message").fetchall()
        assert rows == [(stack.org(name), "done")]
    # The customs release: a 2-of-3 report about the bill and one about this bill's container, both effective.
    attestations = stack.contracts.attestations
    schema = stack.deployment.schema_id("CUSTOMS_RELEASE")
    bill_subject = schemas.bill_subject(bill_id)
    container_subject = schemas.bill_container_subject(bill_id, CONTAINER)
    uids = {}
    for subject in (bill_subject, container_subject):
        source = report_source_id("edifact:CUSTOMSGW:CRE2E001:1", subject)
        uid = attestations.call("reportAttestation", stack.org("customs"), schema, source)
        assert attestations.call("isEffective", uid) is True
        uids[subject] = uid
    accepted = [
        e
        for e in stack.chain.get_logs(
            attestations.address, stack.deployment.block_number, stack.chain.block_number()
        )
        if e.name == "ReportAccepted" and e.args["uid"] == uids[bill_subject]
    ]
    assert len(accepted) == 1 and len(accepted[0].args["signers"]) == 2

    # The EIR on the right, recorded by the terminal's own key, citing the customs release.
    events = stack.chain.get_logs(
        stack.contracts.release.address, stack.deployment.block_number, stack.chain.block_number()
    )
    (gated,) = [e for e in events if e.name == "GatedOut" and e.args["rightId"] == right_id]
    assert gated.args["by"] == stack.admin("terminal")
    assert gated.args["customsRelease"] == uids[bill_subject]
    assert gated.args["haulier"] == stack.org("haulier")
    eir = gated.args["eir"]
    assert eir["truckPlateHash"] == keccak(text="HUE2E001")
    assert eir["sealsHash"] == keccak(abi_encode(["string[]"], [["CN7654321", "SH112233"]]))
    assert eir["laden"] is True

    # The customs runner's metrics count its two reports.
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'portledger_oracle_submitted_total{agency="customs",kind="CUSTOMS_RELEASE"} 2.0' in metrics
    assert 'portledger_oracle_messages_processed_total{agency="customs"} 1.0' in metrics
