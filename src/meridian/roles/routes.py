from __future__ import annotations

from fastapi import APIRouter, Response

from meridian.auth.deps import RolesPrincipal, Session
from meridian.core.errors import path_id
from meridian.roles import service
from meridian.roles.schemas import AgentRoleIn, AgentRoleOut, RoleCreate, RoleList, RoleOut, RoleUpdate

# roles.manage: the service keeps a holder from granting more than they have themselves
# (roles/service.py), so the permission is not a way to every other one.
router = APIRouter(tags=["roles"])


@router.get("/roles", response_model=RoleList)
async def list_roles(principal: RolesPrincipal, session: Session) -> RoleList:
    return await service.list_roles(session, workspace_id=principal.workspace_id)


@router.post("/roles", response_model=RoleOut, status_code=201)
async def create_role(data: RoleCreate, principal: RolesPrincipal, session: Session) -> RoleOut:
    return await service.create_role(session=session, principal=principal, data=data)


@router.get("/roles/{role_id}", response_model=RoleOut)
async def get_role(role_id: str, principal: RolesPrincipal, session: Session) -> RoleOut:
    role = await service.get_role(
        session, workspace_id=principal.workspace_id, role_id=path_id(role_id, "role")
    )
    return await service.role_out(session, role)


@router.patch("/roles/{role_id}", response_model=RoleOut)
async def update_role(role_id: str, data: RoleUpdate, principal: RolesPrincipal, session: Session) -> RoleOut:
    return await service.update_role(
        session=session, principal=principal, role_id=path_id(role_id, "role"), data=data
    )


@router.delete("/roles/{role_id}", status_code=204)
async def delete_role(role_id: str, principal: RolesPrincipal, session: Session) -> Response:
    await service.delete_role(session=session, principal=principal, role_id=path_id(role_id, "role"))
    return Response(status_code=204)


@router.put("/agents/{agent_id}/role", response_model=AgentRoleOut)
async def set_agent_role(
    agent_id: str, data: AgentRoleIn, principal: RolesPrincipal, session: Session
) -> AgentRoleOut:
    return await service.set_agent_role(
        session=session, principal=principal, agent_id=path_id(agent_id, "agent"), role_id=data.role_id
    )
