"""Routes of the events noun."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["events"])
