"""The composition root: builds every component of one PortLedger node from :class:`Settings`.

The only place that builds services: each is constructed once here, with the collaborators it names
(never the node), and is a typed field of :class:`Ledger`. The root owns the wiring (which database,
chain, contracts, store, wallets, services and background jobs a node uses) and their start/stop; no
rule lives here. ``ledger_api.main.create_app`` and the CLI call :meth:`Ledger.from_settings`; tests do
too, against a real anvil, SQLite and store.

Background jobs (:class:`Role`) run in threads of this process, those :meth:`Ledger.start` is given:
the transaction manager (signs, sends, tracks), the event indexer (``ledger.index``, with the handlers
of projected events) and webhook delivery; an API-only process runs none. With the indexer running,
operations are shown ``mined`` only once their events are projected, so a client that sees ``mined``
reads its own write.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.chain import ChainClient, Contract
from ledger.chain.deployment import Contracts, Deployment, bind, load_deployment
from ledger.db import Database
from ledger.documents import DocumentStore, KuboDocumentStore, LocalDocumentStore
from ledger.index.cache import BillCache
from ledger.outbox import Outbox, TransactionManager
from ledger.outbox.enqueue import ENQUEUED_CHANNEL
from ledger.outbox.lease import ChainWorkerLease, LeaseLost
from ledger.services import attestations as attestations_module
from ledger.services import bills as bills_module
from ledger.services import consortium as consortium_module
from ledger.services import releases as releases_module
from ledger.services import reports as reports_module
from ledger.services.access import DocumentAccess
from ledger.services.attestations import AttestationService
from ledger.services.audience import Audiences
from ledger.services.bills import Bills
from ledger.services.consortium import ConsortiumService
from ledger.services.dashboard import Dashboard
from ledger.services.documents import Documents
from ledger.services.events import EventFeed
from ledger.services.keys import KEYS_CHANNEL, ApiKeys
from ledger.services.operations import Operations
from ledger.services.oracle_messages import OracleMessages
from ledger.services.organisations import Organisations, OrgWallet
from ledger.services.release_status import ReleaseReadiness
from ledger.services.releases import ReleaseService
from ledger.services.reports import ReportService
from ledger.services.statements import StatementKey, Statements
from ledger.services.timeline import Timeline
from ledger.services.webhooks import WebhookService
from ledger.settings import Settings

_log = logging.getLogger(__name__)

Worker = Callable[[threading.Event], None]


def ensure_service_tables(db: Database) -> None:
    """The service tables (API keys, document key wraps) come with the migrations (0004): bring the
    schema to head; a no-op when it is there already."""
    db.migrate()


def load_wallets(settings: Settings, consortium: Contract) -> dict[int, OrgWallet]:
    """Unlock the wallets under the wallet dir, keyed by the org id their primary account belongs to."""
    from wallets import Passphrase, WalletDirectory, passphrase_from_env

    root = settings.resolved_wallet_dir
    if not root.is_dir():
        return {}
    directory = WalletDirectory.from_env(root)
    passphrase = (
        Passphrase(settings.wallet_passphrase.get_secret_value())
        if settings.wallet_passphrase is not None
        else passphrase_from_env()
    )
    out: dict[int, OrgWallet] = {}
    for slug in directory.organisations():
        wallet = directory.organisation(slug)
        org = int(consortium.call("orgOf", wallet.primary_address))
        if org == 0:
            _log.warning("wallet %s: its primary account is not a member of any organisation", slug)
            continue
        out[org] = OrgWallet(wallet.signer(passphrase), wallet.document_key(passphrase).private_key)
    return out


def _statement_passphrase(settings: Settings) -> str | None:
    for secret in (settings.statement_key_passphrase, settings.wallet_passphrase):
        if secret is not None:
            return secret.get_secret_value()
    return os.environ.get("PORTLEDGER_WALLET_PASSPHRASE") or None


def on_notification(keys: ApiKeys, outbox: Outbox) -> Callable[[str, str], None]:
    """What a process does with a notification from another process of its node: queued operations
    wake its transaction manager; a revoked API key leaves its key cache; after a (re)connection,
    whatever may have been missed meanwhile (the whole key cache, one wake-up)."""

    def handle(channel: str, payload: str) -> None:
        if channel == ENQUEUED_CHANNEL:
            outbox.enqueued.set()
        elif channel == KEYS_CHANNEL:
            keys.forget(payload)
        elif channel == "":
            keys.forget()
            outbox.enqueued.set()

    return handle


def make_store(settings: Settings) -> DocumentStore:
    if settings.document_store == "kubo":
        return KuboDocumentStore(settings.ipfs_api_url)
    return LocalDocumentStore(settings.resolved_store_dir)


class Role(StrEnum):
    """A background job a process may run; :meth:`Ledger.start` takes the set this process runs."""

    TRANSACTIONS = "transactions"
    """The transaction manager: signs, sends and tracks the outbox's operations."""
    INDEX = "index"
    """The event indexer, with the handlers of projected events (document access) and the title cache."""
    WEBHOOKS = "webhooks"
    """Webhook delivery."""


ALL_ROLES = frozenset(Role)
API_ONLY: frozenset[Role] = frozenset()
"""A process that serves requests and runs no background job."""


@dataclass
class Ledger:
    """One node's components, each built here once with the collaborators it names; build the node
    with :meth:`from_settings` or :meth:`assemble`, start its background jobs with :meth:`start`."""

    settings: Settings
    db: Database
    chain: ChainClient
    deployment: Deployment
    contracts: Contracts
    store: DocumentStore
    organisations: Organisations
    outbox: Outbox
    keys: ApiKeys
    documents: Documents
    operations: Operations
    access: DocumentAccess
    audiences: Audiences
    bills: Bills
    releases: ReleaseService
    attestations: AttestationService
    reports: ReportService
    consortium: ConsortiumService
    events: EventFeed
    webhooks: WebhookService
    statements: Statements
    oracle_messages: OracleMessages
    dashboard: Dashboard
    timeline: Timeline
    release_status: ReleaseReadiness
    bill_cache: BillCache | None = None
    """Title rows in memory, kept exact by this node's indexer; None while no indexer runs here (bill
    reads then ask the chain)."""
    roles: frozenset[Role] = API_ONLY
    """The background jobs running now."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _manager: TransactionManager | None = None
    lease: ChainWorkerLease | None = None
    """The chain worker lease this process holds (a chain worker of a multi-process node); its
    transaction manager then allocates and sends only while it still holds it."""
    lease_lost: threading.Event = field(default_factory=threading.Event)
    """Set when a background job found the lease gone: the process must stop."""

    @classmethod
    def from_settings(cls, settings: Settings, *, wallets: dict[int, OrgWallet] | None = None) -> Ledger:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        chain = ChainClient(settings.rpc_url)
        deployment = load_deployment(settings.data_dir, chain.chain_id)
        db = Database(settings.resolved_database_url)
        db.migrate()
        return cls.assemble(settings, db, chain, deployment, make_store(settings), wallets=wallets)

    @classmethod
    def assemble(
        cls,
        settings: Settings,
        db: Database,
        chain: ChainClient,
        deployment: Deployment,
        store: DocumentStore,
        *,
        wallets: dict[int, OrgWallet] | None = None,
        require_projection: bool = False,
    ) -> Ledger:
        """Build every component of the node, each once, handing each the collaborators it uses."""
        ensure_service_tables(db)
        contracts = bind(chain, deployment)
        if wallets is None:
            wallets = load_wallets(settings, contracts.consortium)
        outbox = Outbox(db, chain)
        organisations = Organisations(contracts.consortium, wallets)
        documents = Documents(db, store)
        access = DocumentAccess(documents, organisations)

        def governor_orgs() -> list[int]:
            consortium = contracts.consortium
            return [int(consortium.call("orgOf", account)) for account in consortium.call("governors")]

        audiences = Audiences(governor_orgs, vessel_schema=deployment.schemas.get("VESSEL_EVENT"))
        consortium = ConsortiumService(outbox, contracts.consortium, contracts.attestations, organisations)
        bills = Bills(contracts.bills, deployment.block_number, organisations, documents, access, outbox, db)
        events = EventFeed(db, audiences)
        webhooks = WebhookService(db, events, allowed_hosts=settings.webhook_allowed_hosts)
        webhooks.ensure_tables()
        return cls(
            settings=settings,
            db=db,
            chain=chain,
            deployment=deployment,
            contracts=contracts,
            store=store,
            organisations=organisations,
            outbox=outbox,
            keys=ApiKeys(db, cache_seconds=settings.api_key_cache_seconds),
            documents=documents,
            operations=Operations(outbox, require_projection=require_projection),
            access=access,
            audiences=audiences,
            bills=bills,
            releases=ReleaseService(
                outbox,
                deployment,
                organisations,
                contracts.release,
                contracts.bills,
                documents,
                db,
            ),
            attestations=AttestationService(outbox, deployment, contracts.attestations, consortium, db),
            reports=ReportService(outbox, contracts.attestations),
            consortium=consortium,
            events=events,
            webhooks=webhooks,
            statements=Statements(
                StatementKey(settings.statement_key_path, _statement_passphrase(settings)),
                bills,
                chain,
                contracts.bills,
                contracts.attestations,
                db,
                deployment,
            ),
            oracle_messages=OracleMessages(db),
            dashboard=Dashboard(db, organisations, deployment.schemas),
            timeline=Timeline(db, audiences, deployment.schemas),
            release_status=ReleaseReadiness(db, audiences, contracts.attestations, chain, deployment.schemas),
        )

    # -- background jobs ---------------------------------------------------------------------------
    def drain(self, timeout: float = 60.0) -> None:
        """Drive this node's queued operations to a final state in the calling thread: for a process
        that runs no transaction manager in the background (an oracle runner waits for each write)."""
        self._foreground_manager().drain(timeout)

    def recover(self) -> None:
        """Start-up check of the operations recorded as mined against the chain (see the outbox)."""
        self._foreground_manager().recover()

    def _foreground_manager(self) -> TransactionManager:
        if self._manager is None:
            self._manager = self.transaction_manager(resend_after=2.0)
        return self._manager

    def transaction_manager(self, **tuning: Any) -> TransactionManager:
        results = {
            **bills_module.RESULT_BUILDERS,
            **releases_module.RESULT_BUILDERS,
            **attestations_module.RESULT_BUILDERS,
            **reports_module.RESULT_BUILDERS,
            **consortium_module.RESULT_BUILDERS,
        }
        signers = [w.signer for w in self.organisations.wallets.values()]
        return TransactionManager(
            self.db,
            self.chain,
            signers,
            results=results,
            max_in_flight=self.settings.outbox_max_in_flight,
            lease=self.lease,
            **tuning,
        )

    def _indexer(self) -> Worker:
        """The event indexer as a background loop over the deployment's contracts; it keeps the title
        cache exact and grants document access as it projects (:mod:`ledger.services.access`)."""
        from ledger.index.indexer import Indexer

        indexer = Indexer.for_deployment(self.db, self.chain, self.deployment)
        self.bill_cache = BillCache(self.db)
        self.bills.cache = self.bill_cache
        indexer.watchers.append(self.bill_cache.changing)
        indexer.projectors.append(self.access.project)
        interval = self.settings.index_poll_seconds

        def run(stop: threading.Event) -> None:
            indexer.run(stop, poll_interval=interval)

        return run

    def default_roles(self) -> frozenset[Role]:
        """What this process runs by its settings: an API worker nothing; a chain worker or a
        single-process node everything (the indexer unless the settings turn it off)."""
        if self.settings.roles == "api":
            return API_ONLY
        return ALL_ROLES if self.settings.run_indexer else ALL_ROLES - {Role.INDEX}

    def start(self, roles: Iterable[Role] | None = None) -> None:
        """Start the background jobs ``roles`` names (default: :meth:`default_roles`) in daemon threads
        of this process; an API-only process passes :data:`API_ONLY`."""
        if self._threads:
            return
        wanted = frozenset(roles) if roles is not None else self.default_roles()
        self._stop.clear()
        workers: dict[str, Worker] = {}
        if Role.TRANSACTIONS in wanted:
            manager = self.transaction_manager()
            wake = self.outbox.enqueued

            def run_manager(stop: threading.Event) -> None:
                manager.run(stop, wake=wake)

            workers["transaction-manager"] = run_manager
        if Role.INDEX in wanted:
            workers["indexer"] = self._indexer()
        if Role.INDEX in wanted or (self.settings.roles == "api" and self.settings.run_indexer):
            self.operations.require_projection = True  # the index, here or in the chain worker
        if Role.WEBHOOKS in wanted:
            workers["webhook-delivery"] = self.webhooks.run
        if self.db.notifies:
            workers["notifications"] = self._listen
        self.roles = wanted
        for name, worker in workers.items():
            thread = threading.Thread(target=self._guarded, args=(name, worker), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _listen(self, stop: threading.Event) -> None:
        """Other processes of the node tell this one (PostgreSQL ``LISTEN``); see :func:`on_notification`."""
        self.db.listen((ENQUEUED_CHANNEL, KEYS_CHANNEL), on_notification(self.keys, self.outbox), stop)

    def describe_roles(self) -> dict[str, Any]:
        """What this process runs, for ``/readyz``."""
        return {
            "process": self.settings.roles,
            "pid": os.getpid(),
            "jobs": sorted(r.value for r in self.roles),
        }

    def _guarded(self, name: str, worker: Worker) -> None:
        while not self._stop.is_set():
            try:
                worker(self._stop)
            except LeaseLost as exc:
                _log.error("worker %s: %s; stopping this process's background jobs", name, exc)
                self.lease_lost.set()
                self._stop.set()
            except Exception:
                _log.exception("worker %s crashed; restarting in 1 s", name)
                self._stop.wait(1.0)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every background job this process runs and wait for them."""
        self._stop.set()
        self.bill_cache = None  # nobody keeps it exact any more
        self.bills.cache = None
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.roles = API_ONLY

    # -- health ------------------------------------------------------------------------------------
    def readiness(self) -> dict[str, str]:
        """``ok`` or the reason, per dependency: chain, database, document store."""
        checks: dict[str, str] = {}
        try:
            self.chain.block_number()
            checks["chain"] = "ok"
        except Exception as exc:
            checks["chain"] = f"unreachable: {exc.__class__.__name__}"
        try:
            with self.db.transaction() as session:
                session.connection().execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        try:
            if isinstance(self.store, LocalDocumentStore):
                ok = Path(self.store.root).is_dir()
            else:
                self.store.has("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
                ok = True
            checks["documentStore"] = "ok" if ok else "unreachable: store folder missing"
        except Exception as exc:
            checks["documentStore"] = f"unreachable: {exc.__class__.__name__}"
        return checks

    def close(self) -> None:
        self.stop()
        self.webhooks.close()
        self.db.dispose()
