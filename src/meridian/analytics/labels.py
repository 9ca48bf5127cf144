"""The names behind a report's group keys, shared by the overview and agent time."""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.inboxes.models import Inbox
from meridian.teams.models import Team


async def labels(
    session: AsyncSession, workspace_id: uuid.UUID, group_by: str | None, keys: list[Hashable]
) -> dict[Hashable, str]:
    """Display names for team, agent and inbox keys (other keys are their own label)."""
    models: dict[str, Any] = {"team": Team, "agent": Agent, "inbox": Inbox}
    model = models.get(group_by or "")
    ids = [key for key in keys if isinstance(key, uuid.UUID)]
    if model is None or not ids:
        return {}
    rows = await session.execute(
        select(model.id, model.name).where(model.workspace_id == workspace_id, model.id.in_(ids))
    )
    return {ident: name for ident, name in rows}


def key_text(value: Hashable) -> str | None:
    """A group key as a report item shows it."""
    return None if value is None else str(value)
