"""A fork server for the SIGKILL test: imports the outbox once, then forks one manager process per
``spawn`` line read from stdin and answers with the child's PID.

Importing web3 takes about 1.7 s; forking from a process that already holds the imports makes
each restart cost milliseconds, so the test can kill and restart the manager many times within
its budget. Every child is a real process running ``TransactionManager.run`` (recovery first) on
its own database engine and JSON-RPC connection; the test kills it with SIGKILL.

Input: first line ``<database url> <rpc url> <private key hex>``, then ``spawn`` lines. The key
arrives on stdin, never on the command line.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

from ledger.chain import ChainClient
from ledger.db import Database
from ledger.outbox import KeySigner, TransactionManager


def run_manager(db_url: str, rpc_url: str, key: str) -> None:
    db = Database(db_url)
    chain = ChainClient(rpc_url)
    manager = TransactionManager(
        db, chain, [KeySigner(key)], batch_size=50, resend_after=1.0, stuck_after=3.0
    )
    manager.run(threading.Event())


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the fork server exits, so no manager outlives the test."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def main() -> None:
    db_url, rpc_url, key = sys.stdin.readline().split()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "spawn":
            continue
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1):
                os.dup2(devnull, fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _die_with_parent()
            try:
                run_manager(db_url, rpc_url, key)
            finally:
                os._exit(1)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
