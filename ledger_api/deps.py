"""Request dependencies as ``Annotated`` aliases: the node (``LedgerDep``) and each of its use cases
(``BillsDep``, ``ReleasesDep``, … the typed fields the composition root built), a database session
(``SessionDep``), the calling organisation from its API key (``CurrentOrg``), the optional
``Idempotency-Key`` and ``Prefer: wait=N``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ledger.bootstrap import Ledger
from ledger.services.attestations import AttestationService
from ledger.services.bills import Bills
from ledger.services.consortium import Actor, ConsortiumService
from ledger.services.errors import FieldProblem, Unauthenticated, ValidationFailed
from ledger.services.events import EventFeed
from ledger.services.releases import ReleaseService
from ledger.services.reports import ReportService
from ledger.services.statements import Statements
from ledger.services.webhooks import WebhookService

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer plk_…`")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d+(?:\.\d+)?)\"?", re.IGNORECASE)


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def get_session(ledger: LedgerDep) -> Iterator[Session]:
    with ledger.db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True, slots=True)
class Org:
    """The organisation the request acts for."""

    id: int

    @property
    def key(self) -> str:
        """The id as the API and the outbox show it (decimal string)."""
        return str(self.id)


async def current_org(
    ledger: LedgerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Org:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send `Authorization: Bearer <API key>`")
    org = ledger.keys.cached(credentials.credentials)
    if org is None:  # not checked lately: ask the database off the event loop
        org = await run_in_threadpool(ledger.keys.authenticate, credentials.credentials)
    return Org(int(org))


CurrentOrg = Annotated[Org, Depends(current_org)]


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional; the same key with the same body returns the same operation.",
        ),
    ] = None,
) -> str | None:
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            [FieldProblem("header:Idempotency-Key", "format", "1 to 255 visible ASCII characters")]
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def prefer_wait(
    ledger: LedgerDep,
    prefer: Annotated[
        str | None,
        Header(
            alias="Prefer",
            description="`wait=N`: answer 200 with the final operation, or 202 after N seconds.",
        ),
    ] = None,
) -> float:
    if not prefer:
        return 0.0
    match = _PREFER_WAIT.search(prefer)
    if match is None:
        return 0.0
    return min(float(match.group(1)), ledger.settings.max_wait_seconds)


PreferWait = Annotated[float, Depends(prefer_wait)]


def actor_of(ledger: Ledger, org: Org) -> Actor:
    """The calling organisation with the account this node signs its writes with."""
    return Actor(org.id, ledger.organisations.signer_address(org.id))


# -- the node's use cases, one alias each ---------------------------------------------------------


def _bills(ledger: LedgerDep) -> Bills:
    return ledger.bills


def _releases(ledger: LedgerDep) -> ReleaseService:
    return ledger.releases


def _attestations(ledger: LedgerDep) -> AttestationService:
    return ledger.attestations


def _reports(ledger: LedgerDep) -> ReportService:
    return ledger.reports


def _consortium(ledger: LedgerDep) -> ConsortiumService:
    return ledger.consortium


def _events(ledger: LedgerDep) -> EventFeed:
    return ledger.events


def _webhooks(ledger: LedgerDep) -> WebhookService:
    return ledger.webhooks


def _statements(ledger: LedgerDep) -> Statements:
    return ledger.statements


BillsDep = Annotated[Bills, Depends(_bills)]
ReleasesDep = Annotated[ReleaseService, Depends(_releases)]
AttestationsDep = Annotated[AttestationService, Depends(_attestations)]
ReportsDep = Annotated[ReportService, Depends(_reports)]
ConsortiumDep = Annotated[ConsortiumService, Depends(_consortium)]
EventsDep = Annotated[EventFeed, Depends(_events)]
WebhooksDep = Annotated[WebhookService, Depends(_webhooks)]
StatementsDep = Annotated[Statements, Depends(_statements)]
