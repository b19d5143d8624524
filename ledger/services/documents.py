"""Encrypted transport documents and who may read them.

Owns the ``document_key_wrap`` table: one row per (document CID, organisation) holding the content
key wrapped for that organisation's X25519 public key (public data: only the recipient's private key
unwraps it). Storing a document encrypts it once (AES-256-GCM, associated data = title id and
version, so an envelope cannot be passed off as another title's), puts the envelope in the
:class:`~ledger.documents.DocumentStore` and records the wraps. Entitling a new organisation
(:meth:`Documents.add_wrap`, when the indexer projects what made it a reader) adds a wrap made from an
entitled organisation's unwrapped key: no re-encryption, the CID never changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import JSON, DateTime, LargeBinary, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel

from ledger.db import Database
from ledger.documents import (
    DocumentStore,
    KeyWrap,
    NotEntitled,
    canonical_json,
    encrypt_document,
    open_envelope,
    unwrap_content_key,
    wrap_content_key,
)
from ledger.outbox.models import utcnow


class DocumentKeyWrap(SQLModel, table=True):
    """The content key of one stored document, wrapped for one organisation."""

    __tablename__ = "document_key_wrap"
    __table_args__ = (UniqueConstraint("cid", "org", name="uq_document_key_wrap_cid_org"),)

    id: int | None = Field(default=None, primary_key=True)
    cid: str = Field(max_length=100, index=True)
    org: int = Field(index=True)
    bill_id: str = Field(max_length=66, index=True)
    version: int
    wrap: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SealedDocument(SQLModel, table=True):
    """A document this node sealed for one title and version: the only CIDs it ever opens or entitles
    for that title (a CID a carrier put on chain itself, pointing at another title's envelope, is no
    row here), with the container numbers the title's container root was made from."""

    __tablename__ = "sealed_document"

    cid: str = Field(primary_key=True, max_length=100)
    bill_id: str = Field(max_length=66)
    version: int
    checksum: str = Field(max_length=66)
    container_numbers: list[str] = Field(sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class StoredDocument:
    cid: str
    checksum: str


def associated_data(bill_id: str, version: int) -> bytes:
    """What the envelope is bound to: the title id and the document version."""
    return f"portledger:bill:{bill_id.lower()}:v{version}".encode()


class Documents:
    """Store, entitle and open encrypted transport documents."""

    def __init__(self, db: Database, store: DocumentStore):
        self.db = db
        self.store = store

    def seal(
        self, document: dict[str, Any], bill_id: str, version: int, readers: dict[int, bytes]
    ) -> tuple[bytes, dict[int, KeyWrap]]:
        """Encrypt ``document`` for ``readers`` (org id → X25519 public key); nothing is stored yet."""
        orgs = sorted(readers)
        sealed = encrypt_document(
            canonical_json(document), [readers[o] for o in orgs], associated_data(bill_id, version)
        )
        return sealed.envelope, dict(zip(orgs, sealed.wraps, strict=True))

    def put(
        self,
        envelope: bytes,
        bill_id: str,
        version: int,
        wraps: dict[int, KeyWrap],
        *,
        checksum: str,
        container_numbers: tuple[str, ...],
    ) -> str:
        """Store the envelope, record that this node sealed it for ``bill_id`` at ``version`` and its
        wraps (idempotent per CID and organisation)."""
        cid = self.store.put(envelope)
        with self.db.transaction(lock=True) as session:
            if session.get(SealedDocument, cid) is None:
                session.add(
                    SealedDocument(
                        cid=cid,
                        bill_id=bill_id.lower(),
                        version=version,
                        checksum=checksum,
                        container_numbers=list(container_numbers),
                    )
                )
            rows = session.scalars(select(DocumentKeyWrap).where(DocumentKeyWrap.cid == cid)).all()  # type: ignore[arg-type]
            present = {row.org for row in rows}
            for org, wrap in wraps.items():
                if org not in present:
                    session.add(
                        DocumentKeyWrap(
                            cid=cid, org=org, bill_id=bill_id, version=version, wrap=wrap.to_bytes()
                        )
                    )
        return cid

    def sealed(self, bill_id: str, version: int) -> SealedDocument | None:
        """The document this node sealed for the title's ``version``, if any."""
        with self.db.transaction() as session:
            return session.scalars(
                select(SealedDocument).where(
                    SealedDocument.bill_id == bill_id.lower(),  # type: ignore[arg-type]
                    SealedDocument.version == version,  # type: ignore[arg-type]
                )
            ).first()

    def sealed_for(self, cid: str, bill_id: str) -> bool:
        """Whether this node sealed the envelope at ``cid`` for this very title."""
        with self.db.transaction() as session:
            row = session.get(SealedDocument, cid)
        return row is not None and row.bill_id == bill_id.lower()

    def _require_sealed_for(self, cid: str, bill_id: str) -> None:
        if not self.sealed_for(cid, bill_id):
            raise NotEntitled(f"{cid} was not sealed on this node for bill {bill_id}")

    def wraps_of(self, cid: str) -> dict[int, KeyWrap]:
        with self.db.transaction() as session:
            rows = session.scalars(select(DocumentKeyWrap).where(DocumentKeyWrap.cid == cid)).all()  # type: ignore[arg-type]
        return {row.org: KeyWrap.from_bytes(row.wrap) for row in rows}

    def entitled(self, cid: str) -> set[int]:
        return set(self.wraps_of(cid))

    def sealed_in(self, session: Session, cid: str, bill_id: str) -> bool:
        """:meth:`sealed_for` inside ``session``."""
        row = session.get(SealedDocument, cid)
        return row is not None and row.bill_id == bill_id.lower()

    def wraps_in(self, session: Session, cid: str) -> dict[int, KeyWrap]:
        """:meth:`wraps_of` inside ``session`` (sees what it added but has not committed)."""
        rows = session.scalars(select(DocumentKeyWrap).where(DocumentKeyWrap.cid == cid)).all()  # type: ignore[arg-type]
        return {row.org: KeyWrap.from_bytes(row.wrap) for row in rows}

    def add_wrap(
        self,
        session: Session,
        cid: str,
        bill_id: str,
        new_org: int,
        new_public_key: bytes,
        via_org: int,
        via_key: X25519PrivateKey,
    ) -> bool:
        """Inside ``session``: give ``new_org`` a wrap of the key of the document this node sealed for
        ``bill_id`` at ``cid``, unwrapped with ``via_org``'s key. False if it had one already.

        :class:`NotEntitled` if ``cid`` is not a document this node sealed for this very title (a carrier
        can name any CID when it issues a title straight on the contract, and must not reach another
        title's key that way), or ``via_org`` holds no wrap of it. The envelope is not touched.
        """
        sealed = session.get(SealedDocument, cid)
        if sealed is None or sealed.bill_id != bill_id.lower():
            raise NotEntitled(f"{cid} was not sealed on this node for bill {bill_id}")
        wraps = self.wraps_in(session, cid)
        if new_org in wraps:
            return False
        if via_org not in wraps:
            raise NotEntitled(f"organisation {via_org} holds no key wrap for {cid}")
        content_key = unwrap_content_key(wraps[via_org], via_key)
        wrap = wrap_content_key(content_key, new_public_key)
        session.add(
            DocumentKeyWrap(
                cid=cid, org=new_org, bill_id=sealed.bill_id, version=sealed.version, wrap=wrap.to_bytes()
            )
        )
        session.flush()
        return True

    def db_row(self, cid: str, org: int) -> DocumentKeyWrap:
        with self.db.transaction() as session:
            row = session.scalars(
                select(DocumentKeyWrap).where(DocumentKeyWrap.cid == cid, DocumentKeyWrap.org == org)  # type: ignore[arg-type]
            ).one_or_none()
        if row is None:
            raise NotEntitled(f"organisation {org} holds no key wrap for {cid}")
        return row

    def open(self, cid: str, bill_id: str, org: int, private_key: X25519PrivateKey) -> dict[str, Any]:
        """Decrypt the document of ``bill_id`` at ``cid`` for ``org``; :class:`NotEntitled` if it holds no
        wrap, or if ``cid`` is not a document this node sealed for this title."""
        self._require_sealed_for(cid, bill_id)
        row = self.db_row(cid, org)
        if row.bill_id.lower() != bill_id.lower():
            raise NotEntitled(f"{cid} is not the document of bill {bill_id}")
        content_key = unwrap_content_key(KeyWrap.from_bytes(row.wrap), private_key)
        plaintext = open_envelope(self.store.get(cid), content_key, associated_data(row.bill_id, row.version))
        document: dict[str, Any] = json.loads(plaintext)
        return document
