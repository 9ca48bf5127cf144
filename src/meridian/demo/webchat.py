"""The demo's "Website chat" inbox, whose widget the demo's shop page embeds
(``widget_page.py``). That page is served by this very Meridian, so the site's origin is
Meridian's own; the inbox lists it anyway, as a real site's inbox lists the site.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.webchat.adapter import normalize_origin
from meridian.config import get_settings
from meridian.inboxes.models import Inbox

WEBCHAT_INBOX = "Website chat"


async def seed_demo_webchat(session: AsyncSession, *, workspace_id: uuid.UUID) -> Inbox:
    """The demo's web chat inbox, created once; later runs add this run's origin to it
    (``meridian demo --port`` may differ from the last run). The caller commits."""
    origin = normalize_origin(get_settings().public_url.rstrip("/") + "/")
    inbox = await webchat_inbox(session, workspace_id=workspace_id)
    if inbox is None:
        inbox = Inbox(
            workspace_id=workspace_id,
            name=WEBCHAT_INBOX,
            channel="webchat",
            # No owning team: the chat counts as open around the clock, so the demo shows
            # the live chat rather than the offline notice at night.
            team_id=None,
            bot_mode="off",
            config={
                "allowed_origins": [origin],
                "greeting": "Hi! Ask us anything about your order.",
                "reply_time": "minutes",
            },
            secrets_encrypted=None,
            state={},
        )
        session.add(inbox)
        await session.flush()
    elif origin not in inbox.config.get("allowed_origins", []):
        # A new dict: JSONB columns track reassignment, not in-place changes.
        inbox.config = {**inbox.config, "allowed_origins": [*inbox.config.get("allowed_origins", []), origin]}
        await session.flush()
    return inbox


async def webchat_inbox(session: AsyncSession, *, workspace_id: uuid.UUID) -> Inbox | None:
    inbox: Inbox | None = await session.scalar(
        select(Inbox)
        .where(Inbox.workspace_id == workspace_id, Inbox.channel == "webchat", Inbox.name == WEBCHAT_INBOX)
        .order_by(Inbox.created_at)
        .limit(1)
    )
    return inbox
