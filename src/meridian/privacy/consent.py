"""Consent records and their enforcement.

Rules:

* ``marketing`` and ``proactive`` messages need an explicit grant; without one
  ``require_consent`` refuses. Call it wherever Meridian starts a conversation the
  customer did not ask for: campaigns, proactive notifications, bot outreach,
  re-engagement templates (WhatsApp marketing templates in particular).
* ``support`` is the customer's own request (answering it is the contract); it is
  allowed unless the customer objected (an explicit revocation). Replies in a
  conversation the customer opened, and routing's "we'll answer by" notice, are
  support, not marketing: they do not call ``require_consent``.
* The latest record that matches the channel, or covers every channel, decides.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.contacts.service import get_contact
from meridian.core.clock import utcnow
from meridian.core.errors import ProblemError
from meridian.privacy.models import Consent

NEEDS_GRANT = frozenset({"marketing", "proactive"})


class ConsentRequired(ProblemError):
    def __init__(self, purpose: str, channel: str | None) -> None:
        where = f" on {channel}" if channel else ""
        super().__init__(
            409,
            f"the contact has not consented to {purpose} messages{where}",
            title="Consent required",
            code="consent_required",
        )
        self.purpose = purpose
        self.channel = channel


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    channel: str | None
    granted: bool
    source: str
    recorded_at: datetime


async def record_consent(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    contact_id: uuid.UUID,
    purpose: str,
    channel: str | None,
    granted: bool,
    source: str,
    recorded_by_id: uuid.UUID | None = None,
) -> Consent:
    """Append a grant or revocation in the caller's transaction (the caller commits).

    Capture points call this: the web chat pre-chat form, email opt-in links, WhatsApp
    opt-in, an agent recording a phone call's answer.
    """
    row = Consent(
        workspace_id=workspace_id,
        contact_id=contact_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        recorded_by_id=recorded_by_id,
        recorded_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def _latest(
    session: AsyncSession, *, contact_id: uuid.UUID, purpose: str, channel: str | None
) -> Consent | None:
    covers = (
        Consent.channel.is_(None)
        if channel is None
        else or_(Consent.channel == channel, Consent.channel.is_(None))
    )
    return await session.scalar(
        select(Consent)
        .where(Consent.contact_id == contact_id, Consent.purpose == purpose, covers)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )


async def has_consent(
    session: AsyncSession, *, contact_id: uuid.UUID, purpose: str, channel: str | None
) -> bool:
    latest = await _latest(session, contact_id=contact_id, purpose=purpose, channel=channel)
    if latest is None:
        return purpose not in NEEDS_GRANT
    return latest.granted


async def require_consent(
    session: AsyncSession, *, contact_id: uuid.UUID, purpose: str, channel: str | None
) -> None:
    """Raise ``ConsentRequired`` (409) unless a message for ``purpose`` may be sent."""
    if not await has_consent(session, contact_id=contact_id, purpose=purpose, channel=channel):
        raise ConsentRequired(purpose, channel)


async def consent_history(session: AsyncSession, *, contact_id: uuid.UUID) -> list[Consent]:
    return list(
        await session.scalars(
            select(Consent).where(Consent.contact_id == contact_id).order_by(Consent.recorded_at, Consent.id)
        )
    )


def current_state(history: list[Consent]) -> list[ConsentState]:
    """The record in force per (purpose, channel), from a history in time order."""
    latest: dict[tuple[str, str | None], Consent] = {}
    for row in history:
        latest[(row.purpose, row.channel)] = row
    return [
        ConsentState(r.purpose, r.channel, r.granted, r.source, r.recorded_at)
        for (_, _), r in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


async def add_consent(
    *,
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    purpose: str,
    channel: str | None,
    granted: bool,
    source: str,
) -> Consent:
    """The API action: record a grant or revocation for a contact of the caller's workspace."""
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    if contact.erased_at is not None:
        raise ProblemError(409, "this contact was erased")
    row = await record_consent(
        session,
        workspace_id=principal.workspace_id,
        contact_id=contact.id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        recorded_by_id=principal.agent_id,
    )
    await session.commit()
    return row
