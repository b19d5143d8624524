"""The door check of ``POST /v1/oracles/{agency}/messages``: read the posted bytes as the runner will.

:class:`RegistryCheck` is the :class:`ledger.services.oracle_messages.MessageCheck` the entry points
hand to the API (``cli/api.py``): it selects and runs the adapter of the same registry the runner
uses (:func:`oracles.registry.default_registry`), so a message the runner would dead-letter for a
parse error (an unknown message type, a control count, an ISO 6346 check digit) is refused at once
with the adapter's segment, position and rule, and never stored. Facts are not mapped or signed here;
an adapter that fails unexpectedly lets the message in, for the runner to dead-letter with its log.
"""

from __future__ import annotations

import logging

from ledger.services.errors import MessageUnreadable
from oracles.base import AdapterSettings, MessageRejected
from oracles.registry import AdapterRegistry, default_registry

_log = logging.getLogger(__name__)


class RegistryCheck:
    """Parse with ``registry`` (every shipped adapter, strict container checks, by default)."""

    def __init__(self, registry: AdapterRegistry | None = None) -> None:
        self.registry = registry or default_registry(AdapterSettings())

    def __call__(self, agency: str, content: bytes, filename: str | None) -> None:
        try:
            self.registry.parse(content, filename)
        except MessageRejected as exc:
            raise MessageUnreadable(exc.segment, exc.position, exc.code.value, exc.reason) from None
        except Exception:  # an adapter bug is not the sender's fault: the runner dead-letters it, logged
            _log.exception("the door check failed on a %s message; it is stored for the runner", agency)
