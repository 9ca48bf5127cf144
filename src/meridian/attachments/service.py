"""Attachments: serving their bytes to the people who may see the conversation, and
fetching the ones a channel only announced (a vendor media id or URL).

A vendor webhook is acknowledged as soon as the message row is committed; the file
itself is downloaded afterwards by ``fetch_attachment`` (see ``tasks.py``). Until then
the row's ``storage_key`` is ``pending:<media ref>``; a download that can never work
turns it into ``failed:<media ref>``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.storage import digest
from meridian.auth.service import Principal
from meridian.channels.base import DeliveryError, MediaFetcher
from meridian.channels.registry import get_adapter
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope, get_visible
from meridian.core.errors import NotFound, ProblemError
from meridian.db.engine import Database
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config
from meridian.messages.models import Message
from meridian.vault import files
from meridian.vault.keys import ContactErased

log = logging.getLogger(__name__)

PENDING = "pending:"
FAILED = "failed:"


@dataclass(frozen=True)
class AttachmentFile:
    attachment: Attachment
    data: bytes


async def read_attachment(
    session: AsyncSession, *, principal: Principal, attachment_id: uuid.UUID
) -> AttachmentFile:
    """The bytes, for someone who may see the attachment's conversation."""
    row = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.workspace_id == principal.workspace_id
        )
    )
    if row is None:
        raise NotFound("attachment")
    message = await session.get(Message, row.message_id)
    if message is None:
        raise NotFound("attachment")
    try:
        await get_visible(session, principal=principal, conversation_id=message.conversation_id)
    except NotFound:
        raise NotFound("attachment") from None
    if row.storage_key.startswith(PENDING):
        raise ProblemError(
            409,
            "this file is still being downloaded from the channel; try again shortly",
            headers={"Retry-After": "5"},
        )
    if row.storage_key.startswith(FAILED):
        raise ProblemError(410, "the channel no longer provides this file", title="Gone")
    data = await files.get_attachment(
        session, contact_id=row.contact_id, region=row.region, storage_key=row.storage_key
    )
    if data is None:
        raise ProblemError(410, "this file was erased or deleted from storage", title="Gone")
    return AttachmentFile(row, data)


async def read_linked_attachment(session: AsyncSession, *, attachment_id: uuid.UUID) -> AttachmentFile:
    """The bytes behind a signed vendor link (``links.py``): outgoing files only, since
    links are only ever made for what we send."""
    row = await session.get(Attachment, attachment_id)
    message = await session.get(Message, row.message_id) if row is not None else None
    if row is None or message is None or message.direction != "outgoing":
        raise NotFound("attachment")
    data = await files.get_attachment(
        session, contact_id=row.contact_id, region=row.region, storage_key=row.storage_key
    )
    if data is None:
        raise ProblemError(410, "this file was erased or deleted from storage", title="Gone")
    return AttachmentFile(row, data)


async def pending_attachment_ids(session: AsyncSession, *, message_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Attachment.id).where(
                Attachment.message_id == message_id, Attachment.storage_key.startswith(PENDING)
            )
        )
    )


async def fetch_attachment(
    db: Database, *, attachment_id: uuid.UUID, http: httpx.AsyncClient, last_attempt: bool
) -> str:
    """Download one pending attachment through its channel and store it.

    Returns what happened ("stored", "failed", "skipped"). A transient vendor error is
    raised for the job to retry, except on the ``last_attempt``, which gives up and
    marks the file failed. No transaction is open during the download.
    """
    async with db.session() as session:
        row = await session.get(Attachment, attachment_id)
        if row is None or not row.storage_key.startswith(PENDING):
            return "skipped"
        media_ref = row.storage_key.removeprefix(PENDING)
        inbox = await session.scalar(
            select(Inbox).join(Message, Message.inbox_id == Inbox.id).where(Message.id == row.message_id)
        )
        if inbox is None:
            return "skipped"
        adapter = get_adapter(inbox.channel)
        config = channel_config(inbox)
    if not isinstance(adapter, MediaFetcher):
        return await _finish(db, attachment_id, None, f"the {inbox.channel} channel cannot fetch media")
    try:
        data, content_type = await adapter.fetch_media(config, media_ref, http)
    except httpx.HTTPError as exc:
        error = DeliveryError(f"{type(exc).__name__}: {exc}")
    except DeliveryError as exc:
        error = exc
    else:
        return await _finish(db, attachment_id, (data, content_type), None)
    if error.permanent or last_attempt:
        return await _finish(db, attachment_id, None, str(error))
    raise error


async def _finish(
    db: Database,
    attachment_id: uuid.UUID,
    fetched: tuple[bytes, str] | None,
    error: str | None,
) -> str:
    async with db.session() as session:
        row = await session.get(Attachment, attachment_id, with_for_update=True)
        if row is None or not row.storage_key.startswith(PENDING):
            # Another run finished first (a retried job after a lost worker).
            return "skipped"
        ref = row.storage_key.removeprefix(PENDING)
        if fetched is not None:
            data, content_type = fetched
            try:
                # Sealed with the contact's data key, like every stored attachment.
                key = await files.put_attachment(
                    session,
                    workspace_id=row.workspace_id,
                    contact_id=row.contact_id,
                    region=row.region,
                    data=data,
                )
            except ContactErased:
                fetched, error = None, "the contact was erased"
            else:
                row.storage_key, row.size, row.sha256 = key, len(data), digest(data)
                # The webhook's type is often a guess ("image", "file"); the file server knows.
                if content_type and content_type != "application/octet-stream":
                    row.content_type = content_type[:127]
        if fetched is None:
            log.warning("attachment fetch failed", extra={"attachment_id": str(row.id), "error": error})
            row.storage_key = (FAILED + ref)[:500]
        message = await session.get(Message, row.message_id)
        conversation = await session.get(Conversation, message.conversation_id) if message else None
        if message is not None and conversation is not None:
            await publish(
                session,
                workspace_id=row.workspace_id,
                type="message.updated",
                payload={
                    "message_id": str(message.id),
                    "conversation_id": str(conversation.id),
                    "fields": ["attachments"],
                },
                **event_scope(conversation),
            )
        await session.commit()
    return "stored" if fetched is not None else "failed"
