"""Webhooks: an organisation registers an HTTPS/HTTP endpoint and receives the ledger events it may see
(:mod:`ledger.services.events`), signed, in order, at least once.

Owns the webhook and delivery tables (migration ``0003_webhooks``), the signature scheme and the delivery
loop. Each delivery is a JSON POST with ``PortLedger-Event-Id``, ``PortLedger-Timestamp`` and
``PortLedger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the webhook secret>``;
the receiver recomputes the HMAC and rejects old timestamps. A failed attempt (no answer, or not 2xx) is
retried with exponential backoff (``base * 2**(attempt-1)`` seconds); after ``max_attempts`` the event
is given up and the next one is delivered. Every attempt is a row in the delivery log. The secret is
shown once, at creation, and never logged.

A webhook is an outbound request on behalf of a member, so it must not become a probe of the node's own
network: the URL's host must resolve to public addresses only (no loopback, private, link-local, cloud
metadata, multicast or reserved address), checked at registration and again on the connected socket
at every delivery (a DNS answer may change); redirects are not followed; the delivery log says only
what kind of failure happened, never what answered. ``allowed_hosts`` (a node setting) names hosts
exempt from the address rule, for tests and for a receiver on the operator's own network. Each webhook is
delivered in its own worker, so one organisation's dead endpoint never delays another's; an
organisation keeps at most ``MAX_WEBHOOKS_PER_ORG`` webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import BigInteger, DateTime, Index, select
from sqlmodel import Field, SQLModel

from ledger.db import Database
from ledger.services.errors import FieldProblem, NotFound, ValidationFailed
from ledger.services.events import EventFeed, LedgerEvent

_log = logging.getLogger(__name__)

SIGNATURE_HEADER = "PortLedger-Signature"
TIMESTAMP_HEADER = "PortLedger-Timestamp"
EVENT_ID_HEADER = "PortLedger-Event-Id"
MAX_URL = 2000
MAX_WEBHOOKS_PER_ORG = 10
DELIVERY_WORKERS = 8


class AddressRefused(Exception):
    """The webhook's host is, or now resolves to, an address a delivery may not reach."""


def refused_address(address: str) -> bool:
    """Whether a delivery may not connect to ``address``: anything that is not a global unicast address
    (loopback, private, link-local such as 169.254.169.254, shared, multicast, reserved, unspecified),
    an IPv4-mapped IPv6 address judged as its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_public(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to; :class:`AddressRefused` if any of them may not be reached or
    the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"{host} does not resolve") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses or any(refused_address(a) for a in addresses):
        raise AddressRefused(f"{host} resolves to an address webhooks may not reach")
    return addresses


class _GuardedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP whose connected peer is checked before a byte of the request is sent."""

    peer_check: Callable[[str], None] = staticmethod(lambda address: None)

    def connect(self) -> None:
        super().connect()
        self.peer_check(str(self.sock.getpeername()[0]))


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS whose connected peer is checked before a byte of the request is sent."""

    peer_check: Callable[[str], None] = staticmethod(lambda address: None)

    def connect(self) -> None:
        super().connect()
        self.peer_check(str(self.sock.getpeername()[0]))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Webhook(SQLModel, table=True):
    """A registered endpoint of one organisation, with its delivery cursor and retry state."""

    __tablename__ = "webhook"
    __table_args__ = (Index("ix_webhook_org", "org"),)

    id: str = Field(primary_key=True, max_length=40)
    org: str = Field(max_length=64)
    url: str = Field(max_length=MAX_URL)
    secret: str = Field(max_length=128)
    event_types: str = Field(default="", max_length=2000)  # comma-separated; empty = every visible event
    active: bool = Field(default=True)
    cursor: int = Field(default=-1, sa_type=BigInteger)  # id of the last event delivered or given up
    attempt: int = Field(default=0)  # failed attempts at the event after the cursor
    next_attempt_at: float = Field(default=0.0)  # unix seconds
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "eventTypes": [t for t in self.event_types.split(",") if t],
            "active": self.active,
            "createdAt": self.created_at.isoformat(),
        }


class WebhookDelivery(SQLModel, table=True):
    """One delivery attempt of one event to one webhook."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_webhook", "webhook_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(max_length=40)
    event_id: int = Field(sa_type=BigInteger)
    event_type: str = Field(max_length=64)
    attempt: int
    status: str = Field(max_length=16)  # delivered | failed | given_up
    response_status: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))

    def public(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "eventId": str(self.event_id),
            "eventType": self.event_type,
            "attempt": self.attempt,
            "status": self.status,
            "responseStatus": self.response_status,
            "error": self.error,
            "durationMs": self.duration_ms,
            "createdAt": self.created_at.isoformat(),
        }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``PortLedger-Signature`` value of a delivery."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """Receiver side: the signature matches and its timestamp is within ``tolerance`` seconds."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass(frozen=True, slots=True)
class WebhookCreated:
    webhook: Webhook
    secret: str


class WebhookService:
    """Registers webhooks and delivers the event feed to them."""

    def __init__(
        self,
        db: Database,
        feed: EventFeed,
        *,
        backoff_base: float = 1.0,
        max_attempts: int = 8,
        timeout: float = 5.0,
        allowed_hosts: Iterable[str] = (),
    ):
        self.db = db
        self.feed = feed
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self._pool = ThreadPoolExecutor(max_workers=DELIVERY_WORKERS, thread_name_prefix="webhook")

    def ensure_tables(self) -> None:
        """Create the tables when the database was not migrated to ``0003_webhooks`` (test databases)."""
        SQLModel.metadata.create_all(
            self.db.engine,
            tables=[Webhook.__table__, WebhookDelivery.__table__],  # type: ignore[attr-defined]
            checkfirst=True,
        )

    # -- registration ------------------------------------------------------------------------------
    def create(self, org: int, url: str, event_types: list[str] | None = None) -> WebhookCreated:
        problems = []
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
            problems.append(FieldProblem("$.url", "url", "must be an absolute http(s) URL"))
        elif parts.username is not None or parts.password is not None:
            problems.append(FieldProblem("$.url", "url", "must not carry credentials; verify the signature"))
        elif parts.hostname.lower() not in self.allowed_hosts:
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                resolve_public(parts.hostname, port)
            except (AddressRefused, ValueError):
                problems.append(
                    FieldProblem(
                        "$.url",
                        "publicHost",
                        "must name a host with public addresses only (not loopback, private, link-local "
                        "or metadata addresses)",
                    )
                )
        if len(self.of_org(org)) >= MAX_WEBHOOKS_PER_ORG:
            problems.append(
                FieldProblem("$", "limit", f"an organisation keeps at most {MAX_WEBHOOKS_PER_ORG} webhooks")
            )
        types = sorted(set(event_types or []))
        if any(not t.isidentifier() for t in types):
            problems.append(
                FieldProblem("$.eventTypes", "name", "event types are event names, e.g. GatedOut")
            )
        if problems:
            raise ValidationFailed(problems)
        secret = secrets.token_hex(32)
        hook = Webhook(
            id="wh_" + secrets.token_hex(12),
            org=str(org),
            url=url,
            secret=secret,
            event_types=",".join(types),
            cursor=self.feed.head(),  # events from now on
        )
        with self.db.transaction(lock=True) as session:
            session.add(hook)
            session.flush()
            session.expunge(hook)
        return WebhookCreated(hook, secret)

    def of_org(self, org: int) -> list[Webhook]:
        with self.db.transaction() as session:
            rows = session.scalars(select(Webhook).where(Webhook.org == str(org))).all()  # type: ignore[arg-type]
            for row in rows:
                session.expunge(row)
            return list(rows)

    def get(self, org: int, webhook_id: str) -> Webhook:
        with self.db.transaction() as session:
            hook = session.get(Webhook, webhook_id)
            if hook is None or hook.org != str(org):
                raise NotFound(f"no webhook {webhook_id}")
            session.expunge(hook)
            return hook

    def deliveries(self, org: int, webhook_id: str, limit: int = 100) -> list[WebhookDelivery]:
        self.get(org, webhook_id)
        with self.db.transaction() as session:
            rows = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)  # type: ignore[arg-type]
                .order_by(WebhookDelivery.id.desc())  # type: ignore[union-attr]
                .limit(limit)
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    # -- delivery ----------------------------------------------------------------------------------
    def deliver_due(self, now: float | None = None) -> int:
        """One pass: for each active webhook whose retry time has come, deliver its next events in order
        (stopping at the first failure). Returns the number of attempts made."""
        with self.db.transaction() as session:
            hooks = session.scalars(select(Webhook).where(Webhook.active == True)).all()  # type: ignore[arg-type]  # noqa: E712
            for hook in hooks:
                session.expunge(hook)
        current = now if now is not None else time.time()
        due = [hook for hook in hooks if hook.next_attempt_at <= current]
        # Each webhook in its own worker: a slow or dead endpoint holds up only its own deliveries.
        return sum(self._pool.map(self._deliver_hook, due))

    def _deliver_hook(self, hook: Webhook) -> int:
        """Deliver the hook's next matching events in order, stopping at the first failure; events its
        type filter skips move its cursor on (so a filter never stalls behind unmatched events)."""
        attempts = 0
        try:
            types = {t for t in hook.event_types.split(",") if t}
            fetched, through = self.feed.page(int(hook.org), hook.cursor, limit=50)
            for event in fetched:
                if types and event.name not in types:
                    self._skip(hook, event.id)
                    continue
                attempts += 1
                if not self._attempt(hook, event):
                    break
            else:  # all delivered or skipped: move past what the hook may not see, too
                if through > hook.cursor:
                    self._skip(hook, through)
        except Exception:  # one webhook's trouble must not hold up the others
            _log.exception("webhook %s: delivery pass failed", hook.id)
        return attempts

    def _skip(self, hook: Webhook, event_id: int) -> None:
        hook.cursor = event_id
        with self.db.transaction(lock=True) as session:
            stored = session.get(Webhook, hook.id)
            if stored is not None and stored.cursor < event_id:
                stored.cursor = event_id

    def _attempt(self, hook: Webhook, event: LedgerEvent) -> bool:
        body = json.dumps(event.to_json(), separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "PortLedger-Webhooks/1",
            EVENT_ID_HEADER: str(event.id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
        }
        started = time.monotonic()
        status, error = self._post(hook.url, body, headers)
        duration = int((time.monotonic() - started) * 1000)
        ok = status is not None and 200 <= status < 300
        attempt = hook.attempt + 1
        if ok:
            outcome, hook.cursor, hook.attempt, hook.next_attempt_at = "delivered", event.id, 0, 0.0
        elif attempt >= self.max_attempts:
            outcome, hook.cursor, hook.attempt, hook.next_attempt_at = "given_up", event.id, 0, 0.0
        else:
            outcome = "failed"
            hook.attempt = attempt
            hook.next_attempt_at = time.time() + self.backoff_base * 2 ** (attempt - 1)
        # A writer from its first statement: on SQLite a read upgraded to a write can fail at once.
        with self.db.transaction(lock=True) as session:
            stored = session.get(Webhook, hook.id)
            if stored is not None:
                stored.cursor, stored.attempt, stored.next_attempt_at = (
                    hook.cursor,
                    hook.attempt,
                    hook.next_attempt_at,
                )
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    event_id=event.id,
                    event_type=event.name,
                    attempt=attempt,
                    status=outcome,
                    response_status=status,
                    error=error,
                    duration_ms=duration,
                )
            )
        return outcome != "failed"

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(HTTP status or None, a generic error or None). Only the kind of failure is kept: what answered
        (a banner, an error page, an exception text) never reaches the delivery log."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        exempt = host.lower() in self.allowed_hosts

        def peer_check(address: str) -> None:
            if not exempt and refused_address(address):
                raise AddressRefused(address)

        kind = _GuardedHTTPSConnection if parts.scheme == "https" else _GuardedHTTPConnection
        connection = kind(host, parts.port, timeout=self.timeout)
        connection.peer_check = peer_check
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=body, headers=headers)
            status = int(connection.getresponse().status)  # a redirect is a failure, never followed
        except AddressRefused:
            return None, "address refused"
        except TimeoutError:
            return None, "timed out"
        except (OSError, http.client.HTTPException, ValueError):
            return None, "connection failed"
        finally:
            connection.close()
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    def close(self) -> None:
        """Let the delivery workers finish; the service delivers no more afterwards."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """The delivery loop, for a background worker thread."""
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:
                _log.exception("webhook delivery pass failed; retrying")
            stop.wait(interval)
