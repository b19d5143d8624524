"""SIGKILL of the whole stack, then ``make run``: nothing acknowledged is lost.

anvil dumps its state every second, so a kill right after the API acknowledged writes usually loses
the blocks that mined them; the outbox still holds the signed transactions and sends them again at
start-up, and the indexer rewinds to the chain it finds.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.demo import transport_document, unique_container, unique_reference
from tests.e2e.stack_process import StackProcess, alive

pytestmark = [pytest.mark.slow, pytest.mark.kill]


def test_sigkill_of_every_process_then_run_resumes_with_every_acknowledged_issue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = StackProcess(data)
    second = StackProcess(data)
    try:
        first.start()
        shipper = first.demo_keys()["shipper"]["org"]
        acknowledged: list[str] = []
        for _ in range(3):
            body = {
                "document": transport_document(unique_reference(), unique_container()),
                "issueTo": shipper,
            }
            response = first.post("/v1/bills", "carrier", body)
            assert response.status_code == 200, response.text
            operation = response.json()
            assert operation["status"] == "mined", operation
            acknowledged.append(operation["result"]["billId"])
        pids = first.pids()
        first.kill_all()
        assert not any(
            alive(pid) for name, pid in pids.items() if isinstance(pid, int) and name != "supervisor"
        )

        out = second.start()
        assert "resumed" in out
        deadline = time.monotonic() + 90
        missing = list(acknowledged)
        while missing and time.monotonic() < deadline:
            missing = [b for b in missing if second.get(f"/v1/bills/{b}", "carrier").status_code != 200]
            time.sleep(0.5)
        assert not missing, f"acknowledged issues lost after SIGKILL: {missing}"
        for bill in acknowledged:
            assert second.get(f"/v1/bills/{bill}", "carrier").json()["status"] == "ISSUED"
    finally:
        first.kill_all()
        second.kill_all()
