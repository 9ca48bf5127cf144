from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.core.errors import path_id
from meridian.inboxes import service
from meridian.inboxes.schemas import InboxCreate, InboxList, InboxOut, InboxUpdate

router = APIRouter(tags=["inboxes"])


@router.get("/inboxes", response_model=InboxList)
async def list_inboxes(principal: CurrentPrincipal, session: Session) -> InboxList:
    inboxes = await service.list_inboxes(session, workspace_id=principal.workspace_id)
    return InboxList(items=[service.to_out(i) for i in inboxes])


@router.post("/inboxes", response_model=InboxOut, status_code=201, response_model_exclude_none=True)
async def create_inbox(data: InboxCreate, principal: SettingsPrincipal, session: Session) -> InboxOut:
    return await service.create_inbox(session=session, principal=principal, data=data)


@router.get("/inboxes/{inbox_id}", response_model=InboxOut)
async def get_inbox(inbox_id: str, principal: CurrentPrincipal, session: Session) -> InboxOut:
    inbox = await service.get_inbox(
        session, workspace_id=principal.workspace_id, inbox_id=path_id(inbox_id, "inbox")
    )
    return service.to_out(inbox)


@router.patch("/inboxes/{inbox_id}", response_model=InboxOut)
async def update_inbox(
    inbox_id: str, data: InboxUpdate, principal: SettingsPrincipal, session: Session
) -> InboxOut:
    return await service.update_inbox(
        session=session, principal=principal, inbox_id=path_id(inbox_id, "inbox"), data=data
    )
