"""Base class of the EDIFACT adapters: sniff by UNH message type, read and check the interchange,
then hand each message to the subclass. A subclass names its message type, the directory versions
it reads, and turns one checked message into facts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import tzinfo

from oracles.base import AdapterSettings, MessageRejected, ParseResult, RejectionCode, WarningLog
from oracles.edifact.fields import ReadContext
from oracles.edifact.interchange import Interchange, Message, read_interchange, sniff_message_types
from oracles.facts import Fact


def edifact_source_id(interchange: Interchange, message: Message, *parts: str) -> str:
    """``edifact:<sender>:<interchange ref>:<message ref>[:<part>...]``, stable across re-sends."""
    return ":".join(("edifact", interchange.sender, interchange.control_reference, message.reference, *parts))


class EdifactAdapter(ABC):
    """Reads interchanges whose messages are all of ``message_type``."""

    message_type: str
    # (version, release) pairs of the directories the segment table is checked for, e.g. ("D", "95B").
    directories: frozenset[tuple[str, str]]

    def __init__(self, settings: AdapterSettings | None = None, time_zone: tzinfo | None = None) -> None:
        self.settings = settings or AdapterSettings()
        self.time_zone = time_zone

    @property
    def name(self) -> str:
        return self.message_type.lower()

    def accepts(self, raw: bytes, filename: str | None = None) -> bool:
        types = sniff_message_types(raw)
        return bool(types) and types[0] == self.message_type

    def parse(self, raw: bytes) -> ParseResult:
        log = WarningLog()
        interchange = read_interchange(raw, log)
        ctx = ReadContext(self.settings, log, self.time_zone)
        facts: list[Fact] = []
        for message in interchange.messages:
            if message.message_type != self.message_type:
                raise MessageRejected(
                    "UNH",
                    message.header.position,
                    f"message {message.reference!r} is {message.message_type}, not {self.message_type}",
                    RejectionCode.UNSUPPORTED_MESSAGE,
                )
            if (message.version, message.release) not in self.directories:
                raise MessageRejected(
                    "UNH",
                    message.header.position,
                    f"directory {message.version}.{message.release} is not supported for {self.message_type}",
                    RejectionCode.UNSUPPORTED_MESSAGE,
                )
            facts.extend(self.read_message(interchange, message, ctx))
        return ParseResult(tuple(facts), log.freeze())

    @abstractmethod
    def read_message(self, interchange: Interchange, message: Message, ctx: ReadContext) -> list[Fact]:
        """The facts of one message whose envelope has been checked."""
