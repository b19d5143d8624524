"""Outbox throughput next to the raw ceiling, on a fresh anvil; prints one JSON object.

``raw``: the same ``Probe.store`` calls, ABI-encoded and signed in-process with coincurve
(``KeySigner``), nonces counted locally, sent in JSON-RPC batches of 200, then waited for: the
most a client can get from this node with no bookkeeping at all.

``outbox``: the calls go through ``Outbox.enqueue_many`` (idempotency key, ``eth_call`` pre-check
in one batch per chunk, one database transaction per chunk) while a ``TransactionManager`` thread
estimates gas, allocates nonces, signs and stores, sends and tracks receipts until every
operation is ``mined``. The clock runs from the first write to the last ``mined``.

Usage: ``python bench/outbox.py [-n 2000] [--database-url URL] [--chunk 200]`` (or
``python -m bench.outbox``). Not a test: the
figures depend on the machine (2 cores here, anvil sharing them).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where its modules (e.g. bench/http.py)
# would shadow the standard library: look up imports from the repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ledger.chain import ChainClient, Contract  # noqa: E402
from ledger.chain.anvil import Anvil  # noqa: E402
from ledger.db import Database, make_engine  # noqa: E402
from ledger.outbox import KeySigner, Outbox, TransactionManager, Write  # noqa: E402

RAW_BATCH = 200
RAW_GAS = 100_000


def _funded_signer(chain: ChainClient) -> KeySigner:
    signer = KeySigner(os.urandom(32))
    chain.rpc("anvil_setBalance", [signer.address, hex(10**24)])
    return signer


def _wait_for_nonce(chain: ChainClient, address: str, nonce: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while int(chain.rpc("eth_getTransactionCount", [address, "latest"]), 16) < nonce:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{address} did not reach nonce {nonce}")
        time.sleep(0.002)


def raw_ceiling(chain: ChainClient, probe: Contract, n: int) -> float:
    """Transactions per second: encode, sign and send in batches of 200, wait for the last one."""
    signer = _funded_signer(chain)
    gas_price = int(chain.rpc("eth_gasPrice"), 16)
    chain_id = chain.chain_id
    start = time.perf_counter()
    for first in range(0, n, RAW_BATCH):
        raws = []
        for nonce in range(first, min(first + RAW_BATCH, n)):
            tx = {
                "nonce": nonce,
                "gasPrice": gas_price,
                "gas": RAW_GAS,
                "to": probe.address,
                "value": 0,
                "data": probe.encode("store", nonce, f"raw-{nonce}"),
                "chainId": chain_id,
            }
            raws.append(signer.sign_transaction(tx))
        answers = chain.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in raws])
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"raw send refused: {errors[:3]}")
    _wait_for_nonce(chain, signer.address, n)
    return n / (time.perf_counter() - start)


def through_outbox(chain: ChainClient, probe: Contract, db: Database, n: int, chunk: int) -> dict[str, Any]:
    """Operations per second from the first ``enqueue`` to the last ``mined``."""
    signer = _funded_signer(chain)
    outbox = Outbox(db, chain)
    manager = TransactionManager(db, chain, [signer], batch_size=RAW_BATCH)
    stop = threading.Event()
    worker = threading.Thread(target=manager.run, args=(stop,), daemon=True)
    start = time.perf_counter()
    worker.start()
    try:
        for first in range(0, n, chunk):
            writes = [
                Write.call(
                    probe,
                    "store",
                    i,
                    f"outbox-{i}",
                    org="bench",
                    kind="probe.store",
                    signer=signer.address,
                    idempotency_key=f"bench-{i}",
                )
                for i in range(first, min(first + chunk, n))
            ]
            outbox.enqueue_many(writes)
        enqueued = time.perf_counter() - start
        deadline = time.monotonic() + 300
        while manager.pending():
            if time.monotonic() > deadline:
                raise TimeoutError("outbox did not drain")
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(30)
    elapsed = time.perf_counter() - start
    _wait_for_nonce(chain, signer.address, n)
    return {"ops_per_s": n / elapsed, "enqueue_per_s": n / enqueued}


@contextmanager
def _database(url: str | None, tmp: Path) -> Iterator[Database]:
    """A fresh SQLite file, or a fresh schema (dropped afterwards) in the PostgreSQL database."""
    if url is None or make_url(url).get_backend_name() == "sqlite":
        db = Database(url or f"sqlite:///{tmp / 'bench.db'}")
        try:
            yield db
        finally:
            db.dispose()
        return
    schema = f"bench_outbox_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(engine=make_engine(url, connect_args={"options": f"-csearch_path={schema}"}))
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="writes per run")
    parser.add_argument("--chunk", type=int, default=200, help="writes per enqueue_many call")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so anvil is stopped by its PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Anvil(accounts=1, gas_limit=1_000_000_000) as node,
        _database(args.database_url, Path(tmp)) as db,
    ):
        chain = ChainClient(node.url)
        probe = chain.deploy("Probe", sender=chain.rpc("eth_accounts")[0])
        db.migrate()
        raw = raw_ceiling(chain, probe, args.n)
        outbox = through_outbox(chain, probe, db, args.n, args.chunk)
        dialect = db.engine.dialect.name
    result = {
        "writes": args.n,
        "database": dialect,
        "raw_tx_per_s": round(raw, 1),
        "outbox_ops_per_s": round(outbox["ops_per_s"], 1),
        "outbox_enqueue_per_s": round(outbox["enqueue_per_s"], 1),
        "ratio": round(outbox["ops_per_s"] / raw, 3),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
