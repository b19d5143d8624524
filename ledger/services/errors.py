"""Errors the use cases raise on purpose, each with the stable code the API publishes.

Contract reverts keep their own type (:class:`~ledger.domain.errors.ContractRevert`); these are the
refusals decided before anything reaches the chain. Messages say what to fix and never contain
secrets or document content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.chain import RpcError
from ledger.domain.errors import ChainUnavailable, LedgerError

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (ChainUnavailable, RpcError, TimeoutError, ConnectionError)
"""Failures a caller of the services may retry: the node or the chain did not answer in time."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One failing input: its JSON path (``$.document.carrierCode``), a rule name and a message."""

    path: str
    rule: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


class ServiceError(LedgerError):
    """Root of the service-level refusals."""

    code = "SERVICE_ERROR"


class ValidationFailed(ServiceError):
    """The request (or the document in it) is invalid; ``problems`` lists every failing path."""

    code = "VALIDATION_FAILED"

    def __init__(self, problems: Sequence[FieldProblem], summary: str | None = None):
        self.problems = tuple(problems)
        paths = ", ".join(p.path for p in self.problems[:5])
        more = f" and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        super().__init__(summary or f"{len(self.problems)} invalid field(s): {paths}{more}")


class UnknownOrganisation(ServiceError):
    """An organisation id in the request is not a member of the consortium."""

    code = "UNKNOWN_ORGANISATION"

    def __init__(self, org: str, path: str = "$"):
        self.org = org
        self.path = path
        super().__init__(f"{path}: {org!r} is not the id of a consortium organisation")


class NotFound(ServiceError):
    """The resource does not exist, or the caller may not know that it exists."""

    code = "NOT_FOUND"


class Forbidden(ServiceError):
    """The caller's organisation may not do this."""

    code = "FORBIDDEN"


class Unauthenticated(ServiceError):
    """No valid API key."""

    code = "UNAUTHENTICATED"


class DocumentNotBound(ServiceError):
    """The transport document does not match the ledger (carrier, consignee, endorsee, status)."""

    code = "DOCUMENT_NOT_BOUND"

    def __init__(self, problems: Sequence[FieldProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


class NotACarrier(ServiceError):
    """Only an active organisation holding the CARRIER role issues bills of lading."""

    code = "NOT_A_CARRIER"


class MessageUnreadable(ServiceError):
    """No adapter of the agency's oracle can read the posted message; nothing was stored.

    ``segment`` is the EDIFACT tag or the XML/JSON path, ``position`` the 1-based segment (or record)
    number, ``rule`` the adapter's rejection code (``CONTAINER_CHECK_DIGIT``), ``reason`` the words.
    """

    code = "MESSAGE_UNREADABLE"

    def __init__(self, segment: str | None, position: int | None, rule: str, reason: str):
        self.segment = segment
        self.position = position
        self.rule = rule
        self.reason = reason
        where = f" at {segment}" if segment else ""
        where += f" (segment {position})" if position is not None else ""
        super().__init__(f"the message cannot be read{where}: {rule}: {reason}; nothing was stored")


class SignerUnavailable(ServiceError):
    """This node holds no unlocked wallet for the organisation, so it cannot sign for it."""

    code = "SIGNER_UNAVAILABLE"
