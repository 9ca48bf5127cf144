"""Follow-the-sun: when a team closes, its work that cannot wait moves to an open team.

"Cannot wait" means high or urgent priority, or an SLA due before the closed team
opens again. The conversation moves only to an agent who can take it now (open
team, online, with capacity, language first as always); otherwise it stays and the
next run (every minute) tries again. The receiving agent finds a private note that
sums up where things stand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.conversations.models import Conversation
from meridian.messages.models import Message
from meridian.messages.system import post_system_message
from meridian.routing.directory import calendar_of
from meridian.routing.service import route_conversation
from meridian.teams.models import Team

URGENT = ("high", "urgent")


def _earliest_due(sla: dict[str, object] | None) -> datetime | None:
    if not sla:
        return None
    dues = [
        datetime.fromisoformat(value)
        for key in ("first_response_due_at", "next_response_due_at", "resolution_due_at")
        if isinstance(value := sla.get(key), str)
    ]
    return min(dues, default=None)


def cannot_wait(conversation: Conversation, reopens_at: datetime | None) -> bool:
    if conversation.priority in URGENT:
        return True
    due = _earliest_due(conversation.sla)
    return due is not None and (reopens_at is None or due < reopens_at)


async def _summary(session: AsyncSession, conversation: Conversation, source: Team, target: Team) -> str:
    counts = dict(
        (
            await session.execute(
                select(Message.direction, func.count())
                .where(Message.conversation_id == conversation.id)
                .group_by(Message.direction)
            )
        ).all()
    )
    due = _earliest_due(conversation.sla)
    parts = [
        f"Handed over from {source.name} (closed) to {target.name} (open).",
        f"Priority {conversation.priority}, status {conversation.status}.",
        f"{counts.get('incoming', 0)} customer message(s), {counts.get('outgoing', 0)} reply(ies) so far.",
    ]
    if conversation.last_incoming_at is not None:
        parts.append(f"Customer last wrote at {conversation.last_incoming_at:%Y-%m-%d %H:%M} UTC.")
    if conversation.first_response_at is None:
        parts.append("Not answered yet.")
    if due is not None:
        parts.append(f"Next SLA deadline {due:%Y-%m-%d %H:%M} UTC.")
    if conversation.tags:
        parts.append("Tags: " + ", ".join(conversation.tags) + ".")
    return " ".join(parts)


async def hand_off_closed_teams(*, session: AsyncSession, at: datetime) -> int:
    """One pass over every closed team's open work that cannot wait; returns moves made."""
    moved = 0
    teams = list(await session.scalars(select(Team).order_by(Team.id)))
    for team in teams:
        calendar = calendar_of(team)
        if calendar.is_open(at):
            continue
        reopens_at = calendar.next_opening(at)
        waiting = await session.scalars(
            select(Conversation)
            .where(Conversation.team_id == team.id, Conversation.status == "open")
            .order_by(Conversation.last_activity_at)
            .limit(200)
        )
        for conversation in [c for c in waiting if cannot_wait(c, reopens_at)]:
            decision = await route_conversation(
                session=session,
                conversation_id=conversation.id,
                trigger="handoff",
                from_team_id=team.id,
                only_if_assigned=True,
                notify=False,
                at=at,
            )
            if decision is None or decision.outcome != "assigned" or decision.team_id is None:
                continue
            target = await session.get(Team, decision.team_id)
            assert target is not None
            await post_system_message(
                session,
                conversation=conversation,
                body=await _summary(session, conversation, team, target),
                kind="note",
                meta={"handoff": {"from_team_id": str(team.id), "to_team_id": str(target.id)}},
            )
            moved += 1
    return moved
