"""Reading the audit log for people: filters by actor, action and date, and a CSV copy."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.models import AuditEntry

CSV_COLUMNS = (
    "seq",
    "created_at",
    "actor_kind",
    "actor_id",
    "action",
    "target",
    "details",
    "prev_hash",
    "hash",
)
# A CSV export is for reading in a spreadsheet; the API (with cursors) is for whole logs.
CSV_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(workspace_id: uuid.UUID, where: AuditFilter) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if where.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == where.actor_id)
    if where.action:
        # A prefix finds a family: "contact." matches contact.exported and contact.erased.
        stmt = stmt.where(AuditEntry.action.startswith(where.action, autoescape=True))
    if where.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEntry.created_at < where.until)
    return stmt


async def page_entries(
    session: AsyncSession, *, workspace_id: uuid.UUID, where: AuditFilter, limit: int, before: int | None
) -> tuple[list[AuditEntry], int | None]:
    """Newest first; the returned ``seq`` is the ``before`` of the next page."""
    stmt = _filtered(workspace_id, where)
    if before is not None:
        stmt = stmt.where(AuditEntry.seq < before)
    rows = list(await session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].seq if len(rows) > limit else None)


async def all_entries(
    session: AsyncSession, *, workspace_id: uuid.UUID, where: AuditFilter
) -> list[AuditEntry]:
    stmt = _filtered(workspace_id, where).order_by(AuditEntry.seq).limit(CSV_LIMIT)
    return list(await session.scalars(stmt))


def to_csv(entries: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row = [
            e.seq,
            e.created_at.isoformat(),
            e.actor_kind,
            str(e.actor_id) if e.actor_id else "",
            e.action,
            e.target or "",
            json.dumps(e.details, ensure_ascii=False, sort_keys=True),
            e.prev_hash,
            e.hash,
        ]
        # Spreadsheets run cells starting with = + - @ as formulas (OWASP "CSV injection").
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
    return out.getvalue()
