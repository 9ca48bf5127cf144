"""Messages in a conversation: reading them, and the agent's reply/note action."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.uploads import NewFile, check_files, store_files
from meridian.auth.service import Principal
from meridian.channels.registry import get_adapter
from meridian.channels.whatsapp import templates
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope, get_visible, visible_to
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.db.arrays import in_ids
from meridian.deliveries.service import enqueue_message_delivery
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.messages.schemas import AttachmentOut, MessageOut, ReplyCreate
from meridian.privacy.compliance import check_reply
from meridian.privacy.consent import require_consent
from meridian.privacy.redaction import mask_cards
from meridian.translation.outgoing import outgoing_text
from meridian.vault import regions
from meridian.vault import service as vault


def message_event_payload(message: Message, body: str | None = None) -> dict[str, Any]:
    """What travels in message.* events: metadata, plus the body for live views.

    With regional databases configured the body stays out: events live in the home
    database and reach every live subscriber, whatever their region grants; clients
    read the message through the API instead (docs/privacy.md, "Data residency").
    """
    if regions.regional():
        body = None
    return {
        "message_id": str(message.id),
        "conversation_id": str(message.conversation_id),
        "direction": message.direction,
        "author_kind": message.author_kind,
        "delivery_status": message.delivery_status,
        "language": message.language,
        "body": body,
        "created_at": message.created_at.isoformat() if message.created_at else utcnow().isoformat(),
    }


# What MessageOut shows of a message row: a long thread is read as plain rows (no ORM
# objects to build and track), see list_messages.
OUT_COLUMNS = (
    Message.id,
    Message.conversation_id,
    Message.direction,
    Message.author_kind,
    Message.author_agent_id,
    Message.content_type,
    Message.language,
    Message.language_confidence,
    Message.delivery_status,
    Message.delivery_error,
    Message.external_id,
    Message.created_at,
    Message.sent_at,
    Message.delivered_at,
    Message.read_at,
)


async def to_out_many(
    session: AsyncSession, messages: Sequence[Message] | Sequence[Row[*tuple[Any, ...]]], region: str
) -> list[MessageOut]:
    """``messages``: ORM messages, or rows of ``OUT_COLUMNS``."""
    contents = await vault.get_messages(session, [(m.id, region) for m in messages], source=False)
    attachments: dict[uuid.UUID, list[AttachmentOut]] = {m.id: [] for m in messages}
    if messages:
        for a in await session.scalars(select(Attachment).where(in_ids(Attachment.message_id, attachments))):
            attachments[a.message_id].append(
                AttachmentOut(
                    id=str(a.id),
                    filename=a.filename,
                    content_type=a.content_type,
                    size=a.size,
                    url=f"/api/v1/attachments/{a.id}",
                )
            )
    out = []
    for m in messages:
        c = contents.get(m.id, vault.EMPTY_MESSAGE)
        out.append(
            MessageOut(
                id=str(m.id),
                conversation_id=str(m.conversation_id),
                direction=m.direction,
                author_kind=m.author_kind,
                author_agent_id=str(m.author_agent_id) if m.author_agent_id else None,
                content_type=m.content_type,
                body=c.body,
                sent_body=c.sent_body,
                language=m.language,
                language_confidence=m.language_confidence,
                translation=c.translation,
                delivery_status=m.delivery_status,
                delivery_error=m.delivery_error,
                external_id=m.external_id,
                attachments=[] if c.withheld_region else attachments[m.id],
                withheld_region=c.withheld_region,
                created_at=m.created_at,
                sent_at=m.sent_at,
                delivered_at=m.delivered_at,
                read_at=m.read_at,
            )
        )
    return out


async def list_messages(
    session: AsyncSession, *, principal: Principal, conversation_id: uuid.UUID
) -> list[MessageOut]:
    # Visibility and the contact's region in one statement (the region says where the
    # content lives); the thread itself as plain rows.
    region = await session.scalar(
        select(Contact.region)
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(Conversation.id == conversation_id, visible_to(principal))
    )
    if region is None:
        raise NotFound("conversation")
    rows = (
        await session.execute(
            select(*OUT_COLUMNS)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.created_at, Message.id)
            .limit(5000)
        )
    ).all()
    return await to_out_many(session, rows, region)


def _window_error(
    inbox: Inbox, conversation: Conversation, template: object | None
) -> tuple[str, int] | None:
    """Why a free-form reply may not go out now, and the channel's window in hours."""
    try:
        window = get_adapter(inbox.channel).reply_window
    except LookupError:
        return None
    if window is None or template is not None:
        return None
    last = conversation.last_incoming_at
    if last is None or utcnow() - last > window:
        hours = int(window.total_seconds() // 3600)
        return (
            f"{inbox.channel} allows free-form replies only within {hours} hours of the customer's "
            "last message; send an approved template instead",
            hours,
        )
    return None


def _file_kind(item: NewFile) -> str:
    # The content types ingest gives vendors' media messages, so both directions read alike.
    major = item.content_type.split("/")[0]
    return "image" if major == "image" else major if major in ("audio", "video") else "document"


async def post_reply(
    *,
    session: AsyncSession,
    principal: Principal,
    conversation_id: uuid.UUID,
    data: ReplyCreate,
    files: Sequence[NewFile] = (),
) -> MessageOut:
    """An agent's reply (delivered through the conversation's channel) or private note.

    ``files`` are the console's multipart uploads; API clients send ``data.attachments``.
    Both meet the same limits before anything is written.
    """
    uploads = check_files([*files, *(NewFile(a.filename, a.content_type, a.data) for a in data.attachments)])
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    if contact.erased_at is not None and not data.private:
        raise ProblemError(409, "this contact was erased; replies cannot be sent", code="contact_erased")
    template: dict[str, Any] | None = None
    body = data.body
    if data.template is not None:
        template, rendered = await templates.resolve_for_send(
            session,
            inbox=inbox,
            contact_id=contact.id,
            name=data.template.name,
            language=data.template.language,
            variables=data.template.variables,
        )
        body = body or rendered
    if not data.private and data.purpose != "support":
        # A message the customer did not ask for: only with their consent on this channel.
        await require_consent(session, contact_id=contact.id, purpose=data.purpose, channel=inbox.channel)
    if not data.private:
        closed = _window_error(inbox, conversation, template)
        if closed:
            problem, hours = closed
            offer = None
            if inbox.channel == "whatsapp":
                # What may go out instead, in the customer's language.
                language = contact.locale or conversation.language
                offer = {
                    "templates": await templates.approved_in_language(
                        session, inbox_id=inbox.id, language=language
                    )
                }
            raise ProblemError(
                422,
                problem,
                title="Outside the reply window",
                extensions=offer,
                code="reply_window_closed",
                params={"hours": hours},
            )
        await check_reply(
            session,
            principal=principal,
            conversation_id=str(conversation.id),
            region=contact.region,
            texts=[body, *([data.sent_body] if data.sent_body else [])],
            override=data.override,
        )
    # Card numbers are masked in what is stored and therefore sent, as for inbound
    # messages (docs/privacy.md, "PII redaction"); the check above saw the original.
    body = mask_cards(body)
    outgoing = await outgoing_text(
        session,
        principal=principal,
        conversation=conversation,
        contact=contact,
        body=body,
        # A template goes out as Meta approved it, never machine-translated.
        translate=data.translate and template is None,
        sent_body=mask_cards(data.sent_body) if data.sent_body and template is None else None,
        private=data.private,
    )
    now = utcnow()
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        direction="note" if data.private else "outgoing",
        author_agent_id=principal.agent_id,
        author_kind="human",
        content_type="text" if body or not uploads else _file_kind(uploads[0]),
        language=outgoing.language,
        delivery_status="none" if data.private else "queued",
        meta={
            **({"template": template} if template else {}),
            **({"purpose": data.purpose} if data.purpose != "support" else {}),
        },
        created_at=now,
    )
    session.add(message)
    await session.flush()
    await vault.put_message(
        session,
        workspace_id=conversation.workspace_id,
        message_id=message.id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        region=contact.region,
        body=body,
        sent_body=outgoing.sent_body,
    )
    await store_files(
        session,
        workspace_id=conversation.workspace_id,
        message_id=message.id,
        contact_id=contact.id,
        region=contact.region,
        items=uploads,
    )
    if not data.private:
        await enqueue_message_delivery(session, message=message, inbox=inbox)
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        if conversation.status in ("pending", "snoozed", "resolved"):
            # Replying to a parked conversation is picking it up again.
            conversation.status = "open"
    conversation.last_activity_at = now
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="message.created",
        payload=message_event_payload(message, body),
        **event_scope(conversation),
    )
    await session.commit()
    return (await to_out_many(session, [message], contact.region))[0]
