""" "Time since" rules: where a conversation's clock starts, how much time has passed,
and claiming an episode so a rule looks at it once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.models import AutomationEpisode, StatusChange
from meridian.automations.schemas import Conditions, Since
from meridian.conversations.models import Conversation
from meridian.messages.models import Message
from meridian.routing.directory import calendar_of
from meridian.teams.models import Team

SINCE_LABELS: dict[str, str] = {
    "created": "the conversation was created",
    "last_customer_message": "the customer's last message",
    "last_agent_message": "an agent's last reply",
    "status_change": "the last status change",
}


def _last_agent_reply() -> SQLColumnExpression[Any]:
    # A person's reply: bots, rule replies and notices are not an agent answering.
    return (
        select(func.max(Message.created_at))
        .where(
            Message.conversation_id == Conversation.id,
            Message.direction == "outgoing",
            Message.author_kind == "human",
        )
        .scalar_subquery()
    )


def since_column(since: Since) -> SQLColumnExpression[Any]:
    """The moment ``since`` names, as a column of a query over conversations."""
    if since == "created":
        return Conversation.created_at
    if since == "last_customer_message":
        return Conversation.last_incoming_at
    if since == "last_agent_message":
        return _last_agent_reply()
    changed = select(StatusChange.changed_at).where(StatusChange.conversation_id == Conversation.id)
    return func.coalesce(changed.scalar_subquery(), Conversation.created_at)


async def since_moment(session: AsyncSession, conversation: Conversation, since: Since) -> datetime | None:
    """When this conversation's clock started; None when the moment never happened
    (no agent reply yet, say)."""
    moment: datetime | None = await session.scalar(
        select(since_column(since)).where(Conversation.id == conversation.id)
    )
    return moment


def elapsed_minutes(team: Team | None, start: datetime, end: datetime) -> float:
    """Minutes from ``start`` to ``end``: of ``team``'s business time when given, else
    of calendar time (also when the conversation has no team)."""
    if end <= start:
        return 0.0
    if team is None:
        return (end - start).total_seconds() / 60
    return calendar_of(team).working_seconds_between(start, end) / 60


async def timing_payload(
    session: AsyncSession,
    *,
    conversation: Conversation,
    team: Team | None,
    conditions: Conditions,
    at: datetime,
) -> dict[str, Any]:
    """What a "time since" condition reads: the start of the clock and the time passed."""
    if conditions.since is None:
        return {}
    since_at = await since_moment(session, conversation, conditions.since)
    if since_at is None:
        return {"since": conditions.since}
    elapsed = elapsed_minutes(team if conditions.business_time else None, since_at, at)
    return {"since": conditions.since, "since_at": since_at.isoformat(), "elapsed_minutes": round(elapsed, 1)}


async def looked_at(
    session: AsyncSession, *, automation_id: uuid.UUID, conversation_id: uuid.UUID, since_at: datetime
) -> bool:
    """Whether the rule already looked at this conversation in this episode."""
    found = await session.scalar(
        select(AutomationEpisode.automation_id).where(
            AutomationEpisode.automation_id == automation_id,
            AutomationEpisode.conversation_id == conversation_id,
            AutomationEpisode.since_at == since_at,
        )
    )
    return found is not None


async def claim_episode(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    automation_id: uuid.UUID,
    conversation_id: uuid.UUID,
    since_at: datetime,
    at: datetime,
    matched: bool,
) -> bool:
    """Record the rule's look at this episode; False when another pass already did.

    The row moves only when ``since_at`` differs from the stored one, and the unique
    key makes a concurrent second insert wait for the first and then find nothing to
    do: exactly one caller gets the row back.
    """
    stmt = insert(AutomationEpisode).values(
        workspace_id=workspace_id,
        automation_id=automation_id,
        conversation_id=conversation_id,
        since_at=since_at,
        evaluated_at=at,
        matched=matched,
    )
    claim = stmt.on_conflict_do_update(
        index_elements=[AutomationEpisode.automation_id, AutomationEpisode.conversation_id],
        set_={"since_at": since_at, "evaluated_at": at, "matched": matched},
        where=AutomationEpisode.since_at != stmt.excluded.since_at,
    ).returning(AutomationEpisode.automation_id)
    return (await session.scalar(claim)) is not None


async def note_status_change(
    session: AsyncSession, *, conversation: Conversation, status: str, at: datetime
) -> None:
    """Remember when the status last changed (to a different value)."""
    stmt = insert(StatusChange).values(
        workspace_id=conversation.workspace_id, conversation_id=conversation.id, status=status, changed_at=at
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[StatusChange.conversation_id],
            set_={"status": status, "changed_at": at},
            # A repeated event for the same status (a retry) is not a new change.
            where=StatusChange.status != stmt.excluded.status,
        )
    )
