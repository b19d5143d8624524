"""Which API a client command calls: ``--api-url`` / ``PORTLEDGER_API_URL``, else the running stack's
``apiUrl`` in ``<data dir>/run/pids.json``, else ``http://127.0.0.1:8000``. A real server answers on
another port than the default; the command reaches it only through the recorded URL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.http import DEFAULT_API_URL, client_from
from cli.main import app
from tests.api.served import serve_answers

ORGS = {
    "items": [{"id": "4", "legalId": "TOLU", "name": "Tolu Lines", "roles": ["CARRIER"], "suspended": False}],
    "nextCursor": None,
}


def _orgs(path: str) -> Any:
    return ORGS if path == "/v1/orgs" else None


def _record_stack(data_dir: Path, api_url: str) -> None:
    (data_dir / "run").mkdir(parents=True)
    record = {"supervisor": os.getpid(), "api": 1, "apiUrl": api_url, "rpcUrl": "http://127.0.0.1:1"}
    (data_dir / "run" / "pids.json").write_text(json.dumps(record), encoding="utf-8")


def test_orgs_list_without_api_url_calls_the_url_in_pids_json(tmp_path: Path) -> None:
    with serve_answers(_orgs) as (url, asked):
        assert url != DEFAULT_API_URL
        _record_stack(tmp_path, url)
        result = CliRunner().invoke(
            app,
            ["orgs", "list", "--api-key", "k", "--data-dir", str(tmp_path)],
            env={"PORTLEDGER_API_URL": None, "PORTLEDGER_DATA_DIR": None},
        )
    assert result.exit_code == 0, result.output
    assert "TOLU" in result.stdout and "Tolu Lines" in result.stdout
    assert asked == ["/v1/orgs"]


def test_pids_json_is_found_in_portledger_data_dir(tmp_path: Path) -> None:
    with serve_answers(_orgs) as (url, asked):
        _record_stack(tmp_path, url)
        result = CliRunner().invoke(
            app,
            ["orgs", "list", "--api-key", "k"],
            env={"PORTLEDGER_API_URL": None, "PORTLEDGER_DATA_DIR": str(tmp_path)},
        )
    assert result.exit_code == 0, result.output
    assert asked == ["/v1/orgs"]


def test_portledger_api_url_wins_over_pids_json(tmp_path: Path) -> None:
    with serve_answers(_orgs) as (url, asked), serve_answers(_orgs) as (stale, stale_asked):
        _record_stack(tmp_path, stale)
        result = CliRunner().invoke(
            app,
            ["orgs", "list", "--api-key", "k", "--data-dir", str(tmp_path)],
            env={"PORTLEDGER_API_URL": url},
        )
    assert result.exit_code == 0, result.output
    assert asked == ["/v1/orgs"] and stale_asked == []


def test_without_a_stack_record_the_default_url_applies(tmp_path: Path) -> None:
    assert client_from(None, "k", None, tmp_path).base_url == DEFAULT_API_URL
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "pids.json").write_text("{not json", encoding="utf-8")
    assert client_from(None, "k", None, tmp_path).base_url == DEFAULT_API_URL
