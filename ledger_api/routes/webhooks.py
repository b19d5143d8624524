"""Routes of the webhooks noun."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["webhooks"])
