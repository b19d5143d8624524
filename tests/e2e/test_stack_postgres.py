"""``make run`` with several API workers: the embedded PostgreSQL, its start, its stop and a SIGKILL.

The stack test starts ``portledger run --api-workers 2`` on a fresh data dir: PostgreSQL runs from the
pip wheel with its cluster in ``data/pg`` and its postmaster PID recorded; two API worker processes and
the chain worker share it (no SQLite file appears); a write ends ``mined`` and is read back over fresh
connections until both workers have answered; Ctrl-C stops every process, PostgreSQL included; a SIGKILL
of every process, then a start, resumes the same node.

The server tests start :class:`cli.stack.database.EmbeddedPostgres` alone and restart it over the
``postmaster.pid`` a SIGKILL leaves behind: right after the kill (the postmaster may still be an
unreaped zombie), naming a PID that no longer exists (the package's "found a postmaster.pid, but the
server is not running"), and naming a PID that now belongs to another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import requests

from cli.demo.scenario import transport_document, unique_container, unique_reference
from cli.stack.database import DATABASE_NAME, EmbeddedPostgres
from tests.e2e.stack_process import StackProcess, alive, wait_gone

pytestmark = [pytest.mark.slow]


def processes_in(pgdata: Path) -> list[int]:
    """Live processes working in the cluster: a PostgreSQL server's (each changes into its data dir)."""
    found = []
    for process in psutil.process_iter(["cwd", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and process.info["cwd"] == str(pgdata.resolve()):
            found.append(process.pid)
    return found


def issue(run: StackProcess) -> dict[str, Any]:
    shipper = run.demo_keys()["shipper"]["org"]
    body = {"document": transport_document(unique_reference(), unique_container()), "issueTo": shipper}
    response = run.post("/v1/bills", "carrier", body)
    assert response.status_code == 200, response.text
    operation: dict[str, Any] = response.json()
    assert operation["status"] == "mined", operation
    return operation


def read_back_from_every_worker(run: StackProcess, bill: str, workers: list[int]) -> None:
    """Read the title over fresh connections until each API worker has answered at least once."""
    key = run.demo_keys()["carrier"]["apiKey"]
    heard: set[int] = set()
    for _ in range(200):
        headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
        response = requests.get(f"{run.api_url}/v1/bills/{bill}", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ISSUED"
        ready = requests.get(f"{run.api_url}/readyz", headers={"Connection": "close"}, timeout=30).json()
        assert ready["roles"]["process"] == "api" and ready["roles"]["jobs"] == [], ready
        heard.add(ready["roles"]["pid"])
        if heard >= set(workers):
            break
    assert heard == set(workers), (heard, workers)


def test_run_with_two_api_workers_on_the_embedded_postgresql_stops_it_on_ctrl_c_and_survives_sigkill(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    pgdata = data / "pg"
    first, second, third = (StackProcess(data, api_workers=2) for _ in range(3))
    try:
        out = " ".join(first.start().split())
        assert "first start: demo seeded" in out
        assert "2 API worker processes (HTTP only) and 1 chain worker" in out
        assert f"PostgreSQL (embedded) in {pgdata}" in out

        pids = first.pids()
        postgres, master, workers = pids["postgres"], pids["api"], pids["apiWorkers"]
        assert alive(postgres) and postgres in processes_in(pgdata)
        assert psutil.Process(postgres).name() == "postgres"
        assert pids["databaseUrl"].startswith("postgresql+psycopg://postgres@/")
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        assert set(workers) <= {p.pid for p in psutil.Process(master).children()}  # (and a resource tracker)
        assert alive(pids["chain-worker"])
        assert not (data / "portledger.db").exists(), "a process of the node fell back to SQLite"

        operation = issue(first)
        read_back_from_every_worker(first, operation["result"]["billId"], workers)

        recorded = first.recorded_pids()
        assert first.interrupt() == 0
        assert "stopping: oracles, API, chain worker, database, then the chain" in first.output()
        assert not any(alive(pid) for pid in recorded)
        assert processes_in(pgdata) == []
        assert not (pgdata / "postmaster.pid").exists()
        assert not (data / "run" / "pids.json").exists()

        # A SIGKILL of everything (the postmaster and the API's workers included), then a start.
        assert "resumed" in second.start()
        killed = second.recorded_pids()
        assert second.pids()["postgres"] in killed
        second.kill_all()
        assert not any(alive(pid) for pid in killed)
        assert (pgdata / "postmaster.pid").exists()  # what the killed server left behind

        assert "resumed" in third.start()
        assert alive(third.pids()["postgres"])
        bill = operation["result"]["billId"]
        read_back_from_every_worker(third, bill, third.pids()["apiWorkers"])
        issue(third)
        assert third.interrupt() == 0
        assert processes_in(pgdata) == []
    finally:
        for run in (first, second, third):
            run.kill_all()


# -- the server alone ------------------------------------------------------------------------------


def rows(server: EmbeddedPostgres) -> list[Any]:
    conninfo = server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS marks (n integer)")
        connection.execute("INSERT INTO marks VALUES (1)")
        return connection.execute("SELECT n FROM marks").fetchall()


def sigkill(server: EmbeddedPostgres) -> int:
    assert server.pid is not None
    pid = server.pid
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)  # gone or a zombie: either way no server
    deadline = time.monotonic() + 15
    while processes_in(server.pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pid


def name_in_lock_files(pgdata: Path, pid: int) -> None:
    """Make ``postmaster.pid`` and its socket's lock file name ``pid``, as if the killed server had had it."""
    for lock in (pgdata / "postmaster.pid", *pgdata.glob(".s.PGSQL.*.lock")):
        lines = lock.read_text().splitlines()
        lock.write_text("\n".join([str(pid), *lines[1:]]) + "\n")


def test_embedded_postgres_restarts_over_the_lock_file_a_sigkill_leaves(tmp_path: Path) -> None:
    said: list[str] = []
    server = EmbeddedPostgres(tmp_path / "pg")
    other: subprocess.Popen[bytes] | None = None
    try:
        server.start(said.append, processes=2, timeout=60)
        assert server.socket_dir is not None and server.url().endswith(
            f"/{DATABASE_NAME}?host={server.socket_dir}"
        )
        assert rows(server) == [(1,)]

        # Right after the kill: the postmaster's PID is gone, or still a zombie nobody has reaped.
        killed = sigkill(server)
        server.start(said.append, processes=2, timeout=60)
        assert server.pid != killed and server.alive()
        assert rows(server) == [(1,), (1,)]

        # The lock file names a PID that exists no more: PostgreSQL and the package cope by themselves.
        sigkill(server)
        exited = subprocess.Popen(["true"])
        exited.wait()
        name_in_lock_files(server.pgdata, exited.pid)
        server.start(said.append, processes=2, timeout=60)
        assert rows(server) == [(1,), (1,), (1,)]

        # The lock file names a PID another process has since: it is no server, the file is stale. This
        # start also needs more connections than the default 100 (a restart with max_connections raised).
        sigkill(server)
        other = subprocess.Popen(["sleep", "60"])
        name_in_lock_files(server.pgdata, other.pid)
        server.start(said.append, processes=8, timeout=60)
        assert alive(other.pid), "the start touched a process that is not the server"
        assert any(f"no longer running (PID {other.pid})" in line for line in said), said
        assert any("raising max_connections from 100 to 128" in line for line in said), said
        assert rows(server) == [(1,), (1,), (1,), (1,)]

        pid = server.pid
        server.stop()
        assert pid is not None and not alive(pid)
        assert processes_in(server.pgdata) == []
        assert not (server.pgdata / "postmaster.pid").exists()
    finally:
        if other is not None:
            other.kill()
            other.wait()
        if server.alive():
            server.stop()
