"""Adapters by name, and choosing the adapter for an inbound message.

``default_registry()`` builds one instance of every adapter with the given settings. ``select``
asks each adapter in registration order whether it accepts the bytes; a message no adapter accepts
is refused as ``UnsupportedMessage`` (for EDIFACT the reason names the message type, e.g. IFTSAI).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo

from oracles.adapters.china_customs import ChinaCustomsXmlAdapter
from oracles.adapters.coarri import CoarriAdapter
from oracles.adapters.codeco import CodecoAdapter
from oracles.adapters.credit_levels import CreditLevelFeedAdapter
from oracles.adapters.cusres import CusresAdapter
from oracles.adapters.msa_vessels import MsaVesselFeedAdapter
from oracles.base import Adapter, AdapterSettings, ParseResult, UnsupportedMessage
from oracles.edifact.interchange import sniff_message_types


class AdapterRegistry:
    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> None:
        if adapter.name in self._adapters:
            raise ValueError(f"an adapter named {adapter.name!r} is already registered")
        self._adapters[adapter.name] = adapter

    def get(self, name: str) -> Adapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise KeyError(f"no adapter named {name!r}; registered: {', '.join(self._adapters)}") from None

    def names(self) -> list[str]:
        return list(self._adapters)

    def __iter__(self) -> Iterator[Adapter]:
        return iter(self._adapters.values())

    def select(self, raw: bytes, filename: str | None = None) -> Adapter:
        for adapter in self._adapters.values():
            if adapter.accepts(raw, filename):
                return adapter
        types = sniff_message_types(raw)
        if types:
            raise UnsupportedMessage(f"no adapter reads {types[0]} messages", segment="UNH")
        raise UnsupportedMessage(f"no adapter recognises {filename or 'this message'}")

    def parse(self, raw: bytes, filename: str | None = None) -> ParseResult:
        """Select the adapter for ``raw`` and parse it (raises ``MessageRejected``)."""
        return self.select(raw, filename).parse(raw)


def default_registry(
    settings: AdapterSettings | None = None, time_zone: tzinfo | None = None
) -> AdapterRegistry:
    """Every adapter the project ships, sharing ``settings``.

    ``time_zone`` is the zone of EDIFACT times, which carry none (e.g. Asia/Shanghai for SIPG).
    """
    registry = AdapterRegistry()
    registry.register(CodecoAdapter(settings, time_zone))
    registry.register(CoarriAdapter(settings, time_zone))
    registry.register(CusresAdapter(settings, time_zone))
    registry.register(ChinaCustomsXmlAdapter(settings))
    registry.register(MsaVesselFeedAdapter(settings))
    registry.register(CreditLevelFeedAdapter(settings))
    return registry
