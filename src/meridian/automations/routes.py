from __future__ import annotations

from fastapi import APIRouter, Response

from meridian.auth.deps import AutomationsPrincipal, CurrentPrincipal, Session
from meridian.automations import macros, service
from meridian.automations.schemas import (
    AutomationCreate,
    AutomationList,
    AutomationOut,
    AutomationUpdate,
    DryRunOut,
    DryRunRequest,
    MacroApplied,
    MacroCreate,
    MacroList,
    MacroOut,
    MacroUpdate,
)
from meridian.core.errors import path_id

router = APIRouter(tags=["automations"])


@router.get("/automations", response_model=AutomationList)
async def list_automations(principal: AutomationsPrincipal, session: Session) -> AutomationList:
    rows = await service.list_automations(session, workspace_id=principal.workspace_id)
    return AutomationList(items=[service.to_out(r) for r in rows])


@router.post("/automations", response_model=AutomationOut, status_code=201)
async def create_automation(
    data: AutomationCreate, principal: AutomationsPrincipal, session: Session
) -> AutomationOut:
    return service.to_out(await service.create_automation(session=session, principal=principal, data=data))


@router.get("/automations/{automation_id}", response_model=AutomationOut)
async def get_automation(
    automation_id: str, principal: AutomationsPrincipal, session: Session
) -> AutomationOut:
    rule = await service.get_automation(
        session, workspace_id=principal.workspace_id, automation_id=path_id(automation_id, "automation")
    )
    return service.to_out(rule)


@router.patch("/automations/{automation_id}", response_model=AutomationOut)
async def update_automation(
    automation_id: str, data: AutomationUpdate, principal: AutomationsPrincipal, session: Session
) -> AutomationOut:
    rule = await service.update_automation(
        session=session, principal=principal, automation_id=path_id(automation_id, "automation"), data=data
    )
    return service.to_out(rule)


@router.delete("/automations/{automation_id}", status_code=204)
async def delete_automation(
    automation_id: str, principal: AutomationsPrincipal, session: Session
) -> Response:
    await service.delete_automation(
        session=session, principal=principal, automation_id=path_id(automation_id, "automation")
    )
    return Response(status_code=204)


@router.post("/automations/{automation_id}/dry-run", response_model=DryRunOut)
async def dry_run(
    automation_id: str, data: DryRunRequest, principal: AutomationsPrincipal, session: Session
) -> DryRunOut:
    return await service.dry_run(
        session=session,
        principal=principal,
        automation_id=path_id(automation_id, "automation"),
        conversation_id=data.conversation_id,
    )


@router.get("/macros", response_model=MacroList)
async def list_macros(principal: CurrentPrincipal, session: Session) -> MacroList:
    rows = await macros.list_macros(session, workspace_id=principal.workspace_id)
    return MacroList(items=[macros.to_out(m) for m in rows])


@router.post("/macros", response_model=MacroOut, status_code=201)
async def create_macro(data: MacroCreate, principal: AutomationsPrincipal, session: Session) -> MacroOut:
    return macros.to_out(await macros.create_macro(session=session, principal=principal, data=data))


@router.get("/macros/{macro_id}", response_model=MacroOut)
async def get_macro(macro_id: str, principal: CurrentPrincipal, session: Session) -> MacroOut:
    macro = await macros.get_macro(
        session, workspace_id=principal.workspace_id, macro_id=path_id(macro_id, "macro")
    )
    return macros.to_out(macro)


@router.patch("/macros/{macro_id}", response_model=MacroOut)
async def update_macro(
    macro_id: str, data: MacroUpdate, principal: AutomationsPrincipal, session: Session
) -> MacroOut:
    macro = await macros.update_macro(
        session=session, principal=principal, macro_id=path_id(macro_id, "macro"), data=data
    )
    return macros.to_out(macro)


@router.delete("/macros/{macro_id}", status_code=204)
async def delete_macro(macro_id: str, principal: AutomationsPrincipal, session: Session) -> Response:
    await macros.delete_macro(session=session, principal=principal, macro_id=path_id(macro_id, "macro"))
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/macros/{macro_id}", response_model=MacroApplied)
async def apply_macro(
    conversation_id: str, macro_id: str, principal: CurrentPrincipal, session: Session
) -> MacroApplied:
    return await macros.apply_macro(
        session=session,
        principal=principal,
        conversation_id=path_id(conversation_id, "conversation"),
        macro_id=path_id(macro_id, "macro"),
    )
