"""``portledger chain-worker``: the chain worker of a multi-process node.

It builds the node from the settings (as every process does, through ``ledger.bootstrap``) and runs its
background jobs: the transaction manager, the event indexer with the handlers of projected events, and
webhook delivery. The API worker processes serve HTTP only; on PostgreSQL they wake this process
through ``NOTIFY`` when they queue an operation. Of all the chain workers sharing a database (one per
node) only the holder of the chain worker lease runs (``ledger.outbox.lease``); the others wait for
it and one takes over when the holder dies. It runs until SIGTERM or SIGINT, then stops its jobs,
gives the lease up and exits 0; it exits 3 if it finds the lease taken by another process.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import typer

from ledger.bootstrap import ALL_ROLES, Ledger, Role
from ledger.outbox.lease import ChainWorkerLease
from ledger.settings import Settings

_log = logging.getLogger(__name__)


def chain_worker() -> None:
    """Run the node's transaction manager, indexer and webhook delivery until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if settings.roles == "api":
        raise typer.BadParameter("PORTLEDGER_ROLES=api is an API worker's; the chain worker runs `chain`")
    node = Ledger.from_settings(settings)
    roles = ALL_ROLES if settings.run_indexer else ALL_ROLES - {Role.INDEX}
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _log.info("chain worker: signal %d, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    lease = ChainWorkerLease(node.db)
    _log.info("chain worker: waiting for the chain worker lease on %s", node.db.url)
    if not lease.acquire(stop):
        node.close()
        return
    node.lease = lease
    node.start(roles)
    _log.info(
        "chain worker: running %s (lease epoch %s)", ", ".join(sorted(r.value for r in roles)), lease.epoch
    )
    try:
        while not stop.wait(0.2):
            if node.lease_lost.is_set():
                _log.error("chain worker: the lease moved to another process; exiting")
                raise typer.Exit(3)
    finally:
        node.close()
        lease.release()
    _log.info("chain worker: stopped")
