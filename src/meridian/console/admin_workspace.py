"""Admin: workspace settings (name, default locale, languages, timezone) and translation settings."""

from __future__ import annotations

import zoneinfo
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import admin_page, field_errors, save_form, split_list
from meridian.console.deps import AdminPage
from meridian.translation.schemas import ProviderName, TranslationSettingsIn
from meridian.translation.service import get_settings_out, update_settings
from meridian.workspaces.schemas import WorkspaceUpdate
from meridian.workspaces.service import get_workspace, update_workspace

router = APIRouter(prefix="/admin", include_in_schema=False)

PROVIDERS = get_args(ProviderName)


async def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    errors: dict[str, str] | None = None,
    translation_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return admin_page(
        request,
        principal,
        "admin_workspace.html",
        status_code=status_code,
        workspace=await get_workspace(session, workspace_id=principal.workspace_id),
        translation=await get_settings_out(session, workspace_id=principal.workspace_id),
        providers=PROVIDERS,
        timezones=sorted(zoneinfo.available_timezones() - {"localtime"}),
        errors=errors or {},
        translation_errors=translation_errors or {},
    )


@router.get("/workspace", response_class=HTMLResponse)
async def workspace_settings(request: Request, principal: AdminPage, session: Session) -> Response:
    return await _page(request, principal, session)


@router.post("/workspace", response_class=HTMLResponse)
async def save_workspace(request: Request, principal: AdminPage, session: Session) -> Response:
    form = await request.form()
    return await save_form(
        session,
        lambda: update_workspace(
            session=session,
            principal=principal,
            data=WorkspaceUpdate(
                name=str(form.get("name", "")),
                default_locale=str(form.get("default_locale", "")),
                languages=split_list(str(form.get("languages", ""))),
                timezone=str(form.get("timezone", "")),
            ),
        ),
        rejected=lambda exc: _page(request, principal, session, errors=field_errors(exc), status_code=422),
        done="/admin/workspace?notice=saved",
    )


@router.post("/workspace/translation", response_class=HTMLResponse)
async def save_translation(request: Request, principal: AdminPage, session: Session) -> Response:
    form = await request.form()
    current = await get_settings_out(session, workspace_id=principal.workspace_id)
    values: dict[str, object] = {
        "provider": str(form.get("provider", "")),
        "api_base_url": str(form.get("api_base_url", "")).strip() or None,
        "model": str(form.get("model", "")).strip() or None,
        "region": str(form.get("region", "")).strip() or None,
        "agent_language": str(form.get("agent_language", "")),
        "languages": current.languages,
    }
    # Write-only key: an empty box keeps the stored one, "remove" clears it.
    if form.get("remove_api_key"):
        values["api_key"] = None
    elif key := str(form.get("api_key", "")).strip():
        values["api_key"] = key
    return await save_form(
        session,
        lambda: update_settings(
            session=session, principal=principal, data=TranslationSettingsIn.model_validate(values)
        ),
        rejected=lambda exc: _page(
            request, principal, session, translation_errors=field_errors(exc), status_code=422
        ),
        done="/admin/workspace?notice=saved",
    )
