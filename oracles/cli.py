"""``portledger oracle run``: one agency's oracle runner over an inbox folder, and its configuration.

The configuration is a JSON file (``--config``, or ``PORTLEDGER_ORACLE_CONFIG``)::

    {
      "rpcUrl": "http://127.0.0.1:8545",
      "deployment": "data/deployments/31337.json",
      "agencyOrg": 6,                      // or "organisation": "<name in the deployment record>"
      "signers": ["keys/oracle-1.json", "keys/oracle-2.json", "keys/oracle-3.json"],
      "sender": "keys/relayer.json",       // relays reports; for the terminal: a terminal member key
      "carriers": {"MAEU": 1},             // carrier codes / B/L prefixes -> org id
      "parties": {"DEMOHAUL": 5},          // haulier codes, credit codes -> org id
      "defaultCarrier": null,
      "timeZone": "Asia/Shanghai",         // zone of EDIFACT times
      "deadlineWindow": 600,
      "databaseUrl": null                  // outbox database; default: SQLite in DIR/.state
    }

Key files are version-3 keystores (unlocked with ``PORTLEDGER_WALLET_PASSPHRASE`` or the file named by
``PORTLEDGER_WALLET_PASSPHRASE_FILE``) or, for development chains only, files holding a hex private key.
Relative paths are relative to the configuration file. Nothing secret is printed or logged.

The runner's signers run in this process (one key each); the threshold of each schema is read from the
registry (``reportSigners``), so a runner with fewer keys than the threshold cannot reach a quorum.
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

from ledger.chain import ChainClient
from ledger.chain.deployment import Deployment, bind, load_deployment
from ledger.db import Database
from oracles.mapping import Agency, Directory
from oracles.metrics import OracleMetrics
from oracles.quorum import Coordinator, NoSignerSet, OracleSigner, ReportDomain
from oracles.registry import default_registry
from oracles.runner import OracleRunner
from oracles.submit import OutboxSubmitter
from wallets.keystore import parse_private_key_text
from wallets.passphrase import passphrase_from_env
from wallets.signer import LocalSigner

CONFIG_ENV = "PORTLEDGER_ORACLE_CONFIG"

app = typer.Typer(help="Agency and terminal oracles: inbox runners.", no_args_is_help=True)


@app.callback()
def oracle() -> None:
    """Agency and terminal oracles: inbox runners."""


@dataclass(frozen=True)
class RunnerConfig:
    rpc_url: str
    deployment: Path
    signers: tuple[Path, ...]
    sender: Path | None
    agency_org: int | None = None
    organisation: str | None = None
    carriers: Mapping[str, int] = field(default_factory=dict)
    parties: Mapping[str, int] = field(default_factory=dict)
    default_carrier: int | None = None
    time_zone: str | None = None
    deadline_window: int = 600
    database_url: str | None = None

    @classmethod
    def load(cls, path: Path) -> RunnerConfig:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        base = path.parent

        def rel(value: str) -> Path:
            p = Path(value)
            return p if p.is_absolute() else base / p

        return cls(
            rpc_url=str(data.get("rpcUrl") or os.environ.get("PORTLEDGER_RPC_URL", "http://127.0.0.1:8545")),
            deployment=rel(str(data["deployment"])),
            signers=tuple(rel(str(s)) for s in data.get("signers", [])),
            sender=rel(str(data["sender"])) if data.get("sender") else None,
            agency_org=int(data["agencyOrg"]) if data.get("agencyOrg") is not None else None,
            organisation=data.get("organisation"),
            carriers={str(k): int(v) for k, v in dict(data.get("carriers", {})).items()},
            parties={str(k): int(v) for k, v in dict(data.get("parties", {})).items()},
            default_carrier=int(data["defaultCarrier"]) if data.get("defaultCarrier") is not None else None,
            time_zone=data.get("timeZone"),
            deadline_window=int(data.get("deadlineWindow", 600)),
            database_url=data.get("databaseUrl"),
        )


def load_signer(path: Path) -> LocalSigner:
    """A keystore (passphrase from the environment) or a development hex key file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return LocalSigner.from_keystore(json.loads(text), passphrase_from_env(), source=path)
    return LocalSigner(parse_private_key_text(text))


def build_runner(
    agency: Agency,
    inbox: Path,
    config: RunnerConfig,
    metrics: OracleMetrics | None = None,
    settle_seconds: float = 0.0,
) -> OracleRunner:
    """Wire a runner from its configuration: chain, deployment, signers, outbox and metrics."""
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
    registry = default_registry(time_zone=ZoneInfo(config.time_zone or "UTC"))
    domain = ReportDomain(chain.chain_id, contracts.attestations.address)
    endpoints = [
        OracleSigner(load_signer(p), agency, registry, directory, domain, clock=chain.latest_timestamp)
        for p in config.signers
    ]
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
    submitter = OutboxSubmitter(
        db,
        chain,
        contracts.attestations,
        contracts.release,
        org=str(agency_org),
        relayer=sender if agency is not Agency.TERMINAL else None,
        terminal=sender if agency is Agency.TERMINAL else None,
    )
    submitter.recover()
    return OracleRunner(
        agency=agency,
        agency_org=agency_org,
        inbox=inbox,
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
    inbox: Annotated[Path, typer.Option(help="Inbox folder of incoming messages.", file_okay=False)],
    config: Annotated[
        Path | None, typer.Option(help=f"Runner configuration (JSON); default ${CONFIG_ENV}.", dir_okay=False)
    ] = None,
    once: Annotated[bool, typer.Option(help="One pass over the inbox, then exit.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between idle passes.")] = 1.0,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT.")
    ] = None,
    settle: Annotated[
        float,
        typer.Option(help="Leave files modified less than this many seconds ago for the next pass."),
    ] = 0.5,
) -> None:
    """Process each message of the inbox exactly once: parse, sign k-of-n, submit; dead-letter the rest."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "pydifact"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config_path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if config_path is None:
        raise typer.BadParameter(f"give --config or set {CONFIG_ENV}")
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


if __name__ == "__main__":
    app()
