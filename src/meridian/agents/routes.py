from __future__ import annotations

from fastapi import APIRouter

from meridian.agents import service
from meridian.agents.schemas import AgentCreate, AgentList, AgentOut, AgentUpdate, MeOut
from meridian.auth.deps import AgentsPrincipal, CurrentPrincipal, Session
from meridian.core.errors import path_id
from meridian.workspaces.models import Workspace

router = APIRouter(tags=["agents"])


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, session: Session) -> MeOut:
    agent = await service.get_agent(session, workspace_id=principal.workspace_id, agent_id=principal.agent_id)
    workspace = await session.get(Workspace, principal.workspace_id)
    out = service.to_out(agent, sorted(str(t) for t in principal.team_ids))
    return MeOut(**out.model_dump(), workspace_name=workspace.name if workspace else "")


@router.get("/agents", response_model=AgentList)
async def list_agents(principal: CurrentPrincipal, session: Session) -> AgentList:
    return AgentList(items=await service.list_agents(session, workspace_id=principal.workspace_id))


@router.post("/agents", response_model=AgentOut, status_code=201)
async def create_agent(data: AgentCreate, principal: AgentsPrincipal, session: Session) -> AgentOut:
    return await service.create_agent(session=session, principal=principal, data=data)


@router.get("/agents/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: str, principal: CurrentPrincipal, session: Session) -> AgentOut:
    agent = await service.get_agent(
        session, workspace_id=principal.workspace_id, agent_id=path_id(agent_id, "agent")
    )
    teams = await service.team_ids_of(session, [agent.id])
    return service.to_out(agent, teams[agent.id])


@router.patch("/agents/{agent_id}", response_model=AgentOut)
async def update_agent(
    agent_id: str, data: AgentUpdate, principal: CurrentPrincipal, session: Session
) -> AgentOut:
    return await service.update_agent(
        session=session, principal=principal, agent_id=path_id(agent_id, "agent"), data=data
    )
