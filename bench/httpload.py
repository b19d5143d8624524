"""HTTP writes and reads against a node served by ``bench.serve`` in its own process.

Writes: 64 concurrent clients (asyncio + httpx, keep-alive) each POST a TRANSFER of a distinct
seeded title as its possessor, with an ``Idempotency-Key`` and no ``Prefer: wait``: the answer (202
and the operation id) is the acknowledgement. ops/s runs from the first request to the last operation
``mined`` in the node's database; acknowledgement-to-mined is ``mined_at - created_at`` of each
operation row. Reads: Debian's ``wrk`` with a Lua script that sets the Authorization header and
rotates title ids, on the bill lookup and on the collateral statement.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.measure import CpuMeter, percentile
from bench.world import TRADERS, Title, World
from ledger.chain.anvil import free_port
from ledger.services.bills import bill_id_hex

CLIENTS = 64


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    tokens: dict[str, str]
    """Trader name → API token."""
    db_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(world: World, work: Path, *, indexer: bool = True) -> Server:
    keys = {str(world.org(t)): world.keys[t].hex() for t in TRADERS}
    keys_file, tokens_file = work / "keys.json", work / "tokens.json"
    keys_file.write_text(json.dumps(keys))
    tokens_file.unlink(missing_ok=True)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "bench.serve",
        "--data-dir",
        str(world.stack.data_dir),
        "--rpc-url",
        world.chain.rpc_url,
        "--keys",
        str(keys_file),
        "--tokens",
        str(tokens_file),
        "--port",
        str(port),
    ] + ([] if indexer else ["--no-indexer"])
    log = open(work / "serve.log", "ab")  # noqa: SIM115
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env)
    server = Server(process, f"http://127.0.0.1:{port}", {}, world.stack.data_dir / "portledger.db")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bench server exited with {process.returncode}; see {work / 'serve.log'}")
        if tokens_file.exists():
            try:
                if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                    by_org = json.loads(tokens_file.read_text())
                    server.tokens = {t: by_org[str(world.org(t))] for t in TRADERS}
                    return server
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("the bench server did not answer within 120 s")


async def _write_load(server: Server, world: World, titles: list[Title], tag: str) -> list[float]:
    queue: asyncio.Queue[Title] = asyncio.Queue()
    for t in titles:
        queue.put_nowait(t)
    acks: list[float] = []
    errors: list[str] = []
    retries: list[int] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(http: httpx.AsyncClient) -> None:
        while True:
            try:
                title = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            signer, to, _ = world.transfer_data(title)
            headers = {
                "Authorization": f"Bearer {server.tokens[signer]}",
                "Idempotency-Key": f"bench-{tag}-{title.bill_id % 10**12}",
            }
            start = time.perf_counter()
            for attempt in range(1, 4):
                # A dropped connection is retried with the same Idempotency-Key, as a client would:
                # the node answers the operation it already queued, never a second one.
                try:
                    answer = await http.post(
                        f"/v1/bills/{bill_id_hex(title.bill_id)}/actions",
                        json={"action": "TRANSFER", "recipient": str(to)},
                        headers=headers,
                    )
                    break
                except httpx.TransportError:
                    retries.append(title.bill_id)
                    if attempt == 3:
                        raise
            acks.append(time.perf_counter() - start)
            if answer.status_code >= 300:
                errors.append(f"{answer.status_code} {answer.text[:200]}")

    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    if errors:
        raise RuntimeError(f"{len(errors)} writes refused, e.g. {errors[:2]}")
    if retries:
        print(f"{len(retries)} writes retried after a dropped connection", file=sys.stderr, flush=True)
    return acks


def _ops_since(db_path: Path, since: datetime) -> list[tuple[str, datetime, datetime | None]]:
    with sqlite3.connect(db_path, timeout=30) as db:
        rows = db.execute(
            "SELECT status, created_at, mined_at FROM outbox_operation WHERE created_at >= ?",
            (since.strftime("%Y-%m-%d %H:%M:%S.%f"),),
        ).fetchall()
    return [(s, _ts(c), _ts(m) if m else None) for s, c, m in rows]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def http_writes(world: World, server: Server, n: int) -> dict[str, Any]:
    """Transfers through HTTP with 64 clients: ops/s to the last mined, ack p99, ack-to-mined p99."""
    titles = world.seed(n)
    world.forget_nonces()
    tag = world.run_tag + str(world.seeded)
    meter = CpuMeter({"anvil": world.anvil.pid or 0, "service": server.pid, "loadgen": os.getpid()})
    since = datetime.utcnow()
    start = time.perf_counter()
    acks = asyncio.run(_write_load(server, world, titles, tag))
    acked = time.perf_counter() - start
    deadline = time.monotonic() + 600
    while True:
        rows = _ops_since(server.db_path, since)
        done = [r for r in rows if r[0] in ("mined", "failed")]
        if len(done) >= n:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(done)} of {n} operations final after 600 s")
        time.sleep(0.05)
    wall = time.perf_counter() - start
    cpu = meter.split(wall)
    failed = [r for r in rows if r[0] == "failed"]
    if failed:
        raise RuntimeError(f"{len(failed)} HTTP transfers failed on chain")
    to_mined = [(m - c).total_seconds() for _, c, m in rows if m is not None]
    return {
        "ops_per_s": n / wall,
        "ack_per_s": n / acked,
        "ack_p50_ms": percentile(acks, 50) * 1000,
        "ack_p99_ms": percentile(acks, 99) * 1000,
        "ack_to_mined_p99_ms": percentile(to_mined, 99) * 1000,
        "cpu": cpu,
        "n": n,
    }


LUA = """-- rotates title ids; one Authorization header
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  local id = ids[(i %% #ids) + 1]
  return wrk.format("GET", "/v1/bills/" .. id .. "%s", {["Authorization"] = "Bearer %s"})
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's wrk (apt-get install -y wrk)", file=sys.stderr, flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get did not install it")
    return found


def http_reads(
    world: World, server: Server, titles: list[Title], suffix: str, seconds: int, work: Path
) -> dict[str, Any]:
    """wrk, 2 threads, 64 connections, ``seconds`` long, on /v1/bills/{id}{suffix}; rps and p99."""
    reader = TRADERS[0]
    ids = [bill_id_hex(t.bill_id) for t in titles if t.possessor == reader][:2000]
    if not ids:
        raise RuntimeError("no title possessed by the reader")
    script = work / f"reads{suffix.replace('/', '-')}.lua"
    script.write_text(LUA % (",".join(f'"{i}"' for i in ids), suffix, server.tokens[reader]))
    meter = CpuMeter({"anvil": world.anvil.pid or 0, "service": server.pid})
    before = os.times()
    start = time.perf_counter()
    wrk = subprocess.run(
        [
            ensure_wrk(),
            "-t2",
            f"-c{CLIENTS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            server.url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    cpu = meter.split(wall)
    out = wrk.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} non-2xx answers on {suffix or 'lookup'}:\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in errors.groups()) if errors else 0
    # wrk's own CPU time: a waited-for child's, from os.times().
    after = os.times()
    used = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    cpu["loadgen"] = round(used / wall, 3)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "socket_errors": socket_errors, "cpu": cpu}


def _ms(text: str) -> float:
    value = float(re.match(r"[\d.]+", text).group(0))  # type: ignore[union-attr]
    unit = text[len(re.match(r"[\d.]+", text).group(0)) :]  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]
