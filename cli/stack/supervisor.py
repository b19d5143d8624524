"""The supervisor of the embedded stack: the start order, the environment of every child, the shutdown.

``Stack.up()`` starts, in order (docs/design.md §3): anvil with its state persisted under the data dir
(``cli.stack.chain``); the node's database (``cli.stack.database``: with several API workers the
embedded PostgreSQL, its cluster in ``<data dir>/pg``, unless ``PORTLEDGER_DATABASE_URL`` names one;
SQLite for a single process) and its migrations, once; the demo port consortium's wallets, funded on
the chain (``cli.stack.keys``); the contracts deployed once, a restart binding the recorded deployment
after the start-up code check; the terminal runner's sender made a member account; the demo API keys;
the chain worker and the API's worker processes, or the one API process that runs everything
(``cli.stack.workers``); and an oracle runner for every agency (customs, terminal, maritime) with its
signer processes (``cli.stack.oracles``). ``down()`` stops the children in reverse order by their PIDs
(``cli.stack.process``): the oracles, the API, the chain worker; then the embedded PostgreSQL once
nothing uses it; anvil last with SIGTERM so that it writes its state. Every child, anvil included, gets
SIGTERM should the supervisor die; an anvil a killed supervisor left running on this data dir is
stopped (its state written) before the next start checks its ports.

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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cli.stack import chain, database, keys, oracles, workers
from cli.stack.database import DatabaseChoice, EmbeddedPostgres
from cli.stack.layout import (
    ORACLE_AGENCIES,
    DataLayout,
    Say,
    StackError,
    StackOptions,
    check_data_dir,
    write_private,
)
from cli.stack.process import Child, check_ports, check_tools, record_pids
from ledger.chain.anvil import Anvil
from wallets.errors import WalletError
from wallets.passphrase import passphrase_from_file


@dataclass
class Stack:
    """The embedded node: ``up()`` starts it (seeding the demo on first use), ``down()`` stops it."""

    options: StackOptions
    say: Say = print
    anvil: Anvil | None = None
    postgres: EmbeddedPostgres | None = None
    """The embedded PostgreSQL server, while this stack runs it."""
    database: DatabaseChoice | None = None
    database_url: str = ""
    """The node's database as every child gets it (``PORTLEDGER_DATABASE_URL`` or SQLite's default)."""
    api_worker_pids: list[int] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    demo_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_start: bool = False

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.options.data_dir.resolve())

    @property
    def api_workers(self) -> int:
        """API worker processes of this start; 1: the single process that also runs the chain jobs."""
        return self.database.api_workers if self.database is not None else 1

    # -- up ----------------------------------------------------------------------------------------
    def up(self) -> None:
        check_tools()
        check_data_dir(self.layout)
        chain.stop_stale_anvil(self.layout, self.say)
        check_ports(self.options)
        layout = self.layout
        self.database = database.choose_database(self.options, layout)
        layout.root.mkdir(parents=True, exist_ok=True)
        self.first_start = not layout.deployment.exists()
        try:
            self.anvil = chain.anvil_for(self.options, layout)
            chain.start_chain(self.anvil, self.options, layout, self.say)
            self._record_pids()
            chain.say_block(self.anvil, self.say)
            self._start_database()
            env = self._child_env()
            keys.ensure_wallets(self.options, layout, env, self.say)
            chain.fund_wallets(self.anvil, layout, env)
            chain.ensure_deployment(self.anvil, self.options, layout, env, self.say)
            keys.admit_member_senders(self.anvil.url, layout, env, self.say)
            self.demo_keys = keys.ensure_demo_keys(layout, self.database_url)
            self._start_node(env)
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

    def _start_database(self) -> None:
        """The embedded PostgreSQL when this start uses it (started, or adopted if it still runs); then
        the migrations, once, before any process of the node opens the database."""
        assert self.database is not None
        if self.database.note:
            self.say(f"api: {self.database.note}")
        if self.database.embedded:
            self._start_embedded_postgres()
        else:
            assert self.database.url is not None
            self.database_url = self.database.url
            self.say(f"database: {self.describe_database()}")
        revision = database.migrate(self.database_url)
        self.say(f"database: schema at revision {revision}")

    def _start_embedded_postgres(self) -> None:
        assert self.database is not None
        self.postgres = EmbeddedPostgres(self.layout.pg)
        # Every process of the node may hold connections: the API workers, the chain worker, each
        # oracle runner (the messages posted to the node) and this one.
        processes = self.database.api_workers + 2 + len(ORACLE_AGENCIES)
        self.postgres.start(self.say, processes=processes, timeout=self.options.start_timeout)
        self._record_pids()
        self.database_url = self.postgres.url()
        self.say(
            f"database: PostgreSQL (embedded, PID {self.postgres.pid}) in {self.layout.pg}, on the Unix "
            f"socket in {self.postgres.socket_dir} (log {self.postgres.log})"
        )

    def _child_env(self) -> dict[str, str]:
        """The environment of every child and of the in-process steps: settings, never a key."""
        layout = self.layout
        env = dict(os.environ)
        env["PORTLEDGER_DATA_DIR"] = str(layout.root)
        env["PORTLEDGER_RPC_URL"] = self.options.rpc_url
        if self.postgres is not None:
            env["PORTLEDGER_DATABASE_URL"] = self.database_url
        env.pop("PORTLEDGER_ROLES", None)
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

    def _start_node(self, env: dict[str, str]) -> None:
        """One API process running every job, or the chain worker and the API's worker processes."""
        if self.api_workers == 1:
            self.api_worker_pids = workers.start_api(self.options, self.layout, env, 1, self.say, self._adopt)
            return
        chain_worker, offset = workers.start_chain_worker(self.layout, env, self.say, self._adopt)
        self.api_worker_pids = workers.start_api(
            self.options, self.layout, env, self.api_workers, self.say, self._adopt
        )
        self._record_pids()
        workers.wait_for_chain_worker(self.options, self.layout, chain_worker, offset)

    def describe_processes(self) -> str:
        """The node's processes, for the start-up summary."""
        if self.api_workers == 1:
            return "1 API process running the transaction manager, indexer and webhook delivery too"
        return (
            f"{self.api_workers} API worker processes (HTTP only) and 1 chain worker (transaction manager, "
            "indexer, webhook delivery)"
        )

    def describe_database(self) -> str:
        """Where the node's database is, for the start-up summary."""
        if self.postgres is not None:
            return f"PostgreSQL (embedded) in {self.layout.pg}, socket {self.postgres.socket_dir}"
        if self.database_url.startswith("sqlite"):
            return f"SQLite {self.database_url.removeprefix('sqlite:///')}"
        return database.shown(self.database_url)

    # -- running -----------------------------------------------------------------------------------
    def _adopt(self, child: Child) -> None:
        """Keep a child just spawned, and record its PID at once (so a crash here leaves no unknown PID)."""
        self.children.append(child)
        self._record_pids()

    def _record_pids(self) -> None:
        extra: dict[str, object] = {}
        if self.postgres is not None and self.postgres.pid is not None:
            extra["postgres"] = self.postgres.pid
            extra["databaseUrl"] = self.database_url
        if self.api_workers > 1 and self.api_worker_pids:
            extra["apiWorkers"] = self.api_worker_pids
        record_pids(self.layout, self.options, self.anvil, self.children, extra)

    def failed_child(self) -> Child | None:
        """A child that exited although nobody asked it to, if any (the embedded PostgreSQL included)."""
        if (
            self.anvil is not None
            and self.anvil.process is not None
            and self.anvil.process.poll() is not None
        ):
            return Child("anvil", self.anvil.process)
        return next((c for c in self.children if not c.alive()), None)

    def failed_database(self) -> bool:
        return self.postgres is not None and not self.postgres.alive()

    def down(self) -> None:
        """Stop the oracles, the API, the chain worker (each by its PID), then the embedded PostgreSQL
        (``pg_ctl stop``; nothing uses it any more), then anvil (SIGTERM: it writes its state)."""
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        self.api_worker_pids = []
        try:
            if self.postgres is not None:
                self.postgres.stop()
                self.postgres = None
        finally:
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
                if self.failed_database():
                    assert self.postgres is not None
                    self.say(
                        f"the embedded PostgreSQL exited unexpectedly: see {self.postgres.log}; shutting down"
                    )
                    return 1
                time.sleep(0.5)
            return 0
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            parts = ["oracles", "API"] + ["chain worker"] * (self.api_workers > 1)
            parts += ["database"] * (self.postgres is not None)
            self.say(f"stopping: {', '.join(parts)}, then the chain (writing its state)")
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
