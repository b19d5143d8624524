"""Run the embedded development chain: anvil's native binary from node_modules.

The native binary is started directly (not the npm wrapper, which exits 0 whatever happens and
may leave its child holding the port) and its PID is recorded, so it is stopped by that PID only.
Base fee and gas price are 0, as on a permissioned QBFT network.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class AnvilError(RuntimeError):
    """anvil is missing, could not start, or did not become ready."""


def anvil_binary() -> Path:
    """The native anvil binary: $PORTLEDGER_ANVIL, node_modules, or PATH."""
    env = os.environ.get("PORTLEDGER_ANVIL")
    if env:
        return Path(env)
    for candidate in sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        return candidate
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise AnvilError("anvil not found: run 'npm ci' (it installs @foundry-rs/anvil into node_modules)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


KEPT_STATES = 128
"""Recent block states anvil keeps for calls at a past block (a statement pins the head)."""


@dataclass
class Anvil:
    """One anvil process. ``start()`` waits until it answers JSON-RPC."""

    port: int = 0
    host: str = "127.0.0.1"
    chain_id: int = 31337
    accounts: int = 20
    balance_eth: int = 1_000_000
    block_time: float | None = None
    gas_limit: int | None = None
    state_file: Path | None = None
    state_interval: int | None = None
    no_mining: bool = False
    log_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    before_exec: Callable[[], None] | None = field(default=None, repr=False)
    """Run in the child before anvil is exec'd (the stack's: die with the supervisor)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        cmd = [
            str(anvil_binary()),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--mnemonic",
            DEV_MNEMONIC,
            "--gas-price",
            "0",
            "--block-base-fee-per-gas",
            "0",
            # Keep the last states in memory and none on disk: by default anvil writes the state of
            # every older block under ~/.foundry/anvil/tmp, which filled 78 GB in one benchmark and
            # made each block cost more as the state grew. Logs, receipts and blocks stay queryable.
            "--prune-history",
            str(KEPT_STATES),
        ]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        if self.gas_limit:
            cmd += ["--gas-limit", str(self.gas_limit)]
        if self.state_file:
            cmd += ["--state", str(self.state_file)]
        if self.state_interval:
            cmd += ["--state-interval", str(self.state_interval)]
        if self.no_mining:
            cmd += ["--no-mining"]
        return cmd + self.extra_args

    def start(self, timeout: float = 30.0) -> Anvil:
        if self.port == 0:
            self.port = free_port()
        elif port_in_use(self.port, self.host):
            raise AnvilError(
                f"port {self.port} on {self.host} is already in use: stop what holds it or pick another"
            )
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=self.before_exec,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AnvilError(
                    f"anvil exited with {self.process.returncode} at start-up: {' '.join(self.command())}"
                )
            try:
                r = requests.post(
                    self.url,
                    json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                    timeout=1,
                )
                if r.ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise AnvilError(f"anvil did not answer on {self.url} within {timeout}s")

    def block_number(self, timeout: float = 10.0) -> int:
        """The number of the chain's latest block (after a restart: the block the state file held)."""
        r = requests.post(
            self.url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            timeout=timeout,
        )
        r.raise_for_status()
        return int(r.json()["result"], 16)

    def stop(self, timeout: float = 10.0) -> None:
        """Clean stop (SIGTERM: anvil writes its state file), SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def kill(self) -> None:
        """Unclean stop (SIGKILL): blocks mined since the last state dump are lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
