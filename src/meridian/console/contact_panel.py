"""The contact panel beside a conversation: who the customer is, where, and what came before."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.contacts.service import to_out_many as contacts_out
from meridian.conversations.models import Conversation
from meridian.conversations.service import visible_to
from meridian.core.clock import utcnow
from meridian.inboxes.models import Inbox

HISTORY_LIMIT = 20


def contact_zone(timezone: str | None, country: str | None) -> ZoneInfo | None:
    """The contact's own time zone, else their country's when it has only one."""
    candidates = [timezone] if timezone else []
    if country:
        zones = get_global("territory_zones").get(country.upper(), [])
        if len(zones) == 1:
            candidates.append(zones[0])
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


async def contact_panel(
    session: AsyncSession, *, principal: Principal, conversation: Conversation
) -> dict[str, Any]:
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    (out,) = await contacts_out(session, [contact])
    history = (
        await session.execute(
            select(
                Conversation.id,
                Conversation.number,
                Conversation.status,
                Conversation.last_activity_at,
                Inbox.channel,
            )
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(
                Conversation.contact_id == contact.id,
                Conversation.id != conversation.id,
                visible_to(principal),
            )
            .order_by(Conversation.last_activity_at.desc())
            .limit(HISTORY_LIMIT)
        )
    ).all()
    zone = contact_zone(contact.timezone, contact.country)
    return {
        "panel_contact": out,
        "contact_zone": zone.key if zone else None,
        "contact_now": utcnow() if zone else None,
        "history": [
            {"id": str(i), "number": n, "status": s, "last_activity_at": at, "channel": ch}
            for i, n, s, at, ch in history
        ],
    }
