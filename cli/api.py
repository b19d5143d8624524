"""``cli.api:app``: the API application as the node's entry points serve it (a uvicorn ``--factory``).

``ledger_api.create_app`` with the oracles' door check: a message posted to ``POST
/v1/oracles/{agency}/messages`` is read by the same adapter registry the runner uses before it is
stored. It is built here because the entry points are the only layer that may import both
``ledger_api`` and ``oracles``.
"""

from __future__ import annotations

from typing import Any

from ledger.settings import Settings
from ledger_api.main import create_app
from oracles.door import RegistryCheck


def app(settings: Settings | None = None) -> Any:
    """The node's API (a FastAPI app; this layer does not import fastapi) with the adapter registry
    checking posted oracle messages."""
    return create_app(settings, message_check=RegistryCheck())
