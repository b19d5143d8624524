"""Routes of the verify noun (filled in by the next commit)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["verify"])
