from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.core.errors import path_id
from meridian.teams import service
from meridian.teams.schemas import TeamCreate, TeamList, TeamOut, TeamUpdate

router = APIRouter(tags=["teams"])


@router.get("/teams", response_model=TeamList)
async def list_teams(principal: CurrentPrincipal, session: Session) -> TeamList:
    teams = await service.list_teams(session, workspace_id=principal.workspace_id)
    return TeamList(items=[service.to_out(t) for t in teams])


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(data: TeamCreate, principal: SettingsPrincipal, session: Session) -> TeamOut:
    return await service.create_team(session=session, principal=principal, data=data)


@router.get("/teams/{team_id}", response_model=TeamOut)
async def get_team(team_id: str, principal: CurrentPrincipal, session: Session) -> TeamOut:
    team = await service.get_team(
        session, workspace_id=principal.workspace_id, team_id=path_id(team_id, "team")
    )
    return service.to_out(team)


@router.patch("/teams/{team_id}", response_model=TeamOut)
async def update_team(
    team_id: str, data: TeamUpdate, principal: SettingsPrincipal, session: Session
) -> TeamOut:
    return await service.update_team(
        session=session, principal=principal, team_id=path_id(team_id, "team"), data=data
    )
