"""When the bot takes a turn: the inbox's ``bot_mode``, the team's hours, who spoke last."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.bot.models import BotSession
from meridian.calendars import BusinessCalendar
from meridian.conversations.models import Conversation
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.teams.models import Team


async def within_team_hours(session: AsyncSession, inbox: Inbox, at: datetime) -> bool:
    """Whether the inbox's team is open at ``at``; an inbox without a team has no hours
    to be outside of, so it counts as always open."""
    if inbox.team_id is None:
        return True
    team = await session.get(Team, inbox.team_id)
    if team is None:
        return True
    return BusinessCalendar(team.timezone, team.business_hours, team.holidays).is_open(at)


async def bot_should_answer(
    session: AsyncSession, *, inbox: Inbox, conversation: Conversation, at: datetime
) -> bool:
    if inbox.bot_mode == "off":
        return False
    if inbox.bot_mode == "outside_hours" and await within_team_hours(session, inbox, at):
        return False
    bot_session = await session.get(BotSession, conversation.id)
    if bot_session is not None and bot_session.state == "handed_off":
        return False
    human_replied = await session.scalar(
        select(
            exists().where(
                Message.conversation_id == conversation.id,
                Message.direction == "outgoing",
                Message.author_kind == "human",
            )
        )
    )
    return not human_replied
