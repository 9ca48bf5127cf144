"""Reads and actions behind the visitor API, each scoped to one inbox and one visitor.

A visitor sees the incoming and outgoing messages of their own conversations in
that inbox and nothing else: no private notes, no agent ids, no other contacts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.routes import INLINE_TYPES
from meridian.attachments.service import FAILED, PENDING
from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage
from meridian.channels.ingest import IngestResult, ingest_message
from meridian.channels.webchat.schemas import VisitorAttachment, VisitorMessage, WidgetSettings
from meridian.contacts.models import Contact
from meridian.contacts.service import find_by_identity, identity_kind_for_channel, resolve_contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound
from meridian.core.schemas import LanguageTag
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.consent import record_consent
from meridian.vault import service as vault

CHANNEL = "webchat"
VISIBLE_DIRECTIONS = ("incoming", "outgoing")
THREAD_LIMIT = 200
_LANGUAGE = TypeAdapter(LanguageTag)


def known_locale(value: str | None) -> str | None:
    """A browser's language as a tag we understand, or None: never a reason to refuse."""
    if not value:
        return None
    try:
        return _LANGUAGE.validate_python(value)
    except ValidationError:
        return None


async def webchat_inbox(session: AsyncSession, inbox_id: uuid.UUID) -> Inbox:
    inbox = await session.scalar(select(Inbox).where(Inbox.id == inbox_id, Inbox.channel == CHANNEL))
    if inbox is None:
        raise NotFound("inbox")
    return inbox


def widget_settings(inbox: Inbox) -> WidgetSettings:
    config = inbox.config
    return WidgetSettings(
        greeting=config.get("greeting"),
        theme_color=config.get("theme_color"),
        prechat_form=bool(config.get("prechat_form", False)),
        reply_time=config.get("reply_time"),
    )


async def find_visitor(session: AsyncSession, *, inbox: Inbox, visitor_id: str) -> Contact | None:
    return await find_by_identity(
        session,
        workspace_id=inbox.workspace_id,
        kind=identity_kind_for_channel(CHANNEL),
        identifier=visitor_id,
    )


async def save_prechat(
    session: AsyncSession,
    *,
    inbox: Inbox,
    visitor_id: str,
    name: str | None,
    email: str | None,
    consent: bool | None,
    locale: str | None,
) -> None:
    """Keep the pre-chat answers on the contact now, so agents see them with the first message."""
    contact, created = await resolve_contact(
        session,
        workspace_id=inbox.workspace_id,
        kind=identity_kind_for_channel(CHANNEL),
        identifier=visitor_id,
        name=name,
        email=email,
        locale=locale,
    )
    if not created:
        changes: dict[str, object] = {k: v for k, v in (("name", name), ("email", email)) if v}
        await vault.update_contact(session, contact_id=contact.id, region=contact.region, changes=changes)
        contact.locale = contact.locale or locale
    if consent is not None:
        # The pre-chat checkbox is the visitor's agreement to have this support chat
        # processed; it becomes a consent record like any other capture point, so the
        # privacy register and exports show it with its time and source.
        await record_consent(
            session,
            workspace_id=inbox.workspace_id,
            contact_id=contact.id,
            purpose="support",
            channel=CHANNEL,
            granted=consent,
            source=f"webchat_prechat:{inbox.id}",
        )


def external_id(visitor_id: str, client_message_id: str) -> str:
    # Namespaced per visitor: one visitor's client ids can never collide with another's.
    visitor = hashlib.sha256(visitor_id.encode()).hexdigest()[:20]
    return f"webchat:{visitor}:{client_message_id}"


async def receive(
    session: AsyncSession,
    *,
    inbox: Inbox,
    visitor_id: str,
    locale: str | None,
    body: str,
    client_message_id: str,
    attachments: Sequence[InboundAttachment] = (),
) -> IngestResult:
    content_type = "text"
    if attachments:
        content_type = "image" if attachments[0].content_type.startswith("image/") else "document"
    msg = InboundMessage(
        external_id=external_id(visitor_id, client_message_id),
        contact=InboundContact(identifier=visitor_id, locale=locale),
        body=body,
        content_type=content_type,
        attachments=tuple(attachments),
        sent_at=utcnow(),
    )
    return await ingest_message(session, inbox=inbox, msg=msg)


async def conversation_ids(session: AsyncSession, *, inbox: Inbox, contact: Contact) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(Conversation.id).where(
            Conversation.inbox_id == inbox.id, Conversation.contact_id == contact.id
        )
    )
    return set(rows)


def _visitor_view(
    message: Message, body: str, sent_body: str | None, attachments: list[VisitorAttachment]
) -> VisitorMessage:
    client_id = None
    if message.direction == "incoming" and message.external_id:
        client_id = message.external_id.rpartition(":")[2]
    return VisitorMessage(
        id=str(message.id),
        direction="incoming" if message.direction == "incoming" else "outgoing",
        # A translated reply is read in the visitor's language, as sent.
        body=(sent_body or body) if message.direction == "outgoing" else body,
        created_at=message.created_at,
        client_message_id=client_id,
        attachments=attachments,
    )


def attachment_url(attachment_id: uuid.UUID) -> str:
    return f"/widget/api/attachments/{attachment_id}"


async def _attachments(
    session: AsyncSession, messages: Sequence[Message]
) -> dict[uuid.UUID, list[VisitorAttachment]]:
    out: dict[uuid.UUID, list[VisitorAttachment]] = {m.id: [] for m in messages}
    if not messages:
        return out
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.message_id.in_(list(out)))
        .order_by(Attachment.created_at, Attachment.id)
    )
    for a in rows:
        # A file still on its way from storage (or lost) is left out; a later
        # message.updated brings it.
        if a.storage_key.startswith((PENDING, FAILED)):
            continue
        content_type = a.content_type.split(";")[0].strip().lower()
        out[a.message_id].append(
            VisitorAttachment(
                id=str(a.id),
                filename=a.filename,
                content_type=content_type,
                size=a.size,
                url=attachment_url(a.id),
                inline=content_type in INLINE_TYPES,
            )
        )
    return out


async def _views(session: AsyncSession, messages: Sequence[Message], region: str) -> list[VisitorMessage]:
    contents = await vault.get_messages(session, [(m.id, region) for m in messages])
    files = await _attachments(session, messages)
    out = []
    for m in messages:
        content = contents.get(m.id, vault.EMPTY_MESSAGE)
        out.append(_visitor_view(m, content.body, content.sent_body, files[m.id]))
    return out


async def thread(session: AsyncSession, *, inbox: Inbox, contact: Contact) -> list[VisitorMessage]:
    conversations = select(Conversation.id).where(
        Conversation.inbox_id == inbox.id, Conversation.contact_id == contact.id
    )
    rows = list(
        await session.scalars(
            select(Message)
            .where(
                Message.conversation_id.in_(conversations),
                Message.direction.in_(VISIBLE_DIRECTIONS),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(THREAD_LIMIT)
        )
    )
    rows.reverse()
    return await _views(session, rows, contact.region)


async def visible_replies(
    session: AsyncSession, *, message_ids: Iterable[uuid.UUID], conversations: set[uuid.UUID], region: str
) -> list[VisitorMessage]:
    """Of these messages, the agent replies in the visitor's own conversations."""
    ids = list(message_ids)
    if not ids or not conversations:
        return []
    rows = list(
        await session.scalars(
            select(Message)
            .where(
                Message.id.in_(ids),
                Message.direction == "outgoing",
                Message.conversation_id.in_(conversations),
            )
            .order_by(Message.created_at, Message.id)
        )
    )
    return await _views(session, rows, region)


async def publish_typing(session: AsyncSession, *, inbox: Inbox, contact: Contact, typing: bool) -> bool:
    """Tell agents the visitor is typing in their open conversation; False when there is none."""
    conversation = await session.scalar(
        select(Conversation)
        .where(
            Conversation.inbox_id == inbox.id,
            Conversation.contact_id == contact.id,
            Conversation.status != "resolved",
        )
        .order_by(Conversation.last_activity_at.desc())
        .limit(1)
    )
    if conversation is None:
        return False
    await publish(
        session,
        workspace_id=inbox.workspace_id,
        type="conversation.typing",
        payload={"conversation_id": str(conversation.id), "actor": "contact", "typing": typing},
        **event_scope(conversation),
    )
    return True
