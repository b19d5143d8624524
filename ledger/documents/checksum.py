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

_SAFE_INTEGER = 2**53 - 1


def _as_json_numbers(value: Any) -> Any:
    """Give integers beyond ±(2**53 - 1) as the IEEE 754 double a JSON number denotes in JCS.

    RFC 8785 reads every number as a double (so do the JavaScript and Java implementations DCSA
    uses), and the ``rfc8785`` package refuses larger Python ints outright. Without this, a float such
    as 1e16 would canonicalise to ``10000000000000000``, which :func:`json.loads` reads back as an int
    that could not be canonicalised again: a reader could not recompute the checksum.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            return value
        try:
            return float(value)
        except OverflowError:
            raise NotCanonicalisable(
                f"integer of {value.bit_length()} bits is beyond IEEE 754 doubles"
            ) from None
    if isinstance(value, dict):
        return {key: _as_json_numbers(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json_numbers(child) for child in value]
    return value


def canonical_json(document: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (as parsed by :func:`json.loads`).

    Parsing the result with :func:`json.loads` and canonicalising again gives the same bytes.
    """
    try:
        return rfc8785.dumps(_as_json_numbers(document))
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalisable(f"document cannot be canonicalised (RFC 8785): {exc}") from exc


def document_checksum(document: Any) -> Checksum:
    """SHA-256 of :func:`canonical_json`, as a :class:`~ledger.domain.values.Checksum`."""
    return Checksum(hashlib.sha256(canonical_json(document)).hexdigest())
