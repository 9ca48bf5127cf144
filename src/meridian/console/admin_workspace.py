"""Admin: workspace settings (name, default locale, languages, timezone, the intent->skills
map routing uses), consent keywords, and translation settings."""

from __future__ import annotations

import zoneinfo
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import admin_page, field_errors, save_form, split_list
from meridian.console.deps import PrivacyManagePage, SettingsPage
from meridian.console.errors import PageForbidden
from meridian.core.errors import ProblemError
from meridian.privacy import keywords
from meridian.privacy.schemas import ConsentKeywordSettings
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
    intent_errors: dict[str, str] | None = None,
    consent_errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    workspace = await get_workspace(session, workspace_id=principal.workspace_id)
    consent = await keywords.keywords_for(session, workspace_id=principal.workspace_id)
    # A rejected form shows what was typed, not what is stored.
    shown = {
        "intent_skills": format_intent_skills(workspace.intent_skills),
        "opt_out": ", ".join(consent.opt_out),
        "opt_in": ", ".join(consent.opt_in),
        **(typed or {}),
    }
    return admin_page(
        request,
        principal,
        "admin_workspace.html",
        status_code=status_code,
        workspace=workspace,
        shown=shown,
        may_edit_consent=principal.can("privacy.manage"),
        intent_errors=intent_errors or {},
        consent_errors=consent_errors or {},
        translation=await get_settings_out(session, workspace_id=principal.workspace_id),
        providers=PROVIDERS,
        timezones=sorted(zoneinfo.available_timezones() - {"localtime"}),
        errors=errors or {},
        translation_errors=translation_errors or {},
    )


@router.get("/workspace", response_class=HTMLResponse)
async def workspace_settings(request: Request, principal: SettingsPage, session: Session) -> Response:
    return await _page(request, principal, session)


@router.post("/workspace", response_class=HTMLResponse)
async def save_workspace(request: Request, principal: SettingsPage, session: Session) -> Response:
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
async def save_translation(request: Request, principal: SettingsPage, session: Session) -> Response:
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


def format_intent_skills(mapping: dict[str, list[str]]) -> str:
    return "\n".join(f"{intent}: {', '.join(skills)}" for intent, skills in sorted(mapping.items()))


def parse_intent_skills(text: str) -> dict[str, list[str]]:
    """``order_status: orders, shipping``, one intent per line; blank lines are skipped."""
    mapping: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        intent, colon, skills = line.partition(":")
        if not colon or not intent.strip():
            message = f"{line.strip()!r}: write the intent, a colon, then its skills"
            raise ProblemError(422, message, errors=[{"pointer": "/intent_skills", "message": message}])
        mapping[intent.strip()] = split_list(skills)
    return mapping


@router.post("/workspace/intent-skills", response_class=HTMLResponse)
async def save_intent_skills(request: Request, principal: SettingsPage, session: Session) -> Response:
    form = await request.form()
    text = str(form.get("intent_skills", ""))
    return await save_form(
        session,
        lambda: update_workspace(
            session=session,
            principal=principal,
            data=WorkspaceUpdate(intent_skills=parse_intent_skills(text)),
        ),
        rejected=lambda exc: _page(
            request,
            principal,
            session,
            intent_errors=field_errors(exc),
            typed={"intent_skills": text},
            status_code=422,
        ),
        done="/admin/workspace?notice=saved#routing",
    )


@router.post("/workspace/consent-keywords", response_class=HTMLResponse)
async def save_consent_keywords(request: Request, principal: PrivacyManagePage, session: Session) -> Response:
    # The form lives on the workspace page, which needs settings.manage as well.
    if not principal.can("settings.manage"):
        raise PageForbidden(principal)
    form = await request.form()
    typed = {"opt_out": str(form.get("opt_out", "")), "opt_in": str(form.get("opt_in", ""))}

    async def save() -> keywords.ConsentKeywords:
        data = ConsentKeywordSettings(
            opt_out=split_list(typed["opt_out"]), opt_in=split_list(typed["opt_in"])
        )
        return await keywords.set_consent_keywords(
            session=session, principal=principal, opt_out=data.opt_out, opt_in=data.opt_in
        )

    return await save_form(
        session,
        save,
        rejected=lambda exc: _page(
            request, principal, session, consent_errors=field_errors(exc), typed=typed, status_code=422
        ),
        done="/admin/workspace?notice=saved#consent",
    )
