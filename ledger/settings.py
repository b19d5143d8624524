"""The service's settings: one pydantic-settings class read from ``PORTLEDGER_*`` environment variables.

Owns names, defaults and units of every knob the composition root (:mod:`ledger.bootstrap`) and the
HTTP layer read. It holds no secrets by value except as ``SecretStr`` (never printed) and must not
open files, sockets or databases: building the components is :mod:`ledger.bootstrap`'s job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Everything configurable about one PortLedger node (env prefix ``PORTLEDGER_``)."""

    model_config = SettingsConfigDict(env_prefix="PORTLEDGER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Deployment records, store, statement key.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file <data dir>/portledger.db."
    )
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="EVM JSON-RPC endpoint.")
    document_store: Literal["local", "kubo"] = "local"
    document_store_dir: Path | None = Field(default=None, description="Default: <data dir>/documents.")
    ipfs_api_url: str = "/ip4/127.0.0.1/tcp/5001/http"
    wallet_dir: Path | None = Field(default=None, description="Default: <data dir>/wallets.")
    wallet_passphrase: SecretStr | None = None
    statement_key_passphrase: SecretStr | None = Field(
        default=None, description="Encrypts the statement key at rest; default: the wallet passphrase."
    )
    max_body_bytes: int = Field(default=MIB, description="Largest accepted request body (1 MiB).")
    max_wait_seconds: float = Field(default=30.0, description="Upper bound of `Prefer: wait=N`.")
    run_workers: bool = Field(
        default=True, description="Run the transaction manager (and indexer) in the app's lifespan."
    )
    run_indexer: bool = Field(default=True, description="Run the event indexer with the workers.")
    api_key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a checked API key is trusted without asking the database (a revocation "
        "reaches every process of the node at once through PostgreSQL NOTIFY).",
    )
    roles: Literal["all", "api", "chain"] = Field(
        default="all",
        description="What this process runs: `all` (a single-process node), `api` (an API worker: "
        "HTTP only, its node's index kept by the chain worker) or `chain` (the chain worker: "
        "transaction manager, indexer and its handlers, webhook delivery).",
    )
    index_poll_seconds: float = Field(default=0.1, description="Indexer poll interval at the chain head.")
    outbox_max_in_flight: int = Field(
        default=128, ge=1, description="Sent, unmined transactions per signer before it signs more."
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts a webhook may name although they resolve to loopback or private addresses "
        "(tests; a receiver on the operator's own network). Empty: public hosts only.",
    )
    page_size_default: int = 50
    page_size_max: int = 200

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'portledger.db'}"

    @property
    def resolved_store_dir(self) -> Path:
        return self.document_store_dir or self.data_dir / "documents"

    @property
    def resolved_wallet_dir(self) -> Path:
        return self.wallet_dir or self.data_dir / "wallets"

    @property
    def statement_key_path(self) -> Path:
        return self.data_dir / "statement-key.pem"
