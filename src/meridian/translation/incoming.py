"""Customers' messages in the agents' language, beside the untouched original.

The vault's ``translation`` field of a message holds either a translation
``{"language", "body", "provider", "origin", "source_language"}`` or, when the provider
failed, a marker ``{"language", "error", "retry_at", "attempts"}`` the console shows
instead (``retry_at`` is null once Meridian stopped retrying by itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent, AgentTeam
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.events.service import publish
from meridian.languages.tags import primary_language
from meridian.messages.models import Message
from meridian.messages.schemas import MessageOut
from meridian.translation.engine import TranslationUnavailable, recall_many, same_language, translate_text
from meridian.translation.service import load_translation
from meridian.vault import service as vault


async def _speakers(session: AsyncSession, conversation: Conversation) -> list[list[str]]:
    """The spoken languages of whoever may answer: the assignee, else the team (or everyone)."""
    stmt = select(Agent.languages).where(
        Agent.workspace_id == conversation.workspace_id, Agent.deactivated_at.is_(None)
    )
    if conversation.assignee_id is not None:
        stmt = stmt.where(Agent.id == conversation.assignee_id)
    elif conversation.team_id is not None:
        stmt = stmt.join(AgentTeam, AgentTeam.agent_id == Agent.id).where(
            AgentTeam.team_id == conversation.team_id
        )
    return [list(languages) for languages in await session.scalars(stmt)]


async def needs_translation(session: AsyncSession, message: Message) -> bool:
    """Translate when nobody who may answer reads the message's language.

    Also without a provider: the translation memory may hold a person's translation of
    the same text (``translate_from_memory``).
    """
    if message.direction != "incoming" or message.language is None:
        return False
    config = await load_translation(session, workspace_id=message.workspace_id)
    if same_language(message.language, config.agent_language):
        return False
    conversation = await session.get(Conversation, message.conversation_id)
    if conversation is None:
        return False
    wanted = primary_language(message.language)
    for languages in await _speakers(session, conversation):
        if any(primary_language(tag) == wanted for tag in languages if tag):
            return False
    return True


async def _load(session: AsyncSession, message_id: uuid.UUID) -> tuple[Message, Conversation, Contact] | None:
    message = await session.get(Message, message_id)
    if message is None:
        return None
    conversation = await session.get(Conversation, message.conversation_id)
    contact = await session.get(Contact, message.contact_id)
    if conversation is None or contact is None or contact.erased_at is not None:
        return None
    return message, conversation, contact


async def store_translation(
    session: AsyncSession,
    message: Message,
    conversation: Conversation,
    contact: Contact,
    translation: dict[str, Any],
) -> None:
    await vault.set_message_translation(
        session, message_id=message.id, region=contact.region, translation=translation
    )
    await publish(
        session,
        workspace_id=message.workspace_id,
        type="message.updated",
        payload={
            "message_id": str(message.id),
            "conversation_id": str(message.conversation_id),
            "fields": ["translation"],
            "translation": translation,
        },
        **event_scope(conversation),
    )


async def current_translation(session: AsyncSession, message: Message, region: str) -> dict[str, Any] | None:
    content = (await vault.get_messages(session, [(message.id, region)])).get(message.id)
    return content.translation if content else None


async def translate_incoming(
    session: AsyncSession, *, message_id: uuid.UUID, http: httpx.AsyncClient | None = None
) -> bool:
    """Translate one incoming message into the agent language; False when there is nothing to do.

    Raises ``TranslationError`` / ``TranslationUnavailable``; the caller records the failure.
    """
    loaded = await _load(session, message_id)
    if loaded is None:
        return False
    message, conversation, contact = loaded
    existing = await current_translation(session, message, contact.region)
    if existing and existing.get("body"):
        # Already translated (or corrected by a person): running twice changes nothing.
        return False
    content = (await vault.get_messages(session, [(message.id, contact.region)])).get(message.id)
    if content is None or not content.body.strip():
        return False
    config = await load_translation(session, workspace_id=message.workspace_id)
    result = await translate_text(
        session,
        workspace_id=message.workspace_id,
        config=config,
        text=content.body,
        source=message.language,
        target=config.agent_language,
        contact_id=contact.id,
        region=contact.region,
        http=http,
    )
    translation = {
        "language": result.target,
        "body": result.text,
        "provider": result.provider,
        "origin": result.origin,
        "source_language": result.source,
    }
    await store_translation(session, message, conversation, contact, translation)
    return True


async def translate_from_memory(session: AsyncSession, *, message_id: uuid.UUID) -> bool:
    """Store the memory's translation of a message when a workspace has no provider.

    A miss is not a failure: the original is shown as it is without translation, and
    no error marker invites a retry that cannot succeed until a provider is set.
    """
    try:
        return await translate_incoming(session, message_id=message_id)
    except TranslationUnavailable:
        return False


async def record_failure(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    error: str,
    attempts: int,
    retry_at: datetime | None,
) -> None:
    loaded = await _load(session, message_id)
    if loaded is None:
        return
    message, conversation, contact = loaded
    config = await load_translation(session, workspace_id=message.workspace_id)
    marker = {
        "language": config.agent_language,
        "error": error,
        "attempts": attempts,
        "retry_at": retry_at.isoformat() if retry_at else None,
    }
    await store_translation(session, message, conversation, contact, marker)


async def for_reader(
    session: AsyncSession, *, workspace_id: uuid.UUID, agent_id: uuid.UUID, messages: Sequence[MessageOut]
) -> tuple[list[MessageOut], set[str]]:
    """The thread as one agent reads it, and the ids left untranslated for want of a provider.

    The background translation is skipped when someone who may answer reads the
    customer, but the agent looking may not: for the customer messages this reader
    cannot read and that have no translation, the memory's whole-text translation (a
    colleague's, typically) is shown. It is not stored: it is this reader's view.
    Nothing is asked of a provider while a page renders.
    """
    languages = await session.scalar(select(Agent.languages).where(Agent.id == agent_id))
    readable = {primary_language(tag) for tag in languages or [] if tag}
    config = await load_translation(session, workspace_id=workspace_id)
    unread = [
        index
        for index, m in enumerate(messages)
        if m.direction == "incoming"
        and m.language is not None
        and m.translation is None
        and m.withheld_region is None
        and m.body.strip()
        and primary_language(m.language) not in readable
        and not same_language(m.language, config.agent_language)
    ]
    found = await recall_many(
        session,
        workspace_id=workspace_id,
        items=[(messages[i].body, messages[i].language or "") for i in unread],
        target=config.agent_language,
    )
    shown = list(messages)
    untranslated: set[str] = set()
    for index, translated in zip(unread, found, strict=True):
        if translated is None:
            if config.provider is None:
                untranslated.add(messages[index].id)
            continue
        translation = {
            "language": translated.target,
            "body": translated.text,
            "provider": translated.provider,
            "origin": translated.origin,
            "source_language": translated.source,
        }
        shown[index] = messages[index].model_copy(update={"translation": translation})
    return shown, untranslated
