"""The document checksum: SHA-256 over the RFC 8785 (JCS) canonical JSON, lowercase hex.

This is DCSA's ``documentChecksum`` / ``transportDocumentChecksum`` (eBL issuance manifest, PINT)
and the value anchored on chain. ``json.dumps(sort_keys=True)`` is not a substitute: JCS writes
numbers the ECMAScript way (``1.0`` → ``1``, ``1e2`` → ``100``), escapes only what it must and keeps
other characters as UTF-8, and orders keys by UTF-16 code units.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from ledger.documents.errors import NotCanonicalisable
from ledger.domain.values import Checksum


def canonical_json(document: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (as parsed by :func:`json.loads`)."""
    try:
        return rfc8785.dumps(document)
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalisable(f"document cannot be canonicalised (RFC 8785): {exc}") from exc


def document_checksum(document: Any) -> Checksum:
    """SHA-256 of :func:`canonical_json`, as a :class:`~ledger.domain.values.Checksum`."""
    return Checksum(hashlib.sha256(canonical_json(document)).hexdigest())
