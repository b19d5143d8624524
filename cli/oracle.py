"""``portledger oracle run``: one organisation's oracle runner for one agency, and its configuration.

The runner processes the organisation's queued messages (posted to ``POST /v1/oracles/{agency}/messages``
and stored in the node database that ``messagesDatabaseUrl`` names) and the files dropped in its
``--inbox`` folder, which it receives as messages of the same organisation (``oracles.runner``).

The configuration is a JSON file (``--config``, or ``PORTLEDGER_ORACLE_CONFIG``)::

    {
      "rpcUrl": "http://127.0.0.1:8545",
      "deployment": "data/deployments/31337.json",
      "agencyOrg": 6,                      // or "organisation": "<name in the deployment record>"
      "signers": [
        {"socket": "run/oracle-2.sock", "address": "0x…"},   // a signer process (``oracle signer``)
        {"socket": "run/oracle-3.sock"},                     //   its address asked at start
        "keys/oracle-1.json"                                 // a key file: signs in this process
      ],
      "sender": "keys/relayer.json",       // relays reports; for the terminal: a terminal member key
      "carriers": {"MAEU": 1},             // carrier codes / B/L prefixes -> org id
      "parties": {"DEMOHAUL": 5},          // haulier codes, credit codes -> org id
      "defaultCarrier": null,
      "timeZone": "Asia/Shanghai",         // zone of message times without an offset (default UTC)
      "deadlineWindow": 600,
      "databaseUrl": null,                 // outbox database; default: SQLite in DIR/.state
      "messagesDatabaseUrl": null          // the node database holding the organisation's messages
    }                                      //   (default: the outbox database)

Key files are version-3 keystores (unlocked with ``PORTLEDGER_WALLET_PASSPHRASE`` or the file named by
``PORTLEDGER_WALLET_PASSPHRASE_FILE``) or, for development chains only, files holding a hex private key.
Relative paths are relative to the configuration file. Nothing secret is printed or logged.

A signer entry is a key file (the signer runs in the runner's process) or ``{"socket": …}``: a signer
process started with ``portledger oracle signer``, which holds its own key, re-derives every report from
the message and signs only what it derived (``oracles.signer_service``). An unreachable or refusing signer
counts as a refusal; the threshold of each schema is read from the registry (``reportSigners``), so a
runner with fewer signers than the threshold cannot reach a quorum.

``portledger oracle signer`` reads the same configuration file for what a signer must know itself (chain,
deployment record, organisation, directory, time zone); it ignores ``signers`` and ``sender``. Its
passphrase comes from ``--passphrase-file`` or the environment, never from the command line.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.chain.deployment import Contracts, Deployment, bind, load_deployment
from ledger.db import Database
from ledger.documents import LocalDocumentStore
from ledger.services.consortium import Actor
from ledger.services.oracle_messages import OracleMessages
from ledger.services.organisations import OrgWallet
from ledger.settings import Settings
from oracles.mapping import Agency, Directory
from oracles.metrics import OracleMetrics
from oracles.quorum import Coordinator, NoSignerSet, OracleSigner, ReportDomain, SignerEndpoint
from oracles.registry import AdapterRegistry, default_registry
from oracles.remote_signer import RemoteSigner, SignerUnreachable
from oracles.runner import OracleRunner
from oracles.signer_service import SignerServer, SignerServiceError
from oracles.signer_wire import DEFAULT_MAX_REQUEST_BYTES
from oracles.submit import ServiceSubmitter
from wallets.errors import WalletError
from wallets.keystore import parse_private_key_text
from wallets.passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, passphrase_from_env, passphrase_from_file
from wallets.signer import LocalSigner

CONFIG_ENV = "PORTLEDGER_ORACLE_CONFIG"

app = typer.Typer(
    help="Agency and terminal oracles: inbox runners and signer processes.", no_args_is_help=True
)


@app.callback()
def oracle() -> None:
    """Agency and terminal oracles: inbox runners and signer processes."""


@dataclass(frozen=True)
class SocketSigner:
    """A signer process the runner reaches over its Unix socket; ``address`` is asked for when not given."""

    socket: Path
    address: str | None = None


SignerEntry = Path | SocketSigner
"""A key file (the signer runs in the runner's process) or a signer process."""


@dataclass(frozen=True)
class RunnerConfig:
    rpc_url: str
    deployment: Path
    signers: tuple[SignerEntry, ...]
    sender: Path | None
    agency_org: int | None = None
    organisation: str | None = None
    carriers: Mapping[str, int] = field(default_factory=dict)
    parties: Mapping[str, int] = field(default_factory=dict)
    default_carrier: int | None = None
    time_zone: str | None = None
    deadline_window: int = 600
    database_url: str | None = None
    messages_database_url: str | None = None
    """The database the API stores posted messages in (the node's); None: the outbox database."""

    @classmethod
    def load(cls, path: Path) -> RunnerConfig:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        base = path.parent

        def rel(value: str) -> Path:
            p = Path(value)
            return p if p.is_absolute() else base / p

        def signer(entry: Any) -> SignerEntry:
            if isinstance(entry, str):
                return rel(entry)
            if isinstance(entry, dict) and set(entry) == {"keystore"}:
                return rel(str(entry["keystore"]))
            if isinstance(entry, dict) and "socket" in entry and set(entry) <= {"socket", "address"}:
                address = entry.get("address")
                return SocketSigner(rel(str(entry["socket"])), str(address) if address else None)
            raise ValueError(
                f"{path}: a signer is a key file path, {{'keystore': path}} or {{'socket': path, 'address'?}}"
            )

        return cls(
            rpc_url=str(data.get("rpcUrl") or os.environ.get("PORTLEDGER_RPC_URL", "http://127.0.0.1:8545")),
            deployment=rel(str(data["deployment"])),
            signers=tuple(signer(s) for s in data.get("signers", [])),
            sender=rel(str(data["sender"])) if data.get("sender") else None,
            agency_org=int(data["agencyOrg"]) if data.get("agencyOrg") is not None else None,
            organisation=data.get("organisation"),
            carriers={str(k): int(v) for k, v in dict(data.get("carriers", {})).items()},
            parties={str(k): int(v) for k, v in dict(data.get("parties", {})).items()},
            default_carrier=int(data["defaultCarrier"]) if data.get("defaultCarrier") is not None else None,
            time_zone=data.get("timeZone"),
            deadline_window=int(data.get("deadlineWindow", 600)),
            database_url=data.get("databaseUrl"),
            messages_database_url=data.get("messagesDatabaseUrl"),
        )


def load_signer(path: Path) -> LocalSigner:
    """A keystore (passphrase from the environment) or a development hex key file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return LocalSigner.from_keystore(json.loads(text), passphrase_from_env(), source=path)
    return LocalSigner(parse_private_key_text(text))


@dataclass(frozen=True)
class AgencyView:
    """What a runner, and each signer on its own, reads from the configuration: chain, records, directory."""

    chain: ChainClient
    deployment: Deployment
    contracts: Contracts
    agency_org: int
    directory: Directory
    registry: AdapterRegistry
    domain: ReportDomain


def adapter_registry(config: RunnerConfig) -> AdapterRegistry:
    """Every adapter, reading a message time that carries no offset in the configured ``timeZone``
    (UTC when the configuration names none)."""
    return default_registry(time_zone=ZoneInfo(config.time_zone or "UTC"))


def agency_view(config: RunnerConfig) -> AgencyView:
    chain = ChainClient(config.rpc_url)
    deployment: Deployment = load_deployment(config.deployment, chain.chain_id)
    contracts = bind(chain, deployment)
    agency_org = config.agency_org
    if agency_org is None:
        if not config.organisation:
            raise typer.BadParameter("the configuration names neither agencyOrg nor organisation")
        agency_org = deployment.org_id(config.organisation)
    directory = Directory(
        schema_ids={name: deployment.schema_id(name) for name in deployment.schemas},
        carriers=config.carriers,
        parties=config.parties,
        default_carrier=config.default_carrier,
        agency_org=agency_org,
    )
    registry = adapter_registry(config)
    domain = ReportDomain(chain.chain_id, contracts.attestations.address)
    return AgencyView(chain, deployment, contracts, agency_org, directory, registry, domain)


def signer_endpoint(entry: SignerEntry, agency: Agency, view: AgencyView) -> SignerEndpoint:
    """An in-process ``OracleSigner`` for a key file; a ``RemoteSigner`` for a signer process."""
    if isinstance(entry, SocketSigner):
        remote = RemoteSigner(entry.socket, entry.address)
        if entry.address is None:
            try:
                remote.ask_address()
            except SignerUnreachable as exc:
                raise typer.BadParameter(
                    f"{exc}: start it first, or name its address in the configuration"
                ) from None
        return remote
    return OracleSigner(
        load_signer(entry),
        agency,
        view.registry,
        view.directory,
        view.domain,
        clock=view.chain.latest_timestamp,
    )


def oracle_node(
    config: RunnerConfig, view: AgencyView, db: Database, sender: LocalSigner | None, state: Path
) -> Ledger:
    """The oracle process's node, from the same composition root as the API's: its services write
    through its own outbox database, signed by ``sender``; it runs no background job (the submitter
    drives each write to its end)."""
    settings = Settings(
        data_dir=state,
        database_url=str(db.engine.url),
        rpc_url=config.rpc_url,
        run_workers=False,
        run_indexer=False,
    )
    wallets = {view.agency_org: OrgWallet(sender, X25519PrivateKey.generate())} if sender is not None else {}
    store = LocalDocumentStore(state / "documents")
    return Ledger.assemble(settings, db, view.chain, view.deployment, store, wallets=wallets)


def build_runner(
    agency: Agency,
    inbox: Path,
    config: RunnerConfig,
    metrics: OracleMetrics | None = None,
    settle_seconds: float = 0.0,
) -> OracleRunner:
    """Wire a runner from its configuration: chain, deployment, signers, outbox and metrics."""
    view = agency_view(config)
    chain, contracts, agency_org = view.chain, view.contracts, view.agency_org
    directory, registry, domain = view.directory, view.registry, view.domain
    endpoints = [signer_endpoint(entry, agency, view) for entry in config.signers]
    coordinators: dict[str, Coordinator] = {}

    def coordinator_for(schema_name: str) -> Coordinator:
        if schema_name not in coordinators:
            registered, threshold = contracts.attestations.call(
                "reportSigners", agency_org, directory.schema(schema_name)
            )
            if threshold == 0:
                raise NoSignerSet(f"organisation {agency_org} has no report signers for {schema_name}")
            ours = [e for e in endpoints if e.address in set(registered)]
            if len(ours) < threshold:
                raise NoSignerSet(
                    f"{len(ours)} of this runner's keys are registered for {schema_name}; {threshold} needed"
                )
            coordinators[schema_name] = Coordinator(ours, threshold, domain, registered)
        return coordinators[schema_name]

    sender = load_signer(config.sender) if config.sender else None
    state = inbox / ".state"
    state.mkdir(parents=True, exist_ok=True)
    db = Database(config.database_url or f"sqlite:///{state / 'outbox.sqlite'}")
    db.migrate()
    messages_db = db
    if config.messages_database_url and config.messages_database_url != config.database_url:
        messages_db = Database(config.messages_database_url)
        messages_db.migrate()
    node = oracle_node(config, view, db, sender, state)
    submitter = ServiceSubmitter(node, Actor(agency_org, sender.address) if sender is not None else None)
    submitter.recover()
    return OracleRunner(
        agency=agency,
        agency_org=agency_org,
        inbox=inbox,
        messages=OracleMessages(messages_db),
        registry=registry,
        directory=directory,
        coordinator_for=coordinator_for if endpoints else None,
        submitter=submitter,
        clock=chain.latest_timestamp,
        metrics=metrics,
        deadline_window=config.deadline_window,
        settle_seconds=settle_seconds,
    )


@app.command("run")
def run(
    agency: Annotated[Agency, typer.Option(help="Whose oracle this is.")],
    inbox: Annotated[
        Path,
        typer.Option(
            help="Folder inbox: files dropped here are this organisation's messages (state in DIR/.state).",
            file_okay=False,
        ),
    ],
    config: Annotated[
        Path | None, typer.Option(help=f"Runner configuration (JSON); default ${CONFIG_ENV}.", dir_okay=False)
    ] = None,
    once: Annotated[bool, typer.Option(help="One pass over the queue and the inbox, then exit.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between idle passes.")] = 1.0,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT.")
    ] = None,
    settle: Annotated[
        float,
        typer.Option(help="Leave files modified less than this many seconds ago for the next pass."),
    ] = 0.5,
) -> None:
    """Process each queued message of the organisation exactly once: parse, sign k-of-n, submit;
    dead-letter the rest. Files dropped in the inbox folder join the queue first."""
    _configure_logging()
    config_path = _config_path(config)
    inbox.mkdir(parents=True, exist_ok=True)
    metrics = OracleMetrics(agency.value)
    runner = build_runner(agency, inbox, RunnerConfig.load(config_path), metrics, settle)
    if metrics_port is not None:
        metrics.serve(metrics_port)
    if once:
        report = runner.run_once()
        typer.echo(
            json.dumps(
                {
                    "done": len(report.done),
                    "deadLetter": len(report.dead_letter),
                    "rejected": len(report.rejected),
                    "waiting": len(report.waiting),
                }
            )
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner.run(stop, poll)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "pydifact"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _config_path(config: Path | None) -> Path:
    config_path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if config_path is None:
        raise typer.BadParameter(f"give --config or set {CONFIG_ENV}")
    return config_path


PASSPHRASE_ARGUMENT_REFUSED = (
    "a passphrase on the command line is visible to every user of this machine (ps, /proc): use "
    f"--passphrase-file FILE, {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}"
)


@app.command("signer")
def signer(
    agency: Annotated[Agency, typer.Option(help="Whose oracle signer this is.")],
    keystore: Annotated[
        Path, typer.Option(help="This signer's version-3 keystore (one key).", dir_okay=False)
    ],
    socket_path: Annotated[
        Path, typer.Option("--socket", help="Unix socket to serve on (created 0600).", dir_okay=False)
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            help=f"Chain, deployment and directory (runner JSON); default ${CONFIG_ENV}.", dir_okay=False
        ),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(help=f"File holding the keystore passphrase; default {PASSPHRASE_ENV}.", dir_okay=False),
    ] = None,
    passphrase: Annotated[
        str | None, typer.Option(hidden=True, help="Refused: see --passphrase-file.")
    ] = None,
    max_deadline_window: Annotated[
        int, typer.Option(help="Refuse reports whose deadline is further than this many seconds away.")
    ] = 3600,
    max_request_bytes: Annotated[int, typer.Option(help="Largest request frame accepted.")] = (
        DEFAULT_MAX_REQUEST_BYTES
    ),
    timeout: Annotated[float, typer.Option(help="Seconds a client may take to send a request.")] = 10.0,
) -> None:
    """Serve one oracle key on a Unix socket: sign only the reports this signer derives from the message."""
    if passphrase is not None:
        typer.echo(PASSPHRASE_ARGUMENT_REFUSED, err=True)
        raise typer.Exit(2)
    _configure_logging()
    try:
        secret = passphrase_from_file(passphrase_file) if passphrase_file else passphrase_from_env()
        document = json.loads(keystore.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError
        key = LocalSigner.from_keystore(document, secret, source=keystore)
    except WalletError as exc:
        typer.echo(f"the signer cannot unlock its key: {exc}", err=True)
        raise typer.Exit(1) from None
    except (OSError, ValueError):
        typer.echo(f"{keystore} is not a readable version-3 keystore", err=True)
        raise typer.Exit(1) from None
    view = agency_view(RunnerConfig.load(_config_path(config)))
    oracle_signer = OracleSigner(
        key,
        agency,
        view.registry,
        view.directory,
        view.domain,
        max_deadline_window=max_deadline_window,
        clock=view.chain.latest_timestamp,
    )
    server = SignerServer(oracle_signer, socket_path, max_request_bytes=max_request_bytes, timeout=timeout)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        server.bind()
    except SignerServiceError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    try:
        server.serve(stop)
    finally:
        server.close()


if __name__ == "__main__":
    app()
