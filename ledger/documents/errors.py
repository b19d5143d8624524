"""Errors raised by ``ledger.documents``: one root, one class per failure a caller handles differently.

Each class has a stable ``code`` (SCREAMING_SNAKE_CASE) for the API's error catalogue. Messages never
contain key material or document content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ReportedProblem(Protocol):
    """One problem of a validation report as an error shows it (``ledger.documents.validation.Problem``)."""

    @property
    def path(self) -> str: ...

    @property
    def rule(self) -> str: ...

    @property
    def message(self) -> str: ...


class Report(Protocol):
    """What :class:`DocumentInvalid` reads of a ``ValidationReport`` (typed here so that this module, which
    the validation imports, does not import the validation back)."""

    @property
    def errors(self) -> Sequence[ReportedProblem]: ...

    def to_json(self) -> dict[str, list[dict[str, str]]]: ...


class DocumentError(Exception):
    """Root of every error this package raises on purpose."""

    code: str = "DOCUMENT_ERROR"


class DocumentInvalid(DocumentError):
    """A transport document failed validation; ``report`` lists every problem with its JSON path."""

    code = "VALIDATION_FAILED"

    def __init__(self, report: Report) -> None:
        self.report = report
        paths = ", ".join(f"{p.path} ({p.rule})" for p in report.errors[:5])
        more = f" and {len(report.errors) - 5} more" if len(report.errors) > 5 else ""
        super().__init__(f"transport document has {len(report.errors)} error(s): {paths}{more}")


class NotCanonicalisable(DocumentError):
    """The document cannot be written as RFC 8785 JSON (e.g. an integer beyond ±2**53, NaN)."""

    code = "DOCUMENT_NOT_CANONICALISABLE"


# --- encryption ---------------------------------------------------------------------------------


class EnvelopeError(DocumentError):
    """Root of the encryption errors."""

    code = "DOCUMENT_ENVELOPE_ERROR"


class EnvelopeMalformed(EnvelopeError):
    """The bytes are not an envelope or key wrap of a version this code reads (magic, version, length)."""

    code = "DOCUMENT_ENVELOPE_MALFORMED"


class EnvelopeTampered(EnvelopeError):
    """Authentication failed: the ciphertext, its header or the associated data were changed, or the
    content key does not belong to this ciphertext."""

    code = "DOCUMENT_ENVELOPE_TAMPERED"


class KeyWrapTampered(EnvelopeError):
    """A key wrap addressed to this organisation does not unwrap: it was altered or is not ours."""

    code = "DOCUMENT_KEY_WRAP_TAMPERED"


class NotEntitled(EnvelopeError):
    """No key wrap is addressed to this organisation's key: it is not entitled to read the document."""

    code = "DOCUMENT_NOT_ENTITLED"


# --- storage ------------------------------------------------------------------------------------


class StoreError(DocumentError):
    """Root of the document store errors."""

    code = "DOCUMENT_STORE_ERROR"


class ObjectNotFound(StoreError):
    """The store holds no object under this CID."""

    code = "DOCUMENT_NOT_FOUND"

    def __init__(self, cid: str) -> None:
        self.cid = cid
        super().__init__(f"no stored object {cid}")


class ObjectCorrupted(StoreError):
    """The stored bytes no longer hash to their CID."""

    code = "DOCUMENT_CORRUPTED"

    def __init__(self, cid: str, actual: str) -> None:
        self.cid = cid
        self.actual = actual
        super().__init__(f"stored object {cid} is corrupted: its bytes hash to {actual}")


class InvalidCid(StoreError):
    """The text is not a CID this store issues (CIDv1, base32, sha2-256, raw or dag-pb)."""

    code = "DOCUMENT_INVALID_CID"


class StoreUnavailable(StoreError):
    """The IPFS node cannot be reached or answered with an error."""

    code = "DOCUMENT_STORE_UNAVAILABLE"
