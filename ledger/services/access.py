"""Who reads a title's document: the documents table of ``docs/design.md`` §2, and the key wraps that
follow from it.

Readers of a title's *current* version:

- the issuing carrier; the current possessor and title holder; a straight B/L's consignee;
- the bank named in a pledge, from its request until the pledge ends (requested or active);
- past parties keep the wraps they were given (the versions they could read) and get no new ones;
- everyone else gets the title's public state and its container numbers only.

Access is granted when the chain has accepted what made an organisation a reader: this module's
:meth:`DocumentAccess.project` runs inside the indexer's transaction that projects the event (the issue,
a transfer, an endorsement, a pledge request, an enforcement, a re-issue), so the key wraps commit with
the projection or not at all, and an operation is ``mined`` only once both are there. A request that the
chain refuses leaves no access behind. A wrap is made from the unwrapped key of a reader this node
holds a wallet for; a reader that has published no document key yet is given one when it next asks
(:meth:`DocumentAccess.grant`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlmodel import Session

from ledger.documents import NotEntitled
from ledger.index.models import Bill
from ledger.services.documents import Documents
from ledger.services.errors import UnknownOrganisation
from ledger.services.organisations import Organisations

_log = logging.getLogger(__name__)

PLEDGE_READS = frozenset({"REQUESTED", "ACTIVE"})
"""Pledge states in which the bank named in the pledge reads the document."""


def readers(row: Bill) -> set[int]:
    """Organisations entitled to read the current version of the title in ``row``."""
    out = {row.carrier, row.possessor, row.holder}
    if row.kind == "STRAIGHT":
        out.add(row.consignee)
    if row.pledge_status in PLEDGE_READS:
        out.add(row.pledgee)
    return {org for org in out if org}


class DocumentAccess:
    """Keeps the key wraps of every title's current document equal to (or, for past parties, a superset
    of) what :func:`readers` says."""

    def __init__(self, documents: Documents, organisations: Organisations):
        self.documents = documents
        self.organisations = organisations

    def project(self, session: Session, bill_ids: Iterable[str]) -> None:
        """Wrap the current document's key for every reader of each title that lacks one; runs in the
        indexer's transaction, after the titles' rows are projected. Never raises for one title: a
        title whose document this node did not seal, or whose readers it cannot wrap for yet, is
        logged and left (the projection must go on)."""
        for bill_id in sorted(bill_ids):
            row = session.get(Bill, bill_id)
            if row is None or row.transport_document_reference is None:
                continue
            try:
                self._grant(session, row, readers(row))
            except Exception:  # one title's failure must not stop the index
                _log.exception("could not grant document access for bill %s", bill_id)

    def grant(self, row: Bill, org: int) -> bool:
        """Wrap the current document's key for ``org`` now if it is a reader and lacks one (e.g. it
        published its document key after it became a party); whether it holds a wrap afterwards."""
        if org not in readers(row):
            return False
        with self.documents.db.transaction(lock=True) as session:
            self._grant(session, row, {org})
        return org in self.documents.entitled(row.cid)

    def _grant(self, session: Session, row: Bill, wanted: set[int]) -> list[int]:
        if not self.documents.sealed_in(session, row.cid, row.id):
            _log.debug("bill %s names a CID this node did not seal; no access granted", row.id)
            return []
        wraps = self.documents.wraps_in(session, row.cid)
        missing = sorted(wanted - set(wraps))
        if not missing:
            return []
        wallets = self.organisations.wallets
        via = next((org for org in sorted(wraps) if org in wallets), None)
        if via is None:
            _log.info("no reader of bill %s has a wallet on this node; access follows elsewhere", row.id)
            return []
        granted = []
        for org in missing:
            try:
                member = self.organisations.get(org)
            except UnknownOrganisation:
                continue
            if not any(member.encryption_key):
                _log.warning("organisation %s has published no document key; access waits for it", org)
                continue
            key: X25519PrivateKey = wallets[via].document_key
            try:
                self.documents.add_wrap(session, row.cid, row.id, org, member.encryption_key, via, key)
            except NotEntitled:
                continue
            granted.append(org)
        return granted
