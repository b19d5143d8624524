"""The embedded stack's oracles: each agency's runner configuration, its signer processes, its runner.

Every agency organisation of the demo consortium gets a runner (customs, terminal, maritime), configured
from the deployment record: its organisation id, its report signers where it has any, its sender key,
the parties' codes and the time zone of message times that carry no offset.

Owns which of an agency's signer keys run as ``portledger oracle signer`` processes of their own (Unix
sockets under ``<data dir>/run/signers``; at least one key always signs inside the runner), the runner's
configuration file (``<data dir>/oracles/<agency>.json``, 0600) and the start of the runner over the
agency's inbox folder and the node database's queued messages. What a runner and a signer do is
``oracles``'; how their command line reads that file is ``cli.oracle``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cli.stack.layout import (
    CHAIN_ID,
    ORACLE_AGENCIES,
    RELAYER_LABEL,
    DataLayout,
    Say,
    StackError,
    StackOptions,
    write_private,
)
from cli.stack.process import Child, spawn

SIGNER_PROCESSES = 2
"""Of an agency's oracle signer keys this many run as ``portledger oracle signer`` processes of their own;
the others (at least one) sign inside the runner."""

ORACLE_COMMAND: tuple[str, ...] = (sys.executable, "-m", "cli.oracle")
"""``portledger oracle`` as a child process of the supervisor."""

Adopt = Callable[[Child], None]
"""What the supervisor does with each child as soon as it is spawned (keep it, record its PID)."""


@dataclass(frozen=True)
class SignerProcess:
    """An oracle signer key the stack runs as its own process, reached by the runner over ``socket``."""

    name: str
    address: str
    keystore: Path
    socket: Path


def start_oracles(
    options: StackOptions, layout: DataLayout, env: Mapping[str, str], say: Say, adopt: Adopt
) -> None:
    """For each oracle agency: its signer processes (waited for until they listen), then its runner."""
    if importlib.util.find_spec("oracles") is None:
        say("oracles: the oracle runner is not installed; skipping")
        return
    for agency in ORACLE_AGENCIES:
        separate = separate_signers(layout, agency, env)
        config = write_oracle_config(options, layout, agency, env, separate)
        start_signers(options, layout, agency, separate, config, env, say, adopt)
        inbox = layout.inbox(agency)
        inbox.mkdir(parents=True, exist_ok=True)
        command = [*ORACLE_COMMAND, "run", "--agency", agency, "--inbox", str(inbox), "--config", str(config)]
        say(
            f"oracles: {agency} runner for its organisation's messages (posted to "
            f"/v1/oracles/{agency}/messages, or dropped in {inbox}; log {layout.log('oracle-' + agency)})"
        )
        adopt(spawn(f"oracle-{agency}", command, layout.log(f"oracle-{agency}"), env))


def node_database_url(options: StackOptions, layout: DataLayout, env: Mapping[str, str]) -> str:
    """The node's database as its children see it (``env``: the embedded PostgreSQL's URL, if so)."""
    from ledger.settings import Settings

    url = env.get("PORTLEDGER_DATABASE_URL") or None
    return Settings(data_dir=layout.root, rpc_url=options.rpc_url, database_url=url).resolved_database_url


def oracle_keystores(layout: DataLayout, agency: str, env: Mapping[str, str]) -> list[tuple[str, Path]]:
    """(address, keystore) of each key in the agency's wallet that the deployment made a signer."""
    from ledger.chain.deployment import load_deployment
    from wallets import WalletDirectory

    record = load_deployment(layout.root, CHAIN_ID)
    wallet = WalletDirectory.from_env(layout.wallets, env).organisation(agency)
    signer_sets = [s for s in record.oracle_signers if s.agency == agency]
    signer_addresses = {a.lower() for s in signer_sets for a in s.signers}
    return [
        (str(a.address), wallet.keystore_path(a.address))
        for a in wallet.accounts()
        if a.address.lower() in signer_addresses
    ]


def separate_signers(layout: DataLayout, agency: str, env: Mapping[str, str]) -> list[SignerProcess]:
    """The agency's signer keys that run as their own processes: up to ``SIGNER_PROCESSES``, always
    leaving one to sign inside the runner."""
    keystores = oracle_keystores(layout, agency, env)
    split = max(len(keystores) - SIGNER_PROCESSES, min(len(keystores), 1))
    return [
        SignerProcess(f"signer-{agency}-{index}", address, keystore, layout.signer_socket(agency, index))
        for index, (address, keystore) in enumerate(keystores[split:], start=split + 1)
    ]


def start_signers(
    options: StackOptions,
    layout: DataLayout,
    agency: str,
    separate: Sequence[SignerProcess],
    config: Path,
    env: Mapping[str, str],
    say: Say,
    adopt: Adopt,
) -> None:
    """Start each signer process (passphrase in ``env``, never on argv) and wait until it listens.

    In the demo a signer reads the runner's configuration file for its chain and directory (it ignores
    the runner's keys); in production each signer host keeps its own copy.
    """
    if not separate:
        return
    layout.signer_sockets.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(layout.signer_sockets, 0o700)
    started: list[tuple[Child, SignerProcess]] = []
    for signer in separate:
        command = [*ORACLE_COMMAND, "signer", "--agency", agency]
        command += ["--keystore", str(signer.keystore), "--socket", str(signer.socket)]
        command += ["--config", str(config)]
        say(
            f"oracles: {agency} signer {signer.address} in its own process on {signer.socket} "
            f"(log {layout.log(signer.name)})"
        )
        child = spawn(signer.name, command, layout.log(signer.name), env)
        adopt(child)
        started.append((child, signer))
    for child, signer in started:
        wait_for_signer(options, layout, child, signer.socket)


def wait_for_signer(options: StackOptions, layout: DataLayout, child: Child, socket_path: Path) -> None:
    from oracles.signer_wire import unix_address

    deadline = time.monotonic() + options.start_timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise StackError(
                f"the oracle signer {child.name} exited at start-up with {child.process.returncode}: "
                f"see {layout.log(child.name)}"
            )
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            with unix_address(socket_path) as address:
                probe.connect(address)
            return
        time.sleep(0.2)
    raise StackError(
        f"the oracle signer {child.name} did not listen on {socket_path} within "
        f"{options.start_timeout:.0f}s: see {layout.log(child.name)}"
    )


def write_oracle_config(
    options: StackOptions,
    layout: DataLayout,
    agency: str,
    env: Mapping[str, str],
    separate: Sequence[SignerProcess] = (),
) -> Path:
    """The agency runner's configuration (the JSON ``cli.oracle`` reads), written 0600."""
    from ledger.chain.deployment import load_deployment
    from wallets import WalletDirectory

    record = load_deployment(layout.root, CHAIN_ID)
    wallet = WalletDirectory.from_env(layout.wallets, env).organisation(agency)
    accounts = wallet.accounts()
    # Keys served by a signer process are reached through its socket, and asked first (k of n is
    # enough); the others sign inside the runner.
    served = {s.keystore for s in separate}
    signers: list[str | dict[str, str]] = [{"socket": str(s.socket), "address": s.address} for s in separate]
    signers += [str(path) for _, path in oracle_keystores(layout, agency, env) if path not in served]
    consortium = options.consortium_config()
    carrier_code = consortium.organisation("carrier").legal_id
    # The codes a message names a party by (a CODECO's haulier): each organisation's legal id.
    parties = {org.legal_id: record.org_id(org.name) for org in consortium.organisations if org.legal_id}
    # The relayer key; for the terminal also a member account of its organisation (cli.stack.keys),
    # which sends the gate moves.
    relayer = next((a.address for a in accounts if a.label == RELAYER_LABEL), wallet.primary_address)
    config = {
        "rpcUrl": options.rpc_url,
        "deployment": str(layout.deployment),
        "organisation": agency,
        "agencyOrg": record.org_id(agency),
        "signers": signers,
        "sender": str(wallet.keystore_path(relayer)),
        "carriers": {carrier_code: record.org_id("carrier")},
        "parties": parties,
        # The zone of a message time without an offset (an EDIFACT DTM of format 203).
        "timeZone": options.time_zone,
        "databaseUrl": f"sqlite:///{layout.root / 'oracles' / (agency + '.db')}",
        # The node database, where the API stores the messages the organisation posts.
        "messagesDatabaseUrl": node_database_url(options, layout, env),
    }
    path = layout.oracle_config(agency)
    write_private(path, json.dumps(config, indent=2) + "\n")
    return path
