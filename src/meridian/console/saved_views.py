"""Saved inbox views: named filter sets, private to the agent who saved them."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.console.models import SavedView
from meridian.console.queries import InboxQuery
from meridian.core.errors import NotFound, ProblemError

MAX_VIEWS = 50


async def list_views(session: AsyncSession, *, principal: Principal) -> list[SavedView]:
    rows = await session.scalars(
        select(SavedView)
        .where(SavedView.workspace_id == principal.workspace_id, SavedView.agent_id == principal.agent_id)
        .order_by(SavedView.name)
    )
    return list(rows)


async def get_view(session: AsyncSession, *, principal: Principal, view_id: uuid.UUID) -> SavedView:
    view = await session.scalar(
        select(SavedView).where(
            SavedView.id == view_id,
            SavedView.workspace_id == principal.workspace_id,
            SavedView.agent_id == principal.agent_id,
        )
    )
    if view is None:
        raise NotFound("saved view")
    return view


async def save_view(
    session: AsyncSession, *, principal: Principal, name: str, query: InboxQuery
) -> SavedView:
    name = name.strip()
    if not name or len(name) > 80:
        raise ProblemError(
            422, "name: 1 to 80 characters", errors=[{"pointer": "/name", "message": "length"}]
        )
    count = await session.scalar(
        select(func.count()).select_from(SavedView).where(SavedView.agent_id == principal.agent_id)
    )
    if (count or 0) >= MAX_VIEWS:
        raise ProblemError(422, f"at most {MAX_VIEWS} saved views per agent")
    view = SavedView(
        workspace_id=principal.workspace_id,
        agent_id=principal.agent_id,
        name=name,
        filters=query.filters(),
        sort=query.sort,
    )
    session.add(view)
    await session.commit()
    return view


async def delete_view(session: AsyncSession, *, principal: Principal, view_id: uuid.UUID) -> None:
    view = await get_view(session, principal=principal, view_id=view_id)
    await session.execute(delete(SavedView).where(SavedView.id == view.id))
    await session.commit()


def query_of(view: SavedView, *, inbox_view: str) -> InboxQuery:
    """The inbox query a saved view stands for; its filters apply on top of the chosen view."""
    params: dict[str, str] = {**view.filters, "sort": view.sort}
    params.setdefault("status", "any")
    return InboxQuery.parse(params, view=inbox_view)
