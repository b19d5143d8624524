"""``POST /v1/oracles/{agency}/messages`` stores a message in the node database as a message of the calling
organisation, once, for members holding the agency's role only; a runner configured for one organisation
processes that organisation's messages and nobody else's.

Attack: a second TERMINAL organisation posts a CODECO gate-out naming a container on a right granted at
the configured terminal. The configured terminal's runner never submits it (the message belongs to the
other organisation), and no gate-out reaches the chain until the terminal posts it itself. Everything
is real: the API over its SQLite database, the runners (in process and as a ``portledger oracle run``
process) and the chain.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.db import Database
from ledger.documents import LocalDocumentStore
from ledger.services.oracle_messages import OracleMessage
from ledger.settings import Settings
from ledger_api.main import create_app
from oracles.door import RegistryCheck
from oracles.mapping import Agency
from tests.deployed import DeployedStack
from tests.integration.oracles.conftest import HAULIER_CODE, OracleSetup
from tests.integration.oracles.messages import codeco_gate_out, cusres

ROOT = Path(__file__).resolve().parents[3]
TERMINAL_ROLE = 1 << 3
ZERO32 = b"\x00" * 32
GRANTED, GATED_OUT = 1, 3
CONTAINER = "CSQU3054383"
BILL = "TOLU2026ING0001"


@dataclass
class Node:
    client: TestClient
    ledger: Ledger
    data_dir: Path
    tokens: dict[str, str]

    @property
    def database_url(self) -> str:
        return self.ledger.settings.resolved_database_url

    def post(self, org: str, agency: str, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        answer = self.client.post(
            f"/v1/oracles/{agency}/messages",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[org]}"},
        )
        return answer.status_code, answer.json()

    def message(self, org: str, agency: str, message_id: str) -> tuple[int, dict[str, Any]]:
        answer = self.client.get(
            f"/v1/oracles/{agency}/messages/{message_id}",
            headers={"Authorization": f"Bearer {self.tokens[org]}"},
        )
        return answer.status_code, answer.json()

    def rows(self) -> list[OracleMessage]:
        with self.ledger.db.transaction() as session:
            return list(session.scalars(select(OracleMessage).order_by(OracleMessage.id)).all())

    def count(self) -> int:
        with self.ledger.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(OracleMessage)) or 0)


@pytest.fixture
def node(deployed_stack: DeployedStack, chain: ChainClient, tmp_path: Path) -> Iterator[Node]:
    """An API node without background workers (the runners send the transactions) and its own database."""
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
    # As the node's entry point builds it (cli.api:app): the adapter registry checks posts at the door.
    with TestClient(create_app(settings, ledger=ledger, message_check=RegistryCheck())) as client:
        tokens = {
            name: ledger.keys.create(str(deployed_stack.org(name)), label=f"ingest {name}").token
            for name in ("terminal", "carrier", "customs")
        }
        yield Node(client, ledger, tmp_path, tokens)
    ledger.close()


def gate_out(interchange: str = "EIRING01") -> bytes:
    return codeco_gate_out(
        interchange,
        container=CONTAINER,
        bill_reference=BILL,
        haulier=HAULIER_CODE,
        at=datetime(2026, 1, 15, 10, 30),
    )


def release(interchange: str = "CRING001") -> bytes:
    return cusres(
        interchange,
        declaration="223320260000ING01",
        containers=(CONTAINER,),
        bill_reference=BILL,
        decided_at=datetime(2026, 1, 15, 9, 30),
    )


def second_terminal(node: Node, stack: DeployedStack) -> int:
    """Another TERMINAL organisation, admitted by the deployer (the test stack's bootstrap is not sealed),
    with an API key on this node."""
    account = to_checksum_address(os.urandom(20))
    receipt = stack.contracts.consortium.transact(
        "bootstrapAdmit",
        f"LEI-{account[-10:]}",
        f"Other Terminal {account[-6:]}",
        TERMINAL_ROLE,
        ZERO32,
        account,
        sender=stack.deployer,
    )
    org = int(receipt.event("OrganisationAdmitted").args["org"])
    node.tokens["other-terminal"] = node.ledger.keys.create(str(org), label="other terminal").token
    return org


def gated_out_events(stack: DeployedStack, right_id: bytes) -> list[Any]:
    events = stack.chain.get_logs(
        stack.contracts.release.address, stack.deployment.block_number, stack.chain.block_number()
    )
    return [e for e in events if e.name == "GatedOut" and e.args["rightId"] == right_id]


def sent_by(stack: DeployedStack, name: str) -> int:
    return int(stack.chain.rpc("eth_getTransactionCount", [stack.admin(name), "latest"]), 16)


def released_and_granted(oracle: OracleSetup, node: Node, tmp_path: Path) -> bytes:
    """A sea waybill listing the container, its right granted at the terminal to the haulier, and the
    customs release on chain, posted by customs through the API and processed by the customs runner."""
    bill_id = oracle.issue_bill(BILL, (CONTAINER,))
    right_id = oracle.grant_to_haulier(bill_id, CONTAINER)
    status, posted = node.post("customs", "customs", {"content": release().decode(), "filename": "cr.edi"})
    assert status == 202
    customs = oracle.runner(Agency.CUSTOMS, tmp_path / "customs-inbox", messages_url=node.database_url)
    assert customs.run_once().done == ["cr.edi"]
    assert node.message("customs", "customs", posted["id"])[1]["status"] == "done"
    return right_id


# ------------------------------------------------------------------------------------ the route


def test_a_posted_message_is_stored_once_for_the_calling_organisation(
    node: Node, deployed_stack: DeployedStack
) -> None:
    body = {"content": gate_out().decode(), "filename": "codeco 0001.edi"}
    status, stored = node.post("terminal", "terminal", body)

    assert status == 202
    assert stored["id"].startswith("msg_") and stored["duplicate"] is False
    assert (stored["agency"], stored["status"]) == ("terminal", "queued")
    (row,) = node.rows()
    assert (row.id, row.org, row.agency) == (stored["id"], deployed_stack.org("terminal"), "terminal")
    assert (row.content, row.filename, row.sha256) == (gate_out(), "codeco_0001.edi", stored["sha256"])
    assert not (node.data_dir / "inbox").exists()  # the API writes no file

    again_status, again = node.post("terminal", "terminal", body)
    assert (again_status, again["duplicate"], again["id"]) == (202, True, stored["id"])
    assert node.count() == 1

    shown_status, shown = node.message("terminal", "terminal", stored["id"])
    assert shown_status == 200
    assert (shown["status"], shown["sha256"], shown["operations"]) == ("queued", stored["sha256"], [])
    # Another organisation cannot read it, and the id is not valid under another agency.
    assert node.message("carrier", "terminal", stored["id"])[0] == 404
    assert node.message("terminal", "customs", stored["id"])[0] == 404


def test_a_codeco_with_a_wrong_check_digit_is_refused_at_the_door_and_not_stored(node: Node) -> None:
    wrong = codeco_gate_out(
        "EIRBAD01",
        container="CSQU3054384",
        bill_reference=BILL,
        haulier=HAULIER_CODE,
        at=datetime(2026, 1, 15),
    )
    status, problem = node.post("terminal", "terminal", {"content": wrong.decode(), "filename": "bad.edi"})

    assert status == 422
    assert problem["code"] == "MESSAGE_UNREADABLE"
    # UNB 1, UNH 2, BGM 3, NAD 4, EQD 5: the adapter's own words for where and which rule.
    assert (problem["segment"], problem["position"], problem["rule"]) == ("EQD", 5, "CONTAINER_CHECK_DIGIT")
    assert "CSQU3054384" in problem["reason"] and "EQD" in problem["detail"]
    assert node.count() == 0


def test_a_message_no_adapter_reads_is_refused_naming_its_type(node: Node) -> None:
    text = gate_out().decode().replace("CODECO:D:95B:UN:ITG14", "IFTSAI:D:95B:UN")
    status, problem = node.post("terminal", "terminal", {"content": text})
    assert (status, problem["code"], problem["rule"]) == (422, "MESSAGE_UNREADABLE", "UNSUPPORTED_MESSAGE")
    assert problem["segment"] == "UNH" and "IFTSAI" in problem["reason"]
    assert node.count() == 0


def test_a_good_codeco_is_accepted_and_its_status_shown(node: Node) -> None:
    status, stored = node.post("terminal", "terminal", {"content": gate_out("EIRGOOD1").decode()})
    assert (status, stored["status"], stored["duplicate"]) == (202, "queued", False)
    assert node.count() == 1
    shown_status, shown = node.message("terminal", "terminal", stored["id"])
    assert shown_status == 200
    assert (shown["id"], shown["status"], shown["reason"], shown["operations"]) == (
        stored["id"],
        "queued",
        None,
        [],
    )


def test_a_too_long_filename_names_the_limit(node: Node) -> None:
    status, problem = node.post(
        "terminal", "terminal", {"content": gate_out().decode(), "filename": "f" * 121}
    )
    assert (status, problem["code"]) == (422, "VALIDATION_FAILED")
    (error,) = problem["errors"]
    assert (error["path"], error["rule"], error["limit"]) == ("$.filename", "string_too_long", 120)
    assert node.count() == 0


def test_customs_posts_base64_content(node: Node) -> None:
    raw = cusres(
        "CRING001", declaration="2233ING001", containers=("CSQU3054383",), decided_at=datetime(2026, 1, 1)
    )
    status, stored = node.post(
        "customs", "customs", {"content": base64.b64encode(raw).decode(), "contentEncoding": "base64"}
    )
    assert status == 202
    (row,) = node.rows()
    assert (row.id, row.content, row.agency, row.filename) == (stored["id"], raw, "customs", None)


def test_member_without_the_agency_role_may_not_post_to_its_oracle(node: Node) -> None:
    status, problem = node.post("carrier", "customs", {"content": "UNA:+.? '"})
    assert status == 403
    assert problem["code"] == "FORBIDDEN"
    assert node.count() == 0


@pytest.mark.parametrize("content", ["***", ""])
def test_content_that_is_not_base64_or_empty_is_refused(node: Node, content: str) -> None:
    status, problem = node.post("terminal", "terminal", {"content": content, "contentEncoding": "base64"})
    assert status == 422
    assert problem["code"] == "VALIDATION_FAILED"
    assert node.count() == 0


def test_an_unknown_message_id_is_not_found_and_a_malformed_one_invalid(node: Node) -> None:
    assert node.message("terminal", "terminal", "msg_01JDZ8K3V6Q4T0F3W9R5X2M7NB")[0] == 404
    status, problem = node.message("terminal", "terminal", "../etc/passwd")
    assert status in (404, 422) and problem["code"] in ("NOT_FOUND", "VALIDATION_FAILED")
    status, problem = node.message("terminal", "terminal", "msg_nope")
    assert (status, problem["code"]) == (422, "VALIDATION_FAILED")


# ------------------------------------------------------------------------------- the runners


def test_another_terminal_cannot_make_the_configured_terminals_runner_gate_out(
    oracle: OracleSetup, node: Node, tmp_path: Path
) -> None:
    stack = oracle.stack
    right_id = released_and_granted(oracle, node, tmp_path)
    other = second_terminal(node, stack)
    terminal = oracle.runner(Agency.TERMINAL, tmp_path / "terminal-inbox", messages_url=node.database_url)
    sent = sent_by(stack, "terminal")

    status, forged = node.post(
        "other-terminal", "terminal", {"content": gate_out().decode(), "filename": "x.edi"}
    )
    assert (status, forged["duplicate"]) == (202, False)
    report = terminal.run_once()

    assert report.seen == 0  # the other organisation's message is not this runner's
    assert stack.contracts.release.call("releaseRight", right_id)["status"] == GRANTED
    assert gated_out_events(stack, right_id) == []
    assert sent_by(stack, "terminal") == sent
    (row,) = [r for r in node.rows() if r.id == forged["id"]]
    assert (row.org, row.status, row.operations) == (other, "queued", None)

    # The configured terminal's own post of the same bytes is its own message, and it is processed.
    status, own = node.post("terminal", "terminal", {"content": gate_out().decode(), "filename": "own.edi"})
    assert (status, own["duplicate"]) == (202, False) and own["id"] != forged["id"]
    assert terminal.run_once().done == ["own.edi"]

    assert stack.contracts.release.call("releaseRight", right_id)["status"] == GATED_OUT
    (event,) = gated_out_events(stack, right_id)
    assert event.args["terminal"] == stack.org("terminal") and event.args["by"] == stack.admin("terminal")
    assert sent_by(stack, "terminal") == sent + 1
    shown = node.message("terminal", "terminal", own["id"])[1]
    assert shown["status"] == "done" and shown["reason"] is None
    (operation,) = shown["operations"]
    assert operation["status"] == "submitted"
    assert str(operation["txHash"]).lower() == event.tx_hash.lower()
    assert operation["idempotencyKey"] == f"oracle:{operation['key']}:0"
    # The other terminal's message is still untouched, and a further pass does nothing.
    assert [r.status for r in node.rows() if r.id == forged["id"]] == ["queued"]
    assert terminal.run_once().seen == 0
    assert sent_by(stack, "terminal") == sent + 1


def test_a_file_dropped_in_the_folder_inbox_is_a_message_of_the_runners_organisation(
    oracle: OracleSetup, node: Node, tmp_path: Path
) -> None:
    stack = oracle.stack
    oracle.issue_bill(BILL, (CONTAINER,))
    inbox = tmp_path / "customs-inbox"
    inbox.mkdir()
    (inbox / "cusres-drop.edi").write_bytes(release("CRDROP01"))
    customs = oracle.runner(Agency.CUSTOMS, inbox, messages_url=node.database_url)

    assert customs.run_once().done == ["cusres-drop.edi"]

    (row,) = node.rows()
    assert (row.org, row.agency, row.filename, row.status) == (
        stack.org("customs"),
        "customs",
        "cusres-drop.edi",
        "done",
    )
    assert [op["status"] for op in row.operations or []] == ["submitted", "submitted"]  # bill, container
    assert (inbox / "done" / "cusres-drop.edi").is_file() and not (inbox / "cusres-drop.edi").exists()
    # The organisation sees its dropped file's outcome through the API; the same bytes posted are known.
    assert node.message("customs", "customs", row.id)[1]["status"] == "done"
    status, posted = node.post("customs", "customs", {"content": release("CRDROP01").decode()})
    assert (status, posted["duplicate"], posted["id"], posted["status"]) == (202, True, row.id, "done")


def test_a_restarted_runner_takes_up_the_queued_messages_once(
    oracle: OracleSetup, node: Node, tmp_path: Path
) -> None:
    stack = oracle.stack
    bill_id = oracle.issue_bill(BILL, (CONTAINER,))
    right_id = oracle.grant_to_haulier(bill_id, CONTAINER)
    inbox = tmp_path / "terminal-inbox"
    sent = sent_by(stack, "terminal")
    status, posted = node.post("terminal", "terminal", {"content": gate_out().decode(), "filename": "g.edi"})
    assert status == 202

    # The first runner meets the gate-out before the customs release: it stays queued, saying why.
    first = oracle.runner(Agency.TERMINAL, inbox, messages_url=node.database_url)
    assert first.run_once().waiting == ["g.edi"]
    waiting = node.message("terminal", "terminal", posted["id"])[1]
    assert waiting["status"] == "queued" and waiting["reason"]["code"] == "WAITING"
    assert "ReleaseNoCustomsRelease" in waiting["reason"]["reason"]
    del first  # the runner stops

    # While no terminal runner runs, customs releases and the terminal posts a second gate-out message
    # for the same container (another interchange): it becomes an already-done no-op, not a second write.
    status, _ = node.post("customs", "customs", {"content": release().decode(), "filename": "cr.edi"})
    customs = oracle.runner(Agency.CUSTOMS, tmp_path / "customs-inbox", messages_url=node.database_url)
    assert customs.run_once().done == ["cr.edi"]
    status, later = node.post(
        "terminal", "terminal", {"content": gate_out("EIRING02").decode(), "filename": "g2.edi"}
    )
    assert status == 202

    # The restarted runner is a `portledger oracle run --once` process with the same configuration.
    config = oracle.config(Agency.TERMINAL, name="terminal-restart", messages_url=node.database_url)
    command = [sys.executable, "-m", "cli", "oracle", "run", "--agency", "terminal"]
    command += ["--inbox", str(inbox), "--config", str(config), "--once"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert summary == {"done": 2, "deadLetter": 0, "rejected": 0, "waiting": 0}

    assert stack.contracts.release.call("releaseRight", right_id)["status"] == GATED_OUT
    assert len(gated_out_events(stack, right_id)) == 1
    assert sent_by(stack, "terminal") == sent + 1
    statuses = {r.id: r.status for r in node.rows()}
    assert statuses[posted["id"]] == statuses[later["id"]] == "done"
    # Once more: nothing is queued, nothing is sent.
    again = oracle.runner(Agency.TERMINAL, inbox, messages_url=node.database_url).run_once()
    assert again.seen == 0
    assert sent_by(stack, "terminal") == sent + 1
