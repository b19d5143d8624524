"""The embedded chain: anvil with its state under the data dir, ether for the wallets, the deployment.

Owns starting anvil (``--state`` and ``--state-interval``; it dies with the supervisor), stopping the
anvil a crashed supervisor left on this data dir, funding every wallet account on it (a dev
chain's ``anvil_setBalance``) and the deployment: the deploy plan on first start, the start-up code
check of the recorded deployment on every later one. The deploy plan itself lives in
``ledger.chain.deploy_plan``; the keys it deploys with come from ``cli.stack.keys``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import requests

from cli.stack.keys import publish_encryption_keys, wallet_resolver
from cli.stack.layout import CHAIN_ID, DEPLOYER_INDEX, DataLayout, Say, StackError, StackOptions
from cli.stack.process import command_line, die_with_parent, recorded_pid
from ledger.chain.anvil import Anvil, AnvilError

STALE_ANVIL_TIMEOUT = 60.0
"""Seconds a recorded anvil left by a crashed supervisor gets to write its state and exit."""


def anvil_for(options: StackOptions, layout: DataLayout) -> Anvil:
    """The stack's anvil, not yet started: its port, chain id, state file and log; it gets SIGTERM (and
    writes its state) should the supervisor die, although it runs in a session of its own."""
    return Anvil(
        port=options.chain_port,
        chain_id=CHAIN_ID,
        state_file=layout.state_file,
        state_interval=options.state_interval,
        log_file=layout.log("anvil"),
        before_exec=die_with_parent,
    )


def stop_stale_anvil(layout: DataLayout, say: Say) -> None:
    """Before the port check: stop the anvil ``pids.json`` records if it still runs on this data dir's
    state file (a supervisor killed without its clean stop): SIGTERM, then wait while it writes its state.

    While the recorded supervisor still runs (another ``make run`` on this data dir) its anvil is left
    alone, as is a recorded PID now running anything else: the port check then refuses the start.
    """
    supervisor = recorded_pid(layout, "supervisor")
    if supervisor is not None and supervisor != os.getpid() and command_line(supervisor) is not None:
        return
    pid = recorded_pid(layout, "anvil")
    if pid is None or not _is_our_anvil(pid, layout):
        return
    say(f"chain: stopping the anvil (PID {pid}) a previous run left on {layout.state_file}")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STALE_ANVIL_TIMEOUT
    while _is_our_anvil(pid, layout):
        if time.monotonic() > deadline:
            raise StackError(
                f"the anvil (PID {pid}) a previous run left did not stop within {STALE_ANVIL_TIMEOUT:.0f}s "
                f"of SIGTERM: stop it (kill {pid}) and run `make run` again"
            )
        time.sleep(0.2)


def _is_our_anvil(pid: int, layout: DataLayout) -> bool:
    args = command_line(pid)
    if not args or Path(args[0]).name != "anvil":
        return False
    return any(a == "--state" and b == str(layout.state_file) for a, b in pairwise(args))


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
