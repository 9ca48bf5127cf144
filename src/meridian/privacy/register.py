"""Moving a request in the register forward by hand, for the privacy console.

Erasures normally finish in the background (``privacy.tasks``); an admin who is asked
"is it done?" can finish a pending one at once instead of waiting for the sweep.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.core.errors import NotFound, ProblemError
from meridian.privacy.erasure import complete_erasure
from meridian.privacy.models import PrivacyRequest


async def complete_pending_erasure(
    *, session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> PrivacyRequest:
    request = await session.scalar(
        select(PrivacyRequest)
        .where(PrivacyRequest.id == request_id, PrivacyRequest.workspace_id == principal.workspace_id)
        # The periodic sweep may hold it right now; wait for it rather than erase twice.
        .with_for_update()
    )
    if request is None:
        raise NotFound("privacy request")
    if request.type != "erase" or request.status != "pending":
        raise ProblemError(409, "only a pending erasure can be completed")
    await complete_erasure(session, request)
    request.handled_by_id = principal.agent_id
    await record_by(
        session,
        principal,
        "privacy_request.completed",
        target=f"privacy_request:{request.id}",
        details={"type": request.type},
    )
    await session.commit()
    return request


async def contact_requests(
    session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID
) -> list[PrivacyRequest]:
    """A contact's requests, newest first (ids are UUIDv7)."""
    rows = await session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.workspace_id == workspace_id, PrivacyRequest.contact_id == contact_id)
        .order_by(PrivacyRequest.id.desc())
    )
    return list(rows)
