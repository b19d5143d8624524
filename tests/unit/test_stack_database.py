"""Which database a start of ``portledger run`` uses, and how many API workers it allows.

PostgreSQL for several processes (``PORTLEDGER_DATABASE_URL`` or the embedded server in ``data/pg``),
SQLite for one; a data dir keeps the database it was first started with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.stack.database import EmbeddedPostgres, choose_database, default_api_workers
from cli.stack.layout import DataLayout, StackError, StackOptions

POSTGRES_URL = "postgresql+psycopg://node@db.example/portledger"


def choice(tmp_path: Path, workers: int | None, env: dict[str, str] | None = None) -> tuple[int, str | None]:
    found = choose_database(
        StackOptions(data_dir=tmp_path, api_workers=workers), DataLayout(tmp_path), env or {}
    )
    return found.api_workers, found.url


def test_fresh_data_dir_with_several_workers_runs_the_embedded_postgresql(tmp_path: Path) -> None:
    assert choice(tmp_path, 3) == (3, None)


def test_fresh_data_dir_with_one_worker_runs_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert choice(tmp_path, 1) == (1, f"sqlite:///{tmp_path / 'portledger.db'}")


def test_default_is_one_worker_per_core(tmp_path: Path) -> None:
    workers, url = choice(tmp_path, None)
    assert workers == default_api_workers()
    assert (url is None) == (workers > 1)


def test_database_url_wins_with_any_number_of_workers(tmp_path: Path) -> None:
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "PG_VERSION").write_text("18\n")
    assert choice(tmp_path, 4, {"PORTLEDGER_DATABASE_URL": POSTGRES_URL}) == (4, POSTGRES_URL)
    assert choice(tmp_path, 1, {"PORTLEDGER_DATABASE_URL": POSTGRES_URL}) == (1, POSTGRES_URL)


def test_data_dir_with_a_cluster_stays_on_it_even_with_one_worker(tmp_path: Path) -> None:
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "PG_VERSION").write_text("18\n")
    assert choice(tmp_path, 1) == (1, None)


def test_sqlite_data_dir_refuses_several_workers_asked_for(tmp_path: Path) -> None:
    (tmp_path / "portledger.db").write_bytes(b"")
    with pytest.raises(StackError, match="--api-workers 1"):
        choice(tmp_path, 2)


def test_sqlite_data_dir_by_default_runs_one_process_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "portledger.db").write_bytes(b"")
    found = choose_database(StackOptions(data_dir=tmp_path), DataLayout(tmp_path), {})
    assert (found.api_workers, found.url) == (1, f"sqlite:///{tmp_path / 'portledger.db'}")
    assert default_api_workers() == 1 or "one API process" in (found.note or "")


def test_several_workers_never_share_sqlite(tmp_path: Path) -> None:
    sqlite = {"PORTLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    with pytest.raises(StackError, match="needs PostgreSQL"):
        choice(tmp_path, 2, sqlite)
    assert choice(tmp_path, 1, sqlite) == (1, sqlite["PORTLEDGER_DATABASE_URL"])


def test_api_workers_from_the_environment_must_be_a_positive_number() -> None:
    assert StackOptions.from_env({"PORTLEDGER_API_WORKERS": "3"}).api_workers == 3
    assert StackOptions.from_env({}).api_workers is None
    for bad in ("0", "-1", "two"):
        with pytest.raises(StackError, match="positive whole number"):
            StackOptions.from_env({"PORTLEDGER_API_WORKERS": bad})


def test_embedded_postgres_refuses_a_data_dir_too_long_for_its_socket(tmp_path: Path) -> None:
    """Else the socket would go to a shared runtime folder, where any local user could reach it."""
    deep = tmp_path / ("d" * 100) / "pg"
    with pytest.raises(StackError, match="too long for PostgreSQL's Unix socket"):
        EmbeddedPostgres(deep).start(print, processes=2, timeout=5)
    assert not deep.exists()
