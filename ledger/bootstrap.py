"""The composition root: builds every component of one PortLedger node from :class:`Settings`.

Owns the wiring only (which database, chain, contracts, store, wallets, services and background
workers a node uses) and their start/stop; no rule lives here. ``ledger_api.main.create_app`` and
the CLI call :meth:`Ledger.from_settings`; tests do too, against a real anvil, SQLite and store.

Background workers run in threads of this process: the transaction manager (signs, sends, tracks)
the event indexer (``ledger.index``). With the indexer running, operations are shown ``mined`` only
once their events are projected, so a client that sees ``mined`` reads its own write.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.chain import ChainClient, Contract
from ledger.chain.deployment import BILL_REGISTRY, CONSORTIUM, Deployment, load_deployment
from ledger.db import Database
from ledger.documents import DocumentStore, KuboDocumentStore, LocalDocumentStore
from ledger.index.cache import BillCache
from ledger.outbox import Outbox, TransactionManager
from ledger.services.documents import Documents
from ledger.services.keys import ApiKeys
from ledger.services.operations import Operations
from ledger.services.organisations import Organisations, OrgWallet
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


def make_store(settings: Settings) -> DocumentStore:
    if settings.document_store == "kubo":
        return KuboDocumentStore(settings.ipfs_api_url)
    return LocalDocumentStore(settings.resolved_store_dir)


@dataclass
class Ledger:
    """One node's components. Build with :meth:`from_settings` or :meth:`assemble`."""

    settings: Settings
    db: Database
    chain: ChainClient
    deployment: Deployment
    consortium: Contract
    bill_registry: Contract
    store: DocumentStore
    organisations: Organisations
    outbox: Outbox
    keys: ApiKeys
    documents: Documents
    operations: Operations
    extra_workers: dict[str, Worker] = field(default_factory=dict)
    bill_cache: BillCache | None = None
    """Title rows in memory, kept exact by this node's indexer; None while no indexer runs here (bill
    reads then ask the chain)."""
    services: dict[str, Any] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

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
        ensure_service_tables(db)
        consortium = chain.at(CONSORTIUM, deployment.address(CONSORTIUM))
        bill_registry = chain.at(BILL_REGISTRY, deployment.address(BILL_REGISTRY))
        if wallets is None:
            wallets = load_wallets(settings, consortium)
        outbox = Outbox(db, chain)
        ledger = cls(
            settings=settings,
            db=db,
            chain=chain,
            deployment=deployment,
            consortium=consortium,
            bill_registry=bill_registry,
            store=store,
            organisations=Organisations(consortium, wallets),
            outbox=outbox,
            keys=ApiKeys(db),
            documents=Documents(db, store),
            operations=Operations(outbox, require_projection=require_projection),
        )
        ledger._wire_services()
        return ledger

    def _wire_services(self) -> None:
        from ledger.services.access import DocumentAccess
        from ledger.services.audience import Audiences
        from ledger.services.bills import Bills
        from ledger.services.statements import StatementKey, Statements

        self.services["access"] = DocumentAccess(self.documents, self.organisations)
        self.services["audiences"] = Audiences(
            self._governor_orgs, vessel_schema=self.deployment.schemas.get("VESSEL_EVENT")
        )
        self.services["bills"] = Bills(self)
        self.services["statements"] = Statements(
            self, StatementKey(self.settings.statement_key_path, self._statement_passphrase())
        )

    def _governor_orgs(self) -> list[int]:
        return [int(self.consortium.call("orgOf", account)) for account in self.consortium.call("governors")]

    def _statement_passphrase(self) -> str | None:
        for secret in (self.settings.statement_key_passphrase, self.settings.wallet_passphrase):
            if secret is not None:
                return secret.get_secret_value()
        return os.environ.get("PORTLEDGER_WALLET_PASSPHRASE") or None

    # -- background workers ------------------------------------------------------------------------
    def transaction_manager(self) -> TransactionManager:
        from ledger.index.indexer import mark_projected
        from ledger.services import attestations, bills, consortium, releases, reports

        results = {
            **bills.RESULT_BUILDERS,
            **releases.RESULT_BUILDERS,
            **attestations.RESULT_BUILDERS,
            **reports.RESULT_BUILDERS,
            **consortium.RESULT_BUILDERS,
        }
        signers = [w.signer for w in self.organisations.wallets.values()]
        return TransactionManager(
            self.db,
            self.chain,
            signers,
            results=results,
            on_mined=mark_projected,
            max_in_flight=self.settings.outbox_max_in_flight,
        )

    def indexer_worker(self) -> Worker:
        """The event indexer as a background loop over the deployment's contracts."""
        from ledger.index.indexer import Indexer

        indexer = Indexer.for_deployment(self.db, self.chain, self.deployment)
        if self.bill_cache is None:
            self.bill_cache = BillCache(self.db)
        indexer.watchers.append(self.bill_cache.changing)
        indexer.projectors.append(self.services["access"].project)
        interval = self.settings.index_poll_seconds

        def run(stop: threading.Event) -> None:
            indexer.run(stop, poll_interval=interval)

        return run

    def add_worker(self, name: str, worker: Worker, *, projects_operations: bool = False) -> None:
        """Register a background loop (e.g. the indexer); ``projects_operations`` makes ``mined``
        wait for its projection."""
        self.extra_workers[name] = worker
        if projects_operations:
            self.operations.require_projection = True

    def start(self) -> None:
        """Start the transaction manager and the registered workers in daemon threads."""
        if self._threads:
            return
        self._stop.clear()
        manager = self.transaction_manager()
        wake = self.outbox.enqueued

        def run_manager(stop: threading.Event) -> None:
            manager.run(stop, wake=wake)

        workers: dict[str, Worker] = {"transaction-manager": run_manager}
        if self.settings.run_indexer:
            workers["indexer"] = self.indexer_worker()
            self.operations.require_projection = True
        workers.update(self.extra_workers)
        for name, worker in workers.items():
            thread = threading.Thread(target=self._guarded, args=(name, worker), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _guarded(self, name: str, worker: Worker) -> None:
        while not self._stop.is_set():
            try:
                worker(self._stop)
            except Exception:
                _log.exception("worker %s crashed; restarting in 1 s", name)
                self._stop.wait(1.0)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.bill_cache = None  # nobody keeps it exact any more
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

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
        self.db.dispose()
