"""Admin: the wording of messages Meridian sends by itself (system templates), per locale.

Each message shows what Meridian ships in every language and the workspace's own
wording, which wins for its locale (``canned/system.py``); the form posts to the same
``set_overrides`` action as ``PUT /api/v1/system-templates/{key}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.canned import system
from meridian.canned.schemas import SystemTemplateUpdate
from meridian.console.admin_common import admin_page, field_errors, save_form
from meridian.console.deps import SettingsPage
from meridian.console.errors import PageNotFound
from meridian.console.i18n import N_
from meridian.core.errors import ProblemError

router = APIRouter(prefix="/admin/system-messages", include_in_schema=False)

TITLES = {
    "routing_notice": N_("Expected reply time (nobody is working)"),
    "csat_survey": N_("Satisfaction survey"),
    "bot_handoff": N_("Bot: handing over to a person"),
    "bot_feedback": N_("Bot: did this solve it?"),
    "bot_resolved": N_("Bot: the answer helped"),
    "bot_read_more": N_("Bot: link to the full article"),
    "bot_only_in": N_("Bot: article only in another language"),
    "bot_machine_translated": N_("Bot: answer translated automatically"),
    "bot_order_not_found": N_("Bot: order not found"),
    "bot_order_unavailable": N_("Bot: orders cannot be looked up"),
    "privacy_erase": N_("Privacy: erasure request received"),
    "privacy_export": N_("Privacy: data copy request received"),
}
# Every template may use these; a message's own are listed beside them.
COMMON_VARIABLES = ("contact.first_name", "contact.name", "conversation.number")


def _rows(form: FormData) -> list[tuple[str, str]]:
    locales = [str(v).strip() for v in form.getlist("variant_locale")]
    bodies = [str(v) for v in form.getlist("variant_body")]
    return [(locale, body) for locale, body in zip(locales, bodies, strict=False) if locale or body.strip()]


def _errors(exc: ValidationError | ProblemError) -> dict[str, str]:
    """Errors keyed by the variant's locale where they name one (/variants/es)."""
    errors = field_errors(exc)
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            if loc[:1] == ["variants"] and len(loc) > 1:
                errors[f"variant:{loc[1]}"] = str(error["msg"])
    else:
        for item in exc.errors or []:
            parts = [p for p in str(item.get("pointer", "")).split("/") if p]
            if parts[:1] == ["variants"] and len(parts) > 1:
                errors[f"variant:{parts[1]}"] = str(item.get("message", ""))
    return errors


def _key(principal: Principal, key: str) -> str:
    if key not in system.KINDS:
        raise PageNotFound(principal)
    return key


async def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    key: str,
    rows: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if rows is None:
        custom = (await system.overrides(session, workspace_id=principal.workspace_id)).get(key, {})
        rows = sorted(custom.items())
    kind = system.KINDS[key]
    return admin_page(
        request,
        principal,
        "admin_system_message_form.html",
        status_code=status_code,
        key=key,
        title=TITLES[key],
        defaults=sorted(kind.defaults().items()),
        variables=[*kind.variables, *(COMMON_VARIABLES if kind.personal else ())],
        # One empty row to add a language.
        rows=[*rows, ("", "")],
        errors=errors or {},
    )


@router.get("", response_class=HTMLResponse)
async def system_messages(request: Request, principal: SettingsPage, session: Session) -> Response:
    custom = await system.overrides(session, workspace_id=principal.workspace_id)
    items = [(key, TITLES[key], sorted(custom.get(key, {}))) for key in system.KINDS]
    return admin_page(request, principal, "admin_system_messages.html", items=items)


@router.get("/{key}", response_class=HTMLResponse)
async def edit_system_message(
    request: Request, principal: SettingsPage, session: Session, key: str
) -> Response:
    return await _form(request, principal, session, key=_key(principal, key))


@router.post("/{key}", response_class=HTMLResponse)
async def save_system_message(
    request: Request, principal: SettingsPage, session: Session, key: str
) -> Response:
    key = _key(principal, key)
    rows = _rows(await request.form())

    async def save() -> dict[str, str]:
        data = SystemTemplateUpdate.model_validate({"variants": dict(rows)})
        return await system.set_overrides(
            session=session, workspace_id=principal.workspace_id, key=key, variants=data.variants
        )

    return await save_form(
        session,
        save,
        rejected=lambda exc: _form(
            request, principal, session, key=key, rows=rows, errors=_errors(exc), status_code=422
        ),
        done=f"/admin/system-messages/{key}?notice=saved",
    )
