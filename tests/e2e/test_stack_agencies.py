"""``make run`` runs an oracle runner for every agency of the demo consortium, each configured from the
deployment record with no hand-written file: a CODECO gate-out posted by the terminal to
``POST /v1/oracles/terminal/messages`` ends as the gate-out of the release right, its message ``done``.
And a supervisor killed with SIGKILL takes anvil with it; the next start is clean."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cli.demo.scenario import (
    cusres_release,
    right_id_of,
    transport_document,
    unique_container,
    unique_reference,
)
from cli.stack.chain import stop_stale_anvil
from cli.stack.layout import DataLayout
from ledger.chain.anvil import Anvil, free_port
from tests.e2e.stack_process import StackProcess, alive, wait_gone
from tests.integration.oracles.messages import codeco_gate_out

pytestmark = [pytest.mark.slow]

HAULIER_LEGAL_ID = "91330200MA2H00006T"
"""The demo haulier's legal id (config/consortium.demo.yaml): the code a CODECO names it by."""


def posted_message(run: StackProcess, agency: str, raw: str, timeout: float = 90) -> dict[str, Any]:
    """Post ``raw`` as the agency's organisation; wait until its runner has finished with it."""
    response = run.post(f"/v1/oracles/{agency}/messages", agency, {"content": raw})
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    deadline = time.monotonic() + timeout
    while True:
        message: dict[str, Any] = run.get(location, agency).json()
        if message["status"] != "queued" or time.monotonic() > deadline:
            return message
        time.sleep(0.5)


def mined(run: StackProcess, path: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
    response = run.post(path, role, body)
    assert response.status_code in (200, 202), response.text
    operation: dict[str, Any] = response.json()
    assert operation["status"] == "mined", operation
    return operation


def test_every_agency_runs_and_a_posted_codeco_gates_out_the_container(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = StackProcess(data, api_workers=1)
    try:
        run.start()
        pids = run.pids()
        assert {"oracle-customs", "oracle-terminal", "oracle-maritime"} <= set(pids)
        for agency in ("customs", "terminal", "maritime"):
            config = json.loads((data / "oracles" / f"{agency}.json").read_text())
            assert config["timeZone"] == "Asia/Shanghai"
            assert config["agencyOrg"] == int(run.demo_keys()[agency]["org"])
        terminal = json.loads((data / "oracles" / "terminal.json").read_text())
        assert terminal["signers"] == []
        assert terminal["parties"][HAULIER_LEGAL_ID] == int(run.demo_keys()["haulier"]["org"])

        orgs = {role: entry["org"] for role, entry in run.demo_keys().items()}
        reference, container = unique_reference(), unique_container()
        issued = mined(
            run,
            "/v1/bills",
            "carrier",
            {"document": transport_document(reference, container), "issueTo": orgs["consignee"]},
        )
        bill = str(issued["result"]["billId"])
        released = posted_message(run, "customs", cusres_release(reference, container, "PLAG0001"))
        assert released["status"] == "done", released
        for actor, action in (("consignee", "SURRENDER_FOR_DELIVERY"), ("carrier", "SACC")):
            mined(run, f"/v1/bills/{bill}/actions", actor, {"action": action})
        now = int(time.time())
        granted = mined(
            run,
            "/v1/releases",
            "carrier",
            {
                "billId": bill,
                "containerNumbers": [container],
                "terminal": orgs["terminal"],
                "validFrom": now - 3600,
                "validUntil": now + 86400,
            },
        )
        assert granted["status"] == "mined"
        right = right_id_of(bill, container)
        mined(run, f"/v1/releases/{right}/nominate", "consignee", {"nominee": orgs["haulier"]})

        raw = codeco_gate_out(
            "EIRAG001", container=container, bill_reference=reference, haulier=HAULIER_LEGAL_ID,
            at=datetime.now(),
        ).decode()  # fmt: skip
        gated = posted_message(run, "terminal", raw)
        assert gated["status"] == "done", gated

        deadline = time.monotonic() + 30
        while (status := run.get(f"/v1/releases/{right}", "terminal").json()["status"]) != "GATED_OUT":
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
    finally:
        run.kill_all()


def test_anvil_dies_with_a_killed_supervisor_and_the_next_start_is_clean(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = StackProcess(data, api_workers=1)
    second = StackProcess(data, api_workers=1, api_port=first.api_port, chain_port=first.chain_port)
    try:
        first.start()
        anvil = first.pids()["anvil"]
        children = first.recorded_pids()
        assert first.process is not None
        os.kill(first.process.pid, signal.SIGKILL)  # only the supervisor
        first.process.wait(30)
        wait_gone(anvil, timeout=10)
        for pid in children:
            wait_gone(pid, timeout=20)

        assert "resumed" in second.start()
        assert second.pids()["anvil"] != anvil
        assert second.interrupt() == 0
        assert not any(alive(pid) for pid in second.recorded_pids())
    finally:
        first.kill_all()
        second.kill_all()


def test_a_recorded_anvil_left_on_this_data_dir_is_stopped_with_its_state_written(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "data")
    layout.state_file.parent.mkdir(parents=True)
    left = Anvil(port=free_port(), state_file=layout.state_file, state_interval=3600).start()
    foreign = Anvil(port=free_port()).start()
    try:
        assert left.pid is not None and foreign.pid is not None
        said: list[str] = []
        dead = subprocess.Popen(["true"])
        dead.wait()  # the PID of a supervisor that is no more
        layout.pids.parent.mkdir(parents=True)
        # A record naming a PID that now runs anvil on another state: left alone.
        layout.pids.write_text(json.dumps({"supervisor": dead.pid, "anvil": foreign.pid}))
        stop_stale_anvil(layout, said.append)
        # A supervisor still running (another `make run` on this data dir): its anvil is left alone.
        layout.pids.write_text(json.dumps({"supervisor": foreign.pid, "anvil": left.pid}))
        stop_stale_anvil(layout, said.append)
        assert alive(foreign.pid) and alive(left.pid) and said == []

        layout.pids.write_text(json.dumps({"supervisor": dead.pid, "anvil": left.pid}))
        stop_stale_anvil(layout, said.append)
        assert left.process is not None and left.process.wait(5) == 0
        assert "block" in json.loads(layout.state_file.read_text())
        assert len(said) == 1 and str(left.pid) in said[0]
    finally:
        left.stop()
        foreign.stop()
