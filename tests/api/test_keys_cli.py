"""``portledger keys``: a created key authenticates its organisation, is listed without its token,
and is refused once revoked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.keys import app
from ledger.db import Database
from ledger.services.errors import Unauthenticated
from ledger.services.keys import ApiKeys


def test_keys_create_list_revoke_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PORTLEDGER_DATABASE_URL", raising=False)
    runner = CliRunner()
    created = runner.invoke(app, ["create", "--org", "7", "--label", "bank back office"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("plk_") and len(token) > 40
    keys = ApiKeys(Database(f"sqlite:///{tmp_path / 'portledger.db'}"))
    assert keys.authenticate(token) == "7"

    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and "bank back office" in listed.stdout and token not in listed.stdout
    key_id = listed.stdout.split("\t")[0]

    revoked = runner.invoke(app, ["revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(Unauthenticated):
        keys.authenticate(token)
    assert runner.invoke(app, ["revoke", "key_UNKNOWN"]).exit_code == 1


def test_a_checked_key_is_answered_from_memory_until_revoked_or_stale(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'keys.db'}")
    db.migrate()
    node = ApiKeys(db, cache_seconds=0.3)
    other_replica = ApiKeys(db)
    issued = node.create("4", label="terminal gate")
    assert node.cached(issued.token) is None  # never checked here yet
    assert node.authenticate(issued.token) == "4"
    assert node.cached(issued.token) == "4"

    other_replica.revoke(issued.id)  # another replica of the same database
    assert node.cached(issued.token) == "4"  # for at most cache_seconds
    with pytest.raises(Unauthenticated):
        node.authenticate(issued.token)  # the full check always asks the database
    assert node.cached(issued.token) is None

    second = node.create("4")
    assert node.authenticate(second.token) == "4"
    node.revoke(second.id)  # revoked through this node: forgotten at once
    assert node.cached(second.token) is None
