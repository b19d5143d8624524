"""API keys: each key acts for exactly one consortium organisation.

A key is a high-entropy random token shown once at creation (``plk_`` + 43 URL-safe characters,
256 bits); only its SHA-256 is stored, so the database never holds a usable credential and a lookup
is one indexed equality. Revoked keys stay listed (who had access, until when). This module must
not log or return a token except from :meth:`ApiKeys.create`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, select
from sqlmodel import Field, SQLModel

from ledger.db import Database
from ledger.outbox.ids import new_ulid
from ledger.outbox.models import utcnow
from ledger.services.errors import NotFound, Unauthenticated

TOKEN_PREFIX = "plk_"


class ApiKey(SQLModel, table=True):
    """One API key: its hash, the organisation it acts for, and its life."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=40)
    org: str = Field(max_length=64, index=True)
    token_sha256: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``token`` is shown once and never stored."""

    id: str
    org: str
    label: str
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


AUTH_CACHE_SECONDS = 2.0
"""How long a checked key is taken as valid without asking the database again. Revoking through this
node takes effect at once; through another replica of the same database, within this time."""
_AUTH_CACHE_MAX = 10_000


KEYS_CHANNEL = "portledger_api_keys"
"""Notified with a token's SHA-256 when it is revoked: every API worker drops it from its cache."""


class ApiKeys:
    """Create, revoke, list and check API keys."""

    def __init__(self, db: Database, cache_seconds: float = AUTH_CACHE_SECONDS):
        self.db = db
        self.cache_seconds = cache_seconds
        self._checked: dict[str, tuple[str, float]] = {}
        """SHA-256 of a valid token → (organisation, monotonic time it was read)."""
        self._lock = threading.Lock()

    def create(self, org: str, label: str = "") -> IssuedKey:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(id="key_" + new_ulid(), org=org, token_sha256=_digest(token), label=label)
        with self.db.transaction(lock=True) as session:
            session.add(row)
        return IssuedKey(row.id, org, label, token)

    def revoke(self, key_id: str) -> ApiKey:
        with self.db.transaction(lock=True) as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                raise NotFound(f"no API key {key_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(row)
            self.db.notify(session, KEYS_CHANNEL, row.token_sha256)
        self.forget(row.token_sha256)
        return row

    def forget(self, token_sha256: str | None = None) -> None:
        """Drop one checked token (by its SHA-256) from the cache, or all of them: another process
        revoked it (``KEYS_CHANNEL``), or this one may have missed notifications."""
        with self._lock:
            if token_sha256:
                self._checked.pop(token_sha256, None)
            else:
                self._checked.clear()

    def list(self, org: str | None = None) -> list[ApiKey]:
        query = select(ApiKey).order_by(ApiKey.id)
        if org is not None:
            query = query.where(ApiKey.org == org)  # type: ignore[arg-type]
        with self.db.transaction() as session:
            return list(session.scalars(query).all())

    def cached(self, token: str) -> str | None:
        """The organisation of a token checked within the last ``cache_seconds``; None when the
        database must be asked (call :meth:`authenticate`). Never blocks on I/O."""
        cached = self._checked.get(_digest(token))
        if cached is not None and time.monotonic() - cached[1] < self.cache_seconds:
            return cached[0]
        return None

    def authenticate(self, token: str | None) -> str:
        """The organisation a presented token acts for, from the database (and noted for
        :meth:`cached`); :class:`Unauthenticated` otherwise."""
        if not token:
            raise Unauthenticated("send `Authorization: Bearer <API key>`")
        digest = _digest(token)
        now = time.monotonic()
        with self.db.transaction() as session:
            row = session.scalars(
                select(ApiKey).where(ApiKey.token_sha256 == digest)  # type: ignore[arg-type]
            ).one_or_none()
        if row is None or row.revoked_at is not None:
            with self._lock:
                self._checked.pop(digest, None)
            raise Unauthenticated("the API key is unknown or revoked; ask your administrator for a new one")
        with self._lock:
            if len(self._checked) >= _AUTH_CACHE_MAX:
                self._checked.clear()
            self._checked[digest] = (row.org, now)
        return row.org
