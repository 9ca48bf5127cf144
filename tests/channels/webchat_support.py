"""Shared by the web chat tests: small real files, and a file on an agent's reply."""

from __future__ import annotations

import struct
import uuid
import zlib

from meridian.attachments.models import Attachment
from meridian.attachments.storage import digest
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.events.service import publish
from meridian.messages.models import Message
from meridian.vault.files import put_attachment
from tests.factories import Factory


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG (red pixels), so browsers really decode the previews."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


async def attach_to_message(
    factory: Factory, message_id: str, *, filename: str, content_type: str, data: bytes
) -> str:
    """Store a file on an existing message the way the product stores files (sealed with
    the contact's key, an ``attachments`` row) and announce it with ``message.updated``,
    as an agent's reply with a file does."""
    async with factory.db.session() as session:
        message = await session.get(Message, uuid.UUID(message_id))
        assert message is not None
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = await session.get(Contact, conversation.contact_id)
        assert contact is not None
        key = await put_attachment(
            session,
            workspace_id=message.workspace_id,
            contact_id=contact.id,
            region=contact.region,
            data=data,
        )
        row = Attachment(
            workspace_id=message.workspace_id,
            message_id=message.id,
            contact_id=contact.id,
            region=contact.region,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=digest(data),
            storage_key=key,
        )
        session.add(row)
        await session.flush()
        await publish(
            session,
            workspace_id=message.workspace_id,
            type="message.updated",
            payload={
                "message_id": str(message.id),
                "conversation_id": str(conversation.id),
                "fields": ["attachments"],
            },
            **event_scope(conversation),
        )
        await session.commit()
        return str(row.id)
