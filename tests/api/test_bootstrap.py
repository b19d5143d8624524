"""The composition root from settings alone: deployment record, database, store and the wallets in
the wallet dir, each unlocked and keyed by the organisation its primary account belongs to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.chain.deployment import deployment_path
from ledger.settings import Settings
from tests.deployed import DeployedStack
from wallets import Passphrase, ScryptCost, WalletDirectory


def test_from_settings_loads_the_record_and_unlocks_each_wallet_for_its_organisation(
    deployed_stack: DeployedStack, chain: ChainClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = deployment_path(deployed_stack.data_dir, deployed_stack.deployment.chain_id)
    target = deployment_path(tmp_path, deployed_stack.deployment.chain_id)
    target.parent.mkdir(parents=True)
    shutil.copy(record, target)
    passphrase = "bootstrap test passphrase"
    directory = WalletDirectory(tmp_path / "wallets", ScryptCost(2**4))
    for name in ("carrier", "bank"):
        directory.create_organisation(
            name, Passphrase(passphrase), private_key=deployed_stack.private_key(name)
        )
    directory.create_organisation("stranger", Passphrase(passphrase))  # not a member: skipped

    settings = Settings(
        data_dir=tmp_path, rpc_url=chain.rpc_url, wallet_passphrase=SecretStr(passphrase), run_workers=False
    )
    ledger = Ledger.from_settings(settings)
    try:
        wallets = ledger.organisations.wallets
        assert set(wallets) == {deployed_stack.org("carrier"), deployed_stack.org("bank")}
        assert wallets[deployed_stack.org("carrier")].signer.address == deployed_stack.admin("carrier")
        assert ledger.readiness() == {"chain": "ok", "database": "ok", "documentStore": "ok"}
        assert ledger.deployment == deployed_stack.deployment
    finally:
        ledger.close()
