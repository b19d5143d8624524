"""The embedded chain: anvil with its state under the data dir, ether for the wallets, the deployment.

Owns starting anvil (``--state`` and ``--state-interval``), funding every wallet account on it (a dev
chain's ``anvil_setBalance``) and the deployment: the deploy plan on first start, the start-up code
check of the recorded deployment on every later one. The deploy plan itself lives in
``ledger.chain.deploy_plan``; the keys it deploys with come from ``cli.stack.keys``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import requests

from cli.stack.keys import publish_encryption_keys, wallet_resolver
from cli.stack.layout import CHAIN_ID, DEPLOYER_INDEX, DataLayout, Say, StackError, StackOptions
from ledger.chain.anvil import Anvil, AnvilError


def anvil_for(options: StackOptions, layout: DataLayout) -> Anvil:
    """The stack's anvil, not yet started: its port, chain id, state file and log."""
    return Anvil(
        port=options.chain_port,
        chain_id=CHAIN_ID,
        state_file=layout.state_file,
        state_interval=options.state_interval,
        log_file=layout.log("anvil"),
    )


def start_chain(anvil: Anvil, options: StackOptions, layout: DataLayout, say: Say) -> None:
    layout.state_file.parent.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    say(
        f"chain: anvil on {options.rpc_url}, state in {layout.state_file} (written every "
        f"{options.state_interval} s and at a clean stop)"
    )
    try:
        anvil.start(timeout=60)
    except AnvilError as exc:
        raise StackError(
            f"anvil did not start ({exc}); see {layout.log('anvil')}. If the chain state "
            f"{layout.state_file} is damaged, restore the data directory from a backup or move it aside"
        ) from None


def say_block(anvil: Anvil, say: Say) -> None:
    """Before the API starts (whose outbox re-sends what an unclean stop lost): the block it resumes at."""
    with contextlib.suppress(requests.RequestException, ValueError, KeyError):
        say(f"chain: at block {anvil.block_number()}")


def fund_wallets(anvil: Anvil, layout: DataLayout, env: Mapping[str, str]) -> None:
    """Give every wallet account ether on the embedded chain (anvil_setBalance; dev chains only).

    anvil still quotes a gas price above zero, so the accounts need a balance to send; a QBFT network
    with a zero gas price needs none of this.
    """
    from wallets import WalletDirectory

    directory = WalletDirectory.from_env(layout.wallets, env)
    for slug in directory.organisations():
        for account in directory.organisation(slug).accounts():
            requests.post(
                anvil.url,
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "anvil_setBalance",
                    "params": [account.address, hex(10**24)],
                },
                timeout=10,
            ).raise_for_status()


def ensure_deployment(
    anvil: Anvil, options: StackOptions, layout: DataLayout, env: Mapping[str, str], say: Say
) -> None:
    """Bind the recorded deployment after checking its code is on chain, or deploy (first start)."""
    from ledger.chain import ChainClient
    from ledger.chain.deployment import DeploymentMismatch, load_deployment, verify_code

    chain = ChainClient(anvil.url)
    if layout.deployment.exists():
        record = load_deployment(layout.root, chain.chain_id)
        if record.complete:
            try:
                verify_code(chain, record, layout.root)
            except DeploymentMismatch as exc:
                raise StackError(
                    f"the chain state does not hold the recorded contracts ({exc}). Restore the data "
                    "directory from a backup, or move it aside and run `make run` again"
                ) from None
            say(f"contracts: reusing the deployment recorded in {layout.deployment}")
            return
    _deploy(chain, options, layout, env, say)


def _deploy(chain: Any, options: StackOptions, layout: DataLayout, env: Mapping[str, str], say: Say) -> None:
    from eth_account import Account

    from ledger.chain.anvil import DEV_MNEMONIC
    from ledger.chain.deploy_plan import deploy
    from wallets import WalletDirectory, passphrase_from_env

    say("contracts: deploying the demo port consortium (first start)")
    Account.enable_unaudited_hdwallet_features()
    deployer = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{DEPLOYER_INDEX}").address
    config = options.consortium_config().resolve(wallet_resolver(layout, env), deployer=deployer)
    directory = WalletDirectory.from_env(layout.wallets, env)
    passphrase = passphrase_from_env(env)
    signers: dict[str, Any] = {}
    for slug in directory.organisations():
        wallet = directory.organisation(slug)
        signers[str(wallet.primary_address)] = wallet.signer(passphrase)
    deploy(chain, config, deployer, layout.root, signers=signers)
    publish_encryption_keys(chain, layout, directory, signers)
