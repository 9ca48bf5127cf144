"""Data subject requests: export as an action, and the request register."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.contacts.service import get_contact
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.privacy.confirmation import CONFIRMATION, confirm_request
from meridian.privacy.deadlines import regime_for
from meridian.privacy.export import build_export
from meridian.privacy.models import PrivacyRequest
from meridian.privacy.schemas import PrivacyRequestOut


def to_out(row: PrivacyRequest) -> PrivacyRequestOut:
    return PrivacyRequestOut(
        id=str(row.id),
        type=row.type,
        status=row.status,
        regime=row.regime,
        contact_id=str(row.contact_id) if row.contact_id else None,
        due_at=row.due_at,
        overdue=row.status == "pending" and row.due_at < utcnow(),
        handled_by_id=str(row.handled_by_id) if row.handled_by_id else None,
        source=row.source,
        result={k: v for k, v in row.result.items() if k != CONFIRMATION},
        confirmation=row.result.get(CONFIRMATION),
        error=row.error,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


async def export_contact(
    *, session: AsyncSession, principal: Principal, contact_id: uuid.UUID, source: str = "api"
) -> tuple[bytes, PrivacyRequest]:
    """Build the contact's ZIP and register the (already fulfilled) access request."""
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    if contact.erased_at is not None:
        raise ProblemError(409, "this contact was erased; there is nothing left to export")
    merged = await session.scalars(
        select(Contact).where(
            Contact.merged_into_id == contact.id, Contact.workspace_id == principal.workspace_id
        )
    )
    people = [contact, *merged]
    archive = await build_export(session, people)
    now = utcnow()
    regime = regime_for(country=contact.country, region=contact.region)
    request = PrivacyRequest(
        workspace_id=principal.workspace_id,
        contact_id=contact.id,
        type="export",
        status="completed",
        regime=regime.name,
        due_at=regime.due(now),
        handled_by_id=principal.agent_id,
        source=source,
        result={"bytes": len(archive)},
        completed_at=now,
    )
    session.add(request)
    await session.flush()
    await confirm_request(session, contact=contact, request=request, received_at=now)
    await record_by(
        session,
        principal,
        "contact.exported",
        target=f"contact:{contact.id}",
        details={"request_id": str(request.id), "bytes": len(archive)},
    )
    await session.commit()
    return archive, request


async def list_requests(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    status: str | None,
    type: str | None,
    limit: int,
    cursor: uuid.UUID | None,
) -> tuple[list[PrivacyRequest], str | None]:
    """Newest first (ids are UUIDv7, so id order is creation order)."""
    stmt = select(PrivacyRequest).where(PrivacyRequest.workspace_id == workspace_id)
    if status:
        stmt = stmt.where(PrivacyRequest.status == status)
    if type:
        stmt = stmt.where(PrivacyRequest.type == type)
    if cursor is not None:
        stmt = stmt.where(PrivacyRequest.id < cursor)
    rows = list(await session.scalars(stmt.order_by(PrivacyRequest.id.desc()).limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_request(
    session: AsyncSession, *, workspace_id: uuid.UUID, request_id: uuid.UUID
) -> PrivacyRequest:
    row = await session.scalar(
        select(PrivacyRequest).where(
            PrivacyRequest.id == request_id, PrivacyRequest.workspace_id == workspace_id
        )
    )
    if row is None:
        raise NotFound("privacy request")
    return row
