"""Process control of the embedded stack: the children it starts, their PIDs, the ports and tools they need.

Owns how a child is started (its own session, its log, SIGTERM should the supervisor die), how it is
stopped (by its PID: SIGTERM, then SIGKILL if it does not exit), the ``<data dir>/run/pids.json``
record of every PID and what a recorded PID runs now (``/proc``). Knows nothing of what a child does.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cli.stack.layout import ROOT, DataLayout, StackError, StackOptions
from ledger.chain.anvil import Anvil, AnvilError, anvil_binary, port_in_use


@dataclass
class Child:
    """A child process started by the supervisor, stopped by its PID."""

    name: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def spawn(name: str, command: list[str], log: Path, env: Mapping[str, str], cwd: Path = ROOT) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return Child(name, process)


def record_pids(
    layout: DataLayout,
    options: StackOptions,
    anvil: Anvil | None,
    children: Iterable[Child],
    extra: Mapping[str, object] | None = None,
) -> None:
    """Write ``pids.json``: the supervisor's PID, anvil's, each child's by name, what ``extra`` adds (the
    embedded PostgreSQL's postmaster, the API's worker processes) and the two URLs."""
    pids: dict[str, object] = {"supervisor": os.getpid()}
    if anvil is not None and anvil.pid is not None:
        pids["anvil"] = anvil.pid
    for child in children:
        pids[child.name] = child.pid
    pids.update(extra or {})
    pids["apiUrl"] = options.api_url
    pids["rpcUrl"] = options.rpc_url
    layout.pids.parent.mkdir(parents=True, exist_ok=True)
    tmp = layout.pids.with_suffix(".tmp")
    tmp.write_text(json.dumps(pids, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, layout.pids)


def recorded_pid(layout: DataLayout, name: str) -> int | None:
    """The PID ``pids.json`` records for ``name``, if there is a readable record naming one."""
    try:
        value = json.loads(layout.pids.read_text(encoding="utf-8")).get(name)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def command_line(pid: int) -> list[str] | None:
    """The arguments of a running process (Linux ``/proc``); None when it is gone or a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rpartition(")")[2].split()
        if not state or state[0] in ("Z", "X"):
            return None
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def check_tools() -> None:
    """The anvil binary (from Node.js and npm); Python 3.11+ is checked by the Makefile before the venv."""
    try:
        anvil_binary()
    except AnvilError:
        raise StackError(
            "anvil is not installed: install Node.js 20+ and run `make run` again (it runs `npm ci`, "
            "which installs @foundry-rs/anvil into node_modules)"
        ) from None


def check_ports(options: StackOptions) -> None:
    for port, what, flag in (
        (options.api_port, "the API", "--api-port / PORTLEDGER_API_PORT"),
        (options.chain_port, "the chain (anvil)", "--chain-port / PORTLEDGER_CHAIN_PORT"),
    ):
        if port_in_use(port, "127.0.0.1"):
            raise StackError(
                f"port {port} for {what} is already in use: stop what listens there (is another "
                f"`make run` still up?) or choose another port with {flag}"
            )
