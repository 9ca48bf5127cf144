"""Poll a mailbox as soon as its inbox is created or its settings change, rather
than at the next minute, so an admin sees at once whether the settings work."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.email.polling import reset_backoff
from meridian.channels.email.tasks import poll_email_inbox, poll_lock
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.inboxes.models import Inbox
from meridian.jobs.defer import defer_in_transaction


@subscriber("email.poll_on_change", "inbox.created", "inbox.updated")
async def poll_after_change(session: AsyncSession, event: DomainEvent) -> None:
    if event.payload.get("channel", "email") != "email":
        return
    inbox = await session.get(Inbox, uuid.UUID(str(event.payload["inbox_id"])), with_for_update=True)
    if inbox is None or inbox.channel != "email" or not inbox.config.get("imap_host"):
        return
    reset_backoff(inbox)
    lock = poll_lock(inbox.id)
    await defer_in_transaction(
        session, poll_email_inbox, lock=lock, queueing_lock=lock, inbox_id=str(inbox.id)
    )
