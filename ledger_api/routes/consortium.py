"""Routes of the consortium noun."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["consortium"])
