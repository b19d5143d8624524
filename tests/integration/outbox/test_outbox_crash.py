"""Crash safety for real: the manager process is killed with SIGKILL at random points, many times,
while writes keep arriving; afterwards every acknowledged operation is on chain exactly once and
the outbox agrees with the chain."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.outbox import KeySigner, Outbox, TransactionManager, Write

from .chain_checks import assert_outbox_agrees_with_chain, operations

ROOT = Path(__file__).resolve().parents[3]
FORK_SERVER = Path(__file__).with_name("manager_process.py")
KILLS = 50


class ManagerProcesses:
    """The fork server plus the one manager child alive at a time (both started here, killed by PID)."""

    def __init__(self, db_url: str, rpc_url: str, key: bytes):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.server = subprocess.Popen(
            [sys.executable, str(FORK_SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(f"{db_url} {rpc_url} {key.hex()}\n")
        self.server.stdin.flush()
        assert self.server.stdout.readline().strip() == "ready"
        self.child: int | None = None

    def spawn(self) -> int:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write("spawn\n")
        self.server.stdin.flush()
        self.child = int(self.server.stdout.readline())
        return self.child

    def kill_child(self) -> None:
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)
            _wait_gone(self.child)
            self.child = None

    def close(self) -> None:
        self.kill_child()
        if self.server.stdin is not None:
            self.server.stdin.close()
        try:
            self.server.wait(10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait(10)


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)
    raise AssertionError(f"manager process {pid} survived SIGKILL")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'outbox.db'}")
    db.migrate()
    yield db
    db.dispose()


@pytest.mark.slow
@pytest.mark.kill
def test_manager_killed_at_random_points_leaves_every_acknowledged_write_on_chain_once(
    sqlite_db: Database, chain: ChainClient, probe: Contract
) -> None:
    key = os.urandom(32)
    signer = KeySigner(key)
    chain.rpc("anvil_setBalance", [signer.address, hex(10**21)])
    outbox = Outbox(sqlite_db, chain)
    acknowledged: dict[str, str] = {}  # idempotency key (the Stored note) -> operation id
    stop = threading.Event()
    errors: list[BaseException] = []

    def write_load() -> None:
        """Writes keep arriving (5 every ~20 ms) while managers come and go."""
        batch = 0
        try:
            while not stop.is_set():
                keys = [f"crash-{signer.address[2:10]}-{batch}-{i}" for i in range(5)]
                writes = [
                    Write.call(
                        probe,
                        "store",
                        batch,
                        k,
                        org="org-1",
                        kind="probe.store",
                        signer=signer.address,
                        idempotency_key=k,
                    )
                    for k in keys
                ]
                for k, op in zip(keys, outbox.enqueue_many(writes), strict=True):
                    acknowledged[k] = op.id
                batch += 1
                stop.wait(0.02)
        except BaseException as exc:
            errors.append(exc)

    rng = random.Random(os.urandom(8))
    processes = ManagerProcesses(str(sqlite_db.engine.url), chain.rpc_url, key)
    loader = threading.Thread(target=write_load)
    loader.start()
    try:
        for _ in range(KILLS):
            processes.spawn()
            time.sleep(rng.uniform(0.01, 0.6))
            processes.kill_child()
    finally:
        stop.set()
        loader.join(30)
        processes.close()
    assert not errors, errors
    assert len(acknowledged) > 200  # the writes kept coming while managers died

    # Restart once more and let it finish.
    manager = TransactionManager(sqlite_db, chain, [signer], resend_after=1.0, stuck_after=3.0)
    manager.recover()
    manager.drain(timeout=60)

    ops = operations(sqlite_db, signer.address)
    by_id = {op.id: op for op in ops}
    assert set(acknowledged.values()) <= set(by_id)
    assert {op.status for op in ops} == {"mined"}
    assert [op.nonce for op in ops] == list(range(len(ops)))
    events = chain.get_logs(probe.address, 0, chain.block_number())
    notes = Counter(
        str(e.args["note"]) for e in events if e.name == "Stored" and e.args["by"] == signer.address
    )
    assert all(notes[k] == 1 for k in acknowledged), {k: notes[k] for k in acknowledged if notes[k] != 1}
    assert sum(notes.values()) == len(ops)
    assert {k: acknowledged[k] for k in notes} == {op.idempotency_key: op.id for op in ops}
    assert int(chain.rpc("eth_getTransactionCount", [signer.address, "latest"]), 16) == len(ops)
    assert_outbox_agrees_with_chain(chain, probe, sqlite_db, ops)
