"""The day's work through ``portledger``: bills history and statements, release rights from grant to
gate-in, attestations, report relaying and oracle messages, each against a running node.

The node is the port world's app (its lifespan runs in the world's ``TestClient``) served over real HTTP
by uvicorn on a free 127.0.0.1 port; the commands run through typer's ``CliRunner`` with the world's API
keys. Outputs and the node's state are both checked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from ledger.domain import schemas
from ledger.services.oracle_messages import MessageStatus
from tests.api.served import serve_answers, serve_app
from tests.api.test_releases_world import PortWorld, port_world, release_fields

__all__ = ["port_world"]


@pytest.fixture(scope="module")
def node(port_world: PortWorld) -> Iterator[str]:
    with serve_app(port_world.client.app) as url:
        yield url


def cli(world: PortWorld, url: str, org: str, *args: str) -> Result:
    return CliRunner().invoke(
        app, [*args, "--api-url", url, "--api-key", world.token[org]], env={"COLUMNS": "200"}
    )


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def hex_id(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def report_file(world: PortWorld, tmp_path: Path, subject: bytes) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(world.signed_report("CUSTOMS_RELEASE", subject, release_fields())))
    return path


def granted(world: PortWorld, url: str, bill: str, container: str) -> str:
    now = world.chain.latest_timestamp()
    window = ["--valid-from", str(now - 60), "--valid-until", str(now + 86_400)]
    terminal = str(world.org["terminal"])
    args = ["releases", "grant", bill, "--container", container, "--terminal", terminal, *window, "--json"]
    operation = as_json(cli(world, url, "carrier", *args))
    assert operation["status"] == "mined" and operation["kind"] == "release.grant"
    right: str = operation["result"]["rights"][0]["rightId"]
    return right


# ---------------------------------------------------------------------- bills


def test_bills_history_lists_every_action_of_the_title(port_world: PortWorld, node: str) -> None:
    world = port_world
    bill = hex_id(world.accomplished_bill("consignee"))
    items = as_json(cli(world, node, "consignee", "bills", "history", bill, "--json"))["items"]
    expected = world.get("consignee", f"/v1/bills/{bill}/history").json()["items"]
    assert items == expected and len(items) >= 3
    table = ok(cli(world, node, "consignee", "bills", "history", bill))
    for item in items:
        assert item["action"] in table


def test_bills_statement_verify_accepts_the_node_signature(port_world: PortWorld, node: str) -> None:
    world = port_world
    bill = hex_id(world.issue("consignee"))
    result = cli(world, node, "consignee", "bills", "statement", bill, "--verify", "--json")
    signed = as_json(result)
    assert signed["statement"]["billId"] == bill
    assert signed["statement"]["possessor"] == str(world.org["consignee"])
    key = world.get("consignee", "/v1/statement-key").json()
    assert "signature valid" in result.stderr and key["keyId"] in result.stderr
    assert "possessor" in ok(cli(world, node, "consignee", "bills", "statement", bill))


def test_bills_statement_verify_exits_1_when_the_statement_was_altered(
    port_world: PortWorld, node: str
) -> None:
    world = port_world
    bill = hex_id(world.issue("consignee"))
    signed = world.get("consignee", f"/v1/bills/{bill}/collateral-statement").json()
    key = world.get("consignee", "/v1/statement-key").json()
    forged = {**signed, "statement": {**signed["statement"], "possessor": str(world.org["bank"])}}
    answers = {f"/v1/bills/{bill}/collateral-statement": forged, "/v1/statement-key": key}
    with serve_answers(answers.get) as (url, asked):
        result = cli(world, url, "consignee", "bills", "statement", bill, "--verify")
    assert result.exit_code == 1
    assert "signature invalid" in result.stderr and "does not match" in result.stderr
    assert asked == list(answers)


def test_bills_statement_of_a_title_you_may_not_know_prints_not_found(
    port_world: PortWorld, node: str
) -> None:
    world = port_world
    bill = hex_id(world.issue("consignee"))
    result = cli(world, node, "haulier", "bills", "statement", bill, "--verify")
    assert result.exit_code == 1
    assert "NOT_FOUND (404)" in result.stderr


# ---------------------------------------------------------------------- reports and attestations


def test_reports_submit_then_attestations_list_and_show(
    port_world: PortWorld, node: str, tmp_path: Path
) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    bill = hex_id(bill_id)
    path = report_file(world, tmp_path, schemas.bill_subject(bill_id))
    operation = as_json(cli(world, node, "shipper", "reports", "submit", str(path), "--json"))
    assert operation["status"] == "mined"

    items = as_json(cli(world, node, "consignee", "attestations", "list", bill, "--json"))["items"]
    assert [(a["schemaName"], a["effective"], a["attester"]) for a in items] == [
        ("CUSTOMS_RELEASE", True, str(world.org["customs"]))
    ]
    uid = items[0]["uid"]
    assert "CUSTOMS_RELEASE" in ok(cli(world, node, "consignee", "attestations", "list", bill))
    shown = ok(cli(world, node, "consignee", "attestations", "show", uid, "--subject", bill))
    assert "CUSTOMS_RELEASE" in shown and "fields.declarationNumber" in shown and "DEC-2026-0001" in shown

    again = cli(world, node, "shipper", "reports", "submit", str(path))
    assert "already accepted" in ok(again) or "mined" in again.stdout
    assert len(world.get("consignee", f"/v1/subjects/{bill}/attestations").json()["items"]) == 1

    missing = cli(world, node, "consignee", "attestations", "show", "0x" + "ab" * 32, "--subject", bill)
    assert missing.exit_code == 1 and "not found" in missing.stderr


def test_reports_submit_with_a_bad_signature_prints_the_code(
    port_world: PortWorld, node: str, tmp_path: Path
) -> None:
    world = port_world
    path = report_file(world, tmp_path, schemas.bill_subject(world.accomplished_bill("consignee")))
    body = json.loads(path.read_text())
    body["signatures"] = body["signatures"][:1]
    path.write_text(json.dumps(body))
    result = cli(world, node, "shipper", "reports", "submit", str(path))
    assert result.exit_code == 1
    assert "refused:" in result.stderr and ("(409)" in result.stderr or "(422)" in result.stderr)


# ---------------------------------------------------------------------- release rights


def test_releases_from_grant_to_gate_in(port_world: PortWorld, node: str, tmp_path: Path) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    bill, container = hex_id(bill_id), world.container_on(bill_id)
    ok(
        cli(
            world,
            node,
            "shipper",
            "reports",
            "submit",
            str(report_file(world, tmp_path, schemas.bill_subject(bill_id))),
        )
    )
    right = granted(world, node, bill, container)
    assert world.get("consignee", f"/v1/releases/{right}").json()["holder"] == str(world.org["consignee"])

    haulier = str(world.org["haulier"])
    assert "mined" in ok(cli(world, node, "consignee", "releases", "nominate", right, "--to", haulier))
    assert world.get("haulier", f"/v1/releases/{right}").json()["holder"] == haulier

    shown = ok(cli(world, node, "haulier", "releases", "show", right))
    assert container in shown and "GRANTED" in shown and "ReleaseNominated" in shown

    out = cli(
        world, node, "terminal", "releases", "gate-out", right, "--haulier", haulier,
        "--seal", "SEAL0001", "--truck-plate", "ZJB12345", "--event-time", "1795000000",
    )  # fmt: skip
    assert "mined" in ok(out) and "release.gate_out" in out.stdout
    assert world.get("carrier", f"/v1/releases/{right}").json()["status"] == "GATED_OUT"

    twice = cli(world, node, "terminal", "releases", "gate-out", right, "--haulier", haulier)
    assert twice.exit_code == 1 and "RELEASE_RIGHT_NOT_ACTIVE (409)" in twice.stderr

    ok(cli(world, node, "terminal", "releases", "gate-in", right, "--empty", "--event-time", "1795090000"))
    listed = as_json(cli(world, node, "carrier", "releases", "list", "--bill", bill, "--json"))["items"]
    assert [(r["rightId"], r["status"]) for r in listed] == [(right, "GATED_IN")]
    table = ok(cli(world, node, "carrier", "releases", "list", "--bill", bill))
    assert container in table and "GATED_IN" in table
    eirs = world.get("terminal", f"/v1/containers/{container}/eirs").json()["items"]
    assert [(e["direction"], e["laden"]) for e in eirs] == [("OUT", True), ("IN", False)]


def test_releases_code_then_gate_out_with_the_code(port_world: PortWorld, node: str, tmp_path: Path) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    ok(
        cli(
            world,
            node,
            "shipper",
            "reports",
            "submit",
            str(report_file(world, tmp_path, schemas.bill_subject(bill_id))),
        )
    )
    right = granted(world, node, hex_id(bill_id), world.container_on(bill_id))
    issued = as_json(cli(world, node, "consignee", "releases", "code", right, "--json"))
    code = issued["releaseCode"]
    assert issued["status"] == "mined" and len(code) >= 24
    assert world.get("consignee", f"/v1/releases/{right}").json()["hasReleaseCode"] is True

    wrong = cli(world, node, "terminal", "releases", "gate-out", right, "--release-code", "00" * 16)
    assert wrong.exit_code == 1 and "RELEASE_CODE_MISMATCH" in wrong.stderr
    ok(cli(world, node, "terminal", "releases", "gate-out", right, "--release-code", code))
    assert world.get("carrier", f"/v1/releases/{right}").json()["status"] == "GATED_OUT"


def test_releases_grant_by_a_non_carrier_prints_the_contract_error(port_world: PortWorld, node: str) -> None:
    world = port_world
    bill_id = world.accomplished_bill("consignee")
    args = ["releases", "grant", hex_id(bill_id), "--container", world.container_on(bill_id)]
    result = cli(world, node, "consignee", *args, "--terminal", str(world.org["terminal"]))
    assert result.exit_code == 1 and "RELEASE_NOT_CARRIER (409)" in result.stderr
    assert world.get("consignee", f"/v1/releases?billId={hex_id(bill_id)}").json()["items"] == []


# ---------------------------------------------------------------------- oracle messages


def test_oracle_post_prints_the_message_id_and_its_status(
    port_world: PortWorld, node: str, tmp_path: Path
) -> None:
    world = port_world
    path = tmp_path / f"cusres-{time.time_ns()}.edi"
    path.write_text(f"UNA:+.? 'UNB+UNOC:3+CUSTOMS+PORT+260101:1200+{time.time_ns()}'")
    posted = as_json(
        cli(world, node, "customs", "oracle", "post", str(path), "--agency", "customs", "--json")
    )
    message_id = posted["message"]["id"]
    assert message_id.startswith("msg_") and posted["status"]["status"] == "queued"
    stored = world.ledger.oracle_messages.get(world.org["customs"], message_id)
    assert stored.status == "queued" and stored.agency == "customs"

    again = ok(cli(world, node, "customs", "oracle", "post", str(path), "--agency", "customs"))
    assert f"message {message_id} (duplicate" in again and "status queued" in again


def test_oracle_post_wait_follows_the_message_until_final(
    port_world: PortWorld, node: str, tmp_path: Path
) -> None:
    world = port_world
    path = tmp_path / "codeco.edi"
    path.write_text(f"UNA:+.? 'UNB+UNOC:3+TERMINAL+PORT+260101:1200+{time.time_ns()}'")
    customs = world.org["customs"]

    def runner() -> None:  # what the organisation's oracle runner records once it has processed it
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            queued = world.ledger.oracle_messages.queued(customs, "customs", limit=1000)
            mine = [m for m in queued if m.filename == path.name]
            if mine:
                world.ledger.oracle_messages.finish(mine[0].id, MessageStatus.REJECTED, {"rule": "test"}, [])
                return
            time.sleep(0.1)

    thread = threading.Thread(target=runner)
    thread.start()
    result = cli(
        world,
        node,
        "customs",
        "oracle",
        "post",
        str(path),
        "--agency",
        "customs",
        "--wait",
        "--timeout",
        "30",
    )
    thread.join()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "status rejected" in result.stdout and '"rule": "test"' in result.stdout


def test_oracle_post_by_an_organisation_without_the_role_is_refused(
    port_world: PortWorld, node: str, tmp_path: Path
) -> None:
    world = port_world
    path = tmp_path / "x.edi"
    path.write_text("UNA:+.? '")
    result = cli(world, node, "shipper", "oracle", "post", str(path), "--agency", "customs")
    assert result.exit_code == 1 and "FORBIDDEN (403)" in result.stderr
