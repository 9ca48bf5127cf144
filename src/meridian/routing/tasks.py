"""Every minute: auto-away, follow-the-sun handoffs, and queues drained as teams open."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select

from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import Database, get_database
from meridian.jobs.app import job_app
from meridian.routing.handoff import hand_off_closed_teams
from meridian.routing.presence import auto_away
from meridian.routing.service import drain_queue

log = logging.getLogger(__name__)


async def routing_pass(db: Database, *, at: datetime | None = None) -> dict[str, int]:
    """One pass; each step commits on its own so a slow step never holds the others' locks."""
    at = at or utcnow()
    async with db.session() as session:
        away = await auto_away(session, at=at)
        await session.commit()
    async with db.session() as session:
        handed = await hand_off_closed_teams(session=session, at=at)
        await session.commit()
    assigned = 0
    async with db.session() as session:
        workspaces: list[uuid.UUID] = list(
            await session.scalars(
                select(Conversation.workspace_id)
                .where(Conversation.status == "open", Conversation.assignee_id.is_(None))
                .distinct()
            )
        )
    for workspace_id in workspaces:
        async with db.session() as session:
            assigned += await drain_queue(session=session, workspace_id=workspace_id, at=at)
            await session.commit()
    return {"away": away, "handed_off": handed, "assigned": assigned}


@job_app.periodic(cron="* * * * *", periodic_id="routing-pass")
@job_app.task(name="meridian.routing_pass", queue="routing")
async def routing_pass_job(timestamp: int) -> None:
    counts = await routing_pass(get_database())
    if any(counts.values()):
        log.info("routing pass", extra=counts)
