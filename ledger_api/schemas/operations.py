"""The operation object every write answers with."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ledger_api.schemas.common import ApiModel


class OperationError(ApiModel):
    code: str = Field(examples=["BILL_NOT_POSSESSOR"])
    detail: str | None = None


class Operation(ApiModel):
    """A write's life: ``pending`` → ``mined`` (its events are in the read models) or ``failed``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "op_01JDZ8K3V6Q4T0F3W9R5X2M7NB",
                    "status": "mined",
                    "kind": "bill.issue",
                    "txHash": "0x8f1c…",
                    "blockNumber": 42,
                    "result": {"billId": "0x5c3a…", "gasUsed": 182311},
                    "error": None,
                }
            ]
        }
    )

    id: str = Field(pattern=r"^op_[0-9A-Z]{26}$")
    status: Literal["pending", "mined", "failed"]
    kind: str
    tx_hash: str | None = None
    block_number: int | None = None
    result: dict[str, Any] | None = None
    error: OperationError | None = None
