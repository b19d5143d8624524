"""SIGKILL of the whole stack, then ``make run``: nothing acknowledged is lost, nothing is applied twice.

Every run here sets ``PORTLEDGER_STATE_INTERVAL`` far beyond the test's length, so anvil writes its
state only when it is stopped cleanly. The demo is seeded and the stack stopped with Ctrl-C (the state
file then holds the deployment and nothing later), it is started again, three issues are acknowledged
as mined, and every process is SIGKILLed: the chain is certain to come back without the blocks that
mined them. The next start must resume below the block number seen before the kill; the outbox must
find the lost blocks and send its stored transactions again (the very same hashes are mined on the
restarted chain); and each title must be back, ISSUED, with exactly one issue in its history and the
carrier's nonce where it was before the kill. It runs twice: as the single process on SQLite
(``--api-workers 1``), whose API process runs the transaction manager, and as two API workers beside the
chain worker on the embedded PostgreSQL, killed with the rest.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from cli.demo.scenario import transport_document, unique_container, unique_reference
from tests.e2e.stack_process import StackProcess, alive

pytestmark = [pytest.mark.slow, pytest.mark.kill]

NO_PERIODIC_DUMP = {"PORTLEDGER_STATE_INTERVAL": "3600"}
"""anvil's state-dump interval for these runs: longer than the test, so only a clean stop writes it."""
AT_BLOCK = re.compile(r"chain: at block (\d+)")
"""What ``portledger run`` prints once anvil answers, before the API (and its outbox) starts."""
RECOVERED = re.compile(r"chain is behind the outbox: (\d+) blocks gone, (\d+) operations to re-send")
"""The transaction manager's start-up warning when mined operations lost their blocks."""


def hex_int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 16)


def dumped_head(state_file: Path) -> int:
    """The latest block in anvil's state file: where a restart resumes."""
    state = json.loads(state_file.read_text())
    return hex_int(state.get("best_block_number", state["block"]["number"]))


def wait_for(what: str, check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


@pytest.mark.parametrize("api_workers", [1, 2], ids=["one-process-sqlite", "two-workers-postgresql"])
def test_sigkill_loses_blocks_and_the_outbox_resends_every_acknowledged_issue_once(
    tmp_path: Path, api_workers: int
) -> None:
    data = tmp_path / "data"
    state_file = data / "chain" / "anvil-state.json"
    # The transaction manager's log: the one API process's, or the chain worker's beside several.
    manager_log = data / "logs" / ("api.log" if api_workers == 1 else "chain-worker.log")
    seed, before, after = (
        StackProcess(data, env=dict(NO_PERIODIC_DUMP), api_workers=api_workers) for _ in range(3)
    )
    try:
        seed.start()
        assert seed.interrupt() == 0  # Ctrl-C: anvil writes its state, the deployment included
        seeded_head = dumped_head(state_file)

        assert "resumed" in before.start()
        shipper = before.demo_keys()["shipper"]["org"]
        operations: list[dict[str, Any]] = []
        for _ in range(3):
            body = {
                "document": transport_document(unique_reference(), unique_container()),
                "issueTo": shipper,
            }
            response = before.post("/v1/bills", "carrier", body)
            assert response.status_code == 200, response.text
            operation = response.json()
            assert operation["status"] == "mined", operation
            operations.append(operation)
        head_before_kill = hex_int(before.rpc("eth_blockNumber"))
        senders = {before.rpc("eth_getTransactionByHash", op["txHash"])["from"] for op in operations}
        assert len(senders) == 1, senders
        carrier = senders.pop()
        nonce_before_kill = hex_int(before.rpc("eth_getTransactionCount", carrier, "latest"))
        # The blocks that mined the acknowledged issues are not in the state file: the kill loses them.
        assert dumped_head(state_file) == seeded_head
        assert seeded_head < min(op["blockNumber"] for op in operations) <= head_before_kill

        pids = before.recorded_pids()
        assert ("postgres" in before.pids()) == (api_workers > 1)
        before.kill_all()
        assert not any(alive(pid) for pid in pids)
        assert dumped_head(state_file) == seeded_head, "anvil wrote its state although it was SIGKILLed"

        log_offset = manager_log.stat().st_size
        out = after.start()
        assert "resumed" in out
        restart_heads = [int(n) for n in AT_BLOCK.findall(out)]
        assert restart_heads == [seeded_head], out
        assert restart_heads[0] < head_before_kill, "the restarted chain still has the blocks of the kill"

        def recovery() -> re.Match[str] | None:
            return RECOVERED.search(manager_log.read_text(errors="replace")[log_offset:])

        found = wait_for(f"the outbox's start-up recovery warning in {manager_log.name}", recovery)
        blocks_gone, to_resend = int(found.group(1)), int(found.group(2))
        assert blocks_gone >= 1
        assert to_resend == len(operations)

        def final_views() -> dict[str, dict[str, Any]] | None:
            views = {op["id"]: after.get(f"/v1/operations/{op['id']}", "carrier").json() for op in operations}
            return views if all(v["status"] != "pending" for v in views.values()) else None

        views = wait_for("the re-sent operations to be mined again", final_views)
        for op in operations:
            view = views[op["id"]]
            assert view["status"] == "mined", view
            # The stored signed transaction itself was sent again (same hash), not a new one signed.
            assert view["txHash"] == op["txHash"], (view, op)
            receipt = after.rpc("eth_getTransactionReceipt", op["txHash"])
            assert receipt is not None and hex_int(receipt["status"]) == 1, receipt
            assert hex_int(receipt["blockNumber"]) == view["blockNumber"] > restart_heads[0]

        for op in operations:
            bill = op["result"]["billId"]
            response = after.get(f"/v1/bills/{bill}", "carrier")
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "ISSUED"
            history = after.get(f"/v1/bills/{bill}/history", "carrier").json()["items"]
            assert [h["action"] for h in history] == ["ISSUE"], history
            assert history[0]["txHash"] == op["txHash"]
            assert history[0]["blockNumber"] == views[op["id"]]["blockNumber"]
        assert hex_int(after.rpc("eth_getTransactionCount", carrier, "latest")) == nonce_before_kill
    finally:
        for run in (seed, before, after):
            run.kill_all()
