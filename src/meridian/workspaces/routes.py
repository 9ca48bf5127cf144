from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.workspaces import service
from meridian.workspaces.schemas import WorkspaceOut, WorkspaceUpdate

router = APIRouter(tags=["workspace"])


@router.get("/workspace", response_model=WorkspaceOut)
async def get_workspace(principal: CurrentPrincipal, session: Session) -> WorkspaceOut:
    return await service.get_workspace(session, workspace_id=principal.workspace_id)


@router.patch("/workspace", response_model=WorkspaceOut)
async def update_workspace(
    data: WorkspaceUpdate, principal: SettingsPrincipal, session: Session
) -> WorkspaceOut:
    return await service.update_workspace(session=session, principal=principal, data=data)
