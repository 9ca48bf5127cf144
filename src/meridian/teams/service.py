from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.core.errors import NotFound
from meridian.events.service import publish
from meridian.teams.models import Team
from meridian.teams.schemas import TeamCreate, TeamOut, TeamUpdate


def to_out(team: Team) -> TeamOut:
    return TeamOut(
        id=str(team.id),
        name=team.name,
        timezone=team.timezone,
        languages=list(team.languages),
        business_hours=team.business_hours,
        holidays=team.holidays,
        region=team.region,
        created_at=team.created_at,
    )


async def get_team(session: AsyncSession, *, workspace_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    team = await session.scalar(select(Team).where(Team.id == team_id, Team.workspace_id == workspace_id))
    if team is None:
        raise NotFound("team")
    return team


async def list_teams(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Team]:
    return list(
        await session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    )


async def create_team(*, session: AsyncSession, principal: Principal, data: TeamCreate) -> TeamOut:
    team = Team(workspace_id=principal.workspace_id, **data.model_dump())
    session.add(team)
    await session.flush()
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="team.created",
        payload={"team_id": str(team.id)},
        team_id=team.id,
    )
    await session.commit()
    return to_out(team)


async def update_team(
    *, session: AsyncSession, principal: Principal, team_id: uuid.UUID, data: TeamUpdate
) -> TeamOut:
    team = await get_team(session, workspace_id=principal.workspace_id, team_id=team_id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        # business_hours/holidays may be set to null on purpose (always open / none).
        if value is not None or key in ("business_hours", "holidays", "region"):
            setattr(team, key, value)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="team.updated",
        payload={"team_id": str(team.id), "fields": sorted(changes)},
        team_id=team.id,
    )
    await session.commit()
    return to_out(team)
