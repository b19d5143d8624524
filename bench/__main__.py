"""``make bench`` / ``python -m bench [--quick]``: gas, write throughput, latency, reads and growth.

Order of a run (an automine anvil, a second automine anvil for growth, then one with
``--block-time 2``):

1. gas per operation: ``bench/gas.py`` (its last line), as ``make gas`` prints it;
2. the raw chain ceiling (title transfers signed here, JSON-RPC batches of 200) and the same transfers
   through the outbox as library calls, RUNS times each;
3. a node in its own process (``bench.serve``): the same transfers through HTTP with 64 clients, then
   bill lookups and collateral statements with ``wrk`` (64 connections);
4. growth, on a fresh chain and node: titles seeded up to each size (blocks of 2,000 issues), then
   per-transfer gas, raw write throughput and lookup latency at that size; the indexer's catch-up from
   cold over the whole chain;
5. block-time realism: raw and outbox again on anvil ``--block-time 2`` with an explicit gas limit.

Every figure is the median of RUNS runs with min and max (``--quick``: one run, small sizes). Writes
``bench/results/latest.json``, ``latest.md`` and PNG plots (if matplotlib is installed).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import report
from bench.httpload import Server, http_reads, http_writes, start_server
from bench.measure import ROOT, commit, machine, merge_cpu, summary
from bench.world import TRADERS, World, start_world
from bench.writes import outbox_transfers, raw_transfers
from ledger.db import Database

RESULTS = ROOT / "bench" / "results"
BLOCK_GAS_LIMIT = 1_000_000_000
"""Block gas limit of both anvils: ~22,000 transfers of ~45k gas fit in one block (automine blocks
hold what arrived while the previous one was mined; seeding puts 2,000 issues in one)."""
BLOCKTIME_BACKLOG = 6000
"""Transactions waiting for the next 2 s block (raw sender's pool limit; the outbox's per-signer
``max_in_flight`` is a quarter of it): a block must be able to take several seconds' worth."""


@dataclass(frozen=True)
class Sizes:
    runs: int
    writes: int
    http_writes: int
    read_seconds: int
    growth: tuple[int, ...]
    blocktime_writes: int


FULL = Sizes(runs=3, writes=2000, http_writes=2000, read_seconds=10, growth=(1_000, 10_000, 100_000),
             blocktime_writes=6000)  # fmt: skip
QUICK = Sizes(runs=1, writes=300, http_writes=200, read_seconds=3, growth=(500, 1_000, 2_000),
              blocktime_writes=400)  # fmt: skip


def args_quick(sizes: Sizes) -> bool:
    return sizes.writes == QUICK.writes


def anvil_log(work: Path, name: str) -> Path | None:
    """Where anvil logs, with ``BENCH_ANVIL_LOG=1`` only: it logs every request, some GB in a full run."""
    return work / name if os.environ.get("BENCH_ANVIL_LOG") else None


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def gas() -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gas.py")], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return data


def repeat(runs: int, fn: Callable[[], dict[str, Any]], key: str = "ops_per_s") -> dict[str, Any]:
    results = [fn() for _ in range(runs)]
    out: dict[str, Any] = {key: summary([r[key] for r in results])}
    for extra in sorted({k for r in results for k in r} - {key, "cpu", "n"}):
        out[extra] = summary([r[extra] for r in results])
    out["cpu"] = merge_cpu([r["cpu"] for r in results])
    out["n"] = results[0].get("n")
    return out


def wait_indexed(world: World, server: Server, timeout: float = 900.0) -> None:
    """Until the node's index checkpoints reach the chain head."""
    head = world.chain.block_number()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(server.db_path, timeout=30) as db:
                row = db.execute("SELECT MIN(block_number) FROM index_checkpoint").fetchone()
            if row and row[0] is not None and int(row[0]) >= head:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the index did not reach block {head} within {timeout} s")


def transfer_gas(world: World) -> int:
    title = world.seed(1)[0]
    world.forget_nonces()
    signer, _, data = world.transfer_data(title)
    raw = world.sign(signer, data)
    tx_hash = world.chain.rpc("eth_sendRawTransaction", ["0x" + raw.hex()])
    return world.chain.wait(tx_hash).gas_used


def cold_catch_up(world: World, work: Path) -> dict[str, float]:
    """A fresh index database over the whole chain: events per second until the head."""
    from ledger.index.indexer import Indexer, event_count

    db = Database(f"sqlite:///{work / 'cold-index.db'}")
    db.migrate()
    indexer = Indexer.for_deployment(db, world.chain, world.stack.deployment)
    start = time.perf_counter()
    indexer.catch_up()
    wall = time.perf_counter() - start
    events = event_count(db)
    db.dispose()
    return {"events": events, "seconds": round(wall, 2), "events_per_s": round(events / wall, 1)}


def automine_phase(sizes: Sizes, work: Path, out: dict[str, Any]) -> None:
    world = start_world(work / "data", gas_limit=BLOCK_GAS_LIMIT, log=anvil_log(work, "anvil.log"))
    server: Server | None = None
    try:
        say(f"raw ceiling: {sizes.runs} x {sizes.writes} transfers signed here, batches of 200")
        out["raw"] = repeat(sizes.runs, lambda: raw_transfers(world, sizes.writes))
        say("outbox (library calls)")
        counter = iter(range(1000))
        out["outbox"] = repeat(
            sizes.runs, lambda: outbox_transfers(world, work / f"outbox-{next(counter)}.db", sizes.writes)
        )
        say("node in its own process; HTTP writes with 64 clients")
        server = start_server(world, work)
        wait_indexed(world, server)
        out["http"] = repeat(sizes.runs, lambda: http_writes(world, server, sizes.http_writes))
        titles = world.seed(200 if args_quick(sizes) else 2000)
        world.forget_nonces()
        wait_indexed(world, server)
        for name, suffix in (("lookup", ""), ("statement", "/collateral-statement")):
            say(f"reads: {name} with wrk, 64 connections, {sizes.read_seconds} s")
            out[f"read_{name}"] = repeat(
                sizes.runs,
                lambda s=suffix: http_reads(world, server, titles, s, sizes.read_seconds, work),  # type: ignore[misc]
                key="rps",
            )
    finally:
        if server is not None:
            server.stop()
        world.anvil.stop()


def growth_phase(sizes: Sizes, work: Path, out: dict[str, Any]) -> None:
    """A fresh chain and node grown to each size: gas, raw ceiling and lookups there; then a cold
    index over the whole chain. Its own anvil, so the first point really holds ~1k titles."""
    world = start_world(work / "data-g", gas_limit=BLOCK_GAS_LIMIT, log=anvil_log(work, "anvil-g.log"))
    server: Server | None = None
    try:
        server = start_server(world, work)
        titles: list[Any] = []
        growth: list[dict[str, Any]] = []
        for size in sizes.growth:
            say(f"growth: seeding to {size} titles")
            titles += world.seed(size - world.seeded) if world.seeded < size else []
            world.forget_nonces()
            wait_indexed(world, server)
            point: dict[str, Any] = {"titles": world.seeded, "transfer_gas": transfer_gas(world)}
            point["raw_ops_per_s"] = round(raw_transfers(world, sizes.writes)["ops_per_s"], 1)
            wait_indexed(world, server)
            reads = http_reads(world, server, titles[:8000], "", sizes.read_seconds, work)
            point["read_p99_ms"] = reads["p99_ms"]
            point["read_rps"] = reads["rps"]
            growth.append(point)
            say(f"growth point {point}")
        out["growth"] = growth
        server.stop()
        server = None
        say("indexer catch-up from cold")
        out["index_catch_up"] = cold_catch_up(world, work)
    finally:
        if server is not None:
            server.stop()
        world.anvil.stop()


def blocktime_phase(sizes: Sizes, work: Path, out: dict[str, Any]) -> None:
    world = start_world(
        work / "data-bt", block_time=2, gas_limit=BLOCK_GAS_LIMIT, log=anvil_log(work, "anvil-bt.log")
    )
    try:
        say(f"block time 2 s, gas limit {BLOCK_GAS_LIMIT:,}: raw and outbox, {sizes.blocktime_writes} each")
        raw = repeat(sizes.runs, lambda: raw_transfers(world, sizes.blocktime_writes, BLOCKTIME_BACKLOG))
        counter = iter(range(1000))
        outbox = repeat(
            sizes.runs,
            lambda: outbox_transfers(
                world,
                work / f"outbox-bt-{next(counter)}.db",
                sizes.blocktime_writes,
                max_in_flight=BLOCKTIME_BACKLOG // len(TRADERS),
            ),
        )
        out["blocktime2"] = {
            "block_time_s": 2,
            "block_gas_limit": BLOCK_GAS_LIMIT,
            "raw": raw,
            "outbox": outbox,
            "tx_per_block_max": max_txs_per_block(world),
        }
    finally:
        world.anvil.stop()


def max_txs_per_block(world: World) -> int:
    head = world.chain.block_number()
    counts = world.chain.batch(
        [("eth_getBlockTransactionCountByNumber", [hex(n)]) for n in range(max(0, head - 200), head + 1)]
    )
    return max(int(c.get("result", "0x0"), 16) for c in counts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run, small sizes (< 3 min)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["gas", "automine", "growth", "blocktime"]
    )
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 3, quick 1)")
    parser.add_argument("--growth", default=None, help="title counts of the growth points, e.g. 1000,10000")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.runs is not None:
        sizes = replace(sizes, runs=args.runs)
    if args.growth:
        sizes = replace(sizes, growth=tuple(int(x) for x in args.growth.split(",")))
    started = time.time()
    out: dict[str, Any] = {
        "machine": machine(),
        "commit": commit(),
        "mode": "quick" if args.quick else "full",
        "runs": sizes.runs,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if "gas" not in args.skip:
        say("gas per operation (bench/gas.py)")
        out["gas"] = gas()
    with tempfile.TemporaryDirectory(prefix="portledger-bench-") as tmp:
        if "automine" not in args.skip:
            automine_phase(sizes, Path(tmp), out)
        if "growth" not in args.skip:
            growth_phase(sizes, Path(tmp), out)
        if "blocktime" not in args.skip:
            blocktime_phase(sizes, Path(tmp), out)
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out["seconds"] = round(time.time() - started, 1)
    out.update(report.headline(out))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
    (args.out / "latest.md").write_text(report.markdown(out))
    plots = report.plots(out, args.out)
    say(f"wrote {args.out / 'latest.json'}, latest.md" + (f" and {len(plots)} plots" if plots else ""))
    print(report.markdown(out))
    return out


if __name__ == "__main__":
    main()
