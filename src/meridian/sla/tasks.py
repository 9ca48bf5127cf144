"""Every minute: warnings at 80% of a budget, and breaches, as events."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import Database, get_database
from meridian.jobs.app import job_app
from meridian.sla.models import SlaClock
from meridian.sla.tracker import Tracker

log = logging.getLogger(__name__)


async def check_due(db: Database, *, at: datetime | None = None, limit: int = 500) -> int:
    """Emit ``sla.warning`` / ``sla.breached`` for clocks whose moment has come."""
    at = at or utcnow()
    async with db.session() as session:
        due = list(
            await session.scalars(
                select(SlaClock.conversation_id)
                .where(SlaClock.next_check_at <= at)
                .order_by(SlaClock.next_check_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        checked = 0
        for conversation_id in due:
            # Subscribers lock the conversation before its clock; skipping a busy one
            # (instead of waiting) keeps the opposite order here from deadlocking.
            conversation = await session.scalar(
                select(Conversation)
                .where(Conversation.id == conversation_id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            if conversation is None:
                continue
            tracker = await Tracker.load(session, conversation)
            if tracker is None:
                continue
            await tracker.follow_team(at)
            await tracker.check(at)
            tracker.save()
            checked += 1
        await session.commit()
    return checked


@job_app.periodic(cron="* * * * *", periodic_id="sla-check")
@job_app.task(name="meridian.sla_check", queue="sla")
async def sla_check_job(timestamp: int) -> None:
    checked = await check_due(get_database())
    if checked:
        log.info("sla clocks checked", extra={"count": checked})
