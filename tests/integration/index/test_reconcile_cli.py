"""``portledger reconcile`` on a real index: exit 0 and no difference when clean, exit 1 naming the
field when a read-model row was edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger.chain.deployment import Deployment, write_deployment
from ledger.db import Database
from ledger.index.models import Organisation
from tests.integration.index.conftest import Stack

pytestmark = pytest.mark.slow


def test_reconcile_command_exits_1_and_names_the_edited_field(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = stack.world.chain
    url = f"sqlite:///{tmp_path / 'index.db'}"
    db = Database(url)
    db.migrate()
    stack.indexer(db).catch_up()
    deployment = Deployment(
        chain_id=chain.chain_id,
        addresses=stack.contracts,
        block_number=stack.start_block,
        schemas={},
        governors=(stack.world.governor,),
        threshold=1,
        organisations={},
    )
    write_deployment(tmp_path, deployment)
    monkeypatch.setenv("PORTLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("PORTLEDGER_RPC_URL", chain.rpc_url)
    runner = CliRunner()

    clean = runner.invoke(app, ["reconcile", "--all"])
    assert clean.exit_code == 0, clean.output
    assert "0 difference(s)" in clean.output

    trader = stack.world.org["TRADER"]
    with db.transaction() as session:
        row = session.get(Organisation, trader)
        assert row is not None
        row.suspended = True
        session.add(row)
    dirty = runner.invoke(app, ["reconcile", "--sample", "100"])
    assert dirty.exit_code == 1, dirty.output
    assert f"organisation {trader}: suspended index=True chain=False" in dirty.output
    db.dispose()
