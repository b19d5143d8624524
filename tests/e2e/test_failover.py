"""Two nodes, one chain worker at a time: SIGKILL the lease holder under load and the other node's chain
worker takes over within 5 s; every acknowledged operation ends mined exactly once.

The harness, not either node, runs the chain (the session's anvil) and PostgreSQL (the machine's
server, a fresh database), so killing a node kills neither. Each node has its own data directory (a
copy of the deployment record) and both share the database and one wallet directory. The load is
queued into the shared outbox as the nodes' API workers would (``Outbox.enqueue``, which notifies the
chain worker); the chain workers are real ``portledger chain-worker`` processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.chain import ChainClient, Contract
from ledger.db import Database, make_engine
from ledger.outbox import Outbox, Write
from tests.deployed import DeployedStack
from tests.integration.conftest import POSTGRES_URL, postgres_unreachable
from tests.integration.outbox.chain_checks import assert_outbox_agrees_with_chain, operations, stored_notes
from wallets import Passphrase, WalletDirectory

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSPHRASE = "failover test passphrase"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards."""
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"portledger_failover_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Node:
    """One node's chain worker process."""

    def __init__(self, name: str, root: Path, env: dict[str, str]):
        self.name = name
        self.log = root / f"{name}.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "chain-worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


def lease_holder(db: Database) -> tuple[int, str] | None:
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT epoch, holder FROM outbox_lease WHERE name = 'chain-worker'")
        ).first()
    return (int(row[0]), str(row[1])) if row else None


def wait_for_holder(
    db: Database, pids: set[int], after_epoch: int = 0, timeout: float = 60
) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = lease_holder(db)
        if held is not None and held[0] > after_epoch:
            pid = int(held[1].rsplit(":", 1)[1])
            if pid in pids:
                return held[0], pid
        time.sleep(0.05)
    raise AssertionError(f"no chain worker took the lease (last: {lease_holder(db)})")


def test_the_standby_chain_worker_takes_over_a_killed_holder_and_every_operation_is_mined_once(
    chain: ChainClient,
    deployed_stack: DeployedStack,
    accounts: list[str],
    shared_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = Database(shared_database)
    db.migrate()
    probe: Contract = chain.deploy("Probe", sender=accounts[0])
    wallets = tmp_path / "wallets"
    monkeypatch.setenv("PORTLEDGER_WALLET_SCRYPT_N", "2**10")  # test keys: a cheap scrypt
    directory = WalletDirectory.from_env(wallets)
    carrier_key = deployed_stack.private_key("carrier")
    wallet = directory.create_organisation("carrier", Passphrase(PASSPHRASE), private_key=carrier_key)
    signer = str(wallet.primary_address)
    env = {
        **os.environ,
        "PORTLEDGER_DATABASE_URL": shared_database,
        "PORTLEDGER_RPC_URL": chain.rpc_url,
        "PORTLEDGER_WALLET_DIR": str(wallets),
        "PORTLEDGER_WALLET_PASSPHRASE": PASSPHRASE,
        "PORTLEDGER_WALLET_SCRYPT_N": "2**10",
        "PORTLEDGER_ROLES": "chain",
    }
    nodes = []
    for name in ("node-a", "node-b"):
        data = tmp_path / name
        shutil.copytree(deployed_stack.data_dir / "deployments", data / "deployments")
        nodes.append(Node(name, tmp_path, {**env, "PORTLEDGER_DATA_DIR": str(data)}))
    outbox = Outbox(db, chain)
    queued: list[str] = []
    tag = uuid.uuid4().hex[:8]

    def enqueue(start: int, count: int) -> None:
        for i in range(start, start + count):
            write = Write.call(
                probe,
                "store",
                i,
                f"failover-{tag}-{i}",
                org="failover",
                kind="probe.store",
                signer=signer,
                idempotency_key=f"failover-{tag}-{i}",
            )
            queued.append(outbox.enqueue(write).id)
            time.sleep(0.02)

    try:
        for node in nodes:
            node.start()
        epoch, holder_pid = wait_for_holder(db, {n.pid for n in nodes})
        holder = next(n for n in nodes if n.pid == holder_pid)
        standby = next(n for n in nodes if n is not holder)

        load = threading.Thread(target=enqueue, args=(0, 60))
        load.start()
        time.sleep(0.6)  # under load: some mined, some sent, some queued
        killed_at = time.monotonic()
        holder.kill()
        new_epoch, new_pid = wait_for_holder(db, {standby.pid}, after_epoch=epoch, timeout=5)
        assert time.monotonic() - killed_at < 5, "the standby took longer than 5 s"
        assert new_epoch == epoch + 1 and new_pid == standby.pid
        load.join(60)
        enqueue(60, 10)  # and more after the takeover

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            ops = [op for op in operations(db, signer) if op.id in set(queued)]
            if len(ops) == len(queued) and all(op.status == "mined" for op in ops):
                break
            time.sleep(0.2)
        ops = [op for op in operations(db, signer) if op.id in set(queued)]
        assert len(queued) == 70 and len(ops) == 70
        assert all(op.status == "mined" for op in ops), {op.status for op in ops}
        assert_outbox_agrees_with_chain(chain, probe, db, ops)
        notes = stored_notes(chain, probe)
        assert all(notes[f"failover-{tag}-{i}"] == 1 for i in range(70)), "an operation was applied twice"
        nonces = sorted(op.nonce for op in ops if op.nonce is not None)
        assert nonces == list(range(nonces[0], nonces[0] + 70)), "a nonce was skipped or used twice"
        assert standby.stop() == 0
    finally:
        for node in nodes:
            node.kill()
        db.dispose()
