"""The port authority's dashboard: counts over the read models, the facts table's "aggregates" row
(``docs/design.md`` §2). Only an organisation holding the PORT_AUTHORITY role reads it, and any count
below :data:`SUPPRESS_BELOW` is shown as suppressed (its key stays, its number does not), so no single
title, right or organisation can be singled out from a small cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from ledger.db import Database
from ledger.index.models import Attestation, Bill, Eir, Pledge, ReleaseRight
from ledger.services.errors import Forbidden
from ledger.services.organisations import Organisations

SUPPRESS_BELOW = 5


@dataclass(frozen=True, slots=True)
class Cell:
    key: str
    count: int | None
    """None when suppressed."""

    @property
    def suppressed(self) -> bool:
        return self.count is None


def _cells(rows: Any, names: Mapping[str, str] | None = None) -> list[Cell]:
    out = []
    for key, count in rows:
        label = names.get(str(key), str(key)) if names else str(key)
        out.append(Cell(label, int(count) if int(count) >= SUPPRESS_BELOW else None))
    return sorted(out, key=lambda c: c.key)


class Dashboard:
    """Aggregate counts for the port authority."""

    def __init__(self, db: Database, organisations: Organisations, schema_names: Mapping[str, str]):
        self.db = db
        self.organisations = organisations
        self.schema_names = {v.lower(): k for k, v in schema_names.items()}

    def tables(self, org: int) -> dict[str, list[Cell]]:
        """Every table of counts; :class:`Forbidden` unless ``org`` is an active port authority."""
        member = self.organisations.get(org)
        if "PORT_AUTHORITY" not in member.roles or member.suspended:
            raise Forbidden("only the port authority reads the dashboard")
        with self.db.transaction() as session:
            return {
                "billsByStatus": _cells(
                    session.exec(select(Bill.status, func.count()).group_by(Bill.status))
                ),
                "billsByKind": _cells(session.exec(select(Bill.kind, func.count()).group_by(Bill.kind))),
                "pledgesByStatus": _cells(
                    session.exec(select(Pledge.status, func.count()).group_by(Pledge.status))
                ),
                "releaseRightsByStatus": _cells(
                    session.exec(select(ReleaseRight.status, func.count()).group_by(ReleaseRight.status))
                ),
                "gateEventsByDirection": _cells(
                    session.exec(select(Eir.direction, func.count()).group_by(Eir.direction))
                ),
                "attestationsBySchema": _cells(
                    session.exec(
                        select(Attestation.schema_id, func.count()).group_by(col(Attestation.schema_id))
                    ),
                    self.schema_names,
                ),
            }
