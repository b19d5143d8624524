"""``portledger run`` refuses what the operator must fix with one clear sentence, never a traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.anvil import free_port
from tests.e2e.stack_process import portledger


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def run_args(data_dir: Path, api_port: int, chain_port: int) -> list[str]:
    return ["run", "--data-dir", str(data_dir), "--api-port", str(api_port), "--chain-port", str(chain_port)]


def assert_one_clear_message(result: object, *phrases: str) -> None:
    out = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, out  # type: ignore[attr-defined]
    assert "Traceback" not in out and "╭" not in out, out
    assert "cannot start:" in out, out
    for phrase in phrases:
        assert phrase in " ".join(out.split()), out


@pytest.mark.parametrize("which", ["api", "chain"])
def test_run_when_a_port_is_in_use_says_which_and_how_to_choose_another(
    tmp_path: Path, listening_port: int, which: str
) -> None:
    api, chain = (listening_port, free_port()) if which == "api" else (free_port(), listening_port)
    result = portledger(*run_args(tmp_path / "data", api, chain), timeout=60)
    flag = "--api-port" if which == "api" else "--chain-port"
    assert_one_clear_message(result, f"port {listening_port}", "already in use", flag)
    assert not (tmp_path / "data" / "run" / "pids.json").exists()


def test_run_with_a_damaged_chain_state_says_restore_or_move_the_data_dir_aside(tmp_path: Path) -> None:
    state = tmp_path / "data" / "chain" / "anvil-state.json"
    state.parent.mkdir(parents=True)
    state.write_bytes(b'{"block": {"number": "0x1f", \x00\x17 truncated')
    result = portledger(*run_args(tmp_path / "data", free_port(), free_port()), timeout=60)
    assert_one_clear_message(result, "anvil-state.json", "damaged", "backup", "move it aside")


def test_run_with_a_damaged_deployment_record_names_the_file(tmp_path: Path) -> None:
    record = tmp_path / "data" / "deployments" / "31337.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"chainId": 31337, "contracts": {')
    result = portledger(*run_args(tmp_path / "data", free_port(), free_port()), timeout=60)
    assert_one_clear_message(result, "31337.json", "damaged")


def test_run_with_a_file_where_the_data_dir_belongs_says_so(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    result = portledger(*run_args(tmp_path / "data", free_port(), free_port()), timeout=60)
    assert_one_clear_message(result, "is a file, not a folder")


def test_demo_without_a_running_stack_says_to_start_it(tmp_path: Path) -> None:
    result = portledger("demo", "--data-dir", str(tmp_path / "data"), timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "make run" in out and "Traceback" not in out


def test_run_with_several_api_workers_on_a_sqlite_data_dir_says_to_run_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "portledger.db").write_bytes(b"")  # a data dir first started as the single process
    args = [*run_args(data, free_port(), free_port()), "--api-workers", "2"]
    result = portledger(*args, env={"PORTLEDGER_DATABASE_URL": ""}, timeout=60)
    assert_one_clear_message(result, "portledger.db", "--api-workers 1", "move the data dir aside")
    assert not (data / "pg").exists()


def test_run_with_an_api_worker_count_that_is_no_number_says_so(tmp_path: Path) -> None:
    args = run_args(tmp_path / "data", free_port(), free_port())
    result = portledger(*args, env={"PORTLEDGER_API_WORKERS": "many"}, timeout=60)
    assert_one_clear_message(result, "PORTLEDGER_API_WORKERS='many'", "positive whole number")
