"""Analytics reacting to domain events: CSAT surveys and ratings, then the report log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics import csat
from meridian.analytics.record import EVENT_TYPES, record
from meridian.conversations.models import Conversation
from meridian.core.ids import parse_id
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent


# Registered before the recorder: a rating reply is known as such before it is recorded.
@subscriber("analytics.csat", "conversation.updated", "message.created")
async def survey_and_ratings(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if event.type == "conversation.updated" and payload.get("status") == "resolved":
        conversation_id = parse_id(str(payload.get("conversation_id") or ""))
        conversation = await session.get(Conversation, conversation_id) if conversation_id else None
        if conversation is not None and conversation.workspace_id == event.workspace_id:
            await csat.send_survey(session, conversation=conversation)
    elif (
        event.type == "message.created"
        and payload.get("direction") == "incoming"
        and payload.get("author_kind") == "customer"
    ):
        message_id = parse_id(str(payload.get("message_id") or ""))
        if message_id is not None:
            await csat.rating_reply(session, message_id=message_id)


@subscriber("analytics", *EVENT_TYPES)
async def record_for_reports(session: AsyncSession, event: DomainEvent) -> None:
    await record(session, event)
