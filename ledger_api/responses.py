"""Answering a write with its operation: ``202`` pending, or ``200`` final after ``Prefer: wait``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger.bootstrap import Ledger
from ledger.outbox import Operation
from ledger.services.operations import Operations

_POLL_SECONDS = 0.05


async def wait_for_operation(ledger: Ledger, operation_id: str, org: str, wait: float) -> dict[str, Any]:
    """The operation after at most ``wait`` seconds of waiting for it to become final."""
    deadline = time.monotonic() + wait
    view = await run_in_threadpool(ledger.operations.view, operation_id, org)
    while not Operations.is_final(view) and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_SECONDS)
        view = await run_in_threadpool(ledger.operations.view, operation_id, org)
    return view


async def operation_response(
    ledger: Ledger, operation: Operation | str, org: str, wait: float
) -> JSONResponse:
    """``202`` with the operation, or ``200`` once it is final (``mined`` or ``failed``). Without a
    wait, an operation object the write just returned is answered as it is (no second read)."""
    if isinstance(operation, str) or wait > 0:
        operation_id = operation if isinstance(operation, str) else operation.id
        view = await wait_for_operation(ledger, operation_id, org, wait)
    else:
        operation_id = operation.id
        view = ledger.operations.present(operation)
    status = 200 if Operations.is_final(view) and wait > 0 else 202
    return JSONResponse(view, status_code=status, headers={"Location": f"/v1/operations/{operation_id}"})
