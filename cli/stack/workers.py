"""The node's own processes under the embedded stack: the API and, beside several API workers, the chain
worker.

One API process (the single-process node, SQLite by default) is uvicorn running ``ledger_api``'s app with
every background job in it, as the embedded stack always ran. Several (``--api-workers N``, on
PostgreSQL) are uvicorn's master with N worker processes on the one port, each the app with
``PORTLEDGER_ROLES=api`` (HTTP only, no background job), and one ``portledger chain-worker`` with
``PORTLEDGER_ROLES=chain`` running the transaction manager, the indexer with its handlers, and webhook
delivery. Owns their command lines, their environments and the checks that they are up; what each
process runs is ``ledger.bootstrap``'s, the start order the supervisor's.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from cli.stack.layout import DataLayout, Say, StackError, StackOptions
from cli.stack.process import Child, spawn

API_ROLES = "api"
"""``PORTLEDGER_ROLES`` of an API worker process: it serves HTTP and runs no background job."""
CHAIN_ROLES = "chain"
"""``PORTLEDGER_ROLES`` of the chain worker: transaction manager, indexer and its handlers, webhooks."""
CHAIN_WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-m", "cli", "chain-worker")
CHAIN_WORKER_RUNNING = "chain worker: running"
"""What ``portledger chain-worker`` logs once its jobs run (``cli.worker``)."""
GRACEFUL_SHUTDOWN_SECONDS = 10
"""How long uvicorn's master lets its workers finish open requests at a stop (the supervisor waits 15)."""

Adopt = Callable[[Child], None]


def start_chain_worker(
    layout: DataLayout, env: Mapping[str, str], say: Say, adopt: Adopt
) -> tuple[Child, int]:
    """Start ``portledger chain-worker``; returns it and where its log stood, for
    :func:`wait_for_chain_worker`."""
    log = layout.log("chain-worker")
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.exists() else 0
    say(f"chain worker: transaction manager, indexer, webhook delivery (log {log})")
    child = spawn("chain-worker", list(CHAIN_WORKER_COMMAND), log, {**env, "PORTLEDGER_ROLES": CHAIN_ROLES})
    adopt(child)
    return child, offset


def wait_for_chain_worker(options: StackOptions, layout: DataLayout, child: Child, offset: int) -> None:
    """Until the chain worker logs that its jobs run (it builds the node first, as every process does)."""
    log = layout.log("chain-worker")
    deadline = time.monotonic() + options.start_timeout
    while time.monotonic() < deadline:
        if not child.alive():
            code = child.process.returncode
            raise StackError(f"the chain worker exited at start-up with {code}: see {log}")
        with contextlib.suppress(OSError), open(log, "rb") as handle:
            handle.seek(offset)
            if CHAIN_WORKER_RUNNING.encode() in handle.read():
                return
        time.sleep(0.2)
    raise StackError(f"the chain worker did not start within {options.start_timeout:.0f}s: see {log}")


def api_command(options: StackOptions, workers: int) -> list[str]:
    command = [sys.executable, "-m", "uvicorn"]
    if workers == 1:
        command += ["cli.api:app", "--factory"]
    else:
        command += ["cli.stack.workers:api_worker_app", "--factory", "--workers", str(workers)]
        command += ["--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS)]
    return [*command, "--host", options.api_host, "--port", str(options.api_port), "--no-access-log"]


def start_api(
    options: StackOptions, layout: DataLayout, env: Mapping[str, str], workers: int, say: Say, adopt: Adopt
) -> list[int]:
    """Start the API and wait until each of its ``workers`` processes answers ``/readyz``; their PIDs.

    One process answers for itself. With several, every fresh connection reaches whichever worker
    accepts it first, and a worker accepts only once its app has started, so the check asks until it
    has heard each worker's PID (``/readyz`` names the process that answers).
    """
    log = layout.log("api")
    if workers == 1:
        say(f"api: starting on {options.api_url} (log {log})")
        child_env = dict(env)
    else:
        say(f"api: starting {workers} worker processes on {options.api_url} (log {log})")
        child_env = {**env, "PORTLEDGER_ROLES": API_ROLES}
    child = spawn("api", api_command(options, workers), log, child_env)
    adopt(child)
    seen: set[int] = set()
    deadline = time.monotonic() + options.start_timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise StackError(f"the API exited at start-up with {child.process.returncode}: see {log}")
        pid = _ready_pid(options.api_url)
        if pid is not None:
            seen.add(pid)
            if workers == 1 or len(seen) >= workers:
                return sorted(seen)
        else:
            time.sleep(0.2)
    if seen:
        raise StackError(
            f"only {len(seen)} of {workers} API workers became ready within {options.start_timeout:.0f}s: "
            f"see {log}"
        )
    raise StackError(f"the API did not become ready within {options.start_timeout:.0f}s: see {log}")


def _ready_pid(api_url: str) -> int | None:
    """The PID of the API process that answered ``/readyz`` on a fresh connection (0 if it does not
    say), or None when none is ready."""
    with contextlib.suppress(requests.RequestException, ValueError):
        response = requests.get(f"{api_url}/readyz", timeout=1, headers={"Connection": "close"})
        if response.status_code == 200:
            roles = response.json().get("roles")
            return int(roles.get("pid", 0)) if isinstance(roles, dict) else 0
    return None


def api_worker_app() -> Any:
    """The app of one uvicorn worker process (``--factory``): ``ledger_api``'s, in a process that stops
    when its master does.

    uvicorn's master starts its workers itself, so the supervisor's "SIGTERM when the parent dies" does
    not reach them: without this, a worker whose master is killed would keep serving the port.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid != os.getppid():
        raise SystemExit("the API's master process is gone")
    from cli.api import app

    return app()
