"""IMAP polling jobs: every minute, one job per email inbox that has IMAP settings."""

from __future__ import annotations

import logging
import uuid

from procrastinate.exceptions import AlreadyEnqueued

from meridian.channels.email.polling import imap_inbox_ids, poll_inbox
from meridian.db.engine import get_database
from meridian.jobs.app import job_app

log = logging.getLogger(__name__)


def poll_lock(inbox_id: uuid.UUID | str) -> str:
    """Both the running lock (one poller per mailbox) and the queueing lock (one
    waiting poll per mailbox, however often it is asked for)."""
    return f"email-poll:{inbox_id}"


@job_app.task(name="meridian.email.poll_inbox", queue="email")
async def poll_email_inbox(inbox_id: str) -> dict[str, object]:
    """Poll one mailbox. Failures are recorded in the inbox's status with a backoff
    (not raised: the next minute's job is the retry)."""
    result = await poll_inbox(get_database(), inbox_id=uuid.UUID(inbox_id))
    return {"fetched": result.fetched, "created": result.created, "error": result.error}


async def queue_poll(inbox_id: uuid.UUID | str) -> bool:
    """Queue one poll of the mailbox unless one is already waiting (True when queued)."""
    lock = poll_lock(inbox_id)
    try:
        await poll_email_inbox.configure(lock=lock, queueing_lock=lock).defer_async(inbox_id=str(inbox_id))
    except AlreadyEnqueued:
        return False  # the waiting one will do
    return True


@job_app.periodic(cron="* * * * *", periodic_id="email-poll")
@job_app.task(name="meridian.email.poll_all", queue="email")
async def poll_email_inboxes(timestamp: int) -> int:
    """Queue a poll for every IMAP inbox; returns how many were queued."""
    queued = 0
    for inbox_id in await imap_inbox_ids(get_database()):
        queued += await queue_poll(inbox_id)
    return queued
