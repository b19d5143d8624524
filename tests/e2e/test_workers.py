"""The node as several processes on PostgreSQL: two API worker processes (HTTP only) and one chain
worker (transaction manager, indexer, webhooks). A write through worker 1 that is answered ``mined`` is
read back through worker 2 at once (read-your-writes across processes: the index the chain worker keeps
is the one both read), the document too (its key wraps were granted by the chain worker's indexer); an
API key revoked elsewhere stops working on a worker that had it cached, at once (``NOTIFY``).

Real processes: uvicorn serving ``ledger_api`` with ``PORTLEDGER_ROLES=api``, ``portledger
chain-worker``; the session's anvil with a deployment of its own; the machine's PostgreSQL (a fresh
database); a shared wallet directory and document folder.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.services.keys import ApiKeys
from tests.deployed import DeployedStack, deploy_stack
from tests.e2e.test_failover import shared_database
from wallets import Passphrase, WalletDirectory

__all__ = ["shared_database"]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "workers test passphrase"
FIXTURE = ROOT / "tests" / "fixtures" / "dcsa" / "valid" / "issued-negotiable-blank.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name = name
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def wait_ready(url: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"{url}/readyz", timeout=2)
            if answer.status_code == 200:
                body: dict[str, Any] = answer.json()
                return body
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became ready")


@pytest.fixture
def node(
    chain: ChainClient, shared_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[list[str], dict[str, str], DeployedStack, Database]]:
    """A fresh deployment, its carrier and shipper wallets, a chain worker and two API workers."""
    stack = deploy_stack(chain, tmp_path / "data")
    monkeypatch.setenv("PORTLEDGER_WALLET_SCRYPT_N", "2**10")
    directory = WalletDirectory.from_env(tmp_path / "wallets")
    for name in ("carrier", "shipper"):
        wallet = directory.create_organisation(
            name, Passphrase(PASSPHRASE), private_key=stack.private_key(name)
        )
        public = bytes.fromhex(wallet.document_public_key_hex().removeprefix("0x"))
        stack.contracts.consortium.transact(
            "setEncryptionKey", stack.org(name), public, sender=stack.admin(name)
        )
    db = Database(shared_database)
    db.migrate()
    keys = ApiKeys(db)
    tokens = {name: keys.create(str(stack.org(name)), label=name).token for name in ("carrier", "shipper")}
    env = {
        **os.environ,
        "PORTLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PORTLEDGER_DATABASE_URL": shared_database,
        "PORTLEDGER_RPC_URL": chain.rpc_url,
        "PORTLEDGER_WALLET_DIR": str(tmp_path / "wallets"),
        "PORTLEDGER_WALLET_PASSPHRASE": PASSPHRASE,
        "PORTLEDGER_WALLET_SCRYPT_N": "2**10",
        "PORTLEDGER_DOCUMENT_STORE_DIR": str(tmp_path / "documents"),
        "PORTLEDGER_STATEMENT_KEY_PASSPHRASE": "statement key passphrase for tests",
        "PORTLEDGER_API_KEY_CACHE_SECONDS": "3600",  # only the notification can end a checked key
    }
    processes = [
        Process(
            "chain-worker",
            [sys.executable, "-m", "cli", "chain-worker"],
            {**env, "PORTLEDGER_ROLES": "chain"},
            tmp_path / "chain-worker.log",
        )
    ]
    urls = []
    for i in (1, 2):
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "cli.api:app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        processes.append(
            Process(f"api-{i}", command, {**env, "PORTLEDGER_ROLES": "api"}, tmp_path / f"api-{i}.log")
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            roles = wait_ready(url)["roles"]
            assert roles["process"] == "api" and roles["jobs"] == [], roles  # HTTP only
        yield urls, tokens, stack, db
    finally:
        for process in reversed(processes):
            process.stop()
        db.dispose()


def document(stack: DeployedStack) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    doc["carrierCode"] = stack.config.organisation("carrier").legal_id
    doc["transportDocumentReference"] = ("TOLU" + uuid.uuid4().hex.upper())[:20]
    return doc


def test_a_write_mined_through_one_worker_is_read_through_the_other_and_a_revoked_key_stops_at_once(
    node: tuple[list[str], dict[str, str], DeployedStack, Database],
) -> None:
    (first, second), tokens, stack, db = node
    carrier = {"Authorization": f"Bearer {tokens['carrier']}", "Prefer": "wait=30"}
    shipper = {"Authorization": f"Bearer {tokens['shipper']}"}
    doc = document(stack)
    answer = requests.post(
        f"{first}/v1/bills",
        json={"document": doc, "issueTo": str(stack.org("shipper"))},
        headers=carrier,
        timeout=40,
    )
    assert answer.status_code == 200, answer.text
    operation = answer.json()
    assert operation["status"] == "mined", operation
    bill_id = operation["result"]["billId"]

    # Through the other process, at once: the title, and the document the chain worker gave access to.
    read = requests.get(f"{second}/v1/bills/{bill_id}", headers=shipper, timeout=10)
    assert read.status_code == 200, read.text
    assert read.json()["possessor"] == str(stack.org("shipper"))
    opened = requests.get(f"{second}/v1/bills/{bill_id}/document", headers=shipper, timeout=10)
    assert opened.status_code == 200, opened.text
    assert opened.json() == doc
    assert (
        requests.get(f"{second}/v1/operations/{operation['id']}", headers=carrier, timeout=10).json()[
            "status"
        ]
        == "mined"
    )

    # A key worker 2 has just checked (cached for a while) is revoked elsewhere: it stops at once.
    assert requests.get(f"{second}/v1/bills/{bill_id}", headers=shipper, timeout=10).status_code == 200
    keys = ApiKeys(db)
    (key,) = [k for k in keys.list(str(stack.org("shipper"))) if k.revoked_at is None]
    keys.revoke(key.id)
    deadline = time.monotonic() + 1.0  # the workers trust a checked key for an hour
    status = 200
    while time.monotonic() < deadline:
        status = requests.get(f"{second}/v1/bills/{bill_id}", headers=shipper, timeout=10).status_code
        if status == 401:
            break
        time.sleep(0.05)
    assert status == 401, "a revoked key still worked on the other worker"
