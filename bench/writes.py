"""Write throughput of the title transfer: the raw chain ceiling and the outbox (library calls).

``raw``: each transfer ABI-encoded and signed in this process with coincurve (``KeySigner``), nonces
counted locally, sent in JSON-RPC batches of 200; the clock runs from the first encode to the last
nonce mined, signing included. No bookkeeping at all: the most a client gets from this node.

``outbox``: the same transfers through ``Outbox.enqueue_many`` (idempotency key, ``eth_call``
pre-check batch, one database transaction per chunk of 200) while a ``TransactionManager`` thread
estimates, allocates nonces, signs, sends and tracks until every operation is ``mined``; the clock runs
from the first enqueue to the last ``mined``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from bench.measure import CpuMeter
from bench.world import BATCH, MAX_BACKLOG, TRADERS, World
from ledger.db import Database
from ledger.outbox import Outbox, TransactionManager, Write
from ledger.outbox.manager import DEFAULT_MAX_IN_FLIGHT

MANAGER_BATCH = BATCH // 2
"""Transactions per signer per manager step: 4 signers x 100 keeps anvil's pool near the raw client's
400-transaction cap; 4 x 200 lets the pool grow until automining anvil stalls (30 s batch time-outs)."""


def raw_transfers(world: World, n: int, backlog: int = MAX_BACKLOG) -> dict[str, Any]:
    """Transfers per second, signed here and sent in batches of 200 (at most ``backlog`` waiting in
    anvil's pool)."""
    titles = world.seed(n)
    world.forget_nonces()
    meter = CpuMeter({"anvil": world.anvil.pid or 0, "bench": _self_pid()})
    start = time.perf_counter()
    for first in range(0, n, BATCH):
        raws = []
        for title in titles[first : first + BATCH]:
            signer, _, data = world.transfer_data(title)
            raws.append(world.sign(signer, data))
        world.send_raw(raws, backlog=backlog)
    world.wait_nonces()
    wall = time.perf_counter() - start
    return {"ops_per_s": n / wall, "cpu": meter.split(wall), "n": n}


def outbox_transfers(
    world: World, db_path: Path, n: int, chunk: int = BATCH, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
) -> dict[str, Any]:
    """Transfers per second from the first enqueue to the last ``mined``."""
    titles = world.seed(n)
    world.forget_nonces()
    db = Database(f"sqlite:///{db_path}")
    db.migrate()
    outbox = Outbox(db, world.chain)
    manager = TransactionManager(
        db,
        world.chain,
        [world.signers[t] for t in TRADERS],
        batch_size=MANAGER_BATCH,
        max_in_flight=max_in_flight,
    )
    stop = threading.Event()
    worker = threading.Thread(target=manager.run, args=(stop,), daemon=True)
    meter = CpuMeter({"anvil": world.anvil.pid or 0, "bench": _self_pid()})
    tag = world.run_tag + str(world.seeded)
    start = time.perf_counter()
    worker.start()
    try:
        for first in range(0, n, chunk):
            writes = []
            for i, title in enumerate(titles[first : first + chunk], start=first):
                signer, to, _ = world.transfer_data(title)
                writes.append(
                    Write.call(
                        world.bills,
                        "transfer",
                        title.bill_id,
                        to,
                        b"\x00" * 32,
                        org=str(world.org(signer)),
                        kind="bill.transfer",
                        signer=world.signers[signer].address,
                        idempotency_key=f"bench-{tag}-{i}",
                    )
                )
            outbox.enqueue_many(writes)
        enqueued = time.perf_counter() - start
        deadline = time.monotonic() + 600
        while manager.pending():
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain within 600 s")
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(30)
    wall = time.perf_counter() - start
    cpu = meter.split(wall)
    db.dispose()
    world.forget_nonces()
    return {"ops_per_s": n / wall, "enqueue_per_s": n / enqueued, "cpu": cpu, "n": n}


def _self_pid() -> int:
    import os

    return os.getpid()
