from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CannedPrincipal, CurrentPrincipal, Session, SettingsPrincipal
from meridian.canned import service, system
from meridian.canned.schemas import (
    CannedCreate,
    CannedList,
    CannedOut,
    RenderedOut,
    SystemTemplateList,
    SystemTemplateOut,
    SystemTemplateUpdate,
)
from meridian.core.errors import path_id

router = APIRouter(tags=["canned responses"])


@router.post("/canned-responses", response_model=CannedOut, status_code=201)
async def create_canned(data: CannedCreate, principal: CannedPrincipal, session: Session) -> CannedOut:
    return await service.create_canned(session=session, principal=principal, data=data)


@router.get("/canned-responses", response_model=CannedList)
async def list_canned(principal: CurrentPrincipal, session: Session) -> CannedList:
    return CannedList(items=await service.list_canned(session, workspace_id=principal.workspace_id))


@router.get("/canned-responses/{canned_id}", response_model=CannedOut)
async def get_canned(canned_id: str, principal: CurrentPrincipal, session: Session) -> CannedOut:
    return await service.get_canned(
        session, workspace_id=principal.workspace_id, canned_id=path_id(canned_id, "canned response")
    )


@router.put("/canned-responses/{canned_id}", response_model=CannedOut)
async def replace_canned(
    canned_id: str, data: CannedCreate, principal: CannedPrincipal, session: Session
) -> CannedOut:
    return await service.replace_canned(
        session=session, principal=principal, canned_id=path_id(canned_id, "canned response"), data=data
    )


@router.get("/canned-responses/{canned_id}/render", response_model=RenderedOut)
async def render_canned(
    canned_id: str, principal: CurrentPrincipal, session: Session, conversation_id: str | None = None
) -> RenderedOut:
    return await service.render_canned(
        session,
        principal=principal,
        canned_id=path_id(canned_id, "canned response"),
        conversation_id=path_id(conversation_id, "conversation") if conversation_id else None,
    )


@router.get("/system-templates", response_model=SystemTemplateList)
async def list_system_templates(principal: CurrentPrincipal, session: Session) -> SystemTemplateList:
    custom = await system.overrides(session, workspace_id=principal.workspace_id)
    return SystemTemplateList(items=[_system_out(key, custom.get(key, {})) for key in system.KINDS])


@router.put("/system-templates/{key}", response_model=SystemTemplateOut)
async def set_system_template(
    key: str, data: SystemTemplateUpdate, principal: SettingsPrincipal, session: Session
) -> SystemTemplateOut:
    variants = await system.set_overrides(
        session=session, workspace_id=principal.workspace_id, key=key, variants=data.variants
    )
    return _system_out(key, variants)


def _system_out(key: str, variants: dict[str, str]) -> SystemTemplateOut:
    kind = system.KINDS[key]
    return SystemTemplateOut(
        key=key,
        description=kind.description,
        defaults=kind.defaults(),
        variables=list(kind.variables),
        variants=variants,
    )
