"""@mentions in internal notes become notifications for the colleagues named."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.console.models import Notification
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.events.service import publish

LIST_LIMIT = 50


def mentioned(body: str, agents: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """Agents named as ``@Full Name`` (case-insensitive; longest names first, whole words)."""
    found: set[uuid.UUID] = set()
    text = body.casefold()
    for agent_id, name in sorted(agents, key=lambda a: -len(a[1])):
        pattern = r"(?<![\w@])@" + re.escape(name.casefold()) + r"(?!\w)"
        if name.strip() and re.search(pattern, text):
            found.add(agent_id)
            # "@Bo López" names Bo López, not also a colleague called Bo.
            text = re.sub(pattern, " ", text)
    return found


async def notify_mentions(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    body: str,
) -> list[uuid.UUID]:
    """Create a notification for each active colleague @mentioned in a note, with an event each. Commits."""
    agents = [
        (agent_id, name)
        for agent_id, name in await session.execute(
            select(Agent.id, Agent.name).where(
                Agent.workspace_id == principal.workspace_id, Agent.deactivated_at.is_(None)
            )
        )
    ]
    targets = sorted(mentioned(body, agents) - {principal.agent_id})
    for agent_id in targets:
        row = Notification(
            workspace_id=principal.workspace_id,
            agent_id=agent_id,
            kind="mention",
            conversation_id=conversation_id,
            message_id=message_id,
            author_id=principal.agent_id,
        )
        session.add(row)
        await session.flush()
        # assignee_id scopes the SSE event to the colleague named (and supervisors).
        await publish(
            session,
            workspace_id=principal.workspace_id,
            type="notification.created",
            payload={"notification_id": str(row.id), "agent_id": str(agent_id), "kind": "mention"},
            conversation_id=conversation_id,
            assignee_id=agent_id,
        )
    await session.commit()
    return targets


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    kind: str
    conversation_id: uuid.UUID
    conversation_number: int
    message_id: uuid.UUID | None
    author_name: str | None
    created_at: datetime
    read: bool


async def unread_count(session: AsyncSession, *, principal: Principal) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.workspace_id == principal.workspace_id,
            Notification.agent_id == principal.agent_id,
            Notification.read_at.is_(None),
        )
    )
    return int(count or 0)


async def list_notifications(session: AsyncSession, *, principal: Principal) -> list[NotificationView]:
    rows = await session.execute(
        select(Notification, Conversation.number, Agent.name)
        .join(Conversation, Conversation.id == Notification.conversation_id)
        .outerjoin(Agent, Agent.id == Notification.author_id)
        .where(
            Notification.workspace_id == principal.workspace_id, Notification.agent_id == principal.agent_id
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(LIST_LIMIT)
    )
    return [
        NotificationView(
            id=n.id,
            kind=n.kind,
            conversation_id=n.conversation_id,
            conversation_number=number,
            message_id=n.message_id,
            author_name=author,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n, number, author in rows
    ]


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> None:
    await session.execute(
        update(Notification)
        .where(
            Notification.workspace_id == principal.workspace_id,
            Notification.agent_id == principal.agent_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    await session.commit()
