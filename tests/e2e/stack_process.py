"""``portledger run`` as a real child process of a test: free ports, a temporary data dir, its PIDs.

The stack under test is the very command ``make run`` calls, started with ``--data-dir``,
``--api-port`` and ``--chain-port`` so that a test never touches ./data, 8000 or 8545. Wallets use a
weak scrypt cost (``PORTLEDGER_WALLET_SCRYPT_N``) to keep start-up short. Processes are stopped by
the PIDs the supervisor records in ``<data dir>/run/pids.json``, never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ledger.chain.anvil import free_port

ROOT = Path(__file__).resolve().parents[2]
TEST_ENV = {"PORTLEDGER_WALLET_SCRYPT_N": "1024", "COLUMNS": "200", "NO_COLOR": "1"}


def portledger(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run one ``portledger`` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env={**os.environ, **TEST_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class StackProcess:
    """One ``portledger run`` in the background."""

    data_dir: Path
    api_port: int = field(default_factory=free_port)
    chain_port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    """Set for this run on top of the test environment (e.g. ``PORTLEDGER_STATE_INTERVAL``)."""
    api_workers: int | None = None
    """``--api-workers``; None: the default (one per core)."""
    process: subprocess.Popen[str] | None = None
    output_path: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def args(self) -> list[str]:
        return [
            "run",
            "--data-dir",
            str(self.data_dir),
            "--api-port",
            str(self.api_port),
            "--chain-port",
            str(self.chain_port),
            *(["--api-workers", str(self.api_workers)] if self.api_workers is not None else []),
        ]

    def start(self, timeout: float = 180) -> str:
        """Start and wait for the "is up" line; returns the output so far."""
        self.output_path = self.data_dir.parent / f"{self.data_dir.name}-run-{time.monotonic_ns()}.out"
        out = open(self.output_path, "w")  # noqa: SIM115 - the child writes to it until it stops
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", *self.args()],
            cwd=ROOT,
            env={**os.environ, **TEST_ENV, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            if "PortLedger is up" in text and "Ctrl-C here stops everything" in text:
                return text
            if self.process.poll() is not None:
                raise AssertionError(f"portledger run exited with {self.process.returncode}:\n{text}")
            time.sleep(0.3)
        self.kill_all()
        raise AssertionError(f"portledger run did not come up within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path else ""

    def pids(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.data_dir / "run" / "pids.json").read_text())
        return data

    def demo_keys(self) -> dict[str, dict[str, Any]]:
        keys: dict[str, dict[str, Any]] = json.loads((self.data_dir / "demo-keys.json").read_text())
        return keys

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C: SIGINT to the supervisor; returns its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def recorded_pids(self) -> list[int]:
        """Every PID ``pids.json`` records but the supervisor's (the API's workers and PostgreSQL's
        postmaster included); none when there is no record."""
        pids: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            pids = self.pids()
        found: list[int] = []
        for name, value in pids.items():
            if name == "supervisor":
                continue
            found += [p for p in (value if isinstance(value, list) else [value]) if isinstance(p, int)]
        return found

    def kill_all(self) -> None:
        """SIGKILL the supervisor and every process it recorded, by PID (an unclean stop of everything)."""
        pids = self.recorded_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        for pid in pids:
            wait_gone(pid)

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call to this run's anvil; its ``result``."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        answer = requests.post(f"http://127.0.0.1:{self.chain_port}", json=body, timeout=30).json()
        assert "error" not in answer, answer
        return answer["result"]

    def get(self, path: str, role: str) -> requests.Response:
        key = self.demo_keys()[role]["apiKey"]
        return requests.get(self.api_url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def post(self, path: str, role: str, body: Any, wait: float = 30) -> requests.Response:
        key = self.demo_keys()[role]["apiKey"]
        headers = {"Authorization": f"Bearer {key}", "Prefer": f"wait={wait:g}"}
        return requests.post(self.api_url + path, json=body, headers=headers, timeout=wait + 30)


def wait_gone(pid: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").exists() and ") Z " in Path(f"/proc/{pid}/stat").read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} is still alive")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and ") Z " in stat.read_text())
