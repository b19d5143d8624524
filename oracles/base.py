"""The adapter interface every oracle source implements, and how adapters report problems.

An adapter turns the bytes of one inbound message (an EDIFACT interchange, a customs XML receipt, a
JSON or CSV feed) into typed facts. It either returns every fact of the message with the warnings
it tolerated, or raises ``MessageRejected`` naming the segment (or element) and the reason: a
message is never half accepted. Adapters do no I/O, signing or submission; the runner does that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from oracles.facts import Fact


class RejectionCode(StrEnum):
    """Stable codes for why a message was refused (also used for tolerated problems)."""

    UNSUPPORTED_MESSAGE = "UNSUPPORTED_MESSAGE"  # no adapter for this message type
    SYNTAX_ERROR = "SYNTAX_ERROR"  # the tokenizer or XML/JSON parser failed
    TRUNCATED = "TRUNCATED"  # the interchange stops early (no terminator, no trailer)
    UNSUPPORTED_CHARSET = "UNSUPPORTED_CHARSET"  # UNB declares a syntax identifier we do not read
    CHARSET_MISMATCH = "CHARSET_MISMATCH"  # the bytes do not fit the declared character set
    ENVELOPE_ERROR = "ENVELOPE_ERROR"  # UNB/UNG/UNH/UNT/UNE/UNZ missing, nested or out of place
    CONTROL_COUNT_MISMATCH = "CONTROL_COUNT_MISMATCH"  # UNT/UNE/UNZ/CNT count differs from content
    CONTROL_REFERENCE_MISMATCH = "CONTROL_REFERENCE_MISMATCH"  # UNT/UNE/UNZ ref differs from header
    STRUCTURE_ERROR = "STRUCTURE_ERROR"  # segment out of place, mandatory segment or group missing
    UNKNOWN_QUALIFIER = "UNKNOWN_QUALIFIER"  # a code the message guide does not define
    MISSING_ELEMENT = "MISSING_ELEMENT"  # a mandatory data element or XML/JSON field is empty
    INVALID_VALUE = "INVALID_VALUE"  # a value of the wrong shape (date, number, identifier)
    CONTAINER_CHECK_DIGIT = "CONTAINER_CHECK_DIGIT"  # ISO 6346 check digit or category wrong
    NONSTANDARD_USAGE = "NONSTANDARD_USAGE"  # tolerated deviation from the guide (warnings only)


class MessageRejected(Exception):
    """A message the adapter refuses, with where (segment tag and position) and why.

    ``segment`` is the EDIFACT segment tag (``UNT``, ``EQD``) or the XML element / JSON field path;
    ``position`` is the 1-based segment number in the interchange (UNB = 1) or the record number in
    a feed, ``None`` when the problem has no single place.
    """

    def __init__(self, segment: str | None, position: int | None, reason: str, code: RejectionCode) -> None:
        self.segment = segment
        self.position = position
        self.reason = reason
        self.code = code
        where = f" at {segment}" if segment else ""
        where += f" (segment {position})" if position is not None else ""
        super().__init__(f"{code.value}{where}: {reason}")


class UnsupportedMessage(MessageRejected):
    """No registered adapter reads this message (e.g. IFTSAI or BAPLIE interchanges)."""

    def __init__(self, reason: str, segment: str | None = None, position: int | None = None) -> None:
        super().__init__(segment, position, reason, RejectionCode.UNSUPPORTED_MESSAGE)


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """A problem the adapter tolerated; same shape as a rejection."""

    segment: str | None
    position: int | None
    reason: str
    code: RejectionCode


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Every fact of one message, in message order, with the warnings the adapter tolerated."""

    facts: tuple[Fact, ...]
    warnings: tuple[ParseWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """Settings shared by the adapters.

    ``strict_container_check``: an ISO 6346 check-digit (or category) failure rejects the message;
    when False the fact is kept, flagged ``check_digit_valid=False``, with a warning.
    """

    strict_container_check: bool = True


@runtime_checkable
class Adapter(Protocol):
    """One source format. ``accepts`` is a cheap sniff; ``parse`` does the full checks."""

    @property
    def name(self) -> str: ...

    def accepts(self, raw: bytes, filename: str | None = None) -> bool: ...

    def parse(self, raw: bytes) -> ParseResult: ...


@dataclass
class WarningLog:
    """Collects warnings while a message is read (adapters pass one down their helpers)."""

    items: list[ParseWarning] = field(default_factory=list)

    def add(self, segment: str | None, position: int | None, reason: str, code: RejectionCode) -> None:
        self.items.append(ParseWarning(segment, position, reason, code))

    def freeze(self) -> tuple[ParseWarning, ...]:
        return tuple(self.items)
