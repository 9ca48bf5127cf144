"""Reads the console needs beyond the REST services: views, inbox filters and their counts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, false, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.conversations.models import PRIORITIES, Conversation
from meridian.conversations.service import SORTS, ConversationFilter, filter_clauses
from meridian.core.ids import parse_id
from meridian.inboxes.models import CHANNELS, Inbox
from meridian.teams.models import Team

VIEWS = ("mine", "unassigned", "teams", "all")
STATUSES = ("open", "pending", "snoozed", "resolved")
SLA_STATES = ("ok", "warning", "breached")
FILTER_FIELDS = ("status", "channel", "inbox", "team", "language", "priority", "tag", "sla")


def views_for(principal: Principal) -> tuple[str, ...]:
    # "All" is the supervisor's overview; agents work from their own, their teams' and the open queue.
    return VIEWS if principal.sees_all else ("mine", "unassigned", "teams")


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's view, filters and sort, read leniently from a query string or a saved view."""

    view: str = "mine"
    status: str = "open"  # "any" for no status filter
    channel: str = ""
    inbox: str = ""
    team: str = ""
    language: str = ""
    priority: str = ""
    tag: str = ""
    sla: str = ""
    sort: str = "activity"

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, view: str | None = None) -> InboxQuery:
        def get(name: str, default: str = "") -> str:
            return str(params.get(name) or default).strip()[:64]

        status = get("status", "open")
        return cls(
            view=view or get("view", "mine"),
            status=status if status in (*STATUSES, "any") else "open",
            channel=get("channel") if get("channel") in CHANNELS else "",
            inbox=get("inbox") if parse_id(get("inbox")) else "",
            team=get("team") if parse_id(get("team")) else "",
            language=get("language")[:35],
            priority=get("priority") if get("priority") in PRIORITIES else "",
            tag=get("tag"),
            sla=get("sla") if get("sla") in SLA_STATES else "",
            sort=get("sort", "activity") if get("sort") in SORTS else "activity",
        )

    def filters(self) -> dict[str, str]:
        """The filter fields only (what a saved view stores), without empty ones."""
        return {k: v for k, v in asdict(self).items() if k in FILTER_FIELDS and v}

    def with_view(self, view: str) -> InboxQuery:
        return replace(self, view=view)

    def query_string(self, **override: str) -> str:
        values = {k: v for k, v in asdict(self).items() if v} | override
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def is_filtered(self) -> bool:
        return any(v for k, v in self.filters().items() if k != "status") or self.status != "open"

    def conversation_filter(self, principal: Principal) -> ConversationFilter:
        base = ConversationFilter(
            status=self.status if self.status in STATUSES else None,
            channel=self.channel or None,
            inbox_id=parse_id(self.inbox) if self.inbox else None,
            team_id=parse_id(self.team) if self.team else None,
            language=self.language or None,
            priority=self.priority or None,
            tag=self.tag or None,
            sla_state=self.sla or None,
        )
        if self.view == "mine":
            return replace(base, assignee_id=principal.agent_id)
        if self.view == "unassigned":
            return replace(base, unassigned=True)
        if self.view == "teams":
            return replace(base, team_ids=principal.team_ids)
        return base


# A view's count stops here (shown as "1,000+"): past it the exact size of a queue changes
# nothing for the reader, and counting every open conversation of a large workspace on each
# page view scanned tens of thousands of rows (229 ms at 1M conversations, 44k of them open).
COUNT_CAP = 1000


async def view_counts(session: AsyncSession, *, principal: Principal, query: InboxQuery) -> dict[str, int]:
    """How many conversations each of the principal's views holds under the same filters;
    a count above ``COUNT_CAP`` is ``COUNT_CAP + 1`` ("1,000+").

    One pass over at most ``COUNT_CAP + 1`` visible rows counts every view exactly when
    they all fit (an agent's views, a filtered list); only when they do not does each view
    get its own capped count, each stopping at the cap through its own index."""
    clauses = await filter_clauses(
        session, principal=principal, filters=query.with_view("all").conversation_filter(principal)
    )

    def conditions(assignee: Any, team: Any) -> dict[str, ColumnElement[bool]]:
        return {
            "mine": assignee == principal.agent_id,
            "unassigned": assignee.is_(None),
            "teams": team.in_(principal.team_ids) if principal.team_ids else false(),
            "all": true(),
        }

    views = views_for(principal)
    visible = (
        select(Conversation.assignee_id, Conversation.team_id).where(*clauses).limit(COUNT_CAP + 1).subquery()
    )
    within = conditions(visible.c.assignee_id, visible.c.team_id)
    row = (
        await session.execute(
            select(
                func.count().label("visible"),
                *[func.count().filter(within[view]).label(view) for view in views],
            ).select_from(visible)
        )
    ).one()
    counts = {view: int(row._mapping[view]) for view in views}
    if row.visible <= COUNT_CAP:
        return counts
    # More than the cap are visible ("all" is full): every other view is counted on its own.
    each = conditions(Conversation.assignee_id, Conversation.team_id)
    partial = [view for view in views if view != "all"]
    row = (
        await session.execute(
            select(
                *[
                    select(func.count())
                    .select_from(
                        select(literal(1)).where(*clauses, each[view]).limit(COUNT_CAP + 1).subquery()
                    )
                    .scalar_subquery()
                    .label(view)
                    for view in partial
                ]
            )
        )
    ).one()
    return counts | {view: int(row._mapping[view]) for view in partial}


async def agent_names(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, str]:
    rows = await session.execute(select(Agent.id, Agent.name).where(Agent.workspace_id == workspace_id))
    return {str(agent_id): name for agent_id, name in rows}


async def filter_options(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, Any]:
    """What the filter form offers: the workspace's inboxes and teams."""
    inboxes = (
        await session.execute(
            select(Inbox.id, Inbox.name, Inbox.channel)
            .where(Inbox.workspace_id == workspace_id)
            .order_by(Inbox.name)
        )
    ).all()
    teams = (
        await session.execute(
            select(Team.id, Team.name).where(Team.workspace_id == workspace_id).order_by(Team.name)
        )
    ).all()
    return {
        "inboxes": [{"id": str(i), "name": n, "channel": ch} for i, n, ch in inboxes],
        "teams": [{"id": str(i), "name": n} for i, n in teams],
        "channels": CHANNELS,
        "priorities": PRIORITIES,
        "sla_states": SLA_STATES,
    }


async def active_agents(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[dict[str, str]]:
    rows = await session.execute(
        select(Agent.id, Agent.name)
        .where(Agent.workspace_id == workspace_id, Agent.deactivated_at.is_(None))
        .order_by(Agent.name)
    )
    return [{"id": str(i), "name": n} for i, n in rows]
