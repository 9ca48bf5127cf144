"""Turning a good agent reply into a draft article."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.conversations.service import get_visible
from meridian.core.errors import NotFound, ProblemError
from meridian.kb.schemas import ArticleCreate, ArticleOut, DraftFromMessage
from meridian.kb.service import create_article
from meridian.messages.models import Message
from meridian.vault import service as vault


async def draft_from_message(
    *, session: AsyncSession, principal: Principal, data: DraftFromMessage
) -> ArticleOut:
    message = await session.scalar(
        select(Message).where(Message.id == data.message_id, Message.workspace_id == principal.workspace_id)
    )
    if message is None:
        raise NotFound("message")
    # Visibility follows the conversation: an agent can only quote what they may read.
    conversation = await get_visible(session, principal=principal, conversation_id=message.conversation_id)
    if message.direction == "incoming":
        raise ProblemError(
            422,
            "message_id: only an agent's reply or note can become an article",
            errors=[{"pointer": "/message_id", "message": "an incoming message"}],
        )
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    content = (await vault.get_messages(session, [(message.id, contact.region)])).get(message.id)
    body = (content.sent_body or content.body) if content else ""
    locale = data.locale or (conversation.language if content and content.sent_body else None)
    return await create_article(
        session=session,
        principal=principal,
        data=ArticleCreate(
            title=data.title, body=body, locale=locale, category=data.category, status="draft"
        ),
    )
