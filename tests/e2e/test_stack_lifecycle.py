"""``make run`` end to end: first start seeds the demo, the demo completes twice, Ctrl-C stops every
process cleanly, and the next start resumes the same chain, database and documents."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from cli.demo.scenario import transport_document, unique_container, unique_reference
from cli.stack import ROLE_NAMES
from tests.e2e.stack_process import StackProcess, alive, portledger

pytestmark = [pytest.mark.slow]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_seeds_the_demo_runs_it_twice_stops_on_ctrl_c_and_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = StackProcess(data)
    second = StackProcess(data)
    try:
        out = first.start()
        assert "first start: demo seeded" in out
        assert "for the demo only" in " ".join(out.split())

        keys_file = data / "demo-keys.json"
        assert mode(keys_file) == 0o600
        assert mode(data / "wallet-passphrase") == 0o600
        keys = first.demo_keys()
        assert list(keys) == list(ROLE_NAMES)
        assert len({entry["org"] for entry in keys.values()}) == len(ROLE_NAMES)
        assert all(entry["apiKey"] for entry in keys.values())

        bills: list[str] = []
        for _ in range(2):
            result = portledger("demo", "--data-dir", str(data), "--api-url", first.api_url)
            assert result.returncode == 0, result.stdout + result.stderr
            text = " ".join(result.stdout.split())
            assert "refused BILL_PLEDGED" in text
            assert '"status": "ACCOMPLISHED"' in text
            assert "verified offline" in text
            found = re.search(r"\(bill (0x[0-9a-f]{64})\)", text)
            assert found, text
            bills.append(found.group(1))
        assert bills[0] != bills[1]

        # The client commands, as a user runs them against the same stack.
        env = {"PORTLEDGER_API_URL": first.api_url, "PORTLEDGER_DATA_DIR": str(data)}
        folder = tmp_path / "import"
        folder.mkdir()
        for i in range(2):
            document = transport_document(unique_reference(), unique_container())
            (folder / f"bl-{i}.json").write_text(json.dumps(document))
        shipper = keys["shipper"]["org"]
        for _ in range(2):  # a second import of the same files changes nothing (idempotency keys)
            result = portledger("bills", "import", str(folder), "--to", shipper, "--as", "carrier", env=env)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "issued 2 of 2" in result.stdout
        result = portledger("verify", str(folder / "bl-0.json"), "--as", "bank", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "accepted" in result.stdout and "LIVE_TITLE" in result.stdout
        result = portledger("orgs", "list", "--as", "carrier", env=env)
        assert result.returncode == 0 and "DOLU" in result.stdout, result.stdout + result.stderr
        issued = [b for b in first.get("/v1/bills", "carrier").json()["items"]]
        assert len(issued) == 4

        pids = first.pids()
        children = first.recorded_pids()
        assert {"anvil", "api", "oracle-customs"} <= set(pids)
        # Two of the three customs signers are processes of their own, on 0600 sockets; the demo's
        # customs release was signed by them.
        assert {"signer-customs-2", "signer-customs-3"} <= set(pids)
        sockets = sorted((data / "run" / "signers").glob("customs-*.sock"))
        assert [s.name for s in sockets] == ["customs-2.sock", "customs-3.sock"]
        assert all(stat.S_ISSOCK(s.lstat().st_mode) and mode(s) == 0o600 for s in sockets)
        for name in ("signer-customs-2", "signer-customs-3"):
            assert "signed report" in (data / "logs" / f"{name}.log").read_text()
        assert first.interrupt() == 0
        assert not any(alive(pid) for pid in children)
        assert not list((data / "run" / "signers").glob("*.sock"))
        assert not (data / "run" / "pids.json").exists()
        assert (data / "chain" / "anvil-state.json").stat().st_size > 0

        out = second.start()
        assert "resumed" in out and "deploying" not in out
        assert second.demo_keys() == keys
        for bill in bills:
            response = second.get(f"/v1/bills/{bill}", "bank")
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "ACCOMPLISHED"
            document = second.get(f"/v1/bills/{bill}/document", "carrier")
            assert document.status_code == 200, document.text
    finally:
        first.kill_all()
        second.kill_all()
