"""The supervisor of the embedded stack: the start order, the environment of every child, the shutdown.

``Stack.up()`` starts, in order (docs/design.md §3): anvil with its state persisted under the data dir
(``cli.stack.chain``); the demo port consortium's wallets, funded on the chain (``cli.stack.keys``);
the contracts deployed once, a restart binding the recorded deployment after the start-up code check;
the demo API keys; the API (uvicorn, a child process); and the customs oracle runner with its signer
processes (``cli.stack.oracles``). ``down()`` stops the children in reverse order by their PIDs
(``cli.stack.process``), anvil last with SIGTERM so that it writes its state.

Rules do not live here: the deploy plan, the wallets, the outbox (which re-sends acknowledged
transactions that an unclean stop of anvil lost) and the API do their own jobs. Everything the operator
can get wrong (a port in use, a missing tool, a damaged data dir) is a :class:`StackError` carrying one
sentence saying what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from cli.stack import chain, keys, oracles
from cli.stack.layout import DataLayout, Say, StackError, StackOptions, check_data_dir, write_private
from cli.stack.process import Child, check_ports, check_tools, record_pids, spawn
from ledger.chain.anvil import Anvil
from wallets.errors import WalletError
from wallets.passphrase import passphrase_from_file


@dataclass
class Stack:
    """The embedded node: ``up()`` starts it (seeding the demo on first use), ``down()`` stops it."""

    options: StackOptions
    say: Say = print
    anvil: Anvil | None = None
    children: list[Child] = field(default_factory=list)
    demo_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_start: bool = False

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.options.data_dir.resolve())

    # -- up ----------------------------------------------------------------------------------------
    def up(self) -> None:
        check_tools()
        check_data_dir(self.layout)
        check_ports(self.options)
        layout = self.layout
        layout.root.mkdir(parents=True, exist_ok=True)
        self.first_start = not layout.deployment.exists()
        try:
            self.anvil = chain.anvil_for(self.options, layout)
            chain.start_chain(self.anvil, self.options, layout, self.say)
            self._record_pids()
            chain.say_block(self.anvil, self.say)
            env = self._child_env()
            keys.ensure_wallets(self.options, layout, env, self.say)
            chain.fund_wallets(self.anvil, layout, env)
            chain.ensure_deployment(self.anvil, self.options, layout, env, self.say)
            self.demo_keys = keys.ensure_demo_keys(self.options, layout)
            self._start_api(env)
            if self.options.oracles:
                oracles.start_oracles(self.options, layout, env, self.say, self._adopt)
        except WalletError as exc:
            self.down()
            raise StackError(
                f"the wallets in {layout.wallets} cannot be used ({exc}): set PORTLEDGER_WALLET_PASSPHRASE "
                f"(or keep {layout.passphrase_file}) to the passphrase they were created with"
            ) from None
        except BaseException:
            self.down()
            raise
        self._record_pids()

    def _child_env(self) -> dict[str, str]:
        """The environment of every child and of the in-process steps: settings, never a key."""
        layout = self.layout
        env = dict(os.environ)
        env["PORTLEDGER_DATA_DIR"] = str(layout.root)
        env["PORTLEDGER_RPC_URL"] = self.options.rpc_url
        env.pop("PORTLEDGER_WALLET_DIR", None)
        if not env.get("PORTLEDGER_WALLET_PASSPHRASE") and not env.get("PORTLEDGER_WALLET_PASSPHRASE_FILE"):
            if not layout.passphrase_file.exists():
                write_private(layout.passphrase_file, secrets.token_urlsafe(32) + "\n")
                self.say(
                    f"wallets: generated a demo passphrase in {layout.passphrase_file} (0600); set "
                    "PORTLEDGER_WALLET_PASSPHRASE to choose your own"
                )
            # Handed over as the value (not the file name): the API's settings also derive the statement
            # key's passphrase from it. The environment of a child is readable only by its own user.
            env["PORTLEDGER_WALLET_PASSPHRASE"] = passphrase_from_file(layout.passphrase_file).reveal()
        return env

    def _start_api(self, env: dict[str, str]) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "ledger_api.main:create_app",
            "--factory",
            "--host",
            self.options.api_host,
            "--port",
            str(self.options.api_port),
            "--no-access-log",
        ]
        log = self.layout.log("api")
        self.say(f"api: starting on {self.options.api_url} (log {log})")
        child = spawn("api", command, log, env)
        self._adopt(child)
        deadline = time.monotonic() + self.options.start_timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(f"the API exited at start-up with {child.process.returncode}: see {log}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.options.api_url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise StackError(f"the API did not become ready within {self.options.start_timeout:.0f}s: see {log}")

    # -- running -----------------------------------------------------------------------------------
    def _adopt(self, child: Child) -> None:
        """Keep a child just spawned, and record its PID at once (so a crash here leaves no unknown PID)."""
        self.children.append(child)
        self._record_pids()

    def _record_pids(self) -> None:
        record_pids(self.layout, self.options, self.anvil, self.children)

    def failed_child(self) -> Child | None:
        """A child that exited although nobody asked it to, if any."""
        if (
            self.anvil is not None
            and self.anvil.process is not None
            and self.anvil.process.poll() is not None
        ):
            return Child("anvil", self.anvil.process)
        return next((c for c in self.children if not c.alive()), None)

    def down(self) -> None:
        """Stop the oracles, then the API, then anvil (SIGTERM: it writes its state); each by its PID."""
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        if self.anvil is not None:
            self.anvil.stop(timeout=30)
            self.anvil = None
        with contextlib.suppress(FileNotFoundError):
            self.layout.pids.unlink()

    def serve_forever(self, stop_signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> int:
        """Stay in the foreground until a stop signal, or until a child dies; then shut down."""
        stopping = {"signal": 0}

        def handler(signum: int, _frame: Any) -> None:
            stopping["signal"] = signum

        previous = {s: signal.signal(s, handler) for s in stop_signals}
        try:
            while not stopping["signal"]:
                failed = self.failed_child()
                if failed is not None:
                    self.say(
                        f"{failed.name} exited unexpectedly with {failed.process.returncode}: see "
                        f"{self.layout.log(failed.name)}; shutting down"
                    )
                    return 1
                time.sleep(0.5)
            return 0
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            self.say("stopping: oracles, API, then the chain (writing its state)")
            self.down()


@contextlib.contextmanager
def running(options: StackOptions, say: Say = print) -> Iterator[Stack]:
    """The stack up for the duration of a ``with`` block (tests, scripts)."""
    stack = Stack(options, say)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()
