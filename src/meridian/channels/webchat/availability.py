"""Is anyone there? The widget's offline and expected-reply-time notices.

The inbox's owning team decides, on the same ``BusinessCalendar`` routing uses
(``routing.directory.calendar_of``), so the widget never says "offline" while routing
assigns the chat to an open team, nor the reverse. The widget words and formats the
instants itself, in the visitor's language and in the browser's own time zone: the
server does not know where the visitor is, the browser does.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.webchat.schemas import Availability
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.inboxes.models import Inbox
from meridian.routing.directory import calendar_of
from meridian.teams.models import Team

# The measured reply time looks at this many recent answered conversations of the
# inbox, and says nothing until it has at least MIN_SAMPLES of them.
SAMPLE_WINDOW = timedelta(days=14)
SAMPLE_LIMIT = 200
MIN_SAMPLES = 5
# Every widget page load asks; the figure moves slowly, so each process keeps it a while.
CACHE_SECONDS = 600.0
_measured: dict[uuid.UUID, tuple[float, float | None]] = {}


def reply_bucket(seconds: float) -> str:
    """The notice the widget shows for a typical first reply of ``seconds``."""
    if seconds < 3600:
        return "minutes"
    if seconds < 8 * 3600:
        return "hours"
    return "day"


async def measured_reply_seconds(session: AsyncSession, inbox: Inbox) -> float | None:
    """Median first-response time of the inbox's recent answered conversations."""
    cached = _measured.get(inbox.id)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    since = utcnow() - SAMPLE_WINDOW
    rows = await session.execute(
        # Bounded by the workspace's recent activity (ix_conversations_ws_activity).
        select(Conversation.created_at, Conversation.first_response_at)
        .where(
            Conversation.workspace_id == inbox.workspace_id,
            Conversation.last_activity_at >= since,
            Conversation.inbox_id == inbox.id,
            Conversation.first_response_at.is_not(None),
        )
        .order_by(Conversation.last_activity_at.desc())
        .limit(SAMPLE_LIMIT)
    )
    waits = [
        max(0.0, (answered - created).total_seconds()) for created, answered in rows if answered is not None
    ]
    value = statistics.median(waits) if len(waits) >= MIN_SAMPLES else None
    _measured[inbox.id] = (time.monotonic(), value)
    return value


async def availability(session: AsyncSession, *, inbox: Inbox, at: datetime | None = None) -> Availability:
    """Open or closed now, when that changes, and how long a reply usually takes.

    No owning team means no calendar to consult: the chat counts as open.
    """
    at = at or utcnow()
    team = await session.get(Team, inbox.team_id) if inbox.team_id else None
    configured = inbox.config.get("reply_time")
    measured = await measured_reply_seconds(session, inbox)
    # What the admin promised wins over what was measured.
    reply_time = configured or (reply_bucket(measured) if measured is not None else None)
    if team is None:
        return Availability(open=True, reply_time=reply_time, expected_reply_seconds=measured)
    calendar = calendar_of(team)
    if calendar.is_open(at):
        return Availability(
            open=True,
            closes_at=calendar.next_closing(at),
            reply_time=reply_time,
            expected_reply_seconds=measured,
        )
    return Availability(open=False, opens_at=calendar.next_opening(at))
