"""The runner as a real process, killed with SIGKILL in the middle of a batch and restarted: every report is
on chain once, and the relayer sent exactly one transaction per report (nothing twice, nothing skipped)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ledger.domain import schemas
from ledger.domain.values import iso6346_check_digit
from oracles.mapping import Agency, report_source_id, title_id
from tests.integration.oracles.conftest import CARRIER_CODE, OracleSetup
from tests.integration.oracles.messages import cusres

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 10
CONTAINERS_PER_MESSAGE = 2

pytestmark = [pytest.mark.kill, pytest.mark.slow]


def container(serial: int) -> str:
    first_ten = f"TSTU{serial:06d}"
    return f"{first_ten}{iso6346_check_digit(first_ten)}"


def batch(inbox: Path, carrier: int) -> list[tuple[str, bytes]]:
    """Writes the batch; returns (fact source id, subject) of every report it should produce: each
    message releases one bill of the carrier and its containers under that bill."""
    expected = []
    base = datetime(2026, 1, 15, 9, 0)
    for i in range(MESSAGES):
        numbers = [container(i * 10 + j) for j in range(CONTAINERS_PER_MESSAGE)]
        interchange = f"CRK{i:05d}"
        reference = f"{CARRIER_CODE}{i:010d}"
        raw = cusres(
            interchange,
            declaration=f"2233202600000{i:05d}",
            containers=numbers,
            bill_reference=reference,
            decided_at=base + timedelta(minutes=i),
        )
        (inbox / f"cusres-{i:03d}.edi").write_bytes(raw)
        source = f"edifact:CUSTOMSGW:{interchange}:1"
        bill = title_id(carrier, reference)
        expected.append((source, schemas.bill_subject(bill)))
        expected += [(source, schemas.bill_container_subject(bill, n)) for n in numbers]
    return expected


def start(config: Path, inbox: Path, log: Path, once: bool = False) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "oracle", "run", "--agency", "customs"]
    command += ["--inbox", str(inbox), "--config", str(config), "--poll", "0.2"]
    if once:
        command.append("--once")
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def finished_actions(inbox: Path) -> int:
    state = inbox / ".state" / "oracle.sqlite"
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(state, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM action WHERE status IS NOT NULL").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def kill_when(process: subprocess.Popen[bytes], inbox: Path, actions: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while finished_actions(inbox) < actions:
        assert process.poll() is None, "the runner exited before it was killed"
        assert time.monotonic() < deadline, f"fewer than {actions} actions after {timeout}s"
        time.sleep(0.01)
    time.sleep(random.uniform(0.0, 0.25))  # land anywhere: signing, queued, sent, mined, recorded
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_runner_killed_mid_batch_and_restarted_submits_every_report_exactly_once(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected = batch(inbox, oracle.stack.org("carrier"))
    config = oracle.config(Agency.CUSTOMS, signers=3)
    log = tmp_path / "runner.log"

    first = start(config, inbox, log)
    kill_when(first, inbox, actions=5)
    second = start(config, inbox, log)
    kill_when(second, inbox, actions=19)
    last = start(config, inbox, log, once=True)
    assert last.wait(timeout=120) == 0, log.read_text()

    attestations = oracle.stack.contracts.attestations
    agency = oracle.stack.org("customs")
    schema = oracle.stack.deployment.schema_id("CUSTOMS_RELEASE")
    for source_id, subject in expected:
        uid = attestations.call("reportAttestation", agency, schema, report_source_id(source_id, subject))
        assert uid != b"\x00" * 32, f"{source_id} 0x{subject.hex()} was skipped"
        assert attestations.call("latestEffective", subject, schema) == uid
    assert oracle.relayer_transactions() == len(expected), "a report was sent twice"
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        f"cusres-{i:03d}.edi" for i in range(MESSAGES)
    ]
    assert not [p for p in inbox.iterdir() if p.is_file()]
    assert not list((inbox / "rejected").iterdir())
    assert not list((inbox / "dead-letter").iterdir())
