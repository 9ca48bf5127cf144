"""Reads the console needs beyond the REST services: view definitions and their counts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.conversations.models import Conversation
from meridian.conversations.service import ConversationFilter, visible_to

VIEWS = ("mine", "unassigned", "all")
STATUSES = ("open", "pending", "snoozed", "resolved")


def views_for(principal: Principal) -> tuple[str, ...]:
    # "All" is the supervisor's overview; agents work from their own and the open queue.
    return VIEWS if principal.sees_all else ("mine", "unassigned")


def view_filter(principal: Principal, view: str, status: str | None) -> ConversationFilter:
    if view == "mine":
        return ConversationFilter(status=status, assignee_id=principal.agent_id)
    if view == "unassigned":
        return ConversationFilter(status=status, unassigned=True)
    return ConversationFilter(status=status)


async def view_counts(session: AsyncSession, *, principal: Principal, status: str | None) -> dict[str, int]:
    """How many conversations each of the principal's views holds, in one query."""
    mine = func.count().filter(Conversation.assignee_id == principal.agent_id)
    unassigned = func.count().filter(Conversation.assignee_id.is_(None))
    stmt = select(mine, unassigned, func.count()).where(visible_to(principal))
    if status:
        stmt = stmt.where(Conversation.status == status)
    row = (await session.execute(stmt)).one()
    counts = {"mine": int(row[0]), "unassigned": int(row[1]), "all": int(row[2])}
    return {view: counts[view] for view in views_for(principal)}


async def agent_names(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, str]:
    rows = await session.execute(select(Agent.id, Agent.name).where(Agent.workspace_id == workspace_id))
    return {str(agent_id): name for agent_id, name in rows}
