"""``POST /v1/oracles/{agency}/messages`` stores a posted message in the agency's inbox, once, for members
holding the agency's role only; what it stores is what the runner reads."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.db import Database
from ledger.documents import LocalDocumentStore
from ledger.settings import Settings
from ledger_api.main import create_app
from oracles.facts import GateEvent
from oracles.registry import default_registry
from tests.deployed import DeployedStack
from tests.integration.oracles.conftest import HAULIER_CODE
from tests.integration.oracles.messages import codeco_gate_out, cusres


@dataclass
class Node:
    client: TestClient
    data_dir: Path
    tokens: dict[str, str]

    def post(self, org: str, agency: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
        answer = self.client.post(
            f"/v1/oracles/{agency}/messages",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[org]}"},
        )
        return answer.status_code, answer.json()


@pytest.fixture
def node(deployed_stack: DeployedStack, chain: ChainClient, tmp_path: Path) -> Iterator[Node]:
    """An API node without background workers (this test sends no transactions) and its own database."""
    settings = Settings(
        data_dir=tmp_path,
        rpc_url=chain.rpc_url,
        run_workers=False,
        statement_key_passphrase=SecretStr("statement key passphrase for tests"),
    )
    db = Database(settings.resolved_database_url)
    db.migrate()
    ledger = Ledger.assemble(
        settings,
        db,
        chain,
        deployed_stack.deployment,
        LocalDocumentStore(settings.resolved_store_dir),
        wallets={},
    )
    with TestClient(create_app(settings, ledger=ledger)) as client:
        tokens = {
            name: ledger.keys.create(str(deployed_stack.org(name)), label=f"ingest {name}").token
            for name in ("terminal", "carrier", "customs")
        }
        yield Node(client, tmp_path, tokens)
    ledger.close()


def gate_out() -> bytes:
    return codeco_gate_out(
        "EIRING01",
        container="CSQU3054383",
        bill_reference="TOLU2026ING0001",
        haulier=HAULIER_CODE,
        at=datetime(2026, 1, 15, 10, 30),
    )


def test_terminal_posts_a_codeco_into_its_inbox_once_and_the_runner_reads_it(node: Node) -> None:
    body = {"content": gate_out().decode(), "filename": "codeco 0001.edi"}
    status, stored = node.post("terminal", "terminal", body)

    assert status == 202
    assert stored["duplicate"] is False
    inbox = node.data_dir / "inbox" / "terminal"
    path = inbox / str(stored["storedAs"])
    assert path.read_bytes() == gate_out()
    assert str(stored["storedAs"]).endswith("codeco_0001.edi")
    (fact,) = default_registry().parse(path.read_bytes(), path.name).facts
    assert isinstance(fact, GateEvent) and fact.container.container_number == "CSQU3054383"

    again_status, again = node.post("terminal", "terminal", body)
    assert (again_status, again["duplicate"], again["storedAs"]) == (202, True, stored["storedAs"])
    assert [p.name for p in inbox.iterdir() if p.is_file()] == [stored["storedAs"]]


def test_customs_posts_base64_content(node: Node) -> None:
    raw = cusres(
        "CRING001", declaration="2233ING001", containers=("CSQU3054383",), decided_at=datetime(2026, 1, 1)
    )
    status, stored = node.post(
        "customs", "customs", {"content": base64.b64encode(raw).decode(), "contentEncoding": "base64"}
    )
    assert status == 202
    assert (node.data_dir / "inbox" / "customs" / str(stored["storedAs"])).read_bytes() == raw


def test_member_without_the_agency_role_may_not_post_to_its_inbox(node: Node) -> None:
    status, problem = node.post("carrier", "customs", {"content": "UNA:+.? '"})
    assert status == 403
    assert problem["code"] == "FORBIDDEN"
    assert not (node.data_dir / "inbox" / "customs").exists()


def test_content_that_is_not_base64_is_refused(node: Node) -> None:
    status, problem = node.post("terminal", "terminal", {"content": "***", "contentEncoding": "base64"})
    assert status == 422
    assert problem["code"] == "VALIDATION_FAILED"
