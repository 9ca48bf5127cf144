from __future__ import annotations

from fastapi import APIRouter, Response

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.core.errors import path_id
from meridian.sla import service
from meridian.sla.schemas import SlaPolicyCreate, SlaPolicyList, SlaPolicyOut, SlaPolicyUpdate

router = APIRouter(tags=["sla"])


@router.get("/sla-policies", response_model=SlaPolicyList)
async def list_policies(principal: CurrentPrincipal, session: Session) -> SlaPolicyList:
    rows = await service.list_policies(session, workspace_id=principal.workspace_id)
    return SlaPolicyList(items=[service.to_out(p) for p in rows])


@router.post("/sla-policies", response_model=SlaPolicyOut, status_code=201)
async def create_policy(
    data: SlaPolicyCreate, principal: SettingsPrincipal, session: Session
) -> SlaPolicyOut:
    return service.to_out(await service.create_policy(session=session, principal=principal, data=data))


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
async def get_policy(policy_id: str, principal: CurrentPrincipal, session: Session) -> SlaPolicyOut:
    policy = await service.get_policy(
        session, workspace_id=principal.workspace_id, policy_id=path_id(policy_id, "SLA policy")
    )
    return service.to_out(policy)


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
async def update_policy(
    policy_id: str, data: SlaPolicyUpdate, principal: SettingsPrincipal, session: Session
) -> SlaPolicyOut:
    policy = await service.update_policy(
        session=session, principal=principal, policy_id=path_id(policy_id, "SLA policy"), data=data
    )
    return service.to_out(policy)


@router.delete("/sla-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: str, principal: SettingsPrincipal, session: Session) -> Response:
    await service.delete_policy(
        session=session, principal=principal, policy_id=path_id(policy_id, "SLA policy")
    )
    return Response(status_code=204)
