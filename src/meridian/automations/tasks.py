"""Every minute: "time since" rules look at the conversations whose time is up."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.conditions import build_context, evaluate
from meridian.automations.models import Automation, AutomationEpisode
from meridian.automations.schemas import TIME_SINCE, Conditions
from meridian.automations.service import apply_rule
from meridian.automations.timing import claim_episode, since_column, timing_payload
from meridian.conversations.locks import lock_conversation
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.core.clock import utcnow
from meridian.db.engine import Database, get_database
from meridian.events.service import publish
from meridian.jobs.app import job_app

log = logging.getLogger(__name__)


async def _due(
    session: AsyncSession,
    rule_id: uuid.UUID,
    workspace_id: uuid.UUID,
    c: Conditions,
    at: datetime,
    limit: int,
) -> list[uuid.UUID]:
    """Conversations whose clock started at least ``after_minutes`` of calendar time ago
    and that the rule has not looked at since (business time is never more than
    calendar time, so this also finds every business-time candidate)."""
    assert c.since is not None and c.after_minutes is not None
    since = since_column(c.since)
    # Resolved work is left alone unless the rule's status condition names it:
    # otherwise every pass would walk the whole history of a workspace. Every other
    # condition is checked at the look itself.
    statuses = ["open", "pending", "snoozed", *(["resolved"] if c.status and "resolved" in c.status else [])]
    rows = await session.scalars(
        select(Conversation.id)
        .outerjoin(
            AutomationEpisode,
            and_(
                AutomationEpisode.automation_id == rule_id,
                AutomationEpisode.conversation_id == Conversation.id,
            ),
        )
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.status.in_(statuses),
            since.is_not(None),
            since <= at - timedelta(minutes=c.after_minutes),
            # Not looked at since this moment (no row, or a row of an earlier episode).
            AutomationEpisode.since_at.is_distinct_from(since),
        )
        .order_by(since)
        .limit(limit)
    )
    return list(rows)


async def look(
    session: AsyncSession, *, rule_id: uuid.UUID, conversation_id: uuid.UUID, at: datetime
) -> bool:
    """The rule's one look at this conversation's episode; True when it ran its actions.

    Runs in the caller's transaction; the caller commits.
    """
    # Contact, then conversation: the one lock order (conversations/locks.py).
    conversation = await lock_conversation(session, conversation_id)
    rule = await session.get(Automation, rule_id)
    if conversation is None or rule is None or not rule.enabled or rule.event != TIME_SINCE:
        return False
    conditions = Conditions.model_validate(rule.conditions)
    ctx = await build_context(session, conversation, event=TIME_SINCE, payload={}, at=at)
    ctx.payload = await timing_payload(
        session, conversation=conversation, team=ctx.team, conditions=conditions, at=at
    )
    since_at, elapsed = ctx.payload.get("since_at"), ctx.payload.get("elapsed_minutes")
    if not isinstance(since_at, str) or not isinstance(elapsed, int | float):
        return False
    if elapsed < (conditions.after_minutes or 0):
        return False  # business time still running: looked at again by a later pass
    matched = all(r.passed for r in evaluate(conditions, ctx))
    claimed = await claim_episode(
        session,
        workspace_id=conversation.workspace_id,
        automation_id=rule.id,
        conversation_id=conversation.id,
        since_at=datetime.fromisoformat(since_at),
        at=at,
        matched=matched,
    )
    if not claimed or not matched:
        return False
    performed = await apply_rule(session, ctx=ctx, rule=rule)
    # The conversation's activity: which rule ran, counted from when, and what it did.
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="automation.fired",
        payload={
            "conversation_id": str(conversation.id),
            "automation_id": str(rule.id),
            "name": rule.name,
            "event": TIME_SINCE,
            **ctx.payload,
            "actions": performed,
        },
        **event_scope(conversation),
    )
    return True


async def time_since_pass(db: Database, *, at: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """One pass over every enabled "time since" rule, one transaction per conversation
    so a slow rule never holds other conversations' locks."""
    at = at or utcnow()
    async with db.session() as session:
        rules = [
            (rule.id, rule.workspace_id, Conditions.model_validate(rule.conditions))
            for rule in await session.scalars(
                select(Automation)
                .where(Automation.event == TIME_SINCE, Automation.enabled.is_(True))
                .order_by(Automation.position, Automation.created_at, Automation.id)
            )
        ]
    looked = fired = 0
    for rule_id, workspace_id, conditions in rules:
        if conditions.since is None or conditions.after_minutes is None:
            continue  # saved before the rule was valid; the API refuses such rules
        async with db.session() as session:
            due = await _due(session, rule_id, workspace_id, conditions, at, limit)
        for conversation_id in due:
            async with db.session() as session:
                fired += await look(session, rule_id=rule_id, conversation_id=conversation_id, at=at)
                await session.commit()
            looked += 1
    return {"looked": looked, "fired": fired}


@job_app.periodic(cron="* * * * *", periodic_id="automations-time-since")
@job_app.task(name="meridian.automations_time_since", queue="automations")
async def time_since_job(timestamp: int) -> None:
    counts = await time_since_pass(get_database())
    if counts["fired"]:
        log.info("time since rules fired", extra=counts)
