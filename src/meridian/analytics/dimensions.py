"""The dimensions a report event is filed under, read from the conversation as it is now.

Dimensions are snapshots: a report keeps the team, agent and language a conversation
had when something happened to it, whatever changes later.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.calendars import BusinessCalendar
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.teams.models import Team

# Countries spanning several zones: the zone where most of their people live.
MAIN_ZONE = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}


@dataclass(frozen=True)
class Snapshot:
    language: str | None
    channel: str | None
    inbox_id: uuid.UUID | None
    team_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    region: str | None
    tier: str | None
    tags: list[str]
    customer_zone: ZoneInfo
    calendar: BusinessCalendar | None

    def columns(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "channel": self.channel,
            "inbox_id": self.inbox_id,
            "team_id": self.team_id,
            "agent_id": self.agent_id,
            "region": self.region,
            "tier": self.tier,
            "tags": list(self.tags),
        }

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working time of the owning team between two instants (calendar time without one)."""
        if end <= start:
            return 0.0
        if self.calendar is None:
            return (end - start).total_seconds()
        return self.calendar.working_seconds_between(start, end)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_zone(contact: Contact | None, team: Team | None) -> ZoneInfo:
    """The customer's time zone: their own, else their country's, else the team's, else UTC."""
    if contact is not None:
        own = _zone(contact.timezone)
        if own is not None:
            return own
        if contact.country:
            country = contact.country.upper()
            zones: list[str] = get_global("territory_zones").get(country, [])
            team_zone = team.timezone if team is not None else None
            name = (
                team_zone if team_zone in zones else MAIN_ZONE.get(country) or (zones[0] if zones else None)
            )
            found = _zone(name)
            if found is not None:
                return found
    return _zone(team.timezone if team is not None else None) or ZoneInfo("UTC")


@lru_cache(maxsize=256)
def _calendar(timezone: str, hours: str | None, holidays: str | None) -> BusinessCalendar:
    return BusinessCalendar(
        timezone, json.loads(hours) if hours else None, json.loads(holidays) if holidays else None
    )


def team_calendar(team: Team | None) -> BusinessCalendar | None:
    if team is None:
        return None
    # Cached by value: building a calendar parses hours and looks up public holidays.
    return _calendar(
        team.timezone,
        json.dumps(team.business_hours, sort_keys=True) if team.business_hours else None,
        json.dumps(team.holidays, sort_keys=True) if team.holidays else None,
    )


async def snapshot(session: AsyncSession, conversation: Conversation) -> Snapshot:
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    team = await session.get(Team, conversation.team_id) if conversation.team_id else None
    return Snapshot(
        language=conversation.language,
        channel=inbox.channel if inbox is not None else None,
        inbox_id=conversation.inbox_id,
        team_id=conversation.team_id,
        agent_id=conversation.assignee_id,
        region=team.region if team is not None else None,
        tier=contact.tier if contact is not None else None,
        tags=sorted(str(tag) for tag in conversation.tags or []),
        customer_zone=customer_zone(contact, team),
        calendar=team_calendar(team),
    )


async def conversation_start(session: AsyncSession, conversation: Conversation) -> datetime:
    """When the customer first wrote: the first message, else the conversation row."""
    first = await session.scalar(
        select(func.min(Message.created_at)).where(Message.conversation_id == conversation.id)
    )
    return first or conversation.created_at


def hour_of_week(at: datetime, zone: ZoneInfo) -> int:
    """0 = Monday 00:00-01:00 local time ... 167 = Sunday 23:00-24:00."""
    local = at.astimezone(zone)
    return local.weekday() * 24 + local.hour
