"""What agents do with translations: preview a reply, correct a translation, retry one."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import get_visible
from meridian.core.errors import NotFound, ProblemError
from meridian.languages.tags import normalize_language_tag
from meridian.messages.models import Message
from meridian.messages.schemas import MessageOut
from meridian.messages.service import to_out_many
from meridian.translation import incoming, memory
from meridian.translation.outgoing import translate_reply
from meridian.translation.schemas import PreviewOut, SuggestionOut, TranslationCorrection
from meridian.translation.service import load_translation
from meridian.translation.tasks import defer_translation
from meridian.vault import service as vault


async def _visible_message(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID
) -> tuple[Message, Conversation, Contact]:
    message = await session.scalar(
        select(Message).where(Message.id == message_id, Message.workspace_id == principal.workspace_id)
    )
    if message is None:
        raise NotFound("message")
    try:
        conversation = await get_visible(
            session, principal=principal, conversation_id=message.conversation_id
        )
    except NotFound:
        raise NotFound("message") from None
    contact = await session.get(Contact, message.contact_id)
    assert contact is not None
    return message, conversation, contact


async def preview_reply(
    *, session: AsyncSession, principal: Principal, conversation_id: uuid.UUID, body: str
) -> PreviewOut:
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    result = await translate_reply(
        session, principal=principal, conversation=conversation, contact=contact, body=body
    )
    # The preview's machine output is cached in the memory: sending it unchanged reuses it.
    await session.commit()
    return PreviewOut(
        body=result.text,
        language=result.target,
        source_language=result.source or "",
        provider=result.provider,
        origin=result.origin,
    )


async def correct_translation(
    *, session: AsyncSession, principal: Principal, message_id: uuid.UUID, data: TranslationCorrection
) -> MessageOut:
    """A person's translation of a customer's message; it wins over the machine's next time."""
    message, conversation, contact = await _visible_message(session, principal, message_id)
    if message.direction != "incoming":
        raise ProblemError(
            422,
            "only a customer's message has a translation to correct; a reply's sent text is final",
        )
    if message.language is None:
        raise ProblemError(
            422, "the message's language is unknown, so its translation cannot be stored for reuse"
        )
    content = (await vault.get_messages(session, [(message.id, contact.region)])).get(message.id)
    if content is None or not content.body.strip():
        raise ProblemError(422, "the message has no text to translate")
    config = await load_translation(session, workspace_id=message.workspace_id)
    previous = content.translation or {}
    target = normalize_language_tag(data.language or previous.get("language") or config.agent_language)
    await memory.remember_human(
        session,
        workspace_id=message.workspace_id,
        source=message.language,
        target=target,
        source_text=content.body,
        target_text=data.body,
        contact_id=contact.id,
        region=contact.region,
        author_agent_id=principal.agent_id,
    )
    translation = {
        "language": target,
        "body": data.body,
        "provider": "human",
        "origin": "human",
        "source_language": message.language,
        "corrected_by": str(principal.agent_id),
    }
    await incoming.store_translation(session, message, conversation, contact, translation)
    await session.commit()
    return (await to_out_many(session, [message], contact.region))[0]


async def retry_translation(*, session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> None:
    """Translate a customer's message now (after a failure, or one that was not translated)."""
    message, _, contact = await _visible_message(session, principal, message_id)
    if message.direction != "incoming":
        raise ProblemError(422, "only customers' messages are translated for agents")
    config = await load_translation(session, workspace_id=message.workspace_id)
    existing = await incoming.current_translation(session, message, contact.region)
    if existing and existing.get("body"):
        raise ProblemError(409, "this message is already translated; correct it with PUT instead")
    if config.provider is None:
        # The memory may still know this text (a colleague translated it before).
        if not await incoming.translate_from_memory(session, message_id=message.id):
            raise ProblemError(422, "no translation provider is configured for this workspace")
    else:
        await defer_translation(session, message_id=message.id)
    await session.commit()


async def suggestions(
    session: AsyncSession, *, principal: Principal, text: str, source: str, target: str
) -> list[SuggestionOut]:
    matches = await memory.suggestions(
        session, workspace_id=principal.workspace_id, text=text, source=source, target=target
    )
    return [
        SuggestionOut(
            source_text=m.source_text,
            target_text=m.target_text,
            origin=m.origin,
            provider=m.provider,
            similarity=m.similarity,
        )
        for m in matches
    ]
