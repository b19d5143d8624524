"""The ``deployed_stack`` fixture: PortLedger deployed once per session on the session anvil.

It runs the real deploy plan (``ledger.chain.deploy_plan.deploy``) with :data:`TEST_CONSORTIUM`, a small
port consortium (every role once, customs with 2-of-3 oracle signers for the customs schemas, the
maritime administration with 1-of-1 for vessel events), and hands back the record, the bound contracts
and the organisations' accounts (anvil development accounts 40-59, so they do not collide with the
accounts the contract tests use; their private keys derive from anvil's public development mnemonic).

Tests that change the stack's state should also request ``isolated`` (snapshot and revert): pytest sets
up the session fixture before the function-scoped snapshot, so the deployment survives every revert.
A module-scoped fixture that takes its own snapshot must list ``deployed_stack`` among its parameters;
otherwise a later test of the module may deploy after that snapshot, and the module's final revert
would remove the contracts that this cached session fixture still points at. The bootstrap is left
unsealed, so a test may still attach extra member caches as the deployer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.chain import ChainClient
from ledger.chain.anvil import DEV_MNEMONIC
from ledger.chain.deploy_plan import deploy
from ledger.chain.deployment import Contracts, Deployment, bind
from ledger.consortium_config import ConsortiumConfig, DevAccountResolver

FIRST_ACCOUNT = 40
"""Index of the stack's deployer among anvil's development accounts (the session anvil has 60)."""

TEST_CONSORTIUM: Mapping[str, Any] = {
    "consortium": {
        "governors": ["deployer", "wallet:port-authority"],
        "threshold": 2,
        "sealBootstrap": False,
    },
    "organisations": [
        {
            "name": "port-authority",
            "registeredName": "Test Port Authority",
            "legalId": "12330200MB1TEST01P",
            "roles": ["PORT_AUTHORITY"],
            "admin": "wallet:port-authority",
        },
        {
            "name": "customs",
            "registeredName": "Test Customs District",
            "legalId": "11330200MB1TEST02C",
            "roles": ["CUSTOMS"],
            "admin": "wallet:customs",
            "oracles": [
                {
                    "schemas": ["CUSTOMS_RELEASE", "CUSTOMS_HOLD"],
                    "signers": [
                        "wallet:customs/oracle-1",
                        "wallet:customs/oracle-2",
                        "wallet:customs/oracle-3",
                    ],
                    "threshold": 2,
                }
            ],
        },
        {
            "name": "maritime",
            "registeredName": "Test Maritime Safety Administration",
            "legalId": "11330200MB1TEST03M",
            "roles": ["MARITIME"],
            "admin": "wallet:maritime",
            "oracles": [
                {"schemas": ["VESSEL_EVENT"], "signers": ["wallet:maritime/oracle-1"], "threshold": 1}
            ],
        },
        {
            "name": "carrier",
            "registeredName": "Test Ocean Lines",
            "legalId": "TOLU",
            "roles": ["CARRIER"],
            "admin": "wallet:carrier",
            "accounts": ["wallet:carrier/clerk"],
        },
        {
            "name": "shipper",
            "registeredName": "Test Shipper Co.",
            "legalId": "91330200MA2TEST04X",
            "roles": ["TRADER"],
            "admin": "wallet:shipper",
        },
        {
            "name": "consignee",
            "registeredName": "Test Consignee GmbH",
            "legalId": "5299000TESTCONSIGN01",
            "roles": ["TRADER"],
            "admin": "wallet:consignee",
        },
        {
            "name": "bank",
            "registeredName": "Test Bank",
            "legalId": "5299000TESTBANK00042",
            "roles": ["BANK"],
            "admin": "wallet:bank",
        },
        {
            "name": "terminal",
            "registeredName": "Test Container Terminal",
            "legalId": "91330200MA2TEST05T",
            "roles": ["TERMINAL"],
            "admin": "wallet:terminal",
        },
        {
            "name": "haulier",
            "registeredName": "Test Haulage",
            "legalId": "91330200MA2TEST06H",
            "roles": ["HAULIER"],
            "admin": "wallet:haulier",
        },
    ],
}


@dataclass(frozen=True)
class DeployedStack:
    """A deployed PortLedger: record, bound contracts and who is who."""

    chain: ChainClient
    deployment: Deployment
    contracts: Contracts
    data_dir: Path
    deployer: str
    accounts: Mapping[str, str]
    """``"carrier"`` → the carrier's admin; ``"carrier/clerk"``, ``"customs/oracle-1"`` → other keys."""
    config: ConsortiumConfig

    def org(self, name: str) -> int:
        """Consortium id of an organisation by its config name."""
        return self.deployment.org_id(name)

    def admin(self, name: str) -> str:
        return self.accounts[name]

    def account(self, key: str) -> str:
        return self.accounts[key]

    def private_key(self, key: str) -> bytes:
        """The development private key of an account (anvil's public mnemonic; never a real secret)."""
        return private_key_of(self.chain, self.accounts.get(key, key))


def private_key_of(chain: ChainClient, address: str) -> bytes:
    """Derive the anvil development key of ``address`` (it must be one of the node's accounts)."""
    node_accounts = [a.lower() for a in chain.rpc("eth_accounts")]
    index = node_accounts.index(address.lower())
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    assert account.address.lower() == address.lower()
    return bytes(account.key)


def deploy_stack(
    chain: ChainClient,
    data_dir: Path,
    config: Mapping[str, Any] = TEST_CONSORTIUM,
    first_account: int = FIRST_ACCOUNT,
) -> DeployedStack:
    """Resolve ``config`` to development accounts from ``first_account`` on and deploy it."""
    from eth_utils.address import to_checksum_address

    node_accounts = [to_checksum_address(a) for a in chain.rpc("eth_accounts")][first_account:]
    deployer = node_accounts[0]
    resolver = DevAccountResolver(node_accounts, reserved=[deployer])
    resolved = ConsortiumConfig.from_mapping(config).resolve(resolver, deployer=deployer)
    deployment = deploy(chain, resolved, deployer, data_dir)
    names = {p.removeprefix("wallet:"): a for p, a in resolver.assigned.items()}
    return DeployedStack(
        chain=chain,
        deployment=deployment,
        contracts=bind(chain, deployment),
        data_dir=data_dir,
        deployer=deployer,
        accounts={**names, "deployer": deployer},
        config=resolved,
    )


@pytest.fixture(scope="session")
def deployed_stack(chain: ChainClient, tmp_path_factory: pytest.TempPathFactory) -> DeployedStack:
    """PortLedger deployed once on the session anvil with :data:`TEST_CONSORTIUM`."""
    return deploy_stack(chain, tmp_path_factory.mktemp("portledger-data"))
