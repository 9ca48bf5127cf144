"""Start downloading announced media once the message that carries it is committed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.service import pending_attachment_ids
from meridian.attachments.tasks import fetch_attachment
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.jobs.defer import defer_in_transaction


@subscriber("attachments.fetch", "message.created")
async def fetch_announced_media(session: AsyncSession, event: DomainEvent) -> None:
    if event.payload.get("direction") != "incoming":
        return
    message_id = uuid.UUID(str(event.payload["message_id"]))
    for attachment_id in await pending_attachment_ids(session, message_id=message_id):
        # The job is deferred in this transaction: it exists exactly when the
        # subscriber's run is recorded, so a retried event never defers it twice.
        await defer_in_transaction(
            session, fetch_attachment, lock=f"attachment:{attachment_id}", attachment_id=str(attachment_id)
        )
