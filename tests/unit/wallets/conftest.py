"""Fixtures for the wallet tests: a cheap scrypt cost, a passphrase and a wallet root in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallets import OrganisationWallet, Passphrase, ScryptCost, WalletDirectory

# n=2**4 keeps each keystore operation at a few milliseconds; production is 2**18.
TEST_SCRYPT_N = 2**4
PASSPHRASE_TEXT = "quay-crane-7f3a-straddle-carrier"


@pytest.fixture
def cost() -> ScryptCost:
    return ScryptCost(TEST_SCRYPT_N)


@pytest.fixture
def passphrase() -> Passphrase:
    return Passphrase(PASSPHRASE_TEXT)


@pytest.fixture
def wallet_root(tmp_path: Path) -> Path:
    return tmp_path / "wallets"


@pytest.fixture
def directory(wallet_root: Path, cost: ScryptCost) -> WalletDirectory:
    return WalletDirectory(wallet_root, cost)


@pytest.fixture
def acme(directory: WalletDirectory, passphrase: Passphrase) -> OrganisationWallet:
    return directory.create_organisation("acme-lines", passphrase, label="operations")
